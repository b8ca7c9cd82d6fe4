import { IArchitectureIntent, TierIntent, TierRole } from '../core/architecture-intent';
import { Aspects } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { CountedTarget, CountedTargets, countedTargetsOf } from '../compute/counted-targets';
import { Flavor, Sizing } from '../compute/flavor';
import { IServerTier, ServerCluster, ServerInstance } from '../compute/server-cluster';
import { Connections, IConnectable, Peer } from '../core/connections';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { kebabCase } from '../core/naming';
import { Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';
import { Port } from '../core/port';
import { requireText, TextKind } from '../core/text';
import type { IPrivateVSwitch } from '../network/private-vswitch';
import {
  ALERTMANAGER_PORT,
  APACHE_EXPORTER_PORT,
  APACHE_JOB,
  NODE_EXPORTER_PORT,
  NODE_JOB,
  PROMETHEUS_PORT,
  PrometheusScrapeJob,
  renderDaemonArgs,
  renderPrometheusConfig,
  SCRAPE_INTERVAL_SECONDS,
} from './prometheus-files';
import { AlertReceiver, renderNotificationAlertmanagerConfig } from './alert-routing';

/**
 * The monitoring server's default size: Prometheus keeps ~1,000 series per node_exporter and ~50 per
 * Apache exporter, so 20 hosts are ~25,000 series (well under 1 GB of RAM); 40 GB hold 15 days of them
 * at a 15 s scrape with room for the Terraform working copy.
 */
export const MONITORING_SIZING: Sizing = { vcpus: 2, ramGb: 4, diskGb: 40 };

/** Days Prometheus keeps samples. */
export const PROMETHEUS_RETENTION_DAYS = 15;

/** Where a Prometheus server keeps what it is configured with (Debian's packages' paths). */
export const PROMETHEUS_SERVER_PATHS = {
  prometheusConfig: '/etc/prometheus/prometheus.yml',
  alertmanagerConfig: '/etc/prometheus/alertmanager.yml',
  prometheusDefaults: '/etc/default/prometheus',
  alertmanagerDefaults: '/etc/default/prometheus-alertmanager',
  apacheExporterDefaults: '/etc/default/prometheus-apache-exporter',
  targetsDirectory: '/etc/prometheus/targets',
} as const;

/** Props every Prometheus server takes (the monitoring server of {@link PrometheusServer} and its subclasses). */
export interface PrometheusServerBaseProps {
  /** The vSwitch of the monitoring server (it must reach every monitored tier). */
  readonly vswitch: IPrivateVSwitch;
  /** Flavor of the monitoring server. @default Flavor.fromSizing(MONITORING_SIZING) */
  readonly flavor?: Flavor;
  /**
   * Who may open Prometheus' (9090) and Alertmanager's (9093) UIs: an address block
   * (`Peer.ipv4('198.51.100.0/24')`) or a construct (`Peer.of(vpn)`). @default - nobody: both listen
   * on loopback only (SSH tunnel)
   */
  readonly adminPeer?: Peer;
  /** Days Prometheus keeps samples. @default PROMETHEUS_RETENTION_DAYS (15) */
  readonly retentionDays?: number;
  /** Host name prefix of the monitoring server. @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
}

/** Props of {@link PrometheusServer}. */
export interface PrometheusServerProps extends PrometheusServerBaseProps {
  /**
   * Where every alert goes. @default - {@link AlertReceiver.none}: alerts are kept by Alertmanager and
   * shown in its UI and API (`adminPeer`, or an SSH tunnel to 9093), sent nowhere
   */
  readonly receiver?: AlertReceiver;
  /** Where alerts labelled `severity="critical"` go, instead of `receiver`. @default - `receiver` */
  readonly criticalReceiver?: AlertReceiver;
}

/** One tier a {@link PrometheusServer} monitors. */
export interface MonitoredTier {
  /** The tier. */
  readonly tier: IServerTier;
  /** True when its hosts also run the Apache exporter (the tier declares an Apache status port). */
  readonly apache: boolean;
}

/** One scrape-target list the server keeps from the monitored tiers' counts. */
export interface CountedScrapeJob {
  /** Job name. */
  readonly name: string;
  /** The targets file the job reads (file_sd). */
  readonly file: string;
  /** Every planned target; the counted-targets unit keeps those whose index is below the count. */
  readonly targets: CountedTarget[];
}

/**
 * A monitoring server on a vSwitch running Prometheus and Alertmanager (Debian packages), monitoring
 * tiers: the base of {@link PrometheusScaling} (alerts to the scaling hook) and of
 * {@link CentralMonitoring} (blackbox probes and alerts to people), usable on its own with
 * {@link addRuleFile} and {@link addScrapeJob}.
 *
 * - {@link monitor} puts `prometheus-node-exporter` (9100) on every planned instance of a tier and,
 *   on Apache tiers ({@link WebTier}, {@link MagentoFrontends}), `prometheus-apache-exporter` (9117,
 *   reading mod_status on the loopback); the tier admits those ports from the monitoring server only.
 *   Prometheus scrapes the instances that exist: the monitoring server's Nova metadata holds each
 *   tier's count (`hosting-stacks:count:<variable>`, updated in place by whichever apply changes
 *   it), and a timer rewrites Prometheus' targets files from it every 30 s (`counted-targets.ts`).
 * - Rule files are checked by `promtool check rules`, `prometheus.yml` by `promtool check config`,
 *   the Alertmanager config by `amtool check-config` (in the tests).
 * - Without `adminPeer`, Prometheus and Alertmanager listen on the loopback only.
 *
 * `prometheus.yml`, the rule files and the Alertmanager config are rendered at synth (after every
 * tier, job and rule was added), through an aspect; {@link addConfigFiles} writes them earlier.
 */
export class PrometheusServer extends Construct implements IArchitectureIntent, IConnectable {
  /** Monitoring runs the stack; it serves no user's request. (architecture notes) */
  public readonly architectureIntent: TierIntent = { role: TierRole.OPERATIONS };
  /** The monitoring server (one instance). */
  public readonly server: ServerCluster;
  /** The network intent of the monitoring server. */
  public readonly connections: Connections;
  /** Days Prometheus keeps samples. */
  public readonly retentionDays: number;
  /** The address Prometheus and Alertmanager listen on: `0.0.0.0` with an admin peer, else the loopback. */
  public readonly listenAddress: string;
  /** Where every alert goes (see {@link PrometheusServerProps.receiver}). */
  public readonly receiver: AlertReceiver;
  /** Where critical alerts go. */
  public readonly criticalReceiver: AlertReceiver;
  private readonly monitoredTiers: MonitoredTier[] = [];
  private readonly ruleFiles: { readonly path: string; readonly render: () => string }[] = [];
  private readonly extraJobs: (() => PrometheusScrapeJob)[] = [];
  private configFilesAdded = false;

  constructor(scope: Construct, id: string, props: PrometheusServerProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    optionalPeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    optionalPeer(this, 'adminPeer', props.adminPeer, Kinds.PEER);
    this.receiver = props.receiver ?? AlertReceiver.none();
    this.criticalReceiver = props.criticalReceiver ?? this.receiver;
    AlertReceiver.check(this, 'receiver', this.receiver);
    AlertReceiver.check(this, 'criticalReceiver', this.criticalReceiver);
    this.retentionDays = props.retentionDays ?? PROMETHEUS_RETENTION_DAYS;
    requireIntegerInRange(this, 'retentionDays', this.retentionDays, 1, 3650);

    this.server = new ServerCluster(this, 'Server', {
      vswitch: props.vswitch,
      count: 1,
      flavor: props.flavor ?? Flavor.fromSizing(MONITORING_SIZING),
      hostnamePrefix: props.hostnamePrefix ?? kebabCase(id),
    });
    this.connections = this.server.connections;
    if (props.adminPeer) {
      this.connections.allowFrom(props.adminPeer, Port.tcp(PROMETHEUS_PORT), 'Prometheus UI');
      this.connections.allowFrom(props.adminPeer, Port.tcp(ALERTMANAGER_PORT), 'Alertmanager UI');
    }
    this.listenAddress = props.adminPeer ? '0.0.0.0' : '127.0.0.1';

    const cc = this.instance.cloudConfig;
    cc.addPackages('prometheus', 'prometheus-alertmanager');
    cc.addFile({
      path: PROMETHEUS_SERVER_PATHS.prometheusDefaults,
      syntax: ConfigSyntax.SHELL,
      content: renderDaemonArgs({ daemon: 'prometheus', args: [`--web.listen-address=${this.listenAddress}:${PROMETHEUS_PORT}`, `--storage.tsdb.retention.time=${this.retentionDays}d`] }),
    });
    cc.addFile({
      path: PROMETHEUS_SERVER_PATHS.alertmanagerDefaults,
      syntax: ConfigSyntax.SHELL,
      // One Alertmanager: clustering (gossip on 9094) is switched off.
      content: renderDaemonArgs({ daemon: 'prometheus-alertmanager', args: [`--web.listen-address=${this.listenAddress}:${ALERTMANAGER_PORT}`, '--cluster.listen-address='] }),
    });
    // Prometheus' targets follow the counts (counted-targets.ts), written before Prometheus starts.
    const lists = CountedTargets.of(this.instance);
    for (const job of [NODE_JOB, APACHE_JOB]) {
      lists.addJob(`${PROMETHEUS_SERVER_PATHS.targetsDirectory}/${job}.json`, () => this.countedTargets().find((j) => j.name === job)?.targets ?? [], ['prometheus.service']);
    }
    cc.addServices('prometheus', 'prometheus-alertmanager');

    // The scrape jobs, rules and routes are complete only at synth.
    Aspects.of(this).add({ visit: (node: IConstruct) => (node === this ? this.addConfigFiles() : undefined) });
  }

  /** The monitoring server's instance. */
  public get instance(): ServerInstance {
    return this.server.instances[0];
  }

  /** The tiers monitored, in the order given. */
  public get tiers(): readonly MonitoredTier[] {
    return [...this.monitoredTiers];
  }

  /**
   * Monitors `tier`: node_exporter (and the Apache exporter on an Apache tier) on every planned
   * instance, admitted from this server only, and scraped while the instance exists. Returns what
   * it records. A tier is monitored once, by one server of this kind.
   */
  public monitor(tier: IServerTier): MonitoredTier {
    requirePeer(this, 'tier', tier, Kinds.SERVER_TIER);
    if (this.monitoredTiers.some((t) => t.tier.cluster === tier.cluster)) throw new HostingStacksError(this, 'tier', tier.cluster.node.path, 'is already monitored by this server');
    const apachePort = tier.apacheStatusPort;
    tier.connections.allowFrom(this, Port.tcp(NODE_EXPORTER_PORT), 'Prometheus scrapes node_exporter');
    if (apachePort !== undefined) tier.connections.allowFrom(this, Port.tcp(APACHE_EXPORTER_PORT), 'Prometheus scrapes the Apache exporter');
    tier.cluster.configureHosts((host) => {
      host.cloudConfig.addPackages('prometheus-node-exporter');
      host.cloudConfig.addServices('prometheus-node-exporter');
      if (apachePort !== undefined) {
        host.cloudConfig.addPackages('prometheus-apache-exporter');
        host.cloudConfig.addFile({
          path: PROMETHEUS_SERVER_PATHS.apacheExporterDefaults,
          syntax: ConfigSyntax.SHELL,
          // mod_status answers `Require local` requests only: the exporter asks on the loopback.
          content: renderDaemonArgs({ daemon: 'prometheus-apache-exporter', args: [`--scrape_uri=http://127.0.0.1:${apachePort}/server-status?auto`] }),
        });
        host.cloudConfig.addServices('prometheus-apache-exporter');
      }
    });
    CountedTargets.of(this.instance).follow(tier.cluster);
    const monitored = { tier, apache: apachePort !== undefined };
    this.monitoredTiers.push(monitored);
    return monitored;
  }

  /**
   * The `tier` label of a monitored tier's series: its construct path. A subclass may name tiers
   * otherwise (read at synth).
   */
  protected tierLabel(tier: IServerTier): string {
    return tier.node.path;
  }

  /**
   * Adds a rule file at `path` (absolute, under `/etc/prometheus/`), rendered by `render` at synth;
   * Prometheus loads the files in the order added. Returns the path.
   */
  public addRuleFile(path: string, render: () => string): string {
    requireText(this, 'ruleFile', path, TextKind.ABSOLUTE_PATH);
    if (!path.startsWith('/etc/prometheus/') || !/\.ya?ml$/.test(path)) throw new HostingStacksError(this, 'ruleFile', path, "must be a .yml file under '/etc/prometheus/'");
    if (this.ruleFiles.some((f) => f.path === path) || (Object.values(PROMETHEUS_SERVER_PATHS) as string[]).includes(path)) throw new HostingStacksError(this, 'ruleFile', path, 'is already a file of this server');
    this.ruleFiles.push({ path, render });
    return path;
  }

  /** The rule files, in the order Prometheus loads them. */
  public get ruleFilePaths(): readonly string[] {
    return this.ruleFiles.map((f) => f.path);
  }

  /** Adds a scrape job with static targets, read at synth (`job()` is called then). */
  public addScrapeJob(job: () => PrometheusScrapeJob): void {
    this.extraJobs.push(job);
  }

  /**
   * Prometheus' scrape jobs: node_exporter on every planned instance of each monitored tier, the
   * Apache exporter on those of Apache tiers (their targets files), then the jobs added.
   */
  public scrapeJobs(): PrometheusScrapeJob[] {
    const jobs: PrometheusScrapeJob[] = this.countedTargets().map((j) => ({ name: j.name, targets: [], targetsFile: j.file }));
    for (const job of this.extraJobs.map((j) => j())) {
      if (jobs.some((j) => j.name === job.name)) throw new HostingStacksError(this, 'scrapeJobs', job.name, 'is the name of two scrape jobs; job names must be unique');
      jobs.push(job);
    }
    return jobs;
  }

  /**
   * Every planned target of the node and Apache jobs, labelled with the tier and host name, with its
   * tier's count variable and its index: the counted-targets unit keeps those whose index is below
   * the count.
   */
  public countedTargets(): CountedScrapeJob[] {
    const targets = (job: string, port: number): CountedTarget[] =>
      this.monitoredTiers
        .filter((t) => job === NODE_JOB || t.apache)
        .flatMap((t) => countedTargetsOf(t.tier.cluster, (host) => `${host.address}:${port}`, (host) => ({ tier: this.tierLabel(t.tier), host: host.hostname })));
    return [
      { name: NODE_JOB, file: `${PROMETHEUS_SERVER_PATHS.targetsDirectory}/${NODE_JOB}.json`, targets: targets(NODE_JOB, NODE_EXPORTER_PORT) },
      { name: APACHE_JOB, file: `${PROMETHEUS_SERVER_PATHS.targetsDirectory}/${APACHE_JOB}.json`, targets: targets(APACHE_JOB, APACHE_EXPORTER_PORT) },
    ].filter((j) => j.targets.length > 0);
  }

  /** The comment lines heading `prometheus.yml`. */
  protected prometheusHeader(): readonly string[] {
    return ['Rendered by hosting-stacks: Prometheus scrapes the monitored tiers\' exporters (the instances that', 'exist: their targets files follow the counts) and the jobs added, and evaluates the rule files.'];
  }

  /** `prometheus.yml`. */
  public renderScrapeConfig(): string {
    return renderPrometheusConfig({
      header: this.prometheusHeader(),
      scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
      evaluationIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
      ruleFiles: this.ruleFilePaths,
      alertmanagers: [`127.0.0.1:${ALERTMANAGER_PORT}`],
      jobs: this.scrapeJobs(),
    });
  }

  /** The Alertmanager config: every alert to `receiver`, critical ones to `criticalReceiver`. */
  public renderAlertmanager(): string {
    return renderNotificationAlertmanagerConfig({ receiver: this.receiver, criticalReceiver: this.criticalReceiver });
  }

  /**
   * Writes the synth-time files (prometheus.yml, the rule files, the Alertmanager config) into the
   * monitoring server's cloud-config. Called once by an aspect at synth; call it yourself to render
   * host files without synthesizing. Idempotent.
   */
  public addConfigFiles(): void {
    if (this.configFilesAdded) return;
    this.configFilesAdded = true;
    const cc = this.instance.cloudConfig;
    cc.addFile({ path: PROMETHEUS_SERVER_PATHS.prometheusConfig, syntax: ConfigSyntax.PROMETHEUS_CONFIG, content: this.renderScrapeConfig() });
    for (const f of this.ruleFiles) cc.addFile({ path: f.path, syntax: ConfigSyntax.PROMETHEUS_RULES, content: f.render() });
    cc.addFile({ path: PROMETHEUS_SERVER_PATHS.alertmanagerConfig, syntax: ConfigSyntax.ALERTMANAGER, content: this.renderAlertmanager() });
  }
}

