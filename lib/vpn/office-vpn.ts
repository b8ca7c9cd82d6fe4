import { IArchitectureIntent, TierIntent, TierRole } from '../core/architecture-intent';
import { Lazy, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { NetworkingFloatingipAssociateV2 } from '../../.gen/providers/openstack/networking-floatingip-associate-v2';
import { NetworkingFloatingipV2 } from '../../.gen/providers/openstack/networking-floatingip-v2';
import { VpnaasEndpointGroupV2 } from '../../.gen/providers/openstack/vpnaas-endpoint-group-v2';
import { VpnaasIkePolicyV2 } from '../../.gen/providers/openstack/vpnaas-ike-policy-v2';
import { VpnaasIpsecPolicyV2 } from '../../.gen/providers/openstack/vpnaas-ipsec-policy-v2';
import { VpnaasServiceV2 } from '../../.gen/providers/openstack/vpnaas-service-v2';
import { VpnaasSiteConnectionV2 } from '../../.gen/providers/openstack/vpnaas-site-connection-v2';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor, Sizing } from '../compute/flavor';
import { ServerCluster, ServerInstance } from '../compute/server-cluster';
import { Connections, IConnectable, IngressRule, Peer } from '../core/connections';
import { HostingStacksError, requireIntegerInRange, requireUnique } from '../core/errors';
import { requireAdminSource, requireEnumValue, requireIpv4Address, requireIpv4Cidr } from '../core/choices';
import { cidrContainsCidr, cidrsOverlap, formatIpv4, Ipv4Cidr, parseCidr } from '../core/ipv4';
import { kebabCase, resourceName } from '../core/naming';
import { escapeTerraformText } from '../core/terraform-text';
import { TextKind, requireText } from '../core/text';
import { Port } from '../core/port';
import { Secret } from '../core/secret';
import { NftablesRule, nftablesRulesFromConnections, renderNftablesRuleset } from '../security/nftables-firewall';
import { IPrivateVSwitch, PrivateVSwitch } from '../network/private-vswitch';
import { isWireguardKey, renderWireguardConfig, renderWireguardNatTable, renderWireguardSysctl, WIREGUARD_DEFAULT_PORT } from './wireguard-config';
import { brand, describeValue, hasBrand, Kinds, optionalPeer, requireOptions, requirePeer, requireProps } from '../core/peers';

/** How the offices reach the private networks. */
export enum VpnKind {
  /** A WireGuard gateway VM with a floating IP; works on every OpenStack cloud, OVHcloud included. */
  WIREGUARD = 'wireguard',
  /** Neutron VPNaaS site-to-site IPsec on the vSwitch's router (not offered by OVHcloud, roadmap #56). */
  IPSEC_VPNAAS = 'ipsec-vpnaas',
}

/** One office (site) that connects to the VPN. */
export interface OfficePeer {
  /** Short name: lower-case letters, digits and dashes (peer comment, VPNaaS connection name). */
  readonly name: string;
  /** Office CIDRs reached through this peer; each lies inside one of the VPN's `officeCidrs`. */
  readonly allowedIps: string[];
  /** The peer's WireGuard public key (`wg pubkey`, 44 characters ending in '='). Required with VpnKind.WIREGUARD, refused otherwise. @default - none */
  readonly publicKey?: string;
  /**
   * Public IPv4 address of the office's VPN box. With WireGuard the gateway's UDP port is opened
   * from it only; with IPsec it is the peer address and IKE identity. Required with VpnKind.IPSEC_VPNAAS.
   * @default - unknown: WireGuard's port is opened to the internet (it answers only authenticated peers)
   */
  readonly endpointAddress?: string;
}

