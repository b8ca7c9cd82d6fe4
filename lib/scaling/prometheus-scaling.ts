import { Aspects, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor, Sizing } from '../compute/flavor';
import { ServerCluster, ServerInstance } from '../compute/server-cluster';
import { Connections, IConnectable, Peer } from '../core/connections';
import { HostingStacksError, requireIntegerInRange, requireUnique } from '../core/errors';
import { requireText, TextKind } from '../core/text';
import { kebabCase } from '../core/naming';
import { Port } from '../core/port';
import type { IPrivateVSwitch } from '../network/private-vswitch';
import {
  ALERTMANAGER_PORT,
  alertmanagerRoutes,
  APACHE_EXPORTER_PORT,
  APACHE_JOB,
  hookTier,
  metricNeedsApache,
  NODE_EXPORTER_PORT,
  NODE_JOB,
  PROMETHEUS_PORT,
  PrometheusScrapeJob,
  renderAlertmanagerConfig,
  renderDaemonArgs,
  renderPrometheusConfig,
  renderPrometheusRules,
  renderScalingHookConfig,
  renderScalingHookScript,
  renderScalingHookUnit,
  SCALING_HOOK_PORT,
  ScalingHookConfig,
  SCRAPE_INTERVAL_SECONDS,
} from './prometheus-config';
import { COUNTED_TARGETS_PATHS, CountedTarget, CountedTargets, countedTargetsOf } from '../compute/counted-targets';
import { IScalingRules, TierScalingPlan } from './scaling-model';
import { renderCountApplyScript } from './scaling-schedule';
import { Kinds, optionalPeer, requirePeer, requirePeers, requireProps } from '../core/peers';

/**
 * The monitoring server's default size: Prometheus keeps ~1,000 series per node_exporter and ~50 per
 * Apache exporter, so 20 hosts are ~25,000 series (well under 1 GB of RAM); 40 GB hold 15 days of them
 * at a 15 s scrape with room for the Terraform working copy.
 */
export const MONITORING_SIZING: Sizing = { vcpus: 2, ramGb: 4, diskGb: 40 };

/** Days Prometheus keeps samples. */
export const PROMETHEUS_RETENTION_DAYS = 15;

/** Where the monitoring server keeps what it is configured with. */
export const MONITORING_PATHS = {
  prometheusConfig: '/etc/prometheus/prometheus.yml',
  rules: '/etc/prometheus/scaling-rules.yml',
  alertmanagerConfig: '/etc/prometheus/alertmanager.yml',
  prometheusDefaults: '/etc/default/prometheus',
  alertmanagerDefaults: '/etc/default/prometheus-alertmanager',
  apacheExporterDefaults: '/etc/default/prometheus-apache-exporter',
  hookScript: '/usr/local/lib/scaling-hook/scaling-hook.py',
  hookConfig: '/etc/scaling-hook/config.json',
  hookEnvironment: '/etc/scaling-hook/cloud.env',
  hookUnit: '/etc/systemd/system/scaling-hook.service',
  hookState: '/var/lib/scaling-hook/state.json',
  countApply: '/usr/local/lib/scaling-hook/count-apply.py',
  targetsDirectory: '/etc/prometheus/targets',
} as const;

/** The variables file the hook writes, relative to the Terraform working copy. */
export const HOOK_TFVARS_FILE = 'scaling/hook.auto.tfvars.json';
/** The schedule file the hook reads when present (`{ "<count variable>": [windows] }`), relative to the working copy. */
export const HOOK_SCHEDULE_FILE = 'scaling/schedule.json';
/** The system user the hook runs as. */
export const HOOK_USER = 'scaling-hook';

