/**
 * Replays a demand trace against a tier's compiled scaling plan and reports what it would cost and
 * whether it kept up: instance-hours billed, cost, minutes under capacity, peak utilisation, a
 * per-step series for charts and the scaling events.
 */
import { DemandTrace, TraceResolutionMinutes, traceMinutes, traceTime, validateTrace } from './demand-trace';
import { HostingStacksError } from '../core/errors';
import { ReactiveRulePlan, ScalingMetric, TierScalingPlan } from './scaling-model';

/** Why the instance count changed. */
export enum ScalingEventKind {
  /** A scheduled window raised the floor above the running count. */
  SCHEDULED_SCALE_OUT = 'scheduled-scale-out',
  /** A scheduled window ended and the count fell back to the reactive state or the minimum. */
  SCHEDULED_SCALE_IN = 'scheduled-scale-in',
  /** A reactive rule's metric stayed above its scale-out threshold. */
  REACTIVE_SCALE_OUT = 'reactive-scale-out',
  /** Every reactive rule's metric stayed below its scale-in threshold. */
  REACTIVE_SCALE_IN = 'reactive-scale-in',
}

/** One change of the instance count. */
export interface ScalingEvent {
  /** When the change was made (a step boundary). */
  readonly at: Date;
  /** Index of the step that starts at `at`. */
  readonly step: number;
  /** Scheduled or reactive, out or in. */
  readonly kind: ScalingEventKind;
  /** Instances launched before. */
  readonly from: number;
  /** Instances launched after. */
  readonly to: number;
  /** The window or the metric that caused it (`window halloween`, `cpu 0.82 > 0.7 for 3 min`). */
  readonly reason: string;
}

/** Per-step values, column by column (a year at minute resolution is 525,600 steps). */
export interface SimulationSeries {
  /** Start of step 0. */
  readonly start: Date;
  /** Minutes per step. */
  readonly resolutionMinutes: TraceResolutionMinutes;
  /** Concurrent users of each step (the trace). */
  readonly users: readonly number[];
  /** Instances serving at the start of each step, after that boundary's changes (the least of the step). */
  readonly serving: readonly number[];
  /** Instances launched (billed) during each step, booting ones included. */
  readonly launched: readonly number[];
  /** Users the serving instances carry at the start of each step: serving x usersPerInstance. */
  readonly capacity: readonly number[];
  /** Minutes of each step during which the users exceeded the serving instances' capacity. */
  readonly underCapacityMinutes: readonly number[];
}

/** Options of {@link simulate}. */
export interface SimulationOptions {
  /** Price of one instance-hour in EUR. @default plan.flavor.eurPerHour (cost left undefined when neither is known) */
  readonly eurPerHour?: number;
}

/** What a replay found. */
export interface SimulationResult {
  /** The plan replayed. */
  readonly plan: TierScalingPlan;
  /** Steps replayed. */
  readonly steps: number;
  /** Minutes replayed (steps x resolution). */
  readonly minutes: number;
  /** Instance-hours billed: every launched instance from its launch until its removal or the trace's end. */
  readonly instanceHours: number;
  /** Price used for the cost, EUR per instance-hour. */
  readonly eurPerHour?: number;
  /** instanceHours x eurPerHour, when a price is known. */
  readonly costEur?: number;
  /** Minutes during which the users exceeded the serving capacity (serving x usersPerInstance, headroom not counted). */
  readonly minutesUnderCapacity: number;
  /** Highest users / (serving x usersPerInstance) of any step (Infinity if users met no serving instance). */
  readonly peakUtilisation: number;
  /** Highest users of any step. */
  readonly peakUsers: number;
  /** Most instances launched at once. */
  readonly peakInstances: number;
  /** Per-step values for charts. */
  readonly series: SimulationSeries;
  /** Every change of the instance count, in order. */
  readonly events: readonly ScalingEvent[];
}

const MS_PER_MINUTE = 60_000;
// Counts computed as users x (1 + headroom) / usersPerInstance land on integers up to float error
// (3,000 x 1.1 / 300 = 11.000000000000002); this tolerance keeps ceil() from adding an instance.
const CEIL_TOLERANCE = 1e-9;

