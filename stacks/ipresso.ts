/**
 * Case study 4: iPresso, marketing automation as SaaS for many clients (seeds/003, Polish). Each
 * client has its own database of identical schema beside one shared database; background tasks
 * (mailing, SMS, marketing automation, social networks, external sync, analytics) run in worker
 * daemons fed by one manager, instead of cron; analyses run on parallel workers sharing memcached.
 *
 * The document's three layouts are one prop, `stage`; the functions are the same constructs in each,
 * placed on other machines:
 *
 *   ONE_MACHINE                     MACHINE_PER_FUNCTION              MACHINE_PER_INDIVIDUAL_FUNCTION
 *   [ipresso-1: databases,          [db-1: databases]                 [db-1..n: databases]
 *    broker, manager, every         [tasks-1: broker, manager,        [broker-1] [manager-1: manager, migrations]
 *    category, memcached,            five categories, migrations]     [mailing-1..n] [sms-1..n] [automation-1..n]
 *    migrations]                    [analytics-1: analytics,          [social-1..n] [sync-1..n]
 *                                    memcached]                       [analytics-1..n] [memcached-1..n]
 *
 * In every stage: a central monitoring server (the daemons' backlog and health), and backups of
 * the stateful machines. The application's PHP front (the panel and API) is the customer's: it
 * reaches the databases and the manager's intents from the application vSwitch.
 */
import { Construct } from 'constructs';
import {
  BackupSchedule,
  CentralMonitoring,
  ClientDatabases,
  ClientDatabaseSize,
  ClientMigrations,
  ExternalNetwork,
  Flavor,
  HostingStack,
  HostingStackProps,
  Machines,
  MemcachedPool,
  NetworkZone,
  Peer,
  Port,
  PrivateVSwitch,
  Router,
  TaskBroker,
  VeeamBackup,
  WorkerCategory,
  WorkerDaemons,
} from '../lib';
import { requireEnumValue } from '../lib/core/choices';
import { stableOutput } from '../lib/core/outputs';
import { HostingStacksError, requireIntegerInRange } from '../lib/core/errors';
import { requireText, TextKind } from '../lib/core/text';

/** More than 500,000 contacts per client today (case study 4). */
export const IPRESSO_CONTACTS_PER_CLIENT = 500_000;
/** Forecast: many clients with 1 to 5 million contacts each (case study 4). */
export const IPRESSO_FORECAST_CONTACTS_PER_CLIENT = { low: 1_000_000, high: 5_000_000 } as const;
/** More than 13,000 background tasks a day per client (case study 4). */
export const IPRESSO_TASKS_PER_DAY_PER_CLIENT = 13_000;
/** 400,000 active contacts leave more than 6,000,000 activity rows within a few months (case study 4): 15 a contact. */
export const IPRESSO_ACTIVITY_ROWS_PER_CONTACT = 6_000_000 / 400_000;
/** Updating the databases in parallel took more than 60 % less time than one after another (case study 4). */
export const IPRESSO_PARALLEL_UPDATE_SAVING = 0.6;

/** Clients the stack carries by default. The document says "many"; 20 is our estimate. */
export const IPRESSO_PLANNED_CLIENTS = 20;
/** Bytes of a contact with its indexes (fields, consents, tags). Our estimate. */
export const IPRESSO_BYTES_PER_CONTACT = 2_000;
/** Bytes of an activity row with its indexes (contact, kind, time, a reference). Our estimate. */
export const IPRESSO_BYTES_PER_ACTIVITY_ROW = 150;
/** Share of a client's data read often enough to stay in memory: recent activity, active contacts. Our estimate. */
export const IPRESSO_HOT_FRACTION = 0.1;
/** Mean seconds of a background task (most are a batch of a mailing, a sync page, a phrase search). Our estimate. */
export const IPRESSO_MEAN_TASK_SECONDS = 2;
/** Tasks arrive in spikes (case study 4: "spiky resource use"); the busiest hour at 4x the day's mean. Our estimate. */
export const IPRESSO_TASK_PEAK_TO_AVERAGE = 4;

