import { Construct, IConstruct } from 'constructs';
import { NetworkingNetworkV2 } from '../../.gen/providers/openstack/networking-network-v2';
import { NetworkingPortV2 } from '../../.gen/providers/openstack/networking-port-v2';
import { NetworkingSubnetV2 } from '../../.gen/providers/openstack/networking-subnet-v2';
import { requireIpv4Cidr } from '../core/choices';
import { Connections } from '../core/connections';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { formatIpv4 } from '../core/ipv4';
import { resourceName } from '../core/naming';
import { brand, hasBrand, requireProps } from '../core/peers';
import { regionKeyOf } from '../core/region-scope';

/** The sites an interconnect joins: 2 at least; the subnet is cut into one slice per site. */
export const SITE_INTERCONNECT_MAX_SITES = 8;

/** A site the interconnect reaches: a `Site` with a region of its own (read by brand, so `compute/` need not be imported). */
export interface IInterconnectSite extends IConstruct {
  /** Short name of the site. */
  readonly siteName: string;
  /** The site's own region. */
  readonly region?: string;
}

/** Props of {@link SiteInterconnect}. */
export interface SiteInterconnectProps {
  /** The one subnet every site's segment carries (`10.50.250.0/24`); its hosts are cut into a slice per site. */
  readonly cidr: string;
  /**
   * The vRack VLAN (1 to 4000): the same VLAN in every region is one broadcast domain, which is
   * what joins the regions privately (OVHcloud's multi-region private network).
   */
  readonly vlanId: number;
  /** The sites it joins, each a `Site` with a region of its own. */
  readonly sites: readonly IInterconnectSite[];
}

/** One site's part of a {@link SiteInterconnect}: its region's network and subnet on the VLAN, and its slice of addresses. */
export interface InterconnectSegment {
  readonly site: IInterconnectSite;
  /** The network in the site's region. */
  readonly network: NetworkingNetworkV2;
  /** The subnet in the site's region: the shared CIDR, no gateway, DHCP only from the site's pool. */
  readonly subnet: NetworkingSubnetV2;
  /** Addresses the stack plans on this segment (servers' second NICs), first and last. */
  readonly plannedRange: { readonly first: string; readonly last: string };
  /** The site's DHCP allocation pool (Neutron's DHCP port of the region takes its address there). */
  readonly dhcpPool: { readonly start: string; readonly end: string };
}

/** A server's port on the interconnect. */
export interface InterconnectPort {
  readonly resource: NetworkingPortV2;
  /** Its fixed address, in its site's slice. */
  readonly address: string;
  readonly segment: InterconnectSegment;
}

/**
 * The private link between sites that are regions of their own: OVHcloud's vRack carries one VLAN
 * to every region of the project, and a network created in each region with that VLAN
 * (`provider:network_type = vrack`, `provider:segmentation_id`) is one broadcast domain across
 * them. Each region gets its own network and subnet on the same CIDR, without a gateway (OVHcloud's
 * Gateway and load balancers need single-region networks), with a DHCP pool and planned addresses
 * of its own slice, so no two regions hand out the same address.
 *
 * Servers that replicate across sites (Galera members) take a second NIC here
 * (`ServerCluster`'s `interconnect`); rules between sites name the peers' addresses on it, since a
 * security group rule cannot name another region's group.
 *
 * OpenStack without a vRack has no cross-region private network: there, a VPN between the sites'
 * routers (VPNaaS, where the cloud has it) takes this construct's place.
 *
 * @example
 * new SiteInterconnect(stack, 'Link', { cidr: '10.50.250.0/24', vlanId: 250, sites: [gra, sbg, rbx] });
 */
export class SiteInterconnect extends Construct {
  /** True when `x` is a {@link SiteInterconnect} (a `Symbol.for` brand). */
  public static isSiteInterconnect(x: unknown): x is SiteInterconnect {
    return hasBrand(x, 'SiteInterconnect');
  }

  /** The subnet's CIDR, canonical. */
  public readonly cidr: string;
  /** The vRack VLAN. */
  public readonly vlanId: number;
  /** Each site's segment, in the order of `sites`. */
  public readonly segments: readonly InterconnectSegment[];
  private readonly next = new Map<IInterconnectSite, number>();
  private readonly last = new Map<IInterconnectSite, number>();

