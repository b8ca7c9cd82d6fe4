import { parse } from 'yaml';
import { Flavor } from '../../lib/compute/flavor';
import { ServerCluster } from '../../lib/compute/server-cluster';
import { TrafficSource } from '../../lib/core/connections';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { AlertReceiver, renderNotificationAlertmanagerConfig } from '../../lib/monitoring/alert-routing';
import { PROMETHEUS_SERVER_PATHS, PrometheusServer } from '../../lib/monitoring/prometheus-server';
import { COUNTED_TARGETS_PATHS } from '../../lib/compute/counted-targets';
import { checkHostFile } from '../support/config-checks';
import { checkAlertmanager } from '../support/daemons';
import { fakeTier, hostFile, synthJson, testStack, tierOf } from '../support/synth';
import { WebTier } from '../../lib/web/web-tier';
import { AppTier } from '../../lib/app/app-tier';

function setup() {
  const stack = testStack('ops');
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.2.0/24' });
  const tier = fakeTier(stack, 'Db', vswitch, 2);
  return { stack, vswitch, tier };
}

describe('PrometheusServer', () => {
  test('given a fixed-size tier, when monitored, then its hosts run node_exporter admitted from the server only, and both are counted targets', () => {
    const { stack, vswitch, tier } = setup();
    const prom = new PrometheusServer(stack, 'Prom', { vswitch });
    expect(prom.monitor(tier)).toEqual({ tier, apache: false });
    synthJson(stack);
    const config = JSON.parse(hostFile(stack, 'prom-1', COUNTED_TARGETS_PATHS.config));
    expect(config.jobs.map((j: { file: string }) => j.file)).toEqual(['/etc/prometheus/targets/node.json', '/etc/prometheus/targets/apache.json']);
    // A tier of fixed size has no count variable: both hosts always exist.
    expect(config.jobs[0].targets).toEqual(tier.cluster.instances.map((i) => ({ address: `${i.address}:9100`, labels: { tier: 'ops/Db/Tier', host: i.hostname }, index: i.index })));
    expect(tier.connections.ingressRules.map((r) => [r.port.fromPort, r.source])).toEqual([[9100, TrafficSource.group(prom.connections)]]);
    const prometheusYml = parse(hostFile(stack, 'prom-1', PROMETHEUS_SERVER_PATHS.prometheusConfig));
    expect(prometheusYml.scrape_configs).toEqual([{ job_name: 'node', file_sd_configs: [{ files: ['/etc/prometheus/targets/node.json'] }] }]);
    expect(prometheusYml.rule_files).toEqual([]);
  });

  test('an Apache tier also gets the Apache exporter on its status port', () => {
    const { stack, vswitch } = setup();
    const app = new AppTier(stack, 'App', { vswitch, count: 1, flavor: Flavor.named('b3-8') });
    const web = new WebTier(stack, 'Web', { vswitch, count: 1, flavor: Flavor.named('b3-8'), upstream: app });
    const prom = new PrometheusServer(stack, 'Prom', { vswitch });
    expect(prom.monitor(web).apache).toBe(true);
    expect(prom.countedTargets().map((j) => [j.name, j.targets.length])).toEqual([['node', 1], ['apache', 1]]);
    const rule = (port: number) => web.connections.ingressRules.find((r) => r.port.fromPort === port)!;
    expect([rule(9100).source, rule(9117).source]).toEqual([TrafficSource.group(prom.connections), TrafficSource.group(prom.connections)]);
  });

  test('rule files and scrape jobs added are rendered in order, and every file passes its real check', () => {
    const { stack, vswitch, tier } = setup();
    const prom = new PrometheusServer(stack, 'Prom', { vswitch, receiver: AlertReceiver.webhook('https://hooks.example.net/alerts') });
    prom.monitor(tier);
    prom.addRuleFile('/etc/prometheus/a.yml', () => 'groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up == 0\n');
    prom.addScrapeJob(() => ({ name: 'self', targets: [{ address: '127.0.0.1:9090', labels: {} }] }));
    synthJson(stack);
    const doc = parse(hostFile(stack, 'prom-1', PROMETHEUS_SERVER_PATHS.prometheusConfig));
    expect(doc.rule_files).toEqual(['/etc/prometheus/a.yml']);
    expect(doc.scrape_configs.map((j: { job_name: string }) => j.job_name)).toEqual(['node', 'self']);
    const files = stack.renderHostFiles().filter((f) => f.host === 'prom-1' && f.syntax !== undefined);
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['/etc/prometheus/a.yml', PROMETHEUS_SERVER_PATHS.alertmanagerConfig, PROMETHEUS_SERVER_PATHS.prometheusConfig]));
    for (const f of files) {
      const r = checkHostFile(f)!;
      expect({ file: f.path, ok: r.ok, output: r.ok ? '' : r.output }).toEqual({ file: f.path, ok: true, output: '' });
    }
  });

  describe('errors', () => {
    test('rejects a tier twice and something that is not a tier', () => {
      const { stack, vswitch, tier } = setup();
      const prom = new PrometheusServer(stack, 'Prom', { vswitch });
      prom.monitor(tier);
      expect(() => prom.monitor(tierOf(tier.cluster, 'Again'))).toThrow(/^ops\/Prom: 'tier' \('ops\/Db'\) is already monitored by this server$/);
      const cluster = new ServerCluster(stack, 'Bare', { vswitch, count: 1, flavor: Flavor.named('b3-8') });
      expect(() => prom.monitor(cluster as never)).toThrow(/^ops\/Prom: 'tier' \('<ServerCluster ops\/Bare>'\) must be a server tier/);
    });

    test('rejects a rule file outside /etc/prometheus, a file twice and two jobs of one name', () => {
      const { stack, vswitch } = setup();
      const prom = new PrometheusServer(stack, 'Prom', { vswitch });
      expect(() => prom.addRuleFile('/tmp/r.yml', () => '')).toThrow(/^ops\/Prom: 'ruleFile' \('\/tmp\/r.yml'\) must be a .yml file under '\/etc\/prometheus\/'$/);
      expect(() => prom.addRuleFile('etc/r.yml', () => '')).toThrow(/'ruleFile' \('etc\/r.yml'\) must be an absolute path/);
      prom.addRuleFile('/etc/prometheus/r.yml', () => '');
      expect(() => prom.addRuleFile('/etc/prometheus/r.yml', () => '')).toThrow(/'ruleFile' \('\/etc\/prometheus\/r.yml'\) is already a file of this server/);
      expect(() => prom.addRuleFile(PROMETHEUS_SERVER_PATHS.prometheusConfig, () => '')).toThrow(/is already a file of this server/);
      prom.addScrapeJob(() => ({ name: 'x', targets: [{ address: '127.0.0.1:1', labels: {} }] }));
      prom.addScrapeJob(() => ({ name: 'x', targets: [{ address: '127.0.0.1:2', labels: {} }] }));
      expect(() => prom.scrapeJobs()).toThrow(/^ops\/Prom: 'scrapeJobs' \('x'\) is the name of two scrape jobs/);
    });

    test.each([
      [{ receiver: 'mail me' }, /^ops\/Prom: 'receiver' \('mail me'\) must be an AlertReceiver/],
      [{ receiver: AlertReceiver.webhook('ftp://x') }, /^ops\/Prom: 'receiver.url' \('ftp:\/\/x'\) must be an http\(s\) URL/],
      [{ criticalReceiver: AlertReceiver.email({ to: 'oncall', from: 'prom@example.net', smarthost: 'relay:25' }) }, /^ops\/Prom: 'criticalReceiver.to' \('oncall'\) must be an e-mail address/],
      [{ criticalReceiver: AlertReceiver.email({ to: 'a@example.net', from: 'prom@example.net', smarthost: 'relay' }) }, /^ops\/Prom: 'criticalReceiver.smarthost' \('relay'\) must be 'host:port'/],
      [{ retentionDays: 0 }, /^ops\/Prom: 'retentionDays' \(0\) must be an integer from 1 to 3650/],
    ])('rejects %p', (extra, msg) => {
      const { stack, vswitch } = setup();
      expect(() => new PrometheusServer(stack, 'Prom', { vswitch, ...(extra as object) })).toThrow(msg);
    });

    test('AlertReceiver factories refuse unknown options', () => {
      expect(() => AlertReceiver.webhook('https://x.example', { resolved: true } as never)).toThrow(/^AlertReceiver.webhook: 'options.resolved' \(true\) is not an option here; the options are sendResolved$/);
    });
  });
});