/** The task categories of case study 4, with the share of the day's tasks each takes (the shares are our estimate). */
export const IPRESSO_CATEGORIES: readonly { readonly name: string; readonly share: number; readonly title: string }[] = [
  { name: 'mailing', share: 0.3, title: 'the mailing system' },
  { name: 'sms', share: 0.1, title: 'the SMS system' },
  { name: 'marketing-automation', share: 0.3, title: 'marketing automation' },
  { name: 'social-networks', share: 0.1, title: 'communication with social networks' },
  { name: 'external-sync', share: 0.1, title: 'synchronisation with external systems' },
  { name: 'analytics', share: 0.1, title: 'data analysis' },
];

/** OVHcloud region: Warsaw, near the clients of a Polish SaaS. */
export const IPRESSO_REGION = 'WAW1';

/** The databases and the broker, nightly; a week kept. The case study names no backup figures: these are ours. */
export const IPRESSO_BACKUP = { schedule: BackupSchedule.daily('02:30', 'Europe/Warsaw'), rotation: 7, rtoMinutes: 60 } as const;

/** The three machine layouts of case study 4. */
export enum IpressoStage {
  /** "At the start, one machine with the application's code, the database, and the cron jobs." */
  ONE_MACHINE = 'one-machine',
  /** "Now, separate machines for each function of the application." */
  MACHINE_PER_FUNCTION = 'machine-per-function',
  /** "In the future, separate machines for each individual function, for better scaling and load balancing." */
  MACHINE_PER_INDIVIDUAL_FUNCTION = 'machine-per-individual-function',
}

/** Props of {@link IpressoStack}. */
export interface IpressoStackProps extends HostingStackProps {
  /** OpenStack region. @default IPRESSO_REGION ('WAW1') */
  readonly region?: string;
  /** The machine layout. @default IpressoStage.MACHINE_PER_FUNCTION (the document's present) */
  readonly stage?: IpressoStage;
  /** Clients the layout must carry, 1 to 10,000. @default IPRESSO_PLANNED_CLIENTS (20) */
  readonly plannedClients?: number;
  /** Contacts per client the databases are sized for. @default IPRESSO_FORECAST_CONTACTS_PER_CLIENT.low (1,000,000) */
  readonly contactsPerClient?: number;
  /** Database hosts in MACHINE_PER_INDIVIDUAL_FUNCTION, 1 to 20 (one in the other stages). @default 2 */
  readonly databaseHosts?: number;
  /** Database host flavor (MACHINE_PER_FUNCTION and after). @default Flavor.named('r3-64') */
  readonly databaseFlavor?: Flavor;
  /** Servers of each category in MACHINE_PER_INDIVIDUAL_FUNCTION, 1 to 20: two balance and outlive one. @default 2 */
  readonly serversPerCategory?: number;
  /** The customer's task command: each category's daemon runs it with the category as last argument. @default '/opt/ipresso/bin/task' */
  readonly taskCommand?: string;
  /** Public network of the router (package installs, the clients' external systems). @default ExternalNetwork.ovh() */
  readonly externalNetwork?: ExternalNetwork;
}

/** The iPresso architecture on OpenStack. */
export class IpressoStack extends HostingStack {
  /** The layout. */
  public readonly stage: IpressoStage;
  /** The shared database and the clients' databases. */
  public readonly databases: ClientDatabases;
  /** The migration runner of the clients' databases. */
  public readonly migrations: ClientMigrations;
  /** The broker of the task queues. */
  public readonly broker: TaskBroker;
  /** The manager and the daemons of every category. */
  public readonly daemons: WorkerDaemons;
  /** The memcached pool of the analytics workers. */
  public readonly analyticsCache: MemcachedPool;
  /** Central monitoring. */
  public readonly monitoring: CentralMonitoring;
  /** Backups of the stateful machines. */
  public readonly backup: VeeamBackup;
  /** Every set of machines, by name. */
  public readonly machines: Readonly<Record<string, Machines>>;
  /** How many clients a database host and each category's servers carry, and why. */
  public readonly capacityNotes: readonly string[];
  /** The vSwitches. */
  public readonly vswitches: { readonly app: PrivateVSwitch; readonly data: PrivateVSwitch };

