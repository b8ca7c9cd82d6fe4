import { IArchitectureIntent, RedundancyKind, TierIntent } from '../core/architecture-intent';
import { Construct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor } from '../compute/flavor';
import { DataKind, IServerTier, ServerCluster, ServerGroupPolicy, ServerInstance } from '../compute/server-cluster';
import { Site } from '../compute/site';
import { Connections, IConnectable, ON_DEMAND_LISTENER_NOTE, Peer } from '../core/connections';
import { IMysqlDatabase, MysqlClientDemand } from '../core/endpoints';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { cidrContains, parseCidr, parseIpv4 } from '../core/ipv4';
import { declareDataKind, Kinds, optionalPeer, requireOptions, requirePeer, requireProps } from '../core/peers';
import { Port } from '../core/port';
import { Secret } from '../core/secret';
import { requireText, TextKind } from '../core/text';
import { IPrivateVSwitch } from '../network/private-vswitch';
import { SiteInterconnect } from '../network/site-interconnect';
import {
  GALERA_EVS_TIMEOUTS,
  GALERA_GCACHE_MAX_DISK_SHARE,
  GALERA_PROVIDER_PATH,
  GaleraConfigModel,
  galeraFlowControl,
  GaleraFlowControl,
  galeraGcacheSizing,
  GaleraGcacheSizing,
  renderGaleraConfig,
  renderGaleraHealthScript,
  renderGaleraInitScript,
  renderGaleraServiceDropIn,
  renderGaleraStartScript,
} from './galera-config';
import {
  bufferPoolMbForRam,
  DEBIAN_MARIADB_SOCKET,
  MARIADB_ADMIN_CONNECTIONS,
  MARIADB_CONF_DIR,
  MARIADB_CONNECTION_MB,
  MARIADB_RESERVED_MB,
  mariadbConnectionLimits,
  MariadbConnectionLimits,
  mariadbConnectionsForRam,
  mariadbHostForCidr,
} from './mariadb-config';
import {
  MARIADB_ROLE_CHECK_MAX_CONNECTIONS,
  MARIADB_ROLE_CHECK_PORT,
  MARIADB_ROLE_CHECK_QUERY_TIMEOUT_SECONDS,
  renderMariadbRoleCheckService,
  renderMariadbRoleCheckSocket,
  renderMariadbRoleCheckSysusers,
} from './mariadb-role-check';
import { BUFFER_POOL_FRACTION_RANGE, DEFAULT_BUFFER_POOL_FRACTION, MARIADB_SECRETS_DIR } from './mysql-replication';

/**
 * Quorum of a {@link GaleraCluster}, written down for the README and for operators.
 */
export const GALERA_QUORUM = `Quorum of a Galera cluster over three sites (or more), every member of equal weight (pc.weight=1):
- A member commits only while it belongs to the primary component: the group holding more than half
  of the weight of the last primary component.
- One site lost (power, network, a crash of its nodes): the other two hold 2/3 > 1/2 and stay
  primary; writes go on at every surviving site after a pause of about evs.suspect_timeout (5 s)
  while they evict the silent one. Only the lost site's share of the capacity is gone.
- One site cut off (a network partition): it holds 1/3 < 1/2, becomes non-primary and refuses reads
  and writes (wsrep_ready=OFF, the health check answers 503) rather than diverge; the two others stay
  primary. When the link is back it rejoins by IST (within its gcache window) or SST.
- Two sites lost at once: the last one holds 1/3 and stops too; no site can tell a partition from a
  failure, so none goes on alone. An operator who knows the others are dead may force it:
  SET GLOBAL wsrep_provider_options='pc.bootstrap=YES' on that one node.
- A graceful shutdown (systemctl stop) leaves the cluster: membership and the weight of the primary
  component are recomputed, so the members left keep quorum even if they were a minority of the
  original cluster. A crash or a partition does not: the missing members still count until evicted.
- Whole cluster down (every member stopped or crashed): no member starts a primary component by
  itself. Find the most advanced member (seqno in /var/lib/mysql/grastate.dat, or
  galera_recovery when it is -1), set safe_to_bootstrap: 1 in its grastate.dat if needed, run
  galera_new_cluster there only, then start the others with systemctl start mariadb.`;

/** Most members per site. */
export const GALERA_MAX_NODES_PER_SITE = 5;

/** Galera's segments are numbered 0 to 255: at most that many sites. */
export const GALERA_MAX_SITES = 16;

/** Where the Galera option file is written on each member (after Debian's 50-server.cnf and 60-galera.cnf of the package). */
export const GALERA_CONFIG_PATH = `${MARIADB_CONF_DIR}/61-hosting-stacks-galera.cnf`;

/** The first-boot script cloud-init runs once on each member. */
export const GALERA_START_PATH = '/usr/local/sbin/hosting-stacks-galera-start';

/** The script that waits for Primary and Synced, and on the bootstrap node creates the schema and accounts. */
export const GALERA_INIT_PATH = '/usr/local/sbin/hosting-stacks-galera-init';

