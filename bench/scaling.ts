/**
 * `npm run bench:scaling`: replays the reference year of Monsieur Déguisement traffic (case study 5)
 * against the front-ends provisioned for the peak all year, and against the scaling rules (campaign
 * windows with pre-warm plus a reactive CPU rule), and prints both side by side with the targets of
 * issue 4: at least 40 % fewer instance-hours, zero minutes under capacity. Writes SVG charts to
 * bench-results/. Figures, not a timed test; the exit code is 1 when a target fails, 2 on bad options.
 *
 * Every figure printed is appended to `figures/bench-scaling.jsonl` (or the file `HS_FIGURES_FILE`
 * names; lib/core/figures.ts), one JSON line each, run `current`, named `<plan> <what>` (`static
 * instance-hours`, `rules minutes under capacity`, `reactive only peak utilisation`); with
 * `--baseline`, the saved run's figures too, run `baseline`. The run takes seconds: it prints no
 * progress unless a step starts after 2 s (`[bench:scaling] step 3/5: ...` on stderr).
 *
 *   npx tsx bench/scaling.ts [--resolution 1|60] [--seed N] [--year N] [--out DIR]
 *                            [--save FILE.json] [--baseline FILE.json]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { performance } from 'perf_hooks';
import { HostingApp } from '../lib/stack/hosting-stack';
import { Figure, FigureLog, FigureRun } from '../lib/core/figures';
import { Progress } from '../lib/core/progress';
import { OVH_FLAVOR_CATALOG } from '../lib/compute/flavor';
import { TraceResolutionMinutes } from '../lib/scaling/demand-trace';
import { MD_REFERENCE_SEED, MD_REFERENCE_YEAR, generateReferenceYear, referenceCampaigns } from '../stacks/reference-year';
import { TierScalingPlan } from '../lib/scaling/scaling-model';
import { SimulationResult, simulate, staticPlanForPeak } from '../lib/scaling/simulator';
import { renderDemandChart } from '../lib/scaling/svg-chart';
import { MonsieurDeguisementStack } from '../stacks/monsieur-deguisement';

/** Fewer instance-hours the rules must achieve than static provisioning for the peak (issue 4). */
const TARGET_REDUCTION = 0.4;
/** Minutes under capacity the rules may cause (issue 4). */
const TARGET_UNDER_CAPACITY_MINUTES = 0;

interface Args {
  resolution: TraceResolutionMinutes;
  seed: number;
  year: number;
  out: string;
  save?: string;
  baseline?: string;
}

/** Figures saved by --save and compared by --baseline. */
interface SavedFigures {
  readonly seed: number;
  readonly year: number;
  readonly resolutionMinutes: number;
  readonly static: Figures;
  readonly rules: Figures;
  readonly reductionPercent: number;
}

interface Figures {
  readonly instanceHours: number;
  readonly costEur: number | null;
  readonly minutesUnderCapacity: number;
  readonly peakUtilisation: number;
  readonly peakInstances: number;
  readonly scalingEvents: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { resolution: 1, seed: MD_REFERENCE_SEED, year: MD_REFERENCE_YEAR, out: 'bench-results' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`bench:scaling: '${flag}' needs a value`);
    i++;
    switch (flag) {
      case '--resolution':
        if (value !== '1' && value !== '60') throw new Error(`bench:scaling: '--resolution' ('${value}') must be 1 or 60`);
        args.resolution = value === '1' ? 1 : 60;
        break;
      case '--seed':
      case '--year': {
        const n = Number(value);
        if (!Number.isInteger(n)) throw new Error(`bench:scaling: '${flag}' ('${value}') must be an integer`);
        if (flag === '--seed') args.seed = n;
        else args.year = n;
        break;
      }
      case '--out':
        args.out = value;
        break;
      case '--save':
        args.save = value;
        break;
      case '--baseline':
        args.baseline = value;
        break;
      default:
        throw new Error(`bench:scaling: unknown option '${flag}' (--resolution, --seed, --year, --out, --save, --baseline)`);
    }
  }
  return args;
}

