/**
 * Every case-study stack writes cost.md and cost.json next to its Terraform, and their figures add
 * up: the month is the sum of its lines, a campaign the sum of its tiers, a campaign month the
 * baseline plus the campaigns starting that month.
 */
import { Testing } from 'cdktf';
import { HostingStack } from '../../lib';
import { COST_JSON_FILE, COST_TABLE_FILE, StackCost } from '../../lib/cost/stack-cost';
import { buildAllStacks } from '../../stacks/all';

const stacks: HostingStack[] = buildAllStacks(Testing.app());
const cents = (x: number): number => Math.round(x * 100);

describe.each(stacks.map((s) => [s.node.id, s] as const))('stack %s', (id, stack) => {
  const artifacts = new Map(stack.renderArtifacts([COST_JSON_FILE, COST_TABLE_FILE]).map((a) => [a.path, a.content]));
  const cost = JSON.parse(artifacts.get(COST_JSON_FILE)!) as StackCost;

  test('writes cost.md and cost.json, both with the currency and the price table date', () => {
    expect([...artifacts.keys()].sort()).toEqual([COST_JSON_FILE, COST_TABLE_FILE]);
    expect([cost.stack, cost.currency, cost.vat, cost.pricesAsOf, cost.hoursPerMonth]).toEqual([id, 'EUR', 'excluded', '2026-08-14', 730]);
    expect(artifacts.get(COST_TABLE_FILE)).toContain('EUR excl. VAT, prices as of 2026-08-14');
    expect(artifacts.get(COST_TABLE_FILE)).toContain(`**${cost.monthlyEur.toFixed(2)}**`);
  });

  test('its month is the sum of its lines, each line its quantity times its unit price', () => {
    expect(cost.lines.length).toBeGreaterThan(0);
    expect(cents(cost.monthlyEur)).toBe(cost.lines.reduce((sum, l) => sum + cents(l.monthlyEur), 0));
    for (const l of cost.lines) expect([l.item, l.what, cents(l.monthlyEur)]).toEqual([l.item, l.what, cents(l.quantity * l.unitEurPerMonth)]);
  });

  test('prices every server of the stack (each cluster at its baseline count)', () => {
    const servers = stack.hosts.filter((h) => !h.conditional || h.index < h.cluster.count).length;
    expect(cost.lines.filter((l) => l.unit === 'instance').reduce((n, l) => n + l.quantity, 0)).toBe(servers);
  });

  test('each campaign is the sum of its tiers, and its month the baseline plus the campaigns starting then', () => {
    for (const c of cost.campaigns) {
      const tiers = cost.campaignTiers.filter((t) => t.campaign === c.campaign);
      expect(tiers.length).toBeGreaterThan(0);
      expect([c.campaign, cents(c.extraEur)]).toEqual([c.campaign, tiers.reduce((sum, t) => sum + cents(t.extraEur), 0)]);
      const sameMonth = cost.campaigns.filter((o) => o.month === c.month);
      expect([c.campaign, cents(c.monthTotalEur)]).toEqual([c.campaign, cents(cost.monthlyEur) + sameMonth.reduce((sum, o) => sum + cents(o.extraEur), 0)]);
    }
  });
});

test('the stacks that follow a campaign calendar (Runiso, Monsieur Déguisement) show what each campaign adds', () => {
  const withCampaigns = stacks.filter((s) => s.cost.campaigns.length > 0).map((s) => s.node.id);
  expect(withCampaigns).toEqual(['runiso', 'monsieur-deguisement']);
});
