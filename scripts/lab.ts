/**
 * `npm run lab -- <stack|stack directory> [--keep]`: boots a synthesized stack in the lab (see
 * lib/lab/lab.ts), printing its progress on stderr (`[lab popgom] 3/8 servers booted; ...`), prints
 * its report and FIGURE line, appends the line's figures to `figures/lab.jsonl` (or the file
 * `HS_FIGURES_FILE` names; lib/core/figures.ts), writes the report as JSON to
 * `cdktf.out/lab/<stack>.json`, and exits non-zero when a server is not clean or a check fails
 * (a limit of the lab, as a release it cannot serve, is reported but is not a failure).
 * With `--keep` everything stays up until Ctrl-C, then is removed. Ctrl-C during the run stops it
 * and removes what it made.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FigureLog, FIGURES_FILE_ENV, figuresFile, LabAbortedError, labFailures, printLabReport, runLab } from '../lib/lab';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const keep = args.includes('--keep');
  const target = args.find((a) => !a.startsWith('--'));
  const usage = 'usage: npm run lab -- <stack|stack directory> [--keep]   (run `npm run synth` first)\n'
    + `progress on stderr; the report on stdout; its figures appended to ${figuresFile('lab')} (${FIGURES_FILE_ENV} names another file)`;
  if (args.includes('--help')) {
    console.log(usage);
    return 0;
  }
  if (!target) {
    console.error(usage);
    return 2;
  }
  const dir = existsSync(join(target, 'cdk.tf.json')) ? resolve(target) : resolve('cdktf.out', 'stacks', target);
  if (!existsSync(join(dir, 'cdk.tf.json'))) {
    console.error(`lab: ${dir}/cdk.tf.json does not exist: run \`npm run synth\` first, or name a synthesized stack directory`);
    return 2;
  }
  // Ctrl-C while it runs: the lab stops its servers and removes what it made before exiting
  // (a second Ctrl-C exits at once, leaving the rest).
  const abort = new AbortController();
  const onSignal = (): void => {
    if (abort.signal.aborted) process.exit(130);
    console.error('lab: stopping, removing every server and namespace it made (Ctrl-C again to exit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let run;
  try {
    run = await runLab(dir, { keep, log: (l) => console.error(l), signal: abort.signal });
  } catch (e) {
    if (e instanceof LabAbortedError) {
      console.error(e.message);
      return 130;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const figures = new FigureLog('lab');
  printLabReport(run.report, figures);
  console.error(`lab: figures appended to ${figures.file}`);
  mkdirSync(resolve('cdktf.out', 'lab'), { recursive: true });
  writeFileSync(resolve('cdktf.out', 'lab', `${run.report.stack}.json`), JSON.stringify(run.report, null, 2));
  // A server the lab cannot set up (a download it must refuse) is reported, not a failure.
  const ok = labFailures(run.report).size === 0;
  if (keep) {
    console.error('lab: kept running; press Ctrl-C to remove it');
    await new Promise<void>((res) => { process.once('SIGINT', () => res()); process.once('SIGTERM', () => res()); });
    await run.destroy();
  }
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
