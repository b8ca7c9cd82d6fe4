import { IArchitectureIntent, TierIntent, TierRole } from '../core/architecture-intent';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { IdentityApplicationCredentialV3 } from '../../.gen/providers/openstack/identity-application-credential-v3';
import { ObjectstorageContainerV1 } from '../../.gen/providers/openstack/objectstorage-container-v1';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor } from '../compute/flavor';
import { ServerCluster, ServerInstance } from '../compute/server-cluster';
import { Peer } from '../core/connections';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { resourceName } from '../core/naming';
import { escapeTerraformText } from '../core/terraform-text';
import { requireText, TextKind } from '../core/text';
import { Port } from '../core/port';
import { Secret } from '../core/secret';
import type { IPrivateVSwitch } from '../network/private-vswitch';
import {
  BACKUP_CLOUD_NAME,
  BACKUP_OBJECT_PUT_PATH,
  BACKUP_POLL_SECONDS,
  backupWaitSeconds,
  estimateOffsiteRestoreMinutes,
  estimateServerRunMinutes,
  estimateSnapshotRestoreMinutes,
  estimateVolumeBackupRestoreMinutes,
  OFFSITE_PART_MB,
  OffsiteModel,
  OPENSTACK_CLOUDS_PATH,
  OVH_AUTH_URL,
  renderBackupObjectPut,
  renderBackupScript,
  renderBackupService,
  renderBackupTimer,
  renderOpenstackCloudsYaml,
  renderRestoreRunbook,
} from './backup-config';
import { BackupAccessRule, backupAccessRules } from './backup-access-rules';
import { BackupSchedule, ResolvedBackupSchedule } from './backup-schedule';
import { Kinds, optionalPeer, requireOptions, requirePeer, requirePeers, requireProps } from '../core/peers';

// "Veeam Backup: copies of the most important VMs, a VM restored in minutes (RTO of minutes)" (case study 5)
/** Default target restore time of a policy, in minutes. */
export const DEFAULT_RTO_MINUTES = 15;

/** Most snapshots (and copies) a policy keeps per server: Cinder snapshot quotas are per project. */
export const MAX_BACKUP_ROTATION = 60;

/** Seconds of random delay before each run, so that policies do not call the APIs at the same instant. */
export const BACKUP_RANDOMIZED_DELAY_SECONDS = 300;

/** The runner only calls APIs and streams one part at a time: the smallest production sizing is enough. */
export const BACKUP_RUNNER_SIZING = { vcpus: 1, ramGb: 2, diskGb: 20 } as const;

/**
 * Folder of the restore runbooks on the runner: `<folder>/<policy>.md`, every covered host's
 * runbook in one file (one gzip stream: alike runbooks of many hosts then fit Nova's user-data limit).
 */
export const RESTORE_RUNBOOK_DIR = '/etc/hosting-stacks/restore';

/** Anything whose servers a policy can cover: a {@link ServerCluster} or a construct exposing one (tiers, databases). */
export type BackupTarget = ServerCluster | { readonly cluster: ServerCluster };

