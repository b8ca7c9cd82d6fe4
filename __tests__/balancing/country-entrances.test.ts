import { Construct } from 'constructs';
import { ConfigSyntax, ExternalNetwork, Flavor, HealthCheck, HostingStacksError, IServerTier, PrivateVSwitch, Secret, ServerCluster } from '../../lib';
import { checkProviderSchema, checkTerraformTemplates, loadOpenstackProviderSchema } from '../../lib/testing';
import { BalancerKind, CountryEntrances, CountryEntrancesProps, EntryBalancer, ISO_3166_ALPHA2_CODES } from '../../lib/balancing/country-entrances';
import { HaproxyBalancer, HaproxyTarget } from '../../lib/balancing/haproxy-balancer';
import { LoadShedding, MiniSite } from '../../lib/balancing/load-shedding';
import { OctaviaBalancer } from '../../lib/balancing/octavia-balancer';
import { checkHostFile } from '../support/config-checks';
import { checkHaproxyWithTestCertificate } from '../support/daemons';
import { resourcesOf, synthJson, testStack, tierOf } from '../support/synth';

const ADMIN = '203.0.113.0/24';
/** What a JavaScript caller can pass where TypeScript expects another type. */
const untyped = <T>(value: unknown): T => value as T;
const schema = loadOpenstackProviderSchema();

/** Case study 5's four channels. */
const FOUR_COUNTRIES = ['ES', 'FR', 'PT', 'IT'];

/** A DMZ (public-facing, gateway router) and an access vSwitch on the same router with the front-ends. */
function fixture(props: Partial<CountryEntrancesProps> = {}, frontendCount = 2) {
  const stack = testStack();
  const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  const access = new PrivateVSwitch(stack, 'Access', { cidr: '10.0.2.0/24', router: dmz.router });
  const frontends = fakeTier(stack, 'Frontends', access, frontendCount);
  const build = () => new CountryEntrances(stack, 'Entrances', { vswitch: dmz, frontends, countries: FOUR_COUNTRIES, ...props });
  return { stack, dmz, access, frontends, build };
}

function fakeTier(scope: Construct, id: string, vswitch: PrivateVSwitch, count: number): IServerTier {
  const cluster = new ServerCluster(scope, id, { vswitch, count, flavor: Flavor.named('b3-8') });
  return tierOf(cluster);
}

describe('CountryEntrances: props and defaults', () => {
  test('given four countries and no entryBalancer or users, when created, then each gets one Octavia entry sized for the generic 1,000 users, all four at their peak in total', () => {
    const { build } = fixture();
    const entrances = build();
    expect(entrances.countries).toEqual(['ES', 'FR', 'PT', 'IT']);
    expect(entrances.kind).toBe(BalancerKind.OCTAVIA);
    expect(entrances.entryBalancer.kind).toBe(BalancerKind.OCTAVIA);
    expect([entrances.concurrentUsersPerCountry, entrances.concurrentUsersTotal]).toEqual([1000, 4000]);
    expect(entrances.entrances.map((e) => e.balancer.node.path)).toEqual(['test/Entrances/ES', 'test/Entrances/FR', 'test/Entrances/PT', 'test/Entrances/IT']);
    for (const e of entrances.entrances) {
      expect(e.balancer).toBeInstanceOf(OctaviaBalancer);
      expect([e.balancer.expectedConcurrentUsers, e.balancer.connectionLimit]).toEqual([1000, 3000]);
    }
  });

  test('given no countries, when created, then it throws: a shop\'s channels have no default', () => {
    const { build } = fixture({ countries: undefined as unknown as string[] });
    expect(build).toThrow("test/Entrances: 'countries' ([]) must name at least one country (ISO 3166-1 alpha-2 codes in upper case, e.g. ['ES', 'FR'])");
  });

  test('given the embedded code list, when counted, then it holds the 249 ISO 3166-1 alpha-2 codes', () => {
    expect(ISO_3166_ALPHA2_CODES.size).toBe(249);
    for (const code of ['ES', 'FR', 'PT', 'IT', 'GB', 'DE', 'BE', 'CH', 'MA']) expect(ISO_3166_ALPHA2_CODES.has(code)).toBe(true);
  });

  test('given two countries and 2,000 users each, 3,000 in total, when created, then two balancers sized for 2,000', () => {
    const { build } = fixture({ countries: ['ES', 'BE'], concurrentUsersPerCountry: 2000, concurrentUsersTotal: 3000 });
    const entrances = build();
    expect(entrances.entrances.map((e) => [e.country, e.balancer.connectionLimit])).toEqual([['ES', 6000], ['BE', 6000]]);
    expect(entrances.entranceOf('BE').balancer.node.id).toBe('BE');
  });

  test('given EntryBalancer.haproxyPair, when created, then each country gets a haproxy pair with its own host names and router id', () => {
    const { build } = fixture({ entryBalancer: EntryBalancer.haproxyPair({ adminCidr: ADMIN }) });
    const entrances = build();
    expect(entrances.kind).toBe(BalancerKind.KEEPALIVED_HAPROXY);
    const balancers = entrances.entrances.map((e) => e.balancer as HaproxyBalancer);
    for (const b of balancers) expect(b).toBeInstanceOf(HaproxyBalancer);
    expect(balancers.map((b) => b.nodes.instances.map((i) => i.hostname))).toEqual([
      ['entrances-es-1', 'entrances-es-2'], ['entrances-fr-1', 'entrances-fr-2'], ['entrances-pt-1', 'entrances-pt-2'], ['entrances-it-1', 'entrances-it-2'],
    ]);
    expect(new Set(balancers.map((b) => b.virtualRouterId)).size).toBe(4);
    expect(balancers.map((b) => b.connectionLimit)).toEqual([3000, 3000, 3000, 3000]);
  });
});

