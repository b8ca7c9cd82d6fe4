import { costBasisLabel, StackCost } from './stack-cost';

const money = (x: number): string => x.toFixed(2);
const cell = (x: string | number): string => String(x).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const row = (cells: readonly (string | number)[]): string => `| ${cells.map(cell).join(' | ')} |`;
const hours = (h: number): string => (Number.isInteger(h) ? String(h) : h.toFixed(2));
const unitPrice = (x: number): string => (x >= 1 ? x.toFixed(2) : x.toPrecision(3));

/**
 * `cost.md` of a stack: a month at the baseline line by line with its total, what is not priced and
 * why, each campaign's extra over the baseline (and by tier), and the assumptions. Every figure in
 * the currency and as of the date the heading names.
 */
export function renderCostTable(cost: StackCost): string {
  const out: string[] = [
    `# Monthly cost: ${cost.stack}`,
    '',
    `${costBasisLabel(cost)}; a month is ${cost.hoursPerMonth} h.`,
    '',
    '## A month at the baseline',
    '',
    row(['category', 'item', 'what', 'quantity', 'unit', `${cost.currency}/unit/month`, `${cost.currency}/month`, 'basis']),
    '|---|---|---|---:|---|---:|---:|---|',
    ...cost.lines.map((l) => row([l.category, l.item, l.what, l.quantity, l.unit, unitPrice(l.unitEurPerMonth), money(l.monthlyEur), l.basis])),
    row(['**total**', '', '', '', '', '', `**${money(cost.monthlyEur)}**`, '']),
    '',
    '## Not priced (not in the total)',
    '',
  ];
  if (cost.notPriced.length === 0) out.push('Nothing: every resource of the stack is priced or free.');
  else {
    out.push(row(['category', 'item', 'what', 'reason']), '|---|---|---|---|');
    out.push(...cost.notPriced.map((n) => row([n.category, n.item, n.what, n.reason])));
  }
  out.push('', '## Campaigns: what the peak costs over the baseline', '');
  if (cost.campaigns.length === 0) out.push('No campaign: no tier of the stack is scaled out on a schedule.');
  else {
    out.push(
      row(['campaign', 'month (UTC)', 'hours scaled out', 'extra instances', `extra ${cost.currency}`, `month total ${cost.currency}`]),
      '|---|---|---:|---:|---:|---:|',
      ...cost.campaigns.map((c) => row([c.campaign, c.month, hours(c.hours), c.extraInstances, money(c.extraEur), money(c.monthTotalEur)])),
      '',
      '### By tier',
      '',
      row(['campaign', 'tier', 'flavor', 'instances', 'scale-out (UTC)', 'scale-in (UTC)', 'hours', `${cost.currency}/instance-hour`, `extra ${cost.currency}`]),
      '|---|---|---|---|---|---|---:|---:|---:|',
      ...cost.campaignTiers.map((t) => row([t.campaign, t.tier, t.flavor, `${t.baselineCount} -> ${t.count}`, t.scaleOutAt, t.scaleInAt, hours(t.hours), t.eurPerInstanceHour.toFixed(5), money(t.extraEur)])),
    );
  }
  out.push('', '## Assumptions', '', ...cost.assumptions.map((a) => `- ${a}`), '');
  return out.join('\n');
}

/** `cost.json` of a stack: the {@link StackCost} as it is. */
export function renderCostJson(cost: StackCost): string {
  return `${JSON.stringify(cost, null, 2)}\n`;
}

/**
 * The compact table synth prints: per stack its baseline month, what it leaves unpriced, and each
 * campaign's extra and month total. The stacks must share one price table (currency and date).
 */
export function renderCostSummary(costs: readonly StackCost[]): string {
  if (costs.length === 0) return '';
  const basis = costBasisLabel(costs[0]);
  const out = [
    `Monthly cost (${basis}, ${costs[0].hoursPerMonth} h a month; details in cdktf.out/stacks/<stack>/cost.md)`,
    row(['stack', 'baseline / month', 'not priced', 'campaign', 'extra', 'campaign month']),
    '|---|---:|---:|---|---:|---:|',
  ];
  for (const c of costs) {
    const head = [c.stack, money(c.monthlyEur), c.notPriced.length ? `${c.notPriced.length} item(s)` : '-'];
    if (c.campaigns.length === 0) out.push(row([...head, '-', '', '']));
    c.campaigns.forEach((k, i) => out.push(row([...(i === 0 ? head : ['', '', '']), k.campaign, `+${money(k.extraEur)}`, money(k.monthTotalEur)])));
  }
  return `${out.join('\n')}\n`;
}