/** Props of {@link OfficeVpn}. */
export interface OfficeVpnProps {
  /** The vSwitch the VPN lands on (the back-office network); its router needs an external gateway. */
  readonly vswitch: IPrivateVSwitch;
  /** The offices' private CIDRs, the only sources let in through the VPN; no 0.0.0.0/0, no overlap with the stack's vSwitches. */
  readonly officeCidrs: string[];
  /** The offices' VPN peers, at least one. */
  readonly officePeers: OfficePeer[];
  /** The VPN technology. @default VpnKind.WIREGUARD */
  readonly kind?: VpnKind;
  /** WireGuard tunnel address pool: the gateway takes the first host address, peer N the (N+1)th. @default DEFAULT_WIREGUARD_TUNNEL_POOL */
  readonly tunnelPool?: string;
  /** WireGuard UDP port. @default WIREGUARD_DEFAULT_PORT (51820) */
  readonly listenPort?: number;
  /** Flavor of the WireGuard gateway. @default Flavor.fromSizing(DEFAULT_VPN_GATEWAY_SIZING) */
  readonly gatewayFlavor?: Flavor;
}

/** The WireGuard tunnel addresses' default block, outside the usual office and cloud ranges. */
export const DEFAULT_WIREGUARD_TUNNEL_POOL = '10.99.0.0/24';

/**
 * The WireGuard gateway's sizing: WireGuard runs in the kernel and a few offices' admin traffic
 * needs little CPU; not given by the case study, the smallest production flavor fits.
 */
export const DEFAULT_VPN_GATEWAY_SIZING: Sizing = { vcpus: 1, ramGb: 2, diskGb: 10 };

/** WireGuard interface name on the gateway. */
export const WIREGUARD_INTERFACE = 'wg0';

/** Seconds of an IKE SA and of an IPsec SA before rekeying (Neutron's own default). */
export const IPSEC_LIFETIME_SECONDS = 3600;

/** Dead-peer detection of the IPsec site connections: probe every 30 s, restart after 120 s of silence. */
export const IPSEC_DPD = { action: 'restart', intervalSeconds: 30, timeoutSeconds: 120 } as const;

/** One office peer after validation, with its tunnel address (WireGuard). */
export interface ResolvedOfficePeer extends OfficePeer {
  /** The peer's WireGuard tunnel address (`10.99.0.2/32`), to put in the office's `Address`; undefined with IPsec. */
  readonly tunnelAddress?: string;
}

/** A flow opened from the offices through {@link OfficeVpn.allowOfficesTo}. */
export interface OfficeFlow {
  /** Where it goes. */
  readonly target: IConnectable;
  /** Protocol and port. */
  readonly port: Port;
  /** The security-group rules on the target realising it. */
  readonly rules: readonly IngressRule[];
}

/**
 * Site-to-site VPN from the offices to private networks, in one of two ways:
 *
 * - {@link VpnKind.WIREGUARD} (default; OVHcloud has no VPNaaS): a gateway VM on the vSwitch with
 *   a floating IP, `wg0` on UDP 51820 opened from the offices' public addresses, the private key
 *   from the sensitive variable `wireguard_private_key`. The gateway **masquerades** what the offices
 *   send: a target's security group allows exactly one source, the gateway, and the gateway's
 *   nftables forward chain lets only the offices' CIDRs through to the flows declared with
 *   {@link OfficeVpn.allowOfficesTo}. Routing instead would need a Neutron route for the office
 *   CIDRs and allowed address pairs on the gateway port, and on OVHcloud allowed address pairs are
 *   undocumented.
 * - {@link VpnKind.IPSEC_VPNAAS}: Neutron VPNaaS on the vSwitch's router, IKEv2 with AES-256,
 *   SHA-256 and DH group 14, one site connection per office with the pre-shared key from the
 *   sensitive variable `vpn_psk`. The router routes the offices' CIDRs, so targets allow them by CIDR.
 *
 * {@link OfficeVpn.allowOfficesTo} is the only way a target gets rules from the offices.
 */
export class OfficeVpn extends Construct implements IArchitectureIntent {
  /** The staff's way in: what only it reaches is not user-facing. (architecture notes) */
  public readonly architectureIntent: TierIntent = { role: TierRole.STAFF_ACCESS };
  /** True when `x` is an {@link OfficeVpn} (a `Symbol.for` brand: look-alike objects are not). */
  public static isOfficeVpn(x: unknown): x is OfficeVpn {
    return hasBrand(x, 'OfficeVpn');
  }

