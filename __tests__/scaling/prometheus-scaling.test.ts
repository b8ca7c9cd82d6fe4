import { gunzipSync } from 'node:zlib';
import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { Flavor } from '../../lib/compute/flavor';
import { ServerCluster } from '../../lib/compute/server-cluster';
import { Peer, TrafficSource } from '../../lib/core/connections';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { MONITORING_PATHS, PrometheusScaling } from '../../lib/scaling/prometheus-scaling';
import { CountApplier } from '../../lib/scaling/count-applier';
import { COUNTED_TARGETS_PATHS } from '../../lib/compute/counted-targets';
import { DEFAULT_SCALING_ENGINE, ScalingEngine } from '../../lib/scaling/scaling-engine';
import { ScalingMetric } from '../../lib/scaling/scaling-model';
import { checkProviderSchema, loadOpenstackProviderSchema } from '../../lib/validation/provider-schema-check';
import { checkTerraformTemplates } from '../../lib/validation/terraform-template-check';
import { checkHostFile } from '../support/config-checks';
import { resourcesOf, synthJson, tierOf } from '../support/synth';
import { CPU_RULE, fakeRules, RPS_RULE, realisationStack } from './realisation-fixtures';

function setup(props: Partial<ConstructorParameters<typeof PrometheusScaling>[2]> = {}) {
  const f = realisationStack();
  const webRules = fakeRules(f.web, 'shop/Web', [CPU_RULE, RPS_RULE]);
  const appRules = fakeRules(f.app, 'shop/App', [CPU_RULE]);
  // These rules follow no calendar, so no scaling workflow exists to dispatch: the hook applies on the server.
  const monitoring = new PrometheusScaling(f.stack, 'Monitoring', { vswitch: f.vswitch, rules: [webRules, appRules], applier: CountApplier.onMonitoringServer(), ...props });
  return { ...f, webRules, appRules, monitoring };
}

type HostDoc = { packages: string[]; write_files: { path: string; content: string; permissions: string; encoding?: string }[]; runcmd: string[][] };

function hostDoc(json: Record<string, any>, hostname: string): HostDoc {
  const server = resourcesOf(json, 'openstack_compute_instance_v2').find((s) => s.name === hostname);
  return parse(server!.user_data) as HostDoc;
}

/** A file's content as cloud-init writes it (the monitoring server's bodies are gzip+base64 once the user data nears Nova's limit). */
const fileOf = (doc: HostDoc, path: string) => {
  const f = doc.write_files.find((x) => x.path === path);
  return f?.encoding === 'gz+b64' ? gunzipSync(Buffer.from(f.content, 'base64')).toString('utf8') : f?.content;
};

