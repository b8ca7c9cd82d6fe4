/**
 * The Keystone access rules of the backup runner's application credential: exactly the API calls
 * its scripts make, so a stolen credential can do nothing else (no server, network or identity
 * call, no object read, update or delete).
 *
 * Keystone checks each request a service receives against the rules of the token's credential:
 * `service` is the service type the service's keystonemiddleware runs as (its catalog type),
 * `method` the HTTP method, `path` the request path without the query string, where `*` matches
 * one path segment and `**` any number of them. Cinder's paths hold the project id, Swift's the
 * `AUTH_<project>` account: both are `*`. Derived from what openstackclient 6 sends for each
 * command of `templates/backup-policy.sh.hbs` (`openstack --debug` shows the requests); version
 * discovery (`GET /` of each endpoint) is not authenticated and needs no rule.
 */

/** One Keystone access rule. */
export interface BackupAccessRule {
  /** Service type (`volumev3`, `image`, `object-store`). */
  readonly service: string;
  /** HTTP method. */
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Request path pattern. */
  readonly path: string;
}

/** What the runner's scripts do, which decides the calls they make. */
export interface BackupAccessModel {
  /** Some policy makes Cinder backups. */
  readonly volumeBackups: boolean;
  /** The off-site container, when some policy makes off-site copies. */
  readonly offsiteContainer?: string;
}

/** Cinder's service type on OVHcloud and in most catalogs. */
export const BLOCK_STORAGE_SERVICE = 'volumev3';
/** Glance's service type. */
export const IMAGE_SERVICE = 'image';
/** Swift's service type. */
export const OBJECT_STORE_SERVICE = 'object-store';

/** The rules for `model`, in a fixed order (snapshots, backups, export, off-site). Pure. */
export function backupAccessRules(model: BackupAccessModel): BackupAccessRule[] {
  const volume = (method: BackupAccessRule['method'], path: string): BackupAccessRule => ({ service: BLOCK_STORAGE_SERVICE, method, path: `/v3/*/${path}` });
  const rules: BackupAccessRule[] = [
    // `--volume <name>`: openstackclient looks the boot volume up by id (GET volumes/<name>, a 404),
    // then lists by name (GET volumes/detail?name=..., GET volumes?name=...).
    volume('GET', 'volumes'),
    volume('GET', 'volumes/*'),
    // volume snapshot create / show (status polls) / list (GET snapshots/detail?volume_id=...) / delete (rotation).
    volume('POST', 'snapshots'),
    volume('GET', 'snapshots/*'),
    volume('DELETE', 'snapshots/*'),
  ];
  if (model.volumeBackups) {
    // volume backup create / show / list (GET backups/detail?volume_id=...) / delete (chains older than the previous one).
    rules.push(volume('POST', 'backups'), volume('GET', 'backups/*'), volume('DELETE', 'backups/*'));
  }
  if (model.offsiteContainer !== undefined) {
    rules.push(
      // The export: a volume cloned from the snapshot (volume create, show), uploaded to Glance by
      // Cinder (image create --volume: POST volumes/<id>/action os-volume_upload_image), then removed.
      volume('POST', 'volumes'),
      volume('POST', 'volumes/*/action'),
      volume('DELETE', 'volumes/*'),
      // image show (status polls), image save (GET images/<id>/file), image delete of the temporary image.
      { service: IMAGE_SERVICE, method: 'GET', path: '/v2/images/*' },
      { service: IMAGE_SERVICE, method: 'GET', path: '/v2/images/*/file' },
      { service: IMAGE_SERVICE, method: 'DELETE', path: '/v2/images/*' },
      // Only PUT of new objects into the off-site container: no GET, POST (which could move
      // X-Delete-At) or DELETE, so this credential cannot read, shorten or destroy the copies.
      { service: OBJECT_STORE_SERVICE, method: 'PUT', path: `/v1/*/${model.offsiteContainer}/**` },
    );
  }
  return rules;
}