/** ceil() that ignores floating-point dust above an integer. */
export function ceilCount(x: number): number {
  return Math.ceil(x - CEIL_TOLERANCE);
}

/**
 * Replays `trace` against `plan`, step by step. The semantics, which the unit tests compute by hand:
 *
 * - **Start.** The trace starts with `max(floor, baselineCount)` instances (clamped to
 *   [minCount, maxCount]) already serving. The reactive state `R` starts at `baselineCount`.
 * - **Boundaries.** All changes happen at step boundaries, in this order at the start of step `i`:
 *   1. *Scheduled floor*: the largest `count` of the windows active at that instant
 *      (`scaleOutAt <= t < scaleInAt`), or `minCount` when none is. A window whose times fall inside
 *      a step acts at the first boundary at or after them (replay at minute resolution for exactness).
 *      The count becomes `clamp(max(floor, R), minCount, maxCount)`; a change is a scheduled event.
 *   2. *Reactive rules*, on the steps that have ended (never on the step about to start). Each rule
 *      tracks for how many minutes its metric has been above its scale-out threshold and below its
 *      scale-in threshold, counting each step as its whole length. A rule asks to scale out when the
 *      last step was above and the run has lasted `evaluationMinutes`, and the last reactive
 *      scale-out is at least `scaleOutCooldownMinutes` ago; then `R = min(maxCount, count + step)`
 *      with the largest step asked. Otherwise, when *every* rule's metric has been below its scale-in
 *      threshold for `stabilisationMinutes` (and at least one step) and the last change of any kind is
 *      at least `scaleInCooldownMinutes` ago, `R = max(minCount, count - step)` with the smallest step;
 *      it applies only if the floor lets the count go down.
 * - **Metrics** of a step, from its users `u` and the instances serving at its start `s` (after the
 *   boundary's changes, the least serving during the step): utilisation `u / (s x usersPerInstance)`;
 *   {@link ScalingMetric.CPU} is the utilisation capped at 1; {@link ScalingMetric.SESSIONS_PER_INSTANCE}
 *   is `u / s`; {@link ScalingMetric.REQUESTS_PER_SECOND} is `u x requestsPerUserPerSecond / s`. With
 *   no serving instance and users, every metric is above every threshold.
 * - **Instances.** A launched instance is billed from its launch and serves `bootMinutes` later
 *   (possibly inside a step: the minutes under capacity are counted to the minute within a step). A
 *   removed instance stops serving and billing at once; the newest go first, so booting instances
 *   are removed before serving ones.
 * - **Outputs.** Instance-hours = sum over steps of launched x step minutes / 60; cost =
 *   instance-hours x eurPerHour; minutes under capacity = minutes where `u > serving x
 *   usersPerInstance` (the headroom is a planning margin, not counted); peak utilisation = the highest
 *   `u / (s x usersPerInstance)`.
 *
 * Throws a {@link HostingStacksError} naming the field for a malformed trace or plan.
 */
