/**
 * `npm run bench:migrate` (bench/client-migrate.ts), run for real on a MariaDB of its own (root and
 * Debian's MariaDB, as __tests__/database/client-migrate.daemon.test.ts) with 4 clients and one run:
 * its figures go to its figures file as numbers, one after another (the run's own baseline) and in
 * parallel named apart, and the saving printed is the one computed from them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFigures } from '../../lib/core/figures';
import { requireBinary } from '../support/daemons';
import { runBench } from './bench-support';

jest.setTimeout(180_000);

test('given a run of bench:migrate, then its figures file holds each median and run of both ways and the saving computed from them', () => {
  for (const b of ['mariadbd', 'mariadb-install-db']) requireBinary(b);
  const dir = mkdtempSync(join(tmpdir(), 'hs-bench-migrate-test-'));
  try {
    const file = join(dir, 'figures.jsonl');
    const r = runBench('client-migrate.ts', ['--clients', '4', '--runs', '1', '--parallel', '2'], file, 150_000);
    expect([r.status, r.stderr]).toEqual([0, expect.stringContaining(`figures appended to ${file}`)]);
    const records = readFigures(file);
    expect(records.map((x) => [x.command, x.run, x.name, x.unit])).toEqual([
      ['bench:migrate', 'current', 'one after another median', 's'],
      ['bench:migrate', 'current', 'one after another run 1', 's'],
      ['bench:migrate', 'current', 'in parallel median', 's'],
      ['bench:migrate', 'current', 'in parallel run 1', 's'],
      ['bench:migrate', 'current', 'saving', '%'],
      ['bench:migrate', 'current', 'bound of this machine', '%'],
    ]);
    const value = (name: string) => records.find((x) => x.name === name)!.value;
    expect(value('one after another median')).toBeGreaterThan(0);
    expect(value('saving')).toBeCloseTo((1 - value('in parallel median') / value('one after another median')) * 100, 6);
    expect(r.stdout).toContain(`saving: ${value('saving').toFixed(0)} %`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
