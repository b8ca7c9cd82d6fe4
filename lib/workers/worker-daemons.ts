import { Construct } from 'constructs';
import { MemcachedPool } from '../cache/memcached-pool';
import { ConfigSyntax } from '../compute/cloud-config';
import { Machines } from '../compute/machines';
import { ServerInstance } from '../compute/server-cluster';
import { IConnectable, Peer } from '../core/connections';
import { HostingStacksError, requireIntegerInRange, requireUnique } from '../core/errors';
import { describeValue, Kinds, optionalPeer, requireOptions, requirePeer, requireProps } from '../core/peers';
import { Port } from '../core/port';
import { requireText, TextKind } from '../core/text';
import { PrometheusServer } from '../monitoring/prometheus-server';
import {
  renderTaskDaemonsConfig,
  renderTaskDaemonsScript,
  renderTaskDaemonsSysusers,
  renderTaskDaemonUnit,
  renderTaskRules,
  TASK_BROKER_PASSWORD_PATH,
  TASK_DAEMONS_ACCOUNT,
  TASK_DAEMONS_CONFIG_PATH,
  TASK_DAEMONS_HOME,
  TASK_DAEMONS_STATE_DIRECTORY,
  TASK_DAEMONS_SCRIPT_PATH,
  TASK_DAEMONS_SYSUSERS_PATH,
  TASK_KEY_PREFIX,
  TASK_MANAGER_JOB,
  TASK_MANAGER_UNIT,
  TaskCategoryModel,
  TaskDaemonsConfigModel,
  workerUnitName,
} from './task-config';
import { TaskBroker } from './task-broker';

/** The manager's default HTTP port (intents, task progress, metrics, health). */
export const TASK_MANAGER_DEFAULT_PORT = 8095;

/** Default seconds a task may run before its runner stops it: a mailing to 500,000 contacts (case study 4) takes hours in batches, each batch a task. */
export const TASK_DEFAULT_TIMEOUT_SECONDS = 3600;

/** Default seconds a task's runner may stop renewing it before another runner takes it back. */
export const TASK_DEFAULT_RESUME_AFTER_SECONDS = 60;

/** Default attempts of a task (a resumed or failed run counts as one). */
export const TASK_DEFAULT_MAX_ATTEMPTS = 3;

/** Default seconds the oldest waiting task may wait before `TaskBacklog` alerts: cron's minute (case study 4), which the daemons exist to beat. */
export const TASK_DEFAULT_MAX_WAIT_SECONDS = 60;

/** Default days a finished task stays in the registry (its progress and result readable). */
export const TASK_DEFAULT_REGISTRY_TTL_SECONDS = 86400;

/** Share of a machine's RAM the daemons placed on it share by default (each gets its part as MemoryMax). */
export const TASK_DAEMONS_MEMORY_SHARE = 0.6;

/** MemoryMax of the manager, in MB: it holds no task, only connections. */
export const TASK_MANAGER_MEMORY_MB = 256;

const CATEGORY_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** One task definition of a category's schedule. */
export interface TaskDefinition {
  /** Name, passed to the command as HS_TASK_DEFINITION: a letter or digit, then letters, digits, '.', '_' or '-'. */
  readonly name: string;
  /** Seconds between two runs, 1 to 86,400; not queued again while the previous one is queued or running. */
  readonly everySeconds: number;
  /** Payload given to the command (HS_TASK_PAYLOAD, and on stdin), as JSON. @default {} */
  readonly payload?: Readonly<Record<string, string>>;
}

