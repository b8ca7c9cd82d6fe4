import { Testing } from 'cdktf';
import { Flavor } from '../../lib/compute/flavor';
import { ExternalNetwork } from '../../lib/network/external-network';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { NfsBackend, SharedFiles } from '../../lib/storage/shared-files';
import { checkProviderSchema, loadOpenstackProviderSchema } from '../../lib/validation/provider-schema-check';
import { checkTerraformTemplates } from '../../lib/validation/terraform-template-check';
import { StaticContentServer } from '../../lib/web/static-content-server';
import { checkHostFile, nginxForCheck } from '../support/config-checks';
import { TrafficSource, TrafficSourceKind } from '../../lib/core/connections';

const HOSTS = ['static.monsieurdeguisement.com', 'origin-static.monsieurdeguisement.com'];
/** The CDN's egress networks of these tests (TEST-NET-2). */
const CDN = ['198.51.100.0/24'];

function setup() {
  const stack = new HostingStack(Testing.app(), 'test');
  const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.3.0/24', externalNetwork: ExternalNetwork.ovh() });
  const data = new PrivateVSwitch(stack, 'Data', { cidr: '10.0.4.0/24', router: dmz.router });
  return { stack, dmz, data };
}

function nginxConf(stack: HostingStack, host = 'content-1') {
  return stack.renderHostFiles().find((f) => f.host === host && f.path === '/etc/nginx/nginx.conf')!;
}