/** The marker of the bootstrap node: the cluster was bootstrapped from it once. */
export const GALERA_BOOTSTRAP_MARKER = '/var/lib/hosting-stacks/galera-bootstrapped';

/** The drop-in making mariadb.service retry until a primary component is reachable. */
export const GALERA_SERVICE_DROP_IN = '/etc/systemd/system/mariadb.service.d/hosting-stacks-galera.conf';

/** Seconds between two starts of a member that found no primary component. */
export const GALERA_RESTART_SECONDS = 10;

/** Seconds the first boot waits for a member to be Primary and Synced (SST of a fresh member included). */
export const GALERA_SYNC_WAIT_SECONDS = 3600;

/** The health check's port: Percona's `clustercheck`, made for Galera, made it the custom. */
export const GALERA_HEALTH_PORT = MARIADB_ROLE_CHECK_PORT;

/** The health check's path. */
export const GALERA_HEALTH_PATH = '/health';

/** The OS user the health check runs as, and its MariaDB account (unix_socket, no privilege). */
export const GALERA_HEALTH_ACCOUNT = 'hs-galera';

/** The health check's script. */
export const GALERA_HEALTH_SCRIPT_PATH = '/usr/local/sbin/hosting-stacks-galera-health';

/** The socket unit of the health check. */
export const GALERA_HEALTH_SOCKET_UNIT = 'hosting-stacks-galera-health.socket';

/** The service template of the health check (one instance per connection). */
export const GALERA_HEALTH_SERVICE_UNIT = 'hosting-stacks-galera-health@.service';

/** The sysusers.d file creating {@link GALERA_HEALTH_ACCOUNT}. */
export const GALERA_HEALTH_SYSUSERS_PATH = '/etc/sysusers.d/hosting-stacks-galera-health.conf';

/** Default istWindowHours: a site down for a working day's maintenance rejoins by IST. */
export const DEFAULT_GALERA_IST_WINDOW_HOURS = 8;

/** Default crossSiteRttMs: the zones of a 3-AZ region are a few kilometres apart; measure with ping. */
export const DEFAULT_GALERA_CROSS_SITE_RTT_MS = 2;

/** The Galera ports between members: group communication, IST, SST. */
export const GALERA_MEMBER_PORTS = { gcomm: 4567, ist: 4568, sst: 4444 } as const;

const IDENTIFIER = /^[A-Za-z0-9_]{1,64}$/;
const ACCOUNT = /^[A-Za-z0-9_]{1,80}$/;

/** Props of {@link GaleraCluster}. */
export interface GaleraClusterProps {
  /**
   * The vSwitch the members are on, when the sites are zones of one region (the network spans
   * them). Give `siteVswitches` instead when the sites are regions of their own.
   * @default - none: required when the sites are zones of one region
   */
  readonly vswitch?: IPrivateVSwitch;
  /**
   * One vSwitch per site, in the order of `sites`, each made in its Site's scope: where the members
   * are when the sites are regions of their own (networks are regional). Needs `interconnect`.
   * @default - none: required when the sites are regions of their own
   */
  readonly siteVswitches?: readonly IPrivateVSwitch[];
  /**
   * The private link between sites that are regions of their own: each member gets a second NIC
   * on it, and replicates (group communication, IST, SST) over it only; the sites' security
   * groups admit the other sites' members by their addresses there.
   * @default - none: required when the sites are regions of their own
   */
  readonly interconnect?: SiteInterconnect;
  /**
   * The sites, 3 or more, distinct: each is a Galera segment holding the same number of members.
   * Three because quorum is a strict majority: with two sites, losing either (or the link) leaves
   * half, which is not a majority, and the whole cluster stops; with three, any one may go.
   */
  readonly sites: readonly Site[];
  /** Members in each site, 1 to 5, the same in every site (equal weight per site). @default 1 */
  readonly nodesPerSite?: number;
  /** Flavor of every member. */
  readonly flavor: Flavor;
  /** Schema the application uses (letters, digits, `_`). */
  readonly databaseName: string;
  /** The application's account (letters, digits, `_`). @default 'app' */
  readonly applicationUser?: string;
  /** The application's password. A Secret made by Secret.variable only. @default Secret.variable(this, 'galera_app_password', ...) */
  readonly applicationPassword?: Secret;
  /** Where the application account may log in from (IPv4 CIDR); security groups still decide who reaches the port. @default - any host ('%') */
  readonly applicationClientCidr?: string;
  /** Share of each member's RAM for the InnoDB buffer pool, 0.1 to 0.8. @default 0.6 */
  readonly bufferPoolFraction?: number;
  /** TCP port of clients. @default 3306 */
  readonly port?: number;
  /**
   * `max_connections` of each member, 10 to 10000; at least what the clients declare.
   * @default - derived at synth: every client declared (`addClient`, on the cluster or a site's endpoint), plus MARIADB_ADMIN_CONNECTIONS (10)
   */
  readonly maxConnections?: number;
  /** Write-set volume of the whole cluster at peak, MB per hour (binary-log size of an hour's writes), 1 to 1,000,000. */
  readonly writeMbPerHour: number;
  /** Hours a member (a site) may be away and still rejoin by IST rather than a full SST, 1 to 168. @default 8 */
  readonly istWindowHours?: number;
  /** Write transactions per second at peak, whole cluster, 1 to 100,000 (sizes flow control). */
  readonly peakWritesPerSecond: number;
  /** Round trip between sites in ms, 0.1 to 50. @default 2 */
  readonly crossSiteRttMs?: number;
  /** Boot volume size in GB (holds the data and gcache). @default - the flavor's sizing disk, else the flavor's disk */
  readonly bootVolumeGb?: number;
  /** Host name prefix; members are `<prefix>-<site>-<n>`. @default 'galera' */
  readonly hostnamePrefix?: string;
  /** `wsrep_cluster_name`. @default - the host name prefix */
  readonly clusterName?: string;
}

