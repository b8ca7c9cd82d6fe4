import { Construct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { Machines } from '../compute/machines';
import { IServerTier, ServerCluster } from '../compute/server-cluster';
import { renderTemplate } from '../config/template';
import { Connections, IConnectable } from '../core/connections';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { brand, Kinds, requirePeer, requireProps } from '../core/peers';
import { Port } from '../core/port';

/** memcached's well-known TCP port. */
export const MEMCACHED_DEFAULT_PORT = 11211;

/** Where Debian's memcached reads its options. */
export const MEMCACHED_CONFIG_PATH = '/etc/memcached.conf';

/** Default share of each server's RAM memcached may fill: the rest is for the other functions on the machines and the OS. */
export const MEMCACHED_DEFAULT_MEMORY_FRACTION = 0.25;

/** Default largest item, in MB: a finished analysis is cached whole (memcached's own default is 1 MB). */
export const MEMCACHED_DEFAULT_MAX_ITEM_MB = 8;

/** Model of `/etc/memcached.conf`. */
export interface MemcachedConfigModel {
  /** What the cache holds, for the header. */
  readonly purpose: string;
  /** Item memory in MB (`-m`). */
  readonly memoryMb: number;
  /** TCP port (`-p`). */
  readonly port: number;
  /** Addresses listened on (`-l`): the server's planned address and the loopback, never all. */
  readonly listenAddresses: readonly string[];
  /** Connections at once (`-c`). */
  readonly maxConnections: number;
  /** Worker threads (`-t`): the server's vCPUs. */
  readonly threads: number;
  /** Largest item in MB (`-I`). */
  readonly maxItemMb: number;
}

/** Renders Debian's `/etc/memcached.conf` (checked by starting the real memcached with its options). */
export function renderMemcachedConfig(model: MemcachedConfigModel): string {
  return renderTemplate('memcached.conf.hbs', model);
}

/** Props of {@link MemcachedPool}. */
export interface MemcachedPoolProps {
  /** The machines memcached runs on: one process on each server; a key lives on one of them, by its hash. */
  readonly machines: Machines;
  /** Share of each server's RAM memcached may fill, 0.05 to 0.8. @default MEMCACHED_DEFAULT_MEMORY_FRACTION (0.25) */
  readonly memoryFraction?: number;
  /** Largest item in MB, 1 to 128. @default MEMCACHED_DEFAULT_MAX_ITEM_MB (8) */
  readonly maxItemMb?: number;
  /** TCP port. @default MEMCACHED_DEFAULT_PORT (11211) */
  readonly port?: number;
  /** What the pool holds, for the config's header. @default 'a shared cache' */
  readonly purpose?: string;
}

/**
 * A pool of memcached servers (Debian 12 `memcached`) shared by worker processes: each server of
 * its machines runs one memcached bound to its planned address and the loopback, no UDP, its item
 * memory a share of the RAM. It holds what may be lost (a restart empties it): intermediate data of
 * parallel analyses and finished analyses. memcached has no authentication here: only the clients
 * given to `allowClients` reach the port.
 */
export class MemcachedPool extends Construct implements IServerTier {
  /** The servers (those of the machines given). */
  public readonly cluster: ServerCluster;
  /** Their network intent. */
  public readonly connections: Connections;
  /** The machines given. */
  public readonly machines: Machines;
  /** TCP port. */
  public readonly port: number;
  /** Item memory of each server, in MB. */
  public readonly memoryMb: number;
  /** Largest item in MB. */
  public readonly maxItemMb: number;

  constructor(scope: Construct, id: string, props: MemcachedPoolProps) {
    super(scope, id);
    requireProps(this, props);
    this.machines = requirePeer(this, 'machines', props.machines, Kinds.MACHINES);
    this.port = props.port ?? MEMCACHED_DEFAULT_PORT;
    requireIntegerInRange(this, 'port', this.port, 1, 65535);
    const fraction = props.memoryFraction ?? MEMCACHED_DEFAULT_MEMORY_FRACTION;
    if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0.05 || fraction > 0.8) {
      throw new HostingStacksError(this, 'memoryFraction', fraction, 'must be a number from 0.05 to 0.8 of each server\'s RAM');
    }
    this.maxItemMb = props.maxItemMb ?? MEMCACHED_DEFAULT_MAX_ITEM_MB;
    requireIntegerInRange(this, 'maxItemMb', this.maxItemMb, 1, 128);
    this.machines.place(this, 'machines');
    this.cluster = this.machines.cluster;
    this.connections = this.machines.connections;
    this.memoryMb = Math.floor(this.cluster.flavor.ramGb * 1024 * fraction);
    if (this.memoryMb < 4 * this.maxItemMb) {
      throw new HostingStacksError(this, 'memoryFraction', fraction, `gives memcached ${this.memoryMb} MB of ${this.cluster.flavor.ramGb} GB; it needs at least 4 items of maxItemMb (${4 * this.maxItemMb} MB)`);
    }
    const purpose = props.purpose ?? 'a shared cache';
    this.cluster.configureHosts((host) => {
      host.cloudConfig.addPackages('memcached');
      host.cloudConfig.addFile({
        path: MEMCACHED_CONFIG_PATH,
        syntax: ConfigSyntax.MEMCACHED,
        content: renderMemcachedConfig({
          purpose,
          memoryMb: this.memoryMb,
          port: this.port,
          listenAddresses: [host.address, '127.0.0.1'],
          maxConnections: 1024,
          threads: Math.max(1, this.cluster.flavor.vcpus),
          maxItemMb: this.maxItemMb,
        }),
      });
      host.cloudConfig.addServices('memcached');
    });
    brand(this, 'MemcachedPool');
  }

  /** `address:port` of every server of the pool, in order (what clients hash keys over). */
  public get servers(): readonly string[] {
    return this.cluster.instances.map((i) => `${i.address}:${this.port}`);
  }

  /** Lets `client` reach memcached on every server of the pool (its own group too, when it shares the pool's machines: one server asks another). */
  public allowClients(client: IConnectable, description = 'memcached clients'): void {
    this.connections.allowFrom(client, Port.tcp(this.port), `${this.node.path}: ${description}`);
  }
}
