import {
  MD_BASELINE_VISITORS_PER_DAY,
  MD_DAILY_PEAK_FACTOR,
  MD_REFERENCE_PEAK_CONCURRENT_USERS,
  MD_REFERENCE_PEAK_VISITORS_PER_DAY,
  MD_SESSION_MINUTES,
  dailyShape,
  easterDayOfYear,
  generateReferenceYear,
  madridToUtc,
  mulberry32At,
  peakConcurrentUsers,
  referenceCampaigns,
  referenceDailyVisitors,
  visitorsPerDay,
} from '../../stacks/reference-year';
import { DemandTrace } from '../../lib/scaling/demand-trace';
import { MD_CAMPAIGN_VISITORS_PER_DAY, MD_CONCURRENT_USERS_TOTAL } from '../../stacks/monsieur-deguisement';

const HOURLY = generateReferenceYear({ seed: 5, year: 2027, resolutionMinutes: 60 });

function max(values: readonly number[]): number {
  return values.reduce((a, b) => Math.max(a, b), 0);
}

function slice(trace: DemandTrace, from: Date, to: Date): readonly number[] {
  const step = trace.resolutionMinutes * 60_000;
  return trace.users.slice((from.getTime() - trace.start.getTime()) / step, (to.getTime() - trace.start.getTime()) / step);
}

describe('generateReferenceYear', () => {
  test('is deterministic: the same seed gives the same trace, another seed another one', () => {
    // given / when
    const again = generateReferenceYear({ seed: 5, year: 2027, resolutionMinutes: 60 });
    const other = generateReferenceYear({ seed: 6, year: 2027, resolutionMinutes: 60 });
    // then
    expect(again).toEqual(HOURLY);
    expect(other.users).not.toEqual(HOURLY.users);
    expect(other.users.filter((u, i) => u !== HOURLY.users[i]).length).toBeGreaterThan(1000);
  });

  test('covers the year from 1 January 00:00 Madrid time, hour by hour', () => {
    // given / when / then
    expect(HOURLY.resolutionMinutes).toBe(60);
    expect(HOURLY.start.toISOString()).toBe('2026-12-31T23:00:00.000Z');
    expect(HOURLY.users).toHaveLength(8760);
    expect(HOURLY.users.every((u) => Number.isInteger(u) && u >= 0)).toBe(true);
  });

  test('peaks at exactly 4,000 concurrent users at 21:00 Madrid time on the Halloween peak day', () => {
    // given the hourly year
    // when looking for its busiest hour
    const peak = max(HOURLY.users);
    const at = new Date(HOURLY.start.getTime() + HOURLY.users.indexOf(peak) * 3_600_000);
    // then it is the document's 4,000, at 19:00 UTC (21:00 CEST) on 26 October
    expect(peak).toBe(MD_REFERENCE_PEAK_CONCURRENT_USERS);
    expect(at.toISOString()).toBe('2027-10-26T19:00:00.000Z');
  });

  test('at minute resolution, the busiest day has 240,000 visitors and the busiest minute 4,000 users', () => {
    // given the minute year
    const minutes = generateReferenceYear({ seed: 5, year: 2027, resolutionMinutes: 1 });
    // when visitors per day are counted by Little's law
    const days = visitorsPerDay(minutes);
    const busiest = max(days);
    // then the busiest day is 26 October (day 298) with 240,000 visitors (up to the rounding of users)
    expect(minutes.users).toHaveLength(525600);
    expect(days).toHaveLength(365);
    expect(days.indexOf(busiest)).toBe(298);
    expect(busiest).toBeGreaterThan(MD_REFERENCE_PEAK_VISITORS_PER_DAY * 0.9999);
    expect(busiest).toBeLessThan(MD_REFERENCE_PEAK_VISITORS_PER_DAY * 1.0001);
    expect(max(minutes.users)).toBe(4000);
    // and each hour of the hourly trace is the busiest minute of that hour
    for (const h of [0, 2000, 7180]) expect(HOURLY.users[h]).toBe(max(minutes.users.slice(h * 60, h * 60 + 60)));
  });

  test('each campaign peaks exactly at its declared concurrent users, inside its dates', () => {
    // given the campaigns of 2027
    for (const c of referenceCampaigns(2027)) {
      // when looking at the campaign's hours
      const hours = slice(HOURLY, c.start, c.end);
      // then its busiest hour holds its declared peak, at its declared time
      expect([c.name, max(hours)]).toEqual([c.name, c.peakConcurrentUsers]);
      const at = new Date(c.start.getTime() + hours.indexOf(c.peakConcurrentUsers) * 3_600_000);
      expect([c.name, at.toISOString()]).toEqual([c.name, c.peakAt.toISOString()]);
    }
  });

  test('outside campaigns, demand stays near the baseline: two front-ends of 500 users carry it', () => {
    // given the hours outside every campaign
    const campaigns = referenceCampaigns(2027);
    const outside = HOURLY.users.filter((_, i) => {
      const t = HOURLY.start.getTime() + i * 3_600_000;
      return !campaigns.some((c) => t >= c.start.getTime() && t < c.end.getTime());
    });
    // then it stays under 1,000 users and its days average about the assumed 40,000 visitors
    expect(max(outside)).toBeLessThan(1000);
    expect(max(outside)).toBeGreaterThan(600);
    const days = referenceDailyVisitors({ seed: 5, year: 2027 });
    const quiet = days.filter((v) => v < 60000);
    const mean = quiet.reduce((a, b) => a + b, 0) / quiet.length;
    expect(mean).toBeGreaterThan(MD_BASELINE_VISITORS_PER_DAY * 0.85);
    expect(mean).toBeLessThan(MD_BASELINE_VISITORS_PER_DAY * 1.05);
  });

  test('has a daily cycle: night low, evening peak', () => {
    // given a quiet Wednesday in May (12 May 2027), Madrid time CEST (UTC+2)
    const day = slice(HOURLY, new Date('2027-05-11T22:00:00Z'), new Date('2027-05-12T22:00:00Z'));
    // then 04:00 is the quietest hour and 21:00 the busiest, about 10 times more
    expect(day.indexOf(Math.min(...day))).toBeGreaterThanOrEqual(3);
    expect(day.indexOf(Math.min(...day))).toBeLessThanOrEqual(5);
    expect(day.indexOf(max(day))).toBe(21);
    expect(max(day) / Math.min(...day)).toBeGreaterThan(8);
  });

  test('rejects a bad year, seed or resolution', () => {
    expect(() => generateReferenceYear({ year: 1900 })).toThrow(/generateReferenceYear: 'year' \(1900\) must be an integer from 1996 to 2999/);
    expect(() => generateReferenceYear({ seed: 1.5 })).toThrow(/generateReferenceYear: 'seed' \(1.5\) must be an integer/);
    expect(() => generateReferenceYear({ resolutionMinutes: 15 as 60 })).toThrow(/generateReferenceYear: 'resolutionMinutes' \(15\) must be 1 or 60/);
    expect(() => referenceCampaigns(2.5)).toThrow(/referenceCampaigns: 'year' \(2.5\) must be an integer/);
    expect(() => referenceDailyVisitors({ seed: Number.NaN })).toThrow(/referenceDailyVisitors: 'seed' \(NaN\) must be an integer/);
  });
});

