import { Construct } from 'constructs';
import { Connections } from '../core/connections';
import { kebabCase } from '../core/naming';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { brand, Kinds, requirePeer, requireProps } from '../core/peers';
import { IPrivateVSwitch } from '../network/private-vswitch';
import { Flavor } from './flavor';
import { IServerTier, ServerCluster, ServerGroupPolicy, ServerInstance } from './server-cluster';

/** Props of {@link Machines}. */
export interface MachinesProps {
  /** The vSwitch the servers are on. */
  readonly vswitch: IPrivateVSwitch;
  /** Flavor of every server: the functions placed on them share its vCPUs and RAM. */
  readonly flavor: Flavor;
  /** Servers, 1 to 50. @default 1 */
  readonly count?: number;
  /**
   * The servers hold data a rebuild cannot restore (a database, a broker's queues): required for
   * the functions that keep data, and such machines must be in a backup policy. @default false
   */
  readonly stateful?: boolean;
  /** Boot volume size in GB. @default - the flavor's sizing disk, else the flavor's disk */
  readonly bootVolumeGb?: number;
  /** Host name prefix; hosts are `<prefix>-1`, `<prefix>-2`, ... @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
  /** Server-group policy. @default ServerGroupPolicy.ANTI_AFFINITY */
  readonly placement?: ServerGroupPolicy;
}

/**
 * Servers that application functions are placed on: the constructs of a function (a
 * {@link ClientDatabases}, a {@link TaskBroker}, a worker category, a {@link MemcachedPool}) take the
 * machines they run on as a prop, so one set of machines can carry every function (one machine for
 * all), one function each (a machine per function), or one part of a function (a machine per
 * individual function). Moving from one layout to the next changes which machines are given, not the
 * functions. The servers' security group is shared by the functions placed on them.
 */
export class Machines extends Construct implements IServerTier {
  /** The servers. */
  public readonly cluster: ServerCluster;
  /** Their network intent, shared by every function placed on them. */
  public readonly connections: Connections;
  /** The functions placed on these machines, in the order they were placed (what a review reads). */
  private readonly functions: string[] = [];

  constructor(scope: Construct, id: string, props: MachinesProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    const count = props.count ?? 1;
    requireIntegerInRange(this, 'count', count, 1, 50);
    this.cluster = new ServerCluster(this, 'Servers', {
      vswitch: props.vswitch,
      count,
      flavor: props.flavor,
      bootVolumeGb: props.bootVolumeGb,
      hostnamePrefix: props.hostnamePrefix ?? kebabCase(id),
      placement: props.placement,
      stateful: props.stateful ?? false,
    });
    this.connections = this.cluster.connections;
    this.node.defaultChild = this.cluster.instances[0].resource;
    brand(this, 'Machines');
  }

  /** The servers' instances. */
  public get instances(): readonly ServerInstance[] {
    return this.cluster.instances;
  }

  /** The functions placed on these machines (construct paths), in order. */
  public get placedFunctions(): readonly string[] {
    return [...this.functions];
  }

  /**
   * Records that `fn` runs on these machines, and checks what it needs: `stateful` machines for a
   * function that keeps data, `exactly` servers for a function of a fixed size. Called by the
   * function's constructor; `prop` is its prop naming the machines.
   */
  public place(fn: Construct, prop: string, needs: { readonly stateful?: boolean; readonly exactly?: number } = {}): void {
    if (needs.stateful && !this.cluster.stateful) {
      throw new HostingStacksError(fn, prop, this.node.path, 'keeps data a rebuild cannot restore: give it Machines made with stateful: true (and back them up)');
    }
    if (needs.exactly !== undefined && this.cluster.instances.length !== needs.exactly) {
      throw new HostingStacksError(fn, prop, this.node.path, `has ${this.cluster.instances.length} servers; this function runs on exactly ${needs.exactly}`);
    }
    this.functions.push(fn.node.path);
  }
}
