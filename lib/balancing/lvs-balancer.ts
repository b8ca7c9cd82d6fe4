import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { CloudConfig, ConfigSyntax } from '../compute/cloud-config';
import { Flavor, Sizing } from '../compute/flavor';
import { IServerTier, ServerInstance } from '../compute/server-cluster';
import { renderTemplate } from '../config/template';
import { Connections, IngressRule } from '../core/connections';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { requireEnumValue } from '../core/choices';
import { snakeCasePath } from '../core/naming';
import { stableOutput } from '../core/outputs';
import { Port } from '../core/port';
import { PlannedPort } from '../network/private-vswitch';
import { NftablesRule, nftablesRulesFromConnections, renderNftablesRuleset } from '../security/nftables-firewall';
import { HealthCheck, HealthCheckKind } from './health-check';
import { KeepalivedConfigModel, KeepalivedVirtualServerModel, LvsForwarding, LvsScheduler, renderKeepalivedConfig } from './keepalived-config';
import { DEFAULT_VRRP_INTERFACE, DEFAULT_VRRP_SIZING, VRRP_NODE_COUNT, VRRP_PREFERRED_PRIORITY, VRRP_STANDBY_PRIORITY, VrrpPair, VrrpPairOptions, vrrpPairPropsOf } from './vrrp-pair';
import { Kinds, optionalPeer, requireOptions, requirePeer } from '../core/peers';

/** 2 load-balancer + firewall servers (LVS, Netfilter) (case study 2). */
export const LVS_NODE_COUNT = VRRP_NODE_COUNT;

/**
 * Default sizing of a director. Case study 2 gives no size for its LVS/Netfilter servers; IPVS and
 * nftables forward in the kernel and keepalived needs a few MB, so the smallest dedicated-vCPU size
 * is enough: 2 vCPUs, 4 GB, 20 GB (resolves to `c3-4` in the 2026-08 catalog). In NAT mode the
 * flavor's bandwidth caps the service, replies included: size up for heavy traffic.
 */
export const DEFAULT_LVS_SIZING: Sizing = DEFAULT_VRRP_SIZING;

/** VRRP priority of the first node, which wins the first election. */
export const LVS_PREFERRED_PRIORITY = VRRP_PREFERRED_PRIORITY;
/** VRRP priority of the second node. */
export const LVS_STANDBY_PRIORITY = VRRP_STANDBY_PRIORITY;

/** Interface name of Debian 12 cloud images on OpenStack (virtio-net). */
export const DEFAULT_LVS_INTERFACE = DEFAULT_VRRP_INTERFACE;

/** Routing table of an LVS-NAT real server's reply route is this plus the virtual router id. */
export const LVS_NAT_ROUTE_TABLE_BASE = 1000;

/** Props of {@link LvsBalancer}: the VRRP pair's options (the nodes are the directors) and IPVS's. */
export interface LvsBalancerProps extends VrrpPairOptions {
  /** Flavor of the directors. @default Flavor.fromSizing(DEFAULT_LVS_SIZING) */
  readonly flavor?: Flavor;
  /**
   * How IPVS forwards to the real servers. DIRECT_ROUTING turns port security off on the directors'
   * ports (their nftables rulesets are their firewalls): Neutron's stateful security groups drop
   * half-seen connections, and there is no option to keep it on for clouds with stateless groups.
   * NAT keeps port security on. @default LvsForwarding.DIRECT_ROUTING
   */
  readonly forwarding?: LvsForwarding;
  /** IPVS scheduler. @default LvsScheduler.WEIGHTED_LEAST_CONNECTION (the IPVS default) */
  readonly scheduler?: LvsScheduler;
}

/** Options of {@link LvsBalancer.addTarget}. */
export interface LvsTargetOptions {
  /** TCP port of the virtual service; the real servers listen on the same port (DR cannot translate ports). */
  readonly port: number;
  /** How keepalived decides a real server is alive. @default HealthCheck.tcp() */
  readonly healthCheck?: HealthCheck;
  /** IPVS weight of each real server of the tier, 1-65535 (ignored by rr, lc, sh, mh). @default 1 */
  readonly weight?: number;
}