/** One category of tasks and the daemon that runs them. */
export interface WorkerCategory {
  /** Name: lower-case letters, digits and '-' (at most 31); the daemon is `hosting-stacks-worker-<name>.service`. */
  readonly name: string;
  /** The customer's command, as argv: an absolute path, then arguments (no shell). */
  readonly command: readonly string[];
  /** The machines the daemon runs on: one daemon on each server. */
  readonly machines: Machines;
  /** Tasks one daemon runs at once, 1 to 256. @default - the machines' vCPUs */
  readonly concurrency?: number;
  /** The definitions the manager queues on their own schedule. @default - none: intents only */
  readonly schedule?: readonly TaskDefinition[];
  /** Seconds a task may run before it is stopped (and retried), 10 to 86,400. @default TASK_DEFAULT_TIMEOUT_SECONDS (3600) */
  readonly timeoutSeconds?: number;
  /** Seconds without renewal before another runner takes a task back, 10 to 3,600. @default TASK_DEFAULT_RESUME_AFTER_SECONDS (60) */
  readonly resumeAfterSeconds?: number;
  /** Attempts of a task, 1 to 10. @default TASK_DEFAULT_MAX_ATTEMPTS (3) */
  readonly maxAttempts?: number;
  /** Seconds the oldest waiting task may wait before `TaskBacklog` alerts, 1 to 86,400. @default TASK_DEFAULT_MAX_WAIT_SECONDS (60) */
  readonly maxWaitSeconds?: number;
  /** MemoryMax of the daemon and its tasks, in MB. @default - its part of TASK_DAEMONS_MEMORY_SHARE of the machine's RAM */
  readonly memoryMaxMb?: number;
  /** CPUQuota of the daemon and its tasks, in percent of one CPU, 10 to 25,600. @default - none: the machine's CPUs are shared */
  readonly cpuQuotaPercent?: number;
  /**
   * A memcached pool the tasks share (MEMCACHED_SERVERS), where a finished task's result is cached
   * under its payload's `cache_key`: an intent for a cached key is done without running. @default - none
   */
  readonly resultCache?: MemcachedPool;
  /** Seconds a cached result is kept, 60 to 30 days. @default 86400 */
  readonly resultTtlSeconds?: number;
  /** Working directory of the command. @default - '/' */
  readonly workingDirectory?: string;
}

/** A category, checked and resolved. */
export interface ResolvedWorkerCategory {
  readonly name: string;
  readonly command: readonly string[];
  readonly machines: Machines;
  readonly concurrency: number;
  readonly schedule: readonly Required<TaskDefinition>[];
  readonly timeoutSeconds: number;
  readonly resumeAfterSeconds: number;
  readonly maxAttempts: number;
  readonly maxWaitSeconds: number;
  readonly memoryMaxMb: number;
  readonly cpuQuotaPercent?: number;
  readonly resultCache?: MemcachedPool;
  readonly resultTtlSeconds: number;
  readonly workingDirectory?: string;
  /** The daemon's unit. */
  readonly unit: string;
}

/** Props of {@link WorkerDaemons}. */
export interface WorkerDaemonsProps {
  /** The broker holding the queues and the registry. */
  readonly broker: TaskBroker;
  /** The machines the manager runs on: exactly one server (one manager queues each schedule once). */
  readonly manager: Machines;
  /** The categories, 1 to 30, of unique names. */
  readonly categories: readonly WorkerCategory[];
  /** The manager's HTTP port. @default TASK_MANAGER_DEFAULT_PORT (8095) */
  readonly managerPort?: number;
  /** Seconds a finished task stays in the registry, 600 to 30 days. @default TASK_DEFAULT_REGISTRY_TTL_SECONDS (86400) */
  readonly registryTtlSeconds?: number;
}

/**
 * Worker daemons instead of cron (case study 4): one manager process and, per task category, a
 * daemon on each server of its machines, the tasks queued between them in a {@link TaskBroker}.
 * The daemons run the customer's code: each category gives its command; this construct supplies
 * what is around it.
 *
 * - **The program** (`/usr/local/sbin/hosting-stacks-tasks`, Python 3 standard library): the manager
 *   queues each category's schedule (a definition every `everySeconds`, never twice at once), takes
 *   intents (`POST /intents {"category", "definition", "payload"}` on the manager's port, or
 *   `hosting-stacks-tasks /etc/hosting-stacks/tasks.json intent ...` on any host of the daemons),
 *   shows a task's state and progress (`GET /tasks/<id>`), and serves its metrics. A daemon's
 *   `concurrency` slots block on the category's stream, so an intent starts as soon as it is
 *   queued, where cron waited up to a minute.
 * - **Registered and monitored:** every task is a hash in the broker (state, host, attempt,
 *   progress, result, times). The manager exports per category the waiting and running tasks, the
 *   age of the oldest waiting task, the live runner slots and the done, failed and resumed counts;
 *   {@link reportTo} scrapes them and adds the alerts (backlog, a category without daemons, the
 *   manager down or stalled, failures).
 * - **Resumed when unfinished:** a task stays pending in its stream until its runner acknowledges
 *   it; a runner renews its claim every 5 s while the task runs. A restarted daemon takes its own
 *   unfinished tasks back at once; any daemon takes back a task not renewed for
 *   `resumeAfterSeconds` (its server died). The command sees HS_TASK_RESUMED=1 and the attempt.
 * - **systemd units** (`hosting-stacks-worker-<category>.service`, `hosting-stacks-task-manager.service`):
 *   restarted always, MemoryMax (the machine's share split between the daemons on it) and TasksMax,
 *   an optional CPUQuota, the broker's password handed by `LoadCredential`, an unprivileged account.
 *
 * The manager is one process on one server, a single point of failure for schedules and intents:
 * while it is down the daemons go on with the queued tasks, and systemd restarts it.
 */
