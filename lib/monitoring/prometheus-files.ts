import { renderTemplate } from '../config/template';
import { HostingStacksError } from '../core/errors';

/**
 * Pure renderers of what every Prometheus server of the library runs, whatever it monitors for
 * (scaling, central monitoring): `prometheus.yml`, rule files, the Debian `/etc/default` argument
 * files, and the ports and job names the exporters use. Each output is checked by the daemon's own
 * tool in the tests (`promtool check config|rules`, `bash -n`).
 */

/** node_exporter's port (Debian `prometheus-node-exporter`). */
export const NODE_EXPORTER_PORT = 9100;
/** prometheus-apache-exporter's port (Debian `prometheus-apache-exporter`, `--telemetry.address=:9117`). */
export const APACHE_EXPORTER_PORT = 9117;
/** Prometheus' UI and API port. */
export const PROMETHEUS_PORT = 9090;
/** Alertmanager's UI and API port. */
export const ALERTMANAGER_PORT = 9093;

/** Scrape job of the node exporters. */
export const NODE_JOB = 'node';
/** Scrape job of the Apache exporters. */
export const APACHE_JOB = 'apache';

/** Seconds between two scrapes and two rule evaluations. */
export const SCRAPE_INTERVAL_SECONDS = 15;

/** A Prometheus duration of whole seconds: `3m`, `90s`, `0s`. */
export function promDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s > 0 && s % 3600 === 0) return `${s / 3600}h`;
  if (s > 0 && s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

/** A double-quoted string as YAML, PromQL and Alertmanager matchers all read it (JSON escapes). */
export function quoted(value: string): string {
  return JSON.stringify(value);
}

/** One label of a rendered alert or target, its value already quoted. */
interface QuotedLabel {
  readonly name: string;
  readonly value: string;
}

/** One alerting rule as the template writes it. */
export interface PrometheusAlertRule {
  /** Alert name (letters, digits, `_`). */
  readonly alert: string;
  /** PromQL expression. */
  readonly expr: string;
  /** `for` duration. */
  readonly for: string;
  /** Labels added to the alert. */
  readonly labels: Readonly<Record<string, string>>;
  /** `summary` annotation (may use `{{ $value }}`). */
  readonly summary: string;
  /** `description` annotation. */
  readonly description: string;
}

/** A rule group. */
export interface PrometheusRuleGroup {
  /** Group name, unique in the file. */
  readonly name: string;
  /** The rules. */
  readonly rules: readonly PrometheusAlertRule[];
}

/** The comment heading a rules file rendered without one of its own. */
export const DEFAULT_RULES_HEADER: readonly string[] = ['Rendered by hosting-stacks: alerting rules.'];

/** Renders rule groups as a Prometheus rules file (`promtool check rules`), headed by `header` (comment lines). */
export function renderPrometheusRuleGroups(groups: readonly PrometheusRuleGroup[], header: readonly string[] = DEFAULT_RULES_HEADER): string {
  return renderTemplate('prometheus-rules.yml.hbs', {
    header: commentLines(header),
    groups: groups.map((g) => ({
      name: quoted(g.name),
      rules: g.rules.map((r) => ({
        alert: r.alert,
        exprLines: [r.expr],
        for: r.for,
        labels: labelsOf(r.labels),
        summary: quoted(r.summary),
        description: quoted(r.description),
      })),
    })),
  });
}

/** Comment lines of a header; a line break inside one would end the comment, so it is refused. */
function commentLines(lines: readonly string[]): readonly string[] {
  for (const l of lines) {
    if (/[\r\n]/.test(l)) throw HostingStacksError.ofFactory('renderPrometheus', 'header', l, 'must be one line per item (no line breaks)');
  }
  return lines;
}

function labelsOf(labels: Readonly<Record<string, string>>): QuotedLabel[] {
  return Object.entries(labels).map(([name, value]) => ({ name, value: quoted(value) }));
}

/** One scrape target. */
export interface PrometheusTarget {
  /** `address:port`. */
  readonly address: string;
  /**
   * Labels of the target's series (`tier`, `host`). Labels starting with `__` steer the scrape and
   * are not kept (`__param_target` is a URL parameter, as the blackbox exporter reads it).
   */
  readonly labels: Readonly<Record<string, string>>;
}

/** One scrape job. */
export interface PrometheusScrapeJob {
  /** Job name. */
  readonly name: string;
  /** Static targets (none when the job reads `targetsFile`). */
  readonly targets: readonly PrometheusTarget[];
  /** A file_sd file the job reads its targets from (absolute path), instead of static targets. */
  readonly targetsFile?: string;
  /** The HTTP path scraped. @default - Prometheus' `/metrics` */
  readonly metricsPath?: string;
}

/** Model of `prometheus.yml`. */
export interface PrometheusConfig {
  /** Seconds between scrapes. */
  readonly scrapeIntervalSeconds: number;
  /** Seconds between rule evaluations. */
  readonly evaluationIntervalSeconds: number;
  /** Rule files (absolute paths). */
  readonly ruleFiles: readonly string[];
  /** Alertmanagers, `host:port`. */
  readonly alertmanagers: readonly string[];
  /** Scrape jobs. */
  readonly jobs: readonly PrometheusScrapeJob[];
  /** Comment lines heading the file (what the server is for). @default - one line naming the renderer */
  readonly header?: readonly string[];
}

/** Renders `prometheus.yml` (`promtool check config`). */
export function renderPrometheusConfig(model: PrometheusConfig): string {
  return renderTemplate('prometheus.yml.hbs', {
    header: commentLines(model.header ?? ["Rendered by hosting-stacks: Prometheus' scrape config."]),
    scrapeInterval: promDuration(model.scrapeIntervalSeconds),
    evaluationInterval: promDuration(model.evaluationIntervalSeconds),
    ruleFiles: model.ruleFiles.map(quoted),
    alertmanagers: model.alertmanagers.map(quoted),
    jobs: model.jobs
      .filter((j) => j.targets.length > 0 || j.targetsFile !== undefined)
      .map((j) => {
        if (j.targetsFile !== undefined && j.targets.length > 0) throw HostingStacksError.ofFactory('renderPrometheusConfig', `jobs.${j.name}`, j.targetsFile, 'has both static targets and a targets file; give one of them');
        return {
          name: quoted(j.name),
          metricsPath: j.metricsPath === undefined ? undefined : quoted(j.metricsPath),
          targetsFile: j.targetsFile === undefined ? undefined : quoted(j.targetsFile),
          targets: j.targets.map((t) => ({ address: quoted(t.address), labels: labelsOf(t.labels) })),
        };
      }),
  });
}

/** Renders a Debian `/etc/default/<exporter or daemon>` file setting `ARGS` (`bash -n`). */
export function renderDaemonArgs(model: { readonly daemon: string; readonly args: readonly string[] }): string {
  for (const a of model.args) {
    if (/["\\$`\s]/.test(a)) throw HostingStacksError.ofFactory('renderDaemonArgs', 'args', a, "must not contain quotes, backslashes, '$', '`' or spaces");
  }
  return renderTemplate('daemon-args.hbs', { daemon: model.daemon, args: model.args.join(' ') });
}
