import { ReactiveRule } from '../../lib/scaling/reactive-rule';
import { CapacityPlan, ScalingMetric } from '../../lib/scaling/scaling-model';
import { scalableStack } from './scaling-fixtures';

const CAPACITY: CapacityPlan = { usersPerInstance: 500, headroom: 0.2, bootMinutes: 10, requestsPerUserPerSecond: 0.1 };

describe('ReactiveRule', () => {
  const scope = () => scalableStack().appTier;

  test('the CPU rule defaults to out above 80 %, in below 35 %, one instance at a time, out-cooldown = boot + evaluation time', () => {
    expect(ReactiveRule.cpu().resolve(scope(), 'reactive[0]', CAPACITY)).toEqual({
      metric: ScalingMetric.CPU,
      scaleOutThreshold: 0.8,
      scaleInThreshold: 0.35,
      scaleOutStep: 1,
      scaleInStep: 1,
      evaluationMinutes: 3,
      scaleOutCooldownMinutes: 13,
      scaleInCooldownMinutes: 30,
      stabilisationMinutes: 30,
    });
  });

  test('sessions and requests per second default to 80 % and 35 % of one instance, in their own unit', () => {
    const sessions = ReactiveRule.sessionsPerInstance().resolve(scope(), 'r', CAPACITY);
    expect([sessions.metric, sessions.scaleOutThreshold, sessions.scaleInThreshold]).toEqual([ScalingMetric.SESSIONS_PER_INSTANCE, 400, 175]);
    const rps = ReactiveRule.requestsPerSecond().resolve(scope(), 'r', CAPACITY);
    expect(rps.metric).toBe(ScalingMetric.REQUESTS_PER_SECOND);
    expect(rps.scaleOutThreshold).toBeCloseTo(40, 9); // 500 users x 0.1 req/s x 0.8
    expect(rps.scaleInThreshold).toBeCloseTo(17.5, 9);
  });

  test('given options, then they are kept', () => {
    const plan = ReactiveRule.requestsPerSecond({ scaleOutAbove: 40, scaleInBelow: 10, scaleOutStep: 2, scaleInStep: 1, evaluationMinutes: 1, scaleOutCooldownMinutes: 5, scaleInCooldownMinutes: 20, stabilisationMinutes: 15 })
      .resolve(scope(), 'r', CAPACITY);
    expect(plan).toMatchObject({ scaleOutThreshold: 40, scaleInThreshold: 10, scaleOutStep: 2, evaluationMinutes: 1, scaleOutCooldownMinutes: 5, scaleInCooldownMinutes: 20, stabilisationMinutes: 15 });
  });

  test('inconsistent thresholds are errors', () => {
    expect(() => ReactiveRule.cpu({ scaleOutAbove: 0.5, scaleInBelow: 0.6 }).resolve(scope(), 'reactive[0]', CAPACITY))
      .toThrow("shop/App: 'reactive[0].scaleInBelow' (0.6) must be at least 0 and below 'scaleOutAbove' (0.5), or the tier would scale out and in at once");
    expect(() => ReactiveRule.cpu({ scaleOutAbove: 0.5, scaleInBelow: 0.5 }).resolve(scope(), 'reactive[0]', CAPACITY)).toThrow(/'reactive\[0\].scaleInBelow' \(0.5\)/);
    expect(() => ReactiveRule.cpu({ scaleOutAbove: 1 }).resolve(scope(), 'reactive[0]', CAPACITY)).toThrow("shop/App: 'reactive[0].scaleOutAbove' (1) must be below 1: CPU is a fraction");
    expect(() => ReactiveRule.sessionsPerInstance({ scaleOutAbove: 0 }).resolve(scope(), 'reactive[1]', CAPACITY)).toThrow("shop/App: 'reactive[1].scaleOutAbove' (0) must be a number greater than 0");
    expect(() => ReactiveRule.sessionsPerInstance({ scaleInBelow: -1 }).resolve(scope(), 'reactive[1]', CAPACITY)).toThrow(/'reactive\[1\].scaleInBelow' \(-1\)/);
  });

  test('steps below 1 or fractional, and negative or fractional minutes, are errors', () => {
    expect(() => ReactiveRule.cpu({ scaleOutStep: 0 }).resolve(scope(), 'r', CAPACITY)).toThrow("shop/App: 'r.scaleOutStep' (0) must be an integer from 1 to 100");
    expect(() => ReactiveRule.cpu({ scaleInStep: 1.5 }).resolve(scope(), 'r', CAPACITY)).toThrow(/'r.scaleInStep' \(1.5\)/);
    expect(() => ReactiveRule.cpu({ scaleInCooldownMinutes: -1 }).resolve(scope(), 'r', CAPACITY)).toThrow("shop/App: 'r.scaleInCooldownMinutes' (-1) must be an integer from 0 to 1440");
    expect(() => ReactiveRule.cpu({ stabilisationMinutes: -5 }).resolve(scope(), 'r', CAPACITY)).toThrow(/'r.stabilisationMinutes' \(-5\)/);
    expect(() => ReactiveRule.cpu({ evaluationMinutes: 0.5 }).resolve(scope(), 'r', CAPACITY)).toThrow(/'r.evaluationMinutes' \(0.5\)/);
    expect(() => ReactiveRule.cpu({ scaleOutCooldownMinutes: -1 }).resolve(scope(), 'r', CAPACITY)).toThrow(/'r.scaleOutCooldownMinutes' \(-1\)/);
  });
});