describe('renderNotificationAlertmanagerConfig', () => {
  test('by default, alerts go to a receiver with no integration (kept in Alertmanager), and amtool accepts it', () => {
    const text = renderNotificationAlertmanagerConfig({ receiver: AlertReceiver.none(), criticalReceiver: AlertReceiver.none() });
    const doc = parse(text);
    expect(doc.receivers).toEqual([{ name: 'default' }, { name: 'critical' }]);
    expect(doc.route).toMatchObject({ receiver: 'default', routes: [{ receiver: 'critical', matchers: ['severity="critical"'], repeat_interval: '1h' }] });
    const r = checkAlertmanager(text);
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.ok).toBe(true);
  });

  test('one receiver for both keeps one definition; webhook and e-mail render as Alertmanager reads them', () => {
    const hook = AlertReceiver.webhook('https://hooks.example.net/alerts');
    const mail = AlertReceiver.email({ to: 'oncall@example.net', from: 'prom@example.net', smarthost: 'relay.example.net:587' });
    const same = parse(renderNotificationAlertmanagerConfig({ receiver: hook, criticalReceiver: hook }));
    expect(same.receivers).toEqual([{ name: 'default', webhook_configs: [{ url: 'https://hooks.example.net/alerts', send_resolved: true }] }]);
    expect(same.route.routes[0].receiver).toBe('default');
    const text = renderNotificationAlertmanagerConfig({ receiver: hook, criticalReceiver: mail });
    expect(parse(text).receivers[1]).toEqual({ name: 'critical', email_configs: [{ to: 'oncall@example.net', from: 'prom@example.net', smarthost: 'relay.example.net:587', require_tls: true, send_resolved: true }] });
    expect(checkAlertmanager(text).ok).toBe(true);
    expect(checkAlertmanager(text.replace('receiver: "critical"', 'receiver: "nobody"')).ok).toBe(false);
  });
});