  /** The VPN technology. */
  public readonly kind: VpnKind;
  /** The offices' CIDRs, canonical. */
  public readonly officeCidrs: readonly string[];
  /** The office peers, validated, with tunnel addresses for WireGuard. */
  public readonly officePeers: readonly ResolvedOfficePeer[];
  /** The vSwitch the VPN lands on. */
  public readonly vswitch: IPrivateVSwitch;
  /** WireGuard: the network intent of the gateway, the one source targets allow (IPsec has no VM: undefined). */
  public readonly connections?: Connections;
  /** WireGuard: the gateway VM. */
  public readonly gateway?: ServerCluster;
  /** WireGuard: the floating IP resource. */
  public readonly floatingIp?: NetworkingFloatingipV2;
  /** Public address the offices connect to: the gateway's floating IP (WireGuard) or the router's external IP (IPsec); a Terraform reference. */
  public readonly publicAddress: string;
  /** WireGuard: UDP port. */
  public readonly listenPort?: number;
  /** WireGuard: the tunnel pool, canonical. */
  public readonly tunnelPool?: string;
  /** WireGuard: the gateway's tunnel address with the pool's prefix (`10.99.0.1/24`). */
  public readonly gatewayTunnelAddress?: string;
  /** The sensitive variable holding the WireGuard private key or the IPsec pre-shared key. */
  public readonly secret: Secret;
  /** IPsec: the VPN service. */
  public readonly vpnService?: VpnaasServiceV2;
  /** IPsec: the IKE policy. */
  public readonly ikePolicy?: VpnaasIkePolicyV2;
  /** IPsec: the IPsec policy. */
  public readonly ipsecPolicy?: VpnaasIpsecPolicyV2;
  /** IPsec: the local endpoint group (the subnets reached from the offices). */
  public readonly localEndpointGroup?: VpnaasEndpointGroupV2;
  /** IPsec: one site connection per office peer, in order. */
  public readonly siteConnections: readonly VpnaasSiteConnectionV2[];
  private readonly flowList: OfficeFlow[] = [];
  private readonly localSubnets: IPrivateVSwitch[] = [];

