import { renderTemplate } from '../config/template';
import { PrometheusRuleGroup, promDuration, renderPrometheusRuleGroups } from '../monitoring/prometheus-files';
import { AlertSeverity } from '../monitoring/monitoring-rules';

/** Where the task program (manager and runners) is written on every host that runs one. */
export const TASK_DAEMONS_SCRIPT_PATH = '/usr/local/sbin/hosting-stacks-tasks';

/** Its config: the broker, the categories, the manager's address. */
export const TASK_DAEMONS_CONFIG_PATH = '/etc/hosting-stacks/tasks.json';

/** The broker's password, root-only; systemd hands it to the daemons (`LoadCredential=broker:`). */
export const TASK_BROKER_PASSWORD_PATH = '/etc/hosting-stacks/tasks-broker.password';

/** The account the manager and the daemons run as. */
export const TASK_DAEMONS_ACCOUNT = 'hs-worker';

/** The daemons' state directory under /var/lib (`StateDirectory=`: systemd makes it, owned by the account). */
export const TASK_DAEMONS_STATE_DIRECTORY = 'hs-worker';

/** Its path: the account's home. */
export const TASK_DAEMONS_HOME = `/var/lib/${TASK_DAEMONS_STATE_DIRECTORY}`;

/** sysusers.d file making the account. */
export const TASK_DAEMONS_SYSUSERS_PATH = '/etc/sysusers.d/hosting-stacks-tasks.conf';

/** The manager's unit. */
export const TASK_MANAGER_UNIT = 'hosting-stacks-task-manager.service';

/** The unit of one category's daemon. */
export function workerUnitName(category: string): string {
  return `hosting-stacks-worker-${category}.service`;
}

/** Prefix of every key the task program writes in Redis. */
export const TASK_KEY_PREFIX = 'hs:';

/** The Prometheus job scraping the manager's metrics. */
export const TASK_MANAGER_JOB = 'task-manager';

/** One task definition of a category's schedule, as the manager reads it. */
export interface TaskDefinitionModel {
  readonly name: string;
  readonly everySeconds: number;
  readonly payload: Readonly<Record<string, string>>;
}

/** One category, as the manager and its runners read it. */
export interface TaskCategoryModel {
  /** argv of the customer's command. */
  readonly command: readonly string[];
  readonly workingDirectory?: string;
  readonly concurrency: number;
  readonly timeoutSeconds: number;
  readonly resumeAfterSeconds: number;
  readonly maxAttempts: number;
  readonly schedule: readonly TaskDefinitionModel[];
  /** Finished results cached in memcached (a payload's `cache_key`), and MEMCACHED_SERVERS given to the command. */
  readonly resultCache?: { readonly servers: readonly string[]; readonly ttlSeconds: number };
}

/** The task program's config (`tasks.json`). */
export interface TaskDaemonsConfigModel {
  readonly keyPrefix: string;
  readonly broker: { readonly host: string; readonly port: number; readonly passwordFile: string };
  readonly registryTtlSeconds: number;
  readonly manager: { readonly address: string; readonly port: number };
  readonly categories: Readonly<Record<string, TaskCategoryModel>>;
}

