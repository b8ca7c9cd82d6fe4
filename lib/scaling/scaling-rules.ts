import { Construct } from 'constructs';
import { IServerTier } from '../compute/server-cluster';
import { HostingStacksError, requireUnique } from '../core/errors';
import { Campaign, CampaignCalendar, mergeIntervals } from './campaign-calendar';
import { CapacityModel } from './capacity-model';
import { ReactiveRule } from './reactive-rule';
import { IScalingRules, ReactiveRulePlan, ScheduledWindowPlan, TierScalingPlan } from './scaling-model';
import { Kinds, optionalPeer, requirePeer, requirePeers, requireProps } from '../core/peers';

/** Props of {@link ScalingRules}. */
export interface ScalingRulesProps {
  /** The tier to scale (MagentoFrontends, WebTier, AppTier ...); its cluster needs minCount < maxCount. */
  readonly tier: IServerTier;
  /** Capacity of one instance. @default CapacityModel.forTier(tier) (usersPerInstance derived from the tier's workers) */
  readonly capacity?: CapacityModel;
  /** Campaigns the tier is raised for: its count before each, back to the baseline after. @default - no scheduled scaling */
  readonly calendar?: CampaignCalendar;
  /** Rules on a metric, at most one per metric. @default - none */
  readonly reactive?: ReactiveRule[];
}

/** A campaign's need on one tier, from {@link ScalingRules.campaignNeeds}. */
export interface CampaignNeed {
  /** The campaign. */
  readonly campaign: Campaign;
  /** Instances its peak needs: `ceil(peak x (1 + headroom) / usersPerInstance)`. */
  readonly instances: number;
  /** The count during its window: at least the baseline. */
  readonly count: number;
  /** The window: from `start - preWarm - boot` (UTC) ... */
  readonly scaleOutAt: Date;
  /** ... to the campaign's end (UTC). */
  readonly scaleInAt: Date;
}

const MINUTE_MS = 60_000;

/**
 * The scaling rules of one scalable tier: minimum, baseline and maximum come from the tier's cluster
 * (its Terraform count variable), the capacity model turns users into instances, the calendar's
 * campaigns give scheduled windows (raised `preWarm + boot` minutes before each campaign starts,
 * lowered when it ends; overlaps take the larger count), and reactive rules act on a metric in
 * between. {@link ScalingRules.plan} is what every realisation reads: the Terraform campaign files
 * and schedule (written by the calendar), the Heat template and the Prometheus rules.
 *
 * Checked at synth: a campaign needing more instances than the tier's maxCount.
 */
export class ScalingRules extends Construct implements IScalingRules {
  /** The tier being scaled. */
  public readonly tier: IServerTier;
  /** Capacity of one instance. */
  public readonly capacity: CapacityModel;
  /** The campaign calendar followed, if any. */
  public readonly calendar?: CampaignCalendar;
  /** The reactive rules, resolved. */
  public readonly reactive: readonly ReactiveRulePlan[];
  /** Name of the Terraform variable holding the tier's count. */
  public readonly countVariable: string;
  /** Fewest instances (the cluster's minCount). */
  public readonly minCount: number;
  /** Instances outside campaigns (the cluster's count, the variable's default). */
  public readonly baselineCount: number;
  /** Most instances (the cluster's maxCount). */
  public readonly maxCount: number;

