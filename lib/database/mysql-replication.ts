import { IArchitectureIntent, RedundancyKind, TierIntent } from '../core/architecture-intent';
import { ConfigSyntax } from '../compute/cloud-config';
import { Construct } from 'constructs';
import { DataKind, IServerTier, ServerCluster, ServerGroupPolicy, ServerInstance, scalableTierAddressCapacity } from '../compute/server-cluster';
import { Flavor } from '../compute/flavor';
import { Connections, IConnectable } from '../core/connections';
import { cidrContains, parseCidr, parseIpv4 } from '../core/ipv4';
import { DatabaseRoleCheck, IReplicatedMysqlDatabase, MysqlClientDemand } from '../core/endpoints';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { Port } from '../core/port';
import { Secret } from '../core/secret';
import { IPrivateVSwitch } from '../network/private-vswitch';
import {
  bufferPoolMbForRam,
  DEBIAN_MARIADB_LOG_DIR,
  DEBIAN_MARIADB_SOCKET,
  MARIADB_CONF_DIR,
  MARIADB_ADMIN_CONNECTIONS,
  MARIADB_CONNECTION_MB,
  MARIADB_RESERVED_MB,
  MariadbConfigModel,
  mariadbConnectionLimits,
  MariadbConnectionLimits,
  mariadbConnectionsForRam,
  mariadbHostForCidr,
  MariadbRole,
  renderMariadbBootstrapScript,
  renderMariadbConfig,
} from './mariadb-config';
import {
  DEFAULT_MAX_REPLICA_LAG_SECONDS,
  MARIADB_PRIMARY_CHECK_PATH,
  MARIADB_READABLE_CHECK_PATH,
  MARIADB_REPLICA_CHECK_PATH,
  MARIADB_ROLE_CHECK_ACCOUNT,
  MARIADB_ROLE_CHECK_MAX_CONNECTIONS,
  MARIADB_ROLE_CHECK_PORT,
  MARIADB_ROLE_CHECK_QUERY_TIMEOUT_SECONDS,
  MARIADB_ROLE_CHECK_SCRIPT_PATH,
  MARIADB_ROLE_CHECK_SERVICE_UNIT,
  MARIADB_ROLE_CHECK_SOCKET_UNIT,
  MARIADB_ROLE_CHECK_SYSUSERS_PATH,
  mariadbRoleCheckAccountSql,
  renderMariadbRoleCheckScript,
  renderMariadbRoleCheckService,
  renderMariadbRoleCheckSocket,
  renderMariadbRoleCheckSysusers,
} from './mariadb-role-check';
import { TextKind, requireText } from '../core/text';
import { declareDataKind, Kinds, optionalPeer, requireOptions, requirePeer, requireProps } from '../core/peers';

/** Replicas a {@link MysqlReplication} may have: enough to spread reads, few enough for one primary's binlog dump threads. */
export const MAX_MYSQL_REPLICAS = 8;

/** Default share of a server's RAM given to the InnoDB buffer pool (MariaDB's advice for a dedicated server: 60–80 %). */
export const DEFAULT_BUFFER_POOL_FRACTION = 0.6;

/** Bounds of `bufferPoolFraction`: below, the pool is a cache in name only; above, the OS, connections and sort buffers swap. */
export const BUFFER_POOL_FRACTION_RANGE = { min: 0.1, max: 0.8 } as const;

/** Days binary logs are kept by default: a replica may be down a week and still catch up. */
export const DEFAULT_BINLOG_RETENTION_DAYS = 7;

/** MariaDB caps `binlog_expire_logs_seconds` at 8,553,600 s, i.e. 99 days. */
export const MAX_BINLOG_RETENTION_DAYS = 99;

/** Seconds a bootstrap script waits for its local server (and a replica for its replication threads) to come up. */
export const MARIADB_LOCAL_WAIT_SECONDS = 120;

/** `MASTER_CONNECT_RETRY` of the replicas: seconds between reconnections to a primary that went away. */
export const MARIADB_CONNECT_RETRY_SECONDS = 10;

