/**
 * `npm run bench:synth`: how long synth takes in-process, with figures printed (never asserted on
 * time) against issue 11's targets:
 *
 * - each case-study stack alone, and every stack together (target: under 1 s together);
 * - Monsieur Déguisement at 10, 100 and 1,000 front-ends (targets: 100 under 0.8 s and within 4x
 *   raw cdktf; linear, t(1000)/t(100) at most 11);
 * - raw cdktf emitting the same Terraform JSON (every resource, data source, variable, output and
 *   local of the synthesized stack added as plain `TerraformResource`-level elements), the floor
 *   the library's own work is measured against.
 *
 * Each figure is the median of `--runs` (default 5) after one warm-up; the library and raw cdktf are
 * run in turns, and their ratio is the median of each turn's ratio. `--save FILE` writes the
 * figures as JSON; `--baseline FILE` prints each figure beside a saved run's (the same machine, the
 * same run of the benchmark before a change). The exit code is 2 on bad options, 0 otherwise.
 *
 * Every figure printed is appended to `figures/bench-synth.jsonl` (or the file `HS_FIGURES_FILE`
 * names; lib/core/figures.ts), one JSON line each, run `current`; with `--baseline`, the saved run's
 * figures too, run `baseline`, and each change against it (`<name> change`, %). Progress, a line per
 * measurement once the run has lasted 2 s, goes to stderr (`[bench:synth] step 3/9: synth runiso`).
 *
 *   npx tsx bench/synth.ts [--runs N] [--save FILE.json] [--baseline FILE.json]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { App, TerraformDataSource, TerraformLocal, TerraformOutput, TerraformResource, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { Flavor, HostingApp, HostingStack } from '../lib';
import { Figure, FigureLog, FigureRun } from '../lib/core/figures';
import { Progress } from '../lib/core/progress';
import { buildAllStacks } from '../stacks/all';
import { IpressoStack } from '../stacks/ipresso';
import { MonsieurDeguisementStack } from '../stacks/monsieur-deguisement';
import { PopgomStack } from '../stacks/popgom';
import { RunisoStack } from '../stacks/runiso';
import { SentineloStack } from '../stacks/sentinelo';

/**
 * Where the synthesized files go: memory (`/dev/shm`) when the machine has it, so that the figures
 * measure the synth and not the disk (a VM's disk can take a millisecond per directory made, which
 * at 100 front-ends' host configs is seconds); the OS temporary folder otherwise. Printed first.
 */
const OUTPUT_PARENT = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

interface Args {
  readonly runs: number;
  readonly save?: string;
  readonly baseline?: string;
}

/** One measured time, as `--save` writes it: what, milliseconds, and what it is compared with. */
interface Timing {
  readonly name: string;
  readonly ms: number;
  readonly note?: string;
}

function parseArgs(argv: readonly string[]): Args {
  let runs = 5;
  let save: string | undefined;
  let baseline: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--runs') {
      runs = Number(value());
      if (!Number.isInteger(runs) || runs < 1 || runs > 50) usage(`--runs must be an integer from 1 to 50, not '${argv[i]}'`);
    } else if (a === '--save') save = value();
    else if (a === '--baseline') baseline = value();
    else usage(`unknown option '${a}'`);
  }
  return { runs, save, baseline };
}

