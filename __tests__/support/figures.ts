/**
 * The test suite's figures: every `FIGURE` line a test prints goes through one {@link FigureLog} of
 * command `test`, printed with `console.log` as before (jest shows it beside its test) and appended
 * to `figures/test.jsonl` (or the file `HS_FIGURES_FILE` names). Jest's workers append to the same
 * file, a line at a time.
 */
import { FigureLog } from '../../lib/core/figures';

let log: FigureLog | undefined;

/** The suite's figure log (made on first use, so that `HS_FIGURES_FILE` set by a test's setup counts). */
export function testFigures(): FigureLog {
  return log ??= new FigureLog('test', { print: (text) => console.log(text) });
}
