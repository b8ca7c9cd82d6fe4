/**
 * The scaling hook in its default mode (CountApplier.githubWorkflow): the real hook (python3,
 * 127.0.0.1, a free port) dispatches the scaling workflow to a fake GitHub API on the loopback,
 * which records each request and answers as the test tells it.
 */
import { spawnSync } from 'node:child_process';
import { createServer, IncomingHttpHeaders, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hookTier, renderScalingHookConfig, renderScalingHookScript, ScalingHookConfig } from '../../lib/scaling/prometheus-config';
import { TierScalingPlan } from '../../lib/scaling/scaling-model';
import { requireBinary, scratch } from '../support/daemons';
import { CPU_RULE } from './realisation-fixtures';
import { HookProcess, startHook } from './hook-process';

const TOKEN = 'github_pat_lab_0123456789';
const WORKFLOW_PATH = '/repos/acme/shop-infra/actions/workflows/scaling-shop.yml/dispatches';
const WEB: TierScalingPlan = {
  tier: 'shop/Web', countVariable: 'web_servers_count', minCount: 2, baselineCount: 3, maxCount: 6,
  capacity: { usersPerInstance: 500, headroom: 0.2, bootMinutes: 10, requestsPerUserPerSecond: 0.1 },
  scheduled: [], reactive: [CPU_RULE], flavor: { name: 'b3-8' },
};
const APP: TierScalingPlan = { ...WEB, tier: 'shop/App', countVariable: 'app_servers_count', minCount: 2, baselineCount: 2, maxCount: 8 };

interface Seen { method: string; path: string; headers: IncomingHttpHeaders; body: string }

const s = scratch('hook-dispatch');
const statePath = join(s.dir, 'state', 'state.json');
const countsPath = join(s.dir, 'counts.json');
const seen: Seen[] = [];
/** The statuses the fake API answers with, in turn; 204 (GitHub's) once they run out. */
let answers: number[] = [];
let api: Server;
let hook: HookProcess | undefined;
let hookUrl = '';

const alert = (count_variable: string) => ({ status: 'firing', labels: { alertname: 'x_cpu', count_variable, action: 'scale_out', metric: 'cpu', step: '1' }, annotations: {} });

function post(body: unknown): Promise<number> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${hookUrl}/alerts`, { method: 'POST', agent: false, timeout: 5000, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('the hook did not answer within 5 s')));
    req.on('error', reject);
    req.end(data);
  });
}

const waitFor = (what: string, ok: () => boolean, ms = 15000): Promise<void> => hook!.waitFor(what, ok, ms);

/** A fresh start: no state, the given applied counts, an empty request log. */
function reset(applied: Record<string, number>, statuses: number[] = []): void {
  s.write('state/state.json', '{}');
  s.write('scaling/hook.auto.tfvars.json', '{}');
  writeFileSync(countsPath, JSON.stringify(applied));
  seen.length = 0;
  answers = [...statuses];
}

beforeAll(async () => {
  requireBinary('python3');
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const status = answers.shift() ?? 204;
      res.writeHead(status, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end(status === 204 ? undefined : JSON.stringify({ message: status === 422 ? "Workflow does not have 'workflow_dispatch' trigger" : 'Server Error' }));
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
  const config: ScalingHookConfig = {
    listenAddress: '127.0.0.1', listenPort: 0, workingDirectory: s.dir, tfvarsFile: 'scaling/hook.auto.tfvars.json', scheduleFile: 'scaling/schedule.json',
    stateFile: statePath, countsFile: countsPath,
    dispatch: { url: `http://127.0.0.1:${(api.address() as AddressInfo).port}${WORKFLOW_PATH}`, ref: 'main', tokenEnvironment: 'SCALING_DISPATCH_TOKEN' },
    applyTimeoutSeconds: 600,
    tiers: { web_servers_count: hookTier(WEB), app_servers_count: hookTier(APP) },
  };
  const script = s.write('scaling-hook.py', renderScalingHookScript());
  const configPath = s.write('config.json', renderScalingHookConfig(config));
  reset({ web_servers_count: 3, app_servers_count: 2 });
  hook = await startHook(script, configPath, { PATH: process.env.PATH, SCALING_DISPATCH_TOKEN: TOKEN });
  hookUrl = hook.url;
});