  constructor(scope: Construct, id: string, props: IpressoStackProps = {}) {
    const region = props.region ?? IPRESSO_REGION;
    super(scope, id, { ...props, region });
    this.stage = requireEnumValue(this, 'stage', props.stage ?? IpressoStage.MACHINE_PER_FUNCTION, IpressoStage, 'IpressoStage');
    const plannedClients = props.plannedClients ?? IPRESSO_PLANNED_CLIENTS;
    requireIntegerInRange(this, 'plannedClients', plannedClients, 1, 10000);
    const contacts = props.contactsPerClient ?? IPRESSO_FORECAST_CONTACTS_PER_CLIENT.low;
    requireIntegerInRange(this, 'contactsPerClient', contacts, 1000, 100_000_000);
    const taskCommand = requireText(this, 'taskCommand', props.taskCommand ?? '/opt/ipresso/bin/task', TextKind.ABSOLUTE_PATH);
    const perCategory = props.serversPerCategory ?? 2;
    requireIntegerInRange(this, 'serversPerCategory', perCategory, 1, 20);
    const dbHosts = props.databaseHosts ?? 2;
    requireIntegerInRange(this, 'databaseHosts', dbHosts, 1, 20);
    if (this.stage !== IpressoStage.MACHINE_PER_INDIVIDUAL_FUNCTION && props.databaseHosts !== undefined && props.databaseHosts !== 1) {
      throw new HostingStacksError(this, 'databaseHosts', props.databaseHosts, `must be 1 (or unset) in stage ${this.stage}: several database hosts are the next stage's, MACHINE_PER_INDIVIDUAL_FUNCTION`);
    }

    const router = new Router(this, 'Router', { externalNetwork: props.externalNetwork ?? ExternalNetwork.ovh() });
    const app = new PrivateVSwitch(this, 'App', { cidr: '10.50.1.0/24', router, zone: NetworkZone.APPLICATION });
    const data = new PrivateVSwitch(this, 'Data', { cidr: '10.50.2.0/24', router, zone: NetworkZone.DATA });
    this.vswitches = { app, data };

    const layout = this.layout(props, dbHosts, perCategory);
    this.machines = layout.all;
    const clientSize: ClientDatabaseSize = {
      contacts,
      bytesPerContact: IPRESSO_BYTES_PER_CONTACT,
      activityRowsPerContact: IPRESSO_ACTIVITY_ROWS_PER_CONTACT,
      bytesPerActivityRow: IPRESSO_BYTES_PER_ACTIVITY_ROW,
      hotFraction: IPRESSO_HOT_FRACTION,
    };
    this.databases = new ClientDatabases(this, 'Databases', {
      machines: layout.databases,
      plannedClients,
      clientSize,
      // On one machine the databases share the RAM with the broker, memcached and the daemons.
      bufferPoolFraction: this.stage === IpressoStage.ONE_MACHINE ? 0.3 : 0.6,
      applicationClientCidr: app.cidr,
    });
    this.migrations = new ClientMigrations(this, 'Migrations', { databases: this.databases, machines: layout.manager });
    this.broker = new TaskBroker(this, 'Broker', { machines: layout.broker });
    this.analyticsCache = new MemcachedPool(this, 'AnalyticsCache', { machines: layout.memcached, purpose: 'the analytics workers: shared intermediate data and finished analyses' });

    const categories: WorkerCategory[] = IPRESSO_CATEGORIES.map((c) => ({
      name: c.name,
      command: [taskCommand, c.name],
      machines: layout.category(c.name),
      ...(c.name === 'analytics' ? { resultCache: this.analyticsCache } : {}),
    }));
    this.daemons = new WorkerDaemons(this, 'Daemons', { broker: this.broker, manager: layout.manager, categories });
    // The customer's PHP front, on the application vSwitch, raises intents and shows progress.
    this.daemons.allowIntentsFrom(Peer.ipv4(app.cidr), 'the application raises intents and shows progress');
    for (const c of this.daemons.categories) this.databases.addClient(c.machines, c.concurrency, `the ${c.name} daemons: a connection per task at once`);

    stableOutput(this, 'IntentsUrlOutput', 'task_manager_intents_url', {
      value: this.daemons.intentsUrl,
      description: 'Where the application raises intents (POST {"category", "definition", "payload"}); GET /tasks/<id> on the same host shows a task\'s progress',
    });
    stableOutput(this, 'DatabaseHostsOutput', 'client_database_hosts', {
      value: this.databases.hosts.map((h) => `${h.address}:${h.port}`),
      description: `The client database hosts; the first holds the shared database (${this.databases.sharedDatabaseName}) and its registry of client databases`,
    });

    this.capacityNotes = this.checkCapacity(plannedClients);
    this.addArtifact('capacity.md', () => ['# iPresso: capacity', '', `Stage: ${this.stage}. Planned clients: ${plannedClients}.`, '', ...this.capacityNotes.map((n) => `- ${n}`), ''].join('\n'));

    const stateful = [...new Set(Object.values(layout.all).filter((m) => m.cluster.stateful))];
    this.backup = new VeeamBackup(this, 'Backup', { vswitch: app, region });
    this.backup.addPolicy('stateful', { servers: stateful, ...IPRESSO_BACKUP, volumeBackups: true });

    // Central monitoring on the application network and a probe on the data network: the manager's
    // health (Redis answers and its schedule loop runs), and each database host, the broker and the
    // memcached pool asked from both (down from both is critical, from one a network path).
    this.monitoring = new CentralMonitoring(this, 'Monitoring', { vswitch: app, tiers: [...new Set(Object.values(layout.all))] });
    this.daemons.reportTo(this.monitoring);
    const probe = this.monitoring.addProbe('DataProbe', { vswitch: data, vantageName: 'data' });
    const watch = (target: Machines, port: number, what: string) => {
      for (const watcher of [this.monitoring, probe]) {
        target.connections.allowFrom(watcher, Port.tcp(port), `monitoring checks ${what}`);
      }
    };
    watch(layout.manager, this.daemons.managerPort, 'the task manager\'s health');
    this.monitoring.addHttpCheck(`http://${this.daemons.managerAddress}:${this.daemons.managerPort}/healthz`, { name: 'task-manager' });
    watch(layout.databases, this.databases.port, 'MariaDB');
    for (const h of this.databases.hosts) this.monitoring.addTcpCheck(h.address, h.port, { name: `${h.name}-mariadb` });
    watch(layout.broker, this.broker.port, 'the task broker');
    this.monitoring.addTcpCheck(this.broker.address, this.broker.port, { name: 'task-broker' });
    watch(layout.memcached, this.analyticsCache.port, 'memcached');
    this.analyticsCache.cluster.instances.forEach((i, n) => this.monitoring.addTcpCheck(i.address, this.analyticsCache.port, { name: `memcached-${n + 1}` }));
  }