  constructor(scope: Construct, id: string, props: OfficeVpnProps) {
    super(scope, id);
    brand(this, 'OfficeVpn');
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    optionalPeer(this, 'gatewayFlavor', props.gatewayFlavor, Kinds.FLAVOR);
    this.kind = requireEnumValue(this, 'kind', props.kind ?? VpnKind.WIREGUARD, VpnKind, 'VpnKind');
    this.vswitch = props.vswitch;
    const external = props.vswitch.router.externalNetwork;
    if (!external) {
      throw new HostingStacksError(this, 'vswitch', props.vswitch.node.path,
        `has a router without an external gateway; ${this.kind === VpnKind.WIREGUARD ? 'the gateway\'s floating IP' : 'the VPNaaS service'} needs one (PrivateVSwitch 'externalNetwork' or a Router with 'externalNetwork')`);
    }

    const offices = this.validateOfficeCidrs(props.officeCidrs);
    this.officeCidrs = offices.map((c) => c.text);
    let pool: Ipv4Cidr | undefined;
    if (this.kind === VpnKind.WIREGUARD) {
      pool = this.validateTunnelPool(props.tunnelPool ?? DEFAULT_WIREGUARD_TUNNEL_POOL, offices, props.officePeers?.length ?? 0);
    } else if (props.tunnelPool !== undefined) {
      throw new HostingStacksError(this, 'tunnelPool', props.tunnelPool, 'is only used with VpnKind.WIREGUARD');
    }
    const early = this.overlapsWithVSwitches(offices, pool);
    if (early.length) throw early[0];
    // vSwitches declared later are checked at synth.
    this.node.addValidation({ validate: () => this.overlapsWithVSwitches(offices, pool).map((e) => e.message) });
    this.officePeers = this.validatePeers(props.officePeers, offices, pool);
    this.localSubnets.push(props.vswitch);

    if (this.kind === VpnKind.WIREGUARD) {
      this.listenPort = props.listenPort ?? WIREGUARD_DEFAULT_PORT;
      requireIntegerInRange(this, 'listenPort', this.listenPort, 1, 65535);
      this.tunnelPool = pool!.text;
      this.gatewayTunnelAddress = `${formatIpv4(pool!.network + 1)}/${pool!.prefix}`;
      this.secret = Secret.variable(this, 'wireguard_private_key', 'WireGuard private key of the office VPN gateway (wg genkey)');
      this.gateway = new ServerCluster(this, 'Gateway', {
        vswitch: props.vswitch,
        count: 1,
        flavor: props.gatewayFlavor ?? Flavor.fromSizing(DEFAULT_VPN_GATEWAY_SIZING),
        hostnamePrefix: `${kebabCase(id)}-gateway`,
      });
      this.connections = this.gateway.connections;
      this.node.defaultChild = this.gateway;
      const host = this.gateway.instances[0];
      this.floatingIp = new NetworkingFloatingipV2(this, 'FloatingIp', {
        pool: external.name,
        description: escapeTerraformText(`hosting-stacks: ${this.node.path} WireGuard endpoint`),
      });
      // Neutron refuses the association while the gateway's subnet is not yet on the router.
      new NetworkingFloatingipAssociateV2(this, 'FloatingIpAssociation', {
        floatingIp: this.floatingIp.address,
        portId: host.port.resource.id,
        dependsOn: [props.vswitch.routerInterface],
      });
      this.publicAddress = this.floatingIp.address;
      this.openListenPort();
      this.configureGateway(host);
      this.siteConnections = [];
    } else {
      if (props.listenPort !== undefined) throw new HostingStacksError(this, 'listenPort', props.listenPort, 'is only used with VpnKind.WIREGUARD');
      if (props.gatewayFlavor !== undefined) throw new HostingStacksError(this, 'gatewayFlavor', 'given', 'is only used with VpnKind.WIREGUARD');
      this.secret = Secret.variable(this, 'vpn_psk', 'Pre-shared key of the office IPsec site connections (VPNaaS)');
      const name = resourceName(this);
      this.vpnService = new VpnaasServiceV2(this, 'Resource', {
        name,
        routerId: props.vswitch.router.resource.id,
        adminStateUp: true,
        description: escapeTerraformText(`hosting-stacks: ${this.node.path}`),
      });
      this.publicAddress = this.vpnService.externalV4Ip;
      this.ikePolicy = new VpnaasIkePolicyV2(this, 'IkePolicy', {
        name: `${name}-ike`,
        ikeVersion: 'v2',
        encryptionAlgorithm: 'aes-256',
        authAlgorithm: 'sha256',
        pfs: 'group14',
        phase1NegotiationMode: 'main',
        lifetime: [{ units: 'seconds', value: IPSEC_LIFETIME_SECONDS }],
      });
      this.ipsecPolicy = new VpnaasIpsecPolicyV2(this, 'IpsecPolicy', {
        name: `${name}-ipsec`,
        transformProtocol: 'esp',
        encapsulationMode: 'tunnel',
        encryptionAlgorithm: 'aes-256',
        authAlgorithm: 'sha256',
        pfs: 'group14',
        lifetime: [{ units: 'seconds', value: IPSEC_LIFETIME_SECONDS }],
      });
      this.localEndpointGroup = new VpnaasEndpointGroupV2(this, 'LocalEndpoints', {
        name: `${name}-local`,
        type: 'subnet',
        endpoints: Lazy.listValue({ produce: () => this.localSubnets.map((v) => v.subnetId) }),
      });
      this.siteConnections = this.officePeers.map((peer) => {
        const peerGroup = new VpnaasEndpointGroupV2(this, `PeerEndpoints-${peer.name}`, {
          name: `${name}-${peer.name}`,
          type: 'cidr',
          endpoints: [...peer.allowedIps],
        });
        return new VpnaasSiteConnectionV2(this, `SiteConnection-${peer.name}`, {
          name: `${name}-${peer.name}`,
          vpnserviceId: this.vpnService!.id,
          ikepolicyId: this.ikePolicy!.id,
          ipsecpolicyId: this.ipsecPolicy!.id,
          peerAddress: peer.endpointAddress!,
          peerId: peer.endpointAddress!,
          psk: this.secret.value,
          localEpGroupId: this.localEndpointGroup!.id,
          peerEpGroupId: peerGroup.id,
          initiator: 'bi-directional',
          adminStateUp: true,
          dpd: [{ action: IPSEC_DPD.action, interval: IPSEC_DPD.intervalSeconds, timeout: IPSEC_DPD.timeoutSeconds }],
        });
      });
    }
  }

