import { IConstruct } from 'constructs';
import { NetworkingFloatingipV2 } from '../../.gen/providers/openstack/networking-floatingip-v2';
import { IServerTier } from '../compute/server-cluster';
import { IngressRule } from '../core/connections';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { formatIpv4, parseIpv4 } from '../core/ipv4';
import { IPrivateVSwitch } from '../network/private-vswitch';
import { HealthCheck } from './health-check';

/**
 * Concurrent users a public entry is sized for when its props do not say: 1,000, a mid-sized
 * shop's peak on one entry. A generic default, not any case study's figure: size an entry for your
 * own peak (the case-study stacks pass theirs, e.g. 1,500 per country for Monsieur Déguisement).
 */
export const DEFAULT_CONCURRENT_USERS_PER_COUNTRY = 1000;

/**
 * Client connections one concurrent user keeps open to the public entry. Browsers open up to 6
 * per host, but case study 5 serves all static content from the CDN and the NGINX content server,
 * so the entry carries only documents and AJAX calls: a page and a call in flight, kept alive.
 */
export const CONNECTIONS_PER_USER = 2;

/**
 * Headroom over the stated peak: campaign peaks are forecasts, and a balancer that refuses
 * connections at exactly the forecast turns a good day into an outage. 1.5 x keeps 50 % spare.
 */
export const CONNECTION_HEADROOM = 1.5;

/**
 * The connection limit of a listener sized for `users` concurrent users:
 * `ceil(users x CONNECTIONS_PER_USER x CONNECTION_HEADROOM)` (1,500 users -> 4,500 connections).
 */
export function connectionLimitFor(users: number): number {
  return Math.ceil(users * CONNECTIONS_PER_USER * CONNECTION_HEADROOM);
}

/** Timeouts of a public HTTP entry, in milliseconds. */
export interface EntryTimeouts {
  /** TCP connect to a member. */
  readonly connectMs: number;
  /** Client inactivity. */
  readonly clientMs: number;
  /** Member inactivity (a slow page). */
  readonly serverMs: number;
  /** How long a request waits for a member slot before a 503 (haproxy only). */
  readonly queueMs: number;
  /** A complete request header (slow-header attacks; haproxy only). */
  readonly httpRequestMs: number;
  /** An idle kept-alive client connection (haproxy only). */
  readonly httpKeepAliveMs: number;
}

/**
 * The timeouts of both kinds of entry: connect 5 s (a member on the same cloud answers in
 * milliseconds; 5 s covers a SYN retry), client 30 s, server 60 s (a Magento checkout page may be
 * slow), queue 30 s, http-request 10 s, http-keep-alive 5 s (idle kept-alive connections do not hold
 * connection slots long).
 */
export const ENTRY_TIMEOUTS: EntryTimeouts = {
  connectMs: 5000,
  clientMs: 30000,
  serverMs: 60000,
  queueMs: 30000,
  httpRequestMs: 10000,
  httpKeepAliveMs: 5000,
};

/** Options of {@link IHttpEntryBalancer.addTarget}. */
export interface HttpTargetOptions {
  /** TCP port the tier's instances serve HTTP on. */
  readonly port: number;
  /** How the balancer decides an instance is alive. @default HealthCheck.http() (GET /healthz, 200) */
  readonly healthCheck?: HealthCheck;
}

/** The tier behind a public HTTP entry, as created by {@link IHttpEntryBalancer.addTarget}. */
export interface HttpTarget {
  /** The tier whose instances are the members. */
  readonly tier: IServerTier;
  /** The members' HTTP port. */
  readonly port: number;
  /** The members' health check. */
  readonly healthCheck: HealthCheck;
  /** The members' planned addresses, one per instance of the tier, in order. */
  readonly memberAddresses: readonly string[];
  /** The tier's rules that let the balancer's requests and health checks in. */
  readonly memberRules: readonly IngressRule[];
  /**
   * Addresses or CIDRs the members see the balancer's requests come from: the proxies whose
   * X-Forwarded-For the members may trust (Apache `RemoteIPTrustedProxy`, nginx `set_real_ip_from`).
   */
  readonly trustedProxies: readonly string[];
}

