import { renderTemplate } from '../config/template';

/**
 * Renders what the backup runner of a {@link VeeamBackup} runs: the OpenStack credentials
 * (`clouds.yaml`), one script, service and timer per policy, and one restore runbook per server.
 * Also holds the restore-time and run-time estimates the policies are validated against.
 *
 * Estimates are arithmetic over the documented throughput assumptions below, not measurements:
 * they are conservative so that a policy passing validation can keep its promise.
 */

/** The `clouds.yaml` entry the runner's commands use (`OS_CLOUD`). */
export const BACKUP_CLOUD_NAME = 'hosting-stacks-backup';

/** Where openstacksdk looks for system-wide cloud definitions. */
export const OPENSTACK_CLOUDS_PATH = '/etc/openstack/clouds.yaml';

/** Keystone of OVHcloud Public Cloud (all regions). */
export const OVH_AUTH_URL = 'https://auth.cloud.ovh.net/v3';

/** Minutes to delete the lost server, create it again on its planned port from a ready volume, boot Debian and check it. */
export const SERVER_RECREATE_MINUTES = 5;

/**
 * GB per minute to create a volume from a snapshot. OVHcloud block storage is Ceph, where such a
 * volume is a copy-on-write clone made in seconds; 10 GB/min is the assumption for backends that copy.
 */
export const SNAPSHOT_CLONE_GB_PER_MINUTE = 10;

/** GB per minute Cinder writes or restores a volume backup (chunks read from object storage, decompressed). */
export const VOLUME_BACKUP_GB_PER_MINUTE = 1;

/**
 * GB per minute moved between the runner, the Image service and object storage. The smallest gen3
 * flavor has 500 Mbit/s (3.75 GB/min, OVHcloud catalog); 1 GB/min leaves room for the APIs.
 */
export const OBJECT_TRANSFER_GB_PER_MINUTE = 1;

/** Minutes for Cinder to take one snapshot (metadata operation on Ceph). */
export const SNAPSHOT_CREATE_MINUTES = 1;

/** Seconds between two status polls of a snapshot, backup, volume or image. */
export const BACKUP_POLL_SECONDS = 10;

/** Size of the parts an off-site copy is cut into: Swift refuses objects over 5 GiB. */
export const OFFSITE_PART_MB = 1024;

/** Estimated minutes to restore a server with a `gb` boot volume from its newest snapshot. */
export function estimateSnapshotRestoreMinutes(gb: number): number {
  return SERVER_RECREATE_MINUTES + Math.ceil(gb / SNAPSHOT_CLONE_GB_PER_MINUTE);
}

/** Estimated minutes to restore a server with a `gb` boot volume from its newest volume backup. */
export function estimateVolumeBackupRestoreMinutes(gb: number): number {
  return SERVER_RECREATE_MINUTES + Math.ceil(gb / VOLUME_BACKUP_GB_PER_MINUTE);
}

/** Estimated minutes to restore from the off-site copy: download the parts, upload the image, create the volume from it. */
export function estimateOffsiteRestoreMinutes(gb: number): number {
  return SERVER_RECREATE_MINUTES + Math.ceil((3 * gb) / OBJECT_TRANSFER_GB_PER_MINUTE);
}

/** Estimated minutes one run spends on a server with a `gb` boot volume (full volume backups counted). */
export function estimateServerRunMinutes(gb: number, volumeBackups: boolean, offsiteCopy: boolean): number {
  let minutes = SNAPSHOT_CREATE_MINUTES;
  if (volumeBackups) minutes += Math.ceil(gb / VOLUME_BACKUP_GB_PER_MINUTE);
  // Export: clone the snapshot, upload the clone to the Image service, stream the image into parts.
  if (offsiteCopy) minutes += Math.ceil(gb / SNAPSHOT_CLONE_GB_PER_MINUTE) + Math.ceil((2 * gb) / OBJECT_TRANSFER_GB_PER_MINUTE);
  return minutes;
}

/** Seconds the script waits for one snapshot, backup, volume or image of a `gb` volume: four times the slowest assumed throughput, at least 10 min. */
export function backupWaitSeconds(gb: number): number {
  return Math.max(600, Math.ceil((4 * gb * 60) / Math.min(VOLUME_BACKUP_GB_PER_MINUTE, OBJECT_TRANSFER_GB_PER_MINUTE)));
}

/** The `clouds.yaml` of the runner. */
export interface OpenstackCloudsModel {
  /** The cloud entry's name. */
  readonly cloud: string;
  /** Keystone v3 URL. */
  readonly authUrl: string;
  /** Region of the compute, block-storage and image APIs. */
  readonly region: string;
  /** The application credential's id as a YAML scalar: a quoted string or a Terraform `jsonencode` reference. */
  readonly applicationCredentialId: string;
  /** The application credential's secret as a YAML scalar: a quoted string or a Terraform `jsonencode` reference. */
  readonly applicationCredentialSecret: string;
}

/** Renders `/etc/openstack/clouds.yaml` with one application-credential cloud. */
export function renderOpenstackCloudsYaml(model: OpenstackCloudsModel): string {
  return renderTemplate('openstack-clouds.yaml.hbs', model);
}