function usage(problem: string): never {
  process.stderr.write(`bench:synth: ${problem}\nusage: npx tsx bench/synth.ts [--runs N] [--save FILE.json] [--baseline FILE.json]\n`);
  process.exit(2);
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The median wall time of `runs` calls of `work` after one warm-up, in ms. */
/**
 * One timed call of `work`, in ms, writing into a fresh directory that is removed after the clock
 * stops: removing 15,000 host configs is not synth.
 */
function timeOnce(work: (outdir: string) => void): number {
  const outdir = mkdtempSync(join(OUTPUT_PARENT, 'bench-synth-'));
  try {
    const t0 = performance.now();
    work(outdir);
    return performance.now() - t0;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The median wall time of `runs` calls of `work` after one warm-up, in ms. */
function measure(runs: number, work: (outdir: string) => void): number {
  timeOnce(work);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(timeOnce(work));
  return median(times);
}

/**
 * `a` and `b` measured in turns (a, b, a, b ...) after a warm-up of each: their medians, and the
 * median of the ratios a/b of each turn. On a machine whose speed drifts (a shared VM), both of a
 * turn run at about the same speed, so the ratio holds where the two medians, taken minutes apart
 * one after the other, would not.
 */
function measurePaired(runs: number, a: (outdir: string) => void, b: (outdir: string) => void): { a: number; b: number; ratio: number } {
  timeOnce(a);
  timeOnce(b);
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < runs; i++) {
    as.push(timeOnce(a));
    bs.push(timeOnce(b));
  }
  return { a: median(as), b: median(bs), ratio: median(as.map((t, i) => t / bs[i])) };
}

/** Builds `build`'s stacks into a fresh HostingApp and synthesizes them into `outdir`. */
function synthLibrary(outdir: string, build: (app: HostingApp) => void): void {
  const app = new HostingApp({ outdir });
  build(app);
  app.synth();
}

type TerraformJson = Record<string, Record<string, Record<string, unknown>> | undefined>;

/**
 * Raw cdktf emitting `json`: a plain App and TerraformStack holding one element per block of the
 * synthesized Terraform, each with its body as an override. What cdktf itself costs to resolve and
 * write that much JSON, without any construct of the library.
 */
function synthRaw(outdir: string, json: TerraformJson): void {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'raw');
  const scope = new Construct(stack, 'S');
  let n = 0;
  const body = (el: { addOverride(path: string, value: unknown): void }, config: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(config)) el.addOverride(k, v);
  };
  for (const [type, blocks] of Object.entries(json.resource ?? {})) {
    for (const config of Object.values(blocks as Record<string, Record<string, unknown>>)) body(new TerraformResource(scope, `r${n++}`, { terraformResourceType: type }), config);
  }
  for (const [type, blocks] of Object.entries(json.data ?? {})) {
    for (const config of Object.values(blocks as Record<string, Record<string, unknown>>)) body(new TerraformDataSource(scope, `d${n++}`, { terraformResourceType: type }), config);
  }
  for (const [name, config] of Object.entries(json.variable ?? {})) new TerraformVariable(scope, name, config as Record<string, never>);
  for (const [name, config] of Object.entries(json.output ?? {})) new TerraformOutput(scope, name, { value: (config as { value: unknown }).value });
  for (const [name, value] of Object.entries(json.locals ?? {})) new TerraformLocal(scope, name, value);
  app.synth();
}

/**
 * The MD stack's props for `n` front-ends in its Terraform: half of them running, all of them
 * planned (a scalable tier's instances exist up to its maxCount, each with a count of 0 or 1).
 */
function mdFrontends(n: number) {
  // A database that holds every front-end's PHP-FPM connections (b3-16 holds about 30 front-ends';
  // r2-60, 60 GB on a 100 GB disk, about 100). No catalog flavor holds 1,000 front-ends' 56,000 on
  // a disk that restores within the case study's 15 minutes: a custom one stands in, since what is
  // measured is the synth.
  const databaseFlavor = n > 100 ? Flavor.custom({ name: 'bench-db-640', vcpus: 64, ramGb: 640, diskGb: 100 }) : n > 30 ? Flavor.named('r2-60') : undefined;
  return { frontendCount: Math.max(1, n / 2), frontendMaxCount: n, frontendAddressCapacity: Math.max(n, 10), databaseFlavor };
}

