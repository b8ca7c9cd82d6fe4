import { HostingStacksError } from '../../lib/core/errors';
import { DemandTrace, TraceResolutionMinutes } from '../../lib/scaling/demand-trace';
import { ReactiveRulePlan, ScalingMetric, ScheduledWindowPlan, TierScalingPlan } from '../../lib/scaling/scaling-model';
import { ScalingEventKind, ceilCount, metricValue, simulate, staticPlanForPeak } from '../../lib/scaling/simulator';

// Small plans whose replays are computed by hand in each test: 100 users per instance, 2 min boot.
const START = new Date('2027-01-01T00:00:00Z');

function plan(over: Partial<TierScalingPlan> = {}): TierScalingPlan {
  return {
    tier: 'Test/Web',
    countVariable: 'web_count',
    minCount: 1,
    baselineCount: 1,
    maxCount: 4,
    capacity: { usersPerInstance: 100, headroom: 0.2, bootMinutes: 2, requestsPerUserPerSecond: 0.5 },
    scheduled: [],
    reactive: [],
    flavor: { name: 'b3-8', eurPerHour: 0.05 },
    ...over,
  };
}

function capacity(over: Partial<TierScalingPlan['capacity']>): TierScalingPlan['capacity'] {
  return { usersPerInstance: 100, headroom: 0.2, bootMinutes: 2, requestsPerUserPerSecond: 0.5, ...over };
}

function rule(over: Partial<ReactiveRulePlan> = {}): ReactiveRulePlan {
  return {
    metric: ScalingMetric.SESSIONS_PER_INSTANCE,
    scaleOutThreshold: 80,
    scaleInThreshold: 30,
    scaleOutStep: 1,
    scaleInStep: 1,
    evaluationMinutes: 1,
    scaleOutCooldownMinutes: 0,
    scaleInCooldownMinutes: 0,
    stabilisationMinutes: 1,
    ...over,
  };
}

function trace(users: number[], resolutionMinutes: TraceResolutionMinutes = 1): DemandTrace {
  return { resolutionMinutes, start: START, users };
}

function window(campaign: string, fromMinute: number, toMinute: number, count: number): ScheduledWindowPlan {
  const at = (m: number): Date => new Date(START.getTime() + m * 60_000);
  return { campaign, scaleOutAt: at(fromMinute), start: at(fromMinute), end: at(toMinute), scaleInAt: at(toMinute), count, peakConcurrentUsers: count * 100 };
}

describe('simulate: a fixed count', () => {
  test('bills every instance for every step and counts the minutes the users exceed the capacity', () => {
    // given one instance of 100 users and a minute of 150 users between two of 50
    // when replayed
    const r = simulate(plan(), trace([50, 150, 50]));
    // then 3 instance-minutes are billed, 1 minute is under capacity, the peak utilisation is 150 %
    expect(r.instanceHours).toBeCloseTo(3 / 60, 10);
    expect(r.costEur).toBeCloseTo((3 / 60) * 0.05, 10);
    expect(r.minutesUnderCapacity).toBe(1);
    expect(r.peakUtilisation).toBeCloseTo(1.5, 10);
    expect(r.series.serving).toEqual([1, 1, 1]);
    expect(r.series.capacity).toEqual([100, 100, 100]);
    expect(r.series.underCapacityMinutes).toEqual([0, 1, 0]);
    expect(r.events).toEqual([]);
  });

  test('uses the price given in the options, and leaves the cost undefined without a price', () => {
    // given a plan without a price
    const unpriced = plan({ flavor: { name: 'custom' } });
    // when replayed with and without a price
    // then the cost follows the option, or is undefined
    expect(simulate(unpriced, trace([0, 0, 0, 0, 0, 0]), { eurPerHour: 1.2 }).costEur).toBeCloseTo(0.12, 10);
    expect(simulate(unpriced, trace([0])).costEur).toBeUndefined();
  });
});