/** Props of {@link VeeamBackup}. */
export interface VeeamBackupProps {
  /** The vSwitch of the runner; its router needs an external gateway, the OpenStack APIs are public endpoints. */
  readonly vswitch: IPrivateVSwitch;
  /** OpenStack region of the covered servers (`GRA11`, `SBG7` ...). */
  readonly region: string;
  /** Keystone v3 URL. @default OVH_AUTH_URL */
  readonly authUrl?: string;
  /**
   * Id of an application credential made outside the stack, for clouds where the user running
   * Terraform cannot create one (Keystone lets an application credential create another only when
   * it is itself unrestricted). Give it with `applicationCredentialSecret`, restricted by hand to
   * the rules of {@link VeeamBackup.accessRules}. A Secret made by Secret.variable only; a string or
   * a look-alike object is refused. @default - a restricted credential created by the stack
   */
  readonly applicationCredentialId?: Secret;
  /** Secret of the credential given as `applicationCredentialId`. A Secret made by Secret.variable only; a string or a look-alike object is refused. @default - the created credential's secret */
  readonly applicationCredentialSecret?: Secret;
  /**
   * Object storage region of the off-site container (OVHcloud names them `GRA`, `SBG`, `BHS`, ...,
   * not `GRA11`). @default - another region than the servers': OFFSITE_REGION_PAIRS of `region`'s
   * object storage region (`GRA11` -> `SBG`); a region without a pair must be given
   */
  readonly offsiteRegion?: string;
  /** Name of the off-site container. @default - derived from the construct path */
  readonly containerName?: string;
  /** Flavor of the runner. @default Flavor.fromSizing(BACKUP_RUNNER_SIZING) */
  readonly flavor?: Flavor;
  /**
   * Who may reach the runner by SSH (to run restores): an admin block (`Peer.ipv4('198.51.100.0/24')`)
   * or a construct such as a jump host (`Peer.of(jumpHost)`). @default - nobody: no inbound traffic
   */
  readonly adminPeer?: Peer;
  /** Host name prefix of the runner. @default 'backup-runner' */
  readonly hostnamePrefix?: string;
}

/** Options of {@link VeeamBackup.addPolicy}. */
export interface BackupPolicyOptions {
  /** The servers covered: clusters, or constructs exposing one (`IServerTier`, databases). */
  readonly servers: BackupTarget[];
  /** When the policy runs. */
  readonly schedule: BackupSchedule;
  /** Snapshots kept per server, 1 to {@link MAX_BACKUP_ROTATION}; also the length of volume-backup chains and the off-site copies kept. */
  readonly rotation: number;
  /** Make a Cinder backup (full, then incrementals) of each snapshot: a copy that outlives the volume. @default false */
  readonly volumeBackups?: boolean;
  /** Export each snapshot as a qcow2 image into the object-storage container. @default false */
  readonly offsiteCopy?: boolean;
  /** Target restore time in minutes; must be at least the estimated restore from a snapshot. @default DEFAULT_RTO_MINUTES */
  readonly rtoMinutes?: number;
  /** Most data (in hours) a restore may lose; must be at least the interval plus the run time. @default - no target */
  readonly rpoHours?: number;
}

/**
 * The OpenStack equivalent of managed VM backups (Veeam Backup in case study 5): policies over the
 * most important servers, run on a schedule by a small runner VM.
 *
 * The servers boot from Cinder volumes, which Nova's `createBackup` (`openstack server backup create
 * --rotate`) refuses, so each run takes a snapshot of every covered boot volume (restoring from it is
 * a volume clone: minutes), keeps the newest `rotation`, and optionally makes a Cinder backup of it
 * (incremental chains that outlive the volume) and an off-site copy (a qcow2 export streamed into an
 * object-storage container, in parts, that expires after the rotation). The OpenStack provider has
 * no schedule resource: the runner holds the credentials (an application credential the stack
 * creates, restricted by access rules to the calls of its scripts, or one given as sensitive
 * variables; in a root-only `clouds.yaml`) and one systemd service and timer per policy. Restores
 * need the project's own credentials. Every covered server gets a restore
 * runbook on the runner (`/etc/hosting-stacks/restore/<policy>.md`, a section per host, also in `configs/`).
 *
 * The stack's validation requires every `stateful` cluster to be covered by a policy or exempted.
 */
export class VeeamBackup extends Construct implements IArchitectureIntent {
  /** The backup runner runs the stack; it serves no user's request. (architecture notes) */
  public readonly architectureIntent: TierIntent = { role: TierRole.OPERATIONS };
  /** The runner VM (one instance). */
  public readonly runner: ServerCluster;
  /** The runner's instance. */
  public readonly runnerHost: ServerInstance;
  /** Region of the covered servers. */
  public readonly region: string;
  /** Region of the off-site container. */
  public readonly offsiteRegion: string;
  /** Name of the off-site container. */
  public readonly containerName: string;
  /** Keystone URL. */
  public readonly authUrl: string;
  /** The application credential's id, as a Terraform reference. */
  public readonly applicationCredentialId: string;
  /** The application credential's secret, as a Terraform reference (sensitive). */
  public readonly applicationCredentialSecret: string;
  /** The credential the stack creates, construct id `Credential`; undefined when one was given in the props. */
  public readonly credential?: IdentityApplicationCredentialV3;
  private readonly policyList: BackupPolicy[] = [];
  private containerResource?: ObjectstorageContainerV1;

