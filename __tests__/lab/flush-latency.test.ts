import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFlushLatencyLibrary, flushLatencyEnv, setFlushLatency } from '../support/flush-latency';

/** Python doing `n` writes each followed by fsync and fdatasync; prints the seconds they took. */
const FLUSHES = `import os, sys, time
n = int(sys.argv[2]); fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600); t = time.monotonic()
for _ in range(n):
    os.write(fd, b"x"); os.fsync(fd); os.fdatasync(fd)
print(time.monotonic() - t)`;

describe("the flush-latency library (a cloud volume's flush, modelled)", () => {
  let dir: string;
  let library: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hs-flush-test-'));
    library = join(dir, 'flush-latency.so');
    writeFileSync(library, buildFlushLatencyLibrary());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const flushes = (env: string[], n: number) => {
    const r = spawnSync('env', [...env, 'python3', '-c', FLUSHES, join(dir, 'file'), String(n)], { encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stderr]).toEqual([0, '']);
    return Number(r.stdout.trim());
  };

  test('given 5 ms in the control file, then 10 fsync and 10 fdatasync calls take at least 100 ms, and each still succeeds', () => {
    const control = join(dir, 'latency');
    setFlushLatency(control, 5);
    expect(flushes(flushLatencyEnv(library, control), 10)).toBeGreaterThanOrEqual(0.1);
  });

  test('given the control file set to 0 after a run, then the next run of 100 flushes waits no 5 ms each (well under 500 ms)', () => {
    const control = join(dir, 'latency');
    setFlushLatency(control, 5);
    expect(flushes(flushLatencyEnv(library, control), 2)).toBeGreaterThanOrEqual(0.02);
    setFlushLatency(control, 0);
    expect(flushes(flushLatencyEnv(library, control), 50)).toBeLessThan(0.5);
  });

  test('given a latency that is not a number of ms, then it says so', () => {
    expect(() => setFlushLatency(join(dir, 'latency'), -1)).toThrow(/flush latency: -1 ms must be a finite number of at least 0/);
  });
});
