/**
 * `npm run bench:migrate`: how much shorter the client databases' update is in parallel than one
 * after another (case study 4: more than 60 % shorter), figures printed, never asserted on time.
 *
 * A MariaDB of its own on 127.0.0.1 under the option file the iPresso stack renders for a database
 * host, `--clients` client databases (default 50) made by the runner's `add-client` and brought to a
 * base step of 2,000 contacts; then, `--runs` times (default 3), the same release of five steps (a
 * snapshot of each database first) applied one after another (`--serial`) and in parallel (`--parallel`
 * at once per host, default 4, on two hosts), the release undone between runs. Prints the median of
 * each, the saving, and the bound this machine puts on it: an update that keeps a core busy saves at
 * most 1 - 1/cores (50 % on 2 cores), whatever the runner does; the document's figure needs the
 * waits of a cloud volume (`--flush-us`, as the lab gives them) or the cores of a database host
 * (r3-64: 8).
 *
 *   npx tsx bench/client-migrate.ts [--clients N] [--runs N] [--parallel N] [--flush-us N]
 *
 * `--flush-us` makes each of MariaDB's flushes wait that many microseconds more, as a cloud volume's
 * do (__tests__/support/flush-latency.ts; the lab uses LAB_VOLUME_FLUSH_MS): the saving depends on it
 * (here: about 46 % at 0, 73 % at 2,000).
 *
 * Every figure printed is appended to `figures/bench-migrate.jsonl` (or the file `HS_FIGURES_FILE`
 * names; lib/core/figures.ts), one JSON line each: each run and the median of `one after another`
 * (the baseline the same run measures) and of `in parallel`, the saving and this machine's bound.
 * Progress goes to stderr once the run has lasted 2 s (`[bench:migrate] step 4/5: run 1/3, one after another`).
 *
 * Needs root and Debian's MariaDB (`scripts/install-test-deps.sh`). Exit code 2 on bad options, 1 when a
 * run fails, 0 otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { IPRESSO_PARALLEL_UPDATE_SAVING } from '../stacks/ipresso';
import { Figure, FigureLog } from '../lib/core/figures';
import { Progress } from '../lib/core/progress';
import { clientNames, measureReleaseBothWays, prepareClientRelease, startClientDatabasesFixture } from '../__tests__/support/client-databases-fixture';

function option(name: string, fallback: number, min: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`--${name} must be an integer from ${min} to ${max}`);
    process.exit(2);
  }
  return value;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<number> {
  const clients = option('clients', 50, 2, 500);
  const runs = option('runs', 3, 1, 20);
  const parallel = option('parallel', 4, 1, 64);
  const flushUs = option('flush-us', 0, 0, 100_000);
  const log = new FigureLog('bench:migrate');
  // Steps: the database, the clients and their base step, then each run (one after another, then in parallel).
  const progress = new Progress('bench:migrate', { total: 2 + runs });
  const dir = mkdtempSync(join(tmpdir(), 'hs-bench-migrate-'));
  progress.started('starting MariaDB');
  const fx = await startClientDatabasesFixture(dir, { parallel, maxClientsPerHost: clients, flushLatency: flushUs > 0 });
  try {
    const names = clientNames(clients);
    progress.started(`adding ${clients} client databases and their base step`);
    prepareClientRelease(fx, names);
    const serial: number[] = [];
    const inParallel: number[] = [];
    for (let i = 0; i < runs; i++) {
      progress.started(`run ${i + 1}/${runs}: one after another, then ${parallel} at once per host`);
      const pair = measureReleaseBothWays(fx, names, flushUs / 1000);
      serial.push(pair.serial);
      inParallel.push(pair.parallel);
    }
    const cores = availableParallelism();
    const saving = 1 - median(inParallel) / median(serial);
    const setup = `${clients} clients, release of 5 steps, flushes ${flushUs / 1000} ms longer`;
    /** A median's figure and each run's, named `<name> median` and `<name> run <n>`. */
    const timings = (name: string, xs: readonly number[]): Figure[] => [
      { name: `${name} median`, value: median([...xs]), unit: 's', detail: `${setup}, ${xs.length} runs` },
      ...xs.map((x, i) => ({ name: `${name} run ${i + 1}`, value: x, unit: 's', detail: setup })),
    ];
    console.log(`clients ${clients}, release of 5 steps (a snapshot of each database first), ${runs} runs, each flush ${flushUs / 1000} ms longer, medians:`);
    log.print(`  one after another: ${median(serial).toFixed(2)} s (${serial.map((x) => x.toFixed(2)).join(', ')})`, timings('one after another', serial));
    log.print(`  ${parallel} at once per host on 2 hosts: ${median(inParallel).toFixed(2)} s (${inParallel.map((x) => x.toFixed(2)).join(', ')})`, timings('in parallel', inParallel).map((f) => ({ ...f, detail: `${f.detail}, ${parallel} at once per host on 2 hosts` })));
    log.print(`  saving: ${(saving * 100).toFixed(0)} % (case study 4: more than ${IPRESSO_PARALLEL_UPDATE_SAVING * 100} %); this machine's bound for an update that keeps a core busy: ${((1 - 1 / cores) * 100).toFixed(0)} % (${cores} cores)`, [
      { name: 'saving', value: saving * 100, unit: '%', detail: `in parallel against one after another; case study 4: more than ${IPRESSO_PARALLEL_UPDATE_SAVING * 100} %` },
      { name: 'bound of this machine', value: (1 - 1 / cores) * 100, unit: '%', detail: `an update that keeps a core busy saves at most 1 - 1/cores (${cores} cores)` },
    ]);
    console.error(`bench:migrate: figures appended to ${log.file}`);
    return 0;
  } finally {
    await fx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (e) => {
  console.error((e as Error).message);
  process.exit(1);
});
