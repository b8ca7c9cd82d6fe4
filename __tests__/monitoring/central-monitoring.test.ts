import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { TrafficSource } from '../../lib/core/connections';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { AlertReceiver } from '../../lib/monitoring/alert-routing';
import { BLACKBOX_CONFIG_PATH, BLACKBOX_DEFAULTS_PATH, HttpCheckMethod } from '../../lib/monitoring/blackbox-config';
import { CentralMonitoring, MONITORING_RULES_PATH } from '../../lib/monitoring/central-monitoring';
import { PROMETHEUS_SERVER_PATHS } from '../../lib/monitoring/prometheus-server';
import { checkHostFile } from '../support/config-checks';
import { checkBlackbox } from '../support/daemons';
import { fakeTier, hostFile, synthJson, testStack } from '../support/synth';

function setup() {
  const stack = testStack('sentinelo');
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.3.0/24' });
  const remote = new PrivateVSwitch(stack, 'Remote', { cidr: '10.0.4.0/24' });
  const web = fakeTier(stack, 'Web', vswitch, 2);
  const monitoring = new CentralMonitoring(stack, 'Monitoring', { vswitch, tiers: [web], receiver: AlertReceiver.webhook('https://hooks.example.net/alerts') });
  return { stack, vswitch, remote, web, monitoring };
}

/** A monitoring that passes validation: a probe elsewhere, a public and a private check. */
function complete() {
  const f = setup();
  const outside = f.monitoring.addProbe('Outside', { vswitch: f.remote });
  const pub = f.monitoring.addHttpCheck('https://www.sentinelo.example', { path: '/health', expectStatus: [200, 204] });
  const db = f.monitoring.addTcpCheck('10.0.3.50', 3306, { name: 'database', from: [f.monitoring.central] });
  return { ...f, outside, pub, db };
}