/** Renders `tasks.json`. */
export function renderTaskDaemonsConfig(model: TaskDaemonsConfigModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

/** Renders the task program (Python 3, standard library only): `manager`, `runner CATEGORY`, `intent`. */
export function renderTaskDaemonsScript(): string {
  return renderTemplate('task-daemons.py.hbs', {});
}

/** Model of a manager's or daemon's unit. */
export interface TaskDaemonUnitModel {
  readonly description: string;
  readonly constructPath: string;
  readonly scriptPath: string;
  readonly configPath: string;
  /** `manager` or `runner <category>`. */
  readonly mode: string;
  readonly account: string;
  readonly brokerPasswordPath: string;
  /** The broker runs on this host: start after it. */
  readonly afterBroker: boolean;
  readonly restartSeconds: number;
  readonly stopSeconds: number;
  readonly memoryMaxMb: number;
  readonly cpuQuotaPercent?: number;
  readonly tasksMax: number;
  /** The account's home under /var/lib (`StateDirectory=`). */
  readonly stateDirectory: string;
  readonly workingDirectory?: string;
}

/** Renders a manager's or daemon's systemd unit. */
export function renderTaskDaemonUnit(model: TaskDaemonUnitModel): string {
  return renderTemplate('task-daemon.service.hbs', model);
}

/** Renders the sysusers.d file of the daemons' account. */
export function renderTaskDaemonsSysusers(model: { readonly account: string; readonly home: string }): string {
  return renderTemplate('task-daemons-sysusers.conf.hbs', model);
}

/** Thresholds of the task alerts, per category. */
export interface TaskAlertCategory {
  readonly name: string;
  /** Seconds the oldest waiting task may wait before it alerts: the backlog. */
  readonly maxWaitSeconds: number;
}

/**
 * The alerts of the worker daemons:
 *
 * - `TaskBacklog` (warning): a category's oldest waiting task has waited longer than its
 *   `maxWaitSeconds` for 2 minutes: its daemons do not keep up (more concurrency, more machines).
 * - `WorkerCategoryDown` (critical): no runner slot of a category renewed its registration for
 *   2 minutes: its tasks wait for nobody.
 * - `TaskManagerDown` (critical): Prometheus cannot scrape the manager (schedules and intents stop).
 * - `TaskScheduleStalled` (critical): the manager answers but its schedule loop has not run for a minute.
 * - `TasksFailing` (warning): tasks of a category failed their last attempt in the last 15 minutes.
 */
export function taskRuleGroups(categories: readonly TaskAlertCategory[]): PrometheusRuleGroup[] {
  return [{
    name: 'worker-daemons',
    rules: [
      ...categories.map((c) => ({
        alert: 'TaskBacklog',
        expr: `hs_task_oldest_waiting_seconds{job="${TASK_MANAGER_JOB}",category="${c.name}"} > ${c.maxWaitSeconds}`,
        for: '2m',
        labels: { severity: AlertSeverity.WARNING },
        summary: '{{ $labels.category }}: tasks wait {{ $value | humanizeDuration }}',
        description: `The oldest waiting ${c.name} task has waited more than ${promDuration(c.maxWaitSeconds)} for 2 minutes: its daemons do not keep up.`,
      })),
      {
        alert: 'WorkerCategoryDown',
        expr: `hs_task_runners{job="${TASK_MANAGER_JOB}"} == 0`,
        for: '2m',
        labels: { severity: AlertSeverity.CRITICAL },
        summary: '{{ $labels.category }}: no worker daemon runs',
        description: 'No runner slot of {{ $labels.category }} has renewed its registration for 2 minutes: its tasks wait for nobody.',
      },
      {
        alert: 'TaskManagerDown',
        expr: `up{job="${TASK_MANAGER_JOB}"} == 0`,
        for: '2m',
        labels: { severity: AlertSeverity.CRITICAL },
        summary: 'the task manager does not answer',
        description: 'Prometheus has not scraped the task manager for 2 minutes: no schedule is queued and no intent is taken.',
      },
      {
        alert: 'TaskScheduleStalled',
        expr: `hs_task_manager_schedule_age_seconds{job="${TASK_MANAGER_JOB}"} > 60`,
        for: '2m',
        labels: { severity: AlertSeverity.CRITICAL },
        summary: 'the task manager\'s schedule loop is stalled',
        description: 'The manager answers but has not run its schedule loop for over a minute (Redis unreachable?): no scheduled task is queued.',
      },
      {
        alert: 'TasksFailing',
        expr: `increase(hs_tasks_failed_total{job="${TASK_MANAGER_JOB}"}[15m]) > 0`,
        for: '0m',
        labels: { severity: AlertSeverity.WARNING },
        summary: '{{ $labels.category }}: tasks failed',
        description: '{{ $value }} {{ $labels.category }} tasks failed their last attempt in the last 15 minutes; see the daemon\'s journal.',
      },
    ],
  }];
}

/** Renders the worker daemons' rule file (`promtool check rules`). */
export function renderTaskRules(categories: readonly TaskAlertCategory[]): string {
  return renderPrometheusRuleGroups(taskRuleGroups(categories), ['Rendered by hosting-stacks: the worker daemons (backlog, daemons, manager, failures).']);
}