/** Props of {@link PrometheusScaling}. */
export interface PrometheusScalingProps {
  /** The vSwitch of the monitoring server (it must reach every scaled tier). */
  readonly vswitch: IPrivateVSwitch;
  /** The compiled scaling rules of the tiers it scales (at least one; each tier once). */
  readonly rules: readonly IScalingRules[];
  /** Flavor of the monitoring server. @default Flavor.fromSizing(MONITORING_SIZING) */
  readonly flavor?: Flavor;
  /**
   * Who may open Prometheus' (9090) and Alertmanager's (9093) UIs: an address block
   * (`Peer.ipv4('198.51.100.0/24')`) or a construct (`Peer.of(vpn)`). @default - nobody: both listen
   * on loopback only (SSH tunnel)
   */
  readonly adminPeer?: Peer;
  /** The Terraform working copy on the monitoring server (the operator copies the synthesized stack there). @default `/srv/terraform/<stack id>` */
  readonly workingDirectory?: string;
  /**
   * The command the hook runs after it changed a count (argv, run in the working copy). @default the
   * count-only apply: `python3 count-apply.py <dir> -var-file=scaling/hook.auto.tfvars.json`, which
   * refuses a plan that changes more than the counts
   */
  readonly applyCommand?: readonly string[];
  /** Minutes the command may run before the hook kills it. @default 30 */
  readonly applyTimeoutMinutes?: number;
  /** Port of the hook on the loopback. @default SCALING_HOOK_PORT (9095) */
  readonly hookPort?: number;
  /** Days Prometheus keeps samples. @default PROMETHEUS_RETENTION_DAYS (15) */
  readonly retentionDays?: number;
  /** Host name prefix of the monitoring server. @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
}

/**
 * The Prometheus realisation of reactive scaling for clouds without an alarming service (OVHcloud):
 * a monitoring server on the vSwitch running Prometheus and Alertmanager (Debian packages) and the
 * scaling hook.
 *
 * - Every planned instance of each scaled tier gets `prometheus-node-exporter` (9100) and, on
 *   Apache tiers ({@link WebTier}, {@link MagentoFrontends}), `prometheus-apache-exporter` (9117,
 *   reading mod_status on the loopback); the tiers admit those ports from the monitoring server.
 *   Prometheus scrapes the instances that exist: the monitoring server's Nova metadata holds each
 *   tier's count (`hosting-stacks:count:<variable>`, updated in place by whichever apply changes
 *   it), and a timer rewrites Prometheus' targets files from it every 30 s.
 * - Each reactive rule compiles to a scale-out and a scale-in alert (see `prometheus-config.ts` for
 *   the PromQL); Alertmanager groups them by tier and action, repeats a firing group at the
 *   cooldown and holds scale-in back while the tier scales out.
 * - The scaling hook (Python, loopback only) writes `scaling/hook.auto.tfvars.json` in the
 *   Terraform working copy and runs the apply command. The working copy (a copy of the synthesized
 *   stack with its state backend) and the cloud credentials (`/etc/scaling-hook/cloud.env`, `OS_*`
 *   variables) are the operator's: this construct creates neither. Terraform itself is not a Debian
 *   package: the operator installs it (or OpenTofu, through `applyCommand`).
 *
 * The scrape config, rules, Alertmanager routes and hook config read the plans at synth (after every campaign was
 * added), through an aspect.
 */
export class PrometheusScaling extends Construct implements IConnectable {
  /** The monitoring server (one instance). */
  public readonly server: ServerCluster;
  /** The network intent of the monitoring server. */
  public readonly connections: Connections;
  /** The scaled tiers' rules. */
  public readonly rules: readonly IScalingRules[];
  /** The hook's webhook URL, on the loopback. */
  public readonly hookUrl: string;
  /** The Terraform working copy on the monitoring server. */
  public readonly workingDirectory: string;
  /** The command the hook runs. */
  public readonly applyCommand: readonly string[];
  private readonly applyTimeoutSeconds: number;
  private readonly hookPort: number;
  private planFilesAdded = false;

