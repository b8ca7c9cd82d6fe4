import { spawn } from 'node:child_process';
import { createServer, get as httpGet } from 'node:http';
import { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import {
  alertmanagerRoutes,
  hookTier,
  promDuration,
  renderAlertmanagerConfig,
  renderDaemonArgs,
  renderPrometheusConfig,
  renderPrometheusRuleGroups,
  renderPrometheusRules,
  renderScalingHookConfig,
  renderScalingHookScript,
  renderScalingHookUnit,
  ScalingAction,
  scalingRuleGroups,
  tierMetricQuery,
} from '../../lib/scaling/prometheus-config';
import { ScalingMetric, TierScalingPlan } from '../../lib/scaling/scaling-model';
import { checkShell } from '../support/config-checks';
import { checkAlertmanager, checkPrometheusConfig, checkPrometheusRules, checkPython, checkSystemdUnit, requireBinary, run, scratch } from '../support/daemons';
import { CPU_RULE, RPS_RULE } from './realisation-fixtures';

/** A plan literal: tier `shop/Web`, 2 .. 6, baseline 3, a CPU and an RPS rule. */
const PLAN: TierScalingPlan = {
  tier: 'shop/Web',
  countVariable: 'web_servers_count',
  minCount: 2,
  baselineCount: 3,
  maxCount: 6,
  capacity: { usersPerInstance: 500, headroom: 0.2, bootMinutes: 10, requestsPerUserPerSecond: 0.1 },
  scheduled: [],
  reactive: [CPU_RULE, RPS_RULE],
  flavor: { name: 'b3-8' },
};

const HOOK_URL = 'http://127.0.0.1:9095/alerts';

describe('tierMetricQuery', () => {
  test('given cpu, then it averages the busy fraction of the hosts whose node_exporter is up', () => {
    expect(tierMetricQuery(PLAN, ScalingMetric.CPU)).toBe(
      'avg((1 - avg by (host) (rate(node_cpu_seconds_total{job="node",tier="shop/Web",mode="idle"}[2m]))) and on (host) (up{job="node",tier="shop/Web"} == 1))',
    );
  });

  test('given requests per second, then it averages mod_status accesses of the hosts whose Apache exporter is up', () => {
    expect(tierMetricQuery(PLAN, ScalingMetric.REQUESTS_PER_SECOND)).toBe(
      'avg(sum by (host) (rate(apache_accesses_total{job="apache",tier="shop/Web"}[2m])) and on (host) (up{job="apache",tier="shop/Web"} == 1))',
    );
  });

  test('given sessions per instance, then it is the RPS divided by the requests one user makes per second', () => {
    expect(tierMetricQuery(PLAN, ScalingMetric.SESSIONS_PER_INSTANCE)).toBe(`${tierMetricQuery(PLAN, ScalingMetric.REQUESTS_PER_SECOND)} / 0.1`);
  });
});

describe('renderPrometheusRules', () => {
  const doc = parse(renderPrometheusRules([PLAN]));
  const rules = doc.groups[0].rules;

  test('when rendered, then one group per tier holds a scale-out and a scale-in alert per rule', () => {
    expect(doc.groups.map((g: { name: string }) => g.name)).toEqual(['scaling-web_servers_count']);
    expect(rules.map((r: { alert: string }) => r.alert)).toEqual([
      'ScaleOutCpu_web_servers_count', 'ScaleInCpu_web_servers_count', 'ScaleOutRequestsPerSecond_web_servers_count', 'ScaleInRequestsPerSecond_web_servers_count',
    ]);
  });

  test('scale-out fires above the threshold after the evaluation minutes, scale-in below it after the stabilisation', () => {
    expect(rules[0].expr).toBe(`${tierMetricQuery(PLAN, ScalingMetric.CPU)} > 0.7`);
    expect(rules[0].for).toBe('3m');
    expect(rules[1].expr).toBe(`${tierMetricQuery(PLAN, ScalingMetric.CPU)} < 0.3`);
    expect(rules[1].for).toBe('30m');
    expect(rules[3].for).toBe('20m');
  });

  test('labels name the tier, its count variable, the action and the step', () => {
    expect(rules[0].labels).toEqual({ tier: 'shop/Web', count_variable: 'web_servers_count', metric: 'cpu', action: 'scale_out', step: '1' });
    expect(rules[3].labels).toEqual({ tier: 'shop/Web', count_variable: 'web_servers_count', metric: 'requests-per-second', action: 'scale_in', step: '1' });
    expect(rules[2].labels.step).toBe('2');
    expect(rules[0].annotations.summary).toBe('shop/Web: cpu {{ $value }} above 0.7 for 3 min, add 1');
  });

  test('promtool check rules accepts the file', () => {
    const r = checkPrometheusRules(renderPrometheusRules([PLAN]));
    expect(r.output).toMatch(/SUCCESS: 4 rules found/);
    expect(r.ok).toBe(true);
  });

  test('promtool check rules rejects a broken expression', () => {
    const [group] = scalingRuleGroups([PLAN]);
    const broken = renderPrometheusRuleGroups([{ ...group, rules: [{ ...group.rules[0], expr: 'avg(rate(node_cpu_seconds_total[2m]) > ' }] }]);
    expect(checkPrometheusRules(broken).ok).toBe(false);
  });

  test('promtool test rules: a host that is down is left out of the average, and the alert fires after 3 minutes above 70 %', () => {
    requireBinary('promtool');
    const s = scratch('promtest');
    try {
      s.write('rules.yml', renderPrometheusRules([PLAN]));
      // web-1: idle 3 s of every 15 s (80 % busy); web-2 idle all the time (0 % busy) but down.
      const series = (host: string, ip: string, idlePerScrape: number, up: number) => [
        { series: `node_cpu_seconds_total{job="node",tier="shop/Web",host="${host}",instance="${ip}:9100",cpu="0",mode="idle"}`, values: `0+${idlePerScrape}x60` },
        { series: `up{job="node",tier="shop/Web",host="${host}",instance="${ip}:9100"}`, values: `${up}x60` },
      ];
      const labels = { tier: 'shop/Web', count_variable: 'web_servers_count', metric: 'cpu', action: 'scale_out', step: '1' };
      const test = {
        rule_files: ['rules.yml'],
        evaluation_interval: '15s',
        tests: [{
          interval: '15s',
          input_series: [...series('web-1', '10.0.1.2', 3, 1), ...series('web-2', '10.0.1.3', 15, 0)],
          promql_expr_test: [{ expr: tierMetricQuery(PLAN, ScalingMetric.CPU), eval_time: '5m', exp_samples: [{ labels: '{}', value: 0.8 }] }],
          alert_rule_test: [
            { eval_time: '2m', alertname: 'ScaleOutCpu_web_servers_count', exp_alerts: [] },
            {
              eval_time: '5m',
              alertname: 'ScaleOutCpu_web_servers_count',
              exp_alerts: [{
                exp_labels: labels,
                exp_annotations: {
                  summary: 'shop/Web: cpu 0.8 above 0.7 for 3 min, add 1',
                  description: 'The scaling hook raises web_servers_count by 1 (at most 6), then waits 10 min before another scale-out.',
                },
              }],
            },
            { eval_time: '5m', alertname: 'ScaleInCpu_web_servers_count', exp_alerts: [] },
          ],
        }],
      };
      const r = run(['promtool', 'test', 'rules', s.write('test.yml', JSON.stringify(test))], { cwd: s.dir });
      expect(r.output).toMatch(/SUCCESS/);
      expect(r.ok).toBe(true);
    } finally {
      s.cleanup();
    }
  });
});

describe('renderAlertmanagerConfig', () => {
  const doc = parse(renderAlertmanagerConfig({ hookUrl: HOOK_URL, routes: alertmanagerRoutes([PLAN]) }));

  test('every alert goes to the scaling hook, grouped by tier and action, resolved ones not sent', () => {
    expect(doc.route).toMatchObject({ receiver: 'scaling-hook', group_by: ['tier', 'action'], group_wait: '10s', group_interval: '1m' });
    expect(doc.receivers).toEqual([{ name: 'scaling-hook', webhook_configs: [{ url: HOOK_URL, send_resolved: false }] }]);
  });

  test('each tier repeats scale-out at its scale-out cooldown and scale-in at its scale-in cooldown (the shortest of its rules)', () => {
    expect(doc.route.routes).toEqual([
      { receiver: 'scaling-hook', matchers: ['count_variable="web_servers_count"', 'action="scale_out"'], repeat_interval: '10m' },
      { receiver: 'scaling-hook', matchers: ['count_variable="web_servers_count"', 'action="scale_in"'], repeat_interval: '20m' },
    ]);
  });

  test('a firing scale-out inhibits the same tier scale-in', () => {
    expect(doc.inhibit_rules).toEqual([{ source_matchers: ['action="scale_out"'], target_matchers: ['action="scale_in"'], equal: ['tier'] }]);
  });

  test('a cooldown shorter than the group interval repeats at the group interval (Alertmanager refuses a zero repeat)', () => {
    const fast = { ...PLAN, reactive: [{ ...CPU_RULE, scaleOutCooldownMinutes: 0 }] };
    expect(alertmanagerRoutes([fast])[0]).toEqual({ countVariable: 'web_servers_count', action: ScalingAction.SCALE_OUT, repeatIntervalSeconds: 60 });
  });

  test('amtool check-config accepts it and rejects a route to an unknown receiver', () => {
    const text = renderAlertmanagerConfig({ hookUrl: HOOK_URL, routes: alertmanagerRoutes([PLAN]) });
    const ok = checkAlertmanager(text);
    expect(ok.output).toMatch(/SUCCESS/);
    expect(ok.ok).toBe(true);
    expect(checkAlertmanager(text.replace('  receiver: scaling-hook\n  group_by', '  receiver: nobody\n  group_by')).ok).toBe(false);
  });
});

describe('renderPrometheusConfig', () => {
  const model = {
    scrapeIntervalSeconds: 15,
    evaluationIntervalSeconds: 15,
    ruleFiles: ['/etc/prometheus/scaling-rules.yml'],
    alertmanagers: ['127.0.0.1:9093'],
    jobs: [
      { name: 'node', targets: [{ address: '10.0.1.2:9100', labels: { tier: 'shop/Web', host: 'web-1' } }, { address: '10.0.1.3:9100', labels: { tier: 'shop/Web', host: 'web-2' } }] },
      { name: 'apache', targets: [] },
    ],
  };

  test('when rendered, then each target carries its tier and host labels and jobs without targets are left out', () => {
    const doc = parse(renderPrometheusConfig(model));
    expect(doc.global).toEqual({ scrape_interval: '15s', evaluation_interval: '15s' });
    expect(doc.rule_files).toEqual(['/etc/prometheus/scaling-rules.yml']);
    expect(doc.alerting.alertmanagers[0].static_configs[0].targets).toEqual(['127.0.0.1:9093']);
    expect(doc.scrape_configs).toEqual([{
      job_name: 'node',
      static_configs: [
        { targets: ['10.0.1.2:9100'], labels: { tier: 'shop/Web', host: 'web-1' } },
        { targets: ['10.0.1.3:9100'], labels: { tier: 'shop/Web', host: 'web-2' } },
      ],
    }]);
  });

  test('promtool check config accepts it with its rule file, and rejects a broken rule file and a duplicate job', () => {
    const config = renderPrometheusConfig(model);
    const ok = checkPrometheusConfig(config, { '/etc/prometheus/scaling-rules.yml': renderPrometheusRules([PLAN]) });
    expect(ok.output).toMatch(/SUCCESS: 4 rules found/);
    expect(ok.ok).toBe(true);
    expect(checkPrometheusConfig(config, { '/etc/prometheus/scaling-rules.yml': 'groups: [{name: x, rules: [{alert: A, expr: "up >"}]}]\n' }).ok).toBe(false);
    const twice = checkPrometheusConfig(renderPrometheusConfig({ ...model, jobs: [model.jobs[0], model.jobs[0]] }));
    expect(twice.output).toMatch(/multiple scrape configs with job name "node"/);
    expect(twice.ok).toBe(false);
  });
});

describe('promDuration', () => {
  test.each([[0, '0s'], [90, '90s'], [180, '3m'], [7200, '2h'], [30.4, '30s']])('%p seconds is %p', (s, d) => {
    expect(promDuration(s)).toBe(d);
  });
});

describe('the scaling hook files', () => {
  test('the script compiles with python3, and a broken one does not', () => {
    const script = renderScalingHookScript();
    expect(script).toMatch(/^#!\/usr\/bin\/env python3/);
    expect(checkPython(script).ok).toBe(true);
    expect(checkPython(script.replace('def main(argv):', 'def main(argv)')).ok).toBe(false);
  });

  test('the unit runs the script as its own user and passes systemd-analyze verify', () => {
    const unit = renderScalingHookUnit({
      user: 'scaling-hook', scriptPath: '/usr/local/lib/scaling-hook/scaling-hook.py', configPath: '/etc/scaling-hook/config.json',
      environmentFile: '/etc/scaling-hook/cloud.env', workingDirectory: '/srv/terraform/shop',
    });
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/python3 \/usr\/local\/lib\/scaling-hook\/scaling-hook.py \/etc\/scaling-hook\/config.json$/m);
    expect(unit).toMatch(/^User=scaling-hook$/m);
    expect(unit).toMatch(/^ReadWritePaths=\/srv\/terraform\/shop$/m);
    const r = checkSystemdUnit(unit, 'scaling-hook.service');
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('the config holds each tier by count variable with its counts, rules and windows', () => {
    const windowed = { ...PLAN, scheduled: [{ campaign: 'halloween', scaleOutAt: new Date('2027-10-20T08:00:00Z'), start: new Date('2027-10-20T09:10:00Z'), end: new Date('2027-11-01T00:00:00Z'), scaleInAt: new Date('2027-11-01T00:00:00Z'), count: 5, peakConcurrentUsers: 2000 }] };
    const config = JSON.parse(renderScalingHookConfig({
      listenAddress: '127.0.0.1', listenPort: 9095, workingDirectory: '/srv/terraform/shop', tfvarsFile: 'scaling/hook.auto.tfvars.json',
      scheduleFile: 'scaling/schedule.json', stateFile: '/var/lib/scaling-hook/state.json', command: ['terraform', 'apply'], applyTimeoutSeconds: 1800,
      tiers: { web_servers_count: hookTier(windowed) },
    }));
    expect(config.tiers.web_servers_count).toEqual({
      tier: 'shop/Web', minCount: 2, baselineCount: 3, maxCount: 6,
      rules: [
        { metric: 'cpu', scaleOutStep: 1, scaleInStep: 1, scaleOutCooldownMinutes: 10, scaleInCooldownMinutes: 30 },
        { metric: 'requests-per-second', scaleOutStep: 2, scaleInStep: 1, scaleOutCooldownMinutes: 10, scaleInCooldownMinutes: 20 },
      ],
      windows: [{ campaign: 'halloween', scaleOutAt: '2027-10-20T08:00:00.000Z', scaleInAt: '2027-11-01T00:00:00.000Z', count: 5 }],
    });
  });
});

describe('renderDaemonArgs', () => {
  test('renders a Debian defaults file bash accepts', () => {
    const text = renderDaemonArgs({ daemon: 'prometheus-alertmanager', args: ['--web.listen-address=127.0.0.1:9093', '--cluster.listen-address='] });
    expect(text).toMatch(/^ARGS="--web.listen-address=127.0.0.1:9093 --cluster.listen-address="$/m);
    expect(checkShell(text).ok).toBe(true);
  });

  test('rejects an argument that would break the quoting', () => {
    expect(() => renderDaemonArgs({ daemon: 'x', args: ['--a="b"'] })).toThrow(/^renderDaemonArgs: 'args' \('--a="b"'\) must not contain quotes/);
  });
});

describe('the exporters expose the series the PromQL reads (real binaries on 127.0.0.1)', () => {
  /** GETs a URL on the loopback without keep-alive, bounded to 3 s. */
  const get = (url: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = httpGet(url, { agent: false, timeout: 3000 }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('timeout', () => req.destroy(new Error(`${url} did not answer`)));
      req.on('error', reject);
    });

  /** Runs `argv` until `fn` is done, then kills it and waits for its exit. */
  async function withDaemon<T>(argv: string[], fn: () => Promise<T>): Promise<T> {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      return await fn();
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  }

  async function poll(url: string, want: RegExp): Promise<string> {
    let last = '';
    for (let i = 0; i < 50; i++) {
      last = await get(url).catch((e: Error) => e.message);
      if (want.test(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    return last;
  }

  async function freePort(): Promise<number> {
    return new Promise((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
  }

  test('node_exporter serves node_cpu_seconds_total by cpu and mode', async () => {
    requireBinary('prometheus-node-exporter');
    const port = await freePort();
    const text = await withDaemon(['prometheus-node-exporter', `--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.cpu'], () =>
      poll(`http://127.0.0.1:${port}/metrics`, /node_cpu_seconds_total\{/));
    expect(text).toMatch(/^node_cpu_seconds_total\{cpu="0",mode="idle"\} \d/m);
  });

  test('the Apache exporter, with the rendered scrape_uri, turns mod_status into apache_accesses_total', async () => {
    requireBinary('prometheus-apache-exporter');
    // mod_status' machine-readable page, served by a stub on the loopback.
    const status = createServer((req, res) => {
      res.writeHead(req.url === '/server-status?auto' ? 200 : 404, { 'Content-Type': 'text/plain' });
      res.end('ServerVersion: Apache/2.4.57 (Debian)\nServerMPM: event\nTotal Accesses: 4242\nTotal kBytes: 100\nUptime: 60\nBusyWorkers: 3\nIdleWorkers: 72\nScoreboard: ___WWW___\n');
    });
    await new Promise<void>((r) => status.listen(0, '127.0.0.1', () => r()));
    try {
      const statusPort = (status.address() as AddressInfo).port;
      const args = renderDaemonArgs({ daemon: 'prometheus-apache-exporter', args: [`--scrape_uri=http://127.0.0.1:${statusPort}/server-status?auto`] });
      const scrapeUri = /--scrape_uri=(\S+)"/.exec(args)![1];
      const port = await freePort();
      const text = await withDaemon(['prometheus-apache-exporter', `--scrape_uri=${scrapeUri}`, `--telemetry.address=127.0.0.1:${port}`], () =>
        poll(`http://127.0.0.1:${port}/metrics`, /apache_accesses_total/));
      expect(text).toMatch(/^apache_up 1$/m);
      expect(text).toMatch(/^apache_accesses_total 4242$/m);
    } finally {
      await new Promise((r) => status.close(r));
    }
  });
});