export function simulate(plan: TierScalingPlan, trace: DemandTrace, options: SimulationOptions = {}): SimulationResult {
  validateTrace(trace, 'simulate');
  validatePlan(plan, 'simulate');
  const eurPerHour = options.eurPerHour ?? plan.flavor.eurPerHour;
  if (eurPerHour !== undefined && (!Number.isFinite(eurPerHour) || eurPerHour < 0)) {
    throw HostingStacksError.ofFactory('simulate', 'eurPerHour', eurPerHour, 'must be a finite number of at least 0');
  }

  const res = trace.resolutionMinutes;
  const n = trace.users.length;
  const startMs = trace.start.getTime();
  const upi = plan.capacity.usersPerInstance;
  const boot = plan.capacity.bootMinutes;
  const rules = plan.reactive;
  const windows = plan.scheduled.map((w) => ({ name: w.campaign, from: w.scaleOutAt.getTime(), to: w.scaleInAt.getTime(), count: w.count }));
  const clamp = (c: number): number => Math.min(plan.maxCount, Math.max(plan.minCount, c));

  const floorAt = (ms: number): { floor: number; window?: string } => {
    let floor = plan.minCount;
    let window: string | undefined;
    for (const w of windows) {
      if (w.from <= ms && ms < w.to && w.count > floor) {
        floor = w.count;
        window = w.name;
      }
    }
    return { floor, window };
  };

  // Ready times (minutes from the trace start) of launched instances, in launch order; with one
  // boot time for all, the newest are at the end and boot last.
  const readyAt: number[] = [];
  let reactiveState = plan.baselineCount;
  const initial = clamp(Math.max(floorAt(startMs).floor, reactiveState));
  for (let k = 0; k < initial; k++) readyAt.push(Number.NEGATIVE_INFINITY);

  const aboveFor = rules.map(() => 0);
  const belowFor = rules.map(() => 0);
  let lastScaleOutAt = Number.NEGATIVE_INFINITY;
  let lastChangeAt = Number.NEGATIVE_INFINITY;
  let lastWindow: string | undefined = floorAt(startMs).window;

  const users = trace.users.slice();
  const serving = new Array<number>(n);
  const launched = new Array<number>(n);
  const capacity = new Array<number>(n);
  const under = new Array<number>(n);
  const events: ScalingEvent[] = [];

  let launchedMinutes = 0;
  let minutesUnderCapacity = 0;
  let peakUtilisation = 0;
  let peakUsers = 0;
  let peakInstances = initial;

  const setCount = (target: number, m: number, i: number, kind: ScalingEventKind, reason: string): void => {
    const from = readyAt.length;
    if (target > from) {
      for (let k = from; k < target; k++) readyAt.push(m + boot);
    } else {
      readyAt.length = target;
    }
    events.push({ at: traceTime(trace, i), step: i, kind, from, to: target, reason });
    lastChangeAt = m;
    if (target > peakInstances) peakInstances = target;
  };

  for (let i = 0; i < n; i++) {
    const m = i * res;
    const ms = startMs + m * MS_PER_MINUTE;

    // 1. Scheduled floor.
    const { floor, window } = floorAt(ms);
    if (i > 0) {
      const scheduled = clamp(Math.max(floor, reactiveState));
      if (scheduled !== readyAt.length) {
        const out = scheduled > readyAt.length;
        setCount(scheduled, m, i, out ? ScalingEventKind.SCHEDULED_SCALE_OUT : ScalingEventKind.SCHEDULED_SCALE_IN,
          out ? `window ${window ?? '-'}` : `window ${lastWindow ?? '-'} ended`);
      }
    }
    lastWindow = window;

    // 2. Reactive rules, on the steps that have ended.
    if (i > 0 && rules.length > 0) {
      const count = readyAt.length;
      let outStep = 0;
      let outReason = '';
      rules.forEach((r, k) => {
        if (aboveFor[k] > 0 && aboveFor[k] >= r.evaluationMinutes && m - lastScaleOutAt >= r.scaleOutCooldownMinutes && r.scaleOutStep > outStep) {
          outStep = r.scaleOutStep;
          outReason = `${r.metric} > ${r.scaleOutThreshold} for ${aboveFor[k]} min`;
        }
      });
      const target = Math.min(plan.maxCount, count + outStep);
      if (outStep > 0 && target > count) {
        reactiveState = target;
        lastScaleOutAt = m;
        setCount(target, m, i, ScalingEventKind.REACTIVE_SCALE_OUT, outReason);
      } else if (outStep === 0 && rules.every((r, k) => belowFor[k] > 0 && belowFor[k] >= r.stabilisationMinutes && m - lastChangeAt >= r.scaleInCooldownMinutes)) {
        const inStep = Math.min(...rules.map((r) => r.scaleInStep));
        const wanted = Math.max(plan.minCount, count - inStep);
        const next = clamp(Math.max(floor, wanted));
        if (next < count) {
          reactiveState = wanted;
          setCount(next, m, i, ScalingEventKind.REACTIVE_SCALE_IN, rules.map((r, k) => `${r.metric} < ${r.scaleInThreshold} for ${belowFor[k]} min`).join(', '));
        }
      }
    }

    // 3. The step: serving at its start, minutes under capacity to the minute, billing.
    const u = users[i];
    let s = 0;
    const laterReady: number[] = [];
    for (const r of readyAt) {
      if (r <= m) s++;
      else if (r < m + res) laterReady.push(r);
    }
    let underHere = 0;
    let t = m;
    let sNow = s;
    for (const r of laterReady) {
      if (u > sNow * upi) underHere += r - t;
      t = r;
      sNow++;
    }
    if (u > sNow * upi) underHere += m + res - t;

    serving[i] = s;
    launched[i] = readyAt.length;
    capacity[i] = s * upi;
    under[i] = underHere;
    minutesUnderCapacity += underHere;
    launchedMinutes += readyAt.length * res;
    if (u > peakUsers) peakUsers = u;
    const utilisation = s > 0 ? u / (s * upi) : u > 0 ? Number.POSITIVE_INFINITY : 0;
    if (utilisation > peakUtilisation) peakUtilisation = utilisation;

    // 4. Observe the step for the rules.
    rules.forEach((r, k) => {
      const v = metricValue(r.metric, u, s, plan);
      aboveFor[k] = v > r.scaleOutThreshold ? aboveFor[k] + res : 0;
      belowFor[k] = v < r.scaleInThreshold ? belowFor[k] + res : 0;
    });
  }

  const instanceHours = launchedMinutes / 60;
  return {
    plan,
    steps: n,
    minutes: traceMinutes(trace),
    instanceHours,
    eurPerHour,
    costEur: eurPerHour === undefined ? undefined : instanceHours * eurPerHour,
    minutesUnderCapacity,
    peakUtilisation,
    peakUsers,
    peakInstances,
    series: { start: trace.start, resolutionMinutes: res, users, serving, launched, capacity, underCapacityMinutes: under },
    events,
  };
}

