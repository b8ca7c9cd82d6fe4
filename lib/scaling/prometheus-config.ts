import { renderTemplate } from '../config/template';
import { ReactiveRulePlan, ScalingMetric, ScheduledWindowPlan, TierScalingPlan } from './scaling-model';
import { HostingStacksError } from '../core/errors';

/**
 * Pure renderers of what the Prometheus realisation of a tier's reactive scaling runs: the scrape
 * config (`prometheus.yml`), the alerting rules, the Alertmanager config and the scaling hook's
 * script, unit and JSON config. Every function is unit-tested without constructs and its output is
 * checked by `promtool check config|rules`, `amtool check-config`, `python3 -m py_compile` and
 * `systemd-analyze verify`.
 *
 * The PromQL of each metric (a tier's average over the instances that are up; instances planned
 * but absent are simply down targets and drop out of the average):
 *
 * - {@link ScalingMetric.CPU}: node_exporter's idle CPU time. Per host `1 - avg by (host)
 *   (rate(node_cpu_seconds_total{mode="idle"}[2m]))` (busy fraction over all its CPUs, 0 to 1),
 *   kept only where `up{job="node"} == 1`, then averaged over the hosts.
 * - {@link ScalingMetric.REQUESTS_PER_SECOND}: Apache's mod_status through prometheus-apache-exporter,
 *   `sum by (host) (rate(apache_accesses_total[2m]))` per host where `up{job="apache"} == 1`, averaged.
 * - {@link ScalingMetric.SESSIONS_PER_INSTANCE}: the RPS query divided by the plan's
 *   `capacity.requestsPerUserPerSecond`. Concurrent sessions are not observable on a stateless front
 *   end (sessions live in Redis); the simulator defines RPS as users x requestsPerUserPerSecond /
 *   instances, so users per instance = RPS / requestsPerUserPerSecond is the same quantity it
 *   simulates. Apache's busy workers were rejected: with keep-alive and the event MPM they count
 *   requests in flight, not users.
 */

/** node_exporter's port (Debian `prometheus-node-exporter`). */
export const NODE_EXPORTER_PORT = 9100;
/** prometheus-apache-exporter's port (Debian `prometheus-apache-exporter`, `--telemetry.address=:9117`). */
export const APACHE_EXPORTER_PORT = 9117;
/** Prometheus' UI and API port. */
export const PROMETHEUS_PORT = 9090;
/** Alertmanager's UI and API port. */
export const ALERTMANAGER_PORT = 9093;
/** The scaling hook's port on the monitoring server's loopback. */
export const SCALING_HOOK_PORT = 9095;

/** Scrape job of the node exporters. */
export const NODE_JOB = 'node';
/** Scrape job of the Apache exporters. */
export const APACHE_JOB = 'apache';

/** Seconds between two scrapes and two rule evaluations. */
export const SCRAPE_INTERVAL_SECONDS = 15;
/**
 * Window of the `rate()` in every scaling query: 8 scrapes of 15 s, so one missed scrape does not
 * empty the window, and short enough that a 3-minute evaluation period sees the change.
 */
export const RATE_WINDOW = '2m';
/** Alertmanager's `group_interval`: how often a group with news is sent; the shortest a repeat can be. */
export const ALERT_GROUP_INTERVAL_SECONDS = 60;
/** Alertmanager's `group_wait` before the first notification of a group. */
export const ALERT_GROUP_WAIT_SECONDS = 10;

/** What the alerts of one scaling direction mean; the `action` label. */
export enum ScalingAction {
  SCALE_OUT = 'scale_out',
  SCALE_IN = 'scale_in',
}