/**
 * What applications of one site connect to: that site's first member writes, the site's other
 * members read. Writes of a site stay in the site (no cross-site hop per query); certification
 * conflicts arise only between sites writing the same rows at once.
 */
export class GaleraSiteEndpoint implements IMysqlDatabase {
  /** The site's members' network intent (one security group for all members, unless the sites are regions of their own: then the site's). */
  public readonly connections: Connections;
  /** The site's first member. */
  public readonly writerAddress: string;
  /** The site's other members. */
  public readonly readerAddresses: readonly string[];
  /** TCP port. */
  public readonly port: number;
  /** The application's schema. */
  public readonly databaseName: string;
  /** The application's account. */
  public readonly applicationUser: string;
  /** The application's password. */
  public readonly applicationPassword: Secret;

  constructor(
    /** The cluster. */
    public readonly cluster: GaleraCluster,
    /** The site. */
    public readonly site: Site,
    members: readonly ServerInstance[],
    /** The site's members' network intent (the cluster's, unless the sites are regions of their own). */
    connections: Connections,
  ) {
    this.connections = connections;
    this.writerAddress = members[0].address;
    this.readerAddresses = members.slice(1).map((m) => m.address);
    this.port = cluster.port;
    this.databaseName = cluster.databaseName;
    this.applicationUser = cluster.applicationUser;
    this.applicationPassword = cluster.applicationPassword;
  }

  /** Declares a client of this site; counted in every member's `max_connections` (see {@link GaleraCluster.addClient}). */
  public addClient(demand: MysqlClientDemand): MysqlClientDemand {
    return this.cluster.addClient(demand);
  }
}

/** How a balancer or a monitor asks a Galera member whether it may take queries. */
export interface GaleraHealthCheck {
  /** TCP port on every member. */
  readonly port: number;
  /** Path answering 200 when the member is ready, Primary and Synced (or a Donor), 503 otherwise. */
  readonly path: string;
}

/**
 * A MariaDB Galera cluster spanning three sites or more (availability zones), active-active: every
 * member takes writes, each write-set is certified by all and committed everywhere, synchronously.
 * Debian 12 packages: `mariadb-server`, `galera-4`, `mariadb-backup` and `socat` (SST).
 *
 * Topology: one {@link ServerCluster} per site (`Servers-<site>`, in the site's zone, anti-affinity
 * inside the site), all members in one security group. Each site is a Galera segment
 * (`gmcast.segment` = the site's index), so a write-set crosses to another site once and is relayed
 * inside it. Quorum: see {@link GALERA_QUORUM}.
 *
 * SST by mariabackup, not rsync: an rsync donor holds a global read lock for the whole copy, so with
 * one member per site a joining site would freeze the donor's site; a mariabackup donor keeps
 * serving (it blocks commits only for the final moment of the backup). The SST logs in as the
 * `mysql` OS user the SST script runs as, by unix_socket (`wsrep_sst_auth = mysql:`;
 * `mariadb-install-db` makes that account): no SST password exists, so none can leak.
 *
 * Boot order (every member boots at once): Debian's postinst starts a standalone mariadbd at
 * package install, before cloud-init writes the Galera option file (files are written after the
 * packages), so it is harmless; {@link GALERA_START_PATH} stops it. The first member of the first
 * site runs `galera_new_cluster` on its first boot only (marker {@link GALERA_BOOTSTRAP_MARKER}: a
 * server re-created on the same boot volume does not bootstrap a second primary component); the
 * others start mariadb.service, which a drop-in restarts every 10 s without start limit until it
 * finds the primary component, then they receive the data by SST. Each waits (up to an hour) until
 * it is Primary and Synced before cloud-init reports the server ready; the bootstrap member then
 * creates the schema and the application account, which replicate. Recovery when every member went
 * down: see {@link GALERA_QUORUM} (`safe_to_bootstrap`).
 *
 * Sizing: `gcache.size` from `writeMbPerHour x istWindowHours` ({@link galeraGcacheSizing}); flow
 * control from `peakWritesPerSecond`, the member count and `crossSiteRttMs`
 * ({@link galeraFlowControl}); evs timeouts {@link GALERA_EVS_TIMEOUTS}. The rendered option file
 * writes each sum out.
 *
 * Every member answers a health check ({@link GaleraCluster.allowHealthChecksFrom}). Applications
 * take {@link GaleraCluster.endpointFor} their site; the cluster itself is an IMysqlDatabase whose
 * writer is the first site's first member. Its default child is that member's server.
 */
