/**
 * Single points of failure and a modelled availability, from a stack's {@link ArchitectureModel}.
 *
 * The model: a user-facing flow works when every user-facing tier works (tiers in series); a tier
 * works when enough of its members are up (members independent, each up with
 * {@link AvailabilityAssumptions.serverAvailability}); a managed service is up with
 * {@link AvailabilityAssumptions.managedServiceAvailability}. Every failure of a member of a
 * redundant tier also costs the seconds until health checks or VRRP take it out. When sites stand in
 * for one another (DNS failover), the tiers of one site form that site's chain, the sites are in
 * parallel, and the tiers spanning sites (a Galera cluster) stay in series. Fallbacks (the mini-site
 * of load shedding) are left out: they serve when the main flow is overloaded, they do not carry it.
 *
 * Not modelled, and why a measured figure is lower: deployments and application faults, the
 * provider's network and storage as a whole, DNS and CDN, and human error.
 */
import { HostingStacksError } from '../core/errors';
import { ArchitectureModel, ArchitectureTier, RedundancyKind, TierRedundancy } from './architecture-model';

/** What the availability model takes as given. Every figure is an assumption, stated in the notes. */
export interface AvailabilityAssumptions {
  /** Fraction of the year one server is up. */
  readonly serverAvailability: number;
  /** Fraction of the year a managed service (Octavia) is up. */
  readonly managedServiceAvailability: number;
  /** Failures of one server a year. */
  readonly failuresPerServerYear: number;
  /** Seconds users see errors when a member of a redundant tier fails, until it is taken out. */
  readonly failoverSeconds: number;
}

/**
 * The assumptions the notes state (ours, not OVHcloud's: check your provider's SLA per product).
 * - A server is down 8.8 hours a year (99.9 %): one host failure a year and its repair or rebuild,
 *   and reboots for kernel updates.
 * - Octavia's active/standby amphorae: 99.99 % (53 minutes a year).
 * - One failure per server a year; 15 s of errors for each failure in a redundant tier (VRRP's
 *   three missed adverts, or a balancer's health checks at 2 s x 3, plus connections in flight).
 */
export const DEFAULT_AVAILABILITY_ASSUMPTIONS: AvailabilityAssumptions = {
  serverAvailability: 0.999,
  managedServiceAvailability: 0.9999,
  failuresPerServerYear: 1,
  failoverSeconds: 15,
};

const SECONDS_PER_YEAR = 365 * 24 * 3600;

/** A tier's share of the model. */
export interface TierAvailability {
  /** The tier's id. */
  readonly tier: string;
  /** Its redundancy in words. */
  readonly redundancy: string;
  /** Members lost before it stops serving. */
  readonly toleratedLosses: number;
  /** Its modelled availability (0 to 1). */
  readonly availability: number;
}

/** A single point of failure: a tier whose loss of one server stops a user-facing flow. */
export interface SinglePointOfFailure {
  /** The tier's id. */
  readonly tier: string;
  /** Why one loss stops it. */
  readonly reason: string;
  /** What would remove it. */
  readonly remedy: string;
  /** The stack's modelled availability with the remedy applied (this tier only). */
  readonly availabilityWithRemedy: number;
}

/** The result of {@link assessAvailability}. */
export interface AvailabilityAssessment {
  /** The assumptions used. */
  readonly assumptions: AvailabilityAssumptions;
  /** Each user-facing tier's share (fallbacks left out). */
  readonly tiers: readonly TierAvailability[];
  /** The single points of failure. */
  readonly singlePointsOfFailure: readonly SinglePointOfFailure[];
  /** The stack's modelled availability (0 to 1), or undefined when it has no user-facing flow. */
  readonly availability: number | undefined;
  /** Sites standing in for one another, when they do. */
  readonly parallelSites: readonly string[];
}

