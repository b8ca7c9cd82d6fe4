import { Construct } from 'constructs';
import { REDIS_DEFAULT_DISABLED_COMMANDS, RedisAppendFsync, RedisEvictionPolicy } from '../cache/redis-config';
import { addRedisServerFiles, REDIS_DEFAULT_PORT } from '../cache/redis-server';
import { Machines } from '../compute/machines';
import { DataKind, IServerTier, ServerCluster, ServerInstance } from '../compute/server-cluster';
import { requireEnumValue } from '../core/choices';
import { Connections, IConnectable } from '../core/connections';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { brand, declareDataKind, Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';
import { Port } from '../core/port';
import { Secret } from '../core/secret';

/** Default share of the broker server's RAM Redis may fill: the queues and the task registry are small; the machine may carry other functions. */
export const TASK_BROKER_DEFAULT_MEMORY_FRACTION = 0.25;

/** Bytes the broker holds per task kept in its registry (the hash: state, times, payload, a short result). Our estimate, measured on the stand-in tasks. */
export const TASK_REGISTRY_BYTES_PER_TASK = 600;

/** Props of {@link TaskBroker}. */
export interface TaskBrokerProps {
  /** The machines Redis runs on: exactly one server, stateful (the queues survive a restart). */
  readonly machines: Machines;
  /** The `requirepass` password. A Secret made by Secret.variable only. @default Secret.variable(this, 'task_broker_password', ...) */
  readonly password?: Secret;
  /** TCP port. @default REDIS_DEFAULT_PORT (6379) */
  readonly port?: number;
  /** Share of the server's RAM Redis may fill, 0.05 to 0.8. @default TASK_BROKER_DEFAULT_MEMORY_FRACTION (0.25) */
  readonly maxMemoryFraction?: number;
  /**
   * fsync policy of the append-only file. @default RedisAppendFsync.EVERY_SECOND: a crash of the
   * server loses at most a second of queued tasks (an intent is then raised again by its caller)
   */
  readonly appendFsync?: RedisAppendFsync;
}

/**
 * The broker between the task manager and the worker daemons across machines: Redis 7 (Debian 12
 * `redis-server`), its streams the queues (one per category, read by a consumer group: a task is
 * delivered to one runner, stays pending until that runner acknowledges it, and is taken back when
 * the runner stopped), its hashes the registry of tasks. Chosen over beanstalkd (no registry, no
 * claim of another consumer's job) and RabbitMQ (an Erlang runtime to run for a few thousand
 * messages an hour): Redis is in Debian, small, and the library already hardens it.
 *
 * Bound to its planned address and the loopback, a password (a sensitive variable, in a 0600 file
 * included by `redis.conf`), `noeviction` (a task is data: a full broker refuses new tasks, which
 * monitoring sees, rather than drop queued ones), the append-only file fsynced every second.
 *
 * It is one server, a single point of failure: while it is down no task is queued or taken (the
 * daemons and the manager reconnect every few seconds), and its queues come back from the
 * append-only file. No Redis Sentinel or replica is made.
 */
export class TaskBroker extends Construct implements IServerTier {
  /** The kind of data it serves (the data-isolation rule keeps it out of the DMZ). */
  public readonly dataKind: DataKind = 'task broker (Redis streams)';
  /** The server (that of the machines given). */
  public readonly cluster: ServerCluster;
  /** Its network intent. */
  public readonly connections: Connections;
  /** The planned address clients connect to. */
  public readonly address: string;
  /** TCP port. */
  public readonly port: number;
  /** The `requirepass` password. */
  public readonly password: Secret;
  /** `maxmemory` in MB. */
  public readonly maxMemoryMb: number;
  /** The machines given. */
  public readonly machines: Machines;

  constructor(scope: Construct, id: string, props: TaskBrokerProps) {
    super(scope, id);
    declareDataKind(this, this.dataKind);
    requireProps(this, props);
    this.machines = requirePeer(this, 'machines', props.machines, Kinds.MACHINES);
    optionalPeer(this, 'password', props.password, Kinds.SECRET);
    this.port = props.port ?? REDIS_DEFAULT_PORT;
    requireIntegerInRange(this, 'port', this.port, 1, 65535);
    const fraction = props.maxMemoryFraction ?? TASK_BROKER_DEFAULT_MEMORY_FRACTION;
    if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0.05 || fraction > 0.8) {
      throw new HostingStacksError(this, 'maxMemoryFraction', fraction, 'must be a number from 0.05 to 0.8 (an AOF rewrite forks Redis; the other functions and the OS need the rest)');
    }
    const appendFsync = requireEnumValue(this, 'appendFsync', props.appendFsync ?? RedisAppendFsync.EVERY_SECOND, RedisAppendFsync, 'RedisAppendFsync');
    this.machines.place(this, 'machines', { stateful: true, exactly: 1 });
    this.cluster = this.machines.cluster;
    this.connections = this.machines.connections;
    this.address = this.cluster.instances[0].address;
    this.password = props.password ?? Secret.variable(this, 'task_broker_password', 'Password of the task broker (Redis requirepass), shared by the task manager and the worker daemons');
    this.maxMemoryMb = Math.floor(this.cluster.flavor.ramGb * 1024 * fraction);
    if (this.maxMemoryMb < 64) {
      throw new HostingStacksError(this, 'maxMemoryFraction', fraction, `gives Redis ${this.maxMemoryMb} MB of ${this.cluster.flavor.ramGb} GB; at least 64 MB are needed`);
    }
    this.cluster.configureHosts((host) => this.configureHost(host, appendFsync));
    brand(this, 'TaskBroker');
  }

  /** The server's instance. */
  public get instance(): ServerInstance {
    return this.cluster.instances[0];
  }

  /** The tasks the broker can keep in its registry at once: `maxmemory` over {@link TASK_REGISTRY_BYTES_PER_TASK}. */
  public get registryCapacity(): number {
    return Math.floor((this.maxMemoryMb * 1024 * 1024) / TASK_REGISTRY_BYTES_PER_TASK);
  }

  /** Lets `client` (a manager's or daemons' machines) reach Redis. */
  public allowClients(client: IConnectable, description: string): void {
    this.connections.allowFrom(client, Port.tcp(this.port), `${this.node.path}: ${description}`);
  }

  private configureHost(host: ServerInstance, appendFsync: RedisAppendFsync): void {
    addRedisServerFiles(host, {
      purpose: 'the task queues and registry of the worker daemons',
      port: this.port,
      tcpKeepaliveSeconds: 60,
      // Runners block on their streams for seconds at a time: never close an idle client.
      timeoutSeconds: 0,
      maxClients: 10000,
      databases: 1,
      maxMemoryMb: this.maxMemoryMb,
      // A task is data: a full broker refuses new tasks (monitoring sees it) rather than drop queued ones.
      evictionPolicy: RedisEvictionPolicy.NOEVICTION,
      appendFsync,
      disabledCommands: REDIS_DEFAULT_DISABLED_COMMANDS,
      password: this.password,
    });
  }
}
