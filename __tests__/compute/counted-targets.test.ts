/**
 * The counted-targets script, run with python3 against a stand-in of Nova's metadata service on
 * 127.0.0.1: each list holds exactly the servers the counts in the metadata include (and every
 * server of a fixed-size tier), follows a count that changes, and is left alone, with a failing
 * exit, when the metadata cannot be read or a count is missing.
 */
import { execFile } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CountedTarget, renderCountedTargetsConfig, renderCountedTargetsScript } from '../../lib/compute/counted-targets';
import { requireBinary, scratch } from '../support/daemons';

const s = scratch('counted-targets');
let meta: Record<string, string> | undefined = {};
let server: Server;
let url = '';
let script = '';

const target = (host: number, port: number, countVariable: string, index: number): CountedTarget => ({
  address: `10.0.0.${host}:${port}`,
  labels: { tier: countVariable, host: `h${host}` },
  countVariable,
  index,
});
/** A server of a tier of fixed size: always listed. */
const FIXED: CountedTarget = { address: '10.0.0.20:9100', labels: { tier: 'db', host: 'h20' }, index: 0 };
const node = join(s.dir, 'targets', 'node.json');
const apache = join(s.dir, 'targets', 'apache.json');

function writeConfig(attempts = 1): string {
  return s.write(
    'config.json',
    renderCountedTargetsConfig({
      metadataUrl: url,
      countKeyPrefix: 'hosting-stacks:count:',
      attempts,
      timeoutSeconds: 2,
      countsFile: join(s.dir, 'counts.json'),
      jobs: [
        { file: node, targets: [target(1, 9100, 'web_count', 0), target(2, 9100, 'web_count', 1), target(3, 9100, 'web_count', 2), target(9, 9100, 'app_count', 0), FIXED] },
        { file: apache, targets: [target(1, 9117, 'web_count', 0), target(2, 9117, 'web_count', 1), target(3, 9117, 'web_count', 2)] },
      ],
    }),
  );
}

function runScript(config: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('python3', [script, config], { timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const addresses = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { targets: string[] }[]).map((g) => g.targets[0]);

beforeAll(async () => {
  requireBinary('python3');
  script = s.write('counted-targets.py', renderCountedTargetsScript());
  server = createServer((req, res) => {
    if (req.url !== '/openstack/latest/meta_data.json' || meta === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ uuid: 'x', name: 'monitoring-1', meta }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/openstack/latest/meta_data.json`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  s.cleanup();
});

describe('counted-targets.py', () => {
  test('writes the instances the counts include, with their labels, and follows a count that changes', async () => {
    const config = writeConfig();
    meta = { 'hosting-stacks:count:web_count': '2', 'hosting-stacks:count:app_count': '1', other: 'x' };
    const first = await runScript(config);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(addresses(node)).toEqual(['10.0.0.1:9100', '10.0.0.2:9100', '10.0.0.9:9100', '10.0.0.20:9100']);
    expect(addresses(apache)).toEqual(['10.0.0.1:9117', '10.0.0.2:9117']);
    expect(JSON.parse(readFileSync(apache, 'utf8'))[1]).toEqual({ targets: ['10.0.0.2:9117'], labels: { tier: 'web_count', host: 'h2' } });
    expect(statSync(node).mode & 0o777).toBe(0o644);
    expect(first.stdout).toContain('counts {"app_count": 1, "web_count": 2}');
    // The counts themselves, for the scaling hook: what Terraform last applied.
    expect(JSON.parse(readFileSync(join(s.dir, 'counts.json'), 'utf8'))).toEqual({ app_count: 1, web_count: 2 });

    // Unchanged counts leave the files alone (Prometheus re-reads a file only when it changes).
    const before = statSync(node).mtimeMs;
    const again = await runScript(config);
    expect(again.stdout).toContain('node.json: 4 target(s), unchanged');
    expect(statSync(node).mtimeMs).toBe(before);

    meta = { 'hosting-stacks:count:web_count': '3', 'hosting-stacks:count:app_count': '1' };
    expect((await runScript(config)).code).toBe(0);
    expect(addresses(apache)).toEqual(['10.0.0.1:9117', '10.0.0.2:9117', '10.0.0.3:9117']);
    meta = { 'hosting-stacks:count:web_count': '1', 'hosting-stacks:count:app_count': '0' };
    expect((await runScript(config)).code).toBe(0);
    expect(addresses(node)).toEqual(['10.0.0.1:9100', '10.0.0.20:9100']);
  });

  test('fails without writing when a count is missing or not a whole number, or the metadata cannot be read', async () => {
    const config = writeConfig();
    meta = { 'hosting-stacks:count:web_count': '2', 'hosting-stacks:count:app_count': '1' };
    expect((await runScript(config)).code).toBe(0);
    const kept = readFileSync(node, 'utf8');
    for (const [m, message] of [
      [{ 'hosting-stacks:count:web_count': '2' }, "metadata hosting-stacks:count:app_count is None, not a whole number"],
      [{ 'hosting-stacks:count:web_count': 'two', 'hosting-stacks:count:app_count': '1' }, "metadata hosting-stacks:count:web_count is 'two', not a whole number"],
      [undefined, 'cannot read http://127.0.0.1:'],
    ] as const) {
      meta = m;
      const r = await runScript(config);
      expect([message, r.code]).toEqual([message, 1]);
      expect(r.stderr).toContain(message);
      expect(readFileSync(node, 'utf8')).toBe(kept);
    }
    expect(existsSync(join(s.dir, 'targets'))).toBe(true);
  });

  test('lists of fixed-size tiers only are written without asking the metadata', async () => {
    const config = s.write('fixed.json', renderCountedTargetsConfig({ metadataUrl: url, countKeyPrefix: 'hosting-stacks:count:', attempts: 1, timeoutSeconds: 2, jobs: [{ file: join(s.dir, 'fixed', 'db.json'), targets: [FIXED] }] }));
    meta = undefined;
    const r = await runScript(config);
    expect(r.stderr).toBe('');
    expect(addresses(join(s.dir, 'fixed', 'db.json'))).toEqual(['10.0.0.20:9100']);
    expect(r.stdout).toContain('counts {}');
  });
});
