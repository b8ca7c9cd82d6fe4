/**
 * A temporary directory of the jest run's own (TMPDIR for its workers, which inherit the
 * environment), removed when the run ends: cdktf's Testing.app() and fullSynth make a temporary
 * output directory per call and never remove it, thousands per run. Each jest run has its own
 * (the lab's runs beside the unit tests'), so one never removes another's.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const KEY = 'HOSTING_STACKS_JEST_TMPDIR';

export async function setup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hs-jest-'));
  // As /tmp is: daemons the tests start as their own users (mysql, tomcat, ...) keep files there.
  chmodSync(dir, 0o1777);
  process.env[KEY] = dir;
  process.env.TMPDIR = dir;
}

export async function teardown(): Promise<void> {
  const dir = process.env[KEY];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