  constructor(scope: Construct, id: string, props: PrometheusScalingProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeers(this, 'rules', props.rules, Kinds.SCALING_RULES);
    optionalPeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    optionalPeer(this, 'adminPeer', props.adminPeer, Kinds.PEER);
    if (props.rules.length === 0) throw new HostingStacksError(this, 'rules', [], 'must name at least one tier to scale');
    requireUnique(this, 'rules', props.rules, (r) => r.tier.cluster.node.path);
    for (const r of props.rules) {
      if (!r.tier.cluster.countVariable) {
        throw new HostingStacksError(this, 'rules', r.tier.cluster.node.path, "does not scale: its cluster has no count variable (give it a 'maxCount' above 'minCount')");
      }
      const other = r.tier.cluster.scalingHook;
      if (other && other !== this) throw new HostingStacksError(this, 'rules', r.tier.cluster.node.path, `is already scaled by ${other.node.path}; one monitoring server per tier`);
    }
    this.rules = [...props.rules];
    this.hookPort = props.hookPort ?? SCALING_HOOK_PORT;
    requireIntegerInRange(this, 'hookPort', this.hookPort, 1024, 65535);
    if ([PROMETHEUS_PORT, ALERTMANAGER_PORT, ALERTMANAGER_PORT + 1, NODE_EXPORTER_PORT].includes(this.hookPort)) {
      throw new HostingStacksError(this, 'hookPort', this.hookPort, `must differ from Prometheus (${PROMETHEUS_PORT}), Alertmanager (${ALERTMANAGER_PORT}, ${ALERTMANAGER_PORT + 1}) and node_exporter (${NODE_EXPORTER_PORT})`);
    }
    const retentionDays = props.retentionDays ?? PROMETHEUS_RETENTION_DAYS;
    requireIntegerInRange(this, 'retentionDays', retentionDays, 1, 3650);
    const timeoutMinutes = props.applyTimeoutMinutes ?? 30;
    requireIntegerInRange(this, 'applyTimeoutMinutes', timeoutMinutes, 1, 1440);
    this.applyTimeoutSeconds = timeoutMinutes * 60;
    this.workingDirectory = props.workingDirectory ?? `/srv/terraform/${TerraformStack.of(this).node.id}`;
    requireText(this, 'workingDirectory', this.workingDirectory, TextKind.ABSOLUTE_PATH);
    this.applyCommand = props.applyCommand ?? ['/usr/bin/python3', MONITORING_PATHS.countApply, this.workingDirectory, `-var-file=${HOOK_TFVARS_FILE}`];
    if (this.applyCommand.length === 0 || this.applyCommand.some((a) => a.length === 0)) {
      throw new HostingStacksError(this, 'applyCommand', this.applyCommand, 'must be a non-empty argv list of non-empty strings');
    }
    this.hookUrl = `http://127.0.0.1:${this.hookPort}/alerts`;

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

    for (const r of this.rules) {
      const tier = r.tier;
      tier.cluster.attachScalingHook(this, 'rules');
      tier.connections.allowFrom(this, Port.tcp(NODE_EXPORTER_PORT), 'Prometheus scrapes node_exporter');
      const apachePort = tier.apacheStatusPort;
      if (apachePort !== undefined) tier.connections.allowFrom(this, Port.tcp(APACHE_EXPORTER_PORT), 'Prometheus scrapes the Apache exporter');
      tier.cluster.configureHosts((host) => {
        host.cloudConfig.addPackages('prometheus-node-exporter');
        host.cloudConfig.addServices('prometheus-node-exporter');
        if (apachePort !== undefined) {
          host.cloudConfig.addPackages('prometheus-apache-exporter');
          host.cloudConfig.addFile({
            path: MONITORING_PATHS.apacheExporterDefaults,
            syntax: ConfigSyntax.SHELL,
            // mod_status answers `Require local` requests only: the exporter asks on the loopback.
            content: renderDaemonArgs({ daemon: 'prometheus-apache-exporter', args: [`--scrape_uri=http://127.0.0.1:${apachePort}/server-status?auto`] }),
          });
          host.cloudConfig.addServices('prometheus-apache-exporter');
        }
      });
    }

    const listen = props.adminPeer ? '0.0.0.0' : '127.0.0.1';
    const cc = this.instance.cloudConfig;
    cc.addPackages('prometheus', 'prometheus-alertmanager', 'python3');
    cc.addFile({
      path: MONITORING_PATHS.prometheusDefaults,
      syntax: ConfigSyntax.SHELL,
      content: renderDaemonArgs({ daemon: 'prometheus', args: [`--web.listen-address=${listen}:${PROMETHEUS_PORT}`, `--storage.tsdb.retention.time=${retentionDays}d`] }),
    });
    cc.addFile({
      path: MONITORING_PATHS.alertmanagerDefaults,
      syntax: ConfigSyntax.SHELL,
      // One Alertmanager: clustering (gossip on 9094) is switched off.
      content: renderDaemonArgs({ daemon: 'prometheus-alertmanager', args: [`--web.listen-address=${listen}:${ALERTMANAGER_PORT}`, '--cluster.listen-address='] }),
    });
    cc.addFile({ path: MONITORING_PATHS.hookScript, syntax: ConfigSyntax.PYTHON, permissions: '0755', content: renderScalingHookScript() });
    cc.addFile({ path: MONITORING_PATHS.countApply, syntax: ConfigSyntax.PYTHON, permissions: '0755', content: renderCountApplyScript(TerraformStack.of(this).node.id) });
    cc.addFile({
      path: MONITORING_PATHS.hookUnit,
      syntax: ConfigSyntax.SYSTEMD_UNIT,
      content: renderScalingHookUnit({
        user: HOOK_USER,
        scriptPath: MONITORING_PATHS.hookScript,
        configPath: MONITORING_PATHS.hookConfig,
        environmentFile: MONITORING_PATHS.hookEnvironment,
        workingDirectory: this.workingDirectory,
      }),
    });
    cc.addPreServiceCommand('useradd', '--system', '--user-group', '--home-dir', '/var/lib/scaling-hook', '--shell', '/usr/sbin/nologin', HOOK_USER);
    cc.addPreServiceCommand('install', '-d', '-o', HOOK_USER, '-g', HOOK_USER, '-m', '0750', this.workingDirectory, `${this.workingDirectory}/scaling`);
    // Prometheus' targets follow the counts (counted-targets.ts), written before Prometheus starts.
    const lists = CountedTargets.of(this.instance);
    for (const r of this.rules) lists.follow(r.tier.cluster);
    for (const job of [NODE_JOB, APACHE_JOB]) {
      lists.addJob(`${MONITORING_PATHS.targetsDirectory}/${job}.json`, () => this.countedTargets().find((j) => j.name === job)?.targets ?? [], ['prometheus.service']);
    }
    cc.addServices('prometheus', 'prometheus-alertmanager', 'scaling-hook');

    this.node.addValidation({ validate: () => this.validatePlans() });
    // The scrape labels, rules, routes and hook config depend on the plans, which are complete only at synth.
    Aspects.of(this).add({ visit: (node: IConstruct) => (node === this ? this.addPlanFiles() : undefined) });
  }