/** One server a backup script covers. */
export interface BackupServerModel {
  /** Host name (the Nova server name). */
  readonly hostname: string;
  /** Name of its boot volume. */
  readonly bootVolume: string;
  /** Size of its boot volume in GB. */
  readonly bootVolumeGb: number;
  /** Seconds to wait for each snapshot, backup, volume or image of it. */
  readonly waitSeconds: number;
}

/** Where off-site copies go. */
export interface OffsiteModel {
  /** Object-storage container. */
  readonly container: string;
  /** Region of the container. */
  readonly region: string;
  /** Part size in MiB. */
  readonly partMb: number;
  /** Seconds each copy is kept: its parts are written with `X-Delete-After` and Swift deletes them then. */
  readonly deleteAfterSeconds: number;
}

/** The uploader of off-site parts on the runner (`renderBackupObjectPut`). */
export const BACKUP_OBJECT_PUT_PATH = '/usr/local/sbin/hosting-stacks-object-put';

/** Renders the uploader of off-site parts: one PUT with `X-Delete-After`, with the runner's `clouds.yaml` entry. */
export function renderBackupObjectPut(model: { readonly cloud: string }): string {
  return renderTemplate('backup-object-put.py.hbs', model);
}

/** One policy's backup script. */
export interface BackupScriptModel {
  /** Policy id: names of snapshots, backups and copies start with it. */
  readonly policyId: string;
  /** The schedule in words. */
  readonly scheduleDescription: string;
  /** The `clouds.yaml` entry to use. */
  readonly cloud: string;
  /** Snapshots (and off-site copies) kept per server; volume-backup chains are this long. */
  readonly rotation: number;
  /** Seconds between status polls. */
  readonly pollSeconds: number;
  /** Whether a Cinder backup is made from each snapshot. */
  readonly volumeBackups: boolean;
  /** Off-site copy, when enabled. */
  readonly offsite?: OffsiteModel;
  /** The servers, in order. */
  readonly servers: readonly BackupServerModel[];
}

/** Renders the script one policy's service runs. */
export function renderBackupScript(model: BackupScriptModel): string {
  return renderTemplate('backup-policy.sh.hbs', { ...model, offsite: model.offsite ?? false });
}

/** One policy's systemd service and timer. */
export interface BackupUnitModel {
  /** Policy id. */
  readonly policyId: string;
  /** The schedule in words. */
  readonly scheduleDescription: string;
  /** Absolute path of the script. */
  readonly scriptPath: string;
  /** `TimeoutStartSec=` of the service, seconds. */
  readonly timeoutSeconds: number;
  /** `OnCalendar=` of the timer. */
  readonly onCalendar: string;
  /** `RandomizedDelaySec=` of the timer, seconds. */
  readonly randomizedDelaySeconds: number;
}

/** Renders the oneshot service running one policy's script. */
export function renderBackupService(model: BackupUnitModel): string {
  return renderTemplate('backup-policy.service.hbs', model);
}

/** Renders the timer starting one policy's service. */
export function renderBackupTimer(model: BackupUnitModel): string {
  return renderTemplate('backup-policy.timer.hbs', model);
}

/** The restore runbook of one server under one policy. */
export interface RestoreRunbookModel {
  /** Policy id. */
  readonly policyId: string;
  /** The schedule in words. */
  readonly scheduleDescription: string;
  /** Snapshots (and off-site copies) kept. */
  readonly rotation: number;
  /** The `clouds.yaml` entry on the runner. */
  readonly cloud: string;
  /** Host name of the runner. */
  readonly runnerHost: string;
  /** Host name of the server. */
  readonly hostname: string;
  /** Construct path of the server. */
  readonly serverPath: string;
  /** Its planned address. */
  readonly address: string;
  /** Name of its Neutron port. */
  readonly portName: string;
  /** Name of its server group. */
  readonly serverGroupName: string;
  /** Its flavor. */
  readonly flavorName: string;
  /** Name of its boot volume. */
  readonly bootVolume: string;
  /** Size of the boot volume in GB. */
  readonly bootVolumeGb: number;
  /** `--type <t> ` for `volume create`, or empty for the default type. */
  readonly volumeTypeOption: string;
  /** Terraform address of the server. */
  readonly serverAddress: string;
  /** Terraform address of the boot volume. */
  readonly volumeAddress: string;
  /** Whether the stateful check applies (`stateful: true`). */
  readonly stateful: boolean;
  /** Target restore time in minutes. */
  readonly rtoMinutes: number;
  /** Estimated minutes from the newest snapshot. */
  readonly snapshotRestoreMinutes: number;
  /** Estimated minutes from the newest volume backup, when volume backups are made. */
  readonly volumeBackupRestoreMinutes?: number;
  /** Estimated minutes from the off-site copy, when made. */
  readonly offsiteRestoreMinutes?: number;
  /** Off-site copy, when made. */
  readonly offsite?: OffsiteModel;
}

/** Renders the Markdown restore runbook of one server. */
export function renderRestoreRunbook(model: RestoreRunbookModel): string {
  return renderTemplate('restore-runbook.md.hbs', {
    ...model,
    volumeBackupRestoreMinutes: model.volumeBackupRestoreMinutes ?? false,
    offsiteRestoreMinutes: model.offsiteRestoreMinutes ?? false,
    offsite: model.offsite ?? false,
  });
}