  constructor(scope: Construct, id: string, props: VeeamBackupProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    optionalPeer(this, 'applicationCredentialId', props.applicationCredentialId, Kinds.SECRET);
    optionalPeer(this, 'applicationCredentialSecret', props.applicationCredentialSecret, Kinds.SECRET);
    optionalPeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    optionalPeer(this, 'adminPeer', props.adminPeer, Kinds.PEER);
    this.region = requireRegion(this, 'region', props.region);
    this.offsiteRegion = props.offsiteRegion !== undefined
      ? requireObjectStorageRegion(this, 'offsiteRegion', props.offsiteRegion)
      : defaultOffsiteRegion(this, this.region);
    this.authUrl = props.authUrl ?? OVH_AUTH_URL;
    requireText(this, 'authUrl', this.authUrl, TextKind.HTTP_URL, {
      pattern: /^https:\/\/[A-Za-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~/-]*)?$/,
      allowed: "must be an https URL of Keystone, e.g. 'https://auth.cloud.ovh.net/v3'",
    });
    this.containerName = props.containerName ?? resourceName(this, 'offsite');
    requireText(this, 'containerName', this.containerName, TextKind.NAME, { maxLength: 63, allowed: 'must be 1 to 63 letters, digits, dots, dashes or underscores' });
    if ((props.applicationCredentialId === undefined) !== (props.applicationCredentialSecret === undefined)) {
      const [given, missing] = props.applicationCredentialId ? ['applicationCredentialId', 'applicationCredentialSecret'] : ['applicationCredentialSecret', 'applicationCredentialId'];
      throw new HostingStacksError(this, missing, undefined, `must be given with '${given}': a user-given application credential needs both its id and its secret`);
    }
    if (props.applicationCredentialId && props.applicationCredentialSecret) {
      this.applicationCredentialId = props.applicationCredentialId.value;
      this.applicationCredentialSecret = props.applicationCredentialSecret.value;
    } else {
      // Restricted to the calls the scripts make (access rules, kept in step with the policies by
      // addPolicy): a runner taken over can snapshot and export, not read other data, touch servers,
      // networks or identities, nor read, shorten or delete the off-site copies.
      this.credential = new IdentityApplicationCredentialV3(this, 'Credential', {
        name: resourceName(this, 'runner'),
        description: escapeTerraformText(`Backup runner of ${this.node.path}: volume snapshots, backups and off-site copies only (hosting-stacks)`),
        unrestricted: false,
        accessRules: backupAccessRules({ volumeBackups: false }),
      });
      this.applicationCredentialId = this.credential.id;
      this.applicationCredentialSecret = this.credential.secret;
    }