  /** The monitoring server's instance. */
  public get instance(): ServerInstance {
    return this.server.instances[0];
  }

  /** The compiled plans, read now. */
  public get plans(): TierScalingPlan[] {
    return this.rules.map((r) => r.plan);
  }

  /**
   * Prometheus' scrape jobs (reads the plans): node_exporter on every planned instance of each tier,
   * the Apache exporter on those of Apache tiers, labelled with the plan's tier and the host name.
   */
  public scrapeJobs(): PrometheusScrapeJob[] {
    return this.countedTargets().map((j) => ({ name: j.name, targets: [], targetsFile: j.file }));
  }

  /**
   * Every planned target of each job, with its tier's count variable and its index: the
   * counted-targets unit keeps those whose index is below the count.
   */
  public countedTargets(): { readonly name: string; readonly file: string; readonly targets: CountedTarget[] }[] {
    const targets = (job: string, port: number): CountedTarget[] =>
      this.rules
        .filter((r) => job === NODE_JOB || r.tier.apacheStatusPort !== undefined)
        .flatMap((r) => countedTargetsOf(r.tier.cluster, (host) => `${host.address}:${port}`, (host) => ({ tier: r.plan.tier, host: host.hostname })));
    return [
      { name: NODE_JOB, file: `${MONITORING_PATHS.targetsDirectory}/${NODE_JOB}.json`, targets: targets(NODE_JOB, NODE_EXPORTER_PORT) },
      { name: APACHE_JOB, file: `${MONITORING_PATHS.targetsDirectory}/${APACHE_JOB}.json`, targets: targets(APACHE_JOB, APACHE_EXPORTER_PORT) },
    ].filter((j) => j.targets.length > 0);
  }