/** The front-ends' compiled scaling plan: the Monsieur Déguisement stack's own ScalingRules, so what is simulated is what is deployed. */
function rulesPlan(year: number): { plan: TierScalingPlan; source: string } {
  const stack = new MonsieurDeguisementStack(new HostingApp(), 'monsieur-deguisement', { campaignYear: year });
  return { plan: stack.frontendScaling.plan, source: `the stack's own ScalingRules (${stack.frontendScaling.node.path}), campaigns of ${year}` };
}

function figures(r: SimulationResult): Figures {
  return {
    instanceHours: round(r.instanceHours, 2),
    costEur: r.costEur === undefined ? null : round(r.costEur, 2),
    minutesUnderCapacity: r.minutesUnderCapacity,
    peakUtilisation: round(r.peakUtilisation, 4),
    peakInstances: r.peakInstances,
    scalingEvents: r.events.length,
  };
}

function round(v: number, digits: number): number {
  const p = 10 ** digits;
  return Math.round(v * p) / p;
}

function int(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Aligns rows: the first column and cells starting with '|' to the left, the others to the right. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const cell = (text: string, c: number): string => (c === 0 || text.startsWith('|') ? text.padEnd(widths[c]) : text.padStart(widths[c]));
  return rows.map((r) => r.map(cell).join('   ').trimEnd()).join('\n');
}

