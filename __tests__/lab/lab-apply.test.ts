/**
 * The lab's apply of new variable values (lib/lab/lab-apply.ts), planned on the Monsieur Déguisement
 * stack's Terraform: one more front-end is a count change (its server and port appear, the entries'
 * members follow, the servers following the count get their metadata updated in place, nothing else
 * moves); a change the lab cannot realise as a count change is refused with every change named.
 */
import { Testing } from 'cdktf';
import { LabApplyError, planLabApply } from '../../lib/lab/lab-apply';
import { buildStackModel } from '../../lib/lab/stack-model';
import { COUNT_METADATA_PREFIX } from '../../lib/compute/counted-targets';
import { buildAllStacks } from '../../stacks/all';

const doc = buildAllStacks(Testing.app()).find((s) => s.node.id === 'monsieur-deguisement')!.toTerraform() as Record<string, any>;

/** The front-ends' count variable: the one the frontends instances' count names. */
const frontendsVariable = (() => {
  const names = Object.entries(doc.resource.openstack_compute_instance_v2 as Record<string, any>)
    .filter(([name]) => /Frontends/i.test(name))
    .map(([, body]) => /var\.(\w+)/.exec(String(body.count ?? ''))?.[1])
    .filter((v): v is string => v !== undefined);
  expect(new Set(names).size).toBe(1);
  return names[0];
})();

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('planLabApply', () => {
  const baseline = Number(doc.variable[frontendsVariable].default);
  const running = buildStackModel(doc, 'monsieur-deguisement');

  test('one more front-end: its server and port appear, members and count metadata follow, nothing else', () => {
    const next = buildStackModel(doc, 'monsieur-deguisement', { variables: { [frontendsVariable]: baseline + 1 } });
    const plan = planLabApply(running, next);
    expect(plan.added.map((s) => s.name)).toEqual([`frontends-${baseline + 1}`]);
    expect(plan.removed).toEqual([]);
    const newPorts = next.ports.filter((p) => !running.ports.some((q) => q.key === p.key));
    expect(newPorts.map((p) => p.key)).toEqual(plan.added[0].portKeys);
    // Every balancer of the entries gains the new front-end's address, and only that.
    expect(plan.membersChanged.length).toBeGreaterThan(0);
    const address = newPorts[0].fixedIps[0].ipAddress;
    for (const key of plan.membersChanged) {
      const before = running.loadBalancers.find((lb) => lb.key === key)!.pools.flatMap((p) => p.members.map((m) => m.address));
      const after = next.loadBalancers.find((lb) => lb.key === key)!.pools.flatMap((p) => p.members.map((m) => m.address));
      expect(after.filter((a) => !before.includes(a))).toEqual(expect.arrayContaining([address]));
      expect(new Set(after.filter((a) => !before.includes(a)))).toEqual(new Set([address]));
    }
    // The servers that follow the count (monitoring, deployment) see it in their metadata.
    expect(plan.metadataUpdated.length).toBeGreaterThan(0);
    for (const key of plan.metadataUpdated) {
      const meta = plan.applied.servers.find((s) => s.key === key)!.metadata!;
      expect(meta[`${COUNT_METADATA_PREFIX}${frontendsVariable}`]).toBe(String(baseline + 1));
    }
    // A running server keeps the user_data it booted with (ignore_changes), whatever the new value.
    for (const s of running.servers) expect(plan.applied.servers.find((x) => x.key === s.key)!.userData).toBe(s.userData);
  });

  test('the baseline back: the front-end added goes, with its port and members', () => {
    const up = planLabApply(running, buildStackModel(doc, 'monsieur-deguisement', { variables: { [frontendsVariable]: baseline + 1 } })).applied;
    const plan = planLabApply(up, buildStackModel(doc, 'monsieur-deguisement', { variables: { [frontendsVariable]: baseline } }));
    expect(plan.removed.map((s) => s.name)).toEqual([`frontends-${baseline + 1}`]);
    expect(plan.added).toEqual([]);
  });

  test('the same values change nothing', () => {
    const plan = planLabApply(running, buildStackModel(doc, 'monsieur-deguisement'));
    expect([plan.added, plan.removed, plan.metadataUpdated, plan.membersChanged]).toEqual([[], [], [], []]);
  });

  test('a change that is not a count change is refused, each change named', () => {
    const changed = clone(doc);
    const [portName, port] = Object.entries(changed.resource.openstack_networking_port_v2 as Record<string, any>).find(([, p]) => p.count === undefined)!;
    port.name = `${port.name}-renamed`;
    const [netName, net] = Object.entries(changed.resource.openstack_networking_network_v2 as Record<string, any>)[0];
    net.name = `${net.name}-renamed`;
    let error: unknown;
    try {
      planLabApply(running, buildStackModel(changed, 'monsieur-deguisement', { variables: { [frontendsVariable]: baseline + 1 } }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LabApplyError);
    const changes = (error as LabApplyError).changes;
    expect(changes).toEqual(expect.arrayContaining([
      `network openstack_networking_network_v2.${netName}: update`,
      `port openstack_networking_port_v2.${portName}: update (addresses, groups or address pairs)`,
    ]));
    expect((error as Error).message).toMatch(/count changes only/);
  });

  test("a running server's user_data that Terraform does not ignore would replace it: refused", () => {
    const changed = clone(doc);
    const [name, instance] = Object.entries(changed.resource.openstack_compute_instance_v2 as Record<string, any>).find(([, i]) => i.count === undefined)!;
    instance.user_data = `${instance.user_data}\n# changed`;
    delete instance.lifecycle;
    const before = buildStackModel(clone({ ...changed, resource: { ...changed.resource, openstack_compute_instance_v2: { ...changed.resource.openstack_compute_instance_v2, [name]: { ...instance, user_data: doc.resource.openstack_compute_instance_v2[name].user_data } } } }), 'monsieur-deguisement');
    expect(() => planLabApply(before, buildStackModel(changed, 'monsieur-deguisement'))).toThrow(/its user_data changes, which replaces it/);
  });
});