export class GaleraCluster extends Construct implements IArchitectureIntent, IMysqlDatabase, IServerTier {
  /** A majority of the members must be up. (architecture notes) */
  public readonly architectureIntent: TierIntent = { redundancy: RedundancyKind.QUORUM };
  /** The kind of data it serves (the data-isolation rule keeps it out of the DMZ). */
  public readonly dataKind: DataKind = 'MySQL database';
  /**
   * The members' network intent: one security group for every site when the sites are zones of one
   * region; when they are regions of their own, the first site's (each site's is its
   * {@link GaleraSiteEndpoint.connections}, from {@link endpointFor}).
   */
  public readonly connections: Connections;
  /** The first site's servers (what IServerTier names; every site's are in {@link siteClusters}). */
  public readonly cluster: ServerCluster;
  /** One server cluster per site, in the order of `sites`. */
  public readonly siteClusters: readonly ServerCluster[];
  /** The sites, in order; a site's index is its `gmcast.segment`. */
  public readonly sites: readonly Site[];
  /** Members per site. */
  public readonly nodesPerSite: number;
  /** Every member, site by site. */
  public readonly members: readonly ServerInstance[];
  /** The member that bootstraps the cluster: the first site's first. */
  public readonly bootstrapMember: ServerInstance;
  /** Address of the first site's first member. */
  public readonly writerAddress: string;
  /** Every other member's address. */
  public readonly readerAddresses: readonly string[];
  /** Host names of the members, in the order of `writerAddress` then `readerAddresses`. */
  public readonly memberHostnames: readonly string[];
  /** TCP port of clients. */
  public readonly port: number;
  /** The application's schema. */
  public readonly databaseName: string;
  /** The application's account. */
  public readonly applicationUser: string;
  /** The application's password. */
  public readonly applicationPassword: Secret;
  /** Account host of the application user (`%` or `network/netmask`). */
  public readonly applicationHost: string;
  /** Where the application account may log in from, when limited. */
  public readonly applicationClientCidr?: string;
  /** `wsrep_cluster_name`. */
  public readonly clusterName: string;
  /** InnoDB buffer pool of each member, MB. */
  public readonly bufferPoolMb: number;
  /** Share of RAM the buffer pool was sized from. */
  public readonly bufferPoolFraction: number;
  /** `gcache.size` and how it was reached. */
  public readonly gcache: GaleraGcacheSizing;
  /** `gcs.fc_limit`, `gcs.fc_factor` and how they were reached. */
  public readonly flowControl: GaleraFlowControl;
  private readonly clients: MysqlClientDemand[] = [];
  private readonly endpoints = new Map<Site, GaleraSiteEndpoint>();
  private readonly givenMaxConnections?: number;
  private readonly connectionsForRam: number;