/** Where the option file of {@link MysqlReplication} is written on each host. */
export const MARIADB_CONFIG_PATH = `${MARIADB_CONF_DIR}/60-hosting-stacks.cnf`;

/** Root-only folder holding the database passwords on each host. */
export const MARIADB_SECRETS_DIR = '/etc/mysql/hosting-stacks';

/** The bootstrap script cloud-init runs once on each host. */
export const MARIADB_BOOTSTRAP_PATH = '/usr/local/sbin/hosting-stacks-mariadb-bootstrap';

const IDENTIFIER = /^[A-Za-z0-9_]{1,64}$/;
const ACCOUNT = /^[A-Za-z0-9_]{1,80}$/;

/** Props of {@link MysqlReplication}. */
export interface MysqlReplicationProps {
  /** The vSwitch the servers are on. */
  readonly vswitch: IPrivateVSwitch;
  /** Flavor of every server (the case study's database row: 6 GHz, 4 GB RAM, 50 GB disk). */
  readonly flavor: Flavor;
  /** Read-only replicas following the primary, 1 to {@link MAX_MYSQL_REPLICAS}. @default 1 */
  readonly replicas?: number;
  /**
   * Planned addresses kept for the servers on the vSwitch: growing up to it moves no other server's
   * address (see ServerCluster's `addressCapacity`). @default SCALABLE_TIER_ADDRESS_CAPACITY (10)
   */
  readonly addressCapacity?: number;
  /** Schema the application uses (letters, digits, `_`). */
  readonly databaseName: string;
  /** The application's account (letters, digits, `_`). @default 'app' */
  readonly applicationUser?: string;
  /** The application's password. A Secret made by Secret.variable only; a string or a look-alike object is refused. @default Secret.variable(this, 'mysql_app_password', ...) */
  readonly applicationPassword?: Secret;
  /** Where the application account may log in from (IPv4 CIDR); security groups still decide who reaches the port. @default - any host ('%') */
  readonly applicationClientCidr?: string;
  /** The replication account (letters, digits, `_`). @default 'replicator' */
  readonly replicationUser?: string;
  /** The replication account's password. A Secret made by Secret.variable only; a string or a look-alike object is refused. @default Secret.variable(this, 'mysql_replication_password', ...) */
  readonly replicationPassword?: Secret;
  /** Share of each server's RAM for the InnoDB buffer pool, 0.1 to 0.8. @default 0.6 */
  readonly bufferPoolFraction?: number;
  /** TCP port. @default 3306 */
  readonly port?: number;
  /** Days binary logs are kept, 1 to 99. @default 7 */
  readonly binlogRetentionDays?: number;
  /**
   * `max_connections` of each server, 10 to 10000; must be at least what the clients declare.
   * @default - derived at synth: the connections every client declared (`addClient`, which every
   * construct taking this database calls), the replicas' replication connections, plus
   * MARIADB_ADMIN_CONNECTIONS (10) for administration
   */
  readonly maxConnections?: number;
  /** Boot volume size in GB. @default - the flavor's sizing disk, else the flavor's disk */
  readonly bootVolumeGb?: number;
  /** Host name prefix. @default 'db' */
  readonly hostnamePrefix?: string;
  /** Server-group policy. @default ServerGroupPolicy.ANTI_AFFINITY */
  readonly placement?: ServerGroupPolicy;
  /** Seconds a replica's bootstrap waits for the primary to accept the replication account. @default 900 */
  readonly primaryWaitSeconds?: number;
  /**
   * Seconds behind the primary a replica may be and still pass the role check a balancer asks
   * ({@link MysqlReplication.allowRoleChecksFrom}), 1 to 3600. @default DEFAULT_MAX_REPLICA_LAG_SECONDS (30)
   */
  readonly maxReplicaLagSeconds?: number;
}

