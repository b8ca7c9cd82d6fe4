/**
 * Monsieur Déguisement's edges (issue 9, items 4 and 10): the Manila share network the stack
 * creates, the DMZ origin's public entry for the CDN, X-Forwarded-Proto believed from the entries
 * only, and the VPN's floating IP associated after its router interface.
 */
import { Testing } from 'cdktf';
import { checkProviderSchema, loadOpenstackProviderSchema } from '../../lib/testing';
import { CLOSED_CDN_CIDRS, MdEntries, MonsieurDeguisementStack, MonsieurDeguisementStackProps } from '../../stacks/monsieur-deguisement';
import { checkHostFile } from '../support/config-checks';
import { TrafficSource, TrafficSourceKind } from '../../lib/core/connections';
import { CountApplier } from '../../lib';

type Json = Record<string, any>;

function build(props: MonsieurDeguisementStackProps = {}) {
  const stack = new MonsieurDeguisementStack(Testing.app(), 'md', props);
  return { stack, json: stack.toTerraform() as Json };
}

const ref = (stack: MonsieurDeguisementStack, type: string, construct: unknown, attr: string) => `\${${type}.${stack.getLogicalId(construct as never)}.${attr}}`;

function apacheConf(stack: MonsieurDeguisementStack, host = 'frontends-1') {
  return stack.renderHostFiles().find((f) => f.host === host && f.path === '/etc/apache2/apache2.conf')!;
}

describe('Monsieur Déguisement: the media share network', () => {
  const { stack, json } = build();

  test('given Manila, then the share is served on a share network the stack creates on the access vSwitch', () => {
    const [network] = Object.values(json.resource.openstack_sharedfilesystem_sharenetwork_v2 as Json) as Json[];
    expect(network).toMatchObject({
      neutron_net_id: ref(stack, 'openstack_networking_network_v2', stack.vswitches.access.network, 'id'),
      neutron_subnet_id: ref(stack, 'openstack_networking_subnet_v2', stack.vswitches.access.subnet, 'id'),
    });
    const [share] = Object.values(json.resource.openstack_sharedfilesystem_share_v2 as Json) as Json[];
    expect(share.share_network_id).toBe(ref(stack, 'openstack_sharedfilesystem_sharenetwork_v2', stack.media.shareNetwork, 'id'));
    expect(Object.keys(json.variable).filter((v) => v.includes('share_network'))).toEqual([]);
  });

  test('conforms to the provider schema (the share network resource included)', () => {
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
  });
});

describe('Monsieur Déguisement: the DMZ origin\'s public entry', () => {
  test('given no CDN networks, then the origin has a floating IP after the DMZ router interface, open to the closed default only', () => {
    // Given / When
    const { stack, json } = build();
    // Then
    const entries = stack.staticContent.publicEntries;
    expect(entries).toHaveLength(1);
    const association = (json.resource.openstack_networking_floatingip_associate_v2 as Json)[stack.getLogicalId(entries[0].association)];
    expect(association).toMatchObject({
      floating_ip: ref(stack, 'openstack_networking_floatingip_v2', entries[0].floatingIp, 'address'),
      port_id: ref(stack, 'openstack_networking_port_v2', entries[0].instance.port.resource, 'id'),
      depends_on: [`openstack_networking_router_interface_v2.${stack.getLogicalId(stack.vswitches.dmz.routerInterface)}`],
    });
    expect(stack.staticContent.cdnCidrs).toEqual(CLOSED_CDN_CIDRS);
    const rules = stack.staticContent.connections.ingressRules.filter((r) => [80, 443].includes(r.port.fromPort ?? 0));
    expect(rules.map((r) => [r.port.label, r.source])).toEqual([
      ['tcp-80', TrafficSource.cidr('192.0.2.0/24')],
      ['tcp-443', TrafficSource.cidr('192.0.2.0/24')],
    ]);
    expect(json.output.static_content_public_addresses.value).toEqual([ref(stack, 'openstack_networking_floatingip_v2', entries[0].floatingIp, 'address')]);
  });

  test('given the CDN\'s networks, then 80 and 443 admit them and nothing else', () => {
    const { stack } = build({ cdnCidrs: ['198.51.100.0/24', '203.0.113.0/25'] });
    const web = stack.staticContent.connections.ingressRules.filter((r) => [80, 443].includes(r.port.fromPort ?? 0));
    expect(web.map((r) => `${r.port.label} ${r.source.kind === TrafficSourceKind.CIDR ? r.source.cidr : r.source.kind}`)).toEqual([
      'tcp-80 198.51.100.0/24', 'tcp-80 203.0.113.0/25', 'tcp-443 198.51.100.0/24', 'tcp-443 203.0.113.0/25',
    ]);
  });
});