  constructor(scope: Construct, id: string, props: GaleraClusterProps) {
    super(scope, id);
    declareDataKind(this, this.dataKind);
    requireProps(this, props);
    requirePeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    optionalPeer(this, 'applicationPassword', props.applicationPassword, Kinds.SECRET);
    this.sites = this.requireSites(props.sites);
    const regional = this.sites.some((site) => site.region !== undefined);
    const vswitches = this.requireVswitches(props, regional);
    this.nodesPerSite = props.nodesPerSite ?? 1;
    requireIntegerInRange(this, 'nodesPerSite', this.nodesPerSite, 1, GALERA_MAX_NODES_PER_SITE);
    this.port = props.port ?? 3306;
    requireIntegerInRange(this, 'port', this.port, 1, 65535);
    if (Object.values(GALERA_MEMBER_PORTS).includes(this.port as never) || this.port === GALERA_HEALTH_PORT) {
      throw new HostingStacksError(this, 'port', this.port, `must differ from Galera's member ports (${Object.values(GALERA_MEMBER_PORTS).join(', ')}) and the health check's (${GALERA_HEALTH_PORT})`);
    }
    if (props.maxConnections !== undefined) requireIntegerInRange(this, 'maxConnections', props.maxConnections, 10, 10000);
    this.givenMaxConnections = props.maxConnections;
    this.bufferPoolFraction = props.bufferPoolFraction ?? DEFAULT_BUFFER_POOL_FRACTION;
    const { min, max } = BUFFER_POOL_FRACTION_RANGE;
    if (!Number.isFinite(this.bufferPoolFraction) || this.bufferPoolFraction < min || this.bufferPoolFraction > max) {
      throw new HostingStacksError(this, 'bufferPoolFraction', this.bufferPoolFraction, `must be a share of RAM from ${min} to ${max}`);
    }
    requireNumberInRange(this, 'writeMbPerHour', props.writeMbPerHour, 1, 1_000_000, 'MB of write-sets per hour at peak');
    const istWindowHours = props.istWindowHours ?? DEFAULT_GALERA_IST_WINDOW_HOURS;
    requireNumberInRange(this, 'istWindowHours', istWindowHours, 1, 168, 'hours');
    requireNumberInRange(this, 'peakWritesPerSecond', props.peakWritesPerSecond, 1, 100_000, 'write transactions per second at peak');
    const rtt = props.crossSiteRttMs ?? DEFAULT_GALERA_CROSS_SITE_RTT_MS;
    requireNumberInRange(this, 'crossSiteRttMs', rtt, 0.1, 50, 'ms; beyond 50 ms the sites are too far apart for synchronous commits');
    this.databaseName = requireText(this, 'databaseName', props.databaseName, TextKind.WORD, { pattern: IDENTIFIER, allowed: 'must be 1 to 64 letters, digits or underscores' });
    this.applicationUser = requireText(this, 'applicationUser', props.applicationUser ?? 'app', TextKind.WORD, { pattern: ACCOUNT, allowed: 'must be 1 to 80 letters, digits or underscores' });
    if (props.applicationClientCidr !== undefined) {
      const host = mariadbHostForCidr(props.applicationClientCidr);
      if (!host) throw new HostingStacksError(this, 'applicationClientCidr', props.applicationClientCidr, "must be an IPv4 CIDR with no host bits set, e.g. '10.0.1.0/24'");
      this.applicationHost = host;
      this.applicationClientCidr = props.applicationClientCidr;
    } else {
      this.applicationHost = '%';
    }
    const prefix = props.hostnamePrefix ?? 'galera';
    requireText(this, 'hostnamePrefix', prefix, TextKind.NAME, {
      pattern: /^[a-z][a-z0-9-]{0,30}$/,
      allowed: 'must be lower-case letters, digits and dashes, starting with a letter (at most 31 characters)',
    });
    this.clusterName = requireText(this, 'clusterName', props.clusterName ?? prefix, TextKind.NAME, {
      pattern: /^[A-Za-z0-9_-]{1,32}$/,
      allowed: "must be 1 to 32 letters, digits, '_' or '-'",
    });
    const nodes = this.sites.length * this.nodesPerSite;
    this.gcache = galeraGcacheSizing(props.writeMbPerHour, istWindowHours);
    this.flowControl = galeraFlowControl(nodes, props.peakWritesPerSecond, rtt);
    const flavor = props.flavor.resolve(this);
    const bootGb = props.bootVolumeGb ?? flavor.sizing?.diskGb ?? flavor.diskGb;
    const gcacheRoomMb = Math.floor(bootGb * 1024 * GALERA_GCACHE_MAX_DISK_SHARE);
    if (this.gcache.sizeMb > gcacheRoomMb) {
      throw new HostingStacksError(this, 'istWindowHours', istWindowHours,
        `needs a gcache of ${this.gcache.sizeMb} MB (${props.writeMbPerHour} MB/h x ${istWindowHours} h x ${this.gcache.headroom}), more than ${GALERA_GCACHE_MAX_DISK_SHARE * 100} % of the ${bootGb} GB boot volume (${gcacheRoomMb} MB); give a shorter window or a larger bootVolumeGb`);
    }
    this.bufferPoolMb = bufferPoolMbForRam(flavor.ramGb, this.bufferPoolFraction);
    this.connectionsForRam = mariadbConnectionsForRam(flavor.ramGb, this.bufferPoolMb);
    this.requireConnectionsFitRam(flavor.name, flavor.ramGb);

    // Validated: from here on, resources.
    this.applicationPassword = props.applicationPassword
      ?? Secret.variable(this, 'galera_app_password', 'Password of the application account of the MariaDB Galera cluster');
    const memberPorts: readonly [number, string][] = [
      [GALERA_MEMBER_PORTS.gcomm, 'Galera group communication between members'],
      // A joining member listens on these only while it receives a state transfer.
      [GALERA_MEMBER_PORTS.ist, `Galera IST between members (${ON_DEMAND_LISTENER_NOTE}: while a member joins)`],
      [GALERA_MEMBER_PORTS.sst, `Galera SST (mariabackup) between members (${ON_DEMAND_LISTENER_NOTE}: while a member joins)`],
    ];
    // Zones of one region: one security group for every member, one network. Regions of their own:
    // each site's members are made in its scope (its provider, its security group), with a second
    // NIC on the interconnect; security groups are regional, so a site admits the other sites'
    // members by their interconnect addresses.
    const shared = regional ? undefined : new Connections(this, 'Connections');
    this.siteClusters = this.sites.map((site, i) => new ServerCluster(regional ? site : this, regional ? this.node.id : `Servers-${site.siteName}`, {
      vswitch: vswitches[i],
      count: this.nodesPerSite,
      flavor: props.flavor,
      bootVolumeGb: props.bootVolumeGb,
      hostnamePrefix: `${prefix}-${site.siteName}`,
      placement: ServerGroupPolicy.ANTI_AFFINITY,
      connections: shared,
      site,
      interconnect: regional ? props.interconnect : undefined,
      stateful: true,
    }));
    if (shared) {
      this.connections = shared;
      for (const [port, why] of memberPorts) shared.allowInternally(Port.tcp(port), why);
    } else {
      this.connections = this.siteClusters[0].connections;
      this.siteClusters.forEach((cluster, i) => {
        for (const [port, why] of memberPorts) {
          if (this.nodesPerSite > 1) cluster.connections.allowInternally(Port.tcp(port), why);
          this.siteClusters.forEach((other, j) => {
            if (j === i) return;
            for (const m of other.instances) cluster.connections.allowFrom(Peer.ipv4(`${m.interconnectAddress}/32`), Port.tcp(port), `${why}: ${m.hostname} of site ${this.sites[j].siteName}, over the interconnect`);
          });
        }
      });
    }
    this.cluster = this.siteClusters[0];
    this.members = this.siteClusters.flatMap((c) => c.instances);
    this.bootstrapMember = this.members[0];
    this.node.defaultChild = this.bootstrapMember.resource;
    this.writerAddress = this.bootstrapMember.address;
    this.readerAddresses = this.members.slice(1).map((m) => m.address);
    this.memberHostnames = this.members.map((m) => m.hostname);
    this.sites.forEach((site, i) => this.endpoints.set(site, new GaleraSiteEndpoint(this, site, this.siteClusters[i].instances, this.siteClusters[i].connections)));

    const appPasswordFile = `${MARIADB_SECRETS_DIR}/app.password`;
    this.siteClusters.forEach((siteCluster, segment) => siteCluster.instances.forEach((host) => {
      const bootstrap = host === this.bootstrapMember;
      const cc = host.cloudConfig;
      cc.addPackages('mariadb-server', 'mariadb-client', 'galera-4', 'mariadb-backup', 'socat');
      // Rendered at synth: the clients declare themselves after the database is made.
      cc.addLazyFile(GALERA_CONFIG_PATH, ConfigSyntax.MARIADB, () => renderGaleraConfig(this.configModel(host, this.sites[segment], segment, flavor.vcpus)));
      cc.addFile({ path: GALERA_SERVICE_DROP_IN, content: renderGaleraServiceDropIn(GALERA_RESTART_SECONDS), syntax: ConfigSyntax.SYSTEMD_UNIT });
      if (bootstrap) cc.addFile({ path: appPasswordFile, content: `${this.applicationPassword.value}\n`, permissions: '0600' });
      cc.addFile({
        path: GALERA_INIT_PATH,
        permissions: '0700',
        syntax: ConfigSyntax.SHELL,
        content: renderGaleraInitScript({
          socket: DEBIAN_MARIADB_SOCKET,
          waitSeconds: GALERA_SYNC_WAIT_SECONDS,
          bootstrap,
          databaseName: this.databaseName,
          applicationUser: this.applicationUser,
          applicationHost: this.applicationHost,
          applicationPasswordFile: appPasswordFile,
          healthAccount: GALERA_HEALTH_ACCOUNT,
        }),
      });
      cc.addFile({
        path: GALERA_START_PATH,
        permissions: '0700',
        syntax: ConfigSyntax.SHELL,
        content: renderGaleraStartScript({ bootstrap, markerPath: GALERA_BOOTSTRAP_MARKER, dropInPath: GALERA_SERVICE_DROP_IN, initPath: GALERA_INIT_PATH }),
      });
      this.addHealthCheck(host);
      // Not a service of the cloud-config: a restart there would start a member before it knows
      // whether it bootstraps; the start script does it.
      cc.addCommand(GALERA_START_PATH);
    }));
  }