    this.runner = new ServerCluster(this, 'Runner', {
      vswitch: props.vswitch,
      count: 1,
      flavor: props.flavor ?? Flavor.fromSizing(BACKUP_RUNNER_SIZING),
      hostnamePrefix: props.hostnamePrefix ?? 'backup-runner',
    });
    this.runnerHost = this.runner.instances[0];
    if (props.adminPeer) this.runner.connections.allowFrom(props.adminPeer, Port.tcp(22), 'SSH to the backup runner (restores)');
    const cc = this.runnerHost.cloudConfig;
    cc.addPackages('python3-openstackclient');
    cc.addFile({
      path: OPENSTACK_CLOUDS_PATH,
      content: renderOpenstackCloudsYaml({
        cloud: BACKUP_CLOUD_NAME,
        authUrl: this.authUrl,
        region: this.region,
        // JSON strings are YAML scalars: any character of the credential is safe.
        applicationCredentialId: Fn.jsonencode(this.applicationCredentialId),
        applicationCredentialSecret: Fn.jsonencode(this.applicationCredentialSecret),
      }),
      permissions: '0600',
      syntax: ConfigSyntax.OPENSTACK_CLOUDS,
    });
    this.node.addValidation({ validate: () => (this.policyList.length ? [] : [`${this.node.path}: 'policies' ([]) must hold at least one policy; add one with addPolicy(id, options)`]) });
  }

  /** The policies, in the order added. */
  public get policies(): readonly BackupPolicy[] {
    return [...this.policyList];
  }

  /**
   * The Keystone access rules the runner's calls need with the policies added so far: those of the
   * created credential, and those to give a user-given one.
   */
  public get accessRules(): BackupAccessRule[] {
    return backupAccessRules({
      volumeBackups: this.policyList.some((p) => p.volumeBackups),
      offsiteContainer: this.containerResource ? this.containerName : undefined,
    });
  }

  /** The off-site container, once a policy asks for off-site copies. */
  public get container(): ObjectstorageContainerV1 | undefined {
    return this.containerResource;
  }

  /** Adds a policy (`id`: lower-case letters, digits and dashes) and returns it. */
  public addPolicy(id: string, options: BackupPolicyOptions): BackupPolicy {
    requireText(this, 'id', id, TextKind.NAME, { pattern: /^[a-z][a-z0-9-]{0,31}$/, allowed: 'must be 1 to 32 lower-case letters, digits and dashes, starting with a letter' });
    if (this.policyList.some((p) => p.node.id === id)) {
      throw new HostingStacksError(this, 'id', id, 'is already the id of a policy of this backup');
    }
    // Checked before anything is added, so a bad call leaves no container behind.
    requireOptions<BackupPolicyOptions>(this, 'options', options, ['servers', 'schedule', 'rotation', 'volumeBackups', 'offsiteCopy', 'rtoMinutes', 'rpoHours']);
    if (options.offsiteCopy && !this.containerResource) {
      // How the copies are protected. Object lock is an S3 feature (OVHcloud's S3 offer, not Swift);
      // Swift versioning would keep every copy the rotation deletes, and bill it, with no lifecycle
      // to expire old versions. So the copies are written with X-Delete-After (their retention) and
      // Swift's expirer deletes them; the runner's credential may only PUT into this container (no
      // GET, POST or DELETE), so a runner taken over cannot read, shorten or delete a copy. What it
      // can still do is PUT over an existing name, which access rules cannot forbid; versioning would
      // keep the overwritten part but, per above, bill every version until deleted by hand.
      this.containerResource = new ObjectstorageContainerV1(this, 'OffsiteContainer', {
        name: this.containerName,
        region: this.offsiteRegion,
        versioning: false,
        // `terraform destroy` must not delete backups with the stack.
        forceDestroy: false,
        metadata: { 'hosting-stacks-path': escapeTerraformText(this.node.path) },
      });
    }
    const policy = new BackupPolicy(this, id, options, this.policyList);
    this.policyList.push(policy);
    this.credential?.putAccessRules(this.accessRules);
    if (policy.offsiteCopy && !this.runnerHost.cloudConfig.hostFiles.some((f) => f.path === BACKUP_OBJECT_PUT_PATH)) {
      this.runnerHost.cloudConfig.addFile({ path: BACKUP_OBJECT_PUT_PATH, permissions: '0755', syntax: ConfigSyntax.PYTHON, content: renderBackupObjectPut({ cloud: BACKUP_CLOUD_NAME }) });
    }
    return policy;
  }
}

/**
 * One backup policy of a {@link VeeamBackup}: which servers, when, how many restore points, where
 * the copies go and the restore time promised. Created by {@link VeeamBackup.addPolicy}.
 */
