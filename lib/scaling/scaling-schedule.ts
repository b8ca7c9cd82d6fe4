import { TerraformStack, TerraformVariable } from 'cdktf';
import { renderTemplate } from '../config/template';
import { COUNT_METADATA_PREFIX } from '../compute/counted-targets';
import type { CampaignCalendar } from './campaign-calendar';
import type { HostingStack } from '../stack/hosting-stack';
import { instancesFor } from './capacity-model';
import { scalingWorkflowName } from './count-applier';

/**
 * What a campaign calendar compiles to for Terraform: the tiers' count variables set per campaign
 * and the steps that apply them in time. Built by {@link buildScalingSchedule} from the calendar and
 * the scaling rules following it; rendered as `scaling/schedule.json`, `scaling/crontab` and
 * `scaling/github-actions.yml`, and the campaigns' `campaigns/<name>.tfvars.json`.
 */
export interface ScalingSchedule {
  /** Path of the stack. */
  readonly stack: string;
  /** Path of the calendar. */
  readonly calendar: string;
  /** Directory of the stack's Terraform, relative to the repository root. */
  readonly stackDirectory: string;
  /** Absolute path of the checkout on the host running the crontab. */
  readonly checkoutDirectory: string;
  /** Terraform variables of the stack without a default (secrets): an unattended apply must be given them. */
  readonly requiredVariables: readonly string[];
  /** The count variables, by name. */
  readonly variables: readonly ScheduledVariable[];
  /**
   * The count variables a scaling hook also changes (PrometheusScaling): the steps only raise them
   * (`count-apply.py --keep-raised`), lowering them is the hook's. Empty without a hook.
   */
  readonly keepRaised: readonly string[];
  /** Each campaign's counts, campaign by campaign (what `campaigns/<name>.tfvars.json` holds). */
  readonly campaignCounts: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** When to apply what, by time. */
  readonly steps: readonly ScalingStep[];
}

/** A tier's count variable in a {@link ScalingSchedule}. */
export interface ScheduledVariable {
  /** Terraform variable name. */
  readonly name: string;
  /** Construct path of the tier. */
  readonly tier: string;
  /** Fewest instances. */
  readonly minCount: number;
  /** Default of the variable, outside campaigns. */
  readonly baselineCount: number;
  /** Most instances. */
  readonly maxCount: number;
}

/** One `terraform apply` of a {@link ScalingSchedule}. */
export interface ScalingStep {
  /** When (UTC, ISO 8601). */
  readonly at: string;
  /** What to run: `terraform apply` with `args`. */
  readonly action: 'apply';
  /** The campaigns whose windows are open from this step, joined by '+' in start order; null when none is. */
  readonly campaign: string | null;
  /** The var file to apply (relative to the stack directory); null for the baseline (the variables' defaults). */
  readonly varFile: string | null;
  /** Every count variable's value from this step. */
  readonly counts: Readonly<Record<string, number>>;
  /**
   * Arguments of `terraform apply` after `-auto-approve`: `-var-file=<varFile>`, nothing for the
   * baseline, or `-var=<name>=<count>` per variable when no single campaign's file holds these
   * counts (campaigns overlapping on tiers with different winners, or tiers booting at different speeds).
   */
  readonly args: readonly string[];
  /** Cron expression of the instant in UTC (minute, hour, day of month, month, any weekday). */
  readonly cron: string;
  /** Year of the instant; cron has none, so runners check it. */
  readonly year: number;
}

/**
 * Compiles the calendar and its followers' plans into steps. The counts at any instant are, per
 * tier, the count of its scheduled window open then (windows are already merged, the larger count
 * winning) or its baseline; a step is emitted at each instant the counts change. A step uses a
 * campaign's var file when that file holds exactly its counts (preferring the campaigns open
 * then), no file when every count is the baseline, else explicit `-var` arguments.
 */
