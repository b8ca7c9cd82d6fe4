/**
 * Case study 5's isolation rules, read from the generated security groups (the Terraform JSON), and
 * the selectable realisations (haproxy pair, VPNaaS, NFS server VM) synthesized and checked.
 */
import { Testing } from 'cdktf';
import { NfsBackend, VpnKind } from '../../lib';
import { checkProviderSchema, checkTerraformTemplates, loadOpenstackProviderSchema } from '../../lib/testing';
import { MD_COUNTRIES, MdEntries, MonsieurDeguisementStack, MonsieurDeguisementStackProps } from '../../stacks/monsieur-deguisement';
import { checkHostFile } from '../support/config-checks';

type Json = Record<string, any>;

interface Rule {
  readonly protocol?: string;
  readonly from?: number;
  readonly to?: number;
  /** Path of the construct owning the remote security group, or the remote CIDR. */
  readonly source: string;
}

function build(props: MonsieurDeguisementStackProps = {}) {
  const stack = new MonsieurDeguisementStack(Testing.app(), 'md', props);
  return { stack, json: stack.toTerraform() as Json };
}

/** Ingress rules of the security group owned by the construct at `ownerPath`, with sources resolved to owner paths. */
function ingressOf(json: Json, ownerPath: string): Rule[] {
  const groups = json.resource.openstack_networking_secgroup_v2 as Json;
  const ownerOf = (ref: string) => {
    const id = /openstack_networking_secgroup_v2\.([^.]+)\.id/.exec(ref)![1];
    return (groups[id]['//'].metadata.path as string).replace(/\/Connections\/Resource$/, '');
  };
  const [groupId] = Object.entries(groups).find(([, g]) => (g as Json)['//'].metadata.path === `${ownerPath}/Connections/Resource`)!;
  return Object.values(json.resource.openstack_networking_secgroup_rule_v2 as Json)
    .filter((r: Json) => r.security_group_id === `\${openstack_networking_secgroup_v2.${groupId}.id}`)
    .map((r: Json) => ({ protocol: r.protocol, from: r.port_range_min, to: r.port_range_max, source: r.remote_group_id ? ownerOf(r.remote_group_id) : r.remote_ip_prefix }));
}

const sources = (rules: Rule[]) => [...new Set(rules.map((r) => r.source))].sort();

