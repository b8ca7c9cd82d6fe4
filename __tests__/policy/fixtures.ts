import { Testing } from 'cdktf';
import { ExternalNetwork, Flavor, HostingStack, HostingStackProps, NetworkZone, PrivateVSwitch, Router, ServerCluster } from '../../lib';
import { PolicyFinding } from '../../lib/policy/policy-rule';

/** A stack with one vSwitch per zone on one router with the OVHcloud gateway. */
export function zonedStack(props: HostingStackProps = {}) {
  const stack = new HostingStack(Testing.app(), 'test', props);
  const router = new Router(stack, 'Router', { externalNetwork: ExternalNetwork.ovh() });
  const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.0.0/24', router, zone: NetworkZone.DMZ });
  const app = new PrivateVSwitch(stack, 'App', { cidr: '10.0.1.0/24', router, zone: NetworkZone.APPLICATION });
  const data = new PrivateVSwitch(stack, 'Data', { cidr: '10.0.2.0/24', router, zone: NetworkZone.DATA });
  const admin = new PrivateVSwitch(stack, 'Admin', { cidr: '10.0.3.0/24', router, zone: NetworkZone.MANAGEMENT });
  return { stack, router, dmz, app, data, admin };
}

/** A small cluster of `count` servers on `vswitch`. */
export function cluster(stack: HostingStack, id: string, vswitch: PrivateVSwitch, count = 1, stateful = false): ServerCluster {
  return new ServerCluster(stack, id, { vswitch, count, flavor: Flavor.named('b3-8'), stateful });
}

/** The findings of one rule on `stack` (default pack), as `path: message`. */
export function findingsOf(stack: HostingStack, ruleId: string): PolicyFinding[] {
  return stack.policyPack.check(stack).findings.filter((f) => f.ruleId === ruleId);
}