/** One IPVS virtual service `VIP:port` and the tier behind it, as created by {@link LvsBalancer.addTarget}. */
export interface LvsVirtualService {
  /** The TCP port, on the VIP and on the real servers. */
  readonly port: number;
  /** The tier whose instances are the real servers. */
  readonly tier: IServerTier;
  /** The health check of each real server. */
  readonly healthCheck: HealthCheck;
  /** IPVS weight of each real server. */
  readonly weight: number;
  /** The real servers' planned addresses. */
  readonly realServers: readonly string[];
  /** The directors' rule opening the port to the internet. */
  readonly listenerRule: IngressRule;
  /** The real servers' rule letting clients' packets (with their own source addresses) in. */
  readonly realServerRule: IngressRule;
}

/**
 * Two LVS directors (IPVS driven by keepalived) sharing a VIP by VRRP, with a floating IP on the VIP,
 * and an nftables firewall on each: case study 2's "load-balancer + firewall servers (LVS, Netfilter)".
 * The pair itself (nodes, VIP port, floating IP, VRRP and SSH rules, `vrrp_instance`) is {@link VrrpPair}.
 *
 * - VRRP: unicast adverts between the two nodes' planned addresses (no multicast needed on OpenStack),
 *   VRRPv3; both start BACKUP with `nopreempt` and priorities 150/100. The first node wins the first
 *   election; after a failover the recovered node does not take the VIP back, because IPVS connection
 *   state is not synchronised and every move of the VIP resets the clients' open connections: one
 *   interruption per failure instead of two.
 * - The VIP is a port with a planned fixed address and no device (it keeps the directors' security
 *   group, which filters nothing there: the master's port carries the VIP's traffic). The floating IP
 *   is associated with the VIP port.
 * - Direct routing (default): the directors' ports have **port security off**
 *   ({@link PlannedPort.disablePortSecurity}), hence no security group and no address pairs, and each
 *   director's nftables ruleset is the only firewall of its port. Why: replies go from the real
 *   servers straight to the clients, so a director's port sees one direction of each connection;
 *   Neutron's stateful security groups mark the client's second packet (its ACK) conntrack-invalid
 *   and drop it, and no handshake completes. Port security off also lets the directors forward
 *   packets that keep the clients' source addresses and lets the master answer ARP for the VIP, for
 *   which their ports used to allow `0.0.0.0/0` as an address pair (a hack that also made Neutron
 *   count any source as a member of their group). Clouds with stateless security groups could keep
 *   port security on; this construct does not offer it: OVHcloud's Neutron has none.
 *   Rules elsewhere naming the directors' group are realised for their addresses (`remote_ip_prefix`),
 *   since their ports are in no group ({@link Connections.addMemberOutsideSecurityGroup}).
 * - NAT: both directions pass the director, so Neutron's conntrack sees whole connections and port
 *   security stays on; the directors forward packets that keep the clients' source addresses (only
 *   the destination is rewritten), which Neutron's anti-spoofing would drop, so their ports allow
 *   `0.0.0.0/0` as an address pair. Caveat: Neutron then counts any source as a member of the
 *   directors' security group where another group names it as a remote group; the directors'
 *   nftables rules, which name peers by address, still hold.
 * - Direct routing (default): each real server holds the VIP on `lo` (a systemd oneshot unit), does not
 *   answer ARP for it (`arp_ignore=1`, `arp_announce=2`), may send from it (address pair), and answers
 *   clients directly through the router, which maps the VIP back to the floating IP.
 * - NAT: the directors forward (`ip_forward=1`) and must see the replies to rewrite their source back
 *   to the VIP. Real servers and VIP share the vSwitch, so no second address is needed: a policy route
 *   on each real server sends only the balanced ports' replies (`from <own address> sport <port>`)
 *   via the VIP, i.e. the current master; traffic to the vSwitch itself (health checks) and all other
 *   traffic keep the main table. Because replies leave the director on the interface they came in
 *   on, the directors must not send ICMP redirects (`send_redirects=0`), or real servers would
 *   learn to bypass them.
 * - In both modes clients' addresses reach the real servers unchanged, so the target tier's
 *   connections allow the port from the internet; this also admits the directors' health checks.
 * - Netfilter: `/etc/nftables.conf` on each node is derived from the nodes' {@link Connections}, so it
 *   covers everything their security group declares: established/related, VRRP from the peers'
 *   addresses, SSH from `adminCidr`, each virtual service's port from anywhere but only to the VIP
 *   (IPVS takes the packets in LOCAL_IN, after the input chain), and drops the rest (input and forward
 *   policy drop). A DR director routes nothing (`ip_forward` stays 0: IPVS rewrites the MAC and
 *   transmits from LOCAL_IN), so its forward chain accepts nothing; in NAT mode the forward chain
 *   admits the real servers' ports and replies. keepalived requires nftables.service (a drop-in): a
 *   director whose firewall failed to load never takes the VIP.
 */