/**
 * A MySQL-protocol database as one primary and N read-only replicas on Debian 12, which ships
 * MariaDB 10.11 as its MySQL (package `mariadb-server`): this deploys MariaDB, not Oracle MySQL.
 *
 * The servers are one {@link ServerCluster} (anti-affinity: never two on one hypervisor). Each gets
 * `/etc/mysql/mariadb.conf.d/60-hosting-stacks.cnf`: a unique `server_id`, `bind-address` on its
 * planned address, row-based binary log with `sync_binlog=1` and `innodb_flush_log_at_trx_commit=1`
 * (no committed transaction lost on a crash), `gtid_strict_mode`, `log_slave_updates` (a replica can
 * be promoted), the buffer pool sized from the flavor's RAM, and `read_only` on replicas.
 *
 * Replication is set up by cloud-init: the primary's bootstrap script creates the schema, the
 * application account and a replication account; each replica's waits for the primary, then runs
 * `CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos` and `START SLAVE`. The passwords are sensitive
 * Terraform variables written into root-only files (0600) that the scripts read; no output holds
 * a literal password. Replicas start from the primary's first binary log, so a replica added after
 * the binary logs have expired must be seeded from a backup (mariabackup) first.
 *
 * `max_connections` is derived at synth from the clients: every construct taking the database
 * declares the most connections it can open at once with {@link MysqlReplication.addClient}
 * (front-ends at their `maxCount` x PHP-FPM children, JDBC pools x servers, ...), the replicas add
 * their replication connections and 10 are kept for administration; the rendered option file shows
 * the sum, and `thread_cache_size`, `table_open_cache` and `open_files_limit` follow from it. A client
 * that takes the flavor's RAM past what it can hold (3 MB a connection beside the buffer pool) is
 * refused with an error naming the sum.
 *
 * Replication traffic is allowed between the members; application tiers declare their own access:
 * `db.connections.allowFrom(app, Port.tcp(db.port))`. Its default child is the primary's server.
 * Promoting a replica after the primary is lost is a manual operation.
 */
export class MysqlReplication extends Construct implements IArchitectureIntent, IReplicatedMysqlDatabase, IServerTier {
  /** Every write goes to the primary; promoting a replica is manual. (architecture notes) */
  public readonly architectureIntent: TierIntent = { redundancy: RedundancyKind.SINGLE_WRITER };
  /** The kind of data it serves, declared with `declareDataKind` (the data-isolation rule keeps it out of the DMZ). */
  public readonly dataKind: DataKind = 'MySQL database';
  /** The network intent of the servers (the cluster's). */
  public readonly connections: Connections;
  /** The servers: the primary first, then the replicas. */
  public readonly cluster: ServerCluster;
  /** The primary (takes writes). */
  public readonly primary: ServerInstance;
  /** The read-only replicas. */
  public readonly replicas: readonly ServerInstance[];
  /** Address of the primary. */
  public readonly writerAddress: string;
  /** Addresses of the replicas. */
  public readonly readerAddresses: readonly string[];
  /** Host names of the servers, the primary's first. */
  public readonly memberHostnames: readonly string[];
  /** TCP port. */
  public readonly port: number;
  /** The application's schema. */
  public readonly databaseName: string;
  /** The application's account. */
  public readonly applicationUser: string;
  /** The application's password. */
  public readonly applicationPassword: Secret;
  /** The replication account. */
  public readonly replicationUser: string;
  /** The replication account's password. */
  public readonly replicationPassword: Secret;
  /** InnoDB buffer pool of each server, in MB. */
  public readonly bufferPoolMb: number;
  /** Share of RAM the buffer pool was sized from. */
  public readonly bufferPoolFraction: number;
  /** Days binary logs are kept. */
  public readonly binlogRetentionDays: number;
  /** Account host of the application user (`%` or `network/netmask`). */
  public readonly applicationHost: string;
  /** Where the application account may log in from, when limited. */
  public readonly applicationClientCidr?: string;
  /** Seconds behind the primary a replica may be and pass the role check. */
  public readonly maxReplicaLagSeconds: number;
  /** The clients that declared their connections, in order. */
  private readonly clients: MysqlClientDemand[] = [];
  /** The role check, once a balancer asked for it. */
  private roleCheck?: DatabaseRoleCheck;
  /** `maxConnections` when given. */
  private readonly givenMaxConnections?: number;
  /** Connections the flavor's RAM holds after the buffer pool and the global buffers. */
  private readonly connectionsForRam: number;

