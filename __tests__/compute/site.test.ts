import { AppTier, Flavor, OVH_PARIS_3AZ_ZONES, PrivateVSwitch, ServerCluster, Site } from '../../lib';
import { resourcesOf, synthJson, testStack } from '../support/synth';

describe('Site', () => {
  test('given a tier inside a Site, when synthesized, then its servers and boot volumes are in the site\'s zone; a cluster elsewhere names none', () => {
    const stack = testStack();
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    const site = new Site(stack, 'SiteB', { availabilityZone: OVH_PARIS_3AZ_ZONES[1] });
    const tier = new AppTier(site, 'App', { vswitch, count: 2, flavor: Flavor.named('b3-8') });
    new ServerCluster(stack, 'Other', { vswitch, count: 1, flavor: Flavor.named('b3-8') });
    expect(site.siteName).toBe('b');
    expect(tier.cluster.site).toBe(site);
    const json = synthJson(stack);
    const servers = resourcesOf(json, 'openstack_compute_instance_v2');
    expect(Object.fromEntries(servers.map((s) => [s.name, s.availability_zone]))).toEqual({ 'app-1': 'eu-west-par-b', 'app-2': 'eu-west-par-b', 'other-1': undefined });
    const volumes = resourcesOf(json, 'openstack_blockstorage_volume_v3');
    expect(volumes.map((v) => v.availability_zone).sort()).toEqual(['eu-west-par-b', 'eu-west-par-b', undefined]);
  });

  test('given a cluster with an explicit site, then it is created there whatever its scope', () => {
    const stack = testStack();
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    const a = new Site(stack, 'SiteA', { availabilityZone: 'eu-west-par-a' });
    const c = new Site(stack, 'SiteC', { availabilityZone: 'eu-west-par-c', siteName: 'paris-c' });
    new ServerCluster(a, 'Db', { vswitch, count: 1, flavor: Flavor.named('b3-8'), site: c });
    expect(c.siteName).toBe('paris-c');
    expect(resourcesOf(synthJson(stack), 'openstack_compute_instance_v2')[0].availability_zone).toBe('eu-west-par-c');
  });

  test('bad input names the construct, the prop and the value', () => {
    const stack = testStack();
    expect(() => new Site(stack, 'Bad', { availabilityZone: 'eu west' })).toThrow("test/Bad: 'availabilityZone' ('eu west') must be an availability zone name");
    expect(() => new Site(stack, 'BadName', { availabilityZone: 'eu-west-par-a', siteName: 'A' })).toThrow("test/BadName: 'siteName' ('A') must be lower-case letters");
    const outer = new Site(stack, 'Outer', { availabilityZone: 'eu-west-par-a' });
    expect(() => new Site(outer, 'Inner', { availabilityZone: 'eu-west-par-b' })).toThrow("test/Outer/Inner: 'scope' ('test/Outer') is a Site already");
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    expect(() => new ServerCluster(stack, 'C', { vswitch, count: 1, flavor: Flavor.named('b3-8'), site: { availabilityZone: 'x' } as unknown as Site }))
      .toThrow("test/C: 'site' ({\"availabilityZone\":\"x\"}) must be a Site");
  });
});