export class WorkerDaemons extends Construct {
  /** The broker. */
  public readonly broker: TaskBroker;
  /** The manager's machines. */
  public readonly manager: Machines;
  /** The manager's planned address. */
  public readonly managerAddress: string;
  /** The manager's HTTP port. */
  public readonly managerPort: number;
  /** The categories, resolved. */
  public readonly categories: readonly ResolvedWorkerCategory[];
  /** Seconds a finished task stays in the registry. */
  public readonly registryTtlSeconds: number;

  constructor(scope: Construct, id: string, props: WorkerDaemonsProps) {
    super(scope, id);
    requireProps(this, props);
    this.broker = requirePeer(this, 'broker', props.broker, Kinds.TASK_BROKER);
    this.manager = requirePeer(this, 'manager', props.manager, Kinds.MACHINES);
    this.managerPort = props.managerPort ?? TASK_MANAGER_DEFAULT_PORT;
    requireIntegerInRange(this, 'managerPort', this.managerPort, 1024, 65535);
    this.registryTtlSeconds = props.registryTtlSeconds ?? TASK_DEFAULT_REGISTRY_TTL_SECONDS;
    requireIntegerInRange(this, 'registryTtlSeconds', this.registryTtlSeconds, 600, 30 * 86400);
    this.manager.place(this, 'manager', { exactly: 1 });
    this.managerAddress = this.manager.instances[0].address;
    this.categories = this.resolveCategories(props.categories);

    this.broker.allowClients(this.manager, 'the task manager queues tasks');
    for (const c of this.categories) {
      this.broker.allowClients(c.machines, `the ${c.name} daemons take tasks`);
      c.resultCache?.allowClients(c.machines, `the ${c.name} daemons share data and cache results`);
    }

    const config: TaskDaemonsConfigModel = {
      keyPrefix: TASK_KEY_PREFIX,
      broker: { host: this.broker.address, port: this.broker.port, passwordFile: TASK_BROKER_PASSWORD_PATH },
      registryTtlSeconds: this.registryTtlSeconds,
      manager: { address: this.managerAddress, port: this.managerPort },
      categories: Object.fromEntries(this.categories.map((c) => [c.name, categoryModel(c)])),
    };
    // Each host gets the program once, whatever runs on it: the manager, daemons, or both.
    const hosts = new Map<ServerInstance, string[]>();
    const on = (host: ServerInstance, mode: string) => hosts.set(host, [...(hosts.get(host) ?? []), mode]);
    on(this.manager.instances[0], 'manager');
    for (const c of this.categories) for (const host of c.machines.instances) on(host, `runner ${c.name}`);
    for (const [host, modes] of hosts) this.configureHost(host, modes, config);
  }

  /** The manager's URL of intents (`POST`). */
  public get intentsUrl(): string {
    return `http://${this.managerAddress}:${this.managerPort}/intents`;
  }

  /** The category named `name`; throws when there is none. */
  public category(name: string): ResolvedWorkerCategory {
    const found = this.categories.find((c) => c.name === name);
    if (!found) throw new HostingStacksError(this, 'category', name, `is not a category of these daemons (${this.categories.map((c) => c.name).join(', ')})`);
    return found;
  }

  /**
   * Tasks a day a category's daemons can run when a task takes `taskSeconds` on average: every
   * slot of every server, all day. What a sizing compares its demand with.
   */
  public tasksPerDay(name: string, taskSeconds: number): number {
    const c = this.category(name);
    return Math.floor((c.concurrency * c.machines.instances.length * 86400) / taskSeconds);
  }

  /** Lets `source` (the application's servers) raise intents and read tasks on the manager's port. */
  public allowIntentsFrom(source: IConnectable | Peer, description = 'intents and task progress'): void {
    this.manager.connections.allowFrom(source, Port.tcp(this.managerPort), `${this.node.path}: ${description}`);
  }

  /**
   * Has `monitoring` scrape the manager's metrics (job `task-manager`) and alert on them
   * ({@link taskRuleGroups}): the manager's port is opened to it. Returns the rule file's path.
   */
  public reportTo(monitoring: PrometheusServer): string {
    requirePeer(this, 'monitoring', monitoring, Kinds.CONNECTABLE);
    this.manager.connections.allowFrom(monitoring, Port.tcp(this.managerPort), `${this.node.path}: Prometheus scrapes the task manager`);
    monitoring.addScrapeJob(() => ({
      name: TASK_MANAGER_JOB,
      targets: [{ address: `${this.managerAddress}:${this.managerPort}`, labels: { host: this.manager.instances[0].hostname } }],
    }));
    return monitoring.addRuleFile('/etc/prometheus/worker-daemons-rules.yml', () => renderTaskRules(this.categories.map((c) => ({ name: c.name, maxWaitSeconds: c.maxWaitSeconds }))));
  }

