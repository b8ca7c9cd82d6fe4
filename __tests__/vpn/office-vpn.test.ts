import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import {
  Connections,
  ExternalNetwork,
  Flavor,
  HostingStack,
  Port,
  PrivateVSwitch,
  Router,
} from '../../lib';
import { checkProviderSchema, checkTerraformTemplates, loadOpenstackProviderSchema } from '../../lib/testing';
import { OfficePeer, OfficeVpn, OfficeVpnProps, VpnKind } from '../../lib/vpn/office-vpn';
import { checkHostFile } from '../support/config-checks';
import { resourcesOf, synthJson, testStack } from '../support/synth';
import { TEST_KEYS } from './wireguard-keys';
import { TrafficSource, TrafficSourceKind } from '../../lib/core/connections';

const MADRID: OfficePeer = { name: 'madrid', publicKey: TEST_KEYS.madrid, endpointAddress: '198.51.100.10', allowedIps: ['192.168.10.0/24'] };
const VALENCIA: OfficePeer = { name: 'valencia', publicKey: TEST_KEYS.valencia, endpointAddress: '198.51.100.20', allowedIps: ['192.168.20.0/24'] };
const OFFICE_CIDRS = ['192.168.10.0/24', '192.168.20.0/24'];

function network(stack: HostingStack = testStack(), external = true) {
  const router = new Router(stack, 'Router', external ? { externalNetwork: ExternalNetwork.ovh() } : {});
  const back = new PrivateVSwitch(stack, 'BackNet', { cidr: '10.20.0.0/24', router });
  const front = new PrivateVSwitch(stack, 'FrontNet', { cidr: '10.10.0.0/24', router });
  return { stack, router, back, front };
}

/** A target with planned addresses on `vswitch`. */
function target(scope: Construct, id: string, vswitch: PrivateVSwitch, count = 1) {
  const owner = new Construct(scope, id);
  const connections = new Connections(owner, 'Connections');
  for (let i = 0; i < count; i++) connections.addMemberAddress(vswitch.allocateAddress(owner));
  return { connections };
}

function wireguard(overrides: Partial<OfficeVpnProps> = {}) {
  const net = network();
  const vpn = new OfficeVpn(net.stack, 'Vpn', { vswitch: net.back, officeCidrs: OFFICE_CIDRS, officePeers: [MADRID, VALENCIA], ...overrides });
  return { ...net, vpn };
}

function ipsec(overrides: Partial<OfficeVpnProps> = {}) {
  const net = network();
  const peers = [MADRID, VALENCIA].map(({ publicKey: _key, ...p }) => p);
  const vpn = new OfficeVpn(net.stack, 'Vpn', { vswitch: net.back, officeCidrs: OFFICE_CIDRS, officePeers: peers, kind: VpnKind.IPSEC_VPNAAS, ...overrides });
  return { ...net, vpn };
}

function gatewayFile(stack: HostingStack, path: string) {
  const file = stack.renderHostFiles().find((f) => f.host === 'vpn-gateway-1' && f.path === path);
  if (!file) throw new Error(`no ${path} on the gateway`);
  return file;
}

