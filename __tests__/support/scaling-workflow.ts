/**
 * Runs the pick step of a synthesized `scaling/github-actions.yml` with bash, as GitHub Actions runs
 * it (`bash -e -o pipefail`), with the event's inputs as its step environment.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The event: `schedule` with its cron, or `workflow_dispatch` with `step` or `counts`. */
export interface PickEvent {
  readonly event: 'schedule' | 'workflow_dispatch';
  readonly schedule?: string;
  readonly step?: string;
  readonly counts?: string;
}

/** What the step did: its status, its output, and what it wrote to GITHUB_OUTPUT. */
export interface PickResult {
  readonly ok: boolean;
  readonly output: string;
  readonly written: string;
}

/** Runs the pick step of `workflowFile`; `pathPrefix` (a folder with a fake `date`) goes first in PATH. */
export function runPickStep(workflowFile: string, e: PickEvent, pathPrefix?: string): PickResult {
  const workflow = parse(readFileSync(workflowFile, 'utf8')) as { jobs: { apply: { steps: { id?: string; run?: string }[] } } };
  const pick = workflow.jobs.apply.steps.find((x) => x.id === 'pick');
  if (!pick?.run) throw new Error(`${workflowFile}: no step with id 'pick'`);
  const dir = mkdtempSync(join(tmpdir(), 'hs-pick-'));
  try {
    const out = join(dir, 'github-output');
    writeFileSync(out, '');
    const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', pick.run], {
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: pathPrefix ? `${pathPrefix}:${process.env.PATH}` : process.env.PATH,
        EVENT: e.event, SCHEDULE: e.schedule ?? '', STEP: e.step ?? '', COUNTS: e.counts ?? '', GITHUB_OUTPUT: out,
      },
    });
    return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`, written: readFileSync(out, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