/** The figures of one plan's simulation, named `<plan> <what>`, as the table prints them. */
function planFigures(plan: string, r: SimulationResult): Figure[] {
  return [
    { name: `${plan} instance-hours`, value: r.instanceHours, unit: 'instance-hours' },
    ...(r.costEur === undefined ? [] : [{ name: `${plan} cost per year`, value: r.costEur, unit: 'EUR', detail: 'excl. VAT' }]),
    { name: `${plan} minutes under capacity`, value: r.minutesUnderCapacity, unit: 'min' },
    { name: `${plan} peak utilisation`, value: r.peakUtilisation * 100, unit: '%' },
    { name: `${plan} most front-ends at once`, value: r.peakInstances, unit: 'front-ends' },
    { name: `${plan} average front-ends`, value: r.instanceHours / (r.minutes / 60), unit: 'front-ends' },
    { name: `${plan} scaling events`, value: r.events.length, unit: 'events' },
  ];
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const log = new FigureLog('bench:scaling');
  const progress = new Progress('bench:scaling', { total: 5 });

  progress.started('the reference year');
  let t = performance.now();
  const trace = generateReferenceYear({ seed: args.seed, year: args.year, resolutionMinutes: args.resolution });
  const generateMs = performance.now() - t;

  const { plan: rules, source } = rulesPlan(args.year);
  const staticPlan = staticPlanForPeak(rules, trace);

  progress.started('static for the peak');
  t = performance.now();
  const staticRun = simulate(staticPlan, trace);
  const staticMs = performance.now() - t;
  progress.started('the scaling rules');
  t = performance.now();
  const rulesRun = simulate(rules, trace);
  const rulesMs = performance.now() - t;
  // For information: the same rules without campaign windows, to show what the windows insure against.
  progress.started('the reactive rules only');
  const reactiveOnlyRun = simulate({ ...rules, scheduled: [] }, trace);

  const reduction = 1 - rulesRun.instanceHours / staticRun.instanceHours;
  const costReduction = staticRun.costEur && rulesRun.costEur !== undefined ? 1 - rulesRun.costEur / staticRun.costEur : undefined;
  const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
  const eur = (v: number | undefined): string => (v === undefined ? 'n/a' : `${int(v)} EUR`);

  const steps = trace.users.length;
  console.log(`Monsieur Déguisement front-ends (${rules.tier}), reference year ${args.year}, seed ${args.seed}`);
  log.print(`Trace: ${int(steps)} steps of ${args.resolution} min from ${trace.start.toISOString()}, peak ${int(rulesRun.peakUsers)} concurrent users`, [
    { name: 'trace steps', value: steps, unit: 'steps', detail: `of ${args.resolution} min` },
    { name: 'trace peak concurrent users', value: rulesRun.peakUsers, unit: 'users' },
  ]);
  console.log(`Plan: ${source}`);
  console.log(`Capacity: ${rules.capacity.usersPerInstance} users per front-end, ${rules.capacity.headroom * 100} % headroom, ${rules.capacity.bootMinutes} min boot, ${rules.minCount} to ${rules.maxCount} front-ends (${rules.baselineCount} outside campaigns); `
    + `flavor ${rules.flavor.name} at ${rules.flavor.eurPerHour ?? '?'} EUR/h excl. VAT (OVHcloud catalog as of ${OVH_FLAVOR_CATALOG.asOf}, data/ovh-flavors.json)`);
  console.log('Campaign windows:');
  for (const w of rules.scheduled) {
    console.log(`  ${w.campaign.padEnd(13)} ${w.count} front-ends from ${w.scaleOutAt.toISOString()} to ${w.scaleInAt.toISOString()} (peak ${int(w.peakConcurrentUsers)} users)`);
  }
  for (const r of rules.reactive) {
    console.log(`Reactive rule: ${r.metric} > ${r.scaleOutThreshold} for ${r.evaluationMinutes} min: +${r.scaleOutStep} (cooldown ${r.scaleOutCooldownMinutes} min); `
      + `< ${r.scaleInThreshold} for ${r.stabilisationMinutes} min: -${r.scaleInStep} (cooldown ${r.scaleInCooldownMinutes} min)`);
  }
  console.log('');
  const hours = rulesRun.minutes / 60;
  const o = reactiveOnlyRun;
  log.print(table([
    ['', `static for the peak (${staticPlan.baselineCount})`, 'scaling rules', 'change', '| reactive rules only (information)'],
    ['instance-hours', int(staticRun.instanceHours), int(rulesRun.instanceHours), `-${pct(reduction)}`, `| ${int(o.instanceHours)}`],
    ['cost per year', eur(staticRun.costEur), eur(rulesRun.costEur), costReduction === undefined ? 'n/a' : `-${pct(costReduction)}`, `| ${eur(o.costEur)}`],
    ['minutes under capacity', int(staticRun.minutesUnderCapacity), int(rulesRun.minutesUnderCapacity), '', `| ${int(o.minutesUnderCapacity)}`],
    ['peak utilisation', pct(staticRun.peakUtilisation), pct(rulesRun.peakUtilisation), '', `| ${pct(o.peakUtilisation)}`],
    ['most front-ends at once', String(staticRun.peakInstances), String(rulesRun.peakInstances), '', `| ${o.peakInstances}`],
    ['average front-ends', (staticRun.instanceHours / hours).toFixed(2), (rulesRun.instanceHours / hours).toFixed(2), '', `| ${(o.instanceHours / hours).toFixed(2)}`],
    ['scaling events', String(staticRun.events.length), String(rulesRun.events.length), '', `| ${o.events.length}`],
  ]), [
    ...planFigures('static', staticRun), ...planFigures('rules', rulesRun), ...planFigures('reactive only', o),
    { name: 'rules instance-hours reduction', value: reduction * 100, unit: '%', detail: 'against static for the peak' },
    ...(costReduction === undefined ? [] : [{ name: 'rules cost reduction', value: costReduction * 100, unit: '%', detail: 'against static for the peak' }]),
  ]);
  console.log('');
  const reductionOk = reduction >= TARGET_REDUCTION;
  const underOk = rulesRun.minutesUnderCapacity <= TARGET_UNDER_CAPACITY_MINUTES;
  console.log(`Target: >= ${TARGET_REDUCTION * 100} % fewer instance-hours: ${reductionOk ? 'HOLDS' : 'FAILS'} (${pct(reduction)})`);
  console.log(`Target: ${TARGET_UNDER_CAPACITY_MINUTES} minutes under capacity: ${underOk ? 'HOLDS' : 'FAILS'} (${int(rulesRun.minutesUnderCapacity)} min)`);
  if (!reductionOk || !underOk) process.exitCode = 1;
  const kinds = new Map<string, number>();
  for (const e of rulesRun.events) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
  console.log(`Rules' events: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  log.print(`Runtime: generator ${generateMs.toFixed(0)} ms, simulator ${staticMs.toFixed(0)} ms (static) and ${rulesMs.toFixed(0)} ms (rules) for ${int(steps)} steps`, [
    { name: 'runtime generator', value: generateMs, unit: 'ms' },
    { name: 'runtime simulator static', value: staticMs, unit: 'ms', detail: `${steps} steps` },
    { name: 'runtime simulator rules', value: rulesMs, unit: 'ms', detail: `${steps} steps` },
  ]);

  progress.started('the charts');
  mkdirSync(args.out, { recursive: true });
  const halloween = referenceCampaigns(args.year).find((c) => c.name === 'halloween');
  const charts: [string, string][] = [
    ['scaling-static.svg', renderDemandChart(staticRun, { title: `Static for the peak: ${staticPlan.baselineCount} front-ends all year ${args.year}` })],
    ['scaling-rules.svg', renderDemandChart(rulesRun, { title: `Scaling rules: campaign windows + CPU rule, ${args.year}` })],
  ];
  if (halloween) {
    const peakDay = new Date(halloween.peakAt.getTime() - 20 * 3_600_000);
    charts.push(['scaling-rules-halloween-peak-day.svg', renderDemandChart(rulesRun, { title: 'Scaling rules: Halloween peak day', from: peakDay, to: new Date(peakDay.getTime() + 24 * 3_600_000) })]);
  }
  const quietWeek = new Date(Date.UTC(args.year, 4, 10));
  charts.push(['scaling-rules-may-week.svg', renderDemandChart(rulesRun, { title: 'Scaling rules: a week in May (reactive rule only)', from: quietWeek, to: new Date(quietWeek.getTime() + 7 * 86_400_000) })]);
  for (const [name, svg] of charts) writeFileSync(join(args.out, name), svg);
  console.log(`Charts: ${charts.map(([n]) => join(args.out, n)).join(', ')}`);

  const saved: SavedFigures = {
    seed: args.seed,
    year: args.year,
    resolutionMinutes: args.resolution,
    static: figures(staticRun),
    rules: figures(rulesRun),
    reductionPercent: round(reduction * 100, 2),
  };
  if (args.baseline) {
    const base = JSON.parse(readFileSync(args.baseline, 'utf8')) as SavedFigures;
    console.log('');
    console.log(`Against ${args.baseline} (seed ${base.seed}, year ${base.year}, ${base.resolutionMinutes} min):`);
    const diff = (a: number, b: number): string => `${b >= a ? '+' : ''}${round(b - a, 2)}`;
    // The rows: a figure's name in the file, the baseline's and this run's value, its unit.
    const rows: [string, number, number, string][] = [
      ['rules instance-hours', base.rules.instanceHours, saved.rules.instanceHours, 'instance-hours'],
      ['rules minutes under capacity', base.rules.minutesUnderCapacity, saved.rules.minutesUnderCapacity, 'min'],
      ['static instance-hours', base.static.instanceHours, saved.static.instanceHours, 'instance-hours'],
      ['rules instance-hours reduction', base.reductionPercent, saved.reductionPercent, '%'],
    ];
    const from = `from ${args.baseline} (seed ${base.seed}, year ${base.year}, ${base.resolutionMinutes} min)`;
    log.print(table([
      ['', 'baseline', 'now', 'difference'],
      ...rows.map(([name, b, now, unit]) => [unit === '%' ? 'reduction %' : name, unit === '%' ? b.toFixed(2) : int(b), unit === '%' ? now.toFixed(2) : int(now), diff(b, now)]),
    ]), rows.map(([name, b, now, unit]) => ({ name: `${name} difference`, value: round(now - b, 2), unit, detail: `against the baseline ${from}` })));
    log.record(rows.map(([name, b, , unit]) => ({ name, value: b, unit, detail: from })), FigureRun.BASELINE);
  }
  if (args.save) {
    writeFileSync(args.save, `${JSON.stringify(saved, null, 2)}\n`);
    console.log(`Saved the figures to ${args.save}`);
  }
  console.error(`bench:scaling: figures appended to ${log.file}`);
}

try {
  main();
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 2;
}