  /** The flows opened from the offices so far, in order. */
  public get flows(): readonly OfficeFlow[] {
    return [...this.flowList];
  }

  /**
   * Lets the offices reach `port` on `target`, and is the only way a target gets rules from them:
   * with WireGuard the target allows the gateway (which masquerades) and the gateway's forward
   * chain allows the offices' CIDRs to the target's addresses; with IPsec the target allows each
   * office CIDR. The target must be on a vSwitch of the VPN's router. Returns the target's rules.
   */
  public allowOfficesTo(target: IConnectable, port: Port): IngressRule[] {
    requirePeer(this, 'target', target, Kinds.CONNECTABLE);
    requirePeer(this, 'port', port, Kinds.PORT);
    const path = target.connections.owner.node.path;
    const addresses = target.connections.addresses;
    if (addresses.length === 0) {
      throw new HostingStacksError(this, 'target', path, 'has no planned address; the VPN reaches targets on the vSwitches of its router by address');
    }
    for (const address of addresses) {
      const vswitch = findVSwitches(this).find((v) => v.contains(address));
      if (!vswitch || vswitch.router !== this.vswitch.router) {
        throw new HostingStacksError(this, 'target', path,
          `has the address ${address}, which is not on a vSwitch of the router of ${this.vswitch.node.path}; the VPN cannot route to it`);
      }
      if (!this.localSubnets.includes(vswitch)) this.localSubnets.push(vswitch);
    }
    const description = `offices through ${this.node.path} (${this.kind})`;
    const rules = this.kind === VpnKind.WIREGUARD
      ? [target.connections.allowFrom({ connections: this.connections! }, port, description)]
      : this.officeCidrs.map((cidr) => target.connections.allowFrom(Peer.ipv4(cidr), port, description));
    const existing = this.flowList.find((f) => f.target === target && f.port.label === port.label);
    if (!existing) this.flowList.push({ target, port, rules });
    return rules;
  }

  /** The sources the gateway forwards and masquerades: the offices' CIDRs and the tunnel pool. */
  private get forwardedSources(): string[] {
    return [...this.officeCidrs, ...(this.tunnelPool ? [this.tunnelPool] : [])];
  }

  private openListenPort(): void {
    const port = Port.udp(this.listenPort!);
    const connections = this.connections!;
    if (this.officePeers.some((p) => p.endpointAddress === undefined)) {
      connections.allowFromInternet(port,
        `WireGuard from offices without a known public address (${this.officePeers.filter((p) => !p.endpointAddress).map((p) => p.name).join(', ')}); WireGuard answers only peers holding a listed key`);
    }
    for (const peer of this.officePeers) {
      if (peer.endpointAddress) connections.allowFrom(Peer.ipv4(`${peer.endpointAddress}/32`), port, `WireGuard from office ${peer.name}`);
    }
  }