describe('PrometheusScaling', () => {
  test('the default engine is Terraform + Prometheus (OVHcloud has no Aodh)', () => {
    expect(DEFAULT_SCALING_ENGINE).toBe(ScalingEngine.TERRAFORM_SCHEDULE_AND_PROMETHEUS);
    expect(Object.values(ScalingEngine)).toEqual(['terraform-schedule-and-prometheus', 'heat-aodh']);
  });

  test('given two tiers, when synthesized, then one monitoring server runs Prometheus, Alertmanager and the scaling hook', () => {
    const { stack } = setup();
    const json = synthJson(stack);
    const doc = hostDoc(json, 'monitoring-1');
    expect(doc.packages).toEqual(expect.arrayContaining(['prometheus', 'prometheus-alertmanager', 'python3']));
    const notFiles: string[] = [MONITORING_PATHS.hookEnvironment, MONITORING_PATHS.dispatchEnvironment, MONITORING_PATHS.hookStateDirectory, MONITORING_PATHS.hookState, MONITORING_PATHS.targetsDirectory];
    for (const path of Object.values(MONITORING_PATHS).filter((p) => !p.includes('apache') && !notFiles.includes(p))) {
      expect(fileOf(doc, path)).toBeDefined();
    }
    expect(doc.runcmd).toEqual(expect.arrayContaining([
      ['useradd', '--system', '--user-group', '--home-dir', '/var/lib/scaling-hook', '--shell', '/usr/sbin/nologin', 'scaling-hook'],
      ['install', '-d', '-o', 'scaling-hook', '-g', 'scaling-hook', '-m', '0750', '/srv/terraform/shop', '/srv/terraform/shop/scaling'],
      ['systemctl', 'enable', 'scaling-hook'],
    ]));
    // Without an admin peer the UIs listen on the loopback only.
    expect(fileOf(doc, MONITORING_PATHS.prometheusDefaults)).toMatch(/^ARGS="--web.listen-address=127.0.0.1:9090 --storage.tsdb.retention.time=15d"$/m);
    expect(fileOf(doc, MONITORING_PATHS.alertmanagerDefaults)).toMatch(/^ARGS="--web.listen-address=127.0.0.1:9093 --cluster.listen-address="$/m);
  });

  test('every planned instance of each tier is a counted target of node_exporter, the Apache tier also of the Apache exporter', () => {
    const { stack, monitoring, web, app } = setup();
    const json = synthJson(stack);
    const doc = hostDoc(json, 'monitoring-1');
    const prom = parse(fileOf(doc, MONITORING_PATHS.prometheusConfig)!);
    // Prometheus reads the targets files the scrape-targets unit writes from the counts.
    expect(prom.scrape_configs).toEqual([
      { job_name: 'node', file_sd_configs: [{ files: ['/etc/prometheus/targets/node.json'] }] },
      { job_name: 'apache', file_sd_configs: [{ files: ['/etc/prometheus/targets/apache.json'] }] },
    ]);
    const config = JSON.parse(fileOf(doc, COUNTED_TARGETS_PATHS.config)!);
    expect(config.metadataUrl).toBe('http://169.254.169.254/openstack/latest/meta_data.json');
    const targets = (job: string) => config.jobs.find((j: { file: string }) => j.file.endsWith(`/${job}.json`)).targets;
    const planned = (tier: { cluster: ServerCluster }, name: string, variable: string, port: number) =>
      tier.cluster.instances.map((i) => ({ address: `${i.address}:${port}`, labels: { tier: name, host: i.hostname }, countVariable: variable, index: i.index }));
    expect(targets('node')).toEqual([...planned(web, 'shop/Web', 'web_servers_count', 9100), ...planned(app, 'shop/App', 'app_servers_count', 9100)]);
    expect(targets('node')).toHaveLength(6 + 8);
    expect(targets('apache')).toEqual(planned(web, 'shop/Web', 'web_servers_count', 9117));
    expect(monitoring.countedTargets().map((j) => j.targets.length)).toEqual([14, 6]);
    // The counts reach the running server as metadata Terraform updates in place (never replacing it).
    const server = resourcesOf(json, 'openstack_compute_instance_v2').find((s) => s.name === 'monitoring-1')!;
    expect(server.metadata).toMatchObject({ 'hosting-stacks:count:web_servers_count': '${var.web_servers_count}', 'hosting-stacks:count:app_servers_count': '${var.app_servers_count}' });
    expect(server.lifecycle.ignore_changes).toEqual(['user_data', 'metadata["hosting-stacks:config"]']);
    // Written before Prometheus starts, then every 30 s by the timer.
    const enabled = doc.runcmd.filter((c) => Array.isArray(c) && c[0] === 'systemctl' && c[1] === 'restart').map((c) => c[2]);
    expect(enabled.indexOf('hosting-stacks-counted-targets.service')).toBeLessThan(enabled.indexOf('prometheus'));
    expect(enabled).toContain('hosting-stacks-counted-targets.timer');
    expect(fileOf(doc, '/etc/systemd/system/hosting-stacks-counted-targets.service')).toContain('Before=prometheus.service');
  });

  test('the tier hosts get the exporters, and the tiers admit them from the monitoring server only', () => {
    const { stack, web, app, monitoring } = setup();
    const json = synthJson(stack);
    const web6 = hostDoc(json, 'web-6');
    expect(web6.packages).toEqual(expect.arrayContaining(['prometheus-node-exporter', 'prometheus-apache-exporter']));
    expect(fileOf(web6, MONITORING_PATHS.apacheExporterDefaults)).toMatch(/^ARGS="--scrape_uri=http:\/\/127.0.0.1:80\/server-status\?auto"$/m);
    const app1 = hostDoc(json, 'app-1');
    expect(app1.packages).toContain('prometheus-node-exporter');
    expect(app1.packages).not.toContain('prometheus-apache-exporter');
    const rule = (c: typeof web.connections, port: number) => c.ingressRules.find((r) => r.port.fromPort === port);
    for (const [tier, ports] of [[web, [9100, 9117]], [app, [9100]]] as const) {
      for (const p of ports) {
        const r = rule(tier.connections, p)!;
        expect(r.source).toEqual(TrafficSource.group(monitoring.connections));
      }
    }
    expect(rule(app.connections, 9117)).toBeUndefined();
    expect(monitoring.connections.ingressRules).toEqual([]);
  });

  test('the rules, Alertmanager config and hook config are read from the plans at synth', () => {
    const { stack, webRules, monitoring } = setup();
    // A campaign added after the construct: the plan is read at synth.
    (webRules as { plan: typeof webRules.plan }).plan = {
      ...webRules.plan,
      scheduled: [{ campaign: 'late', scaleOutAt: new Date('2027-12-01T00:00:00Z'), start: new Date('2027-12-01T01:00:00Z'), end: new Date('2027-12-02T00:00:00Z'), scaleInAt: new Date('2027-12-02T00:00:00Z'), count: 5, peakConcurrentUsers: 2000 }],
    };
    const doc = hostDoc(synthJson(stack), 'monitoring-1');
    const rules = parse(fileOf(doc, MONITORING_PATHS.rules)!);
    expect(rules.groups.map((g: { name: string }) => g.name)).toEqual(['scaling-web_servers_count', 'scaling-app_servers_count']);
    const am = parse(fileOf(doc, MONITORING_PATHS.alertmanagerConfig)!);
    expect(am.receivers[0].webhook_configs[0].url).toBe(monitoring.hookUrl);
    expect(monitoring.hookUrl).toBe('http://127.0.0.1:9095/alerts');
    const hook = JSON.parse(fileOf(doc, MONITORING_PATHS.hookConfig)!);
    // The count-only apply, installed next to the hook: a plan changing more than the counts is refused.
    expect(hook.command).toEqual(['/usr/bin/python3', '/usr/local/lib/scaling-hook/count-apply.py', '/srv/terraform/shop', '-var-file=scaling/hook.auto.tfvars.json']);
    expect(fileOf(doc, MONITORING_PATHS.countApply)).toContain('Applies new instance counts, and nothing else.');
    expect(hook.tiers.web_servers_count.windows).toEqual([{ campaign: 'late', scaleOutAt: '2027-12-01T00:00:00.000Z', scaleInAt: '2027-12-02T00:00:00.000Z', count: 5 }]);
    expect(Object.keys(hook.tiers)).toEqual(['web_servers_count', 'app_servers_count']);
  });

  test('a second synth does not add the plan files twice', () => {
    const { stack } = setup();
    synthJson(stack);
    expect(() => synthJson(stack)).not.toThrow();
  });

  test('every config of the monitoring server and of one host per tier passes its real check', () => {
    const { stack } = setup();
    synthJson(stack);
    const files = stack.renderHostFiles().filter((f) => ['monitoring-1', 'web-1', 'app-1'].includes(f.host) && f.syntax !== undefined);
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining([MONITORING_PATHS.rules, MONITORING_PATHS.alertmanagerConfig, MONITORING_PATHS.prometheusConfig, MONITORING_PATHS.hookScript, MONITORING_PATHS.hookUnit, MONITORING_PATHS.apacheExporterDefaults]));
    for (const f of files) {
      const r = checkHostFile(f)!;
      expect({ file: `${f.host}:${f.path}`, ok: r.ok, output: r.ok ? '' : r.output }).toEqual({ file: `${f.host}:${f.path}`, ok: true, output: '' });
    }
  });

  test('the Terraform conforms to the provider schema and its strings are valid templates', () => {
    const { stack } = setup({ adminPeer: Peer.ipv4('198.51.100.0/24') });
    const json = synthJson(stack);
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
  });

  test('given an admin peer, then the UIs listen on all addresses and only the peer may reach them', () => {
    const { stack, monitoring } = setup({ adminPeer: Peer.ipv4('198.51.100.0/24') });
    expect(monitoring.connections.ingressRules.map((r) => [r.port.fromPort, r.source])).toEqual([
      [9090, TrafficSource.cidr('198.51.100.0/24')],
      [9093, TrafficSource.cidr('198.51.100.0/24')],
    ]);
    const doc = hostDoc(synthJson(stack), 'monitoring-1');
    expect(fileOf(doc, MONITORING_PATHS.prometheusDefaults)).toMatch(/--web.listen-address=0.0.0.0:9090/);
  });

  test('given a construct as admin peer (Peer.of), then only its security group may reach the UIs', () => {
    const f = realisationStack();
    const jump = new ServerCluster(f.stack, 'Jump', { vswitch: f.vswitch, count: 1, flavor: Flavor.named('b2-7') });
    const monitoring = new PrometheusScaling(f.stack, 'Monitoring', { vswitch: f.vswitch, rules: [fakeRules(f.web, 'shop/Web', [CPU_RULE])], adminPeer: Peer.of(jump) });
    expect(monitoring.connections.ingressRules.map((r) => [r.port.fromPort, r.source])).toEqual([
      [9090, TrafficSource.group(jump.connections)],
      [9093, TrafficSource.group(jump.connections)],
    ]);
    const doc = hostDoc(synthJson(f.stack), 'monitoring-1');
    expect(fileOf(doc, MONITORING_PATHS.prometheusDefaults)).toMatch(/--web.listen-address=0.0.0.0:9090/);
  });

  test('honours the working directory, command, port and flavor', () => {
    const { stack, monitoring } = setup({ applier: CountApplier.onMonitoringServer({ workingDirectory: '/opt/shop', command: ['tofu', 'apply', '-auto-approve'], timeoutMinutes: 45 }), hookPort: 9500, flavor: Flavor.named('b3-8') });
    expect([monitoring.applyTarget.workingDirectory, monitoring.hookUrl, monitoring.server.flavor.name]).toEqual(['/opt/shop', 'http://127.0.0.1:9500/alerts', 'b3-8']);
    const doc = hostDoc(synthJson(stack), 'monitoring-1');
    const hook = JSON.parse(fileOf(doc, MONITORING_PATHS.hookConfig)!);
    expect([hook.command, hook.dispatch, hook.applyTimeoutSeconds, hook.listenPort, hook.workingDirectory]).toEqual([['tofu', 'apply', '-auto-approve'], undefined, 2700, 9500, '/opt/shop']);
    // The operator's cloud credentials are optional to the unit; no dispatch token is written.
    expect(fileOf(doc, MONITORING_PATHS.hookUnit)).toContain(`EnvironmentFile=-${MONITORING_PATHS.hookEnvironment}\n`);
    expect(fileOf(doc, MONITORING_PATHS.dispatchEnvironment)).toBeUndefined();
  });

  describe('errors', () => {
    test('rejects no rules', () => {
      const f = realisationStack();
      expect(() => new PrometheusScaling(f.stack, 'M', { vswitch: f.vswitch, rules: [] })).toThrow(/shop\/M: 'rules' \(\[\]\) must name at least one tier to scale/);
    });
    test('rejects a tier that does not scale', () => {
      const f = realisationStack();
      const fixed = new ServerCluster(f.stack, 'Fixed', { vswitch: f.vswitch, count: 1, flavor: Flavor.named('b3-8') });
      const rules = { tier: tierOf(fixed), plan: fakeRules(f.web, 'shop/Web', []).plan };
      expect(() => new PrometheusScaling(f.stack, 'M', { vswitch: f.vswitch, rules: [rules] })).toThrow(/shop\/M: 'rules' \('shop\/Fixed'\) does not scale/);
    });
    test('rejects a tier twice and a tier another monitoring server scales', () => {
      const f = realisationStack();
      const r = fakeRules(f.web, 'shop/Web', [CPU_RULE]);
      expect(() => new PrometheusScaling(f.stack, 'M', { vswitch: f.vswitch, rules: [r, r] })).toThrow(/'rules' \('shop\/Web\/Servers'\) appears more than once/);
      new PrometheusScaling(f.stack, 'M1', { vswitch: f.vswitch, rules: [r] });
      expect(() => new PrometheusScaling(f.stack, 'M2', { vswitch: f.vswitch, rules: [r] })).toThrow(/shop\/M2: 'rules' \('shop\/Web\/Servers'\) is already scaled by shop\/M1/);
    });
    test.each([[80, /must be an integer from 1024 to 65535/], [9093, /must differ from Prometheus \(9090\), Alertmanager \(9093, 9094\)/]])('rejects hookPort %p', (hookPort, msg) => {
      expect(() => setup({ hookPort })).toThrow(msg);
    });
    test('rejects a relative or dotted working directory and an empty command', () => {
      const on = CountApplier.onMonitoringServer;
      expect(() => setup({ applier: on({ workingDirectory: 'srv/x' }) })).toThrow(/^shop\/Monitoring: 'applier.workingDirectory' \('srv\/x'\) must be an absolute path/);
      expect(() => setup({ applier: on({ workingDirectory: '/srv/../etc' }) })).toThrow(/'applier.workingDirectory' \('\/srv\/..\/etc'\) must be an absolute path/);
      expect(() => setup({ applier: on({ command: [] }) })).toThrow(/^shop\/Monitoring: 'applier.command' \(\[\]\) must be a non-empty argv list/);
      expect(() => setup({ applier: on({ timeoutMinutes: 0 }) })).toThrow(/'applier.timeoutMinutes' \(0\) must be an integer from 1 to 1440/);
    });
    test('rejects an applier not made by CountApplier, and an unknown option', () => {
      expect(() => setup({ applier: { bind: () => ({}) } as unknown as CountApplier })).toThrow(/^shop\/Monitoring: 'applier' .* must be a CountApplier \(CountApplier.githubWorkflow\(...\) or CountApplier.onMonitoringServer\(...\)\)$/);
      expect(() => CountApplier.githubWorkflow({ repo: 'a/b' } as never)).toThrow(/CountApplier.githubWorkflow: 'options.repo' .*is not an option here; the options are repository, workflowFile, ref, apiUrl, applyTimeoutMinutes/);
    });
    test('rejects an admin peer given as the construct itself, not as Peer.of(construct)', () => {
      const f = realisationStack();
      const jump = new ServerCluster(f.stack, 'Jump', { vswitch: f.vswitch, count: 1, flavor: Flavor.named('b2-7') });
      expect(() => new PrometheusScaling(f.stack, 'M', { vswitch: f.vswitch, rules: [fakeRules(f.web, 'shop/Web', [CPU_RULE])], adminPeer: jump as unknown as Peer }))
        .toThrow(/^shop\/M: 'adminPeer' \('<ServerCluster shop\/Jump>'\) must be a Peer \(Peer\.ipv4\('198\.51\.100\.0\/24'\) or Peer\.of\(construct with connections\)\)$/);
    });
    test("rejects an admin peer of another stack's construct", () => {
      const f = realisationStack();
      const other = new HostingStack(f.stack.node.scope!, 'other');
      const jump = new ServerCluster(other, 'Jump', { vswitch: new PrivateVSwitch(other, 'Net', { cidr: '10.0.9.0/24' }), count: 1, flavor: Flavor.named('b2-7') });
      expect(() => new PrometheusScaling(f.stack, 'M', { vswitch: f.vswitch, rules: [fakeRules(f.web, 'shop/Web', [CPU_RULE])], adminPeer: Peer.of(jump) }))
        .toThrow(/^shop\/M: 'adminPeer' \('Peer\.of\(<ServerCluster other\/Jump>\)'\) is in stack 'other'; it must be in the same stack 'shop'/);
    });
    test('rejects retention and timeout out of range', () => {
      expect(() => setup({ retentionDays: 0 })).toThrow(/'retentionDays' \(0\) must be an integer from 1 to 3650/);
    });
    test('at synth, refuses an RPS rule on a tier without Apache, a metric twice and a plan for another variable', () => {
      const f = realisationStack();
      const app = fakeRules(f.app, 'shop/App', [CPU_RULE, RPS_RULE, { ...CPU_RULE, metric: ScalingMetric.CPU }]);
      const web = { tier: f.web, plan: { ...fakeRules(f.web, 'shop/Web', [CPU_RULE]).plan, countVariable: 'web_count' } };
      const m = new PrometheusScaling(f.stack, 'M', { vswitch: f.vswitch, rules: [app, web] });
      const errors = m.node.validate();
      expect(errors).toEqual([
        // The default applier dispatches the calendar's workflow; these rules follow no calendar.
        "shop/M: 'applier' (CountApplier.githubWorkflow()) dispatches the stack's scaling workflow, scaling/github-actions.yml, which a CampaignCalendar writes; none of the rules follows one. Give the rules a calendar (it may have no campaigns) or use CountApplier.onMonitoringServer()",
        "shop/M: 'shop/App.reactive[1].metric' ('requests-per-second') needs Apache's mod_status, which shop/App/Servers does not run; use the cpu metric for this tier",
        "shop/M: 'shop/App.reactive[2].metric' ('cpu') appears more than once; one rule per metric and tier",
        "shop/M: 'rules' (shop/Web/Servers) has a plan for count variable 'web_count' but the cluster's is 'web_servers_count'",
      ]);
      expect(() => Testing.synth(f.stack, true)).toThrow(/needs Apache's mod_status/);
    });
  });
});
