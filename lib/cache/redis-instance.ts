import { Construct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { Connections } from '../core/connections';
import { IRedisEndpoint } from '../core/endpoints';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { requireEnumValue } from '../core/choices';
import { kebabCase } from '../core/naming';
import { checkText, TextKind } from '../core/text';
import { Secret } from '../core/secret';
import {
  redisInstancePaths,
  redisQuotedAtApply,
  RedisAppendFsync,
  RedisEvictionPolicy,
  renderRedisAuthConfig,
  renderRedisConfig,
} from './redis-config';
import type { RedisServer } from './redis-server';
import { declareDataKind, Kinds, optionalPeer, requireProps } from '../core/peers';

/**
 * Most of a Redis host's RAM its instances may fill together (the sum of their `maxmemory`), as
 * for one instance: the rest is for the kernel, the page cache and the copy a persisted instance's
 * fork makes while it rewrites its files.
 */
export const REDIS_MAX_TOTAL_MEMORY_FRACTION = 0.8;

/** Props of {@link RedisServer.addInstance}. */
export interface RedisInstanceProps {
  /** TCP port, other than the server's and its other instances'. */
  readonly port: number;
  /**
   * Share of the host's RAM this instance may fill (`maxmemory`), from 0.05; with the server's and
   * the other instances' at most REDIS_MAX_TOTAL_MEMORY_FRACTION (0.8).
   */
  readonly maxMemoryFraction: number;
  /** What Redis does at `maxmemory`. @default RedisEvictionPolicy.ALLKEYS_LRU: a cache drops its least recently used keys */
  readonly evictionPolicy?: RedisEvictionPolicy;
  /** Keep an append-only file (fsynced every second) and RDB snapshots. @default false: a cache is rebuilt from its source; no file, no fork */
  readonly persistent?: boolean;
  /** The `requirepass` password. A Secret made by Secret.variable only; a string or a look-alike object is refused. @default - the server's password: same host, same clients, no isolation to gain */
  readonly password?: Secret;
}

/**
 * A second `redis-server` process on the host of a {@link RedisServer}, with its own port, memory
 * ceiling, eviction policy and persistence, run by Debian's template unit
 * `redis-server@<name>.service` from `/etc/redis/redis-<name>.conf` (`<name>`: the construct id in
 * kebab case). It shares the server's security group: clients are let in with
 * `instance.connections.allowFrom(tier, Port.tcp(instance.port))`. Made by
 * {@link RedisServer.addInstance}.
 */
export class RedisInstance extends Construct implements IRedisEndpoint {
  /** The server whose host runs this instance. */
  public readonly server: RedisServer;
  /** The instance name (`redis-server@<name>`). */
  public readonly name: string;
  /** The network intent of the host (the server's). */
  public readonly connections: Connections;
  /** The host's planned address. */
  public readonly address: string;
  /** TCP port. */
  public readonly port: number;
  /** The `requirepass` password. */
  public readonly password: Secret;
  /** Share of the host's RAM this instance may fill. */
  public readonly maxMemoryFraction: number;
  /** `maxmemory` in MB. */
  public readonly maxMemoryMb: number;
  /** What Redis does at `maxmemory`. */
  public readonly evictionPolicy: RedisEvictionPolicy;
  /** Whether the instance keeps files (AOF and RDB). */
  public readonly persistent: boolean;
  /** The systemd unit (`redis-server@<name>`). */
  public readonly service: string;

  constructor(server: RedisServer, id: string, props: RedisInstanceProps) {
    super(server, id);
    declareDataKind(this, 'Redis server');
    requireProps(this, props);
    optionalPeer(this, 'password', props.password, Kinds.SECRET);
    this.server = server;
    this.name = kebabCase(id);
    // The name is the id in kebab case; the error shows the id given.
    const problem = checkText(this.name, TextKind.NAME, {
      pattern: /^[a-z][a-z0-9-]{0,30}$/,
      reserved: ['server'],
      allowed: "must give a systemd instance name of letters, digits and '-' starting with a letter (the id in kebab case), other than 'server'",
    });
    if (problem) throw new HostingStacksError(this, 'id', id, problem);
    this.port = props.port;
    requireIntegerInRange(this, 'port', this.port, 1, 65535);
    const taken = [server, ...server.instances].find((e) => e.port === this.port);
    if (taken) throw new HostingStacksError(this, 'port', this.port, `is already taken on the host by ${taken.node.path}`);
    this.maxMemoryFraction = props.maxMemoryFraction;
    if (!Number.isFinite(this.maxMemoryFraction) || this.maxMemoryFraction < 0.05) {
      throw new HostingStacksError(this, 'maxMemoryFraction', this.maxMemoryFraction, 'must be a share of the RAM of at least 0.05');
    }
    const shares = [server.maxMemoryFraction, ...server.instances.map((i) => i.maxMemoryFraction), this.maxMemoryFraction];
    const total = shares.reduce((a, b) => a + b, 0);
    if (total > REDIS_MAX_TOTAL_MEMORY_FRACTION + 1e-9) {
      throw new HostingStacksError(this, 'maxMemoryFraction', this.maxMemoryFraction,
        `brings the host's instances to ${shares.join(' + ')} = ${Number(total.toFixed(4))} of its RAM; together they may fill at most ${REDIS_MAX_TOTAL_MEMORY_FRACTION}`);
    }
    const ramGb = server.cluster.flavor.ramGb;
    this.maxMemoryMb = Math.floor(ramGb * 1024 * this.maxMemoryFraction);
    if (this.maxMemoryMb < 64) {
      throw new HostingStacksError(this, 'maxMemoryFraction', this.maxMemoryFraction, `gives Redis ${this.maxMemoryMb} MB of the host's ${ramGb} GB; at least 64 MB are needed`);
    }
    this.evictionPolicy = requireEnumValue(this, 'evictionPolicy', props.evictionPolicy ?? RedisEvictionPolicy.ALLKEYS_LRU, RedisEvictionPolicy, 'RedisEvictionPolicy');
    this.persistent = props.persistent ?? false;
    this.password = props.password ?? server.password;
    this.connections = server.connections;
    this.address = server.address;

    const paths = redisInstancePaths(this.name);
    this.service = paths.service;
    const host = server.instance;
    const cc = host.cloudConfig;
    cc.addFile({
      path: paths.config,
      owner: 'redis:redis',
      permissions: '0640',
      syntax: ConfigSyntax.REDIS,
      content: renderRedisConfig({
        purpose: `the ${this.name} instance (${this.evictionPolicy}${this.persistent ? ', persisted' : ', not persisted'})`,
        bindAddresses: [host.address, '127.0.0.1'],
        port: this.port,
        protectedMode: true,
        tcpKeepaliveSeconds: server.tcpKeepaliveSeconds,
        timeoutSeconds: 0,
        maxClients: server.maxClients,
        databases: 16,
        pidFile: paths.pidFile,
        logFile: paths.logFile,
        dir: paths.dataDir,
        maxMemoryMb: this.maxMemoryMb,
        maxMemoryPolicy: this.evictionPolicy,
        appendOnly: this.persistent,
        appendFsync: RedisAppendFsync.EVERY_SECOND,
        // The instances share /var/lib/redis (the only folder Debian's unit lets them write): own file names.
        dbFilename: `dump-${this.name}.rdb`,
        appendDirName: `appendonlydir-${this.name}`,
        disabledCommands: server.disabledCommands,
        includeFiles: [paths.authConfig],
      }),
    });
    cc.addFile({
      path: paths.authConfig,
      owner: 'redis:redis',
      permissions: '0600',
      syntax: ConfigSyntax.REDIS,
      content: renderRedisAuthConfig({ password: this.password.derived('redis-quoted', redisQuotedAtApply) }),
    });
    cc.addServices(this.service);
  }
}
