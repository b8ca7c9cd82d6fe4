/**
 * A campaign peak in the lab, for stacks scaled by PrometheusScaling: a scale-out alert, exactly as
 * the stack's own alerting rule labels it, is posted to the monitoring server's Alertmanager; its
 * route sends it to the scaling hook, which must decide the new count and have it applied.
 *
 * With the default CountApplier (githubWorkflow), the hook dispatches the stack's scaling workflow:
 * the lab's internet stand-in receives the dispatch as GitHub's API would (api.github.com, the
 * token, the ref, the counts), and the workflow's own pick step, run here from the synthesized
 * `scaling/github-actions.yml`, turns the dispatched counts into the apply's arguments. With
 * CountApplier.onMonitoringServer, the hook runs its apply command (which needs terraform and the
 * working copy the operator installs there, so it fails here; its outcome is shown) and the counts
 * are those it wrote.
 *
 * The lab then applies those arguments as Terraform would (lib/lab, `LabBootedStack.apply`): the
 * new front-ends boot from their own user_data, and must join without anyone touching them:
 * Prometheus scrapes them (the count metadata changed in place), the deployment server's catch-up
 * pushes the current build to them, their health page passes, and the public entries' amphorae
 * send them customers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPickStep } from '../support/scaling-workflow';
import { parse as parseYaml } from 'yaml';
import type { LabBootedStack, LabCheck } from '../../lib/lab';
import { writtenFiles } from '../../lib/lab/kernel-limits';
import { MONITORING_PATHS, HOOK_TFVARS_FILE } from '../../lib/scaling/prometheus-scaling';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface HookTier {
  readonly minCount: number;
  readonly baselineCount: number;
  readonly maxCount: number;
  readonly rules: readonly { readonly metric: string; readonly scaleOutStep: number }[];
  readonly windows: readonly { readonly scaleOutAt: string; readonly scaleInAt: string; readonly count: number }[];
}

/** Polls `probe` every `everyMs` until it returns a value or `timeoutMs` passes (then the last value, or undefined). */
async function poll<T>(timeoutMs: number, everyMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > end) return v;
    await sleep(everyMs);
  }
}

/**
 * Runs the scaling workflow's pick step (bash, from `scaling/github-actions.yml`) as GitHub would
 * for a `workflow_dispatch` with `counts`, and turns the arguments it picks into the variables they
 * set (`-var-file=` read from the stack directory, then `-var=`, later ones winning, as Terraform).
 */
export function pickDispatchedCounts(stackDir: string, counts: string): { ok: boolean; args: string; variables: Record<string, number>; output: string } {
  const r = runPickStep(join(stackDir, 'scaling', 'github-actions.yml'), { event: 'workflow_dispatch', counts });
  const args = r.ok ? (/^args=(.*)$/m.exec(r.written)?.[1].trim() ?? '') : '';
  const variables: Record<string, number> = {};
  for (const a of args.split(' ').filter(Boolean)) {
    const file = /^-var-file=(.+)$/.exec(a);
    const one = /^-var=([a-z0-9_]+)=(\d+)$/.exec(a);
    if (file) Object.assign(variables, JSON.parse(readFileSync(join(stackDir, file[1]), 'utf8')));
    else if (one) variables[one[1]] = Number(one[2]);
  }
  return { ok: r.ok, args, variables, output: r.output };
}