describe('simulate: reactive scale-out', () => {
  test('a new instance is billed from its launch and serves after the boot time', () => {
    // given 150 users on one instance, a rule adding one instance after 1 min above 80 sessions, 2 min boot
    const p = plan({ reactive: [rule({ scaleOutCooldownMinutes: 100 })] });
    // when replayed for 5 minutes
    const r = simulate(p, trace([150, 150, 150, 150, 150]));
    // then the rule fires at the start of minute 1 (minute 0 ended above), the instance serves from minute 3
    expect(r.events).toEqual([
      { at: new Date('2027-01-01T00:01:00Z'), step: 1, kind: ScalingEventKind.REACTIVE_SCALE_OUT, from: 1, to: 2, reason: 'sessions-per-instance > 80 for 1 min' },
    ]);
    expect(r.series.launched).toEqual([1, 2, 2, 2, 2]);
    expect(r.series.serving).toEqual([1, 1, 1, 2, 2]);
    // and minutes 0, 1, 2 are under capacity; 9 instance-minutes are billed
    expect(r.minutesUnderCapacity).toBe(3);
    expect(r.instanceHours).toBeCloseTo(9 / 60, 10);
  });

  test('waits for the evaluation period', () => {
    // given a rule that needs 3 minutes above the threshold
    const p = plan({ reactive: [rule({ evaluationMinutes: 3, scaleOutCooldownMinutes: 100 })] });
    // when the users stay above for minutes 0..4
    const r = simulate(p, trace([90, 90, 90, 90, 90]));
    // then it fires at the start of minute 3, after minutes 0, 1 and 2 were above
    expect(r.events.map((e) => e.step)).toEqual([3]);
  });

  test('with zero evaluation and stabilisation minutes, still needs the last step beyond a threshold', () => {
    // given 2 instances and 100 users: 50 sessions each, neither above 80 nor below 30
    const p = plan({ baselineCount: 2, reactive: [rule({ evaluationMinutes: 0, stabilisationMinutes: 0 })] });
    // when replayed
    const r = simulate(p, trace([100, 100, 100, 100]));
    // then nothing happens
    expect(r.events).toEqual([]);
  });

  test('counts the minutes under capacity to the minute inside an hourly step', () => {
    // given hourly steps, 10 min boot, a rule with a 60 min evaluation and at most 2 instances
    const p = plan({ maxCount: 2, capacity: capacity({ bootMinutes: 10 }), reactive: [rule({ evaluationMinutes: 60 })] });
    // when 150 users stay for three hours
    const r = simulate(p, trace([150, 150, 150], 60));
    // then hour 0 is under capacity for 60 min, hour 1 for the 10 min of the boot, hour 2 not at all
    expect(r.series.underCapacityMinutes).toEqual([60, 10, 0]);
    expect(r.minutesUnderCapacity).toBe(70);
    // and the second instance is billed from the start of hour 1: 1 + 2 + 2 instance-hours
    expect(r.instanceHours).toBe(5);
    expect(r.series.serving).toEqual([1, 1, 2]);
  });

  test('respects the scale-out cooldown', () => {
    // given 200 users, no boot time, a rule with a 3 min cooldown
    const p = plan({ maxCount: 10, capacity: capacity({ bootMinutes: 0 }), reactive: [rule({ scaleOutCooldownMinutes: 3 })] });
    // when replayed for 7 minutes
    const r = simulate(p, trace([200, 200, 200, 200, 200, 200, 200]));
    // then it adds one at minute 1 (200/2 = 100 still above 80) and the next only at minute 4 (1 + 3)
    expect(r.events.map((e) => [e.step, e.from, e.to])).toEqual([[1, 1, 2], [4, 2, 3]]);
    expect(r.series.launched).toEqual([1, 2, 2, 2, 3, 3, 3]);
  });

  test('clamps to maxCount', () => {
    // given a rule adding 5 instances at a time and at most 2
    const p = plan({ maxCount: 2, capacity: capacity({ bootMinutes: 0 }), reactive: [rule({ scaleOutStep: 5 })] });
    // when 1,000 users arrive
    const r = simulate(p, trace([1000, 1000, 1000, 1000]));
    // then it goes to 2 once and no further
    expect(r.events.map((e) => [e.from, e.to])).toEqual([[1, 2]]);
    expect(r.peakInstances).toBe(2);
    expect(r.minutesUnderCapacity).toBe(4);
  });
});