export class LvsBalancer extends VrrpPair {
  /** How IPVS forwards. */
  public readonly forwarding: LvsForwarding;
  /** The IPVS scheduler. */
  public readonly scheduler: LvsScheduler;
  /** The public address: the floating IP's `address`, known at apply. */
  public readonly publicAddress: string;
  /**
   * The Terraform output holding {@link publicAddress} (construct id `PublicAddress`), named
   * `<path in snake case>_public_address` (`balancer_public_address`): point DNS at it.
   */
  public readonly publicAddressOutput: TerraformOutput;

  private readonly virtualServices: LvsVirtualService[] = [];

  constructor(scope: Construct, id: string, props: LvsBalancerProps) {
    // The shared VrrpPairOptions pass through as they are; only the flavor's default differs.
    super(scope, id, vrrpPairPropsOf(props, (props) => ({ ...props, flavor: props.flavor ?? Flavor.fromSizing(DEFAULT_LVS_SIZING), role: 'LVS directors' })));
    this.forwarding = requireEnumValue(this, 'forwarding', props.forwarding ?? LvsForwarding.DIRECT_ROUTING, LvsForwarding, 'LvsForwarding');
    this.scheduler = requireEnumValue(this, 'scheduler', props.scheduler ?? LvsScheduler.WEIGHTED_LEAST_CONNECTION, LvsScheduler, 'LvsScheduler');

    for (const host of this.nodes.instances) {
      if (this.forwarding === LvsForwarding.DIRECT_ROUTING) {
        // See the class description: stateful security groups drop direct-routed connections.
        host.port.disablePortSecurity(`LVS direct-routing director of ${this.node.path}: it sees one direction of each connection, which Neutron's stateful security groups drop as invalid; its nftables ruleset is its firewall`);
      } else {
        // NAT directors forward packets that keep the clients' source addresses (see the class description).
        host.port.addAllowedAddressPair('0.0.0.0/0');
      }
    }

    this.nodes.instances.forEach((host, index) => this.configureDirector(host, index));

    this.publicAddress = this.floatingIp.address;
    this.publicAddressOutput = stableOutput(this, 'PublicAddress', `${snakeCasePath(this)}_public_address`, {
      value: this.publicAddress,
      description: `Public address of ${this.node.path} (the floating IP on its VIP ${this.vipAddress}): point the site's DNS name at it`,
    });

    this.node.addValidation({
      validate: () => this.virtualServices.length > 0 ? [] : [`${this.node.path}: 'targets' ([]) must hold at least one target; call addTarget(tier, { port })`],
    });
  }

  /** The virtual services, in the order they were added. */
  public get services(): readonly LvsVirtualService[] {
    return [...this.virtualServices];
  }

