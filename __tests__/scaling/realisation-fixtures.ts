import { Testing } from 'cdktf';
import { AppTier } from '../../lib/app/app-tier';
import { Flavor, sizingFromGhz } from '../../lib/compute/flavor';
import { IServerTier } from '../../lib/compute/server-cluster';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { IScalingRules, ReactiveRulePlan, ScalingMetric, TierScalingPlan } from '../../lib/scaling/scaling-model';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { WebTier } from '../../lib/web/web-tier';

// 2 web servers 2 GHz, 2 GB RAM, 40 GB disk; 2 app servers 4 GHz, 8 GB, 30 GB (case study 2)
const WEB_SIZING = sizingFromGhz(2, 2, 40);
const APP_SIZING = sizingFromGhz(4, 8, 30);

/** A requests-per-second rule: out above 40 RPS per instance for 3 min, in below 10 for 20 min. */
export const RPS_RULE: ReactiveRulePlan = {
  metric: ScalingMetric.REQUESTS_PER_SECOND,
  scaleOutThreshold: 40,
  scaleInThreshold: 10,
  scaleOutStep: 2,
  scaleInStep: 1,
  evaluationMinutes: 3,
  scaleOutCooldownMinutes: 10,
  scaleInCooldownMinutes: 20,
  stabilisationMinutes: 20,
};

/** A CPU rule: out above 70 % for 3 min (one instance, 10 min cooldown = boot time), in below 30 % for 30 min. */
export const CPU_RULE: ReactiveRulePlan = {
  metric: ScalingMetric.CPU,
  scaleOutThreshold: 0.7,
  scaleInThreshold: 0.3,
  scaleOutStep: 1,
  scaleInStep: 1,
  evaluationMinutes: 3,
  scaleOutCooldownMinutes: 10,
  scaleInCooldownMinutes: 30,
  stabilisationMinutes: 30,
};

/** A hand-made plan for `tier`: its cluster's counts and count variable, the given rules and windows. */
export function planFor(tier: IServerTier, tierPath: string, reactive: readonly ReactiveRulePlan[], scheduled: TierScalingPlan['scheduled'] = []): TierScalingPlan {
  const c = tier.cluster;
  return {
    tier: tierPath,
    countVariable: c.countVariable!.friendlyUniqueId,
    minCount: c.minCount,
    baselineCount: c.count,
    maxCount: c.maxCount,
    capacity: { usersPerInstance: 500, headroom: 0.2, bootMinutes: 10, requestsPerUserPerSecond: 0.1 },
    scheduled,
    reactive,
    flavor: { name: c.flavor.name, eurPerHour: c.flavor.eurPerHour },
  };
}

/** A fake {@link IScalingRules}: the tier and a plan literal (the ScalingRules construct is tested on its own). */
export function fakeRules(tier: IServerTier, tierPath: string, reactive: readonly ReactiveRulePlan[], scheduled: TierScalingPlan['scheduled'] = []): IScalingRules {
  return { tier, plan: planFor(tier, tierPath, reactive, scheduled) };
}

/** A stack with a scalable web tier (Apache, 2 .. 6) in front of a scalable app tier (Tomcat, 2 .. 8). */
export function realisationStack() {
  const stack = new HostingStack(Testing.app(), 'shop');
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  const app = new AppTier(stack, 'App', { vswitch, count: 2, minCount: 2, maxCount: 8, flavor: Flavor.fromSizing(APP_SIZING) });
  const web = new WebTier(stack, 'Web', { vswitch, count: 2, minCount: 2, maxCount: 6, flavor: Flavor.fromSizing(WEB_SIZING), upstream: app });
  return { stack, vswitch, app, web };
}