export function buildScalingSchedule(calendar: CampaignCalendar): ScalingSchedule {
  const stack = TerraformStack.of(calendar);
  const plans = calendar.scalingRules.map((r) => r.plan).sort((a, b) => (a.countVariable < b.countVariable ? -1 : 1));
  const keepRaised = calendar.scalingRules.filter((r) => r.tier.cluster.scalingHook !== undefined).map((r) => r.plan.countVariable).sort();
  const campaigns = calendar.campaigns;
  const order = campaigns.map((c) => c.name);
  const baseline: Record<string, number> = Object.fromEntries(plans.map((p) => [p.countVariable, p.baselineCount]));
  const campaignCounts: Record<string, Record<string, number>> = {};
  for (const c of campaigns) {
    campaignCounts[c.name] = Object.fromEntries(plans.map((p) => [p.countVariable, Math.max(p.baselineCount, instancesFor(p.capacity, c.peak.concurrentUsers))]));
  }
  const instants = [...new Set(plans.flatMap((p) => p.scheduled.flatMap((w) => [w.scaleOutAt.getTime(), w.scaleInAt.getTime()])))].sort((a, b) => a - b);
  const steps: ScalingStep[] = [];
  let previous = baseline;
  for (const t of instants) {
    const open = plans.map((p) => p.scheduled.find((w) => w.scaleOutAt.getTime() <= t && t < w.scaleInAt.getTime()));
    const counts: Record<string, number> = Object.fromEntries(plans.map((p, i) => [p.countVariable, open[i]?.count ?? p.baselineCount]));
    if (sameCounts(counts, previous)) continue;
    previous = counts;
    const names = new Set(open.flatMap((w) => (w ? w.campaign.split('+') : [])));
    const active = order.filter((n) => names.has(n));
    let varFile: string | null = null;
    let args: string[] = [];
    if (!sameCounts(counts, baseline)) {
      const match = [...active, ...order.filter((n) => !names.has(n))].find((n) => sameCounts(campaignCounts[n], counts));
      if (match) {
        varFile = `campaigns/${match}.tfvars.json`;
        args = [`-var-file=${varFile}`];
      } else {
        args = Object.entries(counts).map(([name, n]) => `-var=${name}=${n}`);
      }
    }
    const at = new Date(t);
    steps.push({
      at: at.toISOString(),
      action: 'apply',
      campaign: active.length ? active.join('+') : null,
      varFile,
      counts,
      args,
      cron: `${at.getUTCMinutes()} ${at.getUTCHours()} ${at.getUTCDate()} ${at.getUTCMonth() + 1} *`,
      year: at.getUTCFullYear(),
    });
  }
  const requiredVariables = stack.node.findAll()
    .filter((c): c is TerraformVariable => c instanceof TerraformVariable && c.default === undefined)
    .map((v) => v.friendlyUniqueId)
    .sort();
  return {
    stack: stack.node.path,
    calendar: calendar.node.path,
    stackDirectory: calendar.stackDirectory,
    checkoutDirectory: calendar.checkoutDirectory,
    requiredVariables,
    variables: plans.map((p) => ({ name: p.countVariable, tier: p.tier, minCount: p.minCount, baselineCount: p.baselineCount, maxCount: p.maxCount })),
    keepRaised,
    campaignCounts,
    steps,
  };
}

