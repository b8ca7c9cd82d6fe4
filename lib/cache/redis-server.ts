import { Construct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor } from '../compute/flavor';
import { DataKind, IServerTier, ServerCluster, ServerInstance } from '../compute/server-cluster';
import { Connections } from '../core/connections';
import { IRedisEndpoint } from '../core/endpoints';
import { HostingStacksError, requireIntegerInRange, requireUnique } from '../core/errors';
import { requireEnumValue, requireOneOf } from '../core/choices';
import { Secret } from '../core/secret';
import { IPrivateVSwitch } from '../network/private-vswitch';
import {
  redisQuotedAtApply,
  REDIS_COMMANDS,
  REDIS_DEFAULT_DISABLED_COMMANDS,
  REDIS_PATHS,
  RedisAppendFsync,
  RedisEvictionPolicy,
  renderRedisAuthConfig,
  renderRedisConfig,
} from './redis-config';
import { kebabCase } from '../core/naming';
import { RedisInstance, RedisInstanceProps } from './redis-instance';
import { declareDataKind, Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';

/**
 * Default share of the server's RAM Redis may fill (`maxmemory`). An AOF rewrite or RDB save forks
 * the server; pages written meanwhile are copied, up to the whole data set in the worst case, so
 * half the RAM is kept for that copy, the kernel and the page cache.
 */
export const REDIS_DEFAULT_MAXMEMORY_FRACTION = 0.5;

/** Redis's well-known TCP port. */
export const REDIS_DEFAULT_PORT = 6379;

/** Props of {@link RedisServer}. */
export interface RedisServerProps {
  /** The vSwitch the server is on (the private data network). */
  readonly vswitch: IPrivateVSwitch;
  /** Flavor of the server; `maxmemory` is sized from its RAM. */
  readonly flavor: Flavor;
  /** A specific planned address. @default - the next free planned address of the vSwitch */
  readonly address?: string;
  /** TCP port. @default REDIS_DEFAULT_PORT (6379) */
  readonly port?: number;
  /** The `requirepass` password. A Secret made by Secret.variable only; a string or a look-alike object is refused. @default Secret.variable(this, 'redis_password', ...) */
  readonly password?: Secret;
  /** Share of the RAM Redis may fill, from 0.1 to 0.8. @default REDIS_DEFAULT_MAXMEMORY_FRACTION (0.5) */
  readonly maxMemoryFraction?: number;
  /**
   * What Redis does at `maxmemory`. @default RedisEvictionPolicy.NOEVICTION: sessions are data, not
   * cache; an evicted session is a customer logged out with an empty cart, silently, while a refused
   * write is an error that monitoring sees
   */
  readonly evictionPolicy?: RedisEvictionPolicy;
  /** fsync policy of the append-only file. @default RedisAppendFsync.EVERY_SECOND (at most 1 s of writes lost on a crash) */
  readonly appendFsync?: RedisAppendFsync;
  /** Seconds between TCP keep-alive probes to clients. @default 60 */
  readonly tcpKeepaliveSeconds?: number;
  /** Connections at once. @default 10000 (Redis's own default) */
  readonly maxClients?: number;
  /** Commands disabled (renamed to ""). @default REDIS_DEFAULT_DISABLED_COMMANDS */
  readonly disabledCommands?: readonly string[];
  /** Host name prefix; the host is `<prefix>-1`. @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
}

/**
 * One Redis 7 server (Debian 12 `redis-server`) on the private data network, holding the shop's
 * sessions: bound to its planned address and 127.0.0.1, protected by a password that reaches the
 * host only as a Terraform reference (in a 0640 file included by `redis.conf`), with a memory
 * ceiling from the flavor's RAM, the append-only file fsynced every second and the commands no
 * application needs disabled. Clients are let in with `redis.connections.allowFrom(tier, Port.tcp(redis.port))`.
 *
 * With the default `noeviction`, a full server refuses every write that needs memory: do not let a
 * cache share it (MagentoFrontends' default when no `cache` is given, database 1), or a growing
 * cache blocks logins. Give the cache its own process on the same host with
 * `redis.addInstance('Cache', { port: 6380, maxMemoryFraction: ... })` (allkeys-lru, no
 * persistence), or a server of its own.
 */
export class RedisServer extends Construct implements IRedisEndpoint, IServerTier {
  /** The kind of data it serves, declared with `declareDataKind` (the data-isolation rule keeps it out of the DMZ). */
  public readonly dataKind: DataKind = 'Redis server';
  /** The server (one instance, stateful). */
  public readonly cluster: ServerCluster;
  /** The network intent of the server. */
  public readonly connections: Connections;
  /** The planned address clients connect to. */
  public readonly address: string;
  /** TCP port. */
  public readonly port: number;
  /** The `requirepass` password. */
  public readonly password: Secret;
  /** `maxmemory` in MB. */
  public readonly maxMemoryMb: number;
  /** What Redis does at `maxmemory`. */
  public readonly evictionPolicy: RedisEvictionPolicy;
  /** fsync policy of the append-only file. */
  public readonly appendFsync: RedisAppendFsync;
  /** Disabled commands. */
  public readonly disabledCommands: readonly string[];
  /** Share of the RAM the server's own instance may fill. */
  public readonly maxMemoryFraction: number;
  /** Seconds between TCP keep-alive probes to clients. */
  public readonly tcpKeepaliveSeconds: number;
  /** Connections at once, per instance. */
  public readonly maxClients: number;
  /** The further `redis-server` instances on the host, in the order they were added. */
  public readonly instances: RedisInstance[] = [];

  constructor(scope: Construct, id: string, props: RedisServerProps) {
    super(scope, id);
    declareDataKind(this, this.dataKind);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    optionalPeer(this, 'password', props.password, Kinds.SECRET);
    this.port = props.port ?? REDIS_DEFAULT_PORT;
    requireIntegerInRange(this, 'port', this.port, 1, 65535);
    const fraction = props.maxMemoryFraction ?? REDIS_DEFAULT_MAXMEMORY_FRACTION;
    if (!Number.isFinite(fraction) || fraction < 0.1 || fraction > 0.8) {
      throw new HostingStacksError(this, 'maxMemoryFraction', fraction, 'must be a number from 0.1 to 0.8 (a fork for AOF rewrites and the OS need the rest)');
    }
    this.maxMemoryFraction = fraction;
    const keepalive = props.tcpKeepaliveSeconds ?? 60;
    requireIntegerInRange(this, 'tcpKeepaliveSeconds', keepalive, 0, 7200);
    this.tcpKeepaliveSeconds = keepalive;
    const maxClients = props.maxClients ?? 10000;
    requireIntegerInRange(this, 'maxClients', maxClients, 1, 1000000);
    this.maxClients = maxClients;
    this.disabledCommands = (props.disabledCommands ?? REDIS_DEFAULT_DISABLED_COMMANDS).map((c) => c.toUpperCase());
    for (const c of this.disabledCommands) {
      requireOneOf(this, 'disabledCommands', c, REDIS_COMMANDS, 'Redis command names known to Redis 7.0 (e.g. FLUSHALL): rename-command refuses any other, and Redis does not start');
      if (c === 'AUTH' || c === 'PING') throw new HostingStacksError(this, 'disabledCommands', c, 'is needed by every client; it cannot be disabled');
    }
    requireUnique(this, 'disabledCommands', this.disabledCommands);
    this.evictionPolicy = requireEnumValue(this, 'evictionPolicy', props.evictionPolicy ?? RedisEvictionPolicy.NOEVICTION, RedisEvictionPolicy, 'RedisEvictionPolicy');
    this.appendFsync = requireEnumValue(this, 'appendFsync', props.appendFsync ?? RedisAppendFsync.EVERY_SECOND, RedisAppendFsync, 'RedisAppendFsync');
    this.password = props.password ?? Secret.variable(this, 'redis_password', 'Password of the Redis server holding the sessions (requirepass)');

    this.cluster = new ServerCluster(this, 'Server', {
      vswitch: props.vswitch,
      count: 1,
      flavor: props.flavor,
      stateful: true,
      addresses: props.address === undefined ? undefined : [props.address],
      hostnamePrefix: props.hostnamePrefix ?? kebabCase(id),
    });
    this.connections = this.cluster.connections;
    this.address = this.cluster.addresses[0];
    this.maxMemoryMb = Math.floor(this.cluster.flavor.ramGb * 1024 * fraction);
    if (this.maxMemoryMb < 64) {
      throw new HostingStacksError(this, 'flavor', this.cluster.flavor.name, `gives Redis ${this.maxMemoryMb} MB (${fraction} of ${this.cluster.flavor.ramGb} GB); at least 64 MB are needed`);
    }
    this.cluster.configureHosts((host) => this.configureHost(host, keepalive, maxClients));
  }

  /** The server instance. */
  public get instance(): ServerInstance {
    return this.cluster.instances[0];
  }

  /**
   * Adds a second `redis-server` process on this host (Debian's `redis-server@<name>.service`) with
   * its own port, `maxmemory` and eviction policy, by default a cache: `allkeys-lru`, no
   * persistence, the server's password. The instances' memory shares, the server's included, must
   * add up to at most 0.8 of the RAM. Returns the instance, an {@link IRedisEndpoint} to give clients.
   */
  public addInstance(id: string, props: RedisInstanceProps): RedisInstance {
    const instance = new RedisInstance(this, id, props);
    this.instances.push(instance);
    return instance;
  }

  private configureHost(host: ServerInstance, tcpKeepaliveSeconds: number, maxClients: number): void {
    addRedisServerFiles(host, {
      purpose: "the shop's sessions",
      port: this.port,
      tcpKeepaliveSeconds,
      // PHP clients keep persistent connections idle between requests: never close them.
      timeoutSeconds: 0,
      maxClients,
      databases: 16,
      maxMemoryMb: this.maxMemoryMb,
      evictionPolicy: this.evictionPolicy,
      appendFsync: this.appendFsync,
      disabledCommands: this.disabledCommands,
      password: this.password,
    });
  }
}


/** What {@link addRedisServerFiles} writes: Debian's main `redis-server` instance of a host. */
export interface RedisServerFilesOptions {
  /** What it holds, for the config's header. */
  readonly purpose: string;
  readonly port: number;
  readonly tcpKeepaliveSeconds: number;
  /** Seconds an idle client is kept; 0 for never. */
  readonly timeoutSeconds: number;
  readonly maxClients: number;
  readonly databases: number;
  readonly maxMemoryMb: number;
  readonly evictionPolicy: RedisEvictionPolicy;
  readonly appendFsync: RedisAppendFsync;
  readonly disabledCommands: readonly string[];
  /** The `requirepass` password (a variable), in a 0600 file `redis.conf` includes. */
  readonly password: Secret;
}

/**
 * Installs `redis-server` on `host` with `/etc/redis/redis.conf` (bound to the host's planned address
 * and the loopback, protected mode, the append-only file) and the included password file, and
 * starts it. Used by every construct that runs the host's main Redis (RedisServer, TaskBroker).
 */
export function addRedisServerFiles(host: ServerInstance, o: RedisServerFilesOptions): void {
  const cc = host.cloudConfig;
  cc.addPackages('redis-server');
  cc.addFile({
    path: REDIS_PATHS.config,
    owner: 'redis:redis',
    permissions: '0640',
    syntax: ConfigSyntax.REDIS,
    content: renderRedisConfig({
      purpose: o.purpose,
      bindAddresses: [host.address, '127.0.0.1'],
      port: o.port,
      protectedMode: true,
      tcpKeepaliveSeconds: o.tcpKeepaliveSeconds,
      timeoutSeconds: o.timeoutSeconds,
      maxClients: o.maxClients,
      databases: o.databases,
      pidFile: REDIS_PATHS.pidFile,
      logFile: REDIS_PATHS.logFile,
      dir: REDIS_PATHS.dataDir,
      maxMemoryMb: o.maxMemoryMb,
      maxMemoryPolicy: o.evictionPolicy,
      appendOnly: true,
      appendFsync: o.appendFsync,
      dbFilename: 'dump.rdb',
      appendDirName: 'appendonlydir',
      disabledCommands: o.disabledCommands,
      includeFiles: [REDIS_PATHS.authConfig],
    }),
  });
  cc.addFile({
    path: REDIS_PATHS.authConfig,
    owner: 'redis:redis',
    permissions: '0600',
    syntax: ConfigSyntax.REDIS,
    content: renderRedisAuthConfig({ password: o.password.derived('redis-quoted', redisQuotedAtApply) }),
  });
  cc.addServices('redis-server');
}