describe('CentralMonitoring', () => {
  test('given a probe and two checks, then the blackbox job asks each vantage point per check, labelled by vantage', () => {
    const { stack, monitoring, outside } = complete();
    expect(monitoring.vantagePoints.map((v) => [v.vantageName, v.exporterAddress])).toEqual([['central', '127.0.0.1:9115'], ['outside', `${outside.instance.address}:9115`]]);
    synthJson(stack);
    const doc = parse(hostFile(stack, 'monitoring-1', PROMETHEUS_SERVER_PATHS.prometheusConfig));
    expect(doc.rule_files).toEqual([MONITORING_RULES_PATH]);
    const job = doc.scrape_configs.find((j: { job_name: string }) => j.job_name === 'blackbox');
    expect(job.metrics_path).toBe('/probe');
    const target = (check: string, vantage: string, address: string, url: string) => ({ targets: [address], labels: { check, vantage, instance: url, __param_module: check, __param_target: url } });
    expect(job.static_configs).toEqual([
      target('www-sentinelo-example-health', 'central', '127.0.0.1:9115', 'https://www.sentinelo.example/health'),
      target('www-sentinelo-example-health', 'outside', `${outside.instance.address}:9115`, 'https://www.sentinelo.example/health'),
      // The database check runs from the central server only (a private address).
      target('database', 'central', '127.0.0.1:9115', '10.0.3.50:3306'),
    ]);
    expect(doc.scrape_configs.map((j: { job_name: string }) => j.job_name)).toEqual(['node', 'blackbox']);
  });

  test('every vantage point runs the same modules; the central exporter listens on the loopback, a probe on its own address', () => {
    const { stack, outside } = complete();
    synthJson(stack);
    const central = hostFile(stack, 'monitoring-1', BLACKBOX_CONFIG_PATH);
    expect(hostFile(stack, 'outside-1', BLACKBOX_CONFIG_PATH)).toBe(central);
    const modules = parse(central).modules;
    expect(modules['www-sentinelo-example-health']).toEqual({
      prober: 'http', timeout: '5s',
      http: { method: 'GET', valid_status_codes: [200, 204], follow_redirects: false, fail_if_not_ssl: true, preferred_ip_protocol: 'ip4', ip_protocol_fallback: false },
    });
    expect(modules.database).toEqual({ prober: 'tcp', timeout: '5s', tcp: { preferred_ip_protocol: 'ip4', ip_protocol_fallback: false } });
    expect(hostFile(stack, 'monitoring-1', BLACKBOX_DEFAULTS_PATH)).toMatch(/^ARGS="--config.file=\/etc\/prometheus\/blackbox.yml --web.listen-address=127.0.0.1:9115"$/m);
    expect(hostFile(stack, 'outside-1', BLACKBOX_DEFAULTS_PATH)).toMatch(new RegExp(`^ARGS="--config.file=/etc/prometheus/blackbox.yml --web.listen-address=${outside.instance.address.replace(/\./g, '\\.')}:9115"$`, 'm'));
  });

  test("a probe's exporter admits the central server only, and the probe's host is monitored like a tier's", () => {
    const { monitoring, outside, web } = complete();
    expect(outside.connections.ingressRules.map((r) => [r.port.fromPort, r.source])).toEqual([
      [9115, TrafficSource.group(monitoring.connections)],
      [9100, TrafficSource.group(monitoring.connections)],
    ]);
    expect(monitoring.tiers.map((t) => t.tier)).toEqual([web, outside]);
    expect(monitoring.connections.ingressRules).toEqual([]);
  });

  test('every config of the central server and of the probe passes its real check', () => {
    const { stack } = complete();
    synthJson(stack);
    const files = stack.renderHostFiles().filter((f) => ['monitoring-1', 'outside-1', 'web-1'].includes(f.host) && f.syntax !== undefined);
    expect(files.map((f) => `${f.host}:${f.path}`)).toEqual(expect.arrayContaining([
      `monitoring-1:${MONITORING_RULES_PATH}`, `monitoring-1:${BLACKBOX_CONFIG_PATH}`, `outside-1:${BLACKBOX_CONFIG_PATH}`, `monitoring-1:${PROMETHEUS_SERVER_PATHS.alertmanagerConfig}`,
    ]));
    for (const f of files) {
      const r = checkHostFile(f)!;
      expect({ file: `${f.host}:${f.path}`, ok: r.ok, output: r.ok ? '' : r.output }).toEqual({ file: `${f.host}:${f.path}`, ok: true, output: '' });
    }
    // The check can fail: a misspelt setting is refused.
    const bad = checkBlackbox(hostFile(stack, 'monitoring-1', BLACKBOX_CONFIG_PATH).replace('follow_redirects:', 'follow_redirectz:'));
    expect(bad.output).toMatch(/field follow_redirectz not found/);
    expect(bad.ok).toBe(false);
  });

  test('honours the method, redirects, timeout and a single expected status', () => {
    const { monitoring } = setup();
    const check = monitoring.addHttpCheck('http://10.0.3.10:8080/status', { method: HttpCheckMethod.HEAD, followRedirects: true, timeoutSeconds: 3, expectStatus: 301 });
    expect(check).toMatchObject({ name: '10-0-3-10-status', target: 'http://10.0.3.10:8080/status', module: { timeoutSeconds: 3, http: { method: 'HEAD', validStatusCodes: [301], followRedirects: true, failIfNotSsl: false } } });
  });

  describe('errors', () => {
    test('at synth, refuses a monitoring without a probe or without a check', () => {
      const { stack, monitoring } = setup();
      expect(monitoring.node.validate()).toEqual([
        "sentinelo/Monitoring: 'probes' ([]) must hold at least one probe (addProbe): a check needs a second vantage point to tell a service down from a broken path",
        "sentinelo/Monitoring: 'checks' ([]) must hold at least one check (addHttpCheck or addTcpCheck)",
      ]);
      expect(() => Testing.synth(stack, true)).toThrow(/must hold at least one probe/);
    });

    test.each([
      [(m: CentralMonitoring) => m.addHttpCheck('ftp://x.example'), /^sentinelo\/Monitoring: 'httpCheck.endpoint' \('ftp:\/\/x.example'\) must be an http\(s\) URL/],
      [(m: CentralMonitoring) => m.addHttpCheck('https://x.example/a', { path: '/b' }), /'httpCheck.endpoint' \('https:\/\/x.example\/a'\) must have no path of its own when 'path' is given/],
      [(m: CentralMonitoring) => m.addHttpCheck('https://x.example', { path: 'b' }), /'httpCheck.path' \('b'\) must start with '\/'/],
      [(m: CentralMonitoring) => m.addHttpCheck('https://x.example', { expectStatus: [] }), /'httpCheck.expectStatus' \(\[\]\) must be an HTTP status from 100 to 599, or a non-empty list of them/],
      [(m: CentralMonitoring) => m.addHttpCheck('https://x.example', { expectStatus: 999 }), /'httpCheck.expectStatus' \(999\) must be an HTTP status/],
      [(m: CentralMonitoring) => m.addHttpCheck('https://x.example', { method: 'POST' as HttpCheckMethod }), /'httpCheck.method' \('POST'\) must be one of GET, HEAD/],
      [(m: CentralMonitoring) => m.addHttpCheck('https://x.example', { name: 'Shop Home' }), /'httpCheck.name' \('Shop Home'\) must be 1 to 63 lower-case letters/],
      [(m: CentralMonitoring) => m.addHttpCheck('https://x.example', { timeoutSeconds: 10 }), /'httpCheck.timeoutSeconds' \(10\) must be an integer from 1 to 9/],
      [(m: CentralMonitoring) => m.addHttpCheck('https://x.example', { from: [] }), /'httpCheck.from' \(\[\]\) must be a non-empty list of vantage points/],
      [(m: CentralMonitoring) => m.addHttpCheck('https://x.example', { from: [{ vantageName: 'x' } as never] }), /'httpCheck.from\[0\]' .* must be a vantage point of this monitoring/],
      [(m: CentralMonitoring) => m.addHttpCheck('https://x.example', { expect: 200 } as never), /'httpCheck.expect' \(200\) is not an option here/],
      [(m: CentralMonitoring) => m.addTcpCheck('db host', 3306), /'tcpCheck.host' \('db host'\) must be a host name or an IPv4 address/],
      [(m: CentralMonitoring) => m.addTcpCheck('db', 0), /'tcpCheck.port' \(0\) must be an integer from 1 to 65535/],
    ])('rejects a bad check (%#)', (add, msg) => {
      const { monitoring } = setup();
      expect(() => add(monitoring)).toThrow(msg);
    });

    test('rejects a check name twice and a vantage name twice or malformed', () => {
      const { monitoring, remote } = setup();
      monitoring.addTcpCheck('db', 3306);
      expect(() => monitoring.addTcpCheck('db', 3306)).toThrow(/^sentinelo\/Monitoring: 'tcpCheck.name' \('db-3306'\) is already the name of another check; give a name$/);
      expect(() => monitoring.addProbe('Central', { vswitch: remote })).toThrow(/^sentinelo\/Monitoring: 'Central.vantageName' \('central'\) is already the name of another vantage point$/);
      expect(() => monitoring.addProbe('Gra', { vswitch: remote, vantageName: 'GRA_1' })).toThrow(/'Gra.vantageName' \('GRA_1'\) must be 1 to 63 lower-case letters/);
    });

    test('rejects a bad central vantage name and a tier that is not one', () => {
      const { stack, vswitch } = setup();
      expect(() => new CentralMonitoring(stack, 'M1', { vswitch, vantageName: '' })).toThrow(/^sentinelo\/M1: 'vantageName' \(''\) must be 1 to 63 lower-case letters/);
      expect(() => new CentralMonitoring(stack, 'M2', { vswitch, tiers: [vswitch as never] })).toThrow(/^sentinelo\/M2: 'tiers\[0\]' \('<PrivateVSwitch sentinelo\/Net>'\) must be a server tier/);
    });
  });
});