/** The value of `metric` for `users` on `serving` instances of `plan`'s tier (see {@link simulate}). */
export function metricValue(metric: ScalingMetric, users: number, serving: number, plan: Pick<TierScalingPlan, 'capacity'>): number {
  if (serving === 0) return users > 0 ? Number.POSITIVE_INFINITY : 0;
  switch (metric) {
    case ScalingMetric.CPU:
      return Math.min(1, users / (serving * plan.capacity.usersPerInstance));
    case ScalingMetric.SESSIONS_PER_INSTANCE:
      return users / serving;
    case ScalingMetric.REQUESTS_PER_SECOND:
      return (users * plan.capacity.requestsPerUserPerSecond) / serving;
  }
}

/**
 * The comparison baseline: the same tier provisioned for the trace's peak all the time, i.e.
 * `ceil(max users x (1 + headroom) / usersPerInstance)` instances (at least `minCount` and 1), with
 * no windows and no rules.
 */
export function staticPlanForPeak(plan: TierScalingPlan, trace: DemandTrace): TierScalingPlan {
  validateTrace(trace, 'staticPlanForPeak');
  validatePlan(plan, 'staticPlanForPeak');
  let peak = 0;
  for (const u of trace.users) if (u > peak) peak = u;
  const count = Math.max(1, plan.minCount, ceilCount((peak * (1 + plan.capacity.headroom)) / plan.capacity.usersPerInstance));
  return { ...plan, minCount: count, baselineCount: count, maxCount: count, scheduled: [], reactive: [] };
}

/**
 * Throws a {@link HostingStacksError} naming `who` (the function checking) and the field unless
 * `plan` can be replayed: counts are integers with minCount <= baselineCount <= maxCount, capacity
 * figures are positive, windows end after they start and ask for at most maxCount, rules have
 * scaleInThreshold < scaleOutThreshold, whole steps and non-negative minutes.
 */