describe('OfficeVpn validation', () => {
  const build = (props: Partial<OfficeVpnProps>, kind = VpnKind.WIREGUARD) => () => (kind === VpnKind.WIREGUARD ? wireguard(props) : ipsec(props));

  test('given no office CIDR, when built, then it throws', () => {
    expect(build({ officeCidrs: [] })).toThrow(/Vpn: 'officeCidrs' \(\[\]\) must list at least one office CIDR/);
  });

  test('given a CIDR with host bits or not a CIDR, when built, then it throws', () => {
    expect(build({ officeCidrs: ['192.168.10.5/24', '192.168.20.0/24'] })).toThrow(/'officeCidrs' \('192.168.10.5\/24'\) must be an IPv4 CIDR/);
    expect(build({ officeCidrs: ['madrid'] })).toThrow(/'officeCidrs' \('madrid'\) must be an IPv4 CIDR/);
  });

  test('given 0.0.0.0/0, when built, then it throws', () => {
    expect(build({ officeCidrs: ['0.0.0.0/0'] })).toThrow(/'officeCidrs' \('0.0.0.0\/0'\) is the whole internet/);
  });

  test('given duplicate or overlapping office CIDRs, when built, then it throws', () => {
    expect(build({ officeCidrs: ['192.168.10.0/24', '192.168.10.0/24'] })).toThrow(/'officeCidrs' \('192.168.10.0\/24'\) appears more than once/);
    expect(build({ officeCidrs: ['192.168.0.0/16', '192.168.20.0/24'] })).toThrow(/'officeCidrs' \('192.168.20.0\/24'\) overlaps 192.168.0.0\/16/);
  });

  test('given an office CIDR overlapping a vSwitch of the stack, when built, then it throws', () => {
    expect(build({ officeCidrs: [...OFFICE_CIDRS, '10.10.0.0/16'] })).toThrow(/'officeCidrs' \('10.10.0.0\/16'\) overlaps 10.10.0.0\/24 of test\/FrontNet/);
  });

  test('given a vSwitch declared after the VPN that overlaps an office CIDR, when validated, then the VPN reports it', () => {
    const { stack, vpn } = wireguard();
    new PrivateVSwitch(stack, 'LateNet', { cidr: '192.168.20.0/24' });
    expect(vpn.node.validate()).toEqual([expect.stringMatching(/test\/Vpn: 'officeCidrs' \('192.168.20.0\/24'\) overlaps 192.168.20.0\/24 of test\/LateNet/)]);
  });

  test('given no office peer, when built, then it throws', () => {
    expect(build({ officePeers: [] })).toThrow(/'officePeers' \(\[\]\) must list at least one office peer/);
  });

  test('given two peers with one name or one key, when built, then it throws', () => {
    expect(build({ officePeers: [MADRID, { ...VALENCIA, name: 'madrid' }] })).toThrow(/'officePeers' \('madrid'\) appears more than once/);
    expect(build({ officePeers: [MADRID, { ...VALENCIA, publicKey: MADRID.publicKey }] })).toThrow(/'officePeers' \('fVnt.*'\) appears more than once/);
  });

  test('given a bad peer name, when built, then it throws', () => {
    expect(build({ officePeers: [{ ...MADRID, name: 'Madrid HQ' }, VALENCIA] })).toThrow(/'officePeers\[0\].name' \('Madrid HQ'\) must be lower-case letters/);
  });

  test('given a missing or malformed WireGuard public key, when built, then it throws', () => {
    expect(build({ officePeers: [{ ...MADRID, publicKey: undefined }, VALENCIA] })).toThrow(/'officePeers\[0\].publicKey' \(undefined\) must be a WireGuard public key/);
    expect(build({ officePeers: [MADRID, { ...VALENCIA, publicKey: 'abc=' }] })).toThrow(/'officePeers\[1\].publicKey' \('abc='\) must be a WireGuard public key/);
    expect(build({ officePeers: [MADRID, { ...VALENCIA, publicKey: TEST_KEYS.valencia.slice(0, 43) }] })).toThrow(/must be a WireGuard public key/);
  });

  test('given a bad public address, when built, then it throws', () => {
    expect(build({ officePeers: [MADRID, { ...VALENCIA, endpointAddress: '198.51.100.300' }] })).toThrow(/'officePeers\[1\].endpointAddress' \('198.51.100.300'\) must be an IPv4 address/);
  });

  test('given allowed IPs outside the office CIDRs, overlapping another peer, or empty, when built, then it throws', () => {
    expect(build({ officePeers: [MADRID, { ...VALENCIA, allowedIps: ['192.168.30.0/24'] }] })).toThrow(/'officePeers\[1\].allowedIps' \('192.168.30.0\/24'\) must lie inside one of 'officeCidrs'/);
    expect(build({ officePeers: [MADRID, { ...VALENCIA, allowedIps: ['192.168.20.0/24', '192.168.10.128/25'] }] }))
      .toThrow(/'officePeers\[1\].allowedIps' \('192.168.10.128\/25'\) overlaps 192.168.10.0\/24 of peer 'madrid'/);
    expect(build({ officePeers: [MADRID, { ...VALENCIA, allowedIps: [] }] })).toThrow(/'officePeers\[1\].allowedIps' \(\[\]\) must list the office CIDRs/);
  });

  test('given an office CIDR that no peer routes, when built, then it throws', () => {
    expect(build({ officePeers: [MADRID] })).toThrow(/'officeCidrs' \('192.168.20.0\/24'\) is routed to no peer/);
  });

  test('given a bad, overlapping or too small tunnel pool, when built, then it throws', () => {
    expect(build({ tunnelPool: '10.99.0.1/24' })).toThrow(/'tunnelPool' \('10.99.0.1\/24'\) must be an IPv4 CIDR/);
    expect(build({ tunnelPool: '192.168.10.0/28' })).toThrow(/'tunnelPool' \('192.168.10.0\/28'\) overlaps the office CIDR 192.168.10.0\/24/);
    expect(build({ tunnelPool: '10.20.0.0/26' })).toThrow(/'tunnelPool' \('10.20.0.0\/26'\) overlaps 10.20.0.0\/24 of test\/BackNet/);
    expect(build({ tunnelPool: '10.99.0.0/30' })).toThrow(/'tunnelPool' \('10.99.0.0\/30'\) must have a prefix length from \/16 to \/29/);
  });

  test('given a listen port out of range, when built, then it throws', () => {
    expect(build({ listenPort: 0 })).toThrow(/Vpn: 'listenPort' \(0\) must be an integer from 1 to 65535/);
  });

  test('given a vSwitch whose router has no external gateway, when built, then it throws', () => {
    const { stack, back } = network(testStack(), false);
    expect(() => new OfficeVpn(stack, 'Vpn', { vswitch: back, officeCidrs: OFFICE_CIDRS, officePeers: [MADRID, VALENCIA] }))
      .toThrow(/'vswitch' \('test\/BackNet'\) has a router without an external gateway/);
  });

  test('given an IPsec VPN with a public key, without a peer address, or with WireGuard-only props, when built, then it throws', () => {
    expect(build({ officePeers: [MADRID, { ...VALENCIA, publicKey: undefined }] }, VpnKind.IPSEC_VPNAAS)).toThrow(/'officePeers\[0\].publicKey' \('fVnt.*'\) is only used with VpnKind.WIREGUARD/);
    const noAddress = [{ name: 'madrid', allowedIps: ['192.168.10.0/24'] }, { name: 'valencia', allowedIps: ['192.168.20.0/24'], endpointAddress: '198.51.100.20' }];
    expect(build({ officePeers: noAddress }, VpnKind.IPSEC_VPNAAS)).toThrow(/'officePeers\[0\].endpointAddress' \(undefined\) is required with VpnKind.IPSEC_VPNAAS/);
    expect(build({ listenPort: 51821 }, VpnKind.IPSEC_VPNAAS)).toThrow(/'listenPort' \(51821\) is only used with VpnKind.WIREGUARD/);
    expect(build({ tunnelPool: '10.98.0.0/24' }, VpnKind.IPSEC_VPNAAS)).toThrow(/'tunnelPool' \('10.98.0.0\/24'\) is only used with VpnKind.WIREGUARD/);
    expect(build({ gatewayFlavor: Flavor.named('b3-8') }, VpnKind.IPSEC_VPNAAS)).toThrow(/'gatewayFlavor' \('given'\) is only used with VpnKind.WIREGUARD/);
  });

  test('given a target without address or on a network of another router, when offices are allowed to it, then it throws', () => {
    const { stack, vpn } = wireguard();
    const bare = { connections: new Connections(new Construct(stack, 'Bare'), 'Connections') };
    expect(() => vpn.allowOfficesTo(bare, Port.tcp(80))).toThrow(/'target' \('test\/Bare'\) has no planned address/);
    const other = new PrivateVSwitch(stack, 'OtherNet', { cidr: '10.30.0.0/24' });
    expect(() => vpn.allowOfficesTo(target(stack, 'Far', other), Port.tcp(80))).toThrow(/'target' \('test\/Far'\) has the address 10.30.0.2, which is not on a vSwitch of the router/);
  });
});