  /** The machines of the stage, and which function goes on which. */
  private layout(props: IpressoStackProps, dbHosts: number, perCategory: number) {
    const { app, data } = this.vswitches;
    const dbFlavor = props.databaseFlavor ?? Flavor.named('r3-64');
    if (this.stage === IpressoStage.ONE_MACHINE) {
      // "code, database and cron" on one machine: it holds data, so it sits on the data vSwitch.
      const one = new Machines(this, 'Machine', { vswitch: data, flavor: Flavor.named('b3-64'), stateful: true, hostnamePrefix: 'ipresso' });
      return { all: { machine: one }, databases: one, manager: one, broker: one, memcached: one, category: () => one };
    }
    if (this.stage === IpressoStage.MACHINE_PER_FUNCTION) {
      const databases = new Machines(this, 'DatabaseHost', { vswitch: data, flavor: dbFlavor, stateful: true, hostnamePrefix: 'db' });
      const tasks = new Machines(this, 'TaskHost', { vswitch: app, flavor: Flavor.named('b3-32'), stateful: true, hostnamePrefix: 'tasks' });
      const analytics = new Machines(this, 'AnalyticsHost', { vswitch: app, flavor: Flavor.named('b3-32'), hostnamePrefix: 'analytics' });
      return {
        all: { databases, tasks, analytics },
        databases, manager: tasks, broker: tasks, memcached: analytics,
        category: (name: string) => (name === 'analytics' ? analytics : tasks),
      };
    }
    const databases = new Machines(this, 'DatabaseHosts', { vswitch: data, flavor: dbFlavor, count: dbHosts, stateful: true, hostnamePrefix: 'db' });
    const broker = new Machines(this, 'BrokerHost', { vswitch: data, flavor: Flavor.named('b3-16'), stateful: true, hostnamePrefix: 'broker' });
    const manager = new Machines(this, 'ManagerHost', { vswitch: app, flavor: Flavor.named('b3-8'), hostnamePrefix: 'manager' });
    const memcached = new Machines(this, 'MemcachedHosts', { vswitch: app, flavor: Flavor.named('b3-16'), count: 2, hostnamePrefix: 'memcached' });
    const all: Record<string, Machines> = { databases, broker, manager, memcached };
    for (const c of IPRESSO_CATEGORIES) {
      const id = c.name.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join('');
      all[c.name] = new Machines(this, `${id}Hosts`, {
        vswitch: app, flavor: Flavor.named(c.name === 'analytics' ? 'b3-32' : 'b3-16'), count: perCategory, hostnamePrefix: c.name,
      });
    }
    return { all, databases, manager, broker, memcached, category: (name: string) => all[name] };
  }