/** A Prometheus duration of whole seconds: `3m`, `90s`, `0s`. */
export function promDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s > 0 && s % 3600 === 0) return `${s / 3600}h`;
  if (s > 0 && s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

/** A double-quoted string as YAML, PromQL and Alertmanager matchers all read it (JSON escapes). */
function quoted(value: string): string {
  return JSON.stringify(value);
}

/** The label matchers selecting one tier's series of one job. */
function selector(job: string, tier: string, extra = ''): string {
  return `{job=${quoted(job)},tier=${quoted(tier)}${extra}}`;
}

/**
 * The PromQL of `metric` for a tier: its average over the tier's instances that are up (see the
 * module comment). No instance up gives an empty result, so no alert fires.
 */
export function tierMetricQuery(plan: Pick<TierScalingPlan, 'tier' | 'capacity'>, metric: ScalingMetric): string {
  const upNode = `up${selector(NODE_JOB, plan.tier)} == 1`;
  const upApache = `up${selector(APACHE_JOB, plan.tier)} == 1`;
  const rps = `avg(sum by (host) (rate(apache_accesses_total${selector(APACHE_JOB, plan.tier)}[${RATE_WINDOW}])) and on (host) (${upApache}))`;
  switch (metric) {
    case ScalingMetric.CPU:
      return `avg((1 - avg by (host) (rate(node_cpu_seconds_total${selector(NODE_JOB, plan.tier, ',mode="idle"')}[${RATE_WINDOW}]))) and on (host) (${upNode}))`;
    case ScalingMetric.REQUESTS_PER_SECOND:
      return rps;
    case ScalingMetric.SESSIONS_PER_INSTANCE:
      return `${rps} / ${plan.capacity.requestsPerUserPerSecond}`;
  }
}

/** True when `metric` needs the Apache exporter (mod_status) on the tier's hosts. */
export function metricNeedsApache(metric: ScalingMetric): boolean {
  return metric !== ScalingMetric.CPU;
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

/** Alert name part of a metric (`cpu` -> `Cpu`, `requests-per-second` -> `RequestsPerSecond`). */
function metricName(metric: ScalingMetric): string {
  return metric.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

/** The two alerts (scale out, scale in) of one reactive rule of one tier. */
export function scalingAlertRules(plan: TierScalingPlan, rule: ReactiveRulePlan): PrometheusAlertRule[] {
  const query = tierMetricQuery(plan, rule.metric);
  const base = { tier: plan.tier, count_variable: plan.countVariable, metric: rule.metric };
  const name = `${metricName(rule.metric)}_${plan.countVariable}`;
  return [
    {
      alert: `ScaleOut${name}`,
      expr: `${query} > ${rule.scaleOutThreshold}`,
      for: promDuration(rule.evaluationMinutes * 60),
      labels: { ...base, action: ScalingAction.SCALE_OUT, step: String(rule.scaleOutStep) },
      summary: `${plan.tier}: ${rule.metric} {{ $value }} above ${rule.scaleOutThreshold} for ${rule.evaluationMinutes} min, add ${rule.scaleOutStep}`,
      description: `The scaling hook raises ${plan.countVariable} by ${rule.scaleOutStep} (at most ${plan.maxCount}), then waits ${rule.scaleOutCooldownMinutes} min before another scale-out.`,
    },
    {
      alert: `ScaleIn${name}`,
      expr: `${query} < ${rule.scaleInThreshold}`,
      for: promDuration(rule.stabilisationMinutes * 60),
      labels: { ...base, action: ScalingAction.SCALE_IN, step: String(rule.scaleInStep) },
      summary: `${plan.tier}: ${rule.metric} {{ $value }} below ${rule.scaleInThreshold} for ${rule.stabilisationMinutes} min, remove ${rule.scaleInStep}`,
      description: `The scaling hook lowers ${plan.countVariable} by ${rule.scaleInStep} (not below ${plan.minCount} nor a campaign's count) once every rule of the tier asks to scale in, ${rule.scaleInCooldownMinutes} min after the last change.`,
    },
  ];
}

/** One rule group per tier (`scaling-<count variable>`) with two alerts per reactive rule. */
export function scalingRuleGroups(plans: readonly TierScalingPlan[]): PrometheusRuleGroup[] {
  return plans.map((plan) => ({ name: `scaling-${plan.countVariable}`, rules: plan.reactive.flatMap((r) => scalingAlertRules(plan, r)) }));
}

/** Renders the alerting rules file of the plans' reactive rules (`promtool check rules`). */
export function renderPrometheusRules(plans: readonly TierScalingPlan[]): string {
  return renderPrometheusRuleGroups(scalingRuleGroups(plans));
}

/** Renders rule groups as a Prometheus rules file. */
export function renderPrometheusRuleGroups(groups: readonly PrometheusRuleGroup[]): string {
  return renderTemplate('prometheus-scaling-rules.yml.hbs', {
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

function labelsOf(labels: Readonly<Record<string, string>>): QuotedLabel[] {
  return Object.entries(labels).map(([name, value]) => ({ name, value: quoted(value) }));
}

/** One scrape target. */
export interface PrometheusTarget {
  /** `address:port`. */
  readonly address: string;
  /** Labels of the target's series (`tier`, `host`). */
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
}

/** Renders `prometheus.yml` (`promtool check config`). */
export function renderPrometheusConfig(model: PrometheusConfig): string {
  return renderTemplate('prometheus.yml.hbs', {
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
          targetsFile: j.targetsFile === undefined ? undefined : quoted(j.targetsFile),
          targets: j.targets.map((t) => ({ address: quoted(t.address), labels: labelsOf(t.labels) })),
        };
      }),
  });
}

/** One Alertmanager route: the alerts of one tier and one action, repeated every cooldown. */
export interface AlertmanagerScalingRoute {
  /** The tier's count variable (`count_variable` label). */
  readonly countVariable: string;
  /** Scale out or in (`action` label). */
  readonly action: ScalingAction;
  /** Seconds between two notifications of a still-firing group: the cooldown. */
  readonly repeatIntervalSeconds: number;
}

/** Model of `alertmanager.yml`. */
export interface AlertmanagerConfig {
  /** The scaling hook's webhook URL. */
  readonly hookUrl: string;
  /** Routes, one per tier and action. */
  readonly routes: readonly AlertmanagerScalingRoute[];
  /** Seconds before a new group's first notification. @default ALERT_GROUP_WAIT_SECONDS */
  readonly groupWaitSeconds?: number;
  /** Seconds between notifications of a group that changed. @default ALERT_GROUP_INTERVAL_SECONDS */
  readonly groupIntervalSeconds?: number;
}

/**
 * The routes of the plans: per tier, scale-out alerts repeat every scale-out cooldown and scale-in
 * alerts every scale-in cooldown (the shortest of the tier's rules; the hook enforces each rule's
 * own). Alertmanager refuses a zero repeat and only sends at group intervals, so a repeat is at
 * least `groupIntervalSeconds`.
 */
export function alertmanagerRoutes(plans: readonly TierScalingPlan[], groupIntervalSeconds = ALERT_GROUP_INTERVAL_SECONDS): AlertmanagerScalingRoute[] {
  return plans
    .filter((p) => p.reactive.length > 0)
    .flatMap((p) => [
      { countVariable: p.countVariable, action: ScalingAction.SCALE_OUT, repeatIntervalSeconds: Math.max(groupIntervalSeconds, Math.min(...p.reactive.map((r) => r.scaleOutCooldownMinutes)) * 60) },
      { countVariable: p.countVariable, action: ScalingAction.SCALE_IN, repeatIntervalSeconds: Math.max(groupIntervalSeconds, Math.min(...p.reactive.map((r) => r.scaleInCooldownMinutes)) * 60) },
    ]);
}

/**
 * Renders `alertmanager.yml` (`amtool check-config`): every alert goes to the scaling hook, grouped
 * by tier and action; each tier's route repeats at its cooldown; a firing scale-out inhibits the
 * same tier's scale-in.
 */
export function renderAlertmanagerConfig(model: AlertmanagerConfig): string {
  const groupInterval = model.groupIntervalSeconds ?? ALERT_GROUP_INTERVAL_SECONDS;
  return renderTemplate('alertmanager.yml.hbs', {
    hookUrl: quoted(model.hookUrl),
    groupWait: promDuration(model.groupWaitSeconds ?? ALERT_GROUP_WAIT_SECONDS),
    groupInterval: promDuration(groupInterval),
    // Alerts no route matches (none expected) are repeated rarely.
    defaultRepeatInterval: '4h',
    routes: model.routes.map((r) => ({
      matchers: [quoted(`count_variable="${r.countVariable}"`), quoted(`action="${r.action}"`)],
      repeatInterval: promDuration(Math.max(groupInterval, r.repeatIntervalSeconds)),
    })),
    scaleOut: quoted(`action="${ScalingAction.SCALE_OUT}"`),
    scaleIn: quoted(`action="${ScalingAction.SCALE_IN}"`),
  });
}

/** One rule as the hook needs it. */
export interface ScalingHookRule {
  /** The metric (matches the alerts' `metric` label). */
  readonly metric: ScalingMetric;
  /** Instances added per scale-out. */
  readonly scaleOutStep: number;
  /** Instances removed per scale-in. */
  readonly scaleInStep: number;
  /** Minutes after a scale-out before another. */
  readonly scaleOutCooldownMinutes: number;
  /** Minutes after any change before a scale-in. */
  readonly scaleInCooldownMinutes: number;
}

/** One scheduled window as the hook reads it (ISO times, UTC). */
export interface ScalingHookWindow {
  /** Campaign name. */
  readonly campaign: string;
  /** When the floor rises. */
  readonly scaleOutAt: string;
  /** When the floor falls back. */
  readonly scaleInAt: string;
  /** The floor during the window. */
  readonly count: number;
}

/** One tier as the hook knows it. */
export interface ScalingHookTier {
  /** Construct path of the tier. */
  readonly tier: string;
  /** Fewest instances. */
  readonly minCount: number;
  /** The count before the hook changed anything. */
  readonly baselineCount: number;
  /** Most instances. */
  readonly maxCount: number;
  /** The reactive rules. */
  readonly rules: readonly ScalingHookRule[];
  /** Campaign windows known at synth; the hook never scales in below an active one's count. */
  readonly windows: readonly ScalingHookWindow[];
}

/** The scaling hook's JSON config. */
export interface ScalingHookConfig {
  /** Address the hook listens on (loopback: Alertmanager is local). */
  readonly listenAddress: string;
  /** Port; 0 picks a free one (tests). */
  readonly listenPort: number;
  /** The Terraform working copy (the synthesized stack, its state backend and credentials are the operator's). */
  readonly workingDirectory: string;
  /** The variables file the hook writes, relative to the working copy. */
  readonly tfvarsFile: string;
  /** A schedule file (`{ "<count variable>": [windows] }`) read when present, relative to the working copy. */
  readonly scheduleFile: string;
  /** Absolute path of the hook's state (last changes per tier). */
  readonly stateFile: string;
  /** The counts Terraform last applied (`{ "<count variable>": n }`), when the server follows them. @default - none: the hook's own variables file and the schedule */
  readonly countsFile?: string;
  /** The command run after the variables file changed (argv, run in the working copy). */
  readonly command: readonly string[];
  /** Seconds the command may run before it is killed. */
  readonly commandTimeoutSeconds: number;
  /** Tiers by count variable. */
  readonly tiers: Readonly<Record<string, ScalingHookTier>>;
}

/** The window list of a plan as the hook reads it. */
export function hookWindows(windows: readonly ScheduledWindowPlan[]): ScalingHookWindow[] {
  return windows.map((w) => ({ campaign: w.campaign, scaleOutAt: w.scaleOutAt.toISOString(), scaleInAt: w.scaleInAt.toISOString(), count: w.count }));
}

/** The hook's view of a tier's plan. */
export function hookTier(plan: TierScalingPlan): ScalingHookTier {
  return {
    tier: plan.tier,
    minCount: plan.minCount,
    baselineCount: plan.baselineCount,
    maxCount: plan.maxCount,
    rules: plan.reactive.map((r) => ({
      metric: r.metric,
      scaleOutStep: r.scaleOutStep,
      scaleInStep: r.scaleInStep,
      scaleOutCooldownMinutes: r.scaleOutCooldownMinutes,
      scaleInCooldownMinutes: r.scaleInCooldownMinutes,
    })),
    windows: hookWindows(plan.scheduled),
  };
}

/** Renders the hook's config as JSON (data, not a template: JSON has no comments to keep). */
export function renderScalingHookConfig(model: ScalingHookConfig): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

/** Renders the scaling hook itself: a Python 3 standard-library HTTP service (`python3 -m py_compile`). */
export function renderScalingHookScript(): string {
  return renderTemplate('scaling-hook.py.hbs', {});
}

/** Model of the hook's systemd unit. */
export interface ScalingHookUnit {
  /** System user the hook runs as. */
  readonly user: string;
  /** The script. */
  readonly scriptPath: string;
  /** The JSON config. */
  readonly configPath: string;
  /** Optional environment file with the cloud credentials the command needs (`OS_*`). */
  readonly environmentFile: string;
  /** The Terraform working copy, the only place besides its state directory the hook writes. */
  readonly workingDirectory: string;
}

/** Renders `scaling-hook.service` (`systemd-analyze verify`). */
export function renderScalingHookUnit(model: ScalingHookUnit): string {
  return renderTemplate('scaling-hook.service.hbs', model);
}

/** Renders a Debian `/etc/default/<exporter or daemon>` file setting `ARGS` (`bash -n`). */
export function renderDaemonArgs(model: { readonly daemon: string; readonly args: readonly string[] }): string {
  for (const a of model.args) {
    if (/["\\$`\s]/.test(a)) throw HostingStacksError.ofFactory('renderDaemonArgs', 'args', a, "must not contain quotes, backslashes, '$', '`' or spaces");
  }
  return renderTemplate('daemon-args.hbs', { daemon: model.daemon, args: model.args.join(' ') });
}