/** Posts a scale-out alert for the first scaled tier and checks that the front-ends it adds join. */
export async function scaleOutOnAlert(stack: LabBootedStack, options: { readonly stackDir: string }): Promise<LabCheck[]> {
  const monitoring = stack.model.servers.find((s) => writtenFiles(s.userData).has(MONITORING_PATHS.hookScript));
  if (!monitoring) return [{ kind: 'scaling', name: 'monitoring server', ok: false, detail: `no server of the stack installs ${MONITORING_PATHS.hookScript}` }];
  const files = writtenFiles(monitoring.userData);
  const config = JSON.parse(files.get(MONITORING_PATHS.hookConfig)!) as {
    workingDirectory: string; tiers: Record<string, HookTier>; dispatch?: { url: string; ref: string }; command?: string[];
  };
  const rules = (parseYaml(files.get(MONITORING_PATHS.rules)!) as { groups: { rules: { alert: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[] }).groups.flatMap((g) => g.rules);
  const rule = rules.find((r) => r.labels.action === 'scale_out');
  if (!rule) return [{ kind: 'scaling', name: `${monitoring.name} ${MONITORING_PATHS.rules}`, ok: false, detail: 'no scale-out rule' }];
  const variable = rule.labels.count_variable;
  const tier = config.tiers[variable];
  const running = Number(stack.model.variables[variable]);

  // What the hook must decide: the rule's step from the running count, within maxCount, never below
  // an active campaign window's count.
  const now = Date.now();
  const floor = Math.max(tier.minCount, ...tier.windows.filter((w) => Date.parse(w.scaleOutAt) <= now && now < Date.parse(w.scaleInAt)).map((w) => w.count));
  const step = tier.rules.find((r) => r.metric === rule.labels.metric)!.scaleOutStep;
  const expected = Math.max(floor, Math.min(tier.maxCount, running + step));

  const checks: LabCheck[] = [];
  const alert = [{ labels: { alertname: rule.alert, ...rule.labels }, annotations: rule.annotations, startsAt: new Date(now).toISOString(), endsAt: new Date(now + 10 * 60_000).toISOString() }];
  const posted = await stack.exec(monitoring.name, ['curl', '-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '-H', 'Content-Type: application/json', '--data-binary', '@-', 'http://127.0.0.1:9093/api/v2/alerts'], { input: JSON.stringify(alert) });
  checks.push({ kind: 'scaling', name: `${monitoring.name} Alertmanager accepts ${rule.alert}`, ok: posted.stdout.trim() === '200', detail: `HTTP ${posted.stdout.trim() || 'none'} ${posted.stderr.trim()}` });
  if (posted.stdout.trim() !== '200') return checks;

  // Alertmanager waits group_wait, then the hook writes every tier's count to the working copy.
  const tfvarsPath = `${config.workingDirectory}/${HOOK_TFVARS_FILE}`;
  const counts = await poll(120_000, 2000, async () => {
    const r = await stack.exec(monitoring.name, ['cat', tfvarsPath]);
    if (r.status !== 0) return undefined;
    const values = JSON.parse(r.stdout) as Record<string, number>;
    return values[variable] === expected ? values : undefined;
  });
  const journal = (await stack.exec(monitoring.name, ['journalctl', '-u', 'scaling-hook', '--no-pager', '-o', 'cat', '-n', '40'])).stdout;
  checks.push({ kind: 'scaling', name: `${monitoring.name} scaling hook: ${variable} ${running} -> ${expected} in ${tfvarsPath}`, ok: counts !== undefined,
    detail: counts ? `written: ${JSON.stringify(counts)}` : `not written; the hook's journal: ${journal.trim().split('\n').slice(-8).join(' | ')}` });
  if (!counts) return checks;
  let variables: Record<string, number>;
  if (config.dispatch) {
    // The hook dispatches the scaling workflow: GitHub's API (the lab's stand-in) receives it.
    const url = new URL(config.dispatch.url);
    const token = String(stack.model.variables.scaling_dispatch_token);
    const dispatched = await poll(60_000, 2000, async () => stack.internetPosts().find((p) => p.path === url.pathname));
    let inputs: { counts?: string } = {};
    try {
      const body = dispatched && JSON.parse(dispatched.body) as { ref?: string; inputs?: { counts?: string } };
      inputs = body && body.ref === config.dispatch.ref ? body.inputs ?? {} : {};
    } catch {
      inputs = {};
    }
    const sent = inputs.counts !== undefined ? JSON.parse(inputs.counts) as Record<string, number> : undefined;
    const authorized = dispatched?.headers.authorization === `Bearer ${token}`;
    checks.push({ kind: 'scaling', name: `${monitoring.name} scaling hook dispatches ${url.host}${url.pathname} on ${config.dispatch.ref} with the counts`,
      ok: dispatched !== undefined && dispatched.host === url.host && authorized && JSON.stringify(sent) === JSON.stringify(Object.fromEntries(Object.entries(counts).sort())),
      detail: dispatched ? `from ${dispatched.client}, ${authorized ? 'with' : 'WITHOUT'} the token, body ${dispatched.body}` : `no dispatch within 60 s; the hook's journal: ${journal.trim().split('\n').slice(-6).join(' | ')}` });
    if (!dispatched || inputs.counts === undefined) return checks;
    // The workflow's own pick step takes the dispatched counts and picks the apply's arguments.
    const picked = pickDispatchedCounts(options.stackDir, inputs.counts);
    checks.push({ kind: 'scaling', name: `the scaling workflow's pick step takes the dispatched counts`, ok: picked.ok && picked.variables[variable] === expected,
      detail: picked.ok ? `args: ${picked.args}` : picked.output.trim().slice(-300) });
    if (!picked.ok) return checks;
    variables = picked.variables;
  } else {
    // The hook ran its apply command; here it cannot succeed (no terraform, no working copy in the lab).
    const ran = await poll(60_000, 2000, async () => {
      const j = (await stack.exec(monitoring.name, ['journalctl', '-u', 'scaling-hook', '--no-pager', '-o', 'cat'])).stdout;
      return /command (exited with -?\d+|failed)/.test(j) ? j : undefined;
    });
    checks.push({ kind: 'scaling', name: `${monitoring.name} scaling hook runs its apply command`, ok: ran !== undefined && ran.includes(`running: ${config.command!.join(' ')}`),
      detail: ran ? `${(/command (exited with -?\d+|failed[^\n]*)/.exec(ran) ?? [''])[0]} (the lab has no terraform on the monitoring server: it applies the counts itself)` : 'the command never ran' });
    variables = counts;
  }

  // The lab applies the counts as Terraform would.
  const applied = await stack.apply(variables);
  const wanted = Array.from({ length: expected - running }, (_, i) => i + running);
  checks.push({ kind: 'scaling', name: `apply ${variable}=${expected}`, ok: applied.added.length === wanted.length && applied.removed.length === 0 && applied.servers.every((s) => s.clean),
    detail: `created ${applied.added.join(', ') || 'none'} (${applied.servers.map((s) => `${s.name} ${s.clean ? 'clean' : 'NOT clean'}`).join(', ')}); members of ${applied.membersChanged.join(', ') || 'no balancer'}; metadata of ${applied.metadataUpdated.join(', ') || 'no server'}` });
  const added = stack.model.servers.filter((s) => applied.added.includes(s.name));
  const addressOf = (name: string): string => {
    const server = stack.model.servers.find((s) => s.name === name)!;
    return stack.model.ports.find((p) => p.key === server.portKeys[0])!.fixedIps[0].ipAddress;
  };

  for (const s of added) {
    const address = addressOf(s.name);
    // Prometheus follows the count metadata (counted-targets timer, 30 s) and scrapes the new host.
    const up = await poll(180_000, 5000, async () => {
      const r = await stack.exec(monitoring.name, ['curl', '-s', '--max-time', '5', 'http://127.0.0.1:9090/api/v1/targets?state=active']);
      try {
        const t = (JSON.parse(r.stdout).data.activeTargets as { scrapeUrl: string; health: string }[]).filter((x) => x.scrapeUrl.includes(`//${address}:`));
        return t.length > 0 && t.every((x) => x.health === 'up') ? t : undefined;
      } catch {
        return undefined;
      }
    });
    checks.push({ kind: 'scaling', name: `${monitoring.name} Prometheus scrapes ${s.name}`, ok: up !== undefined, detail: up ? up.map((t) => `${t.scrapeUrl} up`).join(', ') : `no healthy target at ${address} within 180 s` });

    // The deployment server's catch-up (every 60 s, from the counts it follows) pushes the build.
    const build = await poll(300_000, 5000, async () => {
      const r = await stack.exec(s.name, ['cat', '/var/www/magento/.hosting-stacks-build']);
      return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
    });
    checks.push({ kind: 'scaling', name: `${s.name} gets the current build from the catch-up run`, ok: build !== undefined, detail: build ? `build ${build}` : 'no build within 300 s' });
  }

  // Customers reach the new front-ends through each public entry: round robin over healthy members,
  // and a member is healthy only when the shop answers from the database on it.
  const entries = stack.model.floatingIps.filter((f) => stack.model.loadBalancers.some((lb) => lb.vipPortKey === f.portKey && lb.listeners.some((l) => l.protocolPort === 443)));
  for (const fip of entries) {
    for (const s of added) {
      const seen = await poll(180_000, 1000, async () => {
        const probe = await stack.fromInternet(`https://${fip.address}/`);
        return probe.status === 200 && probe.body.includes(`served by ${s.name}`) ? probe : undefined;
      });
      checks.push({ kind: 'scaling', name: `https://${fip.address}/ served by ${s.name}`, ok: seen !== undefined, detail: seen ? seen.body.trim().slice(0, 160) : 'never served by it within 180 s' });
    }
  }
  return checks;
}