export class BackupPolicy extends Construct {
  /** The clusters covered. */
  public readonly clusters: readonly ServerCluster[];
  /** The servers covered, in order. */
  public readonly hosts: readonly ServerInstance[];
  /** The resolved schedule. */
  public readonly schedule: ResolvedBackupSchedule;
  /** Snapshots kept per server. */
  public readonly rotation: number;
  /** Whether Cinder backups are made. */
  public readonly volumeBackups: boolean;
  /** Whether off-site copies are made. */
  public readonly offsiteCopy: boolean;
  /** Target restore time, minutes. */
  public readonly rtoMinutes: number;
  /** Estimated restore time from a snapshot of the largest covered boot volume, minutes. */
  public readonly estimatedRestoreMinutes: number;
  /** Estimated duration of one run over all servers, minutes. */
  public readonly estimatedRunMinutes: number;
  /** Most data a restore can lose: the interval between runs plus one run, hours. */
  public readonly achievableRpoHours: number;
  /**
   * Seconds an off-site copy is kept (its parts' X-Delete-After): `rotation` intervals between runs
   * plus the whole intervals one run's estimated time spans (one, unless a run outlasts the
   * interval), so the oldest of `rotation` copies expires only once the next is written, and a
   * server added to the policy does not change it.
   */
  public readonly offsiteRetentionSeconds: number;
  /** Path of the script on the runner. */
  public readonly scriptPath: string;
  /** Name of the systemd timer. */
  public readonly timerName: string;
  private readonly runbooks = new Map<string, string>();

