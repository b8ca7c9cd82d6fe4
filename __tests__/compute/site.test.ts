import { AppTier, ExternalNetwork, Flavor, OVH_PARIS_3AZ_ZONES, Peer, Port, PrivateVSwitch, Router, ServerCluster, Site, SiteInterconnect } from '../../lib';
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

  describe('a site that is a region of its own', () => {
    /** Two regional sites, each with its router and network, joined by an interconnect; a cluster in each. */
    function twoRegions() {
      const stack = testStack();
      const gra = new Site(stack, 'Gra', { region: 'GRA11' });
      const sbg = new Site(stack, 'Sbg', { region: 'SBG5', siteName: 'sbg' });
      const link = new SiteInterconnect(stack, 'Link', { cidr: '10.9.0.0/24', vlanId: 42, sites: [gra, sbg] });
      const nets = [gra, sbg].map((site, i) => new PrivateVSwitch(site, 'Net', { cidr: `10.0.${i + 1}.0/24`, router: new Router(site, 'Router', { externalNetwork: ExternalNetwork.ovh() }) }));
      const dbs = [gra, sbg].map((site, i) => new ServerCluster(site, 'Db', { vswitch: nets[i], count: 2, flavor: Flavor.named('b3-8'), interconnect: link }));
      return { stack, gra, sbg, link, nets, dbs };
    }

    test('given two regional sites, when synthesized, then each has a provider alias and every resource and lookup in its scope uses it, and no resource refers to another region\'s', () => {
      const { stack, gra } = twoRegions();
      expect(gra.siteName).toBe('gra11');
      const json = synthJson(stack);
      expect(json.provider.openstack).toEqual([{}, { alias: 'site-gra11', region: 'GRA11' }, { alias: 'site-sbg', region: 'SBG5' }]);
      const providerOf = new Map<string, string>();
      for (const kind of ['resource', 'data']) {
        for (const [type, group] of Object.entries<Record<string, any>>(json[kind])) {
          for (const [name, body] of Object.entries<any>(group)) {
            expect(body.provider).toMatch(/^openstack\.site-(gra11|sbg)$/);
            providerOf.set(`${kind === 'data' ? 'data.' : ''}${type}.${name}`, body.provider);
          }
        }
      }
      // Key pairs, images and the external network are regional: one each per region, one public key.
      expect(resourcesOf(json, 'openstack_compute_keypair_v2').map((k) => [k.provider, k.public_key])).toEqual([['openstack.site-gra11', '${var.ssh_public_key}'], ['openstack.site-sbg', '${var.ssh_public_key}']]);
      expect(Object.keys(json.data.openstack_images_image_v2)).toHaveLength(2);
      expect(Object.keys(json.data.openstack_networking_network_v2)).toHaveLength(2);
      let references = 0;
      for (const [key, provider] of providerOf) {
        const [kind, type, name] = key.startsWith('data.') ? key.split('.') : ['resource', ...key.split('.')];
        const body = { ...json[kind === 'data' ? 'data' : 'resource'][type][name], user_data: undefined };
        for (const m of JSON.stringify(body).matchAll(/\$\{((?:data\.)?openstack_[a-z0-9_]+\.[A-Za-z0-9_-]+)/g)) {
          if (!providerOf.has(m[1])) continue;
          references++;
          expect(`${key} -> ${m[1]}: ${providerOf.get(m[1])}`).toBe(`${key} -> ${m[1]}: ${provider}`);
        }
      }
      expect(references).toBeGreaterThan(20);
    });

    test('given an interconnect, then each region has the VLAN as its own network with the shared subnet, no gateway, and a slice of addresses; each server gets a second NIC in its site\'s slice', () => {
      const { stack, link, dbs } = twoRegions();
      expect(link.segments.map((s) => [s.plannedRange, s.dhcpPool])).toEqual([
        [{ first: '10.9.0.1', last: '10.9.0.85' }, { start: '10.9.0.86', end: '10.9.0.127' }],
        [{ first: '10.9.0.128', last: '10.9.0.212' }, { start: '10.9.0.213', end: '10.9.0.254' }],
      ]);
      expect(dbs.map((d) => d.instances.map((i) => i.interconnectAddress))).toEqual([['10.9.0.1', '10.9.0.2'], ['10.9.0.128', '10.9.0.129']]);
      const json = synthJson(stack);
      const networks = resourcesOf(json, 'openstack_networking_network_v2').filter((n) => n.value_specs);
      expect(networks.map((n) => [n.provider, n.value_specs])).toEqual(['gra11', 'sbg'].map((s) => [`openstack.site-${s}`, { 'provider:network_type': 'vrack', 'provider:segmentation_id': '42' }]));
      const subnets = resourcesOf(json, 'openstack_networking_subnet_v2').filter((s) => s.cidr === '10.9.0.0/24');
      expect(subnets.map((s) => [s.no_gateway, s.allocation_pool])).toEqual([[true, [{ start: '10.9.0.86', end: '10.9.0.127' }]], [true, [{ start: '10.9.0.213', end: '10.9.0.254' }]]]);
      const server = resourcesOf(json, 'openstack_compute_instance_v2')[0];
      expect(server.network).toHaveLength(2);
    });

    test('given a rule between constructs of two regions by security group, then it throws naming both; by address it is made', () => {
      const { dbs } = twoRegions();
      expect(() => dbs[0].connections.allowFrom(dbs[1], Port.tcp(4567)))
        .toThrow("test/Gra/Db: 'peer' ('test/Sbg/Db') is in another region (the region of site test/Sbg, this is in the region of site test/Gra): a security group rule cannot name another region's group");
      const rule = dbs[0].connections.allowFrom(Peer.ipv4(`${dbs[1].instances[0].interconnectAddress}/32`), Port.tcp(4567), 'group communication');
      expect(rule.source.cidr).toBe('10.9.0.128/32');
    });

    test('bad input names the construct, the prop and the value', () => {
      const { stack, gra, sbg, nets, link } = twoRegions();
      expect(() => new Site(stack, 'None', {} as never)).toThrow("test/None: 'availabilityZone' (undefined) must be given, or region");
      expect(() => new Site(stack, 'BadRegion', { region: 'GRA${x}' })).toThrow("test/BadRegion: 'region'");
      expect(() => new Site(stack, 'Twice', { region: 'GRA9', siteName: 'sbg' })).toThrow("test/Twice: 'siteName' ('sbg') must be unique among the sites with a region of their own");
      expect(() => new ServerCluster(stack, 'Outside', { vswitch: nets[0], count: 1, flavor: Flavor.named('b3-8'), site: gra }))
        .toThrow("test/Outside: 'site' ('test/Gra') has a region of its own: make the cluster in the Site's scope");
      expect(() => new ServerCluster(gra, 'WrongNet', { vswitch: nets[1], count: 1, flavor: Flavor.named('b3-8') }))
        .toThrow("test/Gra/WrongNet: 'vswitch' ('test/Sbg/Net') is in another region than the cluster");
      const zoned = new Site(stack, 'Zone', { availabilityZone: 'eu-west-par-a' });
      const net = new PrivateVSwitch(stack, 'StackNet', { cidr: '10.0.9.0/24' });
      expect(() => new ServerCluster(zoned, 'NoRegion', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), interconnect: link }))
        .toThrow("test/Zone/NoRegion: 'interconnect' ('test/Link') needs the cluster in a Site with a region of its own");
      expect(() => new SiteInterconnect(stack, 'OneSite', { cidr: '10.8.0.0/24', vlanId: 7, sites: [gra] })).toThrow("test/OneSite: 'sites'");
      expect(() => new SiteInterconnect(stack, 'Zoned', { cidr: '10.8.0.0/24', vlanId: 7, sites: [gra, zoned] })).toThrow("test/Zoned: 'sites[1]' ('test/Zone') must be a Site with a region of its own");
      expect(() => new SiteInterconnect(stack, 'Vlan', { cidr: '10.8.0.0/24', vlanId: 5000, sites: [gra, sbg] })).toThrow("test/Vlan: 'vlanId' (5000)");
      expect(() => new SiteInterconnect(stack, 'Small', { cidr: '10.8.0.0/29', vlanId: 7, sites: [gra, sbg] })).toThrow("test/Small: 'cidr' ('10.8.0.0/29') is too small for 2 sites");
      expect(() => new SiteInterconnect(stack, 'SameRegion', { cidr: '10.8.0.0/24', vlanId: 7, sites: [gra, new Site(stack, 'Gra2', { region: 'GRA11', siteName: 'gra2' })] }))
        .toThrow("test/SameRegion: 'sites[1]' ('test/Gra2') must be in a region of its own: 'GRA11' appears twice");
      expect(() => new ServerCluster(gra, 'NotALink', { vswitch: nets[0], count: 1, flavor: Flavor.named('b3-8'), interconnect: {} as unknown as SiteInterconnect }))
        .toThrow("test/Gra/NotALink: 'interconnect' ({}) must be a SiteInterconnect");
      const third = new Site(stack, 'Rbx', { region: 'RBX-A', siteName: 'rbx' });
      const thirdNet = new PrivateVSwitch(third, 'Net', { cidr: '10.0.3.0/24', router: new Router(third, 'Router', { externalNetwork: ExternalNetwork.ovh() }) });
      expect(() => new ServerCluster(third, 'Unreached', { vswitch: thirdNet, count: 1, flavor: Flavor.named('b3-8'), interconnect: link }))
        .toThrow("test/Rbx/Unreached: 'interconnect' ('test/Link') does not reach the site test/Rbx (it joins test/Gra, test/Sbg)");
      expect(() => link.addPort(stack, 'Stray', gra, [])).toThrow("test: 'interconnect' ('test/Link') needs the port's holder made in the scope of test/Gra");
    });

    test('given more servers than a site\'s slice holds, then it throws naming the cluster and the slice', () => {
      const { gra, link, nets } = twoRegions();
      // Slices of 127 addresses, two thirds planned (85), two taken by Db.
      expect(() => new ServerCluster(gra, 'Many', { vswitch: nets[0], count: 84, flavor: Flavor.named('b3-8'), interconnect: link }))
        .toThrow("'interconnect' ('test/Link') has no planned address left for site gra11 (10.9.0.1 to 10.9.0.85); give a larger cidr");
    });
  });
});
