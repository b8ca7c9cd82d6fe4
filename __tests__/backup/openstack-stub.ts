/**
 * A fake `openstack` CLI for running the rendered backup scripts and runbooks in tests: it records
 * every call's argv, answers like the real CLI with `-f value`, keeps uploaded objects in a folder
 * (so a restore can download what a backup uploaded) and fails the calls matching `STUB_FAIL`.
 * `date` and `sleep` are faked too: the run's time is fixed and waits are instant.
 */
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, scratch } from '../support/daemons';

/**
 * A fake `hosting-stacks-object-put REGION CONTAINER NAME FILE DELETE_AFTER_SECONDS`: recorded as a
 * call whose first word is `hosting-stacks-object-put`, the file kept in the store like `object create`.
 */
const OBJECT_PUT = `#!/bin/bash
set -u
(IFS=$'\\t'; printf 'hosting-stacks-object-put\\t%s\\n' "$*") >> "$STUB_DIR/calls"
if [ -n "\${STUB_FAIL:-}" ] && [[ "hosting-stacks-object-put $*" =~ $STUB_FAIL ]]; then
  echo "stub: refusing: $*" >&2
  exit 1
fi
mkdir -p "$(dirname "$STUB_DIR/store/$2/$3")"
cp "$4" "$STUB_DIR/store/$2/$3"
`;

/** The fixed UTC time the fake `date` prints. */
export const STUB_STAMP = '20261121T023000Z';

/** The fake CLI (a bash script kept next to this file). */
const OPENSTACK = readFileSync(join(__dirname, 'fixtures', 'openstack'), 'utf8');

/** One recorded call: the argv after `openstack`. */
export type StubCall = string[];

/** A scratch folder with the fake CLI on PATH; run scripts in it and read back what they called. */
export class OpenstackStub {
  private readonly s = scratch('openstack-stub');

  constructor() {
    chmodSync(this.s.write('bin/openstack', OPENSTACK), 0o755);
    chmodSync(this.s.write('bin/hosting-stacks-object-put', OBJECT_PUT), 0o755);
    chmodSync(this.s.write('bin/date', `#!/bin/sh\necho ${STUB_STAMP}\n`), 0o755);
    chmodSync(this.s.write('bin/sleep', '#!/bin/sh\nexit 0\n'), 0o755);
  }

  /** The scratch folder (use it instead of /var/tmp in the scripts run). */
  public get dir(): string {
    return this.s.dir;
  }

  /** Writes a file the fake CLI answers from (`snapshots-<volume>`, `backups-<volume>`, `image.bin`). */
  public write(rel: string, content: string | Buffer): string {
    return this.s.write(rel, content as string);
  }

  /** Runs a bash script with the fake CLI first on PATH; `/var/tmp` in it is replaced by the scratch folder. */
  public runScript(script: string, env: Record<string, string> = {}): { status: number | null; output: string } {
    const file = this.s.write(`script-${Date.now()}-${Math.random().toString(36).slice(2)}.sh`, script.split('/var/tmp').join(this.s.dir));
    const r = run(['bash', file], {
      cwd: this.s.dir,
      timeoutMs: 60000,
      env: { PATH: `${join(this.s.dir, 'bin')}:${process.env.PATH}`, STUB_DIR: this.s.dir, HOME: this.s.dir, ...env },
    });
    return { status: r.status, output: r.output };
  }

  /** Every call so far, in order. */
  public get calls(): StubCall[] {
    const file = join(this.s.dir, 'calls');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
  }

  /** The content of an uploaded object, or undefined. */
  public object(container: string, name: string): Buffer | undefined {
    const file = join(this.s.dir, 'store', container, name);
    return existsSync(file) ? readFileSync(file) : undefined;
  }

  /** Removes the scratch folder. */
  public cleanup(): void {
    this.s.cleanup();
  }
}
