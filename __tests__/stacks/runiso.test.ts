/**
 * Case study 3 read from the generated stack: three sites in three zones, each running the whole
 * application behind its own ADC pair; Galera across the sites over the data network only; each site
 * sized so that the others carry the peak; the records and CDN origins that move traffic to the
 * surviving sites. Snapshot, schema and daemon checks: stacks.test.ts; the campaigns: runiso-campaigns.test.ts.
 */
import { Testing } from 'cdktf';
import { SiteDns } from '../../lib';
import { checkProviderSchema, loadOpenstackProviderSchema } from '../../lib/testing';
import {
  RUNISO_APP_BASELINE_PER_SITE, RUNISO_DATACENTERS, RUNISO_ORDERING_PATHS, RUNISO_PEAK_CONCURRENT_USERS, RUNISO_SESSION_COOKIES, RUNISO_USERS_PER_APP_SERVER, RunisoStack, RunisoStackProps,
} from '../../stacks/runiso';

type Json = Record<string, any>;

function build(props: RunisoStackProps = {}) {
  const stack = new RunisoStack(Testing.app(), 'runiso', props);
  return { stack, json: stack.toTerraform() as Json };
}

/** The sources (owner paths or CIDRs) of the ingress rules on `port` of the group owned by `ownerPath`. */
function sourcesOn(stack: RunisoStack, ownerPath: string, port: number): string[] {
  const owner = stack.node.findAll().find((c) => c.node.path === ownerPath) as unknown as { connections: { ingressRules: { port: { fromPort?: number; toPort?: number }; source: { connections?: { owner: { node: { path: string } } }; cidr?: string } }[] } };
  return owner.connections.ingressRules
    .filter((r) => r.port.fromPort! <= port && port <= r.port.toPort!)
    .map((r) => r.source.connections?.owner.node.path ?? r.source.cidr!)
    .sort();
}

