/**
 * A load balancer member exists exactly while its server does: a member naming a front-end the count
 * variable does not ask for would be an ERROR member in Octavia (found by booting the stack in the lab).
 */
import { Testing } from 'cdktf';
import { MonsieurDeguisementStack } from '../../stacks/monsieur-deguisement';

describe('Octavia members follow the count of their tier', () => {
  const stack = new MonsieurDeguisementStack(Testing.app(), 'md');
  const doc = stack.toTerraform() as { resource: Record<string, Record<string, { count?: string; address?: string }>> };
  const members = Object.entries(doc.resource.openstack_lb_member_v2);
  const instances = doc.resource.openstack_compute_instance_v2;

  test('given the front-ends, when synthesized, then each member carries the count of the instance at its address', () => {
    const frontends = stack.frontends.cluster.instances;
    expect(members.length).toBe(stack.entrances.entrances.length * frontends.length);
    for (const [, member] of members) {
      const instance = frontends.find((i) => i.address === member.address)!;
      const resource = instances[instance.resource.friendlyUniqueId];
      expect(member.count).toBe(resource.count);
    }
  });

  test('given the baseline count, then members of the baseline front-ends always exist and the others are conditional', () => {
    const always = members.filter(([, m]) => m.count === undefined).map(([, m]) => m.address);
    expect(always.length).toBe(stack.entrances.entrances.length * stack.frontends.cluster.minCount);
    expect(members.filter(([, m]) => m.count !== undefined).every(([, m]) => /^\$\{var\.\w+ > \d+ \? 1 : 0\}$/.test(m.count!))).toBe(true);
  });
});