  /**
   * Balances TCP `options.port` of the VIP over every instance of `tier`, and prepares those
   * instances for the forwarding method (see the class description). Returns the virtual service.
   */
  public addTarget(tier: IServerTier, options: LvsTargetOptions): LvsVirtualService {
    requirePeer(this, 'tier', tier, Kinds.SERVER_TIER);
    requireOptions<LvsTargetOptions>(this, 'options', options, ['port', 'healthCheck', 'weight']);
    requireIntegerInRange(this, 'port', options.port, 1, 65535);
    optionalPeer(this, 'healthCheck', options.healthCheck, Kinds.HEALTH_CHECK);
    const taken = this.virtualServices.find((s) => s.port === options.port);
    if (taken) {
      throw new HostingStacksError(this, 'port', options.port, `already has a virtual service on ${this.vipAddress} (to ${taken.tier.cluster.node.path}); each target needs its own port`);
    }
    const healthCheck = (options.healthCheck ?? HealthCheck.tcp()).validate(this, 'healthCheck');
    const weight = options.weight ?? 1;
    requireIntegerInRange(this, 'weight', weight, 1, 65535);
    const cluster = tier.cluster;
    if (cluster === this.nodes) throw new HostingStacksError(this, 'tier', cluster.node.path, 'is the balancer itself; a director cannot be its own real server');
    if (cluster.vswitch !== this.vswitch) {
      throw new HostingStacksError(this, 'tier', cluster.node.path,
        `is on ${cluster.vswitch.node.path}; LVS real servers must be on the balancer's vSwitch ${this.vswitch.node.path} (DR rewrites only the MAC; NAT replies route via the VIP)`);
    }
    const port = Port.tcp(options.port);
    const listenerRule = this.connections.allowFromInternet(port, `LVS virtual service ${this.vipAddress}:${options.port} of ${this.node.path}, public by nature (floating IP)`);
    const realServerRule = tier.connections.allowFromInternet(port,
      `real server of LVS ${this.forwarding} service ${this.vipAddress}:${options.port} (${this.node.path}): clients' source addresses reach it unchanged`);
    const service: LvsVirtualService = {
      port: options.port,
      tier,
      healthCheck,
      weight,
      realServers: cluster.addresses,
      listenerRule,
      realServerRule,
    };
    this.virtualServices.push(service);
    for (const host of cluster.instances) {
      if (this.forwarding === LvsForwarding.DIRECT_ROUTING) this.prepareDirectRoutingServer(host);
      else this.prepareNatServer(host);
    }
    return service;
  }

  /** The keepalived model of director `index` (0 or 1) with the targets added so far. */
  public keepalivedModel(index: number): KeepalivedConfigModel {
    const vrrpInstance = this.vrrpInstanceModel(index);
    return {
      routerId: this.nodes.instances[index].hostname,
      includes: this.keepalivedIncludes,
      vrrpInstance,
      virtualServers: this.virtualServices.map((s) => this.virtualServerModel(s)),
    };
  }

  /**
   * The input-chain rules of the directors: the nodes' Connections (see
   * {@link nftablesRulesFromConnections}), each virtual service's port accepted only to the VIP.
   */
  public inputRules(): NftablesRule[] {
    const listeners = new Set(this.virtualServices.map((s) => s.listenerRule));
    const declared = this.connections.ingressRules;
    return nftablesRulesFromConnections(this.connections).map((rule, i) => (listeners.has(declared[i]) ? { ...rule, destinations: [this.vipAddress] } : rule));
  }

  /** The forward-chain rules of the directors: none for DR; the real servers' ports both ways for NAT. */
  public forwardRules(): NftablesRule[] {
    if (this.forwarding !== LvsForwarding.NAT) return [];
    return this.virtualServices.flatMap((s) => [
      { port: Port.tcp(s.port), destinations: s.realServers, comment: `LVS-NAT ${this.vipAddress}:${s.port} to its real servers` },
      { port: Port.tcp(s.port), matchSourcePort: true, sources: s.realServers, comment: `LVS-NAT ${this.vipAddress}:${s.port} replies, rewritten to the VIP` },
    ]);
  }

