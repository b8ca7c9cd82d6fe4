import { IArchitectureIntent, TierIntent, TierRole } from '../core/architecture-intent';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { IServerTier } from '../compute/server-cluster';
import { HostingStacksError, requireIntegerInRange, requireUnique } from '../core/errors';
import {
  ALERTMANAGER_PORT,
  alertmanagerRoutes,
  hookTier,
  metricNeedsApache,
  NODE_EXPORTER_PORT,
  PROMETHEUS_PORT,
  renderAlertmanagerConfig,
  renderPrometheusRules,
  renderScalingHookConfig,
  renderScalingHookScript,
  renderScalingHookUnit,
  SCALING_HOOK_PORT,
  SCALING_PROMETHEUS_HEADER,
  ScalingHookConfig,
} from './prometheus-config';
import { COUNTED_TARGETS_PATHS } from '../compute/counted-targets';
import { IScalingRules, TierScalingPlan } from './scaling-model';
import { CountApplier, HookApplyTarget } from './count-applier';
import type { HostingStack } from '../stack/hosting-stack';
import { renderCountApplyScript, SCALING_WORKFLOW_ARTIFACT } from './scaling-schedule';
import { Kinds, optionalPeer, requirePeers } from '../core/peers';
import { PROMETHEUS_SERVER_PATHS, PrometheusServer, PrometheusServerBaseProps } from '../monitoring/prometheus-server';

// The monitoring server's defaults are every Prometheus server's (monitoring/prometheus-server.ts).
export { MONITORING_SIZING, PROMETHEUS_RETENTION_DAYS } from '../monitoring/prometheus-server';

/** Where the monitoring server keeps what it is configured with. */
export const MONITORING_PATHS = {
  prometheusConfig: PROMETHEUS_SERVER_PATHS.prometheusConfig,
  rules: '/etc/prometheus/scaling-rules.yml',
  alertmanagerConfig: PROMETHEUS_SERVER_PATHS.alertmanagerConfig,
  prometheusDefaults: PROMETHEUS_SERVER_PATHS.prometheusDefaults,
  alertmanagerDefaults: PROMETHEUS_SERVER_PATHS.alertmanagerDefaults,
  apacheExporterDefaults: PROMETHEUS_SERVER_PATHS.apacheExporterDefaults,
  hookScript: '/usr/local/lib/scaling-hook/scaling-hook.py',
  hookConfig: '/etc/scaling-hook/config.json',
  hookEnvironment: '/etc/scaling-hook/cloud.env',
  dispatchEnvironment: '/etc/scaling-hook/dispatch.env',
  hookStateDirectory: '/var/lib/scaling-hook',
  hookUnit: '/etc/systemd/system/scaling-hook.service',
  hookState: '/var/lib/scaling-hook/state.json',
  countApply: '/usr/local/lib/scaling-hook/count-apply.py',
  targetsDirectory: PROMETHEUS_SERVER_PATHS.targetsDirectory,
} as const;

/** The variables file the hook writes (its record of every tier's count), relative to its working directory. */
export const HOOK_TFVARS_FILE = 'scaling/hook.auto.tfvars.json';
/** The schedule file the hook reads when present (`{ "<count variable>": [windows] }`), relative to its working directory. */
export const HOOK_SCHEDULE_FILE = 'scaling/schedule.json';
/** The environment variable holding the workflow dispatch token, set by systemd from a root-only file. */
export const DISPATCH_TOKEN_ENVIRONMENT = 'SCALING_DISPATCH_TOKEN';
/** The system user the hook runs as. */
export const HOOK_USER = 'scaling-hook';

