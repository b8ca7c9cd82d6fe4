import { Lazy, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { parse, stringify } from 'yaml';
import { OrchestrationStackV1 } from '../../.gen/providers/openstack/orchestration-stack-v1';
import { OctaviaTarget } from '../balancing/octavia-balancer';
import { KeyPair } from '../compute/key-pair';
import { MachineImage } from '../compute/machine-image';
import { escapeTerraformTemplate, IServerTier } from '../compute/server-cluster';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { resourceName } from '../core/naming';
import {
  GNOCCHI_GRANULARITY_SECONDS,
  HeatAutoscalingTemplate,
  heatCpuAlarms,
  renderHeatMemberTemplate,
  renderHeatTemplate,
} from './heat-template';
import { IScalingRules, ReactiveRulePlan, ScalingMetric } from './scaling-model';
import { Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';

/** Props of {@link HeatAutoscaling}. */
export interface HeatAutoscalingProps {
  /** The compiled scaling rules of the tier (one cpu rule: Aodh sees Ceilometer's `cpu`, not requests or sessions). */
  readonly rules: IScalingRules;
  /** The tier's Octavia target (`octaviaBalancer.addTarget(tier, ...)`); members join its pool. @default - members join no pool */
  readonly pool?: OctaviaTarget;
  /** Image of the members. @default MachineImage.debian12() (the image of the tier's own servers) */
  readonly image?: MachineImage;
  /** Seconds per Gnocchi aggregate the alarms read; must be a granularity of the cloud's archive policy. @default GNOCCHI_GRANULARITY_SECONDS (300) */
  readonly granularitySeconds?: number;
  /** Minutes Heat may take to create or update the stack. @default 60 */
  readonly timeoutMinutes?: number;
}

/**
 * Reactive scaling by the cloud itself, for OpenStack clouds with Heat and Aodh (not OVHcloud; see
 * {@link ScalingEngine}): an `openstack_orchestration_stack_v1` whose template holds an
 * `OS::Heat::AutoScalingGroup` of members, a scale-out and a scale-in `OS::Heat::ScalingPolicy`
 * (change_in_capacity by the rule's steps, cooldowns in seconds) and two
 * `OS::Aodh::GnocchiAggregationByResourcesAlarm` on the members' mean CPU that signal them.
 *
 * The group holds the instances *added on top of* the Terraform-managed ones: the tier's count
 * variable keeps the baseline and the campaign counts (the calendar sets it), the group goes from 0
 * to `maxCount - baselineCount` members (0 at creation). So the floor of a campaign is never
 * undercut by a scale-in, as with the Prometheus engine.
 *
 * A member (template written next to the Terraform as `heat/<name>-member.yaml`, sent by the
 * provider as a child template) is a port in the tier's security group with a DHCP address, a
 * server booted from a volume of the tier's image and flavor, in the tier's server group, with
 * the tier's first host's cloud-config as user data (host name dropped: Nova's name is used), and,
 * with `pool`, an `OS::Octavia::PoolMember`. What differs from the Terraform-managed hosts:
 *
 * - addresses come from DHCP, not the plan, so no static config names them: members only get
 *   traffic through an Octavia pool, and peers whose configs list client addresses (nftables sets,
 *   database grants by host) do not know them. A tier whose cloud-config names its own planned
 *   address (AppTier: Tomcat's `<Connector address>`) is refused; WebTier and MagentoFrontends
 *   listen on `*` and are safe;
 * - the boot volume is deleted with the member (no backup covers members);
 * - only cpu rules can be realised (one), because Ceilometer measures CPU and not HTTP.
 */
export class HeatAutoscaling extends Construct {
  /** The Heat stack, construct id `Resource`. */
  public readonly resource: OrchestrationStackV1;
  /** The scaled tier. */
  public readonly tier: IServerTier;
  /** The rules. */
  public readonly rules: IScalingRules;
  /** The Octavia target the members join, if any. */
  public readonly pool?: OctaviaTarget;
  /** Seconds per Gnocchi aggregate. */
  public readonly granularitySeconds: number;
  /** The member template's path, relative to the stack's Terraform directory. */
  public readonly memberTemplatePath: string;

  constructor(scope: Construct, id: string, props: HeatAutoscalingProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'rules', props.rules, Kinds.SCALING_RULES);
    optionalPeer(this, 'pool', props.pool, Kinds.OCTAVIA_TARGET);
    optionalPeer(this, 'image', props.image, Kinds.MACHINE_IMAGE);
    this.rules = props.rules;
    this.tier = props.rules.tier;
    const cluster = this.tier.cluster;
    if (!cluster.countVariable) {
      throw new HostingStacksError(this, 'rules', cluster.node.path, "does not scale: its cluster has no count variable (give it a 'maxCount' above 'minCount')");
    }
    if (props.pool && props.pool.tier.cluster !== cluster) {
      throw new HostingStacksError(this, 'pool', props.pool.tier.cluster.node.path, `must be the Octavia target of the scaled tier (${cluster.node.path})`);
    }
    this.pool = props.pool;
    this.granularitySeconds = props.granularitySeconds ?? GNOCCHI_GRANULARITY_SECONDS;
    requireIntegerInRange(this, 'granularitySeconds', this.granularitySeconds, 60, 86400);
    const timeout = props.timeoutMinutes ?? 60;
    requireIntegerInRange(this, 'timeoutMinutes', timeout, 5, 1440);
    const stack = TerraformStack.of(this);
    if (!Kinds.HOSTING_STACK.is(stack)) {
      throw new HostingStacksError(this, 'scope', stack.node.path, 'must be in a HostingStack: the member template is written next to its Terraform');
    }
    this.memberTemplatePath = `heat/${resourceName(this)}-member.yaml`;
    const withPool = this.pool !== undefined;
    const tierPath = this.tier.connections.owner.node.path;
    stack.addArtifact(this.memberTemplatePath, () =>
      renderHeatMemberTemplate({ tier: tierPath, description: `One member of ${tierPath}, added by ${this.node.path}`, withPool }),
    );

    const parameters: Record<string, string> = {
      image: (props.image ?? MachineImage.debian12()).idIn(this),
      flavor: cluster.flavor.name,
      key_name: KeyPair.ofStack(this).name,
      network: cluster.vswitch.networkId,
      subnet: cluster.vswitch.subnetId,
      security_group: this.tier.connections.securityGroupId,
      server_group: cluster.serverGroup.id,
      volume_size: String(cluster.bootVolumeGb),
      user_data: Lazy.stringValue({ produce: () => escapeTerraformTemplate(this.memberCloudConfig()) }),
    };
    if (this.pool) {
      parameters.pool_id = this.pool.pool.id;
      parameters.member_port = String(this.pool.port);
    }
    this.resource = new OrchestrationStackV1(this, 'Resource', {
      name: resourceName(this),
      templateOpts: { Bin: Lazy.stringValue({ produce: () => escapeTerraformTemplate(this.renderTemplate()) }) },
      parameters,
      disableRollback: false,
      timeout,
    });
    this.node.defaultChild = this.resource;
    this.node.addValidation({ validate: () => this.validate() });
  }

  /** The cpu rule realised (reads the plan). */
  public get cpuRule(): ReactiveRulePlan | undefined {
    return this.rules.plan.reactive.find((r) => r.metric === ScalingMetric.CPU);
  }

  /** The stack template's model (reads the plan). */
  public templateModel(): HeatAutoscalingTemplate {
    const plan = this.rules.plan;
    const rule = this.cpuRule;
    if (!rule) throw new HostingStacksError(this, 'rules', plan.tier, 'has no cpu rule; Heat and Aodh scale on cpu only');
    const tierPath = this.tier.connections.owner.node.path;
    return {
      tier: tierPath,
      description: `Reactive scaling of ${tierPath}: instances added on top of the ${plan.baselineCount} to ${plan.maxCount} managed by Terraform`,
      memberTemplate: this.memberTemplatePath,
      minSize: 0,
      maxSize: plan.maxCount - plan.baselineCount,
      desiredCapacity: 0,
      scaleOut: { adjustment: rule.scaleOutStep, cooldownSeconds: Math.round(rule.scaleOutCooldownMinutes * 60) },
      scaleIn: { adjustment: rule.scaleInStep, cooldownSeconds: Math.round(rule.scaleInCooldownMinutes * 60) },
      alarms: heatCpuAlarms(tierPath, rule, this.tier.cluster.flavor.vcpus, this.granularitySeconds),
      withPool: this.pool !== undefined,
    };
  }

  /** The stack template (reads the plan). */
  public renderTemplate(): string {
    return renderHeatTemplate(this.templateModel());
  }

  /**
   * The members' user data: the tier's first host's cloud-config without its host name (Nova's
   * instance name becomes the host name, so members do not all call themselves `<prefix>-1`).
   */
  public memberCloudConfig(): string {
    const doc = parse(this.tier.cluster.instances[0].cloudConfig.renderWithinLimit()) as Record<string, unknown>;
    delete doc.hostname;
    delete doc.fqdn;
    return '#cloud-config\n' + stringify(doc, { blockQuote: 'literal', lineWidth: 0 });
  }

  private validate(): string[] {
    const errors: string[] = [];
    const plan = this.rules.plan;
    plan.reactive.forEach((r, i) => {
      if (r.metric !== ScalingMetric.CPU) {
        errors.push(`${this.node.path}: 'rules.plan.reactive[${i}].metric' ('${r.metric}') has no Ceilometer metric; Heat and Aodh scale on cpu only (use ScalingEngine.TERRAFORM_SCHEDULE_AND_PROMETHEUS)`);
      }
    });
    if (!this.cpuRule) errors.push(`${this.node.path}: 'rules.plan.reactive' has no cpu rule; Heat and Aodh scale on cpu only`);
    if (plan.maxCount <= plan.baselineCount) {
      errors.push(`${this.node.path}: 'rules.plan.maxCount' (${plan.maxCount}) must exceed the baseline (${plan.baselineCount}): the group adds instances above it`);
    }
    const host = this.tier.cluster.instances[0];
    const own = host.cloudConfig.hostFiles.filter((f) => new RegExp(`(^|[^0-9.])${host.address.replace(/\./g, '\\.')}([^0-9]|$)`).test(f.content));
    if (own.length) {
      errors.push(`${this.node.path}: 'rules.tier' (${this.tier.cluster.node.path}) names its host's own planned address ${host.address} in ${own.map((f) => f.path).join(', ')}; Heat members take DHCP addresses, so that config would not work on them`);
    }
    return errors;
  }
}
