import { IArchitectureIntent, RedundancyKind, TierIntent } from '../core/architecture-intent';
import { Construct } from 'constructs';
import { NetworkingFloatingipAssociateV2 } from '../../.gen/providers/openstack/networking-floatingip-associate-v2';
import { NetworkingFloatingipV2 } from '../../.gen/providers/openstack/networking-floatingip-v2';
import { NetworkingRouterInterfaceV2 } from '../../.gen/providers/openstack/networking-router-interface-v2';
import { Flavor, Sizing } from '../compute/flavor';
import { ServerCluster, ServerGroupPolicy } from '../compute/server-cluster';
import { Connections, IConnectable, Peer } from '../core/connections';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { TextKind, requireOptionalText, requireText } from '../core/text';
import { parseIpv4 } from '../core/ipv4';
import { requireAdminSource, requireIpv4Address, requireIpv4Cidr } from '../core/choices';
import { Port } from '../core/port';
import { ExternalNetwork } from '../network/external-network';
import { IPrivateVSwitch, PlannedPort } from '../network/private-vswitch';
import { KeepalivedVrrpInstanceModel, VrrpState } from './keepalived-config';
import { kebabCase } from '../core/naming';
import { escapeTerraformText } from '../core/terraform-text';
import { KEEPALIVED_NIC_INCLUDE, KEEPALIVED_NIC_VARIABLE, resolveNicAtBoot } from '../compute/nic-resolution';
import { Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';

/** Two nodes share one VIP by VRRP: one holds it, the other takes over. */
export const VRRP_NODE_COUNT = 2;

/**
 * Default sizing of a VRRP node: 2 vCPUs, 4 GB, 20 GB (`c3-4` in the 2026-08 catalog). Enough for
 * keepalived with IPVS or haproxy at a few thousand connections; size up for heavy TLS or bandwidth.
 */
export const DEFAULT_VRRP_SIZING: Sizing = { vcpus: 2, ramGb: 4, diskGb: 20 };

/** VRRP priority of the first node, which wins the first election. */
export const VRRP_PREFERRED_PRIORITY = 150;
/** VRRP priority of the second node. */
export const VRRP_STANDBY_PRIORITY = 100;

/**
 * keepalived's name for the nodes' interface when none is pinned: `$NIC`, defined at boot by
 * `/run/hosting-stacks/keepalived-nic.conf` from the interface that carries the node's fixed
 * address (OVHcloud's Debian 12 image names it `ens3`, other images `eth0`).
 */
export const DEFAULT_VRRP_INTERFACE = KEEPALIVED_NIC_VARIABLE;

/**
 * Seconds between VRRP adverts by default: 0.1 (VRRPv3 counts them in hundredths). A backup takes
 * the VIP once it has heard no advert for 3 intervals plus a skew (RFC 5798 §6.1): 0.36 s for the
 * standby's priority 100, against 3.6 s with the former default of 1 s, which kept the site dark
 * for 3.6 s per failure (issue 9 item 12; measured here with the real keepalived: 3.5 s at 1 s,
 * 0.37 s at 0.1 s).
 *
 * What it costs: the master alone advertises, by unicast to its one peer, so 10 adverts/s per pair
 * (a 32-byte IP packet each, a minimum-size frame: about 5 kbit/s): nothing for the NIC, Neutron or
 * the CPU.
 * What it risks: a master that cannot send for 0.36 s (CPU starvation, swapping, a stalled
 * hypervisor) is taken over for nothing; with LVS every such move resets the open connections.
 * Mitigated by: dedicated vCPUs (the default c3 flavors, no CPU steal), keepalived's VRRP process
 * first among ordinary processes and locked in memory (`vrrp_priority -20`, `vrrp_no_swap` in every
 * rendered keepalived.conf), and `nopreempt`, so a spurious takeover moves the VIP once, not back
 * and forth. Not real-time priority (`vrrp_rt_priority`): in the lab, under load, the kernel killed
 * the real-time VRRP process for exceeding its 10 ms CPU slice (`rlimit_rttime`), which is itself
 * a failover.
 * A pair that still flaps (keepalived logs `Entering MASTER STATE` with no failure behind it)
 * needs a larger flavor or a longer `advertIntervalSeconds`.
 */
export const DEFAULT_ADVERT_INTERVAL_SECONDS = 0.1;

/** VRRPv3 adverts are counted in hundredths of a second on 12 bits (RFC 5798 §5.2.7). */
const MAX_ADVERT_CENTISECONDS = 4095;

/** Props of {@link VrrpPair}. */
/**
 * What every VRRP pair takes (LvsBalancer, HaproxyBalancer, a user's own pair): the one definition
 * of these props and their documentation, extended by each balancer's own props.
 */
export interface VrrpPairOptions {
  /** The vSwitch the nodes and the VIP are on. Its router needs an external gateway (floating IP). */
  readonly vswitch: IPrivateVSwitch;
  /** The only network SSH to the nodes is allowed from. */
  readonly adminCidr: string;
  /** Flavor of the nodes. @default Flavor.fromSizing(DEFAULT_VRRP_SIZING) */
  readonly flavor?: Flavor;
  /** VRRP router id, 1-255, unique among the VRRP pairs of one vSwitch. @default - (VIP as a 32-bit number mod 255) + 1 */
  readonly virtualRouterId?: number;
  /**
   * Seconds between VRRP adverts (VRRPv3: 0.01 to 40.95, in hundredths); failover takes about 3.6x
   * this (see {@link DEFAULT_ADVERT_INTERVAL_SECONDS} for the trade-off). @default DEFAULT_ADVERT_INTERVAL_SECONDS (0.1)
   */
  readonly advertIntervalSeconds?: number;
  /** Planned address of the VIP on the vSwitch. @default - the next free planned address */
  readonly vipAddress?: string;
  /** Public network the floating IP comes from; must be the vSwitch router's gateway network. @default ExternalNetwork.ovh() */
  readonly externalNetwork?: ExternalNetwork;
  /** Pin the name of the nodes' network interface (`ens3`). @default - found at boot from each node's fixed address */
  readonly interfaceName?: string;
  /** Host name prefix of the nodes (`<prefix>-1`, `<prefix>-2`). @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
}

/** Props of {@link VrrpPair}: the shared options and how rule descriptions name the nodes. */
export interface VrrpPairProps extends VrrpPairOptions {
  /** What the nodes are, in rule descriptions (`VRRP adverts between the <role>`). @default 'VRRP nodes' */
  readonly role?: string;
}

/**
 * Two nodes sharing a VIP by VRRP (keepalived), with a floating IP on the VIP: the part every
 * self-managed balancer pair has in common (LVS directors, haproxy nodes). Subclasses add what
 * the nodes run.
 *
 * - The nodes are a 2-instance anti-affine {@link ServerCluster} (construct id `Nodes`).
 * - The VIP is a port with a planned fixed address and no device (`VipPort`); both nodes' ports
 *   list it in `allowed_address_pairs` so Neutron lets the master answer ARP and send from it.
 * - A floating IP (`FloatingIp`, `node.defaultChild`) is associated with the VIP port
 *   (`FloatingIpAssociation`) once the vSwitch is attached to its gateway router.
 * - VRRP: unicast adverts between the two nodes' planned addresses (no multicast needed on
 *   OpenStack), VRRPv3; both start BACKUP with `nopreempt` and priorities 150/100, so a recovered
 *   node does not take the VIP back (one interruption per failure instead of two).
 * - Network intent: VRRP between the nodes, SSH from `adminCidr` only.
 *
 * Construct ids are those LvsBalancer always had (`Nodes`, `VipPort`, `FloatingIp`,
 * `FloatingIpAssociation`), directly under the balancer, so the refactoring replaced nothing.
 */
export class VrrpPair extends Construct implements IArchitectureIntent, IConnectable {
  /** Either node holds the VIP (VRRP). (architecture notes) */
  public readonly architectureIntent: TierIntent = { redundancy: RedundancyKind.VIP_PAIR };
  /** The nodes' network intent (their security group). */
  public readonly connections: Connections;
  /** The two nodes. */
  public readonly nodes: ServerCluster;
  /** The VIP's planned address on the vSwitch. */
  public readonly vipAddress: string;
  /** The VIP port (no device; the floating IP points to it). */
  public readonly vipPort: PlannedPort;
  /** The floating IP, the pair's public address; also `node.defaultChild`. */
  public readonly floatingIp: NetworkingFloatingipV2;
  /** The floating IP's association with the VIP port. */
  public readonly floatingIpAssociation: NetworkingFloatingipAssociateV2;
  /** The VRRP router id. */
  public readonly virtualRouterId: number;
  /** Seconds between VRRP adverts. */
  public readonly advertIntervalSeconds: number;
  /** The nodes' interface name when pinned; undefined when each node finds it at boot from its address. */
  public readonly interfaceName?: string;
  /** The network SSH is allowed from. */
  public readonly adminCidr: string;
  /** The external network of the floating IP. */
  public readonly externalNetwork: ExternalNetwork;
  /** The vSwitch. */
  public readonly vswitch: IPrivateVSwitch;
  /** What the nodes are, in descriptions. */
  public readonly role: string;

  constructor(scope: Construct, id: string, props: VrrpPairProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    optionalPeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    optionalPeer(this, 'externalNetwork', props.externalNetwork, Kinds.EXTERNAL_NETWORK);
    this.vswitch = props.vswitch;
    // Written into rule descriptions and host-firewall comments.
    this.role = requireText(this, 'role', props.role ?? 'VRRP nodes', TextKind.FREE_TEXT);
    this.externalNetwork = props.externalNetwork ?? ExternalNetwork.ovh();
    this.interfaceName = props.interfaceName;
    requireOptionalText(this, 'interfaceName', this.interfaceName, TextKind.WORD, {
      pattern: /^[A-Za-z0-9_.-]{1,15}$/,
      allowed: 'must be a Linux interface name: 1 to 15 letters, digits, dots, dashes or underscores',
    });

    const admin = requireIpv4Cidr(this, 'adminCidr', props.adminCidr, '198.51.100.0/24');
    if (admin.prefix === 0) throw new HostingStacksError(this, 'adminCidr', props.adminCidr, 'must not be the whole internet: SSH is only for the admin network');
    requireAdminSource(this, 'adminCidr', admin);
    this.adminCidr = admin.text;

    this.advertIntervalSeconds = props.advertIntervalSeconds ?? DEFAULT_ADVERT_INTERVAL_SECONDS;
    const centiseconds = Math.round(this.advertIntervalSeconds * 100);
    if (!Number.isFinite(this.advertIntervalSeconds) || Math.abs(centiseconds - this.advertIntervalSeconds * 100) > 1e-6 || centiseconds < 1 || centiseconds > MAX_ADVERT_CENTISECONDS) {
      throw new HostingStacksError(this, 'advertIntervalSeconds', props.advertIntervalSeconds, 'must be from 0.01 to 40.95 in steps of 0.01 (VRRPv3)');
    }

    requireGatewayRouter(this, this.vswitch, this.externalNetwork);

    if (props.vipAddress !== undefined) {
      requireIpv4Address(this, 'vipAddress', props.vipAddress, this.vswitch.plannedRange.first);
      if (!this.vswitch.contains(props.vipAddress)) {
        throw new HostingStacksError(this, 'vipAddress', props.vipAddress, `is outside the subnet ${this.vswitch.cidr} of ${this.vswitch.node.path}`);
      }
    }
    if (props.virtualRouterId !== undefined) requireIntegerInRange(this, 'virtualRouterId', props.virtualRouterId, 1, 255);

    this.nodes = new ServerCluster(this, 'Nodes', {
      vswitch: this.vswitch,
      count: VRRP_NODE_COUNT,
      flavor: props.flavor ?? Flavor.fromSizing(DEFAULT_VRRP_SIZING),
      placement: ServerGroupPolicy.ANTI_AFFINITY,
      hostnamePrefix: props.hostnamePrefix ?? kebabCase(id),
    });
    this.connections = this.nodes.connections;
    this.vipPort = this.vswitch.addPort(this, 'VipPort', { connections: [this.connections], address: props.vipAddress, addressProp: 'vipAddress' });
    this.vipAddress = this.vipPort.address;

    this.virtualRouterId = props.virtualRouterId ?? (parseIpv4(this.vipAddress)! % 255) + 1;
    this.vswitch.reserveVirtualRouterId(this, this.virtualRouterId);

    for (const host of this.nodes.instances) {
      host.port.addAllowedAddressPair(this.vipAddress);
      // keepalived names the interface; unless pinned, each node finds it at boot from its address.
      if (this.interfaceName === undefined) resolveNicAtBoot(host.cloudConfig, host.address, ['keepalived.service']);
    }

    this.floatingIp = new NetworkingFloatingipV2(this, 'FloatingIp', {
      pool: this.externalNetwork.name,
      description: escapeTerraformText(`hosting-stacks: ${this.node.path} VIP ${this.vipAddress}`),
    });
    this.node.defaultChild = this.floatingIp;
    this.floatingIpAssociation = associateFloatingIp(this, this.floatingIp, this.vipPort.resource.id, this.vswitch);

    this.connections.allowInternally(Port.vrrp(), `VRRP adverts between the ${this.role}`);
    this.connections.allowFrom(Peer.ipv4(this.adminCidr), Port.tcp(22), 'SSH from the admin network');
  }

  /** Files keepalived.conf includes: the boot-time definition of `$NIC` unless the interface is pinned. */
  public get keepalivedIncludes(): string[] {
    return this.interfaceName === undefined ? [KEEPALIVED_NIC_INCLUDE] : [];
  }

  /**
   * The `vrrp_instance` of node `index` (0 or 1): unicast to the other node, BACKUP with
   * `nopreempt`, priority 150 for the first node and 100 for the second, the VIP as a /32.
   * `trackScripts` names `vrrp_script`s whose failure puts the node in FAULT, releasing the VIP.
   */
  public vrrpInstanceModel(index: number, trackScripts: readonly string[] = []): KeepalivedVrrpInstanceModel {
    const host = this.nodes.instances[index];
    if (!host) throw new HostingStacksError(this, 'index', index, `must be from 0 to ${VRRP_NODE_COUNT - 1}`);
    return {
      name: `VI_${this.virtualRouterId}`,
      interface: this.interfaceName ?? DEFAULT_VRRP_INTERFACE,
      state: VrrpState.BACKUP,
      priority: index === 0 ? VRRP_PREFERRED_PRIORITY : VRRP_STANDBY_PRIORITY,
      virtualRouterId: this.virtualRouterId,
      advertIntervalSeconds: this.advertIntervalSeconds,
      unicastSrcIp: host.address,
      unicastPeers: this.nodes.addresses.filter((a) => a !== host.address),
      nopreempt: true,
      virtualIpAddresses: [`${this.vipAddress}/32`],
      trackScripts,
    };
  }
}

/**
 * Throws unless `vswitch`'s router has `externalNetwork` as its gateway: a floating IP can only
 * be associated with a port on a subnet attached to a router with that gateway.
 */
export function requireGatewayRouter(scope: Construct, vswitch: IPrivateVSwitch, externalNetwork: ExternalNetwork): void {
  const gateway = vswitch.router.externalNetwork;
  if (!gateway) {
    throw new HostingStacksError(scope, 'vswitch', vswitch.node.path, "has a router without an external gateway; a floating IP needs one (give the vSwitch or its router an 'externalNetwork')");
  }
  if (gateway.name !== externalNetwork.name) {
    throw new HostingStacksError(scope, 'externalNetwork', externalNetwork.name, `must be the gateway network of ${vswitch.node.path}'s router ('${gateway.name}')`);
  }
}

/**
 * Associates `floatingIp` with `portId` (construct id `FloatingIpAssociation` in `scope`), after the
 * vSwitch's router interface exists: the association fails while the subnet is not yet attached.
 */
export function associateFloatingIp(scope: Construct, floatingIp: NetworkingFloatingipV2, portId: string, vswitch: IPrivateVSwitch): NetworkingFloatingipAssociateV2 {
  const routerInterface = vswitch.node.tryFindChild('RouterInterface');
  return new NetworkingFloatingipAssociateV2(scope, 'FloatingIpAssociation', {
    floatingIp: floatingIp.address,
    portId,
    dependsOn: routerInterface instanceof NetworkingRouterInterfaceV2 ? [routerInterface] : undefined,
  });
}

/** `FrontEnds` -> `front-ends`: a construct id as a host name prefix. */

/**
 * The {@link VrrpPairProps} a subclass passes to `super` from its own props: `map(props)`, or
 * `props` unchanged when it is not an object, so that `VrrpPair`'s own check throws a
 * {@link HostingStacksError} naming the construct instead of the subclass crashing on `props.x`.
 */
export function vrrpPairPropsOf<P extends object>(props: P | undefined, map: (p: P) => VrrpPairProps): VrrpPairProps {
  return typeof props === 'object' && props !== null && !Array.isArray(props) ? map(props) : (props as unknown as VrrpPairProps);
}