describe('Runiso stack', () => {
  const { stack, json } = build();
  const servers = Object.values(json.resource.openstack_compute_instance_v2 as Json) as Json[];
  const zoneOf = (name: string) => servers.find((s) => s.name === name)!.availability_zone;

  test('three sites, one per zone of Paris 3-AZ, each running the whole application: ADC pair, static origin, app servers, a Galera node', () => {
    expect(stack.sites).toHaveLength(RUNISO_DATACENTERS);
    expect(stack.sites.map((s) => [s.site.siteName, s.site.availabilityZone])).toEqual([['a', 'eu-west-par-a'], ['b', 'eu-west-par-b'], ['c', 'eu-west-par-c']]);
    for (const s of stack.sites) {
      const zone = s.site.availabilityZone;
      const names = [...s.adc.nodes.instances, ...s.miniSite.cluster.instances, ...s.app.cluster.instances].map((i) => i.hostname);
      expect(names.map(zoneOf)).toEqual(names.map(() => zone));
      expect(s.adc.target?.tier).toBe(s.app);
      expect(s.adc.cache?.bypassCookies).toEqual(RUNISO_SESSION_COOKIES);
      expect(s.adc.loadShedding?.orderingPaths).toEqual(RUNISO_ORDERING_PATHS);
    }
    expect(stack.database.members.map((m) => [m.hostname, zoneOf(m.hostname)])).toEqual([['db-a-1', 'eu-west-par-a'], ['db-b-1', 'eu-west-par-b'], ['db-c-1', 'eu-west-par-c']]);
    // The networks are regional: one per role, spanning the zones.
    expect(Object.keys(json.resource.openstack_networking_network_v2)).toHaveLength(3);
  });

  test('each site writes to its own Galera node', () => {
    stack.sites.forEach((s, i) => {
      expect(s.app.cluster.instances[0].cloudConfig.hostFiles.find((f) => f.path === s.app.contextFilePath)!.content)
        .toContain(`jdbc:mariadb://${stack.database.siteClusters[i].instances[0].address}:3306/runiso`);
    });
  });

  test('each site is sized so that the two others carry the peak: 3,000 users x 1/2 x 1.2 / 400 = 5 servers', () => {
    expect(stack.appServersPerSiteAtPeak).toBe(Math.ceil((RUNISO_PEAK_CONCURRENT_USERS / 2) * 1.2 / RUNISO_USERS_PER_APP_SERVER));
    for (const s of stack.sites) {
      expect([s.app.cluster.minCount, s.app.cluster.count, s.app.cluster.maxCount]).toEqual([RUNISO_APP_BASELINE_PER_SITE, RUNISO_APP_BASELINE_PER_SITE, 5]);
      // Back to school: 1,500 x 1/2 x 1.2 / 400 = 2.25, so 3; Mother's Day: 2,000 -> 3.
      expect(Object.fromEntries(s.scaling.campaignNeeds().map((c) => [c.campaign.name, c.count]))).toEqual({ 'winter-sales': 5, 'mothers-day': 3, 'summer-sales': 5, 'back-to-school': 3 });
    }
  });

  test('Galera replicates over the data network only: its ports admit its members, 3306 the app servers, SSH the backup runner', () => {
    for (const port of [4567, 4568, 4444]) expect(sourcesOn(stack, 'runiso/Database', port)).toEqual(['runiso/Database']);
    expect(sourcesOn(stack, 'runiso/Database', 3306)).toEqual(['runiso/SiteA/App/Servers', 'runiso/SiteB/App/Servers', 'runiso/SiteC/App/Servers']);
    expect(sourcesOn(stack, 'runiso/Database', 22)).toEqual(['runiso/Backup/Runner']);
  });

  test('the DNS records and the CDN origins name every site; a variable per site takes it out of the round-robin record', () => {
    const records = json.output.failover_dns_records.value;
    expect(records.map((r: Json) => r.name)).toEqual(['www.runiso-client.example', 'origin-a.runiso-client.example', 'origin-b.runiso-client.example', 'origin-c.runiso-client.example']);
    expect(records[0].records).toMatch(/^\$\{compact\(\[var\.failover_site_a_in_service \? openstack_networking_floatingip_v2\.SiteA_Adc_FloatingIp_\w+\.address : "", /);
    expect(Object.keys(json.variable).filter((v) => v.endsWith('_in_service'))).toEqual(['failover_site_a_in_service', 'failover_site_b_in_service', 'failover_site_c_in_service']);
    const cdn = json.output.failover_cdn_origins.value;
    expect(cdn.origins.map((o: Json) => [o.name, o.port, o.protocol])).toEqual(['a', 'b', 'c'].map((s) => [`origin-${s}.runiso-client.example`, 443, 'https']));
    expect(cdn.cache).toMatchObject({ bypass_cookies: RUNISO_SESSION_COOKIES, bypass_paths: RUNISO_ORDERING_PATHS });
    expect(json.resource.openstack_dns_recordset_v2).toBeUndefined();
  });

  test('with Designate, the stack keeps the recordsets itself', () => {
    const designate = build({ dns: SiteDns.designate() }).json;
    const sets = Object.values(designate.resource.openstack_dns_recordset_v2 as Json) as Json[];
    expect(sets.map((r) => [r.name, r.type, r.ttl])).toEqual([['www.runiso-client.example.', 'A', 60], ...['a', 'b', 'c'].map((s) => [`origin-${s}.runiso-client.example.`, 'A', 60])]);
    expect(sets[0].zone_id).toBe('${var.dns_zone_id}');
  });

  test.each([
    ['two zones', { availabilityZones: ['eu-west-par-a', 'eu-west-par-b'] }, /runiso: 'availabilityZones' \(\["eu-west-par-a","eu-west-par-b"\]\) must list 3 or more zones/],
    ['no baseline', { appBaselinePerSite: 0 }, /runiso: 'appBaselinePerSite' \(0\) must be an integer from 1 to 100/],
    ['a host name without a domain', { hostName: 'www' }, /runiso\/Failover: 'hostName' \('www'\) must be a fully qualified name/],
  ] as [string, RunisoStackProps, RegExp][])('given %s, then it throws', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

describe('Runiso stack, its sites as regions of their own', () => {
  const { stack, json } = build({ regions: ['GRA11', 'SBG5', 'RBX-A'] });

  test('each site is a region with a provider alias of its own; every resource names its site\'s, and none refers to another region\'s', () => {
    expect(json.provider.openstack).toEqual([{ region: 'GRA11' }, { alias: 'site-a', region: 'GRA11' }, { alias: 'site-b', region: 'SBG5' }, { alias: 'site-c', region: 'RBX-A' }]);
    const providerOf = new Map<string, string>();
    for (const kind of ['resource', 'data']) {
      for (const [type, group] of Object.entries<Json>(json[kind])) for (const [name, body] of Object.entries<Json>(group)) providerOf.set(`${kind === 'data' ? 'data.' : ''}${type}.${name}`, body.provider);
    }
    // The DNS and CDN settings are outputs: every resource is a site's.
    expect(new Set(providerOf.values())).toEqual(new Set(['openstack.site-a', 'openstack.site-b', 'openstack.site-c']));
    const crossing: string[] = [];
    for (const [key, provider] of providerOf) {
      const [kind, type, name] = key.startsWith('data.') ? key.split('.') : ['resource', ...key.split('.')];
      const body = { ...json[kind === 'data' ? 'data' : 'resource'][type][name], user_data: undefined };
      for (const m of JSON.stringify(body).matchAll(/\$\{((?:data\.)?openstack_[a-z0-9_]+\.[A-Za-z0-9_-]+)/g)) {
        if (providerOf.has(m[1]) && providerOf.get(m[1]) !== provider) crossing.push(`${key} -> ${m[1]}`);
      }
    }
    expect(crossing).toEqual([]);
  });

  test('each site has its own router, networks, ADC, application servers, Galera node and backup runner; the nodes replicate over the vRack VLAN only', () => {
    expect(Object.keys(json.resource.openstack_networking_router_v2)).toHaveLength(3);
    expect(stack.sites.map((s) => [s.site.region, s.vswitches.app.cidr, s.backup.runner.instances[0].hostname])).toEqual([
      ['GRA11', '10.50.16.0/24', 'backup-runner-a-1'], ['SBG5', '10.50.17.0/24', 'backup-runner-b-1'], ['RBX-A', '10.50.18.0/24', 'backup-runner-c-1'],
    ]);
    const vlans = Object.values<Json>(json.resource.openstack_networking_network_v2).filter((n) => n.value_specs);
    expect(vlans.map((n) => [n.provider, n.value_specs])).toEqual(['a', 'b', 'c'].map((s) => [`openstack.site-${s}`, { 'provider:network_type': 'vrack', 'provider:segmentation_id': '250' }]));
    expect(stack.interconnect?.vlanId).toBe(250);
    stack.sites.forEach((s, i) => {
      const node = stack.database.siteClusters[i].instances[0];
      expect(node.cloudConfig.hostFiles.find((f) => f.path.endsWith('galera.cnf'))!.content).toContain(`wsrep_node_address = ${node.interconnectAddress}`);
      expect(s.app.cluster.instances[0].cloudConfig.hostFiles.find((f) => f.path === s.app.contextFilePath)!.content).toContain(`jdbc:mariadb://${node.address}:3306/runiso`);
      const group = `runiso/Site${'ABC'[i]}/Database`;
      expect(sourcesOn(stack, group, 4567)).toEqual(stack.database.members.filter((m) => m !== node).map((m) => `${m.interconnectAddress}/32`).sort());
      expect(sourcesOn(stack, group, 3306)).toEqual([`runiso/Site${'ABC'[i]}/App/Servers`]);
      expect(sourcesOn(stack, group, 22)).toEqual([`runiso/Site${'ABC'[i]}/Backup/Runner`]);
    });
  });

  test('the failover records name every site\'s entry, as with zones', () => {
    expect(json.output.failover_dns_records.value.map((r: Json) => r.name)).toEqual(['www.runiso-client.example', 'origin-a.runiso-client.example', 'origin-b.runiso-client.example', 'origin-c.runiso-client.example']);
  });

  test('the Terraform passes the provider schema', () => {
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
  });

  test.each([
    ['two regions', { regions: ['GRA11', 'SBG5'] }, /runiso: 'regions' \(\["GRA11","SBG5"\]\) must list 3 or more distinct regions/],
    ['a region twice', { regions: ['GRA11', 'SBG5', 'GRA11'] }, /runiso: 'regions' .* must list 3 or more distinct regions/],
    ['regions and zones', { regions: ['GRA11', 'SBG5', 'DE1'], availabilityZones: ['a', 'b', 'c'] }, /runiso: 'availabilityZones' \(\["a","b","c"\]\) must not be given with 'regions'/],
    ['a VLAN without regions', { interconnectVlanId: 12 }, /runiso: 'interconnectVlanId' \(12\) is for sites that are regions of their own/],
    ['nine regions', { regions: ['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'R8', 'R9'] }, /runiso: 'regions' .* must list at most 8 regions/],
    ['a VLAN out of range', { regions: ['GRA11', 'SBG5', 'DE1'], interconnectVlanId: 4096 }, /runiso\/Interconnect: 'vlanId' \(4096\)/],
  ] as [string, RunisoStackProps, RegExp][])('given %s, then it throws', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
