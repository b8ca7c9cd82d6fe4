import { BLACKBOX_JOB } from './blackbox-config';
import { NODE_JOB, PrometheusAlertRule, PrometheusRuleGroup, promDuration, renderPrometheusRuleGroups } from './prometheus-files';

/** Severity of an alert (`severity` label): what Alertmanager routes on. */
export enum AlertSeverity {
  /** Someone must act now: the service is down. */
  CRITICAL = 'critical',
  /** Someone should look soon: a path, an instance or a disk degrades. */
  WARNING = 'warning',
}

/** Thresholds of the host and endpoint alerts. */
export interface MonitoringThresholds {
  /** Seconds an endpoint (or an instance) must fail before it alerts. */
  readonly failingForSeconds: number;
  /** Fraction of a filesystem still free under which it alerts (0 to 1). */
  readonly diskFreeRatio: number;
  /** Fraction of memory still available under which it alerts (0 to 1). */
  readonly memoryAvailableRatio: number;
  /** Seconds a disk or memory must stay under its threshold before it alerts. */
  readonly resourceForSeconds: number;
}

/**
 * The default thresholds: an endpoint failing for 2 minutes (8 probes at 15 s, so one lost packet
 * does not page), under 10 % of a disk free or of the memory available for 10 minutes.
 */
export const DEFAULT_MONITORING_THRESHOLDS: MonitoringThresholds = {
  failingForSeconds: 120,
  diskFreeRatio: 0.1,
  memoryAvailableRatio: 0.1,
  resourceForSeconds: 600,
};

/** The filesystems a disk alert watches: real ones, not the kernel's memory-backed mounts. */
const REAL_FILESYSTEMS = `job="${NODE_JOB}",fstype!~"tmpfs|ramfs|devtmpfs|squashfs|overlay|nsfs"`;

/** Per check and endpoint, the best result over the vantage points that answered: 0 when all failed. */
export const ENDPOINT_BEST_RESULT = `max by (check, instance) (probe_success{job="${BLACKBOX_JOB}"})`;

/**
 * The alerts of a central monitoring server:
 *
 * - `EndpointDown` (critical): a check fails from every vantage point that probes it (a vantage
 *   point whose exporter cannot be scraped has no result and does not count; `VantagePointDown`
 *   says so). The service is down for everyone.
 * - `EndpointFailingFromSomeVantagePoints` (warning), one alert per failing vantage point: the check
 *   fails there but succeeds from another. A network path is broken (a route, a firewall, DNS
 *   from outside), not the service. Held back while `EndpointDown` holds for that check.
 * - `VantagePointDown` (warning): Prometheus cannot scrape a vantage point's blackbox exporter.
 * - `InstanceDown` (warning): an instance's node_exporter cannot be scraped (only instances that
 *   exist are targets: the counts are followed).
 * - `DiskNearlyFull`, `MemoryNearlyFull` (warning).
 */
export function monitoringRuleGroups(t: MonitoringThresholds = DEFAULT_MONITORING_THRESHOLDS): PrometheusRuleGroup[] {
  const failing = promDuration(t.failingForSeconds);
  const resource = promDuration(t.resourceForSeconds);
  const pct = (r: number) => `${Math.round(r * 1000) / 10} %`;
  const endpoints: PrometheusAlertRule[] = [
    {
      alert: 'EndpointDown',
      expr: `${ENDPOINT_BEST_RESULT} == 0`,
      for: failing,
      labels: { severity: AlertSeverity.CRITICAL },
      summary: '{{ $labels.check }}: {{ $labels.instance }} fails from every vantage point',
      description: `Every vantage point probing {{ $labels.instance }} has failed for ${failing}: the service is down for everyone.`,
    },
    {
      alert: 'EndpointFailingFromSomeVantagePoints',
      expr: `probe_success{job="${BLACKBOX_JOB}"} == 0 unless on (check, instance) (${ENDPOINT_BEST_RESULT} == 0)`,
      for: failing,
      labels: { severity: AlertSeverity.WARNING },
      summary: '{{ $labels.check }}: {{ $labels.instance }} fails from {{ $labels.vantage }} only',
      description: `{{ $labels.instance }} has failed from {{ $labels.vantage }} for ${failing} while another vantage point reaches it: a network path is broken, not the service.`,
    },
    {
      alert: 'VantagePointDown',
      expr: `min by (vantage) (up{job="${BLACKBOX_JOB}"}) == 0`,
      for: failing,
      labels: { severity: AlertSeverity.WARNING },
      summary: 'vantage point {{ $labels.vantage }} does not answer',
      description: `Prometheus has not scraped the blackbox exporter of {{ $labels.vantage }} for ${failing}: its checks are not counted until it answers.`,
    },
  ];
  const hosts: PrometheusAlertRule[] = [
    {
      alert: 'InstanceDown',
      expr: `up{job="${NODE_JOB}"} == 0`,
      for: failing,
      labels: { severity: AlertSeverity.WARNING },
      summary: '{{ $labels.host }} ({{ $labels.tier }}) does not answer',
      description: `node_exporter on {{ $labels.host }} has not answered for ${failing}: the instance is down or unreachable.`,
    },
    {
      alert: 'DiskNearlyFull',
      expr: `node_filesystem_avail_bytes{${REAL_FILESYSTEMS}} / node_filesystem_size_bytes{${REAL_FILESYSTEMS}} < ${t.diskFreeRatio}`,
      for: resource,
      labels: { severity: AlertSeverity.WARNING },
      summary: '{{ $labels.host }}: {{ $labels.mountpoint }} nearly full',
      description: `Less than ${pct(t.diskFreeRatio)} of {{ $labels.mountpoint }} on {{ $labels.host }} has been free for ${resource}.`,
    },
    {
      alert: 'MemoryNearlyFull',
      expr: `node_memory_MemAvailable_bytes{job="${NODE_JOB}"} / node_memory_MemTotal_bytes{job="${NODE_JOB}"} < ${t.memoryAvailableRatio}`,
      for: resource,
      labels: { severity: AlertSeverity.WARNING },
      summary: '{{ $labels.host }}: memory nearly full',
      description: `Less than ${pct(t.memoryAvailableRatio)} of the memory of {{ $labels.host }} has been available for ${resource}.`,
    },
  ];
  return [{ name: 'endpoints', rules: endpoints }, { name: 'hosts', rules: hosts }];
}

/** The comment heading the central monitoring rules file. */
export const MONITORING_RULES_HEADER: readonly string[] = [
  'Rendered by hosting-stacks: the endpoints probed from every vantage point (down from all: critical;',
  'from some only: a network path, warning), the vantage points, and the monitored hosts.',
];

/** Renders the central monitoring rules file (`promtool check rules`, `promtool test rules`). */
export function renderMonitoringRules(t: MonitoringThresholds = DEFAULT_MONITORING_THRESHOLDS): string {
  return renderPrometheusRuleGroups(monitoringRuleGroups(t), MONITORING_RULES_HEADER);
}
