/**
 * The architecture of a stack as its constructs declare it: tiers (the constructs that own servers
 * or are managed entries), the zones (vSwitches) and sites they sit in, how each tier is redundant,
 * the entries from outside, and the flows the network intent allows between them. It is read from
 * the constructs (their `Connections` rules, their kinds and counts), never from the Terraform, so
 * that a diagram, the single points of failure and the availability model all say what the stack
 * means, and change exactly when its intent changes.
 */
import { TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { ServerCluster } from '../compute/server-cluster';
import { Site } from '../compute/site';
import { Connections, IngressRule, TrafficSourceKind } from '../core/connections';
import { Port } from '../core/port';
import { OctaviaBalancer } from '../balancing/octavia-balancer';
import { HaproxyBalancer } from '../balancing/haproxy-balancer';
import { SiteFailover } from '../balancing/site-failover';
import { LvsBalancer } from '../balancing/lvs-balancer';
import { architectureIntentOf, RedundancyKind, TierRole } from '../core/architecture-intent';
import { Kinds } from '../core/peers';
import type { IPrivateVSwitch } from '../network/private-vswitch';

export { RedundancyKind, TierRole } from '../core/architecture-intent';

/** A tier's redundancy. */
export interface TierRedundancy {
  /** How it is redundant. */
  readonly kind: RedundancyKind;
  /** Members (servers, or 1 for a managed service). */
  readonly members: number;
  /** Members that must be up for the tier to serve. */
  readonly required: number;
  /** The redundancy in words, for the diagram and the notes. */
  readonly description: string;
}

/** A tier: a construct that owns servers (a web tier, a VIP pair, a database) or a managed entry. */
export interface ArchitectureTier {
  /** The construct path under the stack (`Web`, `SiteA/Adc`): the tier's id in every output. */
  readonly id: string;
  /** The construct's class (`WebTier`, `OctaviaBalancer`). */
  readonly kind: string;
  /** What the tier is for. */
  readonly role: TierRole;
  /** The vSwitch (zone) the tier's servers are on, by construct path under the stack. */
  readonly zone: string;
  /** The sites (availability zones) the tier's servers are in; empty when the stack has none. */
  readonly sites: readonly string[];
  /** Servers at the baseline (1 for a managed service). */
  readonly count: number;
  /** Most servers the tier may scale to. */
  readonly maxCount: number;
  /** Flavors of its servers (empty for a managed service). */
  readonly flavors: readonly string[];
  /** Its redundancy. */
  readonly redundancy: TierRedundancy;
  /** True when users or partners reach it from outside the stack (the internet, a CDN, a partner network). */
  readonly entry: boolean;
  /** True when it only serves as another tier's fallback (the mini-site of load shedding). */
  readonly fallback: boolean;
}

/** Something outside the stack that traffic comes from. */
export interface ArchitectureExternal {
  /** Its id in the model (`internet`, `net-192.0.2.0/24`). */
  readonly id: string;
  /** What it is, for the diagram. */
  readonly label: string;
}

/** What a flow is for. */
export enum FlowPurpose {
  /** Users' requests and what serving them needs. */
  SERVICE = 'service',
  /** Monitoring, backups and deployments. */
  OPERATIONS = 'operations',
  /** SSH from jump hosts, the VPN or the admin network. */
  ADMINISTRATION = 'administration',
}

/** Traffic one tier (or an external) may send to another, as the network intent allows it. */
export interface ArchitectureFlow {
  /** The source: a tier's or an external's id. */
  readonly from: string;
  /** The destination tier's id. */
  readonly to: string;
  /** The ports allowed, as labels (`tcp 443`, `udp 51820`). */
  readonly ports: readonly string[];
  /** What the flow is for. */
  readonly purpose: FlowPurpose;
}

/** A zone: a private vSwitch. */
export interface ArchitectureZone {
  /** Construct path under the stack. */
  readonly id: string;
  /** Its address block. */
  readonly cidr: string;
}

/** The architecture of one stack. */
export interface ArchitectureModel {
  /** The stack's id. */
  readonly stack: string;
  /** The zones, in the order the stack made them. */
  readonly zones: readonly ArchitectureZone[];
  /** The sites (availability zones), in order. */
  readonly sites: readonly string[];
  /** True when the sites stand in for one another (DNS failover between them). */
  readonly siteFailover: boolean;
  /** The tiers, in construct order. */
  readonly tiers: readonly ArchitectureTier[];
  /** Where outside traffic comes from. */
  readonly externals: readonly ArchitectureExternal[];
  /** The flows between tiers and from outside, one per source, destination and purpose. */
  readonly flows: readonly ArchitectureFlow[];
  /** Flows inside a tier (replication, VRRP adverts, group communication), by tier id. */
  readonly internalPorts: Readonly<Record<string, readonly string[]>>;
  /** Ids of the tiers on a user-facing flow: reached from an entry by service flows. */
  readonly userFacing: readonly string[];
}

/** A tier's redundancy from what its construct declares and its member count. */
function redundancyOf(x: object, count: number): TierRedundancy {
  switch (architectureIntentOf(x).redundancy ?? RedundancyKind.ANY_OF) {
    case RedundancyKind.SINGLE_WRITER:
      return { kind: RedundancyKind.SINGLE_WRITER, members: count, required: 1, description: `primary + ${count - 1} replica${count === 2 ? '' : 's'} (writes: the primary only)` };
    case RedundancyKind.QUORUM: {
      const required = Math.floor(count / 2) + 1;
      return { kind: RedundancyKind.QUORUM, members: count, required, description: `quorum of ${count} (${required} needed)` };
    }
    case RedundancyKind.MANAGED:
      return { kind: RedundancyKind.MANAGED, members: 1, required: 1, description: 'Octavia, active/standby amphorae' };
    case RedundancyKind.VIP_PAIR:
      return { kind: RedundancyKind.VIP_PAIR, members: count, required: 1, description: `VIP pair (${count} nodes, VRRP)` };
    default:
      return { kind: RedundancyKind.ANY_OF, members: count, required: 1, description: count === 1 ? 'one server' : `${count} servers, any one serves` };
  }
}

function relative(stack: TerraformStack, c: IConstruct): string {
  return c.node.path.slice(stack.node.path.length + 1);
}

/** The construct a Connections belongs to as a tier: a cluster's owner (WebTier), else the owner itself. */
function tierConstructOf(stack: TerraformStack, connections: Connections): IConstruct {
  const owner = connections.owner;
  if (!ServerCluster.isServerCluster(owner)) return owner;
  const parent = owner.node.scope;
  return parent === undefined || parent === stack || Site.isSite(parent) ? owner : parent;
}

function portLabel(port: Port): string {
  if (!port.hasPorts) return port.protocol;
  return port.fromPort === port.toPort ? `${port.protocol} ${port.fromPort}` : `${port.protocol} ${port.fromPort}-${port.toPort}`;
}

function portSort(a: string, b: string): number {
  const n = (s: string) => Number(s.split(' ')[1]?.split('-')[0] ?? 0);
  return a.split(' ')[0].localeCompare(b.split(' ')[0]) || n(a) - n(b);
}

/**
 * Reads the architecture of `stack` from its constructs. Call it once the stack is complete (at
 * synth): flows added later are not in it.
 */
export function architectureOf(stack: TerraformStack): ArchitectureModel {
  const all = stack.node.findAll();
  const clusters = all.filter((c): c is ServerCluster => ServerCluster.isServerCluster(c));
  const octavias = all.filter((c): c is OctaviaBalancer => c instanceof OctaviaBalancer);
  const connectionsList = all.filter((c): c is Connections => Connections.isConnections(c));

  // The tier of each Connections, and the clusters of each tier.
  const tierOfConnections = new Map<Connections, IConstruct>();
  for (const c of connectionsList) tierOfConnections.set(c, tierConstructOf(stack, c));
  const clustersOf = new Map<IConstruct, ServerCluster[]>();
  for (const cluster of clusters) {
    const tier = tierOfConnections.get(cluster.connections) ?? tierConstructOf(stack, cluster.connections);
    clustersOf.set(tier, [...(clustersOf.get(tier) ?? []), cluster]);
  }

  // Fallbacks: the mini-sites haproxy sheds load to.
  const fallbackConstructs = new Set<IConstruct>();
  for (const c of all) {
    if (!(c instanceof HaproxyBalancer)) continue;
    const backend = c.loadShedding?.miniSite.backend;
    if (backend) {
      const t = tierOfConnections.get(backend.connections);
      if (t) fallbackConstructs.add(t);
    }
  }

  const tiers: ArchitectureTier[] = [];
  const tierIdOf = new Map<IConstruct, string>();
  for (const [construct, members] of clustersOf) {
    const count = members.reduce((s, m) => s + m.count, 0);
    const id = relative(stack, construct);
    tierIdOf.set(construct, id);
    tiers.push({
      id,
      kind: construct.constructor.name,
      role: architectureIntentOf(construct).role ?? TierRole.SERVICE,
      zone: relative(stack, members[0].vswitch),
      sites: [...new Set(members.map((m) => m.site?.siteName).filter((s): s is string => s !== undefined))],
      count,
      maxCount: members.reduce((s, m) => s + m.maxCount, 0),
      flavors: [...new Set(members.map((m) => m.flavor.name))],
      redundancy: redundancyOf(construct, count),
      entry: false,
      fallback: fallbackConstructs.has(construct),
    });
  }
  for (const o of octavias) {
    const id = relative(stack, o);
    tierIdOf.set(o, id);
    const site = Site.of(o)?.siteName;
    tiers.push({
      id, kind: o.constructor.name, role: TierRole.SERVICE, zone: relative(stack, o.vswitch), sites: site ? [site] : [],
      count: 1, maxCount: 1, flavors: [], redundancy: redundancyOf(o, 1), entry: true, fallback: false,
    });
  }

  // Rules a balancer made on its targets: the balancer is their source (Octavia's amphorae send
  // from the vSwitch's DHCP pool; LVS direct routing keeps the clients' addresses). One rule may
  // serve several balancers (Octavia entries on one vSwitch).
  const balancersOfRule = new Map<IngressRule, string[]>();
  const addBalancer = (rule: IngressRule, balancer: IConstruct) => balancersOfRule.set(rule, [...(balancersOfRule.get(rule) ?? []), tierIdOf.get(balancer)!]);
  for (const o of octavias) for (const r of o.target?.memberRules ?? []) addBalancer(r, o);
  for (const c of all) if (c instanceof LvsBalancer) for (const v of c.services) addBalancer(v.realServerRule, c);
  const tierOfAddress = new Map<string, string>();
  for (const [c, t] of tierOfConnections) {
    const id = tierIdOf.get(t);
    if (id) for (const a of c.addresses) tierOfAddress.set(`${a}/32`, id);
  }
  const externals = new Map<string, ArchitectureExternal>();
  const byId = new Map(tiers.map((t) => [t.id, t]));
  const flowPorts = new Map<string, { from: string; to: string; purpose: FlowPurpose; ports: Set<string> }>();
  const internal = new Map<string, Set<string>>();
  const entries = new Set<string>(octavias.map((o) => tierIdOf.get(o)!));

  for (const [connections, construct] of tierOfConnections) {
    const to = tierIdOf.get(construct);
    if (to === undefined) continue; // a Connections of no server (none in the library's constructs)
    const target = byId.get(to)!;
    for (const rule of connections.ingressRules) {
      const sources = balancersOfRule.get(rule) ?? [sourceOf(rule)];
      for (const from of sources) addFlow(from, rule);
    }
    function sourceOf(rule: IngressRule): string {
      let from: string;
      const src = rule.source;
      if (src.kind === TrafficSourceKind.INTERNET) {
        from = 'internet';
        externals.set(from, { id: from, label: 'internet' });
      } else if (src.kind === TrafficSourceKind.GROUP) {
        const t = tierOfConnections.get(src.connections!);
        const id = t && tierIdOf.get(t);
        if (id) from = id;
        else {
          // A group of no server (none in the library's constructs): shown as where traffic comes from.
          from = relative(stack, src.connections!.owner);
          externals.set(from, { id: from, label: from });
        }
      } else {
        const cidr = src.cidr!;
        const known = tierOfAddress.get(cidr);
        if (known) from = known;
        else {
          from = `net-${cidr}`;
          externals.set(from, { id: from, label: cidr });
        }
      }
      return from;
    }
    function addFlow(from: string, rule: IngressRule): void {
      const port = portLabel(rule.port);
      if (from === to) {
        internal.set(to!, (internal.get(to!) ?? new Set()).add(port));
        return;
      }
      const source = byId.get(from);
      const purpose = source?.role === TierRole.OPERATIONS ? FlowPurpose.OPERATIONS
        : rule.port.fromPort === 22 && !(source === undefined && architectureIntentOf(construct).sshServiceFromOutside) ? FlowPurpose.ADMINISTRATION
          : FlowPurpose.SERVICE;
      if (!source && purpose === FlowPurpose.SERVICE && target.role === TierRole.SERVICE) entries.add(to!);
      const key = `${from}\u0000${to}\u0000${purpose}`;
      const f = flowPorts.get(key) ?? { from, to: to!, purpose, ports: new Set<string>() };
      f.ports.add(port);
      flowPorts.set(key, f);
    }
  }
  for (const o of octavias) {
    externals.set('internet', { id: 'internet', label: 'internet' });
    const ports = [`tcp ${o.listenerPort}`, ...(o.tls ? ['tcp 443'] : [])];
    flowPorts.set(`internet\u0000${tierIdOf.get(o)}\u0000service`, { from: 'internet', to: tierIdOf.get(o)!, purpose: FlowPurpose.SERVICE, ports: new Set(ports) });
  }

  const flows: ArchitectureFlow[] = [...flowPorts.values()].map((f) => ({ from: f.from, to: f.to, purpose: f.purpose, ports: [...f.ports].sort(portSort) }));
  const finalTiers = tiers.map((t) => ({ ...t, entry: entries.has(t.id) }));

  // User-facing: reached from an entry (not a fallback) by service flows.
  const userFacing = new Set<string>();
  const queue = finalTiers.filter((t) => t.entry && !t.fallback && t.role === TierRole.SERVICE).map((t) => t.id);
  const serviceFlows = flows.filter((f) => f.purpose === FlowPurpose.SERVICE);
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (userFacing.has(id)) continue;
    userFacing.add(id);
    for (const f of serviceFlows) if (f.from === id && !byId.get(f.to)!.fallback) queue.push(f.to);
  }
  // Workers: a service tier nothing calls exists to do the work of the tiers it connects to (task
  // daemons taking tasks from a broker). When one of those is user-facing, so is the worker.
  for (const t of finalTiers) {
    const called = serviceFlows.some((f) => f.to === t.id);
    if (t.role === TierRole.SERVICE && !called && !t.entry && serviceFlows.some((f) => f.from === t.id && userFacing.has(f.to))) userFacing.add(t.id);
  }

  const zones = all.filter((c): c is IPrivateVSwitch => Kinds.PRIVATE_VSWITCH.is(c)).map((z) => ({ id: relative(stack, z), cidr: z.cidr }));
  const sites = all.filter((c): c is Site => Site.isSite(c)).map((s) => s.siteName);
  return {
    stack: stack.node.id,
    zones,
    sites,
    siteFailover: sites.length > 1 && all.some((c) => c instanceof SiteFailover),
    tiers: finalTiers,
    externals: [...externals.values()],
    flows,
    internalPorts: Object.fromEntries([...internal].map(([k, v]) => [k, [...v].sort(portSort)])),
    userFacing: finalTiers.filter((t) => userFacing.has(t.id)).map((t) => t.id),
  };
}
