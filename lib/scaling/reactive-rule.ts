import { IConstruct } from 'constructs';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { CapacityPlan, ReactiveRulePlan, ScalingMetric } from './scaling-model';
import { brand, hasBrand, requireFactoryOptions } from '../core/peers';

/**
 * Scale out when the tier runs above 80 % of its capacity: just under the 83 % that the default 20 %
 * headroom plans for (1 / 1.2), so the rule acts before the margin is spent, yet does not add
 * instances inside a campaign window that already holds the planned headroom (at 70 % it would).
 * Checked on the reference year with the simulator (`npm run bench:scaling`).
 */
export const DEFAULT_SCALE_OUT_UTILISATION = 0.8;
/** Scale in below 35 %: removing one of three instances at 35 % leaves two at 53 %, well below 80 %. */
export const DEFAULT_SCALE_IN_UTILISATION = 0.35;
/** Minutes the metric must stay above the scale-out threshold: long enough to ignore a burst. */
export const DEFAULT_EVALUATION_MINUTES = 3;
/** Minutes after any scaling before a scale-in. */
export const DEFAULT_SCALE_IN_COOLDOWN_MINUTES = 30;
/** Minutes the metric must stay below the scale-in threshold: half an hour of calm. */
export const DEFAULT_STABILISATION_MINUTES = 30;

/** Options of the {@link ReactiveRule} factories; thresholds are in the metric's unit. */
export interface ReactiveRuleOptions {
  /**
   * Scale out when the metric stays above this. @default - 80 % of one instance's capacity: 0.8 for
   * CPU, 0.8 x usersPerInstance sessions, 0.8 x usersPerInstance x requestsPerUserPerSecond requests/s
   */
  readonly scaleOutAbove?: number;
  /** Scale in when the metric stays below this. @default - 35 % of one instance's capacity, in the metric's unit */
  readonly scaleInBelow?: number;
  /** Instances added per scale-out. @default 1 */
  readonly scaleOutStep?: number;
  /** Instances removed per scale-in. @default 1 */
  readonly scaleInStep?: number;
  /** Minutes above the threshold before scaling out. @default DEFAULT_EVALUATION_MINUTES (3) */
  readonly evaluationMinutes?: number;
  /**
   * Minutes after a scale-out before another. @default - the capacity's bootMinutes plus the evaluation
   * minutes: the rule must see the new instance serving before it adds another (with the boot time
   * alone it adds a second one on the stale minutes measured while the first booted)
   */
  readonly scaleOutCooldownMinutes?: number;
  /** Minutes after any scaling before a scale-in. @default DEFAULT_SCALE_IN_COOLDOWN_MINUTES (30) */
  readonly scaleInCooldownMinutes?: number;
  /** Minutes below the scale-in threshold before scaling in. @default DEFAULT_STABILISATION_MINUTES (30) */
  readonly stabilisationMinutes?: number;
}

const REACTIVE_RULE_OPTIONS: readonly (keyof ReactiveRuleOptions)[] = ['scaleOutAbove', 'scaleInBelow', 'scaleOutStep', 'scaleInStep', 'evaluationMinutes', 'scaleOutCooldownMinutes', 'scaleInCooldownMinutes', 'stabilisationMinutes'];

/**
 * A reactive rule of a tier's scaling: a metric, scale-out and scale-in thresholds, steps, cooldowns
 * and a stabilisation window. Resolved (defaults from the tier's capacity, checks) by the scaling
 * rules it is given to.
 */
export class ReactiveRule {
  /** True when `x` is a {@link ReactiveRule} (a `Symbol.for` brand: look-alike objects are not). */
  public static isReactiveRule(x: unknown): x is ReactiveRule {
    return hasBrand(x, 'ReactiveRule');
  }

  /** Average CPU utilisation of the tier, a fraction from 0 to 1. */
  public static cpu(options: ReactiveRuleOptions = {}): ReactiveRule {
    return new ReactiveRule(ScalingMetric.CPU, requireFactoryOptions<ReactiveRuleOptions>('ReactiveRule.cpu', options, REACTIVE_RULE_OPTIONS));
  }