/** The Terraform JSON of the MD stack at `frontends` front-ends, and its resource count. */
function mdTerraform(frontends: number): { json: TerraformJson; resources: number; bytes: number } {
  const outdir = mkdtempSync(join(OUTPUT_PARENT, 'bench-json-'));
  try {
    const app = new HostingApp({ outdir });
    new MonsieurDeguisementStack(app, 'md', mdFrontends(frontends));
    app.synth();
    const text = readFileSync(join(outdir, 'stacks', 'md', 'cdk.tf.json'), 'utf8');
    const json = JSON.parse(text) as TerraformJson;
    const resources = Object.values(json.resource ?? {}).reduce((s, blocks) => s + Object.keys(blocks as object).length, 0);
    return { json, resources, bytes: text.length };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  process.env.CHECKPOINT_DISABLE = '1';
  process.stdout.write(`output written under ${OUTPUT_PARENT}\n`);
  const log = new FigureLog('bench:synth');
  const figures: Timing[] = [];
  /** Prints a timing's line; its figures are the timing and `more`, numbers the line holds too. */
  const add = (name: string, ms: number, note?: string, more: readonly Figure[] = []) => {
    figures.push({ name, ms, note });
    log.print(`${name.padEnd(34)} ${ms.toFixed(0).padStart(7)} ms${note ? `  ${note}` : ''}`, [{ name, value: ms, unit: 'ms', detail: note }, ...more]);
  };

  // Each stack of `npm run synth` (stacks/all.ts) alone, then all of them as `npm run synth` builds them.
  const stacks: [string, (app: HostingApp) => HostingStack][] = [
    ['sentinelo', (app) => new SentineloStack(app, 'sentinelo')],
    ['popgom', (app) => new PopgomStack(app, 'popgom')],
    ['runiso', (app) => new RunisoStack(app, 'runiso')],
    ['ipresso', (app) => new IpressoStack(app, 'ipresso')],
    ['monsieur-deguisement', (app) => new MonsieurDeguisementStack(app, 'monsieur-deguisement')],
  ];
  const allIds = buildAllStacks(new App()).map((s) => s.node.id);
  if (allIds.join() !== stacks.map(([id]) => id).join()) {
    throw new Error(`bench/synth.ts measures ${stacks.map(([id]) => id).join(', ')} but stacks/all.ts builds ${allIds.join(', ')}: add the new stack here`);
  }
  const sizes = [10, 100, 1000];
  // A step per measurement: a stack alone, every stack, each size of MD (the last takes tens of seconds).
  const progress = new Progress('bench:synth', { total: stacks.length + 1 + sizes.length });
  for (const [name, build] of stacks) {
    progress.started(`synth ${name}, ${args.runs} runs`);
    add(`synth ${name}`, measure(args.runs, (outdir) => synthLibrary(outdir, (app) => build(app))));
  }
  progress.started(`synth every stack, ${args.runs} runs`);
  const all = measure(args.runs, (outdir) => synthLibrary(outdir, (app) => buildAllStacks(app)));
  add('synth every stack', all, `${stacks.length} stacks; target < 1000 ms: ${all < 1000 ? 'met' : 'NOT met'}`);

  const byCount = new Map<number, number>();
  for (const frontends of sizes) {
    progress.started(`synth md at ${frontends} front-ends and raw cdktf, ${args.runs} paired runs`);
    let shape: ReturnType<typeof mdTerraform>;
    try {
      shape = mdTerraform(frontends);
    } catch (e) {
      process.stdout.write(`${`md at ${frontends} front-ends`.padEnd(34)}  not built: ${(e as Error).message.split('\n')[0]}\n`);
      continue;
    }
    const { a: lib, b: raw, ratio } = measurePaired(
      args.runs,
      (outdir) => synthLibrary(outdir, (app) => new MonsieurDeguisementStack(app, 'md', mdFrontends(frontends))),
      (outdir) => synthRaw(outdir, shape.json),
    );
    byCount.set(frontends, lib);
    const targets = frontends === 100 ? `; targets < 800 ms: ${lib < 800 ? 'met' : 'NOT met'}, within 4x raw: ${ratio <= 4 ? 'met' : 'NOT met'}` : '';
    const md = `md at ${frontends} front-ends`;
    add(`synth ${md}`, lib, `${shape.resources} resources, ${(shape.bytes / 1e6).toFixed(2)} MB; raw cdktf ${raw.toFixed(0)} ms, ${ratio.toFixed(1)}x (median of paired runs)${targets}`, [
      { name: `${md} resources`, value: shape.resources, unit: 'resources' },
      { name: `${md} Terraform JSON`, value: shape.bytes / 1e6, unit: 'MB' },
      { name: `${md} library to raw cdktf`, value: ratio, unit: 'x', detail: `median of ${args.runs} paired runs${targets}` },
    ]);
    add(`raw cdktf, md at ${frontends}`, raw);
  }
  const t100 = byCount.get(100);
  const t1000 = byCount.get(1000);
  if (t100 !== undefined && t1000 !== undefined) {
    const r = t1000 / t100;
    const target = `target <= 11: ${r <= 11 ? 'met' : 'NOT met'}`;
    log.print(`linearity t(1000)/t(100) = ${r.toFixed(1)}  ${target}`, { name: 'linearity t(1000)/t(100)', value: r, unit: 'x', detail: target });
  } else {
    process.stdout.write('linearity t(1000)/t(100): not measured (a size was not built)\n');
  }

  if (args.baseline) {
    const base = JSON.parse(readFileSync(args.baseline, 'utf8')) as { date?: string; figures: Timing[] };
    process.stdout.write(`\nagainst ${args.baseline}:\n`);
    const from = `from ${args.baseline}${base.date ? ` (${base.date})` : ''}`;
    for (const f of figures) {
      const b = base.figures.find((x) => x.name === f.name);
      const change = b ? ((f.ms - b.ms) / b.ms) * 100 : undefined;
      const line = `${f.name.padEnd(34)} ${f.ms.toFixed(0).padStart(7)} ms  baseline ${b ? `${b.ms.toFixed(0)} ms (${change!.toFixed(0)} %)` : 'none'}`;
      // This run's figure is in the file already; the saved run's is recorded beside it, labelled.
      log.print(line, change === undefined ? [] : [{ name: `${f.name} change`, value: change, unit: '%', detail: `against the baseline ${from}` }]);
      if (b) log.record({ name: b.name, value: b.ms, unit: 'ms', detail: b.note ? `${b.note}; ${from}` : from }, FigureRun.BASELINE);
    }
  }
  if (args.save) writeFileSync(args.save, `${JSON.stringify({ date: new Date().toISOString(), runs: args.runs, figures }, null, 2)}\n`);
  process.stderr.write(`bench:synth: figures appended to ${log.file}\n`);
}

main();