  constructor(scope: Construct, id: string, props: SiteInterconnectProps) {
    super(scope, id);
    brand(this, 'SiteInterconnect');
    requireProps(this, props);
    const block = requireIpv4Cidr(this, 'cidr', props.cidr, '10.50.250.0/24');
    requireIntegerInRange(this, 'vlanId', props.vlanId, 1, 4000);
    if (!Array.isArray(props.sites) || props.sites.length < 2 || props.sites.length > SITE_INTERCONNECT_MAX_SITES) {
      throw new HostingStacksError(this, 'sites', props.sites, `must list 2 to ${SITE_INTERCONNECT_MAX_SITES} Sites, each with a region of its own`);
    }
    const regions = new Set<string>();
    props.sites.forEach((site, i) => {
      if (!hasBrand(site, 'Site') || typeof site.region !== 'string') {
        throw new HostingStacksError(this, `sites[${i}]`, hasBrand(site, 'Site') ? site.node.path : site, "must be a Site with a region of its own (new Site(stack, 'Gra', { region: 'GRA11' })): sites in one region share its networks");
      }
      if (regions.has(site.region)) throw new HostingStacksError(this, `sites[${i}]`, site.node.path, `must be in a region of its own: '${site.region}' appears twice`);
      regions.add(site.region);
    });
    this.cidr = block.text;
    this.vlanId = props.vlanId;
    // Hosts of the block (no gateway, so from the first), cut into one slice per site: the first
    // two thirds of a slice planned, the last third the site's DHCP pool.
    const firstHost = block.network + 1;
    const hosts = block.size - 2;
    const slice = Math.floor(hosts / props.sites.length);
    const poolSize = Math.floor(slice / 3);
    if (poolSize < 5) {
      throw new HostingStacksError(this, 'cidr', props.cidr, `is too small for ${props.sites.length} sites: each slice of ${slice} addresses needs a DHCP pool of 5 and planned addresses; give a /26 or larger`);
    }
    this.segments = props.sites.map((site) => {
      const start = firstHost + props.sites.indexOf(site) * slice;
      const lastPlanned = start + slice - poolSize - 1;
      this.next.set(site, start);
      this.last.set(site, lastPlanned);
      const provider = (site as unknown as { provider?: NetworkingNetworkV2['provider'] }).provider;
      const network = new NetworkingNetworkV2(this, `Network-${site.siteName}`, {
        name: resourceName(this, site.siteName),
        adminStateUp: true,
        // OVHcloud: the project's vRack, this VLAN; the same pair in each region is one network.
        valueSpecs: { 'provider:network_type': 'vrack', 'provider:segmentation_id': String(props.vlanId) },
        provider,
      });
      const pool = { start: formatIpv4(start + slice - poolSize), end: formatIpv4(start + slice - 1) };
      const subnet = new NetworkingSubnetV2(this, `Subnet-${site.siteName}`, {
        name: resourceName(this, site.siteName),
        networkId: network.id,
        cidr: this.cidr,
        ipVersion: 4,
        noGateway: true,
        enableDhcp: true,
        allocationPool: [pool],
        provider,
      });
      return { site, network, subnet, plannedRange: { first: formatIpv4(start), last: formatIpv4(lastPlanned) }, dhcpPool: pool };
    });
  }

  /** The segment of `site`; throws naming `holder` when the interconnect does not reach it. */
  public segmentOf(holder: IConstruct, site: IInterconnectSite): InterconnectSegment {
    const segment = this.segments.find((s) => s.site === site);
    if (!segment) {
      throw new HostingStacksError(holder, 'interconnect', this.node.path, `does not reach the site ${site.node.path} (it joins ${this.segments.map((s) => s.site.node.path).join(', ')})`);
    }
    return segment;
  }

  /**
   * A port in `scope` (a server in `site`'s scope) on `site`'s segment, with the next planned
   * address of its slice, in the security groups of `connections` (whose members it joins).
   */
  public addPort(scope: Construct, id: string, site: IInterconnectSite, connections: readonly Connections[]): InterconnectPort {
    const segment = this.segmentOf(scope, site);
    if (regionKeyOf(scope) !== site.node.path) {
      throw new HostingStacksError(scope, 'interconnect', this.node.path, `needs the port's holder made in the scope of ${site.node.path}, whose region its segment is in`);
    }
    const n = this.next.get(site)!;
    if (n > this.last.get(site)!) {
      throw new HostingStacksError(scope, 'interconnect', this.node.path, `has no planned address left for site ${site.siteName} (${segment.plannedRange.first} to ${segment.plannedRange.last}); give a larger cidr`);
    }
    this.next.set(site, n + 1);
    const address = formatIpv4(n);
    const resource = new NetworkingPortV2(scope, id, {
      name: resourceName(scope, id),
      networkId: segment.network.id,
      adminStateUp: true,
      fixedIp: [{ subnetId: segment.subnet.id, ipAddress: address }],
      securityGroupIds: connections.map((c) => c.securityGroupId),
    });
    for (const c of connections) c.addMemberAddress(address);
    return { resource, address, segment };
  }
}
