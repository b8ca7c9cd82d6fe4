/**
 * The test suite's figures: every `FIGURE` line a test prints goes through one {@link FigureLog} of
 * command `test`, printed with `console.log` as before (jest shows it beside its test) and appended
 * to `figures/test.jsonl` (or the file `HS_FIGURES_FILE` names). Jest's workers append to the same
 * file, a line at a time.
 */
import { Figure, FigureLog } from '../../lib/core/figures';

let log: FigureLog | undefined;

/** The suite's figure log (made on first use, so that `HS_FIGURES_FILE` set by a test's setup counts). */
export function testFigures(): FigureLog {
  return log ??= new FigureLog('test', { print: (text) => console.log(text) });
}

/**
 * Prints a `FIGURE <test> <line>` line through the suite's figure log. A number that could not be
 * measured (a rate over a run of no duration, a ratio to a median of 0) is not finite: it stays in
 * the text as printed (NaN, Infinity) and is left out of the figures file, where FigureLog would
 * refuse it.
 */
export function printTestFigure(test: string, line: string, figures: readonly Figure[]): void {
  testFigures().print(`FIGURE ${test} ${line}`, figures.filter((f) => Number.isFinite(f.value)));
}

/** What a wrk run behind a balancer counted (the behaviour tests' wrk scripts). */
export interface WrkRunCounts {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers from the pool. */
  readonly pool: number;
  /** Answers from the mini-site. */
  readonly mini: number;
  /** Other answers. */
  readonly other: number;
  /** Answers from the cache, where the test counts them. */
  readonly cached?: number;
  readonly non2xx: number;
  readonly socketErrors: number;
}

/** A wrk run's line: its counts, rate and latencies, each a figure named `<test> <name> <what>`. */
export function printWrkRunFigure(test: string, name: string, r: WrkRunCounts): void {
  const f = (what: string, value: number, unit: string): Figure => ({ name: `${test} ${name} ${what}`, value, unit });
  const cached = r.cached === undefined ? [] : [f('from cache', r.cached, 'requests')];
  printTestFigure(test, `${name}: ${r.requests} requests, ${r.requestsPerSecond.toFixed(0)} req/s, median ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, `
    + `pool ${r.pool}, mini-site ${r.mini}, other ${r.other}, ${r.cached === undefined ? '' : `from cache ${r.cached}, `}non-2xx ${r.non2xx}, socket errors ${r.socketErrors}`, [
    f('requests', r.requests, 'requests'),
    f('throughput', r.requestsPerSecond, 'req/s'),
    f('median', r.p50Ms, 'ms'),
    f('p99', r.p99Ms, 'ms'),
    f('pool', r.pool, 'requests'),
    f('mini-site', r.mini, 'requests'),
    f('other', r.other, 'requests'),
    ...cached,
    f('non-2xx', r.non2xx, 'requests'),
    f('socket errors', r.socketErrors, 'errors'),
  ]);
}