  private virtualServerModel(s: LvsVirtualService): KeepalivedVirtualServerModel {
    const hc = s.healthCheck;
    return {
      address: this.vipAddress,
      port: s.port,
      scheduler: this.scheduler,
      forwarding: this.forwarding,
      delayLoopSeconds: hc.intervalSeconds,
      realServers: s.realServers.map((address) => ({
        address,
        port: s.port,
        weight: s.weight,
        check: {
          kind: hc.kind === HealthCheckKind.HTTP ? 'http' : 'tcp',
          path: hc.path,
          statusCode: hc.expectedStatus,
          connectTimeoutSeconds: hc.timeoutSeconds,
          // keepalived removes a server after the first failure plus `retry` more; it re-adds it on
          // the first success (it has no counterpart of healthyThreshold).
          retry: hc.unhealthyThreshold - 1,
          delayBeforeRetrySeconds: hc.intervalSeconds,
        },
      })),
    };
  }

  private configureDirector(host: ServerInstance, index: number): void {
    const config = host.cloudConfig;
    config.addPackages('keepalived', 'ipvsadm', 'nftables');
    // Rendered when cloud-init is rendered, so targets and rules added after construction are in.
    config.addLazyFile('/etc/nftables.conf', ConfigSyntax.NFTABLES, () => renderNftablesRuleset({
      hostname: host.hostname,
      input: this.inputRules(),
      forward: this.forwardRules(),
    }));
    // Fail closed: no VIP (and, in DR, no traffic to an unfiltered port) without the firewall.
    config.addFile({
      path: '/etc/systemd/system/keepalived.service.d/hosting-stacks-firewall.conf',
      content: '# keepalived takes the VIP only once the nftables ruleset is loaded. Generated by hosting-stacks.\n[Unit]\nRequires=nftables.service\nAfter=nftables.service\n',
    });
    config.addLazyFile('/etc/keepalived/keepalived.conf', ConfigSyntax.KEEPALIVED, () => renderKeepalivedConfig(this.keepalivedModel(index)));
    if (this.forwarding === LvsForwarding.NAT) {
      config.addFile({
        path: LVS_DIRECTOR_SYSCTL_PATH,
        syntax: ConfigSyntax.SYSCTL,
        content: renderLvsSysctlConfig({
          comment: `LVS-NAT director of ${this.node.path}: forward, and never redirect real servers past the director (one-network NAT)`,
          settings: [
            { key: 'net.ipv4.ip_forward', value: '1' },
            { key: 'net.ipv4.conf.all.send_redirects', value: '0' },
            { key: 'net.ipv4.conf.default.send_redirects', value: '0' },
            // Every interface, whatever its name (sysctl.d globs; udev applies them to interfaces that appear later).
            { key: 'net.ipv4.conf.*.send_redirects', value: '0' },
          ],
        }),
      });
      config.addPreServiceCommand('sysctl', '-p', LVS_DIRECTOR_SYSCTL_PATH);
    }
    config.addServices('nftables', 'keepalived');
  }

  private prepareDirectRoutingServer(host: ServerInstance): void {
    host.port.addAllowedAddressPair(this.vipAddress);
    const config = host.cloudConfig;
    const sysctlPath = '/etc/sysctl.d/60-lvs-direct-routing.conf';
    if (!hasFile(config, sysctlPath)) {
      config.addFile({
        path: sysctlPath,
        syntax: ConfigSyntax.SYSCTL,
        content: renderLvsSysctlConfig({
          comment: 'LVS direct-routing real server: answer ARP only for addresses of the asking interface, announce only those',
          settings: [
            { key: 'net.ipv4.conf.all.arp_ignore', value: '1' },
            { key: 'net.ipv4.conf.all.arp_announce', value: '2' },
          ],
        }),
      });
      config.addPreServiceCommand('sysctl', '-p', sysctlPath);
    }
    const unit = lvsVipUnitName(this.vipAddress);
    const unitPath = `/etc/systemd/system/${unit}`;
    if (!hasFile(config, unitPath)) {
      config.addFile({ path: unitPath, syntax: ConfigSyntax.SYSTEMD_UNIT, content: renderLvsVipUnit({ vip: this.vipAddress, balancer: this.node.path }) });
      config.addServices(unit);
    }
  }

