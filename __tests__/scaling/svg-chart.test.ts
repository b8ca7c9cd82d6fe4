import { HostingStacksError } from '../../lib/core/errors';
import { TierScalingPlan } from '../../lib/scaling/scaling-model';
import { simulate } from '../../lib/scaling/simulator';
import { renderDemandChart } from '../../lib/scaling/svg-chart';
import { generateReferenceYear } from '../../stacks/reference-year';
import { checkXml } from '../support/daemons';

const START = new Date('2027-01-01T00:00:00Z');

const PLAN: TierScalingPlan = {
  tier: 'Shop/Frontends',
  countVariable: 'frontends_count',
  minCount: 1,
  baselineCount: 1,
  maxCount: 3,
  capacity: { usersPerInstance: 100, headroom: 0.2, bootMinutes: 0, requestsPerUserPerSecond: 0.1 },
  scheduled: [{
    campaign: 'sales & more',
    scaleOutAt: new Date(START.getTime() + 2 * 3_600_000),
    start: new Date(START.getTime() + 3 * 3_600_000),
    end: new Date(START.getTime() + 5 * 3_600_000),
    scaleInAt: new Date(START.getTime() + 5 * 3_600_000),
    count: 3,
    peakConcurrentUsers: 250,
  }],
  reactive: [],
  flavor: { name: 'b3-8', eurPerHour: 0.0512 },
};

/** Numbers of a path's `d` attribute, as points. */
function points(svg: string, id: string): number {
  const d = new RegExp(`id="${id}" d="([^"]*)"`).exec(svg);
  if (!d) throw new Error(`no path ${id}`);
  return (d[1].match(/[ML]/g) ?? []).length;
}

describe('renderDemandChart', () => {
  // given 8 hours: 150 users in hour 1 overflow the single instance; a window of 3 covers hours 2-4
  const result = simulate(PLAN, { resolutionMinutes: 60, start: START, users: [50, 150, 100, 250, 200, 80, 40, 20] });

  test('writes well-formed XML (xmllint)', () => {
    // when
    const svg = renderDemandChart(result);
    // then
    const check = checkXml(svg);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
  });

  test('draws demand, capacity, the window, the legend, the figures and an escaped title', () => {
    // when
    const svg = renderDemandChart(result, { title: 'Frontends <test> & co', width: 1000, height: 420 });
    // then
    expect(svg).toMatch(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="1000" height="420"/);
    expect(svg).toContain('>Frontends &lt;test&gt; &amp; co</text>');
    expect(points(svg, 'demand')).toBe(8);
    expect(svg).toContain('id="capacity"');
    expect(svg).toContain('>sales &amp; more</text>');
    expect(svg).toContain('demand: concurrent users');
    expect(svg).toContain('capacity: serving instances x 100 users');
    expect(svg).toContain('concurrent users</text>');
    expect(svg).toMatch(/<text id="figures"[^>]*>14 instance-hours/);
    expect(svg).toContain('60 min under capacity');
    expect(svg).toContain('peak utilisation 150 %');
    // y ticks run past the capacity's peak (300)
    expect(svg).toContain('>400</text>');
  });

  test('marks the hour under capacity and nothing else', () => {
    // when
    const svg = renderDemandChart(result);
    const under = /<g id="under-capacity">([\s\S]*?)<\/g>/.exec(svg)![1];
    // then one bucket (hour 1, 01:00 UTC) is red
    expect(under.match(/<rect /g)).toHaveLength(2);
    expect(under).toContain('60 min under capacity from 2027-01-01T01:00:00.000Z');
  });

  test('groups a year per day and stays small', () => {
    // given a year at hour resolution on a fixed single instance of 5,000 users
    const year = generateReferenceYear({ seed: 1, year: 2027 });
    const r = simulate({ ...PLAN, scheduled: [], capacity: { ...PLAN.capacity, usersPerInstance: 5000 } }, year);
    // when
    const svg = renderDemandChart(r);
    // then one point per day, month ticks, valid XML, under 100 kB
    expect(points(svg, 'demand')).toBe(365);
    expect(svg).toContain('grouped per day');
    expect(svg).toContain('>Jan 2027</text>');
    expect(svg).toContain('>Oct</text>');
    expect(svg.length).toBeLessThan(100_000);
    expect(checkXml(svg).ok).toBe(true);
  });

  test('draws a span of the run', () => {
    // when
    const svg = renderDemandChart(result, { from: new Date(START.getTime() + 3_600_000), to: new Date(START.getTime() + 4 * 3_600_000) });
    // then only hours 1 to 3 are drawn
    expect(points(svg, 'demand')).toBe(3);
  });

  test('rejects bad sizes and empty spans', () => {
    expect(() => renderDemandChart(result, { width: 100 })).toThrow(HostingStacksError);
    expect(() => renderDemandChart(result, { width: 100 })).toThrow("renderDemandChart: 'width' (100) must be an integer of at least 300");
    expect(() => renderDemandChart(result, { height: 50.5 })).toThrow(/renderDemandChart: 'height' \(50.5\) must be an integer of at least 200/);
    expect(() => renderDemandChart(result, { maxPoints: 2 })).toThrow(/renderDemandChart: 'maxPoints' \(2\) must be an integer of at least 10/);
    expect(() => renderDemandChart(result, { from: new Date('2030-01-01T00:00:00Z') }))
      .toThrow(/^renderDemandChart: 'from' \('2030-01-01T00:00:00.000Z'\) must be before the end of the simulation: the simulation runs from 2027-01-01T00:00:00.000Z to 2027-01-01T\d\d:00:00.000Z$/);
    expect(() => renderDemandChart(result, { to: new Date('2026-01-01T00:00:00Z') }))
      .toThrow(/^renderDemandChart: 'to' \('2026-01-01T00:00:00.000Z'\) must be after the start of the simulation/);
    expect(() => renderDemandChart(result, { from: new Date(START.getTime() + 3_600_000), to: START }))
      .toThrow("renderDemandChart: 'to' ('2027-01-01T00:00:00.000Z') must be after 'from' ('2027-01-01T01:00:00.000Z')");
    expect(() => renderDemandChart(result, { from: new Date('nonsense') })).toThrow("renderDemandChart: 'from' ('Invalid Date') must be a valid Date");
    expect(() => renderDemandChart({ ...result, series: { ...result.series, users: [] } })).toThrow("renderDemandChart: 'result.series.users' ([]) must hold at least one step to draw");
  });
});