describe('OfficeVpn with WireGuard (default)', () => {
  test('given the defaults, when built, then the kind, tunnel addresses and port are resolved', () => {
    const { vpn } = wireguard();
    expect(vpn.kind).toBe(VpnKind.WIREGUARD);
    expect(vpn.listenPort).toBe(51820);
    expect(vpn.tunnelPool).toBe('10.99.0.0/24');
    expect(vpn.gatewayTunnelAddress).toBe('10.99.0.1/24');
    expect(vpn.officePeers.map((p) => p.tunnelAddress)).toEqual(['10.99.0.2/32', '10.99.0.3/32']);
    expect(vpn.gateway!.instances).toHaveLength(1);
    expect(vpn.gateway!.stateful).toBe(false);
  });

  test('given a gateway, when synthesized, then a floating IP from the external network is associated with its port', () => {
    const { stack } = wireguard();
    const json = synthJson(stack);
    const [fip] = resourcesOf(json, 'openstack_networking_floatingip_v2');
    expect(fip.pool).toBe('Ext-Net');
    const [assoc] = resourcesOf(json, 'openstack_networking_floatingip_associate_v2');
    expect(assoc.floating_ip).toMatch(/^\$\{openstack_networking_floatingip_v2\.Vpn_FloatingIp_[A-Z0-9]+\.address\}$/);
    expect(assoc.port_id).toMatch(/^\$\{openstack_networking_port_v2\.Vpn_Gateway_Instance1_Port_[A-Z0-9]+\.id\}$/);
  });

  test('given a gateway, when synthesized, then the floating IP is associated only after the vSwitch is on the router', () => {
    // Given: the WireGuard gateway on BackNet
    const { stack } = wireguard();
    // When
    const [assoc] = resourcesOf(synthJson(stack), 'openstack_networking_floatingip_associate_v2');
    // Then: Neutron refuses the association before the subnet's router interface exists
    expect(assoc.depends_on).toEqual([expect.stringMatching(/^openstack_networking_router_interface_v2\.BackNet_RouterInterface_[A-Z0-9]+$/)]);
  });

  test('given offices with known public addresses, when synthesized, then UDP 51820 is open from those addresses only', () => {
    const { stack, vpn } = wireguard();
    const rules = vpn.connections!.ingressRules;
    expect(rules.map((r) => [r.port.label, r.source])).toEqual([
      ['udp-51820', TrafficSource.cidr('198.51.100.10/32')],
      ['udp-51820', TrafficSource.cidr('198.51.100.20/32')],
    ]);
    const json = synthJson(stack);
    const prefixes = resourcesOf(json, 'openstack_networking_secgroup_rule_v2').filter((r) => r.protocol === 'udp').map((r) => r.remote_ip_prefix);
    expect(prefixes.sort()).toEqual(['198.51.100.10/32', '198.51.100.20/32']);
  });

  test('given an office without a known public address, when built, then the port is open to the internet with the reason', () => {
    const { vpn } = wireguard({ officePeers: [MADRID, { ...VALENCIA, endpointAddress: undefined }] });
    const internet = vpn.connections!.ingressRules.filter((r) => r.source.kind === TrafficSourceKind.INTERNET);
    expect(internet).toHaveLength(1);
    expect(internet[0].port.label).toBe('udp-51820');
    expect(internet[0].description).toMatch(/valencia.*WireGuard answers only peers holding a listed key/);
  });

  test('given the gateway, when its files are rendered, then wg0.conf is 0600, names the key by variable and lists every peer', () => {
    const { stack, vpn } = wireguard();
    const host = vpn.gateway!.instances[0];
    const file = host.cloudConfig.hostFiles.find((f) => f.path === '/etc/wireguard/wg0.conf')!;
    expect(file.permissions).toBe('0600');
    const review = gatewayFile(stack, '/etc/wireguard/wg0.conf').content;
    expect(review).toMatch(/^PrivateKey = \$\{var\.wireguard_private_key\}$/m);
    expect(review).toMatch(/^Address = 10\.99\.0\.1\/24$/m);
    expect(review).toMatch(/^ListenPort = 51820$/m);
    expect(review).toContain(`PublicKey = ${TEST_KEYS.madrid}\nAllowedIPs = 192.168.10.0/24, 10.99.0.2/32`);
    expect(review).toContain(`PublicKey = ${TEST_KEYS.valencia}\nAllowedIPs = 192.168.20.0/24, 10.99.0.3/32`);
    const json = synthJson(stack);
    expect(json.variable.wireguard_private_key).toMatchObject({ sensitive: true, type: 'string' });
    expect(JSON.stringify(json)).not.toContain(TEST_KEYS.gatewayPrivate);
    expect(host.cloudConfig.services).toEqual(['hosting-stacks-metadata-guard.service', 'nftables', 'wg-quick@wg0']);
    expect(host.cloudConfig.packages).toEqual(expect.arrayContaining(['wireguard-tools', 'nftables']));
  });

  test('given a flow to a target, when allowed, then the target allows only the gateway and the gateway forwards the offices to its addresses', () => {
    const { stack, vpn, front } = wireguard();
    const admin = target(stack, 'Admin', front, 2);
    const rules = vpn.allowOfficesTo(admin, Port.tcp(443));
    expect(rules).toHaveLength(1);
    expect(admin.connections.ingressRules.map((r) => r.source)).toEqual([TrafficSource.group(vpn.connections!)]);
    const ruleset = gatewayFile(stack, '/etc/nftables.conf').content;
    expect(ruleset).toContain('ip saddr { 192.168.10.0/24, 192.168.20.0/24, 10.99.0.0/24 } ip daddr { 10.10.0.2, 10.10.0.3 } tcp dport 443 accept');
    expect(ruleset).toContain('ip saddr { 198.51.100.10/32 } udp dport 51820 accept');
    expect(ruleset).toContain('ip saddr { 192.168.10.0/24, 192.168.20.0/24, 10.99.0.0/24 } oifname != "wg0" masquerade');
    expect(vpn.flows.map((f) => f.port.label)).toEqual(['tcp-443']);
  });

  test('given the gateway files, when checked by the real tools, then wg, nft and sysctl accept them', () => {
    const { stack, vpn, back } = wireguard();
    vpn.allowOfficesTo(target(stack, 'Admin', back), Port.tcp(80));
    const files = stack.renderHostFiles().filter((f) => f.host === 'vpn-gateway-1' && f.syntax !== undefined);
    expect(files.map((f) => f.path)).toEqual([
      '/etc/hosting-stacks/metadata-guard.nft', '/etc/nftables.conf', '/etc/sysctl.d/60-wireguard-gateway.conf', '/etc/systemd/system/hosting-stacks-metadata-guard.service', '/etc/wireguard/wg0.conf',
    ]);
    for (const file of files) {
      const r = checkHostFile(file)!;
      expect(`${file.path}: ${r.ok ? 'ok' : r.output}`).toBe(`${file.path}: ok`);
    }
  });

  test('given the stack, when synthesized, then it conforms to the provider schema and every Terraform string resolves', () => {
    const { stack, vpn, back } = wireguard();
    vpn.allowOfficesTo(target(stack, 'Admin', back), Port.tcp(80));
    const json = JSON.parse(Testing.synth(stack));
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
    expect(stack.node.findAll().flatMap((c) => c.node.validate())).toEqual([]);
  });
});