  constructor(scope: Construct, id: string, props: MysqlReplicationProps) {
    super(scope, id);
    declareDataKind(this, this.dataKind);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    optionalPeer(this, 'applicationPassword', props.applicationPassword, Kinds.SECRET);
    optionalPeer(this, 'replicationPassword', props.replicationPassword, Kinds.SECRET);
    const replicaCount = props.replicas ?? 1;
    requireIntegerInRange(this, 'replicas', replicaCount, 1, MAX_MYSQL_REPLICAS);
    this.port = props.port ?? 3306;
    requireIntegerInRange(this, 'port', this.port, 1, 65535);
    this.binlogRetentionDays = props.binlogRetentionDays ?? DEFAULT_BINLOG_RETENTION_DAYS;
    requireIntegerInRange(this, 'binlogRetentionDays', this.binlogRetentionDays, 1, MAX_BINLOG_RETENTION_DAYS);
    if (props.maxConnections !== undefined) requireIntegerInRange(this, 'maxConnections', props.maxConnections, 10, 10000);
    this.givenMaxConnections = props.maxConnections;
    const primaryWaitSeconds = props.primaryWaitSeconds ?? 900;
    requireIntegerInRange(this, 'primaryWaitSeconds', primaryWaitSeconds, 10, 86400);
    this.maxReplicaLagSeconds = props.maxReplicaLagSeconds ?? DEFAULT_MAX_REPLICA_LAG_SECONDS;
    requireIntegerInRange(this, 'maxReplicaLagSeconds', this.maxReplicaLagSeconds, 1, 3600);
    this.bufferPoolFraction = props.bufferPoolFraction ?? DEFAULT_BUFFER_POOL_FRACTION;
    const { min, max } = BUFFER_POOL_FRACTION_RANGE;
    if (!Number.isFinite(this.bufferPoolFraction) || this.bufferPoolFraction < min || this.bufferPoolFraction > max) {
      throw new HostingStacksError(this, 'bufferPoolFraction', this.bufferPoolFraction, `must be a share of RAM from ${min} to ${max}`);
    }
    // Words, not TextKind.IDENTIFIER: the bootstrap quotes them, and MariaDB names may start with a digit.
    this.databaseName = requireText(this, 'databaseName', props.databaseName, TextKind.WORD, { pattern: IDENTIFIER, allowed: 'must be 1 to 64 letters, digits or underscores' });
    this.applicationUser = props.applicationUser ?? 'app';
    this.replicationUser = props.replicationUser ?? 'replicator';
    for (const [prop, value] of [['applicationUser', this.applicationUser], ['replicationUser', this.replicationUser]] as const) {
      requireText(this, prop, value, TextKind.WORD, { pattern: ACCOUNT, allowed: 'must be 1 to 80 letters, digits or underscores' });
    }
    if (this.applicationUser === this.replicationUser) {
      throw new HostingStacksError(this, 'replicationUser', this.replicationUser, "must differ from 'applicationUser'");
    }
    if (props.applicationClientCidr !== undefined) {
      const host = mariadbHostForCidr(props.applicationClientCidr);
      if (!host) {
        throw new HostingStacksError(this, 'applicationClientCidr', props.applicationClientCidr, "must be an IPv4 CIDR with no host bits set, e.g. '10.0.1.0/24'");
      }
      this.applicationHost = host;
      this.applicationClientCidr = props.applicationClientCidr;
    } else {
      this.applicationHost = '%';
    }
    this.applicationPassword = props.applicationPassword
      ?? Secret.variable(this, 'mysql_app_password', 'Password of the application account of the MariaDB databases');
    this.replicationPassword = props.replicationPassword
      ?? Secret.variable(this, 'mysql_replication_password', 'Password of the MariaDB replication account');

    this.cluster = new ServerCluster(this, 'Servers', {
      vswitch: props.vswitch,
      count: 1 + replicaCount,
      addressCapacity: scalableTierAddressCapacity(this, props.addressCapacity, 1 + replicaCount, 'replicas', replicaCount),
      flavor: props.flavor,
      bootVolumeGb: props.bootVolumeGb,
      hostnamePrefix: props.hostnamePrefix ?? 'db',
      placement: props.placement,
      stateful: true,
    });
    this.connections = this.cluster.connections;
    this.connections.allowInternally(Port.tcp(this.port), 'MariaDB replication between members');
    [this.primary, ...this.replicas] = this.cluster.instances;
    this.node.defaultChild = this.primary.resource;
    this.writerAddress = this.primary.address;
    this.readerAddresses = this.replicas.map((r) => r.address);
    this.memberHostnames = this.cluster.instances.map((i) => i.hostname);
    this.bufferPoolMb = bufferPoolMbForRam(this.cluster.flavor.ramGb, this.bufferPoolFraction);
    this.connectionsForRam = mariadbConnectionsForRam(this.cluster.flavor.ramGb, this.bufferPoolMb);
    this.requireConnectionsFitRam();
    // Each replica's I/O thread holds one connection to the primary (its binlog dump thread); every
    // server gets the same limit, so a promoted replica takes the primary's clients. Counted for the
    // replicas the address capacity allows, so adding one does not reconfigure the others.
    const replicaRoom = Math.min(MAX_MYSQL_REPLICAS, this.cluster.addressCapacity - 1);
    if (replicaRoom > 0) this.addClient({ client: this, servers: replicaRoom, connectionsPerServer: 1, bound: 'replication I/O thread per replica, up to the address capacity' });

    const replicationHost = mariadbHostForCidr(props.vswitch.cidr)!;
    const appPasswordFile = `${MARIADB_SECRETS_DIR}/app.password`;
    const replicationPasswordFile = `${MARIADB_SECRETS_DIR}/replication.password`;
    this.cluster.instances.forEach((host, index) => {
      const role = index === 0 ? MariadbRole.PRIMARY : MariadbRole.REPLICA;
      const cc = host.cloudConfig;
      cc.addPackages('mariadb-server', 'mariadb-client');
      // Rendered at synth: the clients declare themselves after the database is made.
      cc.addLazyFile(MARIADB_CONFIG_PATH, ConfigSyntax.MARIADB, () => renderMariadbConfig(this.configModel(role, index + 1, host.address)));
      // A trailing newline makes cloud-init's YAML hold the value in a literal block: any character is safe there.
      cc.addFile({ path: replicationPasswordFile, content: `${this.replicationPassword.value}\n`, permissions: '0600' });
      const script = role === MariadbRole.PRIMARY
        ? renderMariadbBootstrapScript({
          role,
          socket: DEBIAN_MARIADB_SOCKET,
          localWaitSeconds: MARIADB_LOCAL_WAIT_SECONDS,
          databaseName: this.databaseName,
          applicationUser: this.applicationUser,
          applicationHost: this.applicationHost,
          applicationPasswordFile: appPasswordFile,
          replicationUser: this.replicationUser,
          replicationHost,
          replicationPasswordFile,
        })
        : renderMariadbBootstrapScript({
          role,
          socket: DEBIAN_MARIADB_SOCKET,
          localWaitSeconds: MARIADB_LOCAL_WAIT_SECONDS,
          primaryAddress: this.writerAddress,
          primaryPort: this.port,
          primaryWaitSeconds,
          replicationUser: this.replicationUser,
          replicationPasswordFile,
          connectRetrySeconds: MARIADB_CONNECT_RETRY_SECONDS,
        });
      if (role === MariadbRole.PRIMARY) {
        cc.addFile({ path: appPasswordFile, content: `${this.applicationPassword.value}\n`, permissions: '0600' });
      }
      cc.addFile({ path: MARIADB_BOOTSTRAP_PATH, content: script, permissions: '0700', syntax: ConfigSyntax.SHELL });
      cc.addServices('mariadb');
      cc.addCommand(MARIADB_BOOTSTRAP_PATH);
    });
  }

