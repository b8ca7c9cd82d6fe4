import { renderTemplate } from '../config/template';
import { MariadbConnectionLimits } from './mariadb-config';

/**
 * Renders the files of a MariaDB Galera member (Debian 12: MariaDB 10.11 with the `galera-4`
 * provider) and computes the cluster's sizing: gcache for IST, flow control for the node count and
 * the cross-site latency. Option names are Galera 4's `wsrep_provider_options`.
 */

/** Where Debian's `galera-4` package installs the provider. */
export const GALERA_PROVIDER_PATH = '/usr/lib/galera/libgalera_smm.so';

/** gcache's default (and smallest sensible) size in MB, and the step its size is rounded up to. */
export const GALERA_GCACHE_STEP_MB = 128;

/**
 * Headroom on the write-set volume kept in gcache: each write-set carries a header, gcache's ring
 * buffer cannot be filled to the last byte, and a peak hour is never the exact figure given.
 */
export const GALERA_GCACHE_HEADROOM = 1.25;

/** Largest share of the boot volume gcache may take (it is a preallocated file in the datadir, beside the data). */
export const GALERA_GCACHE_MAX_DISK_SHARE = 0.25;

/**
 * Seconds of peak write-sets a member may hold unapplied before it asks the cluster to pause
 * (flow control): long enough for a local stall (a checkpoint flush, an fsync burst) to pass without
 * slowing every site, short enough that a read on a lagging member is at most about a second old.
 */
export const GALERA_FC_SLACK_SECONDS = 1;

/** `gcs.fc_limit` is never set below Galera's default. */
export const GALERA_FC_MIN_LIMIT = 16;

/**
 * `gcs.fc_factor`: replication resumes when the queue falls to 80 % of the limit. Galera's default
 * (1.0) resumes as soon as one write-set is applied below the limit, so a member at the limit sends
 * a stop and a resume message (each a cross-site trip) for nearly every write-set.
 */
export const GALERA_FC_FACTOR = 0.8;

/**
 * The group-communication timeouts (`evs.*`), as ISO 8601 durations, Galera's defaults written out.
 * The sites are availability zones of one region, a few kilometres apart: their round trip is a
 * millisecond or two, a LAN for Galera, so the WAN values Galera suggests for distant datacenters
 * (suspect PT30S, inactive PT1M) are not needed, and they would cost: after a site is lost, the
 * others stop committing until they declare it gone (`suspect_timeout`). With 5 s, a lost site
 * stalls writes about 5 s, while a member is not evicted for jitter a thousand times its round trip.
 */
export const GALERA_EVS_TIMEOUTS = {
  /** How often a member sends a keepalive when it has nothing else to send. */
  keepalivePeriod: 'PT1S',
  /** Silence after which a member suspects another; evicted once all others suspect it too. */
  suspectTimeout: 'PT5S',
  /** Silence after which a member is declared gone whatever the others think. */
  inactiveTimeout: 'PT15S',
  /** How long a new membership may take to install. */
  installTimeout: 'PT7.5S',
} as const;

/** The gcache size and how it was reached. */
export interface GaleraGcacheSizing {
  /** Write-set volume at peak, MB per hour. */
  readonly writeMbPerHour: number;
  /** Hours a member may be away and still rejoin by IST. */
  readonly istWindowHours: number;
  /** {@link GALERA_GCACHE_HEADROOM}. */
  readonly headroom: number;
  /** `gcache.size` in MB. */
  readonly sizeMb: number;
}

/**
 * `gcache.size` holding `istWindowHours` of write-sets at `writeMbPerHour`, with
 * {@link GALERA_GCACHE_HEADROOM}, rounded up to {@link GALERA_GCACHE_STEP_MB}, at least one step:
 * `ceil(writeMbPerHour x istWindowHours x 1.25 / 128) x 128`. 400 MB/h over 6 h gives 3,072 MB.
 * A member away longer (or whose donor's gcache no longer holds its last write-set) gets a full SST.
 */
export function galeraGcacheSizing(writeMbPerHour: number, istWindowHours: number): GaleraGcacheSizing {
  const mb = writeMbPerHour * istWindowHours * GALERA_GCACHE_HEADROOM;
  const sizeMb = Math.max(GALERA_GCACHE_STEP_MB, Math.ceil(mb / GALERA_GCACHE_STEP_MB) * GALERA_GCACHE_STEP_MB);
  return { writeMbPerHour, istWindowHours, headroom: GALERA_GCACHE_HEADROOM, sizeMb };
}

/** Flow control and how it was reached. */
export interface GaleraFlowControl {
  /** Members of the cluster. */
  readonly nodes: number;
  /** Write-sets (committed write transactions) per second at peak, the whole cluster. */
  readonly peakWritesPerSecond: number;
  /** Round trip between sites, ms. */
  readonly crossSiteRttMs: number;
  /** {@link GALERA_FC_SLACK_SECONDS}. */
  readonly slackSeconds: number;
  /** Write-sets a member may hold unapplied: `ceil(peak x (slack + rtt))`. */
  readonly queue: number;
  /** `gcs.fc_limit`: `max(16, ceil(queue / sqrt(nodes)))`. */
  readonly fcLimit: number;
  /** `gcs.fc_factor`. */
  readonly fcFactor: number;
  /** The limit Galera applies in a multi-primary cluster: `fcLimit x sqrt(nodes)`. */
  readonly effectiveLimit: number;
}

