import { renderTemplate } from '../config/template';
import { HostingStacksError } from '../core/errors';

/** TCP port of NFSv4: the only port an NFSv4 server needs open (no rpcbind, mountd or statd). */
export const NFS4_PORT = 2049;

/**
 * Export options of every client entry: read-write, writes committed before the reply (`sync`),
 * no subtree checking (files renamed while open stay reachable) and remote root mapped to nobody.
 */
export const NFS_EXPORT_OPTIONS = ['rw', 'sync', 'no_subtree_check', 'root_squash'] as const;

/**
 * Mount options of every client: the mount waits for the network (`_netdev`), does not block boot
 * (`nofail`), retries I/O forever instead of returning errors to the web server (`hard`), skips
 * access-time writes (`noatime`) and speaks NFS 4.2.
 */
export const NFS_MOUNT_OPTIONS = ['_netdev', 'nofail', 'hard', 'noatime', 'vers=4.2'] as const;

/** One client entry of an export: a network and its options. */
export interface NfsExportClient {
  /** IPv4 CIDR of the client network. */
  readonly cidr: string;
  /** Options, e.g. `['rw', 'sync', 'no_subtree_check', 'root_squash']`. */
  readonly options: readonly string[];
}

/** One exported folder. */
export interface NfsExport {
  /** Absolute path of the folder on the server. */
  readonly path: string;
  /** The networks allowed to mount it. */
  readonly clients: readonly NfsExportClient[];
}

/** What `/etc/exports` holds. */
export interface NfsExportsModel {
  /** Host name, for the header comment. */
  readonly hostname: string;
  /** The exported folders. */
  readonly exports: readonly NfsExport[];
}

/** Renders `/etc/exports`: one line per folder with one `cidr(options)` entry per client network. Pure. */
export function renderNfsExports(model: NfsExportsModel): string {
  return renderTemplate('exports.hbs', {
    hostname: model.hostname,
    exports: model.exports.map((e) => ({ path: e.path, clients: e.clients.map((c) => ({ cidr: c.cidr, options: c.options.join(',') })) })),
  });
}

/** What `/etc/nfs.conf.d/<file>` of an NFSv4-only server holds. */
export interface NfsServerConfModel {
  /** File name under `/etc/nfs.conf.d/`, for the header comment. */
  readonly fileName: string;
  /** TCP port of nfsd. */
  readonly port: number;
  /** nfsd kernel threads. */
  readonly threads: number;
}

/** Renders an `nfs.conf` drop-in that turns NFSv2/v3 and UDP off and fixes nfsd's port and threads. Pure. */
export function renderNfsServerConf(model: NfsServerConfModel): string {
  return renderTemplate('nfs-server.conf.hbs', model);
}

/** The systemd `.mount` unit of one NFS mount. */
export interface NfsMountUnitModel {
  /** What is mounted, `server:/path`; may be a Terraform reference resolved at apply. */
  readonly what: string;
  /** Mount point. */
  readonly where: string;
  /** Mount options, comma-joined into `Options=`. */
  readonly options: readonly string[];
  /** Seconds systemd waits for the mount before giving up (the next access retries). */
  readonly timeoutSeconds: number;
  /** Name of the share, for the description. */
  readonly share: string;
}

/** Renders the `.mount` unit of an NFS mount; it is started by its `.automount` unit. Pure. */
export function renderNfsMountUnit(model: NfsMountUnitModel): string {
  return renderTemplate('nfs-mount.mount.hbs', {
    what: model.what,
    where: model.where,
    options: model.options.join(','),
    timeoutSeconds: model.timeoutSeconds,
    share: model.share,
    automountUnit: systemdUnitNameForPath(model.where, 'automount'),
  });
}

/** The systemd `.automount` unit of one NFS mount point. */
export interface NfsAutomountUnitModel {
  /** Mount point. */
  readonly where: string;
  /** Name of the share, for the description. */
  readonly share: string;
}

/** Renders the `.automount` unit that mounts the share on first access. Pure. */
export function renderNfsAutomountUnit(model: NfsAutomountUnitModel): string {
  return renderTemplate('nfs-mount.automount.hbs', { where: model.where, share: model.share, mountUnit: systemdUnitNameForPath(model.where, 'mount') });
}

/**
 * True for an absolute, normalised path: no empty, `.` or `..` segments and no trailing `/`
 * (other than `/` itself). systemd requires a mount unit's `Where=` to be in this form.
 */
export function isNormalizedAbsolutePath(path: string): boolean {
  if (path === '/') return true;
  if (!path.startsWith('/') || path.endsWith('/')) return false;
  return path.slice(1).split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/**
 * The name systemd gives a path's unit, as `systemd-escape --path --suffix=<suffix>` prints it:
 * `/var/www/static/media` becomes `var-www-static-media.mount`. Slashes become `-`; bytes other than
 * ASCII letters, digits, `:`, `_` and `.` (and a leading `.`) become `\xNN`. The path must be normalised.
 */
export function systemdUnitNameForPath(path: string, suffix: 'mount' | 'automount'): string {
  if (!isNormalizedAbsolutePath(path)) throw HostingStacksError.ofFactory('systemdUnitNameForPath', 'path', path, 'must be an absolute, normalised path');
  if (path === '/') return `-.${suffix}`;
  const bytes = Buffer.from(path.slice(1), 'utf8');
  let out = '';
  bytes.forEach((b, i) => {
    const c = String.fromCharCode(b);
    if (c === '/') out += '-';
    else if (/[A-Za-z0-9:_]/.test(c) || (c === '.' && i > 0)) out += c;
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  });
  return `${out}.${suffix}`;
}