describe('simulate: reactive scale-in', () => {
  test('waits for the stabilisation window, then removes one instance per scale-in', () => {
    // given 3 instances, 50 users (17 sessions each, below 30), a rule with a 3 min stabilisation
    const p = plan({ baselineCount: 3, reactive: [rule({ stabilisationMinutes: 3 })] });
    // when replayed for 7 minutes
    const r = simulate(p, trace([50, 50, 50, 50, 50, 50, 50]));
    // then minutes 0..2 are below: 3 -> 2 at minute 3; 25 sessions still below: 2 -> 1 at minute 4; 50 is not below
    expect(r.events.map((e) => [e.step, e.kind, e.from, e.to])).toEqual([
      [3, ScalingEventKind.REACTIVE_SCALE_IN, 3, 2],
      [4, ScalingEventKind.REACTIVE_SCALE_IN, 2, 1],
    ]);
    // and removed instances stop billing at once: 3 + 3 + 3 + 2 + 1 + 1 + 1 instance-minutes
    expect(r.instanceHours).toBeCloseTo(14 / 60, 10);
  });

  test('respects the scale-in cooldown after any change', () => {
    // given the same with a 2 min scale-in cooldown
    const p = plan({ baselineCount: 3, reactive: [rule({ stabilisationMinutes: 3, scaleInCooldownMinutes: 2 })] });
    // when replayed
    const r = simulate(p, trace([50, 50, 50, 50, 50, 50, 50]));
    // then the second scale-in waits until minute 5 (3 + 2)
    expect(r.events.map((e) => e.step)).toEqual([3, 5]);
  });

  test('clamps to minCount', () => {
    // given 3 instances, a rule removing 5 at a time, at least 2
    const p = plan({ minCount: 2, baselineCount: 3, reactive: [rule({ scaleInStep: 5 })] });
    // when no one is there
    const r = simulate(p, trace([0, 0, 0, 0]));
    // then it goes to 2 and stays
    expect(r.events.map((e) => [e.from, e.to])).toEqual([[3, 2]]);
    expect(r.series.launched).toEqual([3, 2, 2, 2]);
  });

  test('removes booting instances first', () => {
    // given one instance booting for 5 minutes when the users leave
    const p = plan({ capacity: capacity({ bootMinutes: 5 }), reactive: [rule({ stabilisationMinutes: 1, scaleInCooldownMinutes: 0 })] });
    // when 150 users for a minute launch a second instance, then no one comes
    const r = simulate(p, trace([150, 0, 0, 0]));
    // then the booting instance is removed at minute 2 and the serving one is never interrupted
    expect(r.events.map((e) => [e.step, e.kind])).toEqual([[1, ScalingEventKind.REACTIVE_SCALE_OUT], [2, ScalingEventKind.REACTIVE_SCALE_IN]]);
    expect(r.series.serving).toEqual([1, 1, 1, 1]);
  });

  test('scales in only when every rule agrees, out when any rule asks', () => {
    // given 3 instances and 50 users: 16.7 sessions (below 30) but 8.3 requests per second each (above 5)
    const sessions = rule({ stabilisationMinutes: 1 });
    const rps = rule({ metric: ScalingMetric.REQUESTS_PER_SECOND, scaleOutThreshold: 40, scaleInThreshold: 5, stabilisationMinutes: 1 });
    // when replayed with both rules, then with a requests threshold of 10
    const both = simulate(plan({ baselineCount: 3, reactive: [sessions, rps] }), trace([50, 50, 50]));
    const agreeing = simulate(plan({ baselineCount: 3, reactive: [sessions, { ...rps, scaleInThreshold: 10 }] }), trace([50, 50, 50]));
    // then the first never scales in, the second does
    expect(both.events).toEqual([]);
    expect(agreeing.events.map((e) => [e.step, e.from, e.to])).toEqual([[1, 3, 2]]);
    // and a single rule above (requests 150 x 0.5 = 75 > 40, sessions 150 < 200) scales out
    const out = simulate(plan({ reactive: [rule({ scaleOutThreshold: 200, scaleInThreshold: 1 }), rps] }), trace([150, 150]));
    expect(out.events.map((e) => e.kind)).toEqual([ScalingEventKind.REACTIVE_SCALE_OUT]);
  });
});

