/**
 * Runs the real scaling hook (python3, 127.0.0.1, a free port) with a stub apply command that
 * records its arguments, and POSTs Alertmanager webhook payloads to it.
 */
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { hookTier, renderScalingHookConfig, renderScalingHookScript, ScalingHookConfig } from '../../lib/scaling/prometheus-config';
import { TierScalingPlan } from '../../lib/scaling/scaling-model';
import { requireBinary, scratch } from '../support/daemons';
import { CPU_RULE, RPS_RULE } from './realisation-fixtures';
import { HookProcess, startHook } from './hook-process';

const HOUR_MS = 3_600_000;
const NOW = Date.now();

/** Web: 2 .. 6, baseline 3, a CPU rule (out +1, cooldown 10 min, in cooldown 30 min) and an RPS rule (out +2, in cooldown 20 min). */
const WEB: TierScalingPlan = {
  tier: 'shop/Web', countVariable: 'web_servers_count', minCount: 2, baselineCount: 3, maxCount: 6,
  capacity: { usersPerInstance: 500, headroom: 0.2, bootMinutes: 10, requestsPerUserPerSecond: 0.1 },
  scheduled: [], reactive: [CPU_RULE, RPS_RULE], flavor: { name: 'b3-8' },
};
/** App: 2 .. 8, baseline 2, a CPU rule and a campaign window open now at 5 instances. */
const APP: TierScalingPlan = {
  ...WEB, tier: 'shop/App', countVariable: 'app_servers_count', minCount: 2, baselineCount: 2, maxCount: 8, reactive: [CPU_RULE],
  scheduled: [{ campaign: 'halloween', scaleOutAt: new Date(NOW - HOUR_MS), start: new Date(NOW), end: new Date(NOW + HOUR_MS), scaleInAt: new Date(NOW + HOUR_MS), count: 5, peakConcurrentUsers: 2000 }],
};
/** A third tier for the schedule file: 1 .. 4, baseline 1, a CPU rule, no windows of its own. */
const SOLR: TierScalingPlan = { ...WEB, tier: 'shop/Solr', countVariable: 'solr_count', minCount: 1, baselineCount: 1, maxCount: 4, reactive: [CPU_RULE] };

interface Decision { countVariable: string; action: string | null; from: number | null; to: number | null; reason: string }

const s = scratch('hook');
const workdir = join(s.dir, 'work');
const statePath = join(s.dir, 'state', 'state.json');
const tfvarsPath = join(workdir, 'scaling', 'hook.auto.tfvars.json');
const schedulePath = join(workdir, 'scaling', 'schedule.json');
const recordPath = join(s.dir, 'applies.txt');
/** What the counted-targets unit writes from the monitoring server's metadata: the counts Terraform last applied. */
const countsPath = join(s.dir, 'counts.json');
let hook: HookProcess | undefined;
let url = '';

const alert = (count_variable: string, action: string, metric: string, status = 'firing') => ({
  status, labels: { alertname: `x_${metric}`, tier: 'shop/x', count_variable, action, metric, step: '1' }, annotations: {}, startsAt: new Date(NOW).toISOString(),
});
const payload = (alerts: object[]) => ({ version: '4', status: 'firing', receiver: 'scaling-hook', groupKey: '{}:{}', groupLabels: {}, commonLabels: {}, alerts });

/** POSTs to the hook without keep-alive (no socket outlives the test), bounded to 5 s. */
function post(body: unknown): Promise<{ status: number; decisions: Decision[] }> {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${url}/alerts`, { method: 'POST', agent: false, timeout: 5000, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, decisions: (JSON.parse(text) as { decisions: Decision[] }).decisions }));
    });
    req.on('timeout', () => req.destroy(new Error('the hook did not answer within 5 s')));
    req.on('error', reject);
    req.end(data);
  });
}

const applies = () => (existsSync(recordPath) ? readFileSync(recordPath, 'utf8').trim().split('\n').filter(Boolean) : []);
const tfvars = () => JSON.parse(readFileSync(tfvarsPath, 'utf8'));
const state = () => JSON.parse(readFileSync(statePath, 'utf8'));

const waitFor = (what: string, ok: () => boolean, ms = 10000): Promise<void> => hook!.waitFor(what, ok, ms);

/** Resets the hook's files: no variables file, the given state (seconds since the epoch), no schedule. */
function reset(states: Record<string, { lastScaleOutAt?: number; lastChangeAt?: number }> = {}, counts?: Record<string, number>, applied?: Record<string, number>): void {
  for (const p of [tfvarsPath, schedulePath, recordPath]) if (existsSync(p)) writeFileSync(p, '');
  if (applied) writeFileSync(countsPath, JSON.stringify(applied));
  else rmSync(countsPath, { force: true });
  s.write('state/state.json', JSON.stringify(states));
  if (counts) s.write('work/scaling/hook.auto.tfvars.json', JSON.stringify(counts));
  else s.write('work/scaling/hook.auto.tfvars.json', '{}');
  s.write('work/scaling/schedule.json', '{}');
  s.write('applies.txt', '');
}

const longAgo = (NOW - 24 * HOUR_MS) / 1000;

beforeAll(async () => {
  requireBinary('python3');
  const stub = s.write('stub-apply.sh', `#!/bin/sh\necho "$(pwd) $*" >> ${recordPath}\n`);
  chmodSync(stub, 0o755);
  const config: ScalingHookConfig = {
    listenAddress: '127.0.0.1', listenPort: 0, workingDirectory: workdir, tfvarsFile: 'scaling/hook.auto.tfvars.json', scheduleFile: 'scaling/schedule.json',
    stateFile: statePath, countsFile: countsPath, command: [stub, '-var-file=scaling/hook.auto.tfvars.json'], applyTimeoutSeconds: 20,
    tiers: { web_servers_count: hookTier(WEB), app_servers_count: hookTier(APP), solr_count: hookTier(SOLR) },
  };
  const script = s.write('scaling-hook.py', renderScalingHookScript());
  const configPath = s.write('config.json', renderScalingHookConfig(config));
  reset();
  hook = await startHook(script, configPath);
  url = hook.url;
});