  /** The endpoint of `site`'s applications: its first member writes, its others read. */
  public endpointFor(site: Site): GaleraSiteEndpoint {
    const endpoint = this.endpoints.get(site);
    if (!endpoint) {
      throw new HostingStacksError(this, 'site', Site.isSite(site) ? site.node.path : site, `must be one of the cluster's sites (${this.sites.map((s) => s.node.path).join(', ')})`);
    }
    return endpoint;
  }

  /**
   * Lets `peer` (a balancer, a monitoring server) ask every member's health over HTTP, and returns
   * how: `GET /health` on port 9200 answers 200 while the member is ready, in the Primary component
   * and Synced (or a mariabackup Donor, which keeps serving), 503 otherwise.
   */
  public allowHealthChecksFrom(peer: IConnectable): GaleraHealthCheck {
    requirePeer(this, 'peer', peer, Kinds.CONNECTABLE);
    this.connections.allowFrom(peer, Port.tcp(GALERA_HEALTH_PORT), `${this.node.path} health check`);
    return { port: GALERA_HEALTH_PORT, path: GALERA_HEALTH_PATH };
  }

  /** Whether the application account may log in from `address`. */
  public acceptsApplicationFrom(address: string): boolean {
    if (this.applicationClientCidr === undefined) return true;
    const ip = parseIpv4(address);
    return ip !== undefined && cidrContains(parseCidr(this.applicationClientCidr)!, ip);
  }