  /**
   * The capacity notes, and synth's refusal of a layout that cannot carry its clients: every
   * category's daemons must run its share of 13,000 tasks a day per client at the busiest hour's
   * rate (the database hosts' own check is ClientDatabases').
   */
  private checkCapacity(clients: number): string[] {
    const notes = [`database hosts: ${this.databases.capacityNote}; ${this.databases.hosts.length} host(s) carry ${this.databases.clientsPerHost * this.databases.hosts.length} clients`];
    // The same hosts at today's figure and at the forecast's ends (case study 4), for the plan ahead.
    for (const [what, contacts] of [['today', IPRESSO_CONTACTS_PER_CLIENT], ['forecast, low', IPRESSO_FORECAST_CONTACTS_PER_CLIENT.low], ['forecast, high', IPRESSO_FORECAST_CONTACTS_PER_CLIENT.high]] as const) {
      notes.push(`database hosts ${what}: ${this.databases.capacityFor(contacts).note}`);
    }
    // Every task stays in the broker's registry registryTtlSeconds after it ends: a day's tasks of every client at the default.
    const kept = Math.ceil(clients * IPRESSO_TASKS_PER_DAY_PER_CLIENT * this.daemons.registryTtlSeconds / 86400);
    notes.push(`task broker: ${clients} clients x ${IPRESSO_TASKS_PER_DAY_PER_CLIENT.toLocaleString('en-US')} tasks a day kept ${this.daemons.registryTtlSeconds / 3600} h is ${kept.toLocaleString('en-US')} tasks in its registry; its ${this.broker.maxMemoryMb} MB hold ${this.broker.registryCapacity.toLocaleString('en-US')}`);
    if (kept > this.broker.registryCapacity) {
      throw new HostingStacksError(this, 'plannedClients', clients, `is more than the task broker's registry holds (${kept.toLocaleString('en-US')} tasks kept against ${this.broker.registryCapacity.toLocaleString('en-US')} in ${this.broker.maxMemoryMb} MB); give the broker a larger flavor`);
    }
    for (const c of IPRESSO_CATEGORIES) {
      const perClient = IPRESSO_TASKS_PER_DAY_PER_CLIENT * c.share * IPRESSO_TASK_PEAK_TO_AVERAGE;
      const capacity = this.daemons.tasksPerDay(c.name, IPRESSO_MEAN_TASK_SECONDS);
      const carried = Math.floor(capacity / perClient);
      const cat = this.daemons.category(c.name);
      notes.push(`${c.name} (${c.title}): ${Math.round(IPRESSO_TASKS_PER_DAY_PER_CLIENT * c.share)} tasks a day per client, ${IPRESSO_TASK_PEAK_TO_AVERAGE}x at the busiest hour, `
        + `${IPRESSO_MEAN_TASK_SECONDS} s each; ${cat.machines.instances.length} server(s) x ${cat.concurrency} slots run ${capacity.toLocaleString('en-US')} a day: ${carried} clients`);
      if (carried < clients) {
        throw new HostingStacksError(this, 'plannedClients', clients,
          `is more than the ${c.name} daemons carry (${carried}: ${cat.machines.instances.length} server(s) x ${cat.concurrency} slots against ${Math.round(perClient)} task-slots a day per client at the peak); ${this.stage === IpressoStage.MACHINE_PER_INDIVIDUAL_FUNCTION ? 'raise serversPerCategory' : 'move to stage MACHINE_PER_INDIVIDUAL_FUNCTION, where serversPerCategory sets each category\'s servers'}`);
      }
    }
    return notes;
  }
}