/** Props of {@link PrometheusScaling}. */
export interface PrometheusScalingProps extends PrometheusServerBaseProps {
  /** The compiled scaling rules of the tiers it scales (at least one; each tier once). */
  readonly rules: readonly IScalingRules[];
  /**
   * Who applies the counts the hook decides.
   * @default CountApplier.githubWorkflow(): the hook dispatches the stack's scaling workflow
   * (`scaling/github-actions.yml`, written by its CampaignCalendar) with the counts
   */
  readonly applier?: CountApplier;
  /** Port of the hook on the loopback. @default SCALING_HOOK_PORT (9095) */
  readonly hookPort?: number;
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
 * - The scaling hook (Python, loopback only) decides each tier's new count and has it applied by
 *   the {@link CountApplier}: by default it dispatches the stack's scaling workflow on GitHub
 *   Actions with the counts (`counts` input; the token is the sensitive variable
 *   `scaling_dispatch_token`, in a root-only environment file), so the workflow is the one
 *   controller of the counts, with Terraform, the stack's variables and its locked state; or it
 *   runs the count-only apply in a working copy the operator installs on this server
 *   (`CountApplier.onMonitoringServer()`).
 *
 * The monitoring server itself (its exporters on the tiers, targets kept from the counts, admin
 * peer, retention) is a {@link PrometheusServer}, which this class extends: its alerts go to the
 * scaling hook, not to people, so the server's `receiver` props are not taken here.
 *
 * The scrape config, rules, Alertmanager routes and hook config read the plans at synth (after every campaign was
 * added), through an aspect.
 */
export class PrometheusScaling extends PrometheusServer implements IArchitectureIntent {
  /** Monitoring and scaling run the stack; they serve no user's request. (architecture notes) */
  public readonly architectureIntent: TierIntent = { role: TierRole.OPERATIONS };
  /** The scaled tiers' rules. */
  public readonly rules: readonly IScalingRules[];
  /** The hook's webhook URL, on the loopback. */
  public readonly hookUrl: string;
  /** Where the hook's counts are applied: a working copy on this server, or the scaling workflow it dispatches. */
  public readonly applyTarget: HookApplyTarget;
  private readonly hookPort: number;
  private hookConfigAdded = false;

  constructor(scope: Construct, id: string, props: PrometheusScalingProps) {
    super(scope, id, props);
    requirePeers(this, 'rules', props.rules, Kinds.SCALING_RULES);
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
    const applier = optionalPeer(this, 'applier', props.applier, Kinds.COUNT_APPLIER) ?? CountApplier.githubWorkflow();
    this.applyTarget = applier.bind({ scope: this, countApplyScript: MONITORING_PATHS.countApply, tfvarsFile: HOOK_TFVARS_FILE, stateDirectory: MONITORING_PATHS.hookStateDirectory });
    this.hookUrl = `http://127.0.0.1:${this.hookPort}/alerts`;

    for (const r of this.rules) {
      r.tier.cluster.attachScalingHook(this, 'rules');
      this.monitor(r.tier);
    }
    this.addRuleFile(MONITORING_PATHS.rules, () => this.renderRules());

    const cc = this.instance.cloudConfig;
    cc.addPackages('python3');
    cc.addFile({ path: MONITORING_PATHS.hookScript, syntax: ConfigSyntax.PYTHON, permissions: '0755', content: renderScalingHookScript() });
    const target = this.applyTarget;
    if (target.kind === 'command') {
      cc.addFile({ path: MONITORING_PATHS.countApply, syntax: ConfigSyntax.PYTHON, permissions: '0755', content: renderCountApplyScript(TerraformStack.of(this).node.id) });
    } else {
      // Read by systemd (as root) before the hook drops to its user: the token never sits in a file the hook can read.
      cc.addFile({ path: MONITORING_PATHS.dispatchEnvironment, permissions: '0600', owner: 'root:root', content: `${DISPATCH_TOKEN_ENVIRONMENT}=${target.token.value}\n` });
      this.node.addValidation({ validate: () => this.validateWorkflow() });
    }
    cc.addFile({
      path: MONITORING_PATHS.hookUnit,
      syntax: ConfigSyntax.SYSTEMD_UNIT,
      content: renderScalingHookUnit({
        user: HOOK_USER,
        scriptPath: MONITORING_PATHS.hookScript,
        configPath: MONITORING_PATHS.hookConfig,
        environmentFile: target.kind === 'command' ? `-${MONITORING_PATHS.hookEnvironment}` : MONITORING_PATHS.dispatchEnvironment,
        workingDirectory: target.workingDirectory,
      }),
    });
    cc.addPreServiceCommand('useradd', '--system', '--user-group', '--home-dir', MONITORING_PATHS.hookStateDirectory, '--shell', '/usr/sbin/nologin', HOOK_USER);
    cc.addPreServiceCommand('install', '-d', '-o', HOOK_USER, '-g', HOOK_USER, '-m', '0750', target.workingDirectory, `${target.workingDirectory}/scaling`);
    cc.addServices('scaling-hook');

    this.node.addValidation({ validate: () => this.validatePlans() });
  }

