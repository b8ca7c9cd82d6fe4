import { renderTemplate } from '../config/template';
import { checkText, TextKind } from '../core/text';
import { ReactiveRulePlan } from './scaling-model';
import { HostingStacksError } from '../core/errors';

/**
 * Pure renderers of the Heat (HOT) templates of {@link HeatAutoscaling}: the stack template (an
 * `OS::Heat::AutoScalingGroup`, two `OS::Heat::ScalingPolicy` and two
 * `OS::Aodh::GnocchiAggregationByResourcesAlarm`) and the member template (`OS::Neutron::Port`,
 * `OS::Nova::Server`, optionally `OS::Octavia::PoolMember`).
 *
 * No Heat validator runs offline (`openstack orchestration template validate` needs a Heat API), so
 * the tests parse both templates and assert their structure.
 */

/**
 * Seconds per Gnocchi aggregate the alarms read: the 5-minute granularity of the archive policies
 * Ceilometer creates (`ceilometer-low`, `ceilometer-high-rate`'s coarsest level). A granularity the
 * archive policy does not keep leaves the alarm in `insufficient data`.
 */
export const GNOCCHI_GRANULARITY_SECONDS = 300;

/** Nanoseconds of CPU time per second of one busy vCPU: Ceilometer's `cpu` metric counts nanoseconds. */
export const CPU_NANOSECONDS_PER_SECOND = 1e9;

/** One alarm of the stack template. */
export interface HeatCpuAlarm {
  /** Resource name in the template. */
  readonly name: string;
  /** Alarm description. */
  readonly description: string;
  /** Gnocchi metric. */
  readonly metric: string;
  /** Gnocchi aggregation (`rate:mean`: mean over the members of the per-granularity CPU time). */
  readonly aggregationMethod: string;
  /** Seconds per aggregate. */
  readonly granularitySeconds: number;
  /** Consecutive aggregates beyond the threshold before the alarm fires. */
  readonly evaluationPeriods: number;
  /** Threshold in the metric's unit (nanoseconds of CPU time per granularity). */
  readonly threshold: number;
  /** `gt` or `lt`. */
  readonly comparison: 'gt' | 'lt';
  /** The policy resource whose signal URL the alarm calls. */
  readonly policy: 'scale_out_policy' | 'scale_in_policy';
}

/** Model of the stack template. */
export interface HeatAutoscalingTemplate {
  /** Construct path of the tier (comments). */
  readonly tier: string;
  /** Template description. */
  readonly description: string;
  /** The member template, relative to Terraform's working directory (must end in `.yaml`). */
  readonly memberTemplate: string;
  /** Fewest members of the group. */
  readonly minSize: number;
  /** Most members of the group. */
  readonly maxSize: number;
  /** Members created with the stack. */
  readonly desiredCapacity: number;
  /** Scale-out policy: members added and seconds before the policy acts again. */
  readonly scaleOut: { readonly adjustment: number; readonly cooldownSeconds: number };
  /** Scale-in policy: members removed (a positive number) and cooldown. */
  readonly scaleIn: { readonly adjustment: number; readonly cooldownSeconds: number };
  /** The alarms. */
  readonly alarms: readonly HeatCpuAlarm[];
  /** Members join an Octavia pool (`pool_id`, `member_port` parameters). */
  readonly withPool: boolean;
}

/** Model of the member template. */
export interface HeatMemberTemplate {
  /** Construct path of the tier (comments). */
  readonly tier: string;
  /** Template description. */
  readonly description: string;
  /** Members join an Octavia pool. */
  readonly withPool: boolean;
}

/** Aggregates of `granularitySeconds` that cover `minutes` (at least one). */
export function evaluationPeriods(minutes: number, granularitySeconds: number): number {
  return Math.max(1, Math.ceil((minutes * 60) / granularitySeconds));
}

/**
 * The CPU threshold of a utilisation `fraction` for Gnocchi's `rate:mean` of `cpu`: nanoseconds of
 * CPU time one member spends per aggregate at that utilisation of all its vCPUs.
 */
export function cpuThresholdNanoseconds(fraction: number, vcpus: number, granularitySeconds: number): number {
  return Math.round(fraction * vcpus * granularitySeconds * CPU_NANOSECONDS_PER_SECOND);
}

/** The two alarms of a CPU rule for members with `vcpus` vCPUs. */
export function heatCpuAlarms(tier: string, rule: ReactiveRulePlan, vcpus: number, granularitySeconds = GNOCCHI_GRANULARITY_SECONDS): HeatCpuAlarm[] {
  const pct = (f: number) => `${Math.round(f * 1000) / 10} %`;
  return [
    {
      name: 'cpu_alarm_high',
      description: `${tier}: scale out when the members' mean CPU stays above ${pct(rule.scaleOutThreshold)} for ${rule.evaluationMinutes} min`,
      metric: 'cpu',
      aggregationMethod: 'rate:mean',
      granularitySeconds,
      evaluationPeriods: evaluationPeriods(rule.evaluationMinutes, granularitySeconds),
      threshold: cpuThresholdNanoseconds(rule.scaleOutThreshold, vcpus, granularitySeconds),
      comparison: 'gt',
      policy: 'scale_out_policy',
    },
    {
      name: 'cpu_alarm_low',
      description: `${tier}: scale in when the members' mean CPU stays below ${pct(rule.scaleInThreshold)} for ${rule.stabilisationMinutes} min`,
      metric: 'cpu',
      aggregationMethod: 'rate:mean',
      granularitySeconds,
      evaluationPeriods: evaluationPeriods(rule.stabilisationMinutes, granularitySeconds),
      threshold: cpuThresholdNanoseconds(rule.scaleInThreshold, vcpus, granularitySeconds),
      comparison: 'lt',
      policy: 'scale_in_policy',
    },
  ];
}

/** A YAML double-quoted scalar. */
function quoted(value: string): string {
  return JSON.stringify(value);
}

/** Renders the stack template (HOT 2018-08-31). */
export function renderHeatTemplate(model: HeatAutoscalingTemplate): string {
  const problem = checkText(model.memberTemplate, TextKind.WORD, {
    pattern: /^[A-Za-z0-9._/-]+\.yaml$/,
    allowed: "must be a relative path ending in '.yaml' (Heat's clients only send such files as child templates)",
  });
  if (problem) throw HostingStacksError.ofFactory('renderHeatTemplate', 'memberTemplate', model.memberTemplate, problem);
  return renderTemplate('heat-autoscaling.yaml.hbs', {
    ...model,
    description: quoted(model.description),
    scaleIn: { adjustment: -Math.abs(model.scaleIn.adjustment), cooldownSeconds: model.scaleIn.cooldownSeconds },
    alarms: model.alarms.map((a) => ({ ...a, description: quoted(a.description) })),
  });
}

/** Renders the member template (HOT 2018-08-31). */
export function renderHeatMemberTemplate(model: HeatMemberTemplate): string {
  return renderTemplate('heat-autoscaling-member.yaml.hbs', { ...model, description: quoted(model.description) });
}