/** A campaign's var file: `{ "<count variable>": N, ... }`, Terraform's JSON tfvars syntax. */
export function renderCampaignTfvars(counts: Readonly<Record<string, number>>): string {
  const sorted = Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

/** `scaling/schedule.json`: the variables and the steps, machine-readable. */
export function renderScalingSchedule(schedule: ScalingSchedule): string {
  const { stack, calendar, stackDirectory, requiredVariables, variables, keepRaised, steps } = schedule;
  return `${JSON.stringify({
    stack,
    calendar,
    stackDirectory,
    timeZone: 'UTC',
    requiredVariables,
    variables,
    keepRaised,
    steps: steps.map(({ at, action, campaign, varFile, counts, args, cron, year }) => ({ at, action, campaign, varFile, counts, args, cron, year })),
  }, null, 2)}\n`;
}

/** The model of `scaling-crontab.hbs` and `scaling-github-actions.yml.hbs`. */
export interface ScalingRunnerModel {
  /** Stack path. */
  readonly stack: string;
  /** Workflow name, `scaling-<stack>` in kebab case. */
  readonly workflowName: string;
  /** Calendar path. */
  readonly calendar: string;
  /** Stack directory relative to the repository root. */
  readonly stackDirectory: string;
  /** Checkout on the cron host. */
  readonly checkoutDirectory: string;
  /** Root-only file of `TF_VAR_<name>=...` lines the cron job loads. */
  readonly environmentFile: string;
  /** Variables an unattended apply must be given, with their environment and CI secret names. */
  readonly requiredVariables: readonly { readonly name: string; readonly env: string; readonly secret: string }[];
  /** Distinct cron expressions of the steps, with what they do. */
  readonly crons: readonly { readonly cron: string; readonly comment: string }[];
  /** ` --keep-raised=a,b` before each step's arguments (the variables a scaling hook lowers), or ''. */
  readonly keepRaisedArg: string;
  /** The variables a scaling hook lowers. */
  readonly keepRaised: readonly string[];
  /** The steps, with their arguments as one string and a comment. */
  readonly steps: readonly { readonly at: string; readonly year: number; readonly cron: string; readonly argsText: string; readonly comment: string }[];
  /** The count variables a `counts` input may set, comma-separated, for the input's description. */
  readonly countsVariables: string;
  /** `{ "<count variable>": [min, max] }` as JSON: what the `counts` input is checked against. */
  readonly countsBoundsJson: string;
  /** The steps as JSON (`at`, `campaign`, `counts`, `args` as one string): the step in force under a `counts` input. */
  readonly countsStepsJson: string;
}

/** The runner model of a schedule (shared by the crontab and the CI example, so they cannot disagree). */
export function scalingRunnerModel(schedule: ScalingSchedule): ScalingRunnerModel {
  const stackName = schedule.stack.split('/').pop() ?? schedule.stack;
  const steps = schedule.steps.map((s) => ({
    at: s.at,
    year: s.year,
    cron: s.cron,
    argsText: s.args.map((a) => ` ${a}`).join(''),
    comment: `${s.at} ${s.campaign ?? 'baseline'}: ${Object.entries(s.counts).map(([n, c]) => `${n}=${c}`).join(', ')}`,
  }));
  const crons = [...new Set(steps.map((s) => s.cron))].map((cron) => ({ cron, comment: steps.filter((s) => s.cron === cron).map((s) => s.comment).join('; ') }));
  return {
    stack: schedule.stack,
    workflowName: scalingWorkflowName(stackName),
    calendar: schedule.calendar,
    stackDirectory: schedule.stackDirectory,
    checkoutDirectory: schedule.checkoutDirectory,
    environmentFile: `/etc/hosting-stacks/${stackName}.env`,
    requiredVariables: schedule.requiredVariables.map((name) => ({ name, env: `TF_VAR_${name}`, secret: `TF_VAR_${name.toUpperCase()}` })),
    crons,
    keepRaisedArg: schedule.keepRaised.length ? ` --keep-raised=${schedule.keepRaised.join(',')}` : '',
    keepRaised: schedule.keepRaised,
    steps,
    countsVariables: schedule.variables.map((v) => v.name).join(', '),
    countsBoundsJson: JSON.stringify(Object.fromEntries(schedule.variables.map((v) => [v.name, [v.minCount, v.maxCount]]))),
    countsStepsJson: JSON.stringify(schedule.steps.map((s, i) => ({ at: s.at, campaign: s.campaign, counts: s.counts, args: steps[i].argsText }))),
  };
}

/** `scaling/crontab`: one line per step, UTC, each checking the year (cron has none). */
export function renderScalingCrontab(schedule: ScalingSchedule): string {
  return renderTemplate('scaling-crontab.hbs', scalingRunnerModel(schedule));
}

/** `scaling/github-actions.yml`: a CI workflow with one `schedule:` cron per step and a manual trigger. */
export function renderScalingWorkflow(schedule: ScalingSchedule): string {
  return renderTemplate('scaling-github-actions.yml.hbs', scalingRunnerModel(schedule));
}

function sameCounts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Where the scaling workflow is written next to the stack's Terraform. */
export const SCALING_WORKFLOW_ARTIFACT = 'scaling/github-actions.yml';

/** Where the count-only apply is written next to the stack's Terraform (and run from by the crontab and CI). */
export const COUNT_APPLY_ARTIFACT = 'scaling/count-apply.py';
/** How long the count-only apply waits for the state lock another apply holds. */
export const COUNT_APPLY_LOCK_TIMEOUT = '15m';

/**
 * The count-only apply (`templates/count-apply.py.hbs`): plans with the given counts, refuses a plan
 * that changes more than the count-driven resources, applies the saved plan. Every scaling path runs it.
 */
export function renderCountApplyScript(stack: string): string {
  return renderTemplate('count-apply.py.hbs', { stack, lockTimeout: COUNT_APPLY_LOCK_TIMEOUT, countMetadataPrefix: COUNT_METADATA_PREFIX });
}

/** Adds `scaling/count-apply.py` to the stack once, whichever scaling construct asks first. */
export function addCountApplyArtifact(stack: HostingStack): void {
  if (!stack.hasArtifact(COUNT_APPLY_ARTIFACT)) stack.addArtifact(COUNT_APPLY_ARTIFACT, () => renderCountApplyScript(stack.node.id));
}

