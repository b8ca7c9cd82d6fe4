import { IServerTier } from '../compute/server-cluster';

/**
 * The plain data a tier's scaling rules compile to. The constructs (campaign calendar, capacity
 * model, scaling rules) produce it; the Terraform schedule, the Heat template, the Prometheus rules
 * and the simulator all consume the same model, so what is simulated is what is deployed.
 */

/** Metrics a reactive rule can act on. */
export enum ScalingMetric {
  /** Average CPU utilisation of the tier's instances, 0 to 1. */
  CPU = 'cpu',
  /** HTTP requests per second per instance. */
  REQUESTS_PER_SECOND = 'requests-per-second',
  /** Concurrent user sessions per instance. */
  SESSIONS_PER_INSTANCE = 'sessions-per-instance',
}

/** How much one instance of a tier serves and how long a new one takes. */
export interface CapacityPlan {
  /** Concurrent users of the demand given (campaign peaks, simulated users) one instance serves at full load: its own users / the tier's demandShare. */
  readonly usersPerInstance: number;
  /** Spare capacity kept on top of the demand, as a fraction (0.2 = plan for 120 % of the users). */
  readonly headroom: number;
  /** Minutes from the scaling decision until a new instance serves traffic. */
  readonly bootMinutes: number;
  /** HTTP requests per second one concurrent user causes (converts users to the RPS metric). */
  readonly requestsPerUserPerSecond: number;
}

/** One reactive rule: scale out above a threshold, in below another, with steps and cooldowns. */
export interface ReactiveRulePlan {
  /** The metric watched. */
  readonly metric: ScalingMetric;
  /** Scale out when the metric stays above this for the evaluation period. */
  readonly scaleOutThreshold: number;
  /** Scale in when the metric stays below this for the stabilisation window. */
  readonly scaleInThreshold: number;
  /** Instances added per scale-out. */
  readonly scaleOutStep: number;
  /** Instances removed per scale-in. */
  readonly scaleInStep: number;
  /** Minutes the metric must stay above the threshold before scaling out. */
  readonly evaluationMinutes: number;
  /** Minutes after a scale-out before another scale-out. */
  readonly scaleOutCooldownMinutes: number;
  /** Minutes after any scaling before a scale-in. */
  readonly scaleInCooldownMinutes: number;
  /** Minutes the metric must stay below the scale-in threshold before scaling in. */
  readonly stabilisationMinutes: number;
}

/** A campaign's scheduled capacity: the floor is raised before it starts and lowered after it ends. */
export interface ScheduledWindowPlan {
  /** Campaign name (kebab case, used in file names). */
  readonly campaign: string;
  /** When to apply the campaign's count: start minus pre-warm lead minus boot time (UTC). */
  readonly scaleOutAt: Date;
  /** Campaign start (UTC). */
  readonly start: Date;
  /** Campaign end (UTC). */
  readonly end: Date;
  /** When to return to the baseline (UTC), the campaign's end. */
  readonly scaleInAt: Date;
  /** Instances during the window: peak users x (1 + headroom) / users per instance, at least the baseline. */
  readonly count: number;
  /** The campaign's expected peak of concurrent users. */
  readonly peakConcurrentUsers: number;
}

/** Everything about one tier's scaling, compiled. */
export interface TierScalingPlan {
  /** Construct path of the tier. */
  readonly tier: string;
  /** Terraform variable holding the tier's instance count. */
  readonly countVariable: string;
  /** Fewest instances ever. */
  readonly minCount: number;
  /** Instances outside campaigns (the variable's default). */
  readonly baselineCount: number;
  /** Most instances ever (pre-rendered in every balancer and config). */
  readonly maxCount: number;
  /** Capacity of one instance. */
  readonly capacity: CapacityPlan;
  /** Scheduled windows, sorted by scaleOutAt, overlaps already merged (the larger count wins). */
  readonly scheduled: readonly ScheduledWindowPlan[];
  /** Reactive rules. */
  readonly reactive: readonly ReactiveRulePlan[];
  /** Flavor of the instances. */
  readonly flavor: { readonly name: string; readonly eurPerHour?: number };
}

/**
 * Compiled scaling rules attached to a tier: what the Heat, Prometheus/Alertmanager and schedule
 * realisations read. Implemented by the `ScalingRules` construct.
 */
export interface IScalingRules {
  /** The tier being scaled (its cluster has the count variable). */
  readonly tier: IServerTier;
  /** The compiled plan. Read it at synth (after all campaigns were added), not in a constructor. */
  readonly plan: TierScalingPlan;
}