afterAll(async () => {
  await hook?.stop();
  s.cleanup();
});

describe('scaling hook (python3 on 127.0.0.1, stub apply)', () => {
  test('given a firing cpu scale-out, then the count goes from the baseline up one step, every tier is written and the command runs in the working copy', async () => {
    reset();
    const r = await post(payload([alert('web_servers_count', 'scale_out', 'cpu')]));
    expect(r.status).toBe(200);
    expect(r.decisions).toEqual([{ countVariable: 'web_servers_count', action: 'scale_out', from: 3, to: 4, reason: 'scale out by 1' }]);
    // The app tier is held at its open campaign window's count; the others at their baseline.
    expect(tfvars()).toEqual({ web_servers_count: 4, app_servers_count: 5, solr_count: 1 });
    expect(state().web_servers_count.lastScaleOutAt).toBeGreaterThan(NOW / 1000 - 60);
    await waitFor('the apply command', () => applies().length === 1);
    expect(applies()).toEqual([`${workdir} -var-file=scaling/hook.auto.tfvars.json`]);
  });

  test('given a second scale-out inside the cooldown, then nothing changes and nothing runs', async () => {
    reset({ web_servers_count: { lastScaleOutAt: NOW / 1000 - 60, lastChangeAt: NOW / 1000 - 60 } }, { web_servers_count: 4 });
    const r = await post(payload([alert('web_servers_count', 'scale_out', 'cpu')]));
    expect(r.decisions).toEqual([{ countVariable: 'web_servers_count', action: 'scale_out', from: 4, to: 4, reason: 'scale-out cooldown' }]);
    expect(tfvars()).toEqual({ web_servers_count: 4 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(applies()).toEqual([]);
  });

  test('given cpu and RPS firing after the cooldown, then the largest step is taken, clamped to maxCount', async () => {
    reset({ web_servers_count: { lastScaleOutAt: longAgo, lastChangeAt: longAgo } }, { web_servers_count: 5 });
    const r = await post(payload([alert('web_servers_count', 'scale_out', 'cpu'), alert('web_servers_count', 'scale_out', 'requests-per-second')]));
    expect(r.decisions[0]).toMatchObject({ from: 5, to: 6 });
    await waitFor('the apply command', () => applies().length === 1);
    reset({ web_servers_count: { lastScaleOutAt: longAgo, lastChangeAt: longAgo } }, { web_servers_count: 6 });
    const again = await post(payload([alert('web_servers_count', 'scale_out', 'requests-per-second')]));
    expect(again.decisions[0]).toMatchObject({ from: 6, to: 6, reason: 'at maxCount' });
  });

  test('given scale-in from only one of two rules, then it waits for both; with both after the cooldown it removes the smallest step', async () => {
    reset({ web_servers_count: { lastScaleOutAt: longAgo, lastChangeAt: longAgo } }, { web_servers_count: 5 });
    const one = await post(payload([alert('web_servers_count', 'scale_in', 'cpu')]));
    expect(one.decisions[0]).toMatchObject({ from: 5, to: 5, reason: 'not every rule asks to scale in' });
    const both = await post(payload([alert('web_servers_count', 'scale_in', 'cpu'), alert('web_servers_count', 'scale_in', 'requests-per-second')]));
    expect(both.decisions[0]).toMatchObject({ action: 'scale_in', from: 5, to: 4, reason: 'scale in by 1' });
    expect(tfvars().web_servers_count).toBe(4);
    await waitFor('the apply command', () => applies().length === 1);
  });

  test('given a scale-in within the scale-in cooldown of the last change, then nothing changes', async () => {
    // 25 minutes ago: past the RPS rule's 20 min but not the CPU rule's 30 min.
    reset({ web_servers_count: { lastScaleOutAt: longAgo, lastChangeAt: NOW / 1000 - 25 * 60 } }, { web_servers_count: 5 });
    const r = await post(payload([alert('web_servers_count', 'scale_in', 'cpu'), alert('web_servers_count', 'scale_in', 'requests-per-second')]));
    expect(r.decisions[0]).toMatchObject({ from: 5, to: 5, reason: 'scale-in cooldown' });
  });

  test('given scale-out and scale-in of one tier in one payload, then it scales out', async () => {
    reset({ web_servers_count: { lastScaleOutAt: longAgo, lastChangeAt: longAgo } }, { web_servers_count: 3 });
    const r = await post(payload([alert('web_servers_count', 'scale_in', 'cpu'), alert('web_servers_count', 'scale_in', 'requests-per-second'), alert('web_servers_count', 'scale_out', 'cpu')]));
    expect(r.decisions[0]).toMatchObject({ action: 'scale_out', from: 3, to: 4 });
    await waitFor('the apply command', () => applies().length === 1);
  });

  test('given an open campaign window, then a scale-in never goes below its count, and minCount holds outside windows', async () => {
    reset({ app_servers_count: { lastScaleOutAt: longAgo, lastChangeAt: longAgo } }, { app_servers_count: 5 });
    const r = await post(payload([alert('app_servers_count', 'scale_in', 'cpu')]));
    expect(r.decisions[0]).toMatchObject({ from: 5, to: 5, reason: 'at the floor (minCount or an active campaign)' });
    reset({ web_servers_count: { lastScaleOutAt: longAgo, lastChangeAt: longAgo } }, { web_servers_count: 2 });
    const atMin = await post(payload([alert('web_servers_count', 'scale_in', 'cpu'), alert('web_servers_count', 'scale_in', 'requests-per-second')]));
    expect(atMin.decisions[0]).toMatchObject({ from: 2, to: 2 });
  });

  test("given the calendar's schedule file, then its campaign step is the floor and, newer than the hook's change, the current count", async () => {
    reset({ solr_count: { lastScaleOutAt: longAgo, lastChangeAt: longAgo } }, { solr_count: 1 });
    const step = (at: number, campaign: string | null, count: number) => ({ at: new Date(at).toISOString(), action: 'apply', campaign, varFile: null, counts: { solr_count: count }, args: [], cron: '0 0 1 1 *', year: 2027 });
    s.write('work/scaling/schedule.json', JSON.stringify({ steps: [step(NOW - 2 * HOUR_MS, 'sale', 3), step(NOW + HOUR_MS, null, 1)] }));
    const r = await post(payload([alert('solr_count', 'scale_in', 'cpu')]));
    expect(r.decisions[0]).toMatchObject({ from: 3, to: 3, reason: 'at the floor (minCount or an active campaign)' });
    const out = await post(payload([alert('solr_count', 'scale_out', 'cpu')]));
    expect(out.decisions[0]).toMatchObject({ from: 3, to: 4 });
    await waitFor('the apply command', () => applies().length === 1);
  });

  test('given the counts Terraform last applied (another path raised web to 5), then the hook starts from them and writes them for the other tiers', async () => {
    reset({ web_servers_count: { lastScaleOutAt: longAgo, lastChangeAt: longAgo } }, { web_servers_count: 3, app_servers_count: 5, solr_count: 1 }, { web_servers_count: 5, app_servers_count: 7, solr_count: 2 });
    const r = await post(payload([alert('web_servers_count', 'scale_out', 'cpu')]));
    expect(r.decisions).toEqual([{ countVariable: 'web_servers_count', action: 'scale_out', from: 5, to: 6, reason: 'scale out by 1' }]);
    // The apply must not undo what the crontab or CI applied to the other tiers.
    expect(tfvars()).toEqual({ web_servers_count: 6, app_servers_count: 7, solr_count: 2 });
    await waitFor('the apply command', () => applies().length === 1);
  });

  test('resolved alerts are ignored and an unknown count variable is reported, not applied', async () => {
    reset();
    const r = await post(payload([alert('web_servers_count', 'scale_out', 'cpu', 'resolved'), alert('db_count', 'scale_out', 'cpu')]));
    expect(r.decisions).toEqual([{ countVariable: 'db_count', action: null, from: null, to: null, reason: 'unknown count variable' }]);
    expect(tfvars()).toEqual({});
  });

  test('a body that is not a webhook payload gets 400', async () => {
    expect((await post('not json')).status).toBe(400);
    expect((await post({ status: 'firing' })).status).toBe(400);
  });
});