describe('StaticContentServer', () => {
  test('given the required props, then one nginx server open on 80 to the CDN networks only', () => {
    const { stack, dmz } = setup();
    const content = new StaticContentServer(stack, 'Content', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: HOSTS, cdnCidrs: CDN });
    expect(content.cluster.instances.map((i) => i.hostname)).toEqual(['content-1']);
    expect(content.backendAddresses).toEqual([content.cluster.instances[0].address]);
    expect(content.healthCheck.path).toBe('/healthz');
    const rules = content.connections.ingressRules;
    expect(rules).toHaveLength(1);
    expect(rules[0].port.label).toBe('tcp-80');
    expect(rules[0].source).toEqual(TrafficSource.cidr('198.51.100.0/24'));
    expect(rules.some((r) => r.source.kind === TrafficSourceKind.INTERNET)).toBe(false);
    const cc = content.cluster.instances[0].cloudConfig;
    expect(cc.packages).toEqual(['nftables', 'nginx']);
    expect(cc.services).toEqual(['hosting-stacks-metadata-guard.service', 'nginx']);
  });

  test('given CDN pull networks, then port 80 is open to them only', () => {
    const { stack, dmz } = setup();
    const content = new StaticContentServer(stack, 'Content', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: HOSTS, cdnCidrs: ['198.51.100.0/24', '203.0.113.0/25'] });
    const json = JSON.parse(Testing.synth(stack));
    const sg = `\${openstack_networking_secgroup_v2.${stack.getLogicalId(content.connections.securityGroup)}.id}`;
    const rules = (Object.values(json.resource.openstack_networking_secgroup_rule_v2) as Record<string, unknown>[]).filter((r) => r.security_group_id === sg);
    expect(rules.map((r) => r.remote_ip_prefix).sort()).toEqual(['198.51.100.0/24', '203.0.113.0/25']);
    for (const r of rules) expect(r).toMatchObject({ protocol: 'tcp', port_range_min: 80, port_range_max: 80 });
  });

  test('given two servers, when synthesized, then each has a floating IP on its port, associated after the router interface', () => {
    // Given
    const { stack, dmz } = setup();
    const content = new StaticContentServer(stack, 'Content', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: HOSTS, cdnCidrs: CDN, count: 2 });
    // When
    const json = JSON.parse(Testing.synth(stack));
    // Then
    const fips = Object.values(json.resource.openstack_networking_floatingip_v2) as Record<string, unknown>[];
    expect(fips.map((f) => f.pool)).toEqual(['Ext-Net', 'Ext-Net']);
    const associations = Object.values(json.resource.openstack_networking_floatingip_associate_v2) as Record<string, unknown>[];
    expect(associations).toEqual(content.publicEntries.map((e) => ({
      floating_ip: `\${openstack_networking_floatingip_v2.${stack.getLogicalId(e.floatingIp)}.address}`,
      port_id: `\${openstack_networking_port_v2.${stack.getLogicalId(e.instance.port.resource)}.id}`,
      depends_on: [`openstack_networking_router_interface_v2.${stack.getLogicalId(dmz.routerInterface)}`],
    })));
    expect(content.publicEntries.map((e) => e.instance.hostname)).toEqual(['content-1', 'content-2']);
  });

  test('when synthesized, then the public addresses are the output <path>_public_addresses', () => {
    const { stack, dmz } = setup();
    const content = new StaticContentServer(stack, 'Content', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: HOSTS, cdnCidrs: CDN });
    const json = JSON.parse(Testing.synth(stack));
    expect(json.output.content_public_addresses).toMatchObject({
      value: [`\${openstack_networking_floatingip_v2.${stack.getLogicalId(content.publicEntries[0].floatingIp)}.address}`],
    });
  });

  test('given no CDN networks, then it refuses to guess', () => {
    const { stack, dmz } = setup();
    expect(() => new StaticContentServer(stack, 'Content', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: HOSTS } as never))
      .toThrow(/^test\/Content: 'cdnCidrs' \(undefined\) must name at least one network: the CDN's egress networks/);
  });

  test('given a DMZ whose router has no external gateway, then it throws: a floating IP needs one', () => {
    const { stack } = setup();
    const closed = new PrivateVSwitch(stack, 'Closed', { cidr: '10.0.9.0/24' });
    expect(() => new StaticContentServer(stack, 'Content', { vswitch: closed, flavor: Flavor.named('b3-8'), hostNames: HOSTS, cdnCidrs: CDN }))
      .toThrow(/^test\/Content: 'vswitch' \('test\/Closed'\) has a router without an external gateway/);
  });

  test('when built, then the nginx config serves the host names from /var/www/static with the cache policy', () => {
    const { stack, dmz } = setup();
    new StaticContentServer(stack, 'Content', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: HOSTS, cdnCidrs: CDN, count: 2, unversionedMaxAgeSeconds: 600, workerConnections: 8192 });
    const text = nginxConf(stack, 'content-2').content;
    expect(text).toMatch(/^\s*server_name static\.monsieurdeguisement\.com origin-static\.monsieurdeguisement\.com;$/m);
    expect(text).toMatch(/^\s*root \/var\/www\/static;$/m);
    for (const p of ['/media/', '/skin/', '/js/']) expect(text).toContain(`location ${p} {`);
    expect(text).toContain('location ^~ /media/downloadable/ {');
    expect(text).toMatch(/^\s*default "public, max-age=600";$/m);
    expect(text).toContain('"public, max-age=31536000, immutable"');
    expect(text).toMatch(/^\s*worker_connections 8192;$/m);
    expect(text).toMatch(/^\s*worker_rlimit_nofile 16384;$/m);
    expect(text).toMatch(/^pid \/run\/nginx\.pid;$/m);
    expect(text).toMatch(/^\s*client_body_temp_path \/var\/lib\/nginx\/body;$/m);
  });

  test('when the production config goes through the stack checker, then its paths move to the scratch prefix and nginx -t accepts it', () => {
    const { stack, dmz } = setup();
    new StaticContentServer(stack, 'Content', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: HOSTS, cdnCidrs: CDN });
    const file = nginxConf(stack);
    const moved = nginxForCheck(file.content);
    expect(moved).toMatch(/^pid @SCRATCH@\/nginx\.pid;$/m);
    expect(moved).toMatch(/^error_log @SCRATCH@\/error\.log warn;$/m);
    expect(moved).toMatch(/^\s*access_log @SCRATCH@\/access\.log;$/m);
    expect(moved).toMatch(/^\s*scgi_temp_path @SCRATCH@\/scgi;$/m);
    expect(moved).not.toMatch(/\/var\/(log|lib)\/nginx|\/run\/nginx/);
    const r = checkHostFile(file)!;
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given shared media, then the DMZ network is allowed on the share and it is mounted at /var/www/static/media', () => {
    const { stack, dmz, data } = setup();
    const media = new SharedFiles(stack, 'Media', { backend: NfsBackend.NFS_SERVER_VM, sizeGb: 100, vswitch: data, flavor: Flavor.named('b3-8') });
    const content = new StaticContentServer(stack, 'Content', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: HOSTS, cdnCidrs: CDN, media });
    expect(media.clientCidrs).toEqual(['10.0.3.0/24']);
    expect(media.server!.connections.ingressRules.map((r) => r.source.kind === TrafficSourceKind.GROUP && r.source.connections === content.connections)).toEqual([true]);
    const cc = content.cluster.instances[0].cloudConfig;
    expect(cc.packages).toEqual(['nfs-common', 'nftables', 'nginx']);
    expect(cc.services).toEqual(['hosting-stacks-metadata-guard.service', 'var-www-static-media.automount', 'nginx']);
    const mount = stack.renderHostFiles().find((f) => f.path === '/etc/systemd/system/var-www-static-media.mount')!;
    expect(mount.content).toMatch(/^Where=\/var\/www\/static\/media$/m);
    for (const f of stack.renderHostFiles().filter((x) => x.syntax !== undefined)) {
      const r = checkHostFile(f)!;
      expect(`${f.host}:${f.path} ${r.ok ? 'ok' : r.output}`).toBe(`${f.host}:${f.path} ok`);
    }
  });

  test('when synthesized with a Manila share, then it conforms to the provider schema and every Terraform template is valid', () => {
    const { stack, dmz, data } = setup();
    const media = new SharedFiles(stack, 'Media', { sizeGb: 100, vswitch: data });
    new StaticContentServer(stack, 'Content', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: HOSTS, media, cdnCidrs: ['198.51.100.0/24'] });
    const json = JSON.parse(Testing.synth(stack));
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
    expect(stack.node.findAll().flatMap((c) => c.node.validate())).toEqual([]);
  });

  test.each([
    ['count 0', { count: 0 }, /'count' \(0\) must be an integer from 1 to 20/],
    ['no host name', { hostNames: [] }, /'hostNames' \(\[\]\) must name at least one host name/],
    ['a bad host name', { hostNames: ['static_example'] }, /'hostNames' \('static_example'\) must be DNS names/],
    ['a duplicate host name', { hostNames: ['a.example.com', 'A.example.com'] }, /'hostNames' \('a\.example\.com'\) appears more than once/],
    ['an empty CDN list', { cdnCidrs: [] }, /'cdnCidrs' \(\[\]\) must name at least one network/],
    ['the internet as CDN network', { cdnCidrs: ['0.0.0.0/0'] }, /'cdnCidrs' \('0\.0\.0\.0\/0'\) must be an IPv4 CIDR with no host bits set/],
    ['a CDN address with host bits', { cdnCidrs: ['198.51.100.1/24'] }, /'cdnCidrs' \('198\.51\.100\.1\/24'\) must be an IPv4 CIDR with no host bits set/],
    ['too few worker connections', { workerConnections: 10 }, /'workerConnections' \(10\) must be an integer from 64 to 65536/],
    ['a negative max-age', { unversionedMaxAgeSeconds: -1 }, /'unversionedMaxAgeSeconds' \(-1\) must be an integer from 0 to 31536000/],
    ['a health path under /media/', { healthCheckPath: '/media/health' }, /'healthCheckPath' \('\/media\/health'\) must be an absolute path/],
    ['a relative health path', { healthCheckPath: 'healthz' }, /'healthCheckPath' \('healthz'\) must be an absolute path/],
  ])('given %s, then it throws', (_name, props, message) => {
    const { stack, dmz } = setup();
    expect(() => new StaticContentServer(stack, 'Content', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: HOSTS, cdnCidrs: CDN, ...props })).toThrow(message);
  });
});
