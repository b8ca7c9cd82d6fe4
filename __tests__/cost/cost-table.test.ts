/** cost.md, cost.json and the synth summary: pure functions of a plain {@link StackCost}. */
import { renderCostJson, renderCostSummary, renderCostTable } from '../../lib/cost/cost-table';
import { CostCategory, StackCost } from '../../lib/cost/stack-cost';

function model(overrides: Partial<StackCost> = {}): StackCost {
  return {
    stack: 'shop',
    currency: 'EUR',
    vat: 'excluded',
    pricesAsOf: '2026-08-14',
    hoursPerMonth: 730,
    lines: [
      { category: CostCategory.INSTANCES, item: 'shop/Web', what: 'b3-8', quantity: 2, unit: 'instance', unitEurPerMonth: 37.376, monthlyEur: 74.75, basis: '0.0512/h x 730 h' },
      { category: CostCategory.BLOCK_STORAGE, item: 'shop/Web', what: 'boot volumes | classic', quantity: 100, unit: 'GB', unitEurPerMonth: 0.04, monthlyEur: 4, basis: '0.04/month/GB' },
    ],
    monthlyEur: 78.75,
    notPriced: [{ category: CostCategory.OTHER, item: 'shop/Media', what: 'File Storage share', reason: 'no File Storage price' }],
    campaigns: [{ campaign: 'black-friday', month: '2027-11', hours: 49, extraInstances: 6, extraEur: 15.92, monthTotalEur: 94.67 }],
    campaignTiers: [{
      campaign: 'black-friday', tier: 'shop/App', flavor: 'b3-8', baselineCount: 2, count: 8, extraInstances: 6,
      scaleOutAt: '2027-11-21T23:00:00.000Z', scaleInAt: '2027-11-24T00:00:00.000Z', hours: 49, eurPerInstanceHour: 0.05415, extraEur: 15.92,
    }],
    assumptions: ['A month is 730 h.'],
    ...overrides,
  };
}

describe('renderCostTable', () => {
  test('given a cost, then the heading names the currency, VAT and the price date, and each line is a row with the total', () => {
    const md = renderCostTable(model());
    expect(md.split('\n').slice(0, 3)).toEqual(['# Monthly cost: shop', '', 'EUR excl. VAT, prices as of 2026-08-14; a month is 730 h.']);
    expect(md).toContain('| instances | shop/Web | b3-8 | 2 | instance | 37.38 | 74.75 | 0.0512/h x 730 h |');
    // A '|' in a cell is escaped, so the row keeps its columns.
    expect(md).toContain('| block-storage | shop/Web | boot volumes \\| classic | 100 | GB | 0.0400 | 4.00 | 0.04/month/GB |');
    expect(md).toContain('| **total** |  |  |  |  |  | **78.75** |  |');
  });

  test('given what is not priced, campaigns and assumptions, then each has its section', () => {
    const md = renderCostTable(model());
    expect(md).toContain('| other | shop/Media | File Storage share | no File Storage price |');
    expect(md).toContain('| black-friday | 2027-11 | 49 | 6 | 15.92 | 94.67 |');
    expect(md).toContain('| black-friday | shop/App | b3-8 | 2 -> 8 | 2027-11-21T23:00:00.000Z | 2027-11-24T00:00:00.000Z | 49 | 0.05415 | 15.92 |');
    expect(md).toContain('## Assumptions\n\n- A month is 730 h.\n');
  });

  test('given nothing unpriced and no campaign, then the sections say so', () => {
    const md = renderCostTable(model({ notPriced: [], campaigns: [], campaignTiers: [] }));
    expect(md).toContain('Nothing: every resource of the stack is priced or free.');
    expect(md).toContain('No campaign: no tier of the stack is scaled out on a schedule.');
  });
});

describe('renderCostJson', () => {
  test('given a cost, then the JSON reads back as the same cost', () => {
    const cost = model();
    expect(JSON.parse(renderCostJson(cost))).toEqual(cost);
  });
});

describe('renderCostSummary', () => {
  test('given two stacks, then one row per campaign with its extra and month total, a stack without campaigns on one row', () => {
    const text = renderCostSummary([model(), model({ stack: 'blog', monthlyEur: 10.5, notPriced: [], campaigns: [], campaignTiers: [] })]);
    expect(text.split('\n')).toEqual([
      'Monthly cost (EUR excl. VAT, prices as of 2026-08-14, 730 h a month; details in cdktf.out/stacks/<stack>/cost.md)',
      '| stack | baseline / month | not priced | campaign | extra | campaign month |',
      '|---|---:|---:|---|---:|---:|',
      '| shop | 78.75 | 1 item(s) | black-friday | +15.92 | 94.67 |',
      '| blog | 10.50 | - | - |  |  |',
      '',
    ]);
  });

  test('given no stack, then nothing is printed', () => {
    expect(renderCostSummary([])).toBe('');
  });
});