describe('Monsieur Déguisement: X-Forwarded-Proto from the entries only', () => {
  test('given Octavia entries, then the front-ends believe it from the amphorae\'s DHCP pool only, and the HTTP listeners replace a client\'s', () => {
    const { stack, json } = build();
    expect(stack.frontends.forwardedProtoSources).toEqual(['10.30.1.128/25']);
    const conf = apacheConf(stack);
    expect(conf.content).toContain(`<If "%{CONN_REMOTE_ADDR} -ipmatch '10.30.1.128/25'">\n    SetEnvIf X-Forwarded-Proto "^https$" HTTPS=on\n</If>`);
    const r = checkHostFile(conf)!;
    expect(r.output).toContain('Syntax OK');
    expect(r.ok).toBe(true);
    for (const listener of Object.values(json.resource.openstack_lb_listener_v2 as Json) as Json[]) {
      expect(listener.insert_headers['X-Forwarded-Proto']).toBe('true');
    }
  });

  test('given haproxy entries, then the front-ends believe it from the haproxy nodes only', () => {
    const { stack } = build({ entries: MdEntries.haproxyPairs() });
    const nodes = stack.entrances.entrances.flatMap((e) => (e.balancer as unknown as { nodes: { addresses: string[] } }).nodes.addresses);
    expect(nodes).toHaveLength(2 * stack.entrances.countries.length);
    expect(stack.frontends.forwardedProtoSources).toEqual(nodes);
    expect(apacheConf(stack).content).toContain(nodes.map((a) => `%{CONN_REMOTE_ADDR} -ipmatch '${a}'`).join(' || '));
  });
});

describe('Monsieur Déguisement: the entries choice', () => {
  test('given haproxy pairs with an admin network, then SSH to their nodes comes from it and nothing of Octavia is made', () => {
    const { json } = build({ entries: MdEntries.haproxyPairs({ adminCidr: '198.51.100.0/24' }) });
    expect(Object.keys((json.resource as Record<string, unknown>).openstack_lb_loadbalancer_v2 ?? {})).toEqual([]);
    const rules = Object.values((json.resource as Record<string, Record<string, { port_range_min?: number; remote_ip_prefix?: string }>>).openstack_networking_secgroup_rule_v2);
    expect(rules.some((r) => r.port_range_min === 22 && r.remote_ip_prefix === '198.51.100.0/24')).toBe(true);
  });

  test('given options that are not an object, then each factory says which options it has', () => {
    expect(() => MdEntries.octavia('small' as never)).toThrow("MdEntries.octavia: 'options' ('small') must be an object of options (flavorId)");
    expect(() => MdEntries.haproxyPairs({ adminCidr: '198.51.100.0/24', flavorId: 'x' } as never)).toThrow("MdEntries.haproxyPairs: 'options.flavorId' ('x') is not an option here; the options are adminCidr");
    expect(MdEntries.isMdEntries({ kind: 'octavia' })).toBe(false);
  });
});

describe('Monsieur Déguisement: the VPN gateway', () => {
  test('the floating IP is associated after the office vSwitch is on the router', () => {
    const { stack, json } = build();
    const association = (json.resource.openstack_networking_floatingip_associate_v2 as Json);
    const vpn = Object.entries(association).find(([id]) => id.startsWith('Vpn_'))![1] as Json;
    expect(vpn.depends_on).toEqual([`openstack_networking_router_interface_v2.${stack.getLogicalId(stack.vswitches.office.routerInterface)}`]);
  });
});

describe('Monsieur Déguisement: Solr from your own mirror', () => {
  test('given a mirror URL and its SHA-512, then the search server downloads it there and checks that sum', () => {
    const url = 'https://objects.example.net/releases/solr-9.6.1.tgz';
    const sha = 'cd'.repeat(64);
    const { stack } = build({ solrTarballUrl: url, solrSha512: sha });
    expect(stack.solr.downloadUrl).toBe(url);
    const install = stack.renderHostFiles().find((f) => f.host === 'search-1' && f.path === '/usr/local/sbin/solr-install.sh')!.content;
    expect(install).toContain(`'${url}'`);
    expect(install).toContain(`echo '${sha}  `);
  });
});

describe('Monsieur Déguisement: who applies the scaling hook\'s counts', () => {
  const hookConfig = (stack: MonsieurDeguisementStack) => stack.monitoring.hookConfig();

  test('by default the hook dispatches the stack\'s scaling workflow, whose repository and token are required variables', () => {
    const { stack, json } = build();
    // The repository is the variable's token here; it resolves at apply.
    expect(hookConfig(stack).dispatch!.url).toMatch(/^https:\/\/api\.github\.com\/repos\/\$\{TfToken\[TOKEN\.\d+\]\}\/actions\/workflows\/scaling-md\.yml\/dispatches$/);
    expect(json.variable.scaling_dispatch_token.sensitive).toBe(true);
    expect(json.variable.scaling_github_repository.default).toBeUndefined();
  });

  test('given CountApplier.onMonitoringServer(), then the hook runs the count-only apply there and no GitHub variable is asked', () => {
    const { stack, json } = build({ scalingApplier: CountApplier.onMonitoringServer() });
    const config = hookConfig(stack);
    expect(config.dispatch).toBeUndefined();
    expect(config.command).toEqual(['/usr/bin/python3', '/usr/local/lib/scaling-hook/count-apply.py', '/srv/terraform/md', '-var-file=scaling/hook.auto.tfvars.json']);
    expect(Object.keys(json.variable).filter((v) => v.startsWith('scaling_'))).toEqual([]);
  });
});