  constructor(backup: VeeamBackup, id: string, options: BackupPolicyOptions, others: readonly BackupPolicy[]) {
    super(backup, id);
    requireProps(this, options, 'options');
    if (!options.servers || options.servers.length === 0) {
      throw new HostingStacksError(this, 'servers', [], 'must name at least one cluster to back up');
    }
    requirePeers(this, 'servers', options.servers, Kinds.BACKUP_TARGET);
    requirePeer(this, 'schedule', options.schedule, Kinds.BACKUP_SCHEDULE);
    const clusters = options.servers.map((s) => (s instanceof ServerCluster ? s : s.cluster));
    const seen = new Set<ServerCluster>();
    for (const c of clusters) {
      if (seen.has(c)) throw new HostingStacksError(this, 'servers', c.node.path, 'appears more than once; each cluster must be named once');
      seen.add(c);
      if (c === backup.runner) throw new HostingStacksError(this, 'servers', c.node.path, 'is the backup runner itself; it holds no data to back up');
    }
    this.clusters = clusters;
    this.hosts = clusters.flatMap((c) => c.instances);
    this.schedule = options.schedule.resolve(this);
    this.rotation = options.rotation;
    requireIntegerInRange(this, 'rotation', this.rotation, 1, MAX_BACKUP_ROTATION);
    this.volumeBackups = options.volumeBackups ?? false;
    this.offsiteCopy = options.offsiteCopy ?? false;
    if (this.volumeBackups) {
      // Cinder bases an incremental backup on the newest backup of the volume, whoever made it.
      for (const other of others.filter((o) => o.volumeBackups)) {
        const shared = clusters.find((c) => other.clusters.includes(c));
        if (shared) {
          throw new HostingStacksError(this, 'volumeBackups', true,
            `also covers ${shared.node.path}, whose volume backups ${other.node.path} makes; one policy per volume may make volume backups`);
        }
      }
    }

    const largest = this.hosts.reduce((a, b) => (b.cluster.bootVolumeGb > a.cluster.bootVolumeGb ? b : a));
    const largestGb = largest.cluster.bootVolumeGb;
    this.estimatedRestoreMinutes = estimateSnapshotRestoreMinutes(largestGb);
    this.rtoMinutes = options.rtoMinutes ?? DEFAULT_RTO_MINUTES;
    requireIntegerInRange(this, 'rtoMinutes', this.rtoMinutes, 1);
    if (this.rtoMinutes < this.estimatedRestoreMinutes) {
      throw new HostingStacksError(this, 'rtoMinutes', this.rtoMinutes,
        `is below the estimated restore time of ${largest.hostname} (${largestGb} GB boot volume): ${this.estimatedRestoreMinutes} min from a snapshot; raise it or use smaller boot volumes`);
    }
    this.estimatedRunMinutes = this.hosts.reduce((sum, h) => sum + estimateServerRunMinutes(h.cluster.bootVolumeGb, this.volumeBackups, this.offsiteCopy), 0);
    this.achievableRpoHours = this.schedule.intervalHours + Math.ceil(this.estimatedRunMinutes / 60);
    if (options.rpoHours !== undefined) {
      if (!Number.isFinite(options.rpoHours) || options.rpoHours <= 0) {
        throw new HostingStacksError(this, 'rpoHours', options.rpoHours, 'must be a number of hours greater than 0');
      }
      if (options.rpoHours < this.achievableRpoHours) {
        throw new HostingStacksError(this, 'rpoHours', options.rpoHours,
          `is below what the policy achieves: ${this.achievableRpoHours} h (runs ${this.schedule.description}, each estimated at ${this.estimatedRunMinutes} min); run more often or cover fewer servers`);
      }
    }

    const runIntervals = Math.max(1, Math.ceil(this.estimatedRunMinutes / 60 / this.schedule.intervalHours));
    this.offsiteRetentionSeconds = (this.rotation + runIntervals) * this.schedule.intervalHours * 3600;
    const offsite: OffsiteModel | undefined = this.offsiteCopy
      ? { container: backup.containerName, region: backup.offsiteRegion, partMb: OFFSITE_PART_MB, deleteAfterSeconds: this.offsiteRetentionSeconds }
      : undefined;
    const unitBase = `hosting-stacks-backup-${id}`;
    this.scriptPath = `/usr/local/sbin/${unitBase}`;
    this.timerName = `${unitBase}.timer`;
    const cc = backup.runnerHost.cloudConfig;
    cc.addFile({
      path: this.scriptPath,
      permissions: '0700',
      syntax: ConfigSyntax.SHELL,
      content: renderBackupScript({
        policyId: id,
        scheduleDescription: this.schedule.description,
        cloud: BACKUP_CLOUD_NAME,
        rotation: this.rotation,
        pollSeconds: BACKUP_POLL_SECONDS,
        volumeBackups: this.volumeBackups,
        offsite,
        servers: this.hosts.map((h) => ({
          hostname: h.hostname,
          bootVolume: h.bootVolume.nameInput!,
          bootVolumeGb: h.cluster.bootVolumeGb,
          waitSeconds: backupWaitSeconds(h.cluster.bootVolumeGb),
        })),
      }),
    });
    const unit = {
      policyId: id,
      scheduleDescription: this.schedule.description,
      scriptPath: this.scriptPath,
      // A run still going when the intervals it may span are over is stopped and reported as failed:
      // whole intervals, not the estimate, so a server added to the policy does not change the unit.
      timeoutSeconds: runIntervals * this.schedule.intervalHours * 3600,
      onCalendar: this.schedule.onCalendar,
      randomizedDelaySeconds: BACKUP_RANDOMIZED_DELAY_SECONDS,
    };
    cc.addFile({ path: `/etc/systemd/system/${unitBase}.service`, content: renderBackupService(unit), syntax: ConfigSyntax.SYSTEMD_UNIT });
    cc.addFile({ path: `/etc/systemd/system/${this.timerName}`, content: renderBackupTimer(unit), syntax: ConfigSyntax.SYSTEMD_UNIT });
    cc.addServices(this.timerName);

    for (const host of this.hosts) {
      const gb = host.cluster.bootVolumeGb;
      const volumeType = host.bootVolume.volumeTypeInput;
      const runbook = renderRestoreRunbook({
        policyId: id,
        scheduleDescription: this.schedule.description,
        rotation: this.rotation,
        cloud: BACKUP_CLOUD_NAME,
        runnerHost: backup.runnerHost.hostname,
        hostname: host.hostname,
        serverPath: host.node.path,
        address: host.address,
        portName: host.port.resource.nameInput!,
        serverGroupName: host.cluster.serverGroup.nameInput!,
        flavorName: host.flavor.name,
        bootVolume: host.bootVolume.nameInput!,
        bootVolumeGb: gb,
        volumeTypeOption: volumeType ? `--type ${volumeType} ` : '',
        serverAddress: `openstack_compute_instance_v2.${host.resource.friendlyUniqueId}`,
        volumeAddress: `openstack_blockstorage_volume_v3.${host.bootVolume.friendlyUniqueId}`,
        stateful: host.cluster.stateful,
        rtoMinutes: this.rtoMinutes,
        snapshotRestoreMinutes: estimateSnapshotRestoreMinutes(gb),
        volumeBackupRestoreMinutes: this.volumeBackups ? estimateVolumeBackupRestoreMinutes(gb) : undefined,
        offsiteRestoreMinutes: this.offsiteCopy ? estimateOffsiteRestoreMinutes(gb) : undefined,
        offsite,
      });
      this.runbooks.set(host.hostname, runbook);
    }
    cc.addFile({ path: this.runbookPath, content: [...this.runbooks.values()].join('\n---\n\n') });
    for (const c of clusters) c.addBackupPolicy(this.node.path);
  }

