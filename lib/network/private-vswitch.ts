import { ITerraformDependable, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { NetworkingNetworkV2 } from '../../.gen/providers/openstack/networking-network-v2';
import { NetworkingPortV2 } from '../../.gen/providers/openstack/networking-port-v2';
import { NetworkingRouterInterfaceV2 } from '../../.gen/providers/openstack/networking-router-interface-v2';
import { NetworkingSubnetV2 } from '../../.gen/providers/openstack/networking-subnet-v2';
import { Connections } from '../core/connections';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { IPV4_ADDRESS_RULE, requireEnumValue, requireIpv4Address, requireIpv4Cidr, requireOpenstackName } from '../core/choices';
import { cidrsOverlap, formatIpv4, Ipv4Cidr, parseIpv4 } from '../core/ipv4';
import { resourceName } from '../core/naming';
import { requireTerraformLiteral } from '../core/terraform-text';
import { ExternalNetwork } from './external-network';
import { Router } from './router';
import { brand, hasBrand, Kinds, optionalPeer, requireProps } from '../core/peers';

/**
 * Free addresses kept in the DHCP allocation pool at the least: the DHCP port takes one and an
 * Octavia load balancer needs 3 to 5 (OVHcloud docs, `getting-started-01-create-lb-service`).
 */
export const MIN_DHCP_POOL_SIZE = 5;

/** The security zone of a vSwitch: what the policy pack reasons about. */
export enum NetworkZone {
  /** Reached from the internet: balancers' VIPs, DMZ servers, CDN origins. */
  DMZ = 'dmz',
  /** Application servers behind the DMZ (web, app, front-end tiers). */
  APPLICATION = 'application',
  /** Vital data: databases, caches, search, shared files. Never reachable from the internet or the DMZ. */
  DATA = 'data',
  /** Operators: VPN gateways, back-office, deployment, monitoring, backup runners. */
  MANAGEMENT = 'management',
}

/** Props of {@link PrivateVSwitch}. */
export interface PrivateVSwitchProps {
  /** IPv4 block of the subnet, /16 to /28 (OVHcloud private networks live in the project's vRack). */
  readonly cidr: string;
  /**
   * How many addresses after the gateway are kept for planned, fixed addresses; the DHCP
   * allocation pool gets the rest. @default - half of the host addresses
   */
  readonly plannedAddressCount?: number;
  /** Router to attach to (shared between vSwitches, routes between them). @default - a router of its own */
  readonly router?: Router;
  /** Public network for the vSwitch's own router gateway. Ignored when `router` is given. @default - no external gateway */
  readonly externalNetwork?: ExternalNetwork;
  /** DNS servers handed out by DHCP. @default - the cloud's default */
  readonly dnsNameservers?: string[];
  /** Network name. @default - derived from the construct path */
  readonly name?: string;
  /** Security zone, for the policy pack. @default NetworkZone.APPLICATION */
  readonly zone?: NetworkZone;
}

/** One planned address and who holds it. */
export interface AddressAllocation {
  /** The fixed IPv4 address. */
  readonly address: string;
  /** Path of the construct holding it. */
  readonly holder: string;
}

/** Options of {@link PrivateVSwitch.addPort}. */
export interface PortOptions {
  /** Security groups of the port, from the holders' connections. */
  readonly connections: Connections[];
  /** A specific planned address. @default - the next free planned address */
  readonly address?: string;
  /** The holder's prop `address` came from, named in errors (e.g. 'vipAddress'). @default 'address' */
  readonly addressProp?: string;
  /** Extra addresses the port may send from (VRRP VIPs, LVS forwarding). @default - none */
  readonly allowedAddressPairs?: string[];
}

/** A Neutron port with its planned fixed address. */
export interface PlannedPort {
  /** The port resource. */
  readonly resource: NetworkingPortV2;
  /** Its fixed IPv4 address, known at synth. */
  readonly address: string;
  /** The vSwitch it sits on. */
  readonly vswitch: IPrivateVSwitch;
  /**
   * Extra source addresses (or CIDRs) the port may send from: VRRP VIPs, LVS direct-routing VIPs.
   * Empty once port security is off (a port without port security may send from any address).
   */
  readonly allowedAddressPairs: readonly string[];
  /** Lets the port send from `address` too (anti-spoofing exception). Idempotent; moot, and ignored, once port security is off. */
  addAllowedAddressPair(address: string): void;
  /** True while Neutron filters the port (security groups, anti-spoofing): the default. */
  readonly portSecurityEnabled: boolean;
  /** Why port security is off, as given to {@link PlannedPort.disablePortSecurity}; undefined while it is on. */
  readonly portSecurityDisabledReason?: string;
  /**
   * Turns Neutron's port security off for this port (`port_security_enabled = false`): no security
   * group (Neutron refuses one on such a port: `no_security_groups = true`), no anti-spoofing, so no
   * allowed address pairs either (Neutron refuses those too). The port still counts as a member of
   * its holders' {@link Connections} (host firewalls rendered from them name its address), but no
   * longer of their security groups: rules elsewhere naming those groups are realised for its address
   * by `remote_ip_prefix` (see {@link Connections.addMemberOutsideSecurityGroup}). Nothing filters the
   * port but the host's own firewall, so the holder must render one from its Connections.
   * `reason` is required and kept. Idempotent (the first reason is kept).
   */
  disablePortSecurity(reason: string): void;
}


/**
 * A private network with one IPv4 subnet that plans fixed addresses at synth: what the constructs
 * placed on a vSwitch read and call. {@link PrivateVSwitch} implements it; props take this
 * interface, and the runtime check ({@link PrivateVSwitch.isPrivateVSwitch}) accepts any vSwitch
 * carrying the `PrivateVSwitch` brand, so a copy of the library or a subclass passes too.
 */
export interface IPrivateVSwitch extends IConstruct {
  /** The Neutron network's id (a Terraform reference). */
  readonly networkId: string;
  /** The subnet's id (a Terraform reference). */
  readonly subnetId: string;
  /** The router the subnet is attached to. */
  readonly router: Router;
  /** The subnet's interface on the router: floating IPs and VPN services on the subnet depend on it. */
  readonly routerInterface: ITerraformDependable;
  /** The subnet's CIDR in canonical form. */
  readonly cidr: string;
  /** The gateway (router interface) address. */
  readonly gatewayIp: string;
  /** First and last planned address. */
  readonly plannedRange: { readonly first: string; readonly last: string };
  /** First and last address of the DHCP allocation pool (Octavia amphorae and the DHCP port take theirs there). */
  readonly dhcpPool: { readonly start: string; readonly end: string };
  /** The number of planned addresses. */
  readonly plannedAddressCount: number;
  /** The security zone, for the policy pack. */
  readonly zone: NetworkZone;
  /** Every planned address handed out so far, in order. */
  readonly allocations: AddressAllocation[];
  /** True when `address` lies in the subnet. */
  contains(address: string): boolean;
  /**
   * Hands out a planned address to `holder`: the one asked for, or the next free one. Errors name
   * the holder and its prop `prop` (where `address` came from) and say what is allowed.
   */
  allocateAddress(holder: IConstruct, address?: string, prop?: string): string;
  /**
   * Reserves `size` consecutive planned addresses for `holder`'s members and returns them in order;
   * only `holder` and constructs below it can take them. The error names `holder`'s prop `prop`.
   */
  reserveAddresses(holder: IConstruct, size: number, prop?: string): string[];
  /** Reserves VRRP virtual router id `id` on the segment for `owner`; throws naming `owner` when another construct holds it. */
  reserveVirtualRouterId(owner: IConstruct, id: number): void;
  /** Creates a port in `scope` on the vSwitch with a planned fixed address and the given security groups. */
  addPort(scope: Construct, id: string, options: PortOptions): PlannedPort;
}

/**
 * A private network (OVHcloud vRack VLAN) with one IPv4 subnet, attached to a router, that plans
 * addresses at synth time. Constructs placed on it take fixed addresses from the planned range in
 * the order they ask, so every daemon config naming a peer is complete at synth and can be checked
 * before deploy. The DHCP allocation pool is the rest of the subnet and never overlaps the planned
 * range.
 *
 * Layout of a /24 by default: `.1` gateway, `.2`–`.127` planned, `.128`–`.254` DHCP pool.
 */
export class PrivateVSwitch extends Construct implements IPrivateVSwitch {
  /** True when `x` is a {@link PrivateVSwitch} (a `Symbol.for` brand: look-alike objects are not). */
  public static isPrivateVSwitch(x: unknown): x is PrivateVSwitch {
    return hasBrand(x, 'PrivateVSwitch');
  }

  /** The network, construct id `Resource`. */
  public readonly network: NetworkingNetworkV2;
  /** The subnet. */
  public readonly subnet: NetworkingSubnetV2;
  /** The network's id. */
  public readonly networkId: string;
  /** The subnet's id. */
  public readonly subnetId: string;
  /** The router the subnet is attached to. */
  public readonly router: Router;
  /** The subnet's interface on the router (construct id `RouterInterface`): floating IPs on the subnet's ports depend on it. */
  public readonly routerInterface: NetworkingRouterInterfaceV2;
  /** The subnet's CIDR in canonical form. */
  public readonly cidr: string;
  /** The gateway (router interface) address: the first host address. */
  public readonly gatewayIp: string;
  /** First and last planned address. */
  public readonly plannedRange: { readonly first: string; readonly last: string };
  /** First and last address of the DHCP allocation pool. */
  public readonly dhcpPool: { readonly start: string; readonly end: string };
  /** The number of planned addresses. */
  public readonly plannedAddressCount: number;
  /** The security zone. */
  public readonly zone: NetworkZone;
  /** VRRP virtual router ids reserved on this segment, with the pair holding each. */
  private readonly vrrpIds = new Map<number, IConstruct>();

  private readonly block: Ipv4Cidr;
  private readonly firstPlanned: number;
  private readonly lastPlanned: number;
  private readonly taken = new Map<number, string>();
  /** Addresses kept for a holder's later members (its address capacity), by address: the holder's path. */
  private readonly reserved = new Map<number, string>();

  constructor(scope: Construct, id: string, props: PrivateVSwitchProps) {
    super(scope, id);
    brand(this, 'PrivateVSwitch');
    requireProps(this, props);
    optionalPeer(this, 'router', props.router, Kinds.ROUTER);
    optionalPeer(this, 'externalNetwork', props.externalNetwork, Kinds.EXTERNAL_NETWORK);
    const block = requireIpv4Cidr(this, 'cidr', props.cidr, '10.10.1.0/24');
    if (block.prefix < 16 || block.prefix > 28) {
      throw new HostingStacksError(this, 'cidr', props.cidr, 'must have a prefix length from /16 to /28');
    }
    const stack = TerraformStack.of(this);
    // The stack's other vSwitches, from its tree (this one is in it already, without a block yet).
    const siblings = stack.node.findAll().filter((c): c is PrivateVSwitch => c !== this && PrivateVSwitch.isPrivateVSwitch(c) && c.block !== undefined);
    const clash = siblings.find((s) => cidrsOverlap(s.block, block));
    if (clash) {
      throw new HostingStacksError(this, 'cidr', props.cidr, `overlaps ${clash.cidr} of ${clash.node.path}; the subnets of one stack must not overlap`);
    }
    const hosts = block.size - 2;
    const maxPlanned = hosts - 1 - MIN_DHCP_POOL_SIZE;
    const planned = props.plannedAddressCount ?? Math.floor((hosts - 1) / 2);
    requireIntegerInRange(this, 'plannedAddressCount', planned, 1, maxPlanned);

    this.block = block;
    this.cidr = block.text;
    // A zone given by its member's name ('DATA') would silently skip the data-isolation rule.
    this.zone = requireEnumValue(this, 'zone', props.zone ?? NetworkZone.APPLICATION, NetworkZone, 'NetworkZone');
    for (const ns of props.dnsNameservers ?? []) requireIpv4Address(this, 'dnsNameservers', ns, '213.186.33.99');
    if (props.name !== undefined) requireOpenstackName(this, 'name', props.name, 'a Neutron network name');
    requireTerraformLiteral(this, 'name', props.name, true);
    this.plannedAddressCount = planned;
    this.gatewayIp = formatIpv4(block.network + 1);
    this.firstPlanned = block.network + 2;
    this.lastPlanned = this.firstPlanned + planned - 1;
    this.plannedRange = { first: formatIpv4(this.firstPlanned), last: formatIpv4(this.lastPlanned) };
    this.dhcpPool = { start: formatIpv4(this.lastPlanned + 1), end: formatIpv4(block.network + block.size - 2) };

    const name = props.name ?? resourceName(this);
    this.network = new NetworkingNetworkV2(this, 'Resource', { name, adminStateUp: true });
    this.subnet = new NetworkingSubnetV2(this, 'Subnet', {
      name,
      networkId: this.network.id,
      cidr: this.cidr,
      ipVersion: 4,
      gatewayIp: this.gatewayIp,
      enableDhcp: true,
      dnsNameservers: props.dnsNameservers,
      allocationPool: [{ start: this.dhcpPool.start, end: this.dhcpPool.end }],
    });
    this.networkId = this.network.id;
    this.subnetId = this.subnet.id;
    this.router = props.router ?? new Router(this, 'Router', { externalNetwork: props.externalNetwork });
    this.routerInterface = new NetworkingRouterInterfaceV2(this, 'RouterInterface', { routerId: this.router.resource.id, subnetId: this.subnet.id });
  }

  /** Every planned address handed out so far, in order. */
  public get allocations(): AddressAllocation[] {
    return [...this.taken.entries()].sort((a, b) => a[0] - b[0]).map(([a, holder]) => ({ address: formatIpv4(a), holder }));
  }

  /** True when `address` lies in this subnet. */
  public contains(address: string): boolean {
    const a = parseIpv4(address);
    return a !== undefined && a >= this.block.network && a < this.block.network + this.block.size;
  }

  /**
   * Hands out a planned address to `holder`: the one asked for, or the next free one.
   * Errors name the holder and its prop `prop` (where `address` came from) and say what is allowed.
   */
  public allocateAddress(holder: IConstruct, address?: string, prop = 'address'): string {
    if (address === undefined) {
      for (let a = this.firstPlanned; a <= this.lastPlanned; a++) {
        if (!this.taken.has(a) && !this.reserved.has(a)) {
          this.taken.set(a, holder.node.path);
          return formatIpv4(a);
        }
      }
      throw new HostingStacksError(this, 'plannedAddressCount', this.plannedAddressCount,
        `is exhausted: no planned address left in ${this.plannedRange.first}-${this.plannedRange.last} of ${this.cidr} for ${holder.node.path}; raise 'plannedAddressCount' or use a larger 'cidr'`);
    }
    const a = parseIpv4(address);
    if (a === undefined) throw new HostingStacksError(holder, prop, address, IPV4_ADDRESS_RULE);
    if (a < this.block.network || a >= this.block.network + this.block.size) {
      throw new HostingStacksError(holder, prop, address, `is outside the subnet ${this.cidr} of ${this.node.path}`);
    }
    if (a < this.firstPlanned || a > this.lastPlanned) {
      throw new HostingStacksError(holder, prop, address,
        `is not in the planned range ${this.plannedRange.first}-${this.plannedRange.last} of ${this.node.path} (the gateway, the DHCP pool ${this.dhcpPool.start}-${this.dhcpPool.end}, network and broadcast addresses are not allowed)`);
    }
    const owner = this.taken.get(a);
    if (owner !== undefined) {
      throw new HostingStacksError(holder, prop, address, `is already planned for ${owner}`);
    }
    const keeper = this.reserved.get(a);
    if (keeper !== undefined && holder.node.path !== keeper && !holder.node.path.startsWith(`${keeper}/`)) {
      throw new HostingStacksError(holder, prop, address, `is reserved for the members of ${keeper} (its address capacity)`);
    }
    this.taken.set(a, holder.node.path);
    return address;
  }

  /**
   * Reserves `size` consecutive planned addresses for `holder`'s members (the first free run) and
   * returns them in order. Only `holder` and constructs below it can take them, so the members it
   * adds later, up to `size`, never move an address planned after the reservation. The error names
   * `holder`'s prop `prop` when no such run is left.
   */
  public reserveAddresses(holder: IConstruct, size: number, prop = 'addressCapacity'): string[] {
    const free = (a: number) => !this.taken.has(a) && !this.reserved.has(a);
    for (let first = this.firstPlanned; first + size - 1 <= this.lastPlanned; first++) {
      let run = 0;
      while (run < size && free(first + run)) run++;
      if (run === size) {
        const block = Array.from({ length: size }, (_, i) => first + i);
        for (const a of block) this.reserved.set(a, holder.node.path);
        return block.map(formatIpv4);
      }
      first += run;
    }
    throw new HostingStacksError(holder, prop, size,
      `needs ${size} consecutive free planned addresses and ${this.plannedRange.first}-${this.plannedRange.last} of ${this.node.path} (${this.cidr}) has no such run left; lower '${prop}', raise the vSwitch's 'plannedAddressCount' or use a larger 'cidr'`);
  }

  /**
   * Reserves VRRP virtual router id `id` on this vSwitch for `owner` (a VRRP pair): two pairs on one
   * segment with one id would take each other's adverts. Throws a {@link HostingStacksError} naming
   * `owner` when another construct holds it.
   */
  public reserveVirtualRouterId(owner: IConstruct, id: number): void {
    const holder = this.vrrpIds.get(id);
    if (holder && holder !== owner) {
      throw new HostingStacksError(owner, 'virtualRouterId', id, `is already used by ${holder.node.path} on ${this.node.path}; VRRP router ids must differ per vSwitch`);
    }
    this.vrrpIds.set(id, owner);
  }

  /** Creates a port in `scope` on this vSwitch with a planned fixed address and the given security groups. */
  public addPort(scope: Construct, id: string, options: PortOptions): PlannedPort {
    const address = this.allocateAddress(scope, options.address, options.addressProp);
    const pairs = [...(options.allowedAddressPairs ?? [])];
    const resource = new NetworkingPortV2(scope, id, {
      name: resourceName(scope, id === 'Port' ? undefined : id),
      networkId: this.networkId,
      adminStateUp: true,
      fixedIp: [{ subnetId: this.subnetId, ipAddress: address }],
      securityGroupIds: options.connections.map((c) => c.securityGroupId),
    });
    // Set on the resource as they come (a lazy value would be one more token per port, resolved at
    // every synth); none at all when the port has none.
    const putPairs = () => (pairs.length ? resource.putAllowedAddressPairs(pairs.map((ipAddress) => ({ ipAddress }))) : resource.resetAllowedAddressPairs());
    if (pairs.length) putPairs();
    for (const c of options.connections) c.addMemberAddress(address);
    let disabledReason: string | undefined;
    return {
      resource,
      address,
      vswitch: this,
      allowedAddressPairs: pairs,
      addAllowedAddressPair: (ip: string) => {
        if (disabledReason !== undefined || pairs.includes(ip)) return;
        pairs.push(ip);
        putPairs();
      },
      get portSecurityEnabled(): boolean {
        return disabledReason === undefined;
      },
      get portSecurityDisabledReason(): string | undefined {
        return disabledReason;
      },
      disablePortSecurity: (reason: string) => {
        if (!reason || !reason.trim()) {
          throw new HostingStacksError(scope, 'reason', reason, `must say why port security is off on the port ${address} (nothing but the host's firewall filters it then)`);
        }
        if (disabledReason !== undefined) return;
        disabledReason = reason;
        pairs.length = 0;
        putPairs();
        resource.portSecurityEnabled = false;
        resource.resetSecurityGroupIds();
        resource.noSecurityGroups = true;
        for (const c of options.connections) c.addMemberOutsideSecurityGroup(address);
      },
    };
  }
}