  /** HTTP requests per second per instance. */
  public static requestsPerSecond(options: ReactiveRuleOptions = {}): ReactiveRule {
    return new ReactiveRule(ScalingMetric.REQUESTS_PER_SECOND, requireFactoryOptions<ReactiveRuleOptions>('ReactiveRule.requestsPerSecond', options, REACTIVE_RULE_OPTIONS));
  }

  /** Concurrent user sessions per instance. */
  public static sessionsPerInstance(options: ReactiveRuleOptions = {}): ReactiveRule {
    return new ReactiveRule(ScalingMetric.SESSIONS_PER_INSTANCE, requireFactoryOptions<ReactiveRuleOptions>('ReactiveRule.sessionsPerInstance', options, REACTIVE_RULE_OPTIONS));
  }

  private constructor(
    /** The metric watched. */
    public readonly metric: ScalingMetric,
    private readonly options: ReactiveRuleOptions,
  ) {
    brand(this, 'ReactiveRule');
  }

  /**
   * The rule as plain data, defaults taken from `capacity`. Throws a {@link HostingStacksError}
   * naming `scope` and `prop` (e.g. `reactive[0]`) when a threshold, step or duration is out of range.
   */
  public resolve(scope: IConstruct, prop: string, capacity: CapacityPlan): ReactiveRulePlan {
    const o = this.options;
    const unit = this.metric === ScalingMetric.CPU ? 1
      : this.metric === ScalingMetric.SESSIONS_PER_INSTANCE ? capacity.usersPerInstance
        : capacity.usersPerInstance * capacity.requestsPerUserPerSecond;
    const out = o.scaleOutAbove ?? DEFAULT_SCALE_OUT_UTILISATION * unit;
    const inBelow = o.scaleInBelow ?? DEFAULT_SCALE_IN_UTILISATION * unit;
    if (!Number.isFinite(out) || out <= 0) throw new HostingStacksError(scope, `${prop}.scaleOutAbove`, out, 'must be a number greater than 0');
    if (this.metric === ScalingMetric.CPU && out >= 1) {
      throw new HostingStacksError(scope, `${prop}.scaleOutAbove`, out, 'must be below 1: CPU is a fraction (0.7 = 70 %), and at 100 % the instances are already saturated');
    }
    if (!Number.isFinite(inBelow) || inBelow < 0 || inBelow >= out) {
      throw new HostingStacksError(scope, `${prop}.scaleInBelow`, inBelow, `must be at least 0 and below 'scaleOutAbove' (${out}), or the tier would scale out and in at once`);
    }
    const plan: ReactiveRulePlan = {
      metric: this.metric,
      scaleOutThreshold: out,
      scaleInThreshold: inBelow,
      scaleOutStep: o.scaleOutStep ?? 1,
      scaleInStep: o.scaleInStep ?? 1,
      evaluationMinutes: o.evaluationMinutes ?? DEFAULT_EVALUATION_MINUTES,
      scaleOutCooldownMinutes: o.scaleOutCooldownMinutes ?? capacity.bootMinutes + (o.evaluationMinutes ?? DEFAULT_EVALUATION_MINUTES),
      scaleInCooldownMinutes: o.scaleInCooldownMinutes ?? DEFAULT_SCALE_IN_COOLDOWN_MINUTES,
      stabilisationMinutes: o.stabilisationMinutes ?? DEFAULT_STABILISATION_MINUTES,
    };
    requireIntegerInRange(scope, `${prop}.scaleOutStep`, plan.scaleOutStep, 1, 100);
    requireIntegerInRange(scope, `${prop}.scaleInStep`, plan.scaleInStep, 1, 100);
    for (const key of ['evaluationMinutes', 'scaleOutCooldownMinutes', 'scaleInCooldownMinutes', 'stabilisationMinutes'] as const) {
      requireIntegerInRange(scope, `${prop}.${key}`, plan[key], 0, 24 * 60);
    }
    return plan;
  }
}