describe('OfficeVpn with IPsec VPNaaS', () => {
  test('given two offices, when synthesized, then strong IKEv2 and ESP policies, the service on the router and one connection per office are linked', () => {
    const { stack } = ipsec();
    const json = synthJson(stack);
    const [ike] = resourcesOf(json, 'openstack_vpnaas_ike_policy_v2');
    expect(ike).toMatchObject({ ike_version: 'v2', encryption_algorithm: 'aes-256', auth_algorithm: 'sha256', pfs: 'group14', lifetime: [{ units: 'seconds', value: 3600 }] });
    const [esp] = resourcesOf(json, 'openstack_vpnaas_ipsec_policy_v2');
    expect(esp).toMatchObject({ transform_protocol: 'esp', encapsulation_mode: 'tunnel', encryption_algorithm: 'aes-256', auth_algorithm: 'sha256', pfs: 'group14' });
    const [service] = resourcesOf(json, 'openstack_vpnaas_service_v2');
    expect(service.router_id).toMatch(/^\$\{openstack_networking_router_v2\.Router_[A-Z0-9]+\.id\}$/);
    expect(service.subnet_id).toBeUndefined();
    const groups = resourcesOf(json, 'openstack_vpnaas_endpoint_group_v2');
    expect(groups.map((g) => [g.type, g.endpoints])).toEqual([
      ['subnet', [expect.stringMatching(/^\$\{openstack_networking_subnet_v2\.BackNet_Subnet_[A-Z0-9]+\.id\}$/)]],
      ['cidr', ['192.168.10.0/24']],
      ['cidr', ['192.168.20.0/24']],
    ]);
    const connections = resourcesOf(json, 'openstack_vpnaas_site_connection_v2');
    expect(connections.map((c) => [c.peer_address, c.peer_id, c.psk])).toEqual([
      ['198.51.100.10', '198.51.100.10', '${var.vpn_psk}'],
      ['198.51.100.20', '198.51.100.20', '${var.vpn_psk}'],
    ]);
    for (const c of connections) {
      expect(c.vpnservice_id).toMatch(/^\$\{openstack_vpnaas_service_v2\.Vpn_[A-Z0-9]+\.id\}$/);
      expect(c.ikepolicy_id).toMatch(/^\$\{openstack_vpnaas_ike_policy_v2\.Vpn_IkePolicy_[A-Z0-9]+\.id\}$/);
      expect(c.ipsecpolicy_id).toMatch(/^\$\{openstack_vpnaas_ipsec_policy_v2\.Vpn_IpsecPolicy_[A-Z0-9]+\.id\}$/);
      expect(c.local_ep_group_id).toMatch(/^\$\{openstack_vpnaas_endpoint_group_v2\.Vpn_LocalEndpoints_[A-Z0-9]+\.id\}$/);
      expect(c.dpd).toEqual([{ action: 'restart', interval: 30, timeout: 120 }]);
    }
    expect(connections[0].peer_ep_group_id).toMatch(/Vpn_PeerEndpoints-madrid_[A-Z0-9]+\.id/);
    expect(connections[1].peer_ep_group_id).toMatch(/Vpn_PeerEndpoints-valencia_[A-Z0-9]+\.id/);
    expect(json.variable.vpn_psk).toMatchObject({ sensitive: true });
    expect(resourcesOf(json, 'openstack_compute_instance_v2')).toEqual([]);
    expect(resourcesOf(json, 'openstack_networking_floatingip_v2')).toEqual([]);
  });

  test('given a flow to a target on another vSwitch of the router, when allowed, then the target allows each office CIDR and its subnet joins the local endpoints', () => {
    const { stack, vpn, front } = ipsec();
    const admin = target(stack, 'Admin', front);
    vpn.allowOfficesTo(admin, Port.tcp(443));
    expect(admin.connections.ingressRules.map((r) => [r.port.label, r.source])).toEqual([
      ['tcp-443', TrafficSource.cidr('192.168.10.0/24')],
      ['tcp-443', TrafficSource.cidr('192.168.20.0/24')],
    ]);
    const [local] = resourcesOf(synthJson(stack), 'openstack_vpnaas_endpoint_group_v2');
    expect(local.endpoints).toEqual([expect.stringMatching(/BackNet_Subnet/), expect.stringMatching(/FrontNet_Subnet/)]);
    expect(vpn.connections).toBeUndefined();
  });

  test('given the stack, when synthesized, then it conforms to the provider schema and every Terraform string resolves', () => {
    const { stack, vpn, back } = ipsec();
    vpn.allowOfficesTo(target(stack, 'Admin', back), Port.tcp(80));
    const json = JSON.parse(Testing.synth(stack));
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
  });
});
