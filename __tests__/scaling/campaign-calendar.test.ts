import { Testing } from 'cdktf';
import { CampaignCalendar, canonicalTimeZone, formatLocalDateTime, mergeIntervals, zonedTimeToUtc, zoneOffsetMinutes } from '../../lib/scaling/campaign-calendar';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { utc } from './scaling-fixtures';

function calendar(props = {}) {
  const stack = new HostingStack(Testing.app(), 'shop');
  return new CampaignCalendar(stack, 'Campaigns', props);
}

const PEAK = { concurrentUsers: 1000 };

describe('zone offsets (Intl), Europe/Madrid around the 2027 clock changes (28 March and 31 October, 01:00 UTC)', () => {
  test('the offset is +60 min in winter and +120 min in summer, switching at 01:00 UTC', () => {
    expect(zoneOffsetMinutes(utc('2027-03-28T00:59:00Z'), 'Europe/Madrid')).toBe(60);
    expect(zoneOffsetMinutes(utc('2027-03-28T01:00:00Z'), 'Europe/Madrid')).toBe(120);
    expect(zoneOffsetMinutes(utc('2027-10-31T00:59:00Z'), 'Europe/Madrid')).toBe(120);
    expect(zoneOffsetMinutes(utc('2027-10-31T01:00:00Z'), 'Europe/Madrid')).toBe(60);
    expect(zoneOffsetMinutes(utc('2027-07-01T12:00:00Z'), 'UTC')).toBe(0);
    expect(zoneOffsetMinutes(utc('2027-07-01T12:00:00Z'), 'America/New_York')).toBe(-240);
  });

  test('a local time on each side of the spring change converts with its own offset', () => {
    expect(zonedTimeToUtc('2027-03-27T10:00', 'Europe/Madrid')).toEqual(utc('2027-03-27T09:00:00Z'));
    expect(zonedTimeToUtc('2027-03-29T10:00', 'Europe/Madrid')).toEqual(utc('2027-03-29T08:00:00Z'));
    expect(zonedTimeToUtc('2027-03-28T01:59', 'Europe/Madrid')).toEqual(utc('2027-03-28T00:59:00Z'));
    expect(zonedTimeToUtc('2027-03-28T03:00', 'Europe/Madrid')).toEqual(utc('2027-03-28T01:00:00Z'));
  });

  test('the skipped spring hour does not exist; the repeated autumn hour gives its first occurrence', () => {
    expect(zonedTimeToUtc('2027-03-28T02:30', 'Europe/Madrid')).toBeUndefined();
    expect(zonedTimeToUtc('2027-10-31T02:30', 'Europe/Madrid')).toEqual(utc('2027-10-31T00:30:00Z'));
    expect(zonedTimeToUtc('2027-10-31T03:30', 'Europe/Madrid')).toEqual(utc('2027-10-31T02:30:00Z'));
  });

  test('malformed or unreal local times give undefined', () => {
    expect(zonedTimeToUtc('2027-02-29T00:00', 'UTC')).toBeUndefined();
    expect(zonedTimeToUtc('2027-01-01 00:00', 'UTC')).toBeUndefined();
    expect(zonedTimeToUtc('2027-01-01T24:00', 'UTC')).toBeUndefined();
  });

  test('formatting an instant gives back the local time it came from', () => {
    for (const local of ['2027-03-27T10:00', '2027-03-29T10:00', '2027-10-31T02:30', '2027-12-31T23:59']) {
      expect(formatLocalDateTime(zonedTimeToUtc(local, 'Europe/Madrid')!, 'Europe/Madrid')).toBe(local);
    }
  });

  test('zones are checked by Intl: aliases resolve to their canonical name, unknown names give undefined', () => {
    expect(canonicalTimeZone('Europe/Madrid')).toBe('Europe/Madrid');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('Europe/Atlantis')).toBeUndefined();
    expect(canonicalTimeZone('')).toBeUndefined();
  });
});