afterAll(async () => {
  await hook?.stop();
  if (api) await new Promise((r) => api.close(r));
  rmSync(countsPath, { force: true });
  s.cleanup();
});

describe('scaling hook dispatching the scaling workflow (python3 and a fake GitHub API on 127.0.0.1)', () => {
  test('given a scale-out, then it dispatches the workflow on its ref with every tier\'s count, authenticated, and never logs the token', async () => {
    reset({ web_servers_count: 3, app_servers_count: 2 });
    expect(await post({ alerts: [alert('web_servers_count')] })).toBe(200);
    await waitFor('the dispatch', () => seen.length === 1);
    const [d] = seen;
    expect([d.method, d.path]).toEqual(['POST', WORKFLOW_PATH]);
    expect(d.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(d.headers.accept).toBe('application/vnd.github+json');
    expect(d.headers['x-github-api-version']).toBe('2022-11-28');
    expect(JSON.parse(d.body)).toEqual({ ref: 'main', inputs: { counts: '{"app_servers_count":2,"web_servers_count":4}' } });
    await waitFor('the dispatch to be logged', () => /dispatched .* HTTP 204/.test(hook!.output()));
    expect(hook!.output()).not.toContain(TOKEN);
  });

  test('given a second tier scaling out before the first dispatch shows as applied, then the first tier\'s dispatched count is kept, not reset to the applied one', async () => {
    // The counts file still shows web at 3: the workflow has not applied the 4 yet.
    seen.length = 0;
    expect(await post({ alerts: [alert('app_servers_count')] })).toBe(200);
    await waitFor('the second dispatch', () => seen.length === 1);
    expect(JSON.parse(JSON.parse(seen[0].body).inputs.counts)).toEqual({ app_servers_count: 3, web_servers_count: 4 });
    // Once the workflow applied them (the metadata shows them), the hook decides from the applied counts again.
    writeFileSync(countsPath, JSON.stringify({ web_servers_count: 4, app_servers_count: 3 }));
  });

  test('given GitHub refuses the dispatch (422), then it is not retried and the refusal is logged', async () => {
    reset({ web_servers_count: 3, app_servers_count: 2 }, [422]);
    expect(await post({ alerts: [alert('web_servers_count')] })).toBe(200);
    await waitFor('the refusal to be logged', () => /dispatch refused by .* HTTP 422 .*workflow_dispatch/.test(hook!.output()));
    await new Promise((r) => setTimeout(r, 6000));
    expect(seen).toHaveLength(1);
  });

  test('given a server error (503), then it retries, and the counts are dispatched once GitHub accepts them', async () => {
    reset({ web_servers_count: 3, app_servers_count: 2 }, [503]);
    expect(await post({ alerts: [alert('web_servers_count')] })).toBe(200);
    await waitFor('the retry', () => seen.length === 2, 20000);
    expect(seen.map((x) => x.body)).toEqual([seen[1].body, seen[1].body]);
    expect(JSON.parse(JSON.parse(seen[1].body).inputs.counts)).toEqual({ app_servers_count: 2, web_servers_count: 4 });
  }, 30000);

  test('the hook refuses a config with both or neither of command and dispatch', () => {
    const script = join(s.dir, 'scaling-hook.py');
    const both = s.write('both.json', JSON.stringify({ command: ['true'], dispatch: {} }));
    const r = spawnSync('python3', [script, both], { encoding: 'utf8', timeout: 10000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("the config needs exactly one of 'command' and 'dispatch'");
  });
});