describe('simulate: scheduled windows', () => {
  test('raise the floor from scaleOutAt and return to the reactive state at scaleInAt', () => {
    // given a window of 3 instances from minute 2 to minute 5, 2 min boot
    const p = plan({ scheduled: [window('launch', 2, 5, 3)] });
    // when replayed over 8 idle minutes
    const r = simulate(p, trace([0, 0, 0, 0, 0, 0, 0, 0]));
    // then 3 are launched at minute 2 and serve from minute 4; at minute 5 the count returns to 1
    expect(r.series.launched).toEqual([1, 1, 3, 3, 3, 1, 1, 1]);
    expect(r.series.serving).toEqual([1, 1, 1, 1, 3, 1, 1, 1]);
    expect(r.events.map((e) => [e.step, e.kind, e.from, e.to, e.reason])).toEqual([
      [2, ScalingEventKind.SCHEDULED_SCALE_OUT, 1, 3, 'window launch'],
      [5, ScalingEventKind.SCHEDULED_SCALE_IN, 3, 1, 'window launch ended'],
    ]);
    expect(r.instanceHours).toBeCloseTo(14 / 60, 10);
  });

  test('act at the first step boundary at or after their time', () => {
    // given hourly steps and a window from 00:30 to 02:30
    const p = plan({ scheduled: [window('w', 30, 150, 2)] });
    // when replayed over 4 hours
    const r = simulate(p, trace([0, 0, 0, 0], 60));
    // then it applies from 01:00 to 03:00
    expect(r.series.launched).toEqual([1, 2, 2, 1]);
  });

  test('start the trace already at the window count', () => {
    // given a window active at the trace's start
    const r = simulate(plan({ scheduled: [window('w', 0, 2, 3)] }), trace([0, 0, 0]));
    // then its instances are serving from step 0
    expect(r.series.serving).toEqual([3, 3, 1]);
  });

  test('keep reactive scale-in from going below the window count', () => {
    // given a window of 3 over the whole trace and a rule that wants to scale in
    const p = plan({ scheduled: [window('w', 0, 4, 3)], reactive: [rule()] });
    // when no one comes for 5 minutes
    const r = simulate(p, trace([0, 0, 0, 0, 0]));
    // then the count stays 3 until the window ends, then returns to the baseline of 1
    expect(r.series.launched).toEqual([3, 3, 3, 3, 1]);
    expect(r.events.map((e) => e.kind)).toEqual([ScalingEventKind.SCHEDULED_SCALE_IN]);
  });

  test('let reactive scale-out add on top of the window', () => {
    // given a window of 2 and 250 users (125 each, above 80), no boot time
    const p = plan({ scheduled: [window('w', 0, 10, 2)], capacity: capacity({ bootMinutes: 0 }), reactive: [rule()] });
    // when replayed
    const r = simulate(p, trace([250, 250, 250]));
    // then the rule adds a third instance at minute 1 (83 each, still above) and a fourth at minute 2
    expect(r.series.launched).toEqual([2, 3, 4]);
  });
});

describe('metricValue', () => {
  const p = plan();
  test.each([
    [ScalingMetric.CPU, 50, 1, 0.5],
    [ScalingMetric.CPU, 150, 1, 1],
    [ScalingMetric.SESSIONS_PER_INSTANCE, 150, 2, 75],
    [ScalingMetric.REQUESTS_PER_SECOND, 100, 2, 25],
    [ScalingMetric.CPU, 10, 0, Number.POSITIVE_INFINITY],
    [ScalingMetric.SESSIONS_PER_INSTANCE, 0, 0, 0],
  ])('%s of %d users on %d instances is %d', (metric, users, serving, expected) => {
    // given / when / then
    expect(metricValue(metric, users, serving, p)).toBe(expected);
  });
});

describe('staticPlanForPeak', () => {
  test('provisions ceil(peak x (1 + headroom) / usersPerInstance) all the time', () => {
    // given a peak of 450 users, 20 % headroom, 100 users per instance
    const s = staticPlanForPeak(plan({ scheduled: [window('w', 0, 1, 2)], reactive: [rule()] }), trace([10, 450, 20]));
    // then 540 users need 6 instances, fixed, with no window and no rule
    expect([s.minCount, s.baselineCount, s.maxCount]).toEqual([6, 6, 6]);
    expect(s.scheduled).toEqual([]);
    expect(s.reactive).toEqual([]);
    expect(simulate(s, trace([10, 450, 20])).instanceHours).toBeCloseTo(18 / 60, 10);
  });

  test('ignores floating-point dust (3,000 x 1.1 / 300 is 11, not 12)', () => {
    // given a peak whose count lands on an integer up to float error
    expect((3000 * (1 + 0.1)) / 300).toBeGreaterThan(11);
    // when / then
    expect(ceilCount((3000 * (1 + 0.1)) / 300)).toBe(11);
    expect(ceilCount(11.2)).toBe(12);
    expect(staticPlanForPeak(plan({ capacity: capacity({ usersPerInstance: 300, headroom: 0.1 }) }), trace([3000])).maxCount).toBe(11);
  });
});