describe('CampaignCalendar', () => {
  test('given Madrid local times either side of the spring change, when added, then the UTC instants use each side\'s offset', () => {
    const cal = calendar({ timeZone: 'Europe/Madrid' });
    const c = cal.addCampaign('spring-sale', { start: '2027-03-27T10:00', end: '2027-03-29T10:00', peak: { concurrentUsers: 800, visitorsPerDay: 50000, ordersPerDay: 900 } });
    expect(c.start).toEqual(utc('2027-03-27T09:00:00Z'));
    expect(c.end).toEqual(utc('2027-03-29T08:00:00Z'));
    expect(c).toMatchObject({ name: 'spring-sale', timeZone: 'Europe/Madrid', localStart: '2027-03-27T10:00', localEnd: '2027-03-29T10:00', preWarmMinutes: 60 });
    expect(c.peak).toEqual({ concurrentUsers: 800, visitorsPerDay: 50000, ordersPerDay: 900 });
  });

  test('a campaign\'s own zone and pre-warm override the calendar\'s defaults', () => {
    const cal = calendar({ timeZone: 'Europe/Madrid', preWarmMinutes: 30 });
    expect(cal.timeZone).toBe('Europe/Madrid');
    expect(cal.preWarmMinutes).toBe(30);
    const c = cal.addCampaign('lisbon', { start: '2027-06-01T00:00', end: '2027-06-02T00:00', timeZone: 'Europe/Lisbon', peak: PEAK, preWarmMinutes: 90 });
    expect(c.start).toEqual(utc('2027-05-31T23:00:00Z'));
    expect(c.preWarmMinutes).toBe(90);
    expect(cal.addCampaign('default', { start: '2027-07-01T00:00', end: '2027-07-02T00:00', peak: PEAK }).preWarmMinutes).toBe(30);
  });

  test('campaigns are listed by start whatever the order they were added in', () => {
    const cal = calendar();
    cal.addCampaign('later', { start: '2027-12-01T00:00', end: '2027-12-02T00:00', peak: PEAK });
    cal.addCampaign('earlier', { start: '2027-01-01T00:00', end: '2027-01-02T00:00', peak: PEAK });
    expect(cal.campaigns.map((c) => c.name)).toEqual(['earlier', 'later']);
    expect(cal.campaign('later')?.start).toEqual(utc('2027-12-01T00:00:00Z'));
    expect(cal.campaign('none')).toBeUndefined();
  });

  test('overlapping campaigns take the larger demand, field by field (hand-computed)', () => {
    // a: 1 to 10 November, 1,000 users, 50,000 visitors; b: 5 to 20 November, 3,000 users, 900 orders.
    const cal = calendar();
    cal.addCampaign('b', { start: '2027-11-05T00:00', end: '2027-11-20T00:00', peak: { concurrentUsers: 3000, ordersPerDay: 900 } });
    cal.addCampaign('a', { start: '2027-11-01T00:00', end: '2027-11-10T00:00', peak: { concurrentUsers: 1000, visitorsPerDay: 50000 } });
    expect(cal.demandAt(utc('2027-11-03T00:00:00Z'))).toEqual({ campaigns: ['a'], concurrentUsers: 1000, visitorsPerDay: 50000 });
    expect(cal.demandAt(utc('2027-11-07T00:00:00Z'))).toEqual({ campaigns: ['a', 'b'], concurrentUsers: 3000, visitorsPerDay: 50000, ordersPerDay: 900 });
    // The end is exclusive.
    expect(cal.demandAt(utc('2027-11-20T00:00:00Z'))).toEqual({ campaigns: [], concurrentUsers: 0 });
    expect(cal.demandSegments()).toEqual([
      { from: utc('2027-11-01T00:00:00Z'), to: utc('2027-11-05T00:00:00Z'), campaigns: ['a'], concurrentUsers: 1000, visitorsPerDay: 50000 },
      { from: utc('2027-11-05T00:00:00Z'), to: utc('2027-11-10T00:00:00Z'), campaigns: ['a', 'b'], concurrentUsers: 3000, visitorsPerDay: 50000, ordersPerDay: 900 },
      { from: utc('2027-11-10T00:00:00Z'), to: utc('2027-11-20T00:00:00Z'), campaigns: ['b'], concurrentUsers: 3000, ordersPerDay: 900 },
    ]);
  });

  test('neighbouring pieces with the same demand are joined; gaps between campaigns have no segment', () => {
    const cal = calendar();
    cal.addCampaign('big', { start: '2027-11-01T00:00', end: '2027-11-20T00:00', peak: { concurrentUsers: 3000 } });
    cal.addCampaign('inside', { start: '2027-11-05T00:00', end: '2027-11-08T00:00', peak: { concurrentUsers: 1000 } });
    cal.addCampaign('apart', { start: '2027-12-01T00:00', end: '2027-12-02T00:00', peak: { concurrentUsers: 500 } });
    expect(cal.demandSegments()).toEqual([
      { from: utc('2027-11-01T00:00:00Z'), to: utc('2027-11-20T00:00:00Z'), campaigns: ['big', 'inside'], concurrentUsers: 3000 },
      { from: utc('2027-12-01T00:00:00Z'), to: utc('2027-12-02T00:00:00Z'), campaigns: ['apart'], concurrentUsers: 500 },
    ]);
  });

  test.each([
    ['Black Friday'], ['black--friday'], ['-sale'], ['2027-sale'], ['a'.repeat(51)],
  ])('a name that is not kebab case (%s) is an error', (name) => {
    expect(() => calendar().addCampaign(name, { start: '2027-01-01T00:00', end: '2027-01-02T00:00', peak: PEAK }))
      .toThrow(/^shop\/Campaigns: 'name' \(.*\) must be kebab case/);
  });

  test('a duplicate campaign name is an error', () => {
    const cal = calendar();
    cal.addCampaign('sale', { start: '2027-01-01T00:00', end: '2027-01-02T00:00', peak: PEAK });
    expect(() => cal.addCampaign('sale', { start: '2027-02-01T00:00', end: '2027-02-02T00:00', peak: PEAK }))
      .toThrow("shop/Campaigns: 'name' ('sale') is already a campaign of this calendar; campaign names must be unique");
  });

  test('an end before or at the start is an error', () => {
    const cal = calendar();
    expect(() => cal.addCampaign('sale', { start: '2027-01-02T00:00', end: '2027-01-01T00:00', peak: PEAK }))
      .toThrow("shop/Campaigns: 'campaigns.sale.end' ('2027-01-01T00:00') must be after 'start' ('2027-01-02T00:00', UTC)");
    expect(() => cal.addCampaign('sale', { start: '2027-01-02T00:00', end: '2027-01-02T00:00', peak: PEAK })).toThrow(/must be after 'start'/);
  });

  test('an end that is only after the start in local digits but not in time is an error (autumn change, Madrid)', () => {
    // 02:30 (first occurrence, CEST) is 00:30 UTC; 02:10 the same night is 00:10 UTC, so the end comes first.
    const cal = calendar({ timeZone: 'Europe/Madrid' });
    expect(() => cal.addCampaign('night', { start: '2027-10-31T02:30', end: '2027-10-31T02:10', peak: PEAK })).toThrow(/'campaigns.night.end' .* must be after 'start'/);
  });

  test('an unknown time zone is an error, on the calendar and on a campaign', () => {
    expect(() => calendar({ timeZone: 'Mars/Olympus' })).toThrow("shop/Campaigns: 'timeZone' ('Mars/Olympus') is not a time zone this runtime knows; use an IANA name such as 'Europe/Madrid' or 'UTC'");
    expect(() => calendar().addCampaign('sale', { start: '2027-01-01T00:00', end: '2027-01-02T00:00', timeZone: 'Europe/Atlantis', peak: PEAK }))
      .toThrow("shop/Campaigns: 'campaigns.sale.timeZone' ('Europe/Atlantis') is not a time zone");
  });

  test('a malformed, unreal or skipped local time is an error', () => {
    const cal = calendar({ timeZone: 'Europe/Madrid' });
    expect(() => cal.addCampaign('a', { start: '2027-01-01 00:00', end: '2027-01-02T00:00', peak: PEAK }))
      .toThrow("shop/Campaigns: 'campaigns.a.start' ('2027-01-01 00:00') must be a local date and time 'YYYY-MM-DDTHH:MM'");
    expect(() => cal.addCampaign('b', { start: '2027-01-01T00:00', end: '2027-02-30T00:00', peak: PEAK }))
      .toThrow("shop/Campaigns: 'campaigns.b.end' ('2027-02-30T00:00') is not a real date and time");
    expect(() => cal.addCampaign('c', { start: '2027-03-28T02:30', end: '2027-03-29T00:00', peak: PEAK }))
      .toThrow("shop/Campaigns: 'campaigns.c.start' ('2027-03-28T02:30') does not exist in Europe/Madrid: the clocks skip it");
  });

  test('peaks must be whole positive numbers and the pre-warm a whole number of minutes up to a week', () => {
    const cal = calendar();
    const add = (peak: object, preWarmMinutes?: number) => () => cal.addCampaign('x', { start: '2027-01-01T00:00', end: '2027-01-02T00:00', peak: peak as typeof PEAK, preWarmMinutes });
    expect(add({ concurrentUsers: 0 })).toThrow("shop/Campaigns: 'campaigns.x.peak.concurrentUsers' (0) must be an integer of at least 1");
    expect(add({ concurrentUsers: 10, visitorsPerDay: -1 })).toThrow(/'campaigns.x.peak.visitorsPerDay' \(-1\)/);
    expect(add({ concurrentUsers: 10, ordersPerDay: 1.5 })).toThrow(/'campaigns.x.peak.ordersPerDay' \(1.5\)/);
    expect(add(PEAK, -5)).toThrow("shop/Campaigns: 'campaigns.x.preWarmMinutes' (-5) must be an integer from 0 to 10080");
    expect(() => calendar({ preWarmMinutes: 20000 })).toThrow("shop/Campaigns: 'preWarmMinutes' (20000) must be an integer from 0 to 10080");
  });

  test('the runner directories are checked', () => {
    expect(calendar().stackDirectory).toBe('cdktf.out/stacks/shop');
    expect(calendar().checkoutDirectory).toBe('/srv/hosting-stacks');
    expect(() => calendar({ stackDirectory: '../elsewhere' })).toThrow(/'stackDirectory' \('..\/elsewhere'\) must be a relative path/);
    expect(() => calendar({ stackDirectory: '/abs' })).toThrow(/'stackDirectory' \('\/abs'\) must be a relative path/);
    expect(() => calendar({ checkoutDirectory: 'srv/x' })).toThrow(/'checkoutDirectory' \('srv\/x'\) must be an absolute path/);
    expect(() => calendar({ checkoutDirectory: '/srv/my checkout' })).toThrow(/'checkoutDirectory'/);
  });
});

describe('mergeIntervals', () => {
  test('cuts at every boundary and lists what is active over each piece; uncovered time has no piece', () => {
    expect(mergeIntervals([{ from: 0, to: 10, value: 'a' }, { from: 5, to: 20, value: 'b' }, { from: 30, to: 40, value: 'c' }])).toEqual([
      { from: 0, to: 5, values: ['a'] },
      { from: 5, to: 10, values: ['a', 'b'] },
      { from: 10, to: 20, values: ['b'] },
      { from: 30, to: 40, values: ['c'] },
    ]);
    expect(mergeIntervals([])).toEqual([]);
  });
});
