import { Testing } from 'cdktf';
import { AppTier } from '../../lib/app/app-tier';
import { Flavor } from '../../lib/compute/flavor';
import { CampaignCalendar, formatLocalDateTime, zonedTimeToUtc } from '../../lib/scaling/campaign-calendar';
import { CapacityModel } from '../../lib/scaling/capacity-model';
import { ReactiveRule } from '../../lib/scaling/reactive-rule';
import { ScalingMetric } from '../../lib/scaling/scaling-model';
import { ScalingRules } from '../../lib/scaling/scaling-rules';
import { MD_TIME_ZONE, referenceCampaigns } from '../../stacks/reference-year';
import { validatePlan } from '../../lib/scaling/simulator';
import { HostingApp } from '../../lib/stack/hosting-stack';
import { MonsieurDeguisementStack } from '../../stacks/monsieur-deguisement';
import { APP_SIZING, scalableStack, utc } from './scaling-fixtures';

function rulesWithCalendar(capacity = { usersPerInstance: 500, headroom: 0.2, bootMinutes: 10 }) {
  const s = scalableStack();
  const calendar = new CampaignCalendar(s.stack, 'Campaigns', { timeZone: 'Europe/Madrid' });
  const rules = new ScalingRules(s.stack, 'AppScaling', { tier: s.appTier, capacity: CapacityModel.forTier(s.appTier, capacity), calendar });
  return { ...s, calendar, rules };
}