describe('the conversion from visitors a day to concurrent users', () => {
  test("the document's figures agree with a 12-minute session and an evening peak twice the mean", () => {
    // given / when / then: 240,000 / 1,440 x 2 x 12 = 4,000
    expect(MD_SESSION_MINUTES).toBe(12);
    expect(MD_DAILY_PEAK_FACTOR).toBeCloseTo(2, 12);
    expect(peakConcurrentUsers(240000)).toBe(4000);
    expect(peakConcurrentUsers(120000)).toBe(2000);
  });

  test('the reference figures are the stack\'s figures (case study 5)', () => {
    expect(MD_REFERENCE_PEAK_VISITORS_PER_DAY).toBe(MD_CAMPAIGN_VISITORS_PER_DAY);
    expect(MD_REFERENCE_PEAK_CONCURRENT_USERS).toBe(MD_CONCURRENT_USERS_TOTAL);
  });

  test('the daily shape has mean 1 and its maximum, 2, at 21:00', () => {
    // given / when
    const shape = dailyShape();
    // then
    expect(shape).toHaveLength(1440);
    expect(shape.reduce((a, b) => a + b, 0) / 1440).toBeCloseTo(1, 9);
    expect(max(shape)).toBeCloseTo(2, 9);
    expect(shape.indexOf(max(shape))).toBe(21 * 60);
  });
});

describe('referenceCampaigns', () => {
  test('dates the campaigns of 2027 in Madrid time', () => {
    // given / when
    const byName = new Map(referenceCampaigns(2027).map((c) => [c.name, c]));
    // then Carnival ends on Ash Wednesday 00:00 (Easter 2027 is 28 March, Carnival Tuesday 9 February)
    expect(byName.get('carnival')!.end.toISOString()).toBe('2027-02-09T23:00:00.000Z');
    // Halloween runs through October, CEST then CET after the clocks change on 31 October
    expect(byName.get('halloween')!.start.toISOString()).toBe('2027-09-30T22:00:00.000Z');
    expect(byName.get('halloween')!.end.toISOString()).toBe('2027-10-31T23:00:00.000Z');
    expect(byName.get('halloween')!.peakConcurrentUsers).toBe(4000);
    expect(byName.get('halloween')!.peakVisitorsPerDay).toBe(240000);
    // Black Friday 2027 is 26 November
    expect(byName.get('black-friday')!.peakAt.toISOString()).toBe('2027-11-26T20:00:00.000Z');
    expect([...byName.keys()]).toEqual(['carnival', 'summer-sales', 'halloween', 'black-friday', 'christmas']);
  });

  test('computes Easter and the Madrid offset', () => {
    // 2027-03-28 is day 86; 2024-03-31 is day 90
    expect(easterDayOfYear(2027)).toBe(86);
    expect(easterDayOfYear(2024)).toBe(90);
    expect(madridToUtc(2027, 0, 15, 12).toISOString()).toBe('2027-01-15T11:00:00.000Z');
    expect(madridToUtc(2027, 6, 15, 12).toISOString()).toBe('2027-07-15T10:00:00.000Z');
  });
});

describe('mulberry32At', () => {
  test("is mulberry32's n-th output, drawable in any order", () => {
    // given the classic sequential mulberry32
    function mulberry32(a: number): () => number {
      return () => {
        let t = (a += 0x6d2b79f5);
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }
    const next = mulberry32(42);
    const sequential = Array.from({ length: 5 }, () => next());
    // when drawn directly, backwards
    const direct = [4, 3, 2, 1, 0].map((n) => mulberry32At(42, n)).reverse();
    // then the values are the same, in [0, 1)
    expect(direct).toEqual(sequential);
    expect(direct.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});