  /** Whether the application account may log in from `address`: any address, or one in `applicationClientCidr`. */
  public acceptsApplicationFrom(address: string): boolean {
    if (this.applicationClientCidr === undefined) return true;
    const ip = parseIpv4(address);
    return ip !== undefined && cidrContains(parseCidr(this.applicationClientCidr)!, ip);
  }

  /**
   * Lets `peer` (a balancer) ask every server its role over HTTP, and returns how. At the first
   * call each server gets the check: a script answering one connection ({@link MARIADB_ROLE_CHECK_SCRIPT_PATH}),
   * a socket unit on the server's address ({@link MARIADB_ROLE_CHECK_SOCKET_UNIT}, one unprivileged
   * process per connection), the system user it runs as, and on the primary the MariaDB account
   * of that user (unix_socket, `SLAVE MONITOR` only), which replicates to the replicas. `GET /primary`
   * answers 200 on the writable primary; `GET /replica` on a read-only replica whose replication
   * threads run at most `maxReplicaLagSeconds` behind; `GET /readable` on either; anything else
   * 503. A promoted replica
   * answers /primary as soon as `read_only` is off: the balancer follows the promotion.
   */
  public allowRoleChecksFrom(peer: IConnectable): DatabaseRoleCheck {
    requirePeer(this, 'peer', peer, Kinds.CONNECTABLE);
    if (!this.roleCheck) this.roleCheck = this.installRoleCheck();
    this.connections.allowFrom(peer, Port.tcp(this.roleCheck.port), `${this.node.path} role check`);
    return this.roleCheck;
  }