describe('Monsieur Déguisement stack', () => {
  const { stack, json } = build();
  const dmz = stack.vswitches.dmz.cidr;

  test.each([
    ['database', 'md/Database/Servers', ['md/BackOffice/Server', 'md/Database/Servers', 'md/Frontends/Servers']],
    ['Redis', 'md/Sessions/Server', ['md/Frontends/Servers']],
    ['Solr', 'md/Search/Server', ['md/Frontends/Servers']],
  ])('the %s is reachable only from the tiers that use it, never from the internet or the DMZ', (_name, owner, allowed) => {
    const rules = ingressOf(json, owner);
    expect(rules.length).toBeGreaterThan(0);
    expect(sources(rules)).toEqual(allowed);
    for (const r of rules) {
      expect(r.source).not.toBe('0.0.0.0/0');
      expect(r.source).not.toBe(dmz);
      expect(r.source.startsWith('md/Entrances') || r.source.startsWith('md/StaticContent')).toBe(false);
    }
  });

  test('the vital VMs sit on the private data vSwitch, not on the DMZ or access layer', () => {
    for (const tier of [stack.database, stack.redis, stack.solr]) {
      for (const host of tier.cluster.instances) expect(stack.vswitches.data.contains(host.address)).toBe(true);
    }
    for (const host of stack.frontends.cluster.instances) expect(stack.vswitches.access.contains(host.address)).toBe(true);
  });

  test('the front-ends are not public: no rule from 0.0.0.0/0, HTTP only from the balancers\' side', () => {
    const rules = ingressOf(json, 'md/Frontends/Servers');
    expect(rules.map((r) => r.source)).not.toContain('0.0.0.0/0');
    const http = rules.filter((r) => r.from === stack.frontends.httpPort);
    expect(http.length).toBeGreaterThan(0);
    const ssh = rules.filter((r) => r.from === 22);
    expect(sources(ssh)).toEqual(['md/Deployment/Server']);
  });

  test('the back-office is reachable only through the VPN gateway', () => {
    const rules = ingressOf(json, 'md/BackOffice/Server');
    expect(sources(rules)).toEqual(['md/Vpn/Gateway']);
  });

  test('the deployment VM is let in only through the VPN and reaches only the front-ends (SSH)', () => {
    expect(sources(ingressOf(json, 'md/Deployment/Server'))).toEqual(['md/Vpn/Gateway']);
    const groups = Object.values(json.resource.openstack_networking_secgroup_v2 as Json).map((g: Json) => (g['//'].metadata.path as string).replace(/\/Connections\/Resource$/, ''));
    const letIn = groups.filter((owner) => ingressOf(json, owner).some((r) => r.source === 'md/Deployment/Server'));
    expect(letIn).toEqual(['md/Frontends/Servers']);
    expect(ingressOf(json, 'md/Frontends/Servers').filter((r) => r.source === 'md/Deployment/Server').map((r) => [r.protocol, r.from, r.to])).toEqual([['tcp', 22, 22]]);
  });

  test('the NFS share is open to exactly the DMZ, the access layer and the office network', () => {
    const access = Object.values(json.resource.openstack_sharedfilesystem_share_access_v2 as Json).map((a: Json) => a.access_to).sort();
    expect(access).toEqual([stack.vswitches.dmz.cidr, stack.vswitches.access.cidr, stack.vswitches.office.cidr].sort());
  });

  test('one Octavia balancer per country, round-robin, no session persistence, a member per front-end', () => {
    const lbs = Object.values(json.resource.openstack_lb_loadbalancer_v2 as Json);
    expect(lbs).toHaveLength(MD_COUNTRIES.length);
    const pools = Object.values(json.resource.openstack_lb_pool_v2 as Json);
    expect(pools.map((p: Json) => p.lb_method)).toEqual(MD_COUNTRIES.map(() => 'ROUND_ROBIN'));
    for (const p of pools) expect((p as Json).persistence).toBeUndefined();
    expect(Object.values(json.resource.openstack_lb_member_v2 as Json)).toHaveLength(MD_COUNTRIES.length * stack.frontends.cluster.instances.length);
  });

  test('sessions and Magento\'s cache are two Redis processes on the Redis VM: sessions noeviction and persisted, cache allkeys-lru and not, each port open to the front-ends only', () => {
    const files = stack.renderHostFiles().filter((f) => f.host === stack.redis.instance.hostname);
    const conf = (path: string) => files.find((f) => f.path === path)!.content;
    const option = (text: string, name: string) => new RegExp(`^${name} (.*)$`, 'm').exec(text)?.[1];
    const sessions = conf('/etc/redis/redis.conf');
    const cache = conf('/etc/redis/redis-cache.conf');
    expect([option(sessions, 'port'), option(sessions, 'maxmemory-policy'), option(sessions, 'appendonly'), option(sessions, 'maxmemory')]).toEqual(['6379', 'noeviction', 'yes', '1024mb']);
    expect([option(cache, 'port'), option(cache, 'maxmemory-policy'), option(cache, 'appendonly'), option(cache, 'save'), option(cache, 'maxmemory')]).toEqual(['6380', 'allkeys-lru', 'no', '""', '1536mb']);
    expect(stack.redis.instance.cloudConfig.services.filter((u) => u.startsWith('redis-server'))).toEqual(['redis-server', 'redis-server@cache']);
    const rules = ingressOf(json, 'md/Sessions/Server');
    for (const port of [6379, 6380]) expect(sources(rules.filter((r) => r.from === port))).toEqual(['md/Frontends/Servers']);
    const xml = stack.renderHostFiles().find((f) => f.host === 'frontends-1' && f.path.endsWith('/local.xml'))!.content;
    expect(/<redis_session>[\s\S]*?<port>(\d+)<\/port>/.exec(xml)![1]).toBe('6379');
    expect(/<cache>[\s\S]*?<port>(\d+)<\/port>/.exec(xml)![1]).toBe('6380');
  });

  test('max_connections is derived from the clients at their peak: 10 front-ends x 56 children + the back-office\'s 14 + 8 replicas (the most the address capacity allows) + 10 for administration', () => {
    expect(stack.database.maxConnections).toBe(10 * 56 + 14 + 8 + 10);
    for (const host of stack.database.cluster.instances) {
      const cnf = stack.renderHostFiles().find((f) => f.host === host.hostname && f.path === '/etc/mysql/mariadb.conf.d/60-hosting-stacks.cnf')!.content;
      expect(cnf).toContain('#   560 = 10 x 56 (PHP-FPM pm.max_children, servers up to the address capacity): md/Frontends\n');
      expect(cnf).toContain('#   14 = 1 x 14 (PHP-FPM pm.max_children): md/BackOffice\n');
      expect(cnf).toMatch(/^max_connections = 592$/m);
    }
  });

  test('every stateful VM is in the backup policy', () => {
    const covered = [stack.database, stack.redis, stack.solr, stack.backOffice].map((t) => t.cluster.backupPolicies);
    for (const policies of covered) expect(policies).toEqual(['md/Backup/vital']);
  });
});

