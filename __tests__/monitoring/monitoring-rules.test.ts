import { parse } from 'yaml';
import { monitoringRuleGroups, renderMonitoringRules } from '../../lib/monitoring/monitoring-rules';
import { checkPrometheusRules, requireBinary, run, scratch } from '../support/daemons';

/** Runs `promtool test rules` on the rendered rules with one test case; returns its output and status. */
function promtoolTest(testCase: Record<string, unknown>) {
  requireBinary('promtool');
  const s = scratch('monrules');
  try {
    s.write('rules.yml', renderMonitoringRules());
    const test = { rule_files: ['rules.yml'], evaluation_interval: '15s', tests: [{ interval: '15s', ...testCase }] };
    return run(['promtool', 'test', 'rules', s.write('test.yml', JSON.stringify(test))], { cwd: s.dir });
  } finally {
    s.cleanup();
  }
}

const URL = 'https://www.sentinelo.example/health';
/** probe_success of the check from one vantage point; `values` in promtool's expanding notation. */
const probe = (vantage: string, values: string) => ({
  series: `probe_success{job="blackbox",check="home",vantage="${vantage}",instance="${URL}"}`,
  values,
});
const downLabels = { alertname: 'EndpointDown', severity: 'critical', check: 'home', instance: URL };
const someLabels = (vantage: string) => ({ alertname: 'EndpointFailingFromSomeVantagePoints', severity: 'warning', job: 'blackbox', check: 'home', vantage, instance: URL });

describe('the central monitoring rules', () => {
  test('promtool check rules accepts them', () => {
    const r = checkPrometheusRules(renderMonitoringRules());
    expect(r.output).toMatch(/SUCCESS: 6 rules found/);
    expect(r.ok).toBe(true);
  });

  test('each alert carries its severity: only a service down for everyone is critical', () => {
    const rules = parse(renderMonitoringRules()).groups.flatMap((g: { rules: { alert: string; labels: { severity: string } }[] }) => g.rules);
    expect(rules.map((r: { alert: string; labels: { severity: string } }) => [r.alert, r.labels.severity])).toEqual([
      ['EndpointDown', 'critical'], ['EndpointFailingFromSomeVantagePoints', 'warning'], ['VantagePointDown', 'warning'],
      ['InstanceDown', 'warning'], ['DiskNearlyFull', 'warning'], ['MemoryNearlyFull', 'warning'],
    ]);
    expect(monitoringRuleGroups().map((g) => g.name)).toEqual(['endpoints', 'hosts']);
  });

  test('promtool test rules: failing from one vantage point of two is a warning naming it, not critical', () => {
    const r = promtoolTest({
      input_series: [probe('central', '1x40'), probe('outside', '1x4 0x35')],
      alert_rule_test: [
        { eval_time: '1m', alertname: 'EndpointFailingFromSomeVantagePoints', exp_alerts: [] },
        { eval_time: '4m', alertname: 'EndpointFailingFromSomeVantagePoints', exp_alerts: [{ exp_labels: someLabels('outside'), exp_annotations: {
          summary: `home: ${URL} fails from outside only`,
          description: `${URL} has failed from outside for 2m while another vantage point reaches it: a network path is broken, not the service.`,
        } }] },
        { eval_time: '4m', alertname: 'EndpointDown', exp_alerts: [] },
      ],
    });
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.ok).toBe(true);
  });

  test('promtool test rules: failing from every vantage point is critical, and the per-vantage warnings are held back', () => {
    const r = promtoolTest({
      // outside fails first (a warning starts pending), then central too: the service is down.
      input_series: [probe('central', '1x8 0x32'), probe('outside', '1x4 0x36')],
      alert_rule_test: [
        { eval_time: '5m', alertname: 'EndpointDown', exp_alerts: [{ exp_labels: downLabels, exp_annotations: {
          summary: `home: ${URL} fails from every vantage point`,
          description: `Every vantage point probing ${URL} has failed for 2m: the service is down for everyone.`,
        } }] },
        { eval_time: '5m', alertname: 'EndpointFailingFromSomeVantagePoints', exp_alerts: [] },
      ],
    });
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.ok).toBe(true);
  });

  test('promtool test rules: the test can fail (expecting critical where one vantage point still succeeds)', () => {
    const r = promtoolTest({
      input_series: [probe('central', '1x40'), probe('outside', '0x40')],
      alert_rule_test: [{ eval_time: '5m', alertname: 'EndpointDown', exp_alerts: [{ exp_labels: downLabels }] }],
    });
    expect(r.ok).toBe(false);
  });

  test('promtool test rules: a node_exporter down, a disk and the memory nearly full', () => {
    const node = 'job="node",tier="sentinelo/Web",host="web-1",instance="10.0.3.10:9100"';
    const fs = `${node},device="/dev/sda1",fstype="ext4",mountpoint="/"`;
    const tmp = `${node},device="tmpfs",fstype="tmpfs",mountpoint="/run"`;
    const r = promtoolTest({
      input_series: [
        { series: `up{${node}}`, values: '1x4 0x80' },
        { series: `node_filesystem_avail_bytes{${fs}}`, values: '5x80' },
        { series: `node_filesystem_size_bytes{${fs}}`, values: '100x80' },
        // A full tmpfs is the kernel's business, not an alert.
        { series: `node_filesystem_avail_bytes{${tmp}}`, values: '0x80' },
        { series: `node_filesystem_size_bytes{${tmp}}`, values: '100x80' },
        { series: `node_memory_MemAvailable_bytes{${node}}`, values: '50x80' },
        { series: `node_memory_MemTotal_bytes{${node}}`, values: '1000x80' },
      ],
      alert_rule_test: [
        { eval_time: '4m', alertname: 'InstanceDown', exp_alerts: [{ exp_labels: { alertname: 'InstanceDown', severity: 'warning', job: 'node', tier: 'sentinelo/Web', host: 'web-1', instance: '10.0.3.10:9100' }, exp_annotations: {
          summary: 'web-1 (sentinelo/Web) does not answer', description: 'node_exporter on web-1 has not answered for 2m: the instance is down or unreachable.',
        } }] },
        { eval_time: '9m', alertname: 'DiskNearlyFull', exp_alerts: [] },
        { eval_time: '11m', alertname: 'DiskNearlyFull', exp_alerts: [{ exp_labels: { alertname: 'DiskNearlyFull', severity: 'warning', job: 'node', tier: 'sentinelo/Web', host: 'web-1', instance: '10.0.3.10:9100', device: '/dev/sda1', fstype: 'ext4', mountpoint: '/' }, exp_annotations: {
          summary: 'web-1: / nearly full', description: 'Less than 10 % of / on web-1 has been free for 10m.',
        } }] },
        { eval_time: '11m', alertname: 'MemoryNearlyFull', exp_alerts: [{ exp_labels: { alertname: 'MemoryNearlyFull', severity: 'warning', job: 'node', tier: 'sentinelo/Web', host: 'web-1', instance: '10.0.3.10:9100' }, exp_annotations: {
          summary: 'web-1: memory nearly full', description: 'Less than 10 % of the memory of web-1 has been available for 10m.',
        } }] },
      ],
    });
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.ok).toBe(true);
  });
});
