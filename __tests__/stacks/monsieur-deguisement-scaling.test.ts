/**
 * The Monsieur Déguisement front-ends' own scaling rules replayed on the hourly reference year: the
 * case study's -40 % against provisioning for the peak, without a minute under capacity. Figures
 * only, never time (`npm run bench:scaling` prints the minute-resolution run).
 */
import { Testing } from 'cdktf';
import { simulate, staticPlanForPeak } from '../../lib/planning';
import { generateReferenceYear, MD_REFERENCE_SEED, MD_REFERENCE_YEAR } from '../../stacks/reference-year';
import { MD_FRONTEND_MAX, MonsieurDeguisementStack } from '../../stacks/monsieur-deguisement';

describe('Monsieur Déguisement scaling on the reference year', () => {
  const stack = new MonsieurDeguisementStack(Testing.app(), 'md');
  const plan = stack.frontendScaling.plan;
  const trace = generateReferenceYear({ seed: MD_REFERENCE_SEED, year: MD_REFERENCE_YEAR, resolutionMinutes: 60 });
  const rules = simulate(plan, trace);
  const peak = simulate(staticPlanForPeak(plan, trace), trace);

  test('the plan comes from the stack: 2 front-ends by default, up to MD_FRONTEND_MAX, a window per campaign', () => {
    expect([plan.minCount, plan.baselineCount, plan.maxCount]).toEqual([2, 2, MD_FRONTEND_MAX]);
    expect(plan.countVariable).toBe('frontends_servers_count');
    expect(plan.scheduled.map((w) => w.campaign)).toEqual(['carnival', 'summer-sales', 'halloween', 'black-friday', 'christmas']);
  });

  test('uses at least 40 % fewer instance-hours than static provisioning for the peak (case study 5: -40 % cost)', () => {
    expect(peak.peakInstances).toBe(MD_FRONTEND_MAX);
    expect(1 - rules.instanceHours / peak.instanceHours).toBeGreaterThanOrEqual(0.4);
  });

  test('is never under capacity', () => {
    expect(rules.minutesUnderCapacity).toBe(0);
  });
});