  private resolveCategories(value: unknown): ResolvedWorkerCategory[] {
    if (!Array.isArray(value) || value.length === 0 || value.length > 30) {
      throw new HostingStacksError(this, 'categories', describeValue(value), 'must be a list of 1 to 30 categories ({ name, command, machines, ... })');
    }
    const given = value.map((raw: unknown, i: number) => {
      const at = `categories[${i}]`;
      const c = requireOptions<WorkerCategory>(this, at, raw, ['name', 'command', 'machines', 'concurrency', 'schedule', 'timeoutSeconds', 'resumeAfterSeconds',
        'maxAttempts', 'maxWaitSeconds', 'memoryMaxMb', 'cpuQuotaPercent', 'resultCache', 'resultTtlSeconds', 'workingDirectory']);
      const name = requireText(this, `${at}.name`, c.name, TextKind.NAME, { pattern: CATEGORY_NAME, allowed: "must be lower-case letters, digits and '-', starting with a letter (at most 31)" });
      const machines = requirePeer(this, `${at}.machines`, c.machines, Kinds.MACHINES);
      machines.place(this, `${at}.machines`);
      return { at, c, name, machines };
    });
    requireUnique(this, 'categories', given, (g) => g.name);
    return given.map(({ at, c, name, machines }) => {
      if (!Array.isArray(c.command) || c.command.length === 0 || c.command.length > 64) {
        throw new HostingStacksError(this, `${at}.command`, describeValue(c.command), 'must be the argv of the command: an absolute path, then up to 63 arguments');
      }
      const command = c.command.map((arg: unknown, j: number) => requireText(this, `${at}.command[${j}]`, arg, j === 0 ? TextKind.ABSOLUTE_PATH : TextKind.WORD));
      const concurrency = c.concurrency ?? Math.max(1, machines.cluster.flavor.vcpus);
      requireIntegerInRange(this, `${at}.concurrency`, concurrency, 1, 256);
      const timeoutSeconds = c.timeoutSeconds ?? TASK_DEFAULT_TIMEOUT_SECONDS;
      requireIntegerInRange(this, `${at}.timeoutSeconds`, timeoutSeconds, 10, 86400);
      const resumeAfterSeconds = c.resumeAfterSeconds ?? TASK_DEFAULT_RESUME_AFTER_SECONDS;
      requireIntegerInRange(this, `${at}.resumeAfterSeconds`, resumeAfterSeconds, 10, 3600);
      const maxAttempts = c.maxAttempts ?? TASK_DEFAULT_MAX_ATTEMPTS;
      requireIntegerInRange(this, `${at}.maxAttempts`, maxAttempts, 1, 10);
      const maxWaitSeconds = c.maxWaitSeconds ?? TASK_DEFAULT_MAX_WAIT_SECONDS;
      requireIntegerInRange(this, `${at}.maxWaitSeconds`, maxWaitSeconds, 1, 86400);
      const sharing = value.filter((o: WorkerCategory) => o.machines === machines).length;
      const memoryMaxMb = c.memoryMaxMb ?? Math.floor((machines.cluster.flavor.ramGb * 1024 * TASK_DAEMONS_MEMORY_SHARE) / sharing);
      requireIntegerInRange(this, `${at}.memoryMaxMb`, memoryMaxMb, 64, Math.floor(machines.cluster.flavor.ramGb * 1024));
      if (c.cpuQuotaPercent !== undefined) requireIntegerInRange(this, `${at}.cpuQuotaPercent`, c.cpuQuotaPercent, 10, 25600);
      const resultCache = optionalPeer(this, `${at}.resultCache`, c.resultCache, Kinds.MEMCACHED_POOL);
      const resultTtlSeconds = c.resultTtlSeconds ?? 86400;
      requireIntegerInRange(this, `${at}.resultTtlSeconds`, resultTtlSeconds, 60, 30 * 86400);
      const workingDirectory = c.workingDirectory === undefined ? undefined : requireText(this, `${at}.workingDirectory`, c.workingDirectory, TextKind.ABSOLUTE_PATH);
      const schedule = this.resolveSchedule(`${at}.schedule`, c.schedule ?? []);
      return {
        name, command, machines, concurrency, schedule, timeoutSeconds, resumeAfterSeconds, maxAttempts, maxWaitSeconds, memoryMaxMb,
        cpuQuotaPercent: c.cpuQuotaPercent, resultCache, resultTtlSeconds, workingDirectory, unit: workerUnitName(name),
      };
    });
  }