  constructor(scope: Construct, id: string, props: ScalingRulesProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'tier', props.tier, Kinds.SERVER_TIER);
    optionalPeer(this, 'capacity', props.capacity, Kinds.CAPACITY_MODEL);
    optionalPeer(this, 'calendar', props.calendar, Kinds.CAMPAIGN_CALENDAR);
    if (props.reactive !== undefined) requirePeers(this, 'reactive', props.reactive, Kinds.REACTIVE_RULE);
    const cluster = props.tier.cluster;
    const tierPath = props.tier.node.path;
    if (!cluster.countVariable) {
      throw new HostingStacksError(this, 'tier', tierPath,
        `is not scalable: its cluster runs a fixed ${cluster.count} instance(s) and has no count variable; give the tier 'maxCount' above 'minCount' (e.g. minCount: ${cluster.count}, maxCount: ${cluster.count * 2})`);
    }
    const other = cluster.scalingRules;
    if (other && other !== this) throw new HostingStacksError(this, 'tier', tierPath, `already has scaling rules (${other.node.path}); a tier has one set of rules`);
    if (props.capacity && props.capacity.tier !== props.tier) {
      throw new HostingStacksError(this, 'capacity', props.capacity.tier.node.path, `is the capacity of another tier; use CapacityModel.forTier() with this tier (${tierPath})`);
    }
    this.tier = props.tier;
    this.capacity = props.capacity ?? CapacityModel.forTier(props.tier);
    this.countVariable = cluster.countVariable.friendlyUniqueId;
    this.minCount = cluster.minCount;
    this.baselineCount = cluster.count;
    this.maxCount = cluster.maxCount;
    const rules = props.reactive ?? [];
    requireUnique(this, 'reactive', rules, (r) => r.metric);
    this.reactive = rules.map((r, i) => r.resolve(this, `reactive[${i}]`, this.capacity.plan));
    this.calendar = props.calendar;
    this.calendar?.addScalingRules(this);
    cluster.attachScalingRules(this, tierPath);
    // Campaigns may be added to the calendar after these rules: check them at synth.
    this.node.addValidation({ validate: () => this.validateCampaigns() });
  }

  /** Instances `users` concurrent users need on this tier (before the min/baseline floor). */
  public instancesFor(users: number): number {
    return this.capacity.instancesFor(users);
  }

  /** Every campaign of the calendar with its count and window on this tier, by start. */
  public campaignNeeds(): CampaignNeed[] {
    if (!this.calendar) return [];
    const lead = this.capacity.bootMinutes * MINUTE_MS;
    return this.calendar.campaigns.map((campaign) => {
      const instances = this.instancesFor(campaign.peak.concurrentUsers);
      return {
        campaign,
        instances,
        count: Math.max(this.baselineCount, instances),
        scaleOutAt: new Date(campaign.start.getTime() - campaign.preWarmMinutes * MINUTE_MS - lead),
        scaleInAt: campaign.end,
      };
    });
  }

  /**
   * The scheduled windows: each campaign's window cut where windows overlap, each piece at the
   * largest count of the campaigns running in it, neighbouring pieces with the same count joined.
   * `campaign` names the campaigns a window covers joined by '+'; `start` and `end` are the earliest
   * start and latest end of those campaigns; `peakConcurrentUsers` the largest of their peaks.
   */
  public get scheduledWindows(): ScheduledWindowPlan[] {
    const needs = this.campaignNeeds();
    const pieces = mergeIntervals(needs.map((n) => ({ from: n.scaleOutAt.getTime(), to: n.scaleInAt.getTime(), value: n })));
    const out: { from: number; to: number; count: number; needs: CampaignNeed[] }[] = [];
    for (const p of pieces) {
      const count = Math.max(...p.values.map((n) => n.count));
      const last = out[out.length - 1];
      if (last && last.to === p.from && last.count === count) {
        last.to = p.to;
        for (const n of p.values) if (!last.needs.includes(n)) last.needs.push(n);
      } else {
        out.push({ from: p.from, to: p.to, count, needs: [...p.values] });
      }
    }
    return out.map((w) => {
      const ns = needs.filter((n) => w.needs.includes(n));
      return {
        campaign: ns.map((n) => n.campaign.name).join('+'),
        scaleOutAt: new Date(w.from),
        start: new Date(Math.min(...ns.map((n) => n.campaign.start.getTime()))),
        end: new Date(Math.max(...ns.map((n) => n.campaign.end.getTime()))),
        scaleInAt: new Date(w.to),
        count: w.count,
        peakConcurrentUsers: Math.max(...ns.map((n) => n.campaign.peak.concurrentUsers)),
      };
    });
  }

  /** The compiled plan; read it at synth, once every campaign was added. */
  public get plan(): TierScalingPlan {
    const flavor = this.tier.cluster.flavor;
    return {
      tier: this.tier.node.path,
      countVariable: this.countVariable,
      minCount: this.minCount,
      baselineCount: this.baselineCount,
      maxCount: this.maxCount,
      capacity: this.capacity.plan,
      scheduled: this.scheduledWindows,
      reactive: this.reactive,
      flavor: flavor.eurPerHour === undefined ? { name: flavor.name } : { name: flavor.name, eurPerHour: flavor.eurPerHour },
    };
  }

  private validateCampaigns(): string[] {
    const c = this.capacity;
    return this.campaignNeeds()
      .filter((n) => n.count > this.maxCount)
      .map((n) => `${this.node.path}: campaign '${n.campaign.name}' needs ${n.instances} instances `
        + `(${n.campaign.peak.concurrentUsers.toLocaleString('en-US')} users x ${round(1 + c.headroom)} / ${c.usersPerInstance.toLocaleString('en-US')}) `
        + `but 'maxCount' is ${this.maxCount}; raise the tier's maxCount to at least ${n.instances} or lower the campaign's peak`);
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