describe('CountryEntrances: errors', () => {
  test.each(['XX', 'UK', 'EU', 'ESP', ''])('given the unknown code %p, when created, then it throws', (code) => {
    const { build } = fixture({ countries: ['ES', code] });
    expect(build).toThrow(new RegExp(`test/Entrances: 'countries' \\('${code}'\\) is not an ISO 3166-1 alpha-2 country code in upper case, e.g.`));
  });

  test('given a lower-case code, when created, then it throws and says how to write it', () => {
    const { build } = fixture({ countries: ['es'] });
    expect(build).toThrow(/'countries' \('es'\) is not an ISO 3166-1 alpha-2 country code in upper case \(write 'ES'\)/);
  });

  test('given a duplicate country, when created, then it throws', () => {
    const { build } = fixture({ countries: ['ES', 'FR', 'ES'] });
    expect(build).toThrow(/test\/Entrances: 'countries' \('ES'\) appears more than once/);
  });

  test('given no country, when created, then it throws', () => {
    const { build } = fixture({ countries: [] });
    expect(build).toThrow(/'countries' \(\[\]\) must name at least one country/);
  });

  test.each([0, 1.5])('given concurrentUsersPerCountry %p, when created, then it throws', (users) => {
    const { build } = fixture({ concurrentUsersPerCountry: users });
    expect(build).toThrow(/'concurrentUsersPerCountry' \(.*\) must be an integer from 1 to 1000000/);
  });

  test('given a total below one country, when created, then it throws', () => {
    const { build } = fixture({ concurrentUsersPerCountry: 1500, concurrentUsersTotal: 1000 });
    expect(build).toThrow(/'concurrentUsersTotal' \(1000\) must be at least 'concurrentUsersPerCountry' \(1500\)/);
  });

  test('given a total above every country at its peak, when created, then it throws', () => {
    const { build } = fixture({ countries: ['ES', 'FR'], concurrentUsersPerCountry: 1500, concurrentUsersTotal: 4000 });
    expect(build).toThrow(/'concurrentUsersTotal' \(4000\) must not exceed 'concurrentUsersPerCountry' x countries \(1500 x 2 = 3000\)/);
  });

  test('given a non-integer total, when created, then it throws', () => {
    const { build } = fixture({ concurrentUsersTotal: 3999.5 });
    expect(build).toThrow(/'concurrentUsersTotal' \(3999.5\) must be an integer/);
  });

  test('given a prop of the old mode switch, when created, then it is refused, not ignored', () => {
    const { build } = fixture(untyped({ kind: BalancerKind.KEEPALIVED_HAPROXY }));
    expect(build).toThrow(/test\/Entrances: 'props\.kind' \('keepalived-haproxy'\) is not an option here; the options are vswitch, frontends, port, healthCheck, countries, entryBalancer, /);
  });

  test('given a look-alike entryBalancer, when created, then it throws naming the factories', () => {
    const { build } = fixture({ entryBalancer: untyped({ kind: BalancerKind.OCTAVIA, createBalancer: () => undefined }) });
    expect(build).toThrow(/test\/Entrances: 'entryBalancer' \('<an object \{kind, createBalancer\}>'\) must be an EntryBalancer \(EntryBalancer\.octavia\(\{ flavorId, tls \}\) or EntryBalancer\.haproxyPair\(/);
  });

  test('given a country it does not serve, when its entry is asked for, then it throws', () => {
    const { build } = fixture();
    expect(() => build().entranceOf('DE')).toThrow(/'country' \('DE'\) has no entry; the countries are ES, FR, PT, IT/);
  });
});

describe.each([BalancerKind.OCTAVIA, BalancerKind.KEEPALIVED_HAPROXY])('CountryEntrances of kind %s', (kind) => {
  const entryBalancer = kind === BalancerKind.OCTAVIA ? EntryBalancer.octavia() : EntryBalancer.haproxyPair({ adminCidr: ADMIN });
  const build = (frontendCount = 3) => {
    const f = fixture({ entryBalancer, healthCheck: HealthCheck.http({ path: '/healthz' }) }, frontendCount);
    return { ...f, entrances: f.build() };
  };

  test('given four countries, when synthesized, then there are four floating IPs, four associations and one output per country', () => {
    const { stack, entrances } = build();
    const json = synthJson(stack);
    expect(resourcesOf(json, 'openstack_networking_floatingip_v2')).toHaveLength(4);
    expect(resourcesOf(json, 'openstack_networking_floatingip_associate_v2')).toHaveLength(4);
    const outputs = json.output as Record<string, { value: string; description: string }>;
    expect(Object.keys(outputs).sort()).toEqual(['entrances_es_public_address', 'entrances_fr_public_address', 'entrances_it_public_address', 'entrances_pt_public_address']);
    for (const e of entrances.entrances) {
      const out = outputs[`entrances_${e.country.toLowerCase()}_public_address`];
      expect(out.description).toMatch(new RegExp(`^Public address of the ${e.country} entry`));
      expect(out.value).toMatch(new RegExp(`^\\$\\{openstack_networking_floatingip_v2\\.Entrances_${e.country}_FloatingIp_[0-9A-F]+\\.address\\}$`));
      expect(e.output.node.id).toBe(`PublicAddress-${e.country}`);
    }
  });

  test('given 3 front-ends, when the entries target them, then every entry has one member per instance', () => {
    const { frontends, entrances } = build(3);
    for (const e of entrances.entrances) {
      expect(e.target.tier).toBe(frontends);
      expect(e.target.memberAddresses).toEqual(frontends.cluster.addresses);
      expect(e.target.port).toBe(80);
    }
  });

  test('given the stack, when checked against the provider schema and the template rules, then there is no violation and every validation passes', () => {
    const { stack } = build();
    const json = synthJson(stack);
    expect(checkProviderSchema(json, schema)).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
    expect(stack.node.findAll().flatMap((c) => c.node.validate())).toEqual([]);
  });

  test('given the stack, when every config file is sent to its real checker, then all pass', () => {
    const { stack } = build();
    const files = stack.renderHostFiles().filter((f) => f.syntax !== undefined);
    // Every server: the metadata guard's ruleset and unit.
    const guard: [string, ConfigSyntax][] = [
      ['/etc/hosting-stacks/metadata-guard.nft', ConfigSyntax.NFTABLES],
      ['/etc/systemd/system/hosting-stacks-metadata-guard.service', ConfigSyntax.SYSTEMD_UNIT],
    ];
    // Per balancer node: nftables, haproxy, keepalived, sysctl, and the NIC script and its unit.
    const balancerNode: [string, ConfigSyntax][] = [
      ['/etc/nftables.conf', ConfigSyntax.NFTABLES],
      ['/etc/haproxy/haproxy.cfg', ConfigSyntax.HAPROXY],
      ['/etc/keepalived/keepalived.conf', ConfigSyntax.KEEPALIVED],
      ['/etc/sysctl.d/60-haproxy-nonlocal-bind.conf', ConfigSyntax.SYSCTL],
      ['/usr/local/sbin/hosting-stacks-nic', ConfigSyntax.SHELL],
      ['/etc/systemd/system/hosting-stacks-nic.service', ConfigSyntax.SYSTEMD_UNIT],
    ];
    const expected = [
      ...['frontends-1', 'frontends-2', 'frontends-3'].flatMap((host) => guard.map(([path, syntax]) => `${host}:${path}:${syntax}`)),
      ...(kind === BalancerKind.KEEPALIVED_HAPROXY
        ? ['es', 'fr', 'pt', 'it'].flatMap((c) => [1, 2].flatMap((i) => [...guard, ...balancerNode].map(([path, syntax]) => `entrances-${c}-${i}:${path}:${syntax}`)))
        : []),
    ];
    expect(files.map((f) => `${f.host}:${f.path}:${f.syntax}`).sort()).toEqual(expected.sort());
    expect(files).toHaveLength(kind === BalancerKind.KEEPALIVED_HAPROXY ? 3 * 2 + 4 * 2 * 8 : 3 * 2);
    for (const f of files) {
      const r = checkHostFile(f)!;
      expect([`${f.host}:${f.path}`, r.ok, r.ok ? '' : r.output]).toEqual([`${f.host}:${f.path}`, true, '']);
    }
  });
});

describe('CountryEntrances: security of the front-ends', () => {
  test('given Octavia entries, when synthesized, then the front-ends take port 80 from the access DHCP pool once, not from the internet', () => {
    const f = fixture();
    f.build();
    const rules = resourcesOf(synthJson(f.stack), 'openstack_networking_secgroup_rule_v2').filter((r) => /Frontends_Connections_/.test(r.security_group_id));
    expect(rules.map((r) => [r.port_range_min, r.remote_ip_prefix])).toEqual([[80, '10.0.2.128/25']]);
  });

  test('given haproxy entries, when synthesized, then the front-ends take port 80 from each country pair by security group', () => {
    const f = fixture({ entryBalancer: EntryBalancer.haproxyPair({ adminCidr: ADMIN }) });
    f.build();
    const rules = resourcesOf(synthJson(f.stack), 'openstack_networking_secgroup_rule_v2').filter((r) => /Frontends_Connections_/.test(r.security_group_id));
    expect(rules).toHaveLength(4);
    for (const c of ['ES', 'FR', 'PT', 'IT']) expect(rules.some((r) => new RegExp(`Entrances_${c}_Nodes_Connections`).test(r.remote_group_id))).toBe(true);
    expect(rules.every((r) => r.remote_ip_prefix === undefined && r.port_range_min === 80)).toBe(true);
  });
});

describe('CountryEntrances: load shedding and TLS on the haproxy pairs', () => {
  test('given EntryBalancer.haproxyPair with loadShedding and tls, when created, then every country pair sheds to the same mini-site and serves HTTPS', () => {
    const f = fixture();
    const certificate = Secret.variable(f.stack, 'entry_tls_pem', 'PEM bundle naming every country host name');
    const loadShedding = LoadShedding.toMiniSite({ miniSite: MiniSite.builtinPage(), perServerCapacity: 24 });
    const entryBalancer = EntryBalancer.haproxyPair({ adminCidr: ADMIN, loadShedding, tls: { certificate } });
    const entrances = new CountryEntrances(f.stack, 'Entrances', { vswitch: f.dmz, frontends: f.frontends, countries: FOUR_COUNTRIES, entryBalancer });
    for (const e of entrances.entrances) {
      const b = e.balancer as HaproxyBalancer;
      expect([b.loadShedding, b.tls?.certificate, b.tls?.port, (e.target as HaproxyTarget).serverMaxconn]).toEqual([loadShedding, certificate, 443, 24]);
    }
    const config = f.stack.renderHostFiles().find((x) => x.host === 'entrances-fr-1' && x.path === '/etc/haproxy/haproxy.cfg')!.content;
    const r = checkHaproxyWithTestCertificate(config, { warningsFail: true });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given a bad loadShedding on the haproxy pairs, when created, then the first country pair rejects it', () => {
    const loadShedding = LoadShedding.toMiniSite({ miniSite: MiniSite.builtinPage(), perServerCapacity: 0 });
    const { build } = fixture({ entryBalancer: EntryBalancer.haproxyPair({ adminCidr: ADMIN, loadShedding }) });
    expect(build).toThrow(/test\/Entrances\/ES: 'loadShedding\.perServerCapacity' \(0\) must be an integer from 1 to 100000/);
  });

  test('given a bad tls port on the haproxy pairs, when created, then the first country pair rejects it', () => {
    const f = fixture();
    const certificate = Secret.variable(f.stack, 'entry_tls_pem', 'PEM bundle');
    const build = () => new CountryEntrances(f.stack, 'Entrances', {
      vswitch: f.dmz, frontends: f.frontends, countries: FOUR_COUNTRIES, entryBalancer: EntryBalancer.haproxyPair({ adminCidr: ADMIN, tls: { certificate, port: 22 } }),
    });
    expect(build).toThrow(/test\/Entrances\/ES: 'tls\.port' \(22\) must differ from the SSH port \(22\)/);
  });
});

describe('EntryBalancer: the factories refuse what their balancer would not use', () => {
  test('given the haproxy pairs, when made, then the choice says so and no Octavia option is taken', () => {
    expect(EntryBalancer.haproxyPair({ adminCidr: ADMIN }).kind).toBe(BalancerKind.KEEPALIVED_HAPROXY);
    expect(EntryBalancer.octavia({ flavorId: '9a4f5c1e-0d3b-4c7a-8f2e-6b1d0e9c3a57' }).kind).toBe(BalancerKind.OCTAVIA);
    expect(EntryBalancer.isEntryBalancer(EntryBalancer.octavia())).toBe(true);
    expect(EntryBalancer.isEntryBalancer({ kind: BalancerKind.OCTAVIA })).toBe(false);
  });

  test.each([
    ['an Octavia flavor on the haproxy pairs', () => EntryBalancer.haproxyPair(untyped({ adminCidr: ADMIN, flavorId: 'x' })),
      /^EntryBalancer\.haproxyPair: 'options\.flavorId' \('x'\) is not an option here; the options are adminCidr, flavor, loadShedding, tls$/],
    ['load shedding on Octavia', () => EntryBalancer.octavia(untyped({ loadShedding: LoadShedding.toMiniSite({ miniSite: MiniSite.builtinPage(), perServerCapacity: 24 }) })),
      /^EntryBalancer\.octavia: 'options\.loadShedding' \('<a LoadShedding \{.*\}>'\) is not an option here; the options are flavorId, tls$/],
    ['a haproxy flavor on Octavia', () => EntryBalancer.octavia(untyped({ flavor: Flavor.named('b3-8') })),
      /^EntryBalancer\.octavia: 'options\.flavor' \(.*\) is not an option here; the options are flavorId, tls$/],
    ['the haproxy pairs without adminCidr', () => EntryBalancer.haproxyPair(untyped({})),
      /^EntryBalancer\.haproxyPair: 'options\.adminCidr' \(undefined\) is required: a CIDR string, e\.g\. '203\.0\.113\.0\/24'/],
    ['the haproxy pairs without options', () => EntryBalancer.haproxyPair(untyped(undefined)),
      /^EntryBalancer\.haproxyPair: 'options\.adminCidr' \(undefined\) is required/],
    ['the haproxy pairs with a flavor name', () => EntryBalancer.haproxyPair({ adminCidr: ADMIN, flavor: untyped('b3-8') }),
      /^EntryBalancer\.haproxyPair: 'options\.flavor' \('b3-8'\) must be a Flavor \(Flavor\.named\('b3-8'\)/],
    ['the haproxy pairs with a look-alike load shedding', () => EntryBalancer.haproxyPair({ adminCidr: ADMIN, loadShedding: untyped({ perServerCapacity: 24 }) }),
      /^EntryBalancer\.haproxyPair: 'options\.loadShedding' \('<an object \{perServerCapacity\}>'\) must be a LoadShedding/],
    ['Octavia options that are no object', () => EntryBalancer.octavia(untyped('small')),
      /^EntryBalancer\.octavia: 'options' \('small'\) must be an object of options \(flavorId, tls\)$/],
  ] as [string, () => unknown, RegExp][])('given %s, when made, then it throws', (_what, make, error) => {
    expect(make).toThrow(HostingStacksError);
    expect(make).toThrow(error);
  });

  test('given a bad adminCidr, when the entrances are created, then the first country pair rejects it', () => {
    const { build } = fixture({ entryBalancer: EntryBalancer.haproxyPair({ adminCidr: '0.0.0.0/0' }) });
    expect(build).toThrow(/test\/Entrances\/ES: 'adminCidr' \('0\.0\.0\.0\/0'\)/);
  });

  test('given a bad Octavia flavor id, when the entrances are created, then the first country balancer rejects it', () => {
    const { build } = fixture({ entryBalancer: EntryBalancer.octavia({ flavorId: 'small' }) });
    expect(build).toThrow(/test\/Entrances\/ES: 'flavorId' \('small'\) must be the id \(a UUID\) of an Octavia flavor/);
  });
});