  private configureGateway(host: ServerInstance): void {
    const cc = host.cloudConfig;
    cc.addPackages('wireguard-tools', 'nftables');
    cc.addFile({
      path: `/etc/wireguard/${WIREGUARD_INTERFACE}.conf`,
      permissions: '0600',
      syntax: ConfigSyntax.WIREGUARD,
      content: renderWireguardConfig({
        interfaceName: WIREGUARD_INTERFACE,
        hostname: host.hostname,
        comment: `office VPN of ${this.node.path}`,
        address: this.gatewayTunnelAddress!,
        listenPort: this.listenPort!,
        privateKey: this.secret.value,
        peers: this.officePeers.map((p) => ({ name: p.name, publicKey: p.publicKey!, allowedIps: [...p.allowedIps, p.tunnelAddress!] })),
      }),
    });
    cc.addFile({
      path: '/etc/sysctl.d/60-wireguard-gateway.conf',
      syntax: ConfigSyntax.SYSCTL,
      content: renderWireguardSysctl({
        comment: `WireGuard gateway of ${this.node.path}: forward the offices' traffic to the private networks`,
        settings: [{ key: 'net.ipv4.ip_forward', value: '1' }],
      }),
    });
    cc.addPreServiceCommand('sysctl', '-p', '/etc/sysctl.d/60-wireguard-gateway.conf');
    // Rendered when cloud-init is rendered, so flows declared after construction are in.
    cc.addLazyFile('/etc/nftables.conf', ConfigSyntax.NFTABLES, () => this.gatewayRuleset(host));
    cc.addServices('nftables', `wg-quick@${WIREGUARD_INTERFACE}`);
  }

  /** The gateway's whole nftables ruleset: filter (input from its intent, forward of the declared flows) then source NAT. */
  public gatewayRuleset(host: ServerInstance): string {
    const forward: NftablesRule[] = this.flowList.map((f) => ({
      port: f.port,
      sources: this.forwardedSources,
      destinations: f.target.connections.addresses,
      comment: `offices to ${f.target.connections.owner.node.path} ${f.port.label}`,
    }));
    const filter = renderNftablesRuleset({ hostname: host.hostname, input: nftablesRulesFromConnections(this.connections!), forward });
    const nat = renderWireguardNatTable({
      tableName: 'office_vpn_nat',
      comment: this.node.path,
      sources: this.forwardedSources,
      tunnelInterface: WIREGUARD_INTERFACE,
    });
    return `${filter}${nat}`;
  }

  private validateOfficeCidrs(cidrs: string[] | undefined): Ipv4Cidr[] {
    if (!cidrs || cidrs.length === 0) throw new HostingStacksError(this, 'officeCidrs', cidrs ?? [], 'must list at least one office CIDR');
    const parsed = cidrs.map((text) => {
      const c = requireIpv4Cidr(this, 'officeCidrs', text, '192.168.10.0/24');
      if (c.prefix === 0) throw new HostingStacksError(this, 'officeCidrs', text, 'is the whole internet; list the offices\' own networks');
      // The offices are let in by SSH (allowOfficesTo(..., Port.tcp(22))): an admin source.
      requireAdminSource(this, 'officeCidrs', c);
      return c;
    });
    requireUnique(this, 'officeCidrs', parsed, (c) => c.text);
    parsed.forEach((a, i) => parsed.slice(i + 1).forEach((b) => {
      if (cidrsOverlap(a, b)) throw new HostingStacksError(this, 'officeCidrs', b.text, `overlaps ${a.text}; office CIDRs must be disjoint`);
    }));
    return parsed;
  }

  private validateTunnelPool(text: string, offices: Ipv4Cidr[], peerCount: number): Ipv4Cidr {
    const pool = requireIpv4Cidr(this, 'tunnelPool', text, '10.99.0.0/24');
    if (pool.prefix < 16 || pool.prefix > 29) throw new HostingStacksError(this, 'tunnelPool', text, 'must have a prefix length from /16 to /29');
    const clash = offices.find((o) => cidrsOverlap(o, pool));
    if (clash) throw new HostingStacksError(this, 'tunnelPool', text, `overlaps the office CIDR ${clash.text}`);
    // Network address, gateway, one per peer, broadcast.
    if (peerCount + 3 > pool.size) throw new HostingStacksError(this, 'tunnelPool', text, `is too small for the gateway and ${peerCount} peers`);
    return pool;
  }