export function validatePlan(plan: TierScalingPlan, who: string): void {
  const fail = (prop: string, value: unknown, rule: string): never => {
    throw HostingStacksError.ofFactory(who, `plan.${prop}`, value, rule);
  };
  if (!Number.isInteger(plan.minCount) || plan.minCount < 0) fail('minCount', plan.minCount, 'must be an integer of at least 0');
  if (!Number.isInteger(plan.maxCount) || plan.maxCount < Math.max(1, plan.minCount)) {
    fail('maxCount', plan.maxCount, `must be an integer of at least 1 and at least 'minCount' (${plan.minCount})`);
  }
  if (!Number.isInteger(plan.baselineCount) || plan.baselineCount < plan.minCount || plan.baselineCount > plan.maxCount) {
    fail('baselineCount', plan.baselineCount, `must be an integer from 'minCount' (${plan.minCount}) to 'maxCount' (${plan.maxCount})`);
  }
  const c = plan.capacity;
  for (const [prop, v] of [['usersPerInstance', c.usersPerInstance], ['requestsPerUserPerSecond', c.requestsPerUserPerSecond]] as const) {
    if (!Number.isFinite(v) || v <= 0) fail(`capacity.${prop}`, v, 'must be a number greater than 0');
  }
  for (const [prop, v] of [['headroom', c.headroom], ['bootMinutes', c.bootMinutes]] as const) {
    if (!Number.isFinite(v) || v < 0) fail(`capacity.${prop}`, v, 'must be a finite number of at least 0');
  }
  plan.scheduled.forEach((w, i) => {
    const from = w.scaleOutAt.getTime();
    const to = w.scaleInAt.getTime();
    if (Number.isNaN(from)) fail(`scheduled[${i}].scaleOutAt`, 'Invalid Date', 'must be a valid Date');
    if (Number.isNaN(to) || to <= from) {
      fail(`scheduled[${i}].scaleInAt`, Number.isNaN(to) ? 'Invalid Date' : w.scaleInAt.toISOString(), `must be a valid Date after 'scaleOutAt' (${w.scaleOutAt.toISOString()})`);
    }
    if (!Number.isInteger(w.count) || w.count < 0 || w.count > plan.maxCount) {
      fail(`scheduled[${i}].count`, w.count, `must be an integer from 0 to 'maxCount' (${plan.maxCount})`);
    }
  });
  plan.reactive.forEach((r, i) => validateRule(r, i, fail));
}

function validateRule(r: ReactiveRulePlan, i: number, fail: (prop: string, value: unknown, rule: string) => never): void {
  const p = `reactive[${i}]`;
  if (!Object.values(ScalingMetric).includes(r.metric)) fail(`${p}.metric`, r.metric, `must be one of ${Object.values(ScalingMetric).join(', ')}`);
  if (!Number.isFinite(r.scaleOutThreshold) || r.scaleOutThreshold <= 0) fail(`${p}.scaleOutThreshold`, r.scaleOutThreshold, 'must be a number greater than 0');
  if (r.metric === ScalingMetric.CPU && r.scaleOutThreshold >= 1) fail(`${p}.scaleOutThreshold`, r.scaleOutThreshold, 'must be below 1 for the cpu metric (a fraction, capped at 1)');
  if (!Number.isFinite(r.scaleInThreshold) || r.scaleInThreshold < 0 || r.scaleInThreshold >= r.scaleOutThreshold) {
    fail(`${p}.scaleInThreshold`, r.scaleInThreshold, `must be at least 0 and below 'scaleOutThreshold' (${r.scaleOutThreshold})`);
  }
  for (const prop of ['scaleOutStep', 'scaleInStep'] as const) {
    if (!Number.isInteger(r[prop]) || r[prop] < 1) fail(`${p}.${prop}`, r[prop], 'must be an integer of at least 1');
  }
  for (const prop of ['evaluationMinutes', 'scaleOutCooldownMinutes', 'scaleInCooldownMinutes', 'stabilisationMinutes'] as const) {
    if (!Number.isFinite(r[prop]) || r[prop] < 0) fail(`${p}.${prop}`, r[prop], 'must be a finite number of at least 0');
  }
}