describe('ScalingRules', () => {
  test('given a scalable tier, then min, baseline and max come from its cluster and the plan has every field', () => {
    const s = scalableStack();
    const rules = new ScalingRules(s.stack, 'AppScaling', {
      tier: s.appTier,
      capacity: CapacityModel.forTier(s.appTier, { usersPerInstance: 400 }),
      reactive: [ReactiveRule.cpu(), ReactiveRule.sessionsPerInstance()],
    });
    const plan = rules.plan;
    expect(plan).toMatchObject({
      tier: 'shop/App',
      countVariable: 'app_servers_count',
      minCount: 2,
      baselineCount: 2,
      maxCount: 10,
      capacity: { usersPerInstance: 400, headroom: 0.2, bootMinutes: 10, requestsPerUserPerSecond: 0.1 },
      scheduled: [],
    });
    expect(plan.reactive.map((r) => [r.metric, r.scaleOutThreshold, r.scaleInThreshold])).toEqual([[ScalingMetric.CPU, 0.8, 0.35], [ScalingMetric.SESSIONS_PER_INSTANCE, 320, 140]]);
    expect(plan.flavor.name).toBe(s.appTier.cluster.flavor.name);
    expect(plan.flavor.eurPerHour).toBe(s.appTier.cluster.flavor.eurPerHour);
    expect(plan.countVariable).toBe(s.appTier.cluster.countVariable!.friendlyUniqueId);
    expect(() => validatePlan(plan, 'test')).not.toThrow();
  });

  test('without a capacity model, the tier\'s derived one is used', () => {
    const s = scalableStack();
    const rules = new ScalingRules(s.stack, 'AppScaling', { tier: s.appTier });
    expect(rules.capacity.usersPerInstance).toBe(2000); // 200 Tomcat threads x 10 users
  });

  test('a campaign window opens pre-warm + boot minutes before the start and closes at the end', () => {
    const { calendar, rules } = rulesWithCalendar();
    // 00:00 Madrid in November is 23:00 UTC the day before; 60 min pre-warm + 10 min boot before it.
    calendar.addCampaign('black-friday', { start: '2027-11-22T00:00', end: '2027-11-30T00:00', peak: { concurrentUsers: 3000 } });
    expect(rules.plan.scheduled).toEqual([{
      campaign: 'black-friday',
      scaleOutAt: utc('2027-11-21T21:50:00Z'),
      start: utc('2027-11-21T23:00:00Z'),
      end: utc('2027-11-29T23:00:00Z'),
      scaleInAt: utc('2027-11-29T23:00:00Z'),
      count: 8, // 3,000 x 1.2 / 500 = 7.2
      peakConcurrentUsers: 3000,
    }]);
  });

  test('a campaign smaller than the baseline keeps the baseline count', () => {
    const { calendar, rules } = rulesWithCalendar();
    calendar.addCampaign('tiny', { start: '2027-05-01T00:00', end: '2027-05-02T00:00', peak: { concurrentUsers: 100 }, preWarmMinutes: 0 });
    expect(rules.campaignNeeds().map((n) => [n.instances, n.count])).toEqual([[1, 2]]);
    expect(rules.plan.scheduled[0].count).toBe(2);
  });

  test('overlapping windows are cut into non-overlapping pieces, each at the larger count (hand-computed)', () => {
    const { calendar, rules } = rulesWithCalendar({ usersPerInstance: 500, headroom: 0, bootMinutes: 0 });
    // UTC zone, no lead: windows are the campaigns themselves.
    // long: 1-20 Nov, 1,500 users -> 3; peak: 5-10 Nov, 4,000 -> 8; tail: 18-25 Nov, 1,400 -> 3.
    calendar.addCampaign('long', { start: '2027-11-01T00:00', end: '2027-11-20T00:00', timeZone: 'UTC', peak: { concurrentUsers: 1500 }, preWarmMinutes: 0 });
    calendar.addCampaign('peak', { start: '2027-11-05T00:00', end: '2027-11-10T00:00', timeZone: 'UTC', peak: { concurrentUsers: 4000 }, preWarmMinutes: 0 });
    calendar.addCampaign('tail', { start: '2027-11-18T00:00', end: '2027-11-25T00:00', timeZone: 'UTC', peak: { concurrentUsers: 1400 }, preWarmMinutes: 0 });
    const w = rules.plan.scheduled;
    expect(w.map((x) => [x.campaign, x.scaleOutAt.toISOString().slice(0, 10), x.scaleInAt.toISOString().slice(0, 10), x.count, x.peakConcurrentUsers])).toEqual([
      ['long', '2027-11-01', '2027-11-05', 3, 1500],
      ['long+peak', '2027-11-05', '2027-11-10', 8, 4000],
      // 10-18 long alone (3), 18-20 long+tail (3), 20-25 tail (3): same count, joined.
      ['long+tail', '2027-11-10', '2027-11-25', 3, 1500],
    ]);
    expect(w[2].start).toEqual(utc('2027-11-01T00:00:00Z'));
    expect(w[2].end).toEqual(utc('2027-11-25T00:00:00Z'));
    expect(() => validatePlan(rules.plan, 'test')).not.toThrow();
  });

  test('given a tier that does not scale, then the error names it and says what to set', () => {
    const s = scalableStack(Testing.app(), 'shop', { count: 2, minCount: 2, maxCount: 2 });
    expect(() => new ScalingRules(s.stack, 'AppScaling', { tier: s.appTier }))
      .toThrow("shop/AppScaling: 'tier' ('shop/App') is not scalable: its cluster runs a fixed 2 instance(s) and has no count variable; give the tier 'maxCount' above 'minCount' (e.g. minCount: 2, maxCount: 4)");
  });

  test('a second set of rules on the same tier is an error', () => {
    const s = scalableStack();
    new ScalingRules(s.stack, 'AppScaling', { tier: s.appTier });
    expect(() => new ScalingRules(s.stack, 'More', { tier: s.appTier })).toThrow("shop/More: 'tier' ('shop/App') already has scaling rules (shop/AppScaling); a tier has one set of rules");
  });

  test('a capacity model of another tier is an error', () => {
    const s = scalableStack();
    expect(() => new ScalingRules(s.stack, 'AppScaling', { tier: s.appTier, capacity: CapacityModel.forTier(s.web) }))
      .toThrow("shop/AppScaling: 'capacity' ('shop/Web') is the capacity of another tier; use CapacityModel.forTier() with this tier (shop/App)");
  });

  test('a calendar or a tier in another stack is an error', () => {
    const app = Testing.app();
    const a = scalableStack(app, 'a');
    const b = scalableStack(app, 'b');
    const calendar = new CampaignCalendar(b.stack, 'Campaigns');
    expect(() => new ScalingRules(a.stack, 'AppScaling', { tier: a.appTier, calendar })).toThrow(/^a\/AppScaling: 'calendar' \('<CampaignCalendar b\/Campaigns>'\) is in stack 'b'; it must be in the same stack 'a' \(wiring across stacks is not supported\)/);
    expect(() => new ScalingRules(b.stack, 'Remote', { tier: a.appTier })).toThrow(/^b\/Remote: 'tier' \('<AppTier a\/App>'\) is in stack 'a'; it must be in the same stack 'b'/);
  });

  test('two rules on one metric are an error; a bad rule names its index', () => {
    const s = scalableStack();
    expect(() => new ScalingRules(s.stack, 'AppScaling', { tier: s.appTier, reactive: [ReactiveRule.cpu(), ReactiveRule.cpu()] }))
      .toThrow("shop/AppScaling: 'reactive' ('cpu') appears more than once; each entry must be unique");
    const t = scalableStack();
    expect(() => new ScalingRules(t.stack, 'AppScaling', { tier: t.appTier, reactive: [ReactiveRule.cpu(), ReactiveRule.requestsPerSecond({ scaleOutStep: 0 })] }))
      .toThrow(/^shop\/AppScaling: 'reactive\[1\].scaleOutStep' \(0\)/);
  });

  test('given a campaign added after the rules that needs more than maxCount, when synthesized, then synth fails with the arithmetic', () => {
    const app = new HostingApp({ outdir: Testing.app().outdir });
    const s = scalableStack(app);
    const calendar = new CampaignCalendar(s.stack, 'Campaigns');
    const rules = new ScalingRules(s.stack, 'AppScaling', { tier: s.appTier, capacity: CapacityModel.forTier(s.appTier, { usersPerInstance: 400 }), calendar });
    calendar.addCampaign('black-friday', { start: '2027-11-26T00:00', end: '2027-11-29T00:00', peak: { concurrentUsers: 4000 } });
    const message = "shop/AppScaling: campaign 'black-friday' needs 12 instances (4,000 users x 1.2 / 400) but 'maxCount' is 10; raise the tier's maxCount to at least 12 or lower the campaign's peak";
    expect(rules.node.validate()).toEqual([message]);
    expect(() => app.synth()).toThrow(message);
  });

  test('a campaign that exactly fills maxCount passes', () => {
    const { calendar, rules } = rulesWithCalendar();
    calendar.addCampaign('halloween', { start: '2027-10-01T00:00', end: '2027-11-01T00:00', peak: { concurrentUsers: 4000 } }); // 9.6 -> 10
    expect(rules.node.validate()).toEqual([]);
  });

  test('the Monsieur Déguisement reference campaigns fit the front-ends (500 users each, maxCount 10)', () => {
    const md = new MonsieurDeguisementStack(Testing.app(), 'md');
    const campaigns = referenceCampaigns(2027);
    const rules = md.frontendScaling;
    expect(rules.node.validate()).toEqual([]);
    // The Intl conversion agrees with the reference year's own EU daylight-saving rules, both ways.
    for (const c of campaigns) {
      expect([zonedTimeToUtc(c.localStart, MD_TIME_ZONE), zonedTimeToUtc(c.localEnd, MD_TIME_ZONE)]).toEqual([c.start, c.end]);
      expect([formatLocalDateTime(c.start, MD_TIME_ZONE), formatLocalDateTime(c.end, MD_TIME_ZONE)]).toEqual([c.localStart, c.localEnd]);
    }
    expect(rules.plan.scheduled.map((w) => [w.campaign, w.start, w.count])).toEqual(campaigns.map((c) => [c.name, c.start, Math.max(2, Math.ceil((c.peakConcurrentUsers * 1.2) / 500 - 1e-9))]));
    const halloween = rules.plan.scheduled.find((w) => w.campaign === 'halloween')!;
    expect(halloween.count).toBe(10); // 4,000 x 1.2 / 500 = 9.6
    expect(halloween.start).toEqual(utc('2027-09-30T22:00:00Z')); // 1 October 00:00 CEST
    expect(halloween.end).toEqual(utc('2027-10-31T23:00:00Z')); // 1 November 00:00 CET
    expect(rules.plan.countVariable).toBe('frontends_servers_count');
  });

  test('a tier built standalone with min < max works with the rules (AppTier, 1 .. 3)', () => {
    const s = scalableStack();
    const small = new AppTier(s.stack, 'Batch', { vswitch: s.vswitch, count: 1, minCount: 1, maxCount: 3, flavor: Flavor.fromSizing(APP_SIZING) });
    const rules = new ScalingRules(s.stack, 'BatchScaling', { tier: small });
    expect([rules.minCount, rules.baselineCount, rules.maxCount, rules.countVariable]).toEqual([1, 1, 3, 'batch_servers_count']);
  });
});