  /** Where the runner keeps the policy's runbooks: every covered host's, one after the other. */
  public get runbookPath(): string {
    return `${RESTORE_RUNBOOK_DIR}/${this.node.id}.md`;
  }

  /** The restore runbook (Markdown) of a covered host. */
  public restoreProcedure(hostname: string): string {
    const runbook = this.runbooks.get(hostname);
    if (runbook === undefined) {
      throw new HostingStacksError(this, 'hostname', hostname, `is not covered by this policy; it covers ${[...this.runbooks.keys()].join(', ')}`);
    }
    return runbook;
  }
}

/**
 * OVHcloud's object storage region of a compute region: the letters before the number (`GRA11` ->
 * `GRA`, `SBG7` -> `SBG`); 3-AZ regions (`EU-WEST-PAR`) keep their name.
 */
export function objectStorageRegionOf(computeRegion: string): string {
  return /^[A-Z]+-[A-Z]+-[A-Z]+$/.test(computeRegion) ? computeRegion : computeRegion.replace(/(?:-[A-Z]|\d+)$/, '');
}

/**
 * The off-site object storage region for servers in a given object storage region: another site,
 * far enough that one incident does not take both (Gravelines and Strasbourg are 500 km apart;
 * Paris's three zones are within one metropolitan area, so their copy goes to Gravelines).
 */
export const OFFSITE_REGION_PAIRS: Readonly<Record<string, string>> = {
  GRA: 'SBG', SBG: 'GRA', RBX: 'SBG', DE: 'GRA', UK: 'GRA', WAW: 'DE', BHS: 'GRA', 'EU-WEST-PAR': 'GRA',
};

function defaultOffsiteRegion(scope: Construct, computeRegion: string): string {
  const storage = objectStorageRegionOf(computeRegion);
  const other = OFFSITE_REGION_PAIRS[storage];
  if (!other) {
    throw new HostingStacksError(scope, 'offsiteRegion', undefined,
      `must be given: no default off-site object storage region is known for region '${computeRegion}' (known: ${Object.keys(OFFSITE_REGION_PAIRS).join(', ')})`);
  }
  return other;
}

/** An object storage region: OVHcloud's are short (`GRA`, `SBG`); a compute region name (`GRA11`) fails at apply. */
function requireObjectStorageRegion(scope: Construct, prop: string, region: string): string {
  requireRegion(scope, prop, region);
  if (/^[A-Z]+\d+$/.test(region)) {
    throw new HostingStacksError(scope, prop, region, `must be an object storage region such as '${objectStorageRegionOf(region)}': OVHcloud's object storage regions are GRA, SBG, ..., not compute regions such as GRA11`);
  }
  return region;
}

function requireRegion(scope: Construct, prop: string, region: string): string {
  return requireText(scope, prop, region, TextKind.NAME, { pattern: /^[A-Za-z][A-Za-z0-9-]{1,31}$/, allowed: "must be an OpenStack region name such as 'GRA11'" });
}