  /** `max_connections` of each member. */
  public get maxConnections(): number {
    return this.connectionLimits.maxConnections;
  }

  /** `max_connections`, how it adds up, and what follows from it. */
  public get connectionLimits(): MariadbConnectionLimits {
    const terms = this.clients.map((d) => ({
      client: d.client.node.path,
      servers: d.servers,
      connectionsPerServer: d.connectionsPerServer,
      bound: d.bound,
      connections: d.servers * d.connectionsPerServer,
    }));
    return mariadbConnectionLimits(terms, MARIADB_ADMIN_CONNECTIONS, this.givenMaxConnections);
  }

  /**
   * Declares a client that may hold `servers x connectionsPerServer` connections at once. Every
   * member counts every client, whichever site's endpoint it took: when a site's member is down, its
   * applications may be pointed at another site's. Throws as MysqlReplication's does when the RAM
   * or a given `maxConnections` cannot hold the sum. Returns the demand recorded.
   */
  public addClient(demand: MysqlClientDemand): MysqlClientDemand {
    requireOptions<MysqlClientDemand>(this, 'addClient', demand, ['client', 'servers', 'connectionsPerServer', 'bound']);
    requirePeer(this, 'addClient.client', demand.client, Kinds.CONSTRUCT);
    requireText(this, 'addClient.bound', demand.bound, TextKind.FREE_TEXT);
    requireIntegerInRange(this, 'addClient.servers', demand.servers, 1, 10000);
    requireIntegerInRange(this, 'addClient.connectionsPerServer', demand.connectionsPerServer, 1, 10000);
    this.clients.push(demand);
    const limits = this.connectionLimits;
    if (limits.given && limits.sum > limits.maxConnections) {
      this.clients.pop();
      throw new HostingStacksError(this, 'maxConnections', limits.maxConnections,
        `must be at least what the clients can open at once (${limits.sum}: ${describeTerms(limits)}); leave it out to derive it`);
    }
    try {
      this.requireConnectionsFitRam(this.cluster.flavor.name, this.cluster.flavor.ramGb);
    } catch (e) {
      this.clients.pop();
      throw e;
    }
    return demand;
  }

  private requireSites(sites: unknown): Site[] {
    if (!Array.isArray(sites)) throw new HostingStacksError(this, 'sites', sites, 'must be an array of 3 or more Sites');
    sites.forEach((s, i) => {
      if (!Site.isSite(s)) throw new HostingStacksError(this, `sites[${i}]`, s, "must be a Site (new Site(stack, 'SiteA', { availabilityZone: 'eu-west-par-a' }))");
    });
    const list = sites as Site[];
    if (list.length < 3 || list.length > GALERA_MAX_SITES) {
      throw new HostingStacksError(this, 'sites', list.map((s) => s.node.path),
        `must be 3 to ${GALERA_MAX_SITES} sites: quorum is a strict majority, and with 2 sites losing either leaves half, so the whole cluster stops`);
    }
    const placement = (s: Site) => [s.region, s.availabilityZone].filter((x) => x !== undefined).join(' ');
    if (list.some((s) => s.region !== undefined) && list.some((s) => s.region === undefined)) {
      throw new HostingStacksError(this, 'sites', list.map((s) => s.node.path), 'must all be zones of the stack\'s region or all regions of their own, not a mix');
    }
    const placementWord = list[0].region !== undefined ? 'region' : 'availability zone';
    for (const [key, what] of [[(s: Site) => s.node.path, 'site'], [placement, placementWord], [(s: Site) => s.siteName, 'site name']] as const) {
      const seen = new Set<string>();
      for (const s of list) {
        const k = key(s);
        if (seen.has(k)) throw new HostingStacksError(this, 'sites', list.map((x) => x.node.path), `must be distinct sites: the ${what} '${k}' appears twice, and a site lost would take two shares of the quorum`);
        seen.add(k);
      }
    }
    return list;
  }

  private requireVswitches(props: GaleraClusterProps, regional: boolean): IPrivateVSwitch[] {
    if (!regional) {
      if (props.siteVswitches !== undefined || props.interconnect !== undefined) {
        throw new HostingStacksError(this, props.siteVswitches !== undefined ? 'siteVswitches' : 'interconnect', '(given)', "is for sites that are regions of their own; zones of one region share 'vswitch'");
      }
      requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
      return this.sites.map(() => props.vswitch!);
    }
    if (props.vswitch !== undefined) throw new HostingStacksError(this, 'vswitch', props.vswitch.node.path, "must not be given when the sites are regions of their own (networks are regional): give 'siteVswitches', one per site");
    if (!SiteInterconnect.isSiteInterconnect(props.interconnect)) {
      throw new HostingStacksError(this, 'interconnect', props.interconnect, 'must be a SiteInterconnect joining the sites: members in different regions replicate over it');
    }
    if (!Array.isArray(props.siteVswitches) || props.siteVswitches.length !== this.sites.length) {
      throw new HostingStacksError(this, 'siteVswitches', props.siteVswitches, `must give one vSwitch per site (${this.sites.length}), in the order of 'sites'`);
    }
    return props.siteVswitches.map((v, i) => {
      requirePeer(this, `siteVswitches[${i}]`, v, Kinds.PRIVATE_VSWITCH);
      return v;
    });
  }