  private resolveSchedule(at: string, value: unknown): Required<TaskDefinition>[] {
    if (!Array.isArray(value) || value.length > 100) throw new HostingStacksError(this, at, describeValue(value), 'must be a list of up to 100 task definitions ({ name, everySeconds, payload? })');
    const defs = value.map((raw: unknown, i: number) => {
      const d = requireOptions<TaskDefinition>(this, `${at}[${i}]`, raw, ['name', 'everySeconds', 'payload']);
      const name = requireText(this, `${at}[${i}].name`, d.name, TextKind.NAME);
      requireIntegerInRange(this, `${at}[${i}].everySeconds`, d.everySeconds, 1, 86400);
      const payload = d.payload ?? {};
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw new HostingStacksError(this, `${at}[${i}].payload`, describeValue(payload), 'must be an object of texts');
      }
      for (const [k, v] of Object.entries(payload)) {
        requireText(this, `${at}[${i}].payload`, k, TextKind.IDENTIFIER);
        requireText(this, `${at}[${i}].payload.${k}`, v, TextKind.FREE_TEXT);
      }
      return { name, everySeconds: d.everySeconds, payload: { ...payload } };
    });
    requireUnique(this, at, defs, (d) => d.name);
    return defs;
  }

  private configureHost(host: ServerInstance, modes: readonly string[], config: TaskDaemonsConfigModel): void {
    const cc = host.cloudConfig;
    cc.addPackages('python3');
    cc.addFile({ path: TASK_DAEMONS_SCRIPT_PATH, permissions: '0755', syntax: ConfigSyntax.PYTHON, content: renderTaskDaemonsScript() });
    cc.addFile({ path: TASK_DAEMONS_CONFIG_PATH, permissions: '0644', content: renderTaskDaemonsConfig(config) });
    cc.addFile({ path: TASK_BROKER_PASSWORD_PATH, permissions: '0600', content: `${this.broker.password.value}\n` });
    cc.addFile({ path: TASK_DAEMONS_SYSUSERS_PATH, syntax: ConfigSyntax.SYSUSERS, content: renderTaskDaemonsSysusers({ account: TASK_DAEMONS_ACCOUNT, home: TASK_DAEMONS_HOME }) });
    cc.addPreServiceCommand('systemd-sysusers', TASK_DAEMONS_SYSUSERS_PATH);
    const brokerHere = host === this.broker.instance;
    const units: string[] = [];
    for (const mode of modes) {
      const category = mode === 'manager' ? undefined : this.category(mode.slice('runner '.length));
      const unit = category ? category.unit : TASK_MANAGER_UNIT;
      cc.addFile({
        path: `/etc/systemd/system/${unit}`,
        syntax: ConfigSyntax.SYSTEMD_UNIT,
        content: renderTaskDaemonUnit({
          description: category ? `worker daemon of the ${category.name} tasks` : 'task manager (schedules, intents, metrics)',
          constructPath: this.node.path,
          scriptPath: TASK_DAEMONS_SCRIPT_PATH,
          configPath: TASK_DAEMONS_CONFIG_PATH,
          mode,
          account: TASK_DAEMONS_ACCOUNT,
          brokerPasswordPath: TASK_BROKER_PASSWORD_PATH,
          afterBroker: brokerHere,
          restartSeconds: 2,
          stopSeconds: 30,
          memoryMaxMb: category ? category.memoryMaxMb : TASK_MANAGER_MEMORY_MB,
          cpuQuotaPercent: category?.cpuQuotaPercent,
          tasksMax: category ? 64 + category.concurrency * 64 : 64,
          stateDirectory: TASK_DAEMONS_STATE_DIRECTORY,
          workingDirectory: category?.workingDirectory,
        }),
      });
      units.push(unit);
    }
    cc.addCommand('systemctl', 'enable', '--now', ...units);
  }
}

function categoryModel(c: ResolvedWorkerCategory): TaskCategoryModel {
  return {
    command: c.command,
    workingDirectory: c.workingDirectory,
    concurrency: c.concurrency,
    timeoutSeconds: c.timeoutSeconds,
    resumeAfterSeconds: c.resumeAfterSeconds,
    maxAttempts: c.maxAttempts,
    schedule: c.schedule,
    resultCache: c.resultCache ? { servers: c.resultCache.servers, ttlSeconds: c.resultTtlSeconds } : undefined,
  };
}