  private validatePeers(peers: OfficePeer[] | undefined, offices: Ipv4Cidr[], pool: Ipv4Cidr | undefined): ResolvedOfficePeer[] {
    if (!Array.isArray(peers) || peers.length === 0) throw new HostingStacksError(this, 'officePeers', Array.isArray(peers) ? peers : describeValue(peers), 'must list at least one office peer');
    peers.forEach((peer, i) => requireOptions<OfficePeer>(this, `officePeers[${i}]`, peer, ['name', 'allowedIps', 'publicKey', 'endpointAddress']));
    requireUnique(this, 'officePeers', peers, (p) => p.name);
    const wireguard = this.kind === VpnKind.WIREGUARD;
    if (wireguard) requireUnique(this, 'officePeers', peers, (p) => p.publicKey ?? '');
    const routed: { peer: string; cidr: Ipv4Cidr }[] = [];
    const resolved = peers.map((peer, i) => {
      const at = `officePeers[${i}]`;
      requireText(this, `${at}.name`, peer.name, TextKind.NAME, { pattern: /^[a-z][a-z0-9-]{0,30}$/, allowed: 'must be lower-case letters, digits and dashes, starting with a letter (at most 31 characters)' });
      if (wireguard) {
        if (peer.publicKey === undefined || !isWireguardKey(peer.publicKey)) {
          throw new HostingStacksError(this, `${at}.publicKey`, peer.publicKey, "must be a WireGuard public key (the 44 base64 characters ending in '=' that `wg pubkey` prints)");
        }
      } else {
        if (peer.publicKey !== undefined) throw new HostingStacksError(this, `${at}.publicKey`, peer.publicKey, 'is only used with VpnKind.WIREGUARD');
        if (peer.endpointAddress === undefined) throw new HostingStacksError(this, `${at}.endpointAddress`, undefined, 'is required with VpnKind.IPSEC_VPNAAS: it is the IPsec peer address');
      }
      if (peer.endpointAddress !== undefined) requireIpv4Address(this, `${at}.endpointAddress`, peer.endpointAddress, '203.0.113.10');
      if (!Array.isArray(peer.allowedIps) || peer.allowedIps.length === 0) throw new HostingStacksError(this, `${at}.allowedIps`, peer.allowedIps ?? [], 'must list the office CIDRs behind this peer');
      const allowed = peer.allowedIps.map((text) => {
        const c = requireIpv4Cidr(this, `${at}.allowedIps`, text, '192.168.10.0/24');
        if (!offices.some((o) => cidrContainsCidr(o, c))) {
          throw new HostingStacksError(this, `${at}.allowedIps`, text, `must lie inside one of 'officeCidrs' (${offices.map((o) => o.text).join(', ')})`);
        }
        const other = routed.find((r) => cidrsOverlap(r.cidr, c));
        if (other) throw new HostingStacksError(this, `${at}.allowedIps`, text, `overlaps ${other.cidr.text} of peer '${other.peer}'; each office CIDR is routed to one peer`);
        routed.push({ peer: peer.name, cidr: c });
        return c.text;
      });
      const tunnelAddress = pool ? `${formatIpv4(pool.network + 2 + i)}/32` : undefined;
      return { ...peer, allowedIps: allowed, tunnelAddress };
    });
    const unreached = offices.find((o) => !routed.some((r) => cidrsOverlap(r.cidr, o)));
    if (unreached) throw new HostingStacksError(this, 'officeCidrs', unreached.text, "is routed to no peer; add it to a peer's 'allowedIps'");
    return resolved;
  }

  private overlapsWithVSwitches(offices: Ipv4Cidr[], pool: Ipv4Cidr | undefined): HostingStacksError[] {
    const errors: HostingStacksError[] = [];
    for (const v of findVSwitches(this)) {
      const block = parseCidr(v.cidr)!;
      for (const o of offices) {
        if (cidrsOverlap(o, block)) errors.push(new HostingStacksError(this, 'officeCidrs', o.text, `overlaps ${v.cidr} of ${v.node.path}; office and cloud networks must be disjoint to route between them`));
      }
      if (pool && cidrsOverlap(pool, block)) errors.push(new HostingStacksError(this, 'tunnelPool', pool.text, `overlaps ${v.cidr} of ${v.node.path}`));
    }
    return errors;
  }
}

function findVSwitches(scope: IConstruct): IPrivateVSwitch[] {
  return TerraformStack.of(scope).node.findAll().filter((c): c is IPrivateVSwitch => PrivateVSwitch.isPrivateVSwitch(c));
}