  private requireConnectionsFitRam(flavorName: string, ramGb: number): void {
    const limits = this.connectionLimits;
    if (limits.maxConnections <= this.connectionsForRam) return;
    throw new HostingStacksError(this, 'maxConnections', limits.maxConnections,
      `${limits.given ? '' : `(derived: ${describeTerms(limits)}) `}must fit the flavor '${flavorName}': its ${ramGb} GB hold at most ${this.connectionsForRam} connections of `
      + `${MARIADB_CONNECTION_MB} MB after the ${this.bufferPoolMb} MB buffer pool and ${MARIADB_RESERVED_MB} MB for global buffers and the OS; `
      + 'give a larger flavor, a lower bufferPoolFraction, or clients with fewer connections');
  }

  private addHealthCheck(host: ServerInstance): void {
    const cc = host.cloudConfig;
    const service = GALERA_HEALTH_SERVICE_UNIT;
    cc.addFile({
      path: GALERA_HEALTH_SCRIPT_PATH,
      permissions: '0755',
      syntax: ConfigSyntax.SHELL,
      content: renderGaleraHealthScript({ socket: DEBIAN_MARIADB_SOCKET, account: GALERA_HEALTH_ACCOUNT, path: GALERA_HEALTH_PATH, queryTimeoutSeconds: MARIADB_ROLE_CHECK_QUERY_TIMEOUT_SECONDS }),
    });
    cc.addFile({ path: GALERA_HEALTH_SYSUSERS_PATH, content: renderMariadbRoleCheckSysusers(GALERA_HEALTH_ACCOUNT), syntax: ConfigSyntax.SYSUSERS });
    cc.addFile({
      path: `/etc/systemd/system/${service}`,
      syntax: ConfigSyntax.SYSTEMD_UNIT,
      content: renderMariadbRoleCheckService({ scriptPath: GALERA_HEALTH_SCRIPT_PATH, account: GALERA_HEALTH_ACCOUNT, socketName: GALERA_HEALTH_SOCKET_UNIT, runtimeMaxSeconds: 2 * MARIADB_ROLE_CHECK_QUERY_TIMEOUT_SECONDS + 2 }),
    });
    cc.addFile({
      path: `/etc/systemd/system/${GALERA_HEALTH_SOCKET_UNIT}`,
      syntax: ConfigSyntax.SYSTEMD_UNIT,
      content: renderMariadbRoleCheckSocket({ address: host.address, port: GALERA_HEALTH_PORT, maxConnections: MARIADB_ROLE_CHECK_MAX_CONNECTIONS, serviceName: service.replace(/@\.service$/, '') }),
    });
    cc.addPreServiceCommand('systemd-sysusers', GALERA_HEALTH_SYSUSERS_PATH);
    cc.addServices(GALERA_HEALTH_SOCKET_UNIT);
  }

  private configModel(host: ServerInstance, site: Site, segment: number, vcpus: number): GaleraConfigModel {
    return {
      clusterName: this.clusterName,
      nodeName: host.hostname,
      siteName: site.siteName,
      segment,
      bindAddress: host.address,
      nodeAddress: host.interconnectAddress ?? host.address,
      port: this.port,
      memberAddresses: this.members.map((m) => m.interconnectAddress ?? m.address),
      sstDonors: host === this.bootstrapMember ? [] : [this.bootstrapMember.hostname],
      providerPath: GALERA_PROVIDER_PATH,
      // One applier thread per vCPU: remote write-sets that touch different rows apply in parallel.
      applierThreads: Math.max(1, Math.min(16, vcpus)),
      bufferPoolMb: this.bufferPoolMb,
      connections: this.connectionLimits,
      gcache: this.gcache,
      flowControl: this.flowControl,
      evs: GALERA_EVS_TIMEOUTS,
    };
  }
}

/** Throws unless `value` is a finite number in [min, max]. */
function requireNumberInRange(scope: Construct, prop: string, value: number, min: number, max: number, unit: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new HostingStacksError(scope, prop, value, `must be a number from ${min} to ${max} (${unit})`);
  }
}

/** The sum of `limits` in words. */
function describeTerms(limits: MariadbConnectionLimits): string {
  return [
    ...limits.terms.map((t) => `${t.connections} (${t.client}: ${t.servers} x ${t.connectionsPerServer} ${t.bound})`),
    `${limits.adminReserve} (administration)`,
  ].join(' + ');
}