/**
 * Flow control for `nodes` members taking `peakWritesPerSecond` write-sets at peak across sites
 * `crossSiteRttMs` apart. A member pauses the whole cluster when more write-sets wait in its receive
 * queue than the limit; it should not for one second of peak writes (a local stall,
 * {@link GALERA_FC_SLACK_SECONDS}) plus what arrives while its stop message crosses to the other
 * sites (one round trip): `queue = ceil(peak x (1 s + rtt))`. In a multi-primary cluster
 * (`gcs.fc_single_primary=NO`, the default) Galera multiplies `gcs.fc_limit` by the square root of
 * the cluster size, so the limit written is `max(16, ceil(queue / sqrt(nodes)))`. With hysteresis
 * {@link GALERA_FC_FACTOR}.
 */
export function galeraFlowControl(nodes: number, peakWritesPerSecond: number, crossSiteRttMs: number): GaleraFlowControl {
  const queue = Math.ceil(peakWritesPerSecond * (GALERA_FC_SLACK_SECONDS + crossSiteRttMs / 1000));
  const fcLimit = Math.max(GALERA_FC_MIN_LIMIT, Math.ceil(queue / Math.sqrt(nodes)));
  return {
    nodes,
    peakWritesPerSecond,
    crossSiteRttMs,
    slackSeconds: GALERA_FC_SLACK_SECONDS,
    queue,
    fcLimit,
    fcFactor: GALERA_FC_FACTOR,
    effectiveLimit: Math.floor(fcLimit * Math.sqrt(nodes)),
  };
}

/** The option file of one Galera member. */
export interface GaleraConfigModel {
  /** `wsrep_cluster_name`, the same on every member. */
  readonly clusterName: string;
  /** `wsrep_node_name`: the host name. */
  readonly nodeName: string;
  /** Short name of the member's site. */
  readonly siteName: string;
  /** `gmcast.segment`: the site's index (0 to 255). */
  readonly segment: number;
  /** `bind-address`: the member's planned address, where the applications connect. */
  readonly bindAddress: string;
  /** `wsrep_node_address`: where the other members reach it (its interconnect address between regions, else `bindAddress`). */
  readonly nodeAddress: string;
  /** TCP port of clients. */
  readonly port: number;
  /** Every member's address, all sites, in the same order on every member. */
  readonly memberAddresses: readonly string[];
  /**
   * `wsrep_sst_donor`: the members this one takes a full state transfer from first, by node name
   * (any other after them); empty on the bootstrap member, which never joins by SST at first boot.
   */
  readonly sstDonors: readonly string[];
  /** `wsrep_provider`. */
  readonly providerPath: string;
  /** `wsrep_slave_threads`. */
  readonly applierThreads: number;
  /** `innodb_buffer_pool_size` in MB. */
  readonly bufferPoolMb: number;
  /** `max_connections` and what follows from it. */
  readonly connections: MariadbConnectionLimits;
  /** `gcache.size`. */
  readonly gcache: GaleraGcacheSizing;
  /** `gcs.fc_limit`, `gcs.fc_factor`. */
  readonly flowControl: GaleraFlowControl;
  /** `evs.*`. */
  readonly evs: typeof GALERA_EVS_TIMEOUTS;
}

/** Renders `/etc/mysql/mariadb.conf.d/60-galera.cnf` for one member. */
export function renderGaleraConfig(model: GaleraConfigModel): string {
  return renderTemplate('galera.cnf.hbs', model);
}

/** What {@link renderGaleraInitScript} renders. */
export interface GaleraInitModel {
  /** The local server's unix socket (root logs in by unix_socket). */
  readonly socket: string;
  /** Seconds to wait until the member is Primary and Synced. */
  readonly waitSeconds: number;
  /** True on the node that bootstrapped the cluster: it creates the schema and accounts. */
  readonly bootstrap: boolean;
  /** Schema to create (bootstrap node). */
  readonly databaseName: string;
  /** Application account (bootstrap node). */
  readonly applicationUser: string;
  /** Its account host, `%` or `network/netmask`. */
  readonly applicationHost: string;
  /** Root-only file holding the application password. */
  readonly applicationPasswordFile: string;
  /** The health check's account (unix_socket, no privilege). */
  readonly healthAccount: string;
}

/** The script that waits for the member to be Primary and Synced and, on the bootstrap node, creates the schema and accounts. */
export function renderGaleraInitScript(model: GaleraInitModel): string {
  return renderTemplate('galera-init.sh.hbs', model);
}

/** What {@link renderGaleraStartScript} renders. */
export interface GaleraStartModel {
  /** True on the one node that bootstraps the cluster. */
  readonly bootstrap: boolean;
  /** The marker written once the cluster was bootstrapped from this node. */
  readonly markerPath: string;
  /** The mariadb.service drop-in that makes a member retry. */
  readonly dropInPath: string;
  /** The init script it hands over to. */
  readonly initPath: string;
}

/** The first-boot script: stop the standalone server the package started, start as bootstrap or member, then the init script. */
export function renderGaleraStartScript(model: GaleraStartModel): string {
  return renderTemplate('galera-start.sh.hbs', model);
}

/** The `mariadb.service` drop-in: restart on failure every `restartSeconds`, no start limit, no start timeout. */
export function renderGaleraServiceDropIn(restartSeconds: number): string {
  return renderTemplate('galera-mariadb.conf.hbs', { restartSeconds });
}

/** What {@link renderGaleraHealthScript} renders. */
export interface GaleraHealthModel {
  /** The local server's unix socket. */
  readonly socket: string;
  /** The account (unix_socket) the check logs in as: the OS user it runs as. */
  readonly account: string;
  /** The path that answers. */
  readonly path: string;
  /** Seconds the status query may take. */
  readonly queryTimeoutSeconds: number;
}

/** The health check: HTTP/1.0 on stdin/stdout, 200 when ready, Primary and Synced (or Donor), 503 otherwise. */
export function renderGaleraHealthScript(model: GaleraHealthModel): string {
  return renderTemplate('galera-health.sh.hbs', model);
}
