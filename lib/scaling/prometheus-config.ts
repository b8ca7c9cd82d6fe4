import { renderTemplate } from '../config/template';
import { ReactiveRulePlan, ScalingMetric, ScheduledWindowPlan, TierScalingPlan } from './scaling-model';
import { APACHE_JOB, NODE_JOB, PrometheusAlertRule, PrometheusRuleGroup, promDuration, quoted, renderPrometheusRuleGroups } from '../monitoring/prometheus-files';

// What every Prometheus server of the library shares moved to monitoring/prometheus-files.ts; kept
// here too, where the scaling realisation's users found them.
export {
  ALERTMANAGER_PORT,
  APACHE_EXPORTER_PORT,
  APACHE_JOB,
  NODE_EXPORTER_PORT,
  NODE_JOB,
  PROMETHEUS_PORT,
  promDuration,
  renderDaemonArgs,
  renderPrometheusConfig,
  renderPrometheusRuleGroups,
  SCRAPE_INTERVAL_SECONDS,
} from '../monitoring/prometheus-files';
export type { PrometheusAlertRule, PrometheusConfig, PrometheusRuleGroup, PrometheusScrapeJob, PrometheusTarget } from '../monitoring/prometheus-files';

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

/** The scaling hook's port on the monitoring server's loopback. */
export const SCALING_HOOK_PORT = 9095;

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

/** The comment heading the scaling rules file. */
export const SCALING_RULES_HEADER: readonly string[] = [
  'Rendered by hosting-stacks: one scale-out and one scale-in alert per reactive rule of each tier.',
  "Alertmanager sends them to the scaling hook, which changes the tier's count variable.",
];

/** The comment heading the scaling monitoring server's `prometheus.yml`. */
export const SCALING_PROMETHEUS_HEADER: readonly string[] = [
  "Rendered by hosting-stacks: Prometheus scrapes the scaled tiers' exporters (the instances that",
  'exist: their targets files follow the counts) and evaluates the scaling rules.',
];

/** Renders the alerting rules file of the plans' reactive rules (`promtool check rules`). */
export function renderPrometheusRules(plans: readonly TierScalingPlan[]): string {
  return renderPrometheusRuleGroups(scalingRuleGroups(plans), SCALING_RULES_HEADER);
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

/** A GitHub Actions `workflow_dispatch` the hook sends. */
export interface ScalingHookDispatch {
  /** `https://<api>/repos/<owner>/<name>/actions/workflows/<file>/dispatches`. */
  readonly url: string;
  /** The branch or tag the workflow runs on. */
  readonly ref: string;
  /** The environment variable holding the token (`Authorization: Bearer`). */
  readonly tokenEnvironment: string;
}

/** The scaling hook's JSON config. */
export interface ScalingHookConfig {
  /** Address the hook listens on (loopback: Alertmanager is local). */
  readonly listenAddress: string;
  /** Port; 0 picks a free one (tests). */
  readonly listenPort: number;
  /** Where the hook writes its variables file: the Terraform working copy it applies in, or its own state directory when it dispatches. */
  readonly workingDirectory: string;
  /** The variables file the hook writes (every tier's count), relative to the working directory. */
  readonly tfvarsFile: string;
  /** A schedule file (`{ "<count variable>": [windows] }`) read when present, relative to the working directory. */
  readonly scheduleFile: string;
  /** Absolute path of the hook's state (last changes per tier). */
  readonly stateFile: string;
  /** The counts Terraform last applied (`{ "<count variable>": n }`), when the server follows them. @default - none: the hook's own variables file and the schedule */
  readonly countsFile?: string;
  /** The command run after the variables file changed (argv, run in the working copy); exclusive with `dispatch`. */
  readonly command?: readonly string[];
  /** The workflow the hook dispatches with the counts instead (its `counts` input); exclusive with `command`. */
  readonly dispatch?: ScalingHookDispatch;
  /**
   * With `command`, seconds it may run before it is killed; with `dispatch`, seconds the hook waits
   * for the counts it sent to show in `countsFile` before it decides from the applied ones again.
   */
  readonly applyTimeoutSeconds: number;
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
  /** The unit's `EnvironmentFile=` value: the dispatch token's root-only file, or `-<file>` for the optional cloud credentials (`OS_*`) the command needs. */
  readonly environmentFile: string;
  /** Where the hook writes its variables file (the Terraform working copy, or its state directory), the only place besides its state directory it writes. */
  readonly workingDirectory: string;
}

/** Renders `scaling-hook.service` (`systemd-analyze verify`). */
export function renderScalingHookUnit(model: ScalingHookUnit): string {
  return renderTemplate('scaling-hook.service.hbs', model);
}