  private installRoleCheck(): DatabaseRoleCheck {
    const check: DatabaseRoleCheck = {
      port: MARIADB_ROLE_CHECK_PORT,
      primaryPath: MARIADB_PRIMARY_CHECK_PATH,
      replicaPath: MARIADB_REPLICA_CHECK_PATH,
      readablePath: MARIADB_READABLE_CHECK_PATH,
      maxLagSeconds: this.maxReplicaLagSeconds,
    };
    const script = renderMariadbRoleCheckScript({
      socket: DEBIAN_MARIADB_SOCKET,
      account: MARIADB_ROLE_CHECK_ACCOUNT,
      primaryPath: check.primaryPath,
      replicaPath: check.replicaPath,
      readablePath: check.readablePath,
      maxLagSeconds: check.maxLagSeconds,
      queryTimeoutSeconds: MARIADB_ROLE_CHECK_QUERY_TIMEOUT_SECONDS,
    });
    const service = renderMariadbRoleCheckService({
      scriptPath: MARIADB_ROLE_CHECK_SCRIPT_PATH,
      account: MARIADB_ROLE_CHECK_ACCOUNT,
      socketName: MARIADB_ROLE_CHECK_SOCKET_UNIT,
      // Two queries of at most MARIADB_ROLE_CHECK_QUERY_TIMEOUT_SECONDS each, and the request read.
      runtimeMaxSeconds: 4 * MARIADB_ROLE_CHECK_QUERY_TIMEOUT_SECONDS,
    });
    for (const host of this.cluster.instances) {
      const cc = host.cloudConfig;
      cc.addFile({ path: MARIADB_ROLE_CHECK_SCRIPT_PATH, content: script, permissions: '0755', syntax: ConfigSyntax.SHELL });
      cc.addFile({ path: MARIADB_ROLE_CHECK_SYSUSERS_PATH, content: renderMariadbRoleCheckSysusers(MARIADB_ROLE_CHECK_ACCOUNT), syntax: ConfigSyntax.SYSUSERS });
      cc.addFile({ path: `/etc/systemd/system/${MARIADB_ROLE_CHECK_SERVICE_UNIT}`, content: service, syntax: ConfigSyntax.SYSTEMD_UNIT });
      cc.addFile({
        path: `/etc/systemd/system/${MARIADB_ROLE_CHECK_SOCKET_UNIT}`,
        content: renderMariadbRoleCheckSocket({ address: host.address, port: check.port, maxConnections: MARIADB_ROLE_CHECK_MAX_CONNECTIONS, serviceName: MARIADB_ROLE_CHECK_SERVICE_UNIT.replace(/@\.service$/, '') }),
        syntax: ConfigSyntax.SYSTEMD_UNIT,
      });
      // The user exists before the socket's first connection starts a check as it.
      cc.addPreServiceCommand('systemd-sysusers', MARIADB_ROLE_CHECK_SYSUSERS_PATH);
      cc.addServices(MARIADB_ROLE_CHECK_SOCKET_UNIT);
    }
    // After the primary's bootstrap (a command added before this one); the replicas get the account by replication.
    this.primary.cloudConfig.addCommand('mariadb', '--protocol=socket', `--socket=${DEBIAN_MARIADB_SOCKET}`, '--user=root', '-e', mariadbRoleCheckAccountSql(MARIADB_ROLE_CHECK_ACCOUNT));
    return check;
  }