/** Probability that at least `k` of `n` independent members, each up with `a`, are up. */
export function atLeastKOfN(k: number, n: number, a: number): number {
  let p = 0;
  for (let i = k; i <= n; i++) p += binomial(n, i) * a ** i * (1 - a) ** (n - i);
  return Math.min(1, p);
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Members a tier may lose and still serve. */
export function toleratedLosses(r: TierRedundancy): number {
  if (r.kind === RedundancyKind.SINGLE_WRITER) return 0;
  // Octavia's standby amphora takes over when the active one is lost.
  if (r.kind === RedundancyKind.MANAGED) return 1;
  return r.members - r.required;
}

/** A tier's modelled availability under `assumptions`. */
export function tierAvailability(r: TierRedundancy, assumptions: AvailabilityAssumptions): number {
  if (r.kind === RedundancyKind.MANAGED) return assumptions.managedServiceAvailability;
  if (r.kind === RedundancyKind.SINGLE_WRITER) return assumptions.serverAvailability;
  const up = atLeastKOfN(r.required, r.members, assumptions.serverAvailability);
  if (r.members === r.required) return up;
  const failoverDown = (r.members * assumptions.failuresPerServerYear * assumptions.failoverSeconds) / SECONDS_PER_YEAR;
  return Math.max(0, up - failoverDown);
}

/** The remedy of a single point of failure: what to change, and the redundancy it gives. */
function remedyOf(t: ArchitectureTier): { reason: string; remedy: string; redundancy: TierRedundancy } {
  const r = t.redundancy;
  if (r.kind === RedundancyKind.SINGLE_WRITER) {
    return {
      reason: `every write goes to the primary; promoting ${r.members === 2 ? 'the replica' : `one of the ${r.members - 1} replicas`} is manual`,
      remedy: 'automatic promotion of a replica (or a Galera cluster of 3), so that any member takes the writes',
      redundancy: { ...r, kind: RedundancyKind.ANY_OF, required: 1 },
    };
  }
  if (r.kind === RedundancyKind.QUORUM) {
    return { reason: `${r.required} of ${r.members} members must be up`, remedy: `${r.members + 1} members`, redundancy: { ...r, members: r.members + 1, required: Math.floor((r.members + 1) / 2) + 1 } };
  }
  return { reason: 'one server', remedy: 'a second server (count: 2) behind its balancer, or a standby taking over its address', redundancy: { ...r, members: r.members + 1, required: 1 } };
}

/** The stack's availability given each tier's availability, combining sites in parallel when they fail over. */
function combine(model: ArchitectureModel, tiers: readonly ArchitectureTier[], availabilityOf: (t: ArchitectureTier) => number): { availability: number | undefined; parallelSites: string[] } {
  if (tiers.length === 0) return { availability: undefined, parallelSites: [] };
  const perSite = new Map<string, number>();
  let shared = 1;
  for (const t of tiers) {
    const a = availabilityOf(t);
    if (model.siteFailover && t.sites.length === 1) perSite.set(t.sites[0], (perSite.get(t.sites[0]) ?? 1) * a);
    else shared *= a;
  }
  if (perSite.size === 0) return { availability: shared, parallelSites: [] };
  const allSitesDown = [...perSite.values()].reduce((p, a) => p * (1 - a), 1);
  return { availability: shared * (1 - allSitesDown), parallelSites: [...perSite.keys()] };
}

/**
 * Names the single points of failure of `model` and computes its modelled availability under
 * `assumptions`. A tier in a site that another site stands in for is no single point of failure:
 * the site is lost, not the service.
 */
export function assessAvailability(model: ArchitectureModel, assumptions: AvailabilityAssumptions = DEFAULT_AVAILABILITY_ASSUMPTIONS): AvailabilityAssessment {
  for (const [name, value] of Object.entries(assumptions)) {
    const isFraction = name.endsWith('Availability');
    if (!Number.isFinite(value) || value < 0 || (isFraction && value > 1)) {
      throw HostingStacksError.ofFactory('assessAvailability', name, value, `must be a finite number ${isFraction ? 'from 0 to 1' : 'of at least 0'}`);
    }
  }
  const byId = new Map(model.tiers.map((t) => [t.id, t]));
  const tiers = model.userFacing.map((id) => byId.get(id)!).filter((t) => !t.fallback);
  const own = (t: ArchitectureTier) => tierAvailability(t.redundancy, assumptions);
  const { availability, parallelSites } = combine(model, tiers, own);
  const standsIn = (t: ArchitectureTier) => model.siteFailover && t.sites.length === 1 && parallelSites.length > 1;
  const singlePointsOfFailure = tiers
    .filter((t) => toleratedLosses(t.redundancy) === 0 && !standsIn(t))
    .map((t) => {
      const { reason, remedy, redundancy } = remedyOf(t);
      const improved = combine(model, tiers, (x) => (x.id === t.id ? tierAvailability(redundancy, assumptions) : own(x))).availability!;
      return { tier: t.id, reason, remedy, availabilityWithRemedy: improved };
    });
  return {
    assumptions,
    tiers: tiers.map((t) => ({ tier: t.id, redundancy: t.redundancy.description, toleratedLosses: toleratedLosses(t.redundancy), availability: own(t) })),
    singlePointsOfFailure,
    availability,
    parallelSites,
  };
}