describe('simulate: errors', () => {
  test.each([
    [trace([1], 5 as TraceResolutionMinutes), /'trace.resolutionMinutes' \(5\) must be 1 or 60/],
    [trace([]), /'trace.users' \(\[\]\) must hold at least one step/],
    [trace([1, -2]), /'trace.users\[1\]' \(-2\) must be a finite number of at least 0/],
    [{ resolutionMinutes: 1, start: new Date('nonsense'), users: [1] } as DemandTrace, /^simulate: 'trace.start' \('Invalid Date'\) must be a valid Date$/],
  ])('rejects a malformed trace (%#)', (t, message) => {
    expect(() => simulate(plan(), t)).toThrow(message);
    expect(() => simulate(plan(), t)).toThrow(HostingStacksError);
  });

  test.each([
    [{ minCount: -1 }, /'plan.minCount' \(-1\) must be an integer of at least 0/],
    [{ minCount: 3, baselineCount: 3, maxCount: 2 }, /'plan.maxCount' \(2\) must be an integer of at least 1 and at least 'minCount' \(3\)/],
    [{ baselineCount: 5 }, /'plan.baselineCount' \(5\) must be an integer from 'minCount' \(1\) to 'maxCount' \(4\)/],
    [{ capacity: capacity({ usersPerInstance: 0 }) }, /'plan.capacity.usersPerInstance' \(0\) must be a number greater than 0/],
    [{ capacity: capacity({ bootMinutes: -1 }) }, /'plan.capacity.bootMinutes' \(-1\) must be a finite number of at least 0/],
    [{ scheduled: [window('w', 0, 2, 5)] }, /'plan.scheduled\[0\].count' \(5\) must be an integer from 0 to 'maxCount' \(4\)/],
    [{ scheduled: [window('w', 3, 3, 2)] }, /'plan.scheduled\[0\].scaleInAt' \('2027-01-01T00:03:00.000Z'\) must be a valid Date after 'scaleOutAt'/],
    [{ reactive: [rule({ scaleInThreshold: 90 })] }, /'plan.reactive\[0\].scaleInThreshold' \(90\) must be at least 0 and below 'scaleOutThreshold' \(80\)/],
    [{ reactive: [rule({ metric: ScalingMetric.CPU, scaleOutThreshold: 1, scaleInThreshold: 0.2 })] }, /'plan.reactive\[0\].scaleOutThreshold' \(1\) must be below 1 for the cpu metric/],
    [{ reactive: [rule({ scaleOutThreshold: 0 })] }, /'plan.reactive\[0\].scaleOutThreshold' \(0\) must be a number greater than 0/],
    [{ reactive: [rule({ scaleOutStep: 0 })] }, /'plan.reactive\[0\].scaleOutStep' \(0\) must be an integer of at least 1/],
    [{ reactive: [rule({ stabilisationMinutes: -5 })] }, /'plan.reactive\[0\].stabilisationMinutes' \(-5\) must be a finite number of at least 0/],
    [{ reactive: [rule({ metric: 'memory' as ScalingMetric })] }, /'plan.reactive\[0\].metric' \('memory'\) must be one of cpu, requests-per-second, sessions-per-instance/],
  ])('rejects a malformed plan (%#)', (over, message) => {
    expect(() => simulate(plan(over as Partial<TierScalingPlan>), trace([1]))).toThrow(message);
    expect(() => simulate(plan(over as Partial<TierScalingPlan>), trace([1]))).toThrow(HostingStacksError);
  });

  test('rejects a negative price', () => {
    expect(() => simulate(plan(), trace([1]), { eurPerHour: -1 })).toThrow(HostingStacksError);
    expect(() => simulate(plan(), trace([1]), { eurPerHour: -1 })).toThrow("simulate: 'eurPerHour' (-1) must be a finite number of at least 0");
    expect(() => simulate(plan(), trace([1]), { eurPerHour: Number.NaN })).toThrow("simulate: 'eurPerHour' (NaN) must be a finite number of at least 0");
  });

  test('staticPlanForPeak validates too', () => {
    expect(() => staticPlanForPeak(plan(), trace([]))).toThrow(/staticPlanForPeak: 'trace.users'/);
  });
});