/**
 * A tier that believes `X-Forwarded-Proto` only from the entries in front of it (HTTPS ends there):
 * each entry's `addTarget` names the sources its requests come from ({@link HttpTarget.trustedProxies}),
 * so the tier's daemon config follows from the same `addTarget` call as its security-group rules.
 */
export interface IForwardedProtoTrusting {
  /** Believes the `X-Forwarded-Proto` of requests whose peer address is in `sources` (addresses or CIDRs), sent by `entry`. */
  trustForwardedProtoFrom(sources: readonly string[], entry: IConstruct): void;
}

/** Tells `tier` which sources' `X-Forwarded-Proto` to believe, when it is {@link IForwardedProtoTrusting}. */
export function trustForwardedProto(tier: IServerTier, sources: readonly string[], entry: IConstruct): void {
  const trusting = tier as Partial<IForwardedProtoTrusting>;
  if (typeof trusting.trustForwardedProtoFrom === 'function') trusting.trustForwardedProtoFrom(sources, entry);
}

/**
 * A public HTTP entry: a balancer with a floating IP that spreads requests round-robin, without
 * session persistence, over the health-checked instances of one tier.
 */
export interface IHttpEntryBalancer extends IConstruct {
  /** The floating IP: the entry's public address is `floatingIp.address`. */
  readonly floatingIp: NetworkingFloatingipV2;
  /** The VIP's planned address on its vSwitch. */
  readonly vipAddress: string;
  /** The TCP port clients connect to. */
  readonly listenerPort: number;
  /** Concurrent users the entry is sized for. */
  readonly expectedConcurrentUsers: number;
  /** Concurrent client connections accepted; more wait in the kernel's backlog or are refused. */
  readonly connectionLimit: number;
  /** The tier behind the entry, once added. */
  readonly target: HttpTarget | undefined;
  /** Balances the entry over every instance of `tier`. One tier per entry. */
  addTarget(tier: IServerTier, options: HttpTargetOptions): HttpTarget;
}

/** Validates `users` and returns it; shared by the entry balancers. */
export function requireConcurrentUsers(scope: IConstruct, prop: string, users: number): number {
  requireIntegerInRange(scope, prop, users, 1, 1_000_000);
  return users;
}

/**
 * Throws unless the members of `tier` can be reached from a balancer on `vswitch`: the same
 * vSwitch, or vSwitches joined by one router; and unless the tier is not the balancer itself.
 */
export function requireReachableTier(scope: IConstruct, vswitch: IPrivateVSwitch, tier: IServerTier, balancerNodes?: IConstruct): void {
  const cluster = tier.cluster;
  if (balancerNodes !== undefined && cluster === balancerNodes) {
    throw new HostingStacksError(scope, 'tier', cluster.node.path, 'is the balancer itself; a balancer cannot be its own member');
  }
  if (cluster.vswitch !== vswitch && cluster.vswitch.router !== vswitch.router) {
    throw new HostingStacksError(scope, 'tier', cluster.node.path,
      `is on ${cluster.vswitch.node.path}, whose router is not the router of ${vswitch.node.path}; the balancer could not reach the members (attach both vSwitches to one Router)`);
  }
}

/**
 * The CIDR blocks that exactly cover a vSwitch's DHCP allocation pool extended to the subnet's
 * broadcast address (which no host can hold): the addresses Neutron gives to ports that ask for
 * none, such as the ports Octavia plugs into a member subnet. A /24 with the default layout gives
 * one block, `x.y.z.128/25`.
 */
export function dhcpPoolCidrs(vswitch: IPrivateVSwitch): string[] {
  let start = parseIpv4(vswitch.dhcpPool.start)!;
  const [, prefix] = vswitch.cidr.split('/');
  const network = parseIpv4(vswitch.cidr.split('/')[0])!;
  const end = network + 2 ** (32 - Number(prefix)) - 1;
  const blocks: string[] = [];
  while (start <= end) {
    let size = 1;
    while (start % (size * 2) === 0 && start + size * 2 - 1 <= end) size *= 2;
    blocks.push(`${formatIpv4(start)}/${32 - Math.log2(size)}`);
    start += size;
  }
  return blocks;
}