  /** `prometheus.yml` (reads the plans). */
  public renderScrapeConfig(): string {
    return renderPrometheusConfig({
      scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
      evaluationIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
      ruleFiles: [MONITORING_PATHS.rules],
      alertmanagers: [`127.0.0.1:${ALERTMANAGER_PORT}`],
      jobs: this.scrapeJobs(),
    });
  }

  /** The alerting rules file (reads the plans). */
  public renderRules(): string {
    return renderPrometheusRules(this.plans);
  }

  /** The Alertmanager config (reads the plans). */
  public renderAlertmanager(): string {
    return renderAlertmanagerConfig({ hookUrl: this.hookUrl, routes: alertmanagerRoutes(this.plans) });
  }

  /** The scaling hook's config (reads the plans). */
  public hookConfig(): ScalingHookConfig {
    return {
      listenAddress: '127.0.0.1',
      listenPort: this.hookPort,
      workingDirectory: this.workingDirectory,
      tfvarsFile: HOOK_TFVARS_FILE,
      scheduleFile: HOOK_SCHEDULE_FILE,
      stateFile: MONITORING_PATHS.hookState,
      countsFile: COUNTED_TARGETS_PATHS.counts,
      command: this.applyCommand,
      commandTimeoutSeconds: this.applyTimeoutSeconds,
      tiers: Object.fromEntries(this.plans.map((p) => [p.countVariable, hookTier(p)])),
    };
  }

  /**
   * Writes the plan-dependent files (prometheus.yml, rules, Alertmanager config, hook config) into the monitoring
   * server's cloud-config. Called once by an aspect at synth; call it yourself to render host files
   * without synthesizing. Idempotent.
   */
  public addPlanFiles(): void {
    if (this.planFilesAdded) return;
    this.planFilesAdded = true;
    const cc = this.instance.cloudConfig;
    cc.addFile({ path: MONITORING_PATHS.prometheusConfig, syntax: ConfigSyntax.PROMETHEUS_CONFIG, content: this.renderScrapeConfig() });
    cc.addFile({ path: MONITORING_PATHS.rules, syntax: ConfigSyntax.PROMETHEUS_RULES, content: this.renderRules() });
    cc.addFile({ path: MONITORING_PATHS.alertmanagerConfig, syntax: ConfigSyntax.ALERTMANAGER, content: this.renderAlertmanager() });
    cc.addFile({ path: MONITORING_PATHS.hookConfig, content: renderScalingHookConfig(this.hookConfig()) });
  }

  private validatePlans(): string[] {
    const errors: string[] = [];
    for (const r of this.rules) {
      const plan = r.plan;
      const variable = r.tier.cluster.countVariable?.friendlyUniqueId;
      if (plan.countVariable !== variable) {
        errors.push(`${this.node.path}: 'rules' (${r.tier.cluster.node.path}) has a plan for count variable '${plan.countVariable}' but the cluster's is '${variable}'`);
      }
      const seen = new Set<string>();
      plan.reactive.forEach((rule, i) => {
        if (seen.has(rule.metric)) errors.push(`${this.node.path}: '${plan.tier}.reactive[${i}].metric' ('${rule.metric}') appears more than once; one rule per metric and tier`);
        seen.add(rule.metric);
        if (metricNeedsApache(rule.metric) && r.tier.apacheStatusPort === undefined) {
          errors.push(`${this.node.path}: '${plan.tier}.reactive[${i}].metric' ('${rule.metric}') needs Apache's mod_status, which ${r.tier.cluster.node.path} does not run; use the cpu metric for this tier`);
        }
      });
    }
    return errors;
  }
}
