import { Construct } from 'constructs';
import { checkProviderSchema, checkTerraformTemplates, ConfigSyntax, ExternalNetwork, Flavor, HealthCheck, IServerTier, loadOpenstackProviderSchema, PrivateVSwitch, Secret, ServerCluster } from '../../lib';
import { BalancerKind, CountryEntrances, CountryEntrancesProps, ISO_3166_ALPHA2_CODES } from '../../lib/balancing/country-entrances';
import { HaproxyBalancer, HaproxyTarget } from '../../lib/balancing/haproxy-balancer';
import { LoadShedding, MiniSite } from '../../lib/balancing/load-shedding';
import { OctaviaBalancer } from '../../lib/balancing/octavia-balancer';
import { checkHostFile } from '../support/config-checks';
import { checkHaproxyWithTestCertificate } from '../support/daemons';
import { resourcesOf, synthJson, testStack } from '../support/synth';

const ADMIN = '203.0.113.0/24';
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
  return { cluster, connections: cluster.connections };
}

describe('CountryEntrances: props and defaults', () => {
  test('given four countries and no kind or users, when created, then each gets one Octavia entry sized for the generic 1,000 users, all four at their peak in total', () => {
    const { build } = fixture();
    const entrances = build();
    expect(entrances.countries).toEqual(['ES', 'FR', 'PT', 'IT']);
    expect(entrances.kind).toBe(BalancerKind.OCTAVIA);
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

  test('given KEEPALIVED_HAPROXY, when created, then each country gets a haproxy pair with its own host names and router id', () => {
    const { build } = fixture({ kind: BalancerKind.KEEPALIVED_HAPROXY, adminCidr: ADMIN });
    const entrances = build();
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

  test('given KEEPALIVED_HAPROXY without adminCidr, when created, then it throws', () => {
    const { build } = fixture({ kind: BalancerKind.KEEPALIVED_HAPROXY });
    expect(build).toThrow(/test\/Entrances: 'adminCidr' \(undefined\) is required with BalancerKind.KEEPALIVED_HAPROXY/);
  });

  test('given a country it does not serve, when its entry is asked for, then it throws', () => {
    const { build } = fixture();
    expect(() => build().entranceOf('DE')).toThrow(/'country' \('DE'\) has no entry; the countries are ES, FR, PT, IT/);
  });
});

describe.each([BalancerKind.OCTAVIA, BalancerKind.KEEPALIVED_HAPROXY])('CountryEntrances of kind %s', (kind) => {
  const build = (frontendCount = 3) => {
    const f = fixture({ kind, adminCidr: ADMIN, healthCheck: HealthCheck.http({ path: '/healthz' }) }, frontendCount);
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
    const f = fixture({ kind: BalancerKind.KEEPALIVED_HAPROXY, adminCidr: ADMIN });
    f.build();
    const rules = resourcesOf(synthJson(f.stack), 'openstack_networking_secgroup_rule_v2').filter((r) => /Frontends_Connections_/.test(r.security_group_id));
    expect(rules).toHaveLength(4);
    for (const c of ['ES', 'FR', 'PT', 'IT']) expect(rules.some((r) => new RegExp(`Entrances_${c}_Nodes_Connections`).test(r.remote_group_id))).toBe(true);
    expect(rules.every((r) => r.remote_ip_prefix === undefined && r.port_range_min === 80)).toBe(true);
  });
});

describe('CountryEntrances: load shedding and TLS on the haproxy pairs', () => {
  test('given loadShedding and tls with KEEPALIVED_HAPROXY, when created, then every country pair sheds to the same mini-site and serves HTTPS', () => {
    const f = fixture();
    const certificate = Secret.variable(f.stack, 'entry_tls_pem', 'PEM bundle naming every country host name');
    const loadShedding = LoadShedding.toMiniSite({ miniSite: MiniSite.builtinPage(), perServerCapacity: 24 });
    const entrances = new CountryEntrances(f.stack, 'Entrances', { vswitch: f.dmz, frontends: f.frontends, countries: FOUR_COUNTRIES, kind: BalancerKind.KEEPALIVED_HAPROXY, adminCidr: ADMIN, loadShedding, tls: { certificate } });
    for (const e of entrances.entrances) {
      const b = e.balancer as HaproxyBalancer;
      expect([b.loadShedding, b.tls?.certificate, b.tls?.port, (e.target as HaproxyTarget).serverMaxconn]).toEqual([loadShedding, certificate, 443, 24]);
    }
    const config = f.stack.renderHostFiles().find((x) => x.host === 'entrances-fr-1' && x.path === '/etc/haproxy/haproxy.cfg')!.content;
    const r = checkHaproxyWithTestCertificate(config, { warningsFail: true });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test.each([
    ['loadShedding', { loadShedding: LoadShedding.toMiniSite({ miniSite: MiniSite.builtinPage(), perServerCapacity: 24 }) }],
    ['tls', { tls: { certificate: undefined as unknown as Secret } }],
  ] as [string, Partial<CountryEntrancesProps>][])('given %s with Octavia entries, when created, then it throws', (prop, props) => {
    const { build } = fixture(props);
    expect(build).toThrow(new RegExp(`test/Entrances: '${prop}' \\('given'\\) is realised by the haproxy pairs only: use it with BalancerKind\\.KEEPALIVED_HAPROXY`));
  });

  test('given a bad loadShedding with KEEPALIVED_HAPROXY, when created, then the first country pair rejects it', () => {
    const { build } = fixture({ kind: BalancerKind.KEEPALIVED_HAPROXY, adminCidr: ADMIN, loadShedding: LoadShedding.toMiniSite({ miniSite: MiniSite.builtinPage(), perServerCapacity: 0 }) });
    expect(build).toThrow(/test\/Entrances\/ES: 'loadShedding\.perServerCapacity' \(0\) must be an integer from 1 to 100000/);
  });
});