describe.each([
  ['keepalived+haproxy entries', { entries: MdEntries.haproxyPairs() }],
  ['an IPsec VPNaaS', { vpnKind: VpnKind.IPSEC_VPNAAS, offices: [{ name: 'madrid', allowedIps: ['192.168.50.0/24'], endpointAddress: '198.51.100.7' }] }],
  ['an NFS server VM', { nfsBackend: NfsBackend.NFS_SERVER_VM }],
] as [string, MonsieurDeguisementStackProps][])('Monsieur Déguisement with %s', (_name, props) => {
  const { stack, json } = build(props);

  test('conforms to the provider schema, declares every reference and passes validation', () => {
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
    expect(stack.node.findAll().flatMap((c) => c.node.validate())).toEqual([]);
  });

  test('every rendered config passes its daemon check', () => {
    const failures = stack
      .renderHostFiles()
      .map((f) => ({ f, r: checkHostFile(f) }))
      .filter(({ r }) => r !== undefined && !r.ok)
      .map(({ f, r }) => `${f.host}:${f.path}: ${r!.output}`);
    expect(failures).toEqual([]);
  });
});

describe('Monsieur Déguisement with an NFS server VM', () => {
  test('exports and the NFS security group admit exactly the three client networks', () => {
    const { stack, json } = build({ nfsBackend: NfsBackend.NFS_SERVER_VM });
    const exportsFile = stack.renderHostFiles().find((f) => f.path === '/etc/exports')!.content;
    const clients = exportsFile
      .split('\n')
      .filter((l) => l.startsWith('/'))
      .flatMap((l) => [...l.matchAll(/(\d+\.\d+\.\d+\.\d+\/\d+)\(/g)].map((m) => m[1]))
      .sort();
    expect(clients).toEqual([stack.vswitches.dmz.cidr, stack.vswitches.access.cidr, stack.vswitches.office.cidr].sort());
    expect(sources(ingressOf(json, 'md/Media/Server').filter((r) => r.from === 2049))).toEqual(['md/BackOffice/Server', 'md/Frontends/Servers', 'md/StaticContent/Servers']);
    expect(stack.media.server!.backupPolicies).toEqual(['md/Backup/media']);
  });
});