  /** The compiled plans, read now. */
  public get plans(): TierScalingPlan[] {
    return this.rules.map((r) => r.plan);
  }

  /** A scaled tier's series are labelled with its plan's tier name (read at synth). */
  protected tierLabel(tier: IServerTier): string {
    return this.rules.find((r) => r.tier === tier)?.plan.tier ?? super.tierLabel(tier);
  }

  protected prometheusHeader(): readonly string[] {
    return SCALING_PROMETHEUS_HEADER;
  }

  /** The alerting rules file (reads the plans). */
  public renderRules(): string {
    return renderPrometheusRules(this.plans);
  }

  /** The Alertmanager config: every alert to the scaling hook (reads the plans). */
  public renderAlertmanager(): string {
    return renderAlertmanagerConfig({ hookUrl: this.hookUrl, routes: alertmanagerRoutes(this.plans) });
  }

  /** The scaling hook's config (reads the plans). */
  public hookConfig(): ScalingHookConfig {
    return {
      listenAddress: '127.0.0.1',
      listenPort: this.hookPort,
      workingDirectory: this.applyTarget.workingDirectory,
      tfvarsFile: HOOK_TFVARS_FILE,
      scheduleFile: HOOK_SCHEDULE_FILE,
      stateFile: MONITORING_PATHS.hookState,
      countsFile: COUNTED_TARGETS_PATHS.counts,
      ...(this.applyTarget.kind === 'command'
        ? { command: this.applyTarget.command }
        : { dispatch: { url: this.applyTarget.url, ref: this.applyTarget.ref, tokenEnvironment: DISPATCH_TOKEN_ENVIRONMENT } }),
      applyTimeoutSeconds: this.applyTarget.timeoutSeconds,
      tiers: Object.fromEntries(this.plans.map((p) => [p.countVariable, hookTier(p)])),
    };
  }

  /** Writes the server's synth-time files and the hook's config. Idempotent. */
  public addConfigFiles(): void {
    super.addConfigFiles();
    if (this.hookConfigAdded) return;
    this.hookConfigAdded = true;
    this.instance.cloudConfig.addFile({ path: MONITORING_PATHS.hookConfig, content: renderScalingHookConfig(this.hookConfig()) });
  }

  /**
   * Writes the plan-dependent files (prometheus.yml, rules, Alertmanager config, hook config) into the monitoring
   * server's cloud-config. Called once by an aspect at synth; call it yourself to render host files
   * without synthesizing. Idempotent.
   */
  public addPlanFiles(): void {
    this.addConfigFiles();
  }

  /** The dispatched workflow is the stack's calendar's: without a calendar there is none to dispatch. */
  private validateWorkflow(): string[] {
    const stack = TerraformStack.of(this) as Partial<Pick<HostingStack, 'hasArtifact'>>;
    if (stack.hasArtifact?.(SCALING_WORKFLOW_ARTIFACT)) return [];
    return [`${this.node.path}: 'applier' (CountApplier.githubWorkflow()) dispatches the stack's scaling workflow, scaling/github-actions.yml, which a CampaignCalendar writes; none of the rules follows one. Give the rules a calendar (it may have no campaigns) or use CountApplier.onMonitoringServer()`];
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