  /** `max_connections` of each server: the one given, else the clients' connections plus the admin reserve (grows with `addClient`). */
  public get maxConnections(): number {
    return this.connectionLimits.maxConnections;
  }

  /** `max_connections`, how it adds up, and the limits that follow from it (`thread_cache_size`, `table_open_cache`, `open_files_limit`). */
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
   * Declares a client that may hold `servers x connectionsPerServer` connections at once; unless
   * `maxConnections` was given, `max_connections` grows by as much. Throws when the servers' RAM
   * cannot hold that many connections, or when a given `maxConnections` is below the new sum.
   * Returns the demand recorded.
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
      throw new HostingStacksError(this, 'maxConnections', limits.maxConnections,
        `must be at least what the clients can open at once (${limits.sum}: ${describeTerms(limits)}); leave it out to derive it`);
    }
    this.requireConnectionsFitRam();
    return demand;
  }

  /** Throws when the flavor's RAM, after the buffer pool and the global buffers, cannot hold `max_connections` connections. */
  private requireConnectionsFitRam(): void {
    const limits = this.connectionLimits;
    if (limits.maxConnections <= this.connectionsForRam) return;
    const flavor = this.cluster.flavor;
    throw new HostingStacksError(this, 'maxConnections', limits.maxConnections,
      `${limits.given ? '' : `(derived: ${describeTerms(limits)}) `}must fit the flavor '${flavor.name}': its ${flavor.ramGb} GB hold at most ${this.connectionsForRam} connections of `
      + `${MARIADB_CONNECTION_MB} MB after the ${this.bufferPoolMb} MB buffer pool and ${MARIADB_RESERVED_MB} MB for global buffers and the OS; `
      + 'give a larger flavor, a lower bufferPoolFraction, or clients with fewer connections');
  }

  /** The option file model of the server `serverId` (1 is the primary) at `address`. */
  private configModel(role: MariadbRole, serverId: number, address: string): MariadbConfigModel {
    return {
      role,
      serverId,
      bindAddress: address,
      port: this.port,
      reportHost: address,
      binlogBasename: `${DEBIAN_MARIADB_LOG_DIR}/mariadb-bin`,
      relayLogBasename: `${DEBIAN_MARIADB_LOG_DIR}/relay-bin`,
      binlogExpireSeconds: this.binlogRetentionDays * 86400,
      bufferPoolMb: this.bufferPoolMb,
      connections: this.connectionLimits,
    };
  }
}

/** The sum of `limits` in words: `560 (md/Frontends: 10 x 56 PHP-FPM pm.max_children) + ... + 10 (administration)`. */
function describeTerms(limits: MariadbConnectionLimits): string {
  return [
    ...limits.terms.map((t) => `${t.connections} (${t.client}: ${t.servers} x ${t.connectionsPerServer} ${t.bound})`),
    `${limits.adminReserve} (administration)`,
  ].join(' + ');
}