  private prepareNatServer(host: ServerInstance): void {
    const unit = `lvs-nat-reply-${this.virtualRouterId}.service`;
    const path = `/etc/systemd/system/${unit}`;
    if (hasFile(host.cloudConfig, path)) return;
    const table = LVS_NAT_ROUTE_TABLE_BASE + this.virtualRouterId;
    host.cloudConfig.addLazyFile(path, ConfigSyntax.SYSTEMD_UNIT, () => renderLvsNatReplyRouteUnit({
      balancer: this.node.path,
      vip: this.vipAddress,
      address: host.address,
      subnet: this.vswitch.cidr,
      table,
      subnetRulePriority: table * 10,
      replyRulePriority: table * 10 + 1,
      ports: this.virtualServices.filter((s) => s.tier.cluster === host.cluster).map((s) => s.port),
    }));
    host.cloudConfig.addServices(unit);
  }
}

/** The NAT director's sysctl file. */
const LVS_DIRECTOR_SYSCTL_PATH = '/etc/sysctl.d/60-lvs-director.conf';

/** Model of a sysctl.d file. */
export interface LvsSysctlModel {
  /** Why these settings. */
  readonly comment: string;
  /** Keys and values, in order. */
  readonly settings: readonly { readonly key: string; readonly value: string }[];
}

/** Renders a `/etc/sysctl.d/*.conf` file. Pure. */
export function renderLvsSysctlConfig(model: LvsSysctlModel): string {
  return renderTemplate('lvs-sysctl.conf.hbs', model);
}

/** Model of the DR real server's VIP-on-loopback unit. */
export interface LvsVipUnitModel {
  /** The VIP. */
  readonly vip: string;
  /** Path of the balancer, for the description. */
  readonly balancer: string;
}

/** Renders the systemd oneshot unit that puts the VIP on `lo` of a DR real server. Pure. */
export function renderLvsVipUnit(model: LvsVipUnitModel): string {
  return renderTemplate('lvs-dr-vip.service.hbs', model);
}

/** The DR VIP unit's name for a VIP: `lvs-vip-10-0-1-5.service`. */
export function lvsVipUnitName(vip: string): string {
  return `lvs-vip-${vip.replace(/\./g, '-')}.service`;
}

/** Model of the NAT real server's reply-route unit. */
export interface LvsNatReplyRouteModel {
  /** Path of the balancer, for the description. */
  readonly balancer: string;
  /** The VIP: next hop of the replies (the current master). */
  readonly vip: string;
  /** The real server's own address. */
  readonly address: string;
  /** The vSwitch CIDR, which keeps the main table (health-check replies, peers). */
  readonly subnet: string;
  /** Routing table holding the default route via the VIP. */
  readonly table: number;
  /** Priority of the `to <subnet> lookup main` rule. */
  readonly subnetRulePriority: number;
  /** Priority of the `from <address> sport <port>` rules. */
  readonly replyRulePriority: number;
  /** The balanced TCP ports of this server. */
  readonly ports: readonly number[];
}

/** Renders the systemd oneshot unit that routes an LVS-NAT real server's replies via the VIP. Pure. */
export function renderLvsNatReplyRouteUnit(model: LvsNatReplyRouteModel): string {
  return renderTemplate('lvs-nat-reply-route.service.hbs', model);
}

function hasFile(config: CloudConfig, path: string): boolean {
  return config.hostFiles.some((f) => f.path === path);
}

