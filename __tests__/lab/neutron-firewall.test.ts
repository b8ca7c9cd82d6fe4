/**
 * The per-port nftables rendering of Neutron's security groups and anti-spoofing: rule matches as
 * text, and every rendered ruleset accepted by `nft -c -f` (in a throwaway namespace).
 */
import { execFileSync, spawnSync } from 'child_process';
import { requireLabHost } from '../support/daemons';
import { remoteGroupAddresses, renderPortFirewall, renderRuleMatch } from '../../lib/lab/neutron-firewall';
import { renderRouterNat } from '../../lib/lab/network';
import type { LabStackModel } from '../../lib/lab/model';
import { group, groupKey, ingress, portKey, stackModel, SUBNET_CIDR } from './lab-fixtures';

const VIP = '10.77.1.100';

function model(): LabStackModel {
  return stackModel(
    [
      { name: 'app1', index: 1, groups: ['app'], pairs: [{ ipAddress: VIP }, { ipAddress: '10.77.1.128/28', macAddress: 'fa:16:3e:aa:bb:cc' }] },
      { name: 'db', index: 2, groups: ['db'] },
      { name: 'open', index: 3, portSecurity: false },
      { name: 'lonely', index: 4, groups: [] },
      { name: 'stateless', index: 5, groups: ['sl'] },
    ],
    [
      group('app', [ingress('http', { protocol: 'tcp', portRangeMin: 80, portRangeMax: 80, remoteIpPrefix: '0.0.0.0/0' })]),
      group('db', [
        ingress('mysql', { protocol: 'tcp', portRangeMin: 3306, portRangeMax: 3306, remoteGroupKey: groupKey('app') }),
        ingress('vrrp', { protocol: 'vrrp', remoteIpPrefix: SUBNET_CIDR }),
        ingress('ping', { protocol: 'icmp', portRangeMin: 8, portRangeMax: 0 }),
        ingress('udpRange', { protocol: 'udp', portRangeMin: 5000, portRangeMax: 5100 }),
        ingress('proto47', { protocol: '47' }),
        ingress('v6', { ethertype: 'IPv6', protocol: 'icmp', remoteIpPrefix: '::/0' }),
        ingress('fromEmpty', { protocol: 'tcp', remoteGroupKey: groupKey('nobody') }),
        { key: 'openstack_networking_secgroup_rule_v2.egressDns', direction: 'egress', ethertype: 'IPv4', protocol: 'udp', portRangeMin: 53, portRangeMax: 53, remoteIpPrefix: '10.0.0.0/8' },
      ], { defaultEgress: false }),
      group('nobody', []),
      group('sl', [ingress('slHttp', { protocol: 'tcp', portRangeMin: 80, portRangeMax: 80 })], { stateful: false }),
    ],
  );
}

const rule = (m: LabStackModel, key: string) => {
  for (const g of m.securityGroups) for (const r of g.rules) if (r.key.endsWith(`.${key}`)) return r;
  throw new Error(key);
};

describe('renderRuleMatch', () => {
  const m = model();
  test.each([
    ['http', 'meta nfproto ipv4 meta l4proto 6 th dport 80'],
    ['vrrp', `meta nfproto ipv4 ip saddr ${SUBNET_CIDR} meta l4proto 112`],
    ['ping', 'meta nfproto ipv4 meta l4proto 1 icmp type 8 icmp code 0'],
    ['udpRange', 'meta nfproto ipv4 meta l4proto 17 th dport 5000-5100'],
    ['proto47', 'meta nfproto ipv4 meta l4proto 47'],
    ['v6', 'meta nfproto ipv6 meta l4proto 58'],
    ['egressDns', 'meta nfproto ipv4 ip daddr 10.0.0.0/8 meta l4proto 17 th dport 53'],
  ])('rule %s renders %s', (key, expected) => {
    expect(renderRuleMatch(m, rule(m, key), 'p')).toBe(expected);
  });

  test('remote_group matches every fixed IP and every address pair of the group members', () => {
    expect(remoteGroupAddresses(m, groupKey('app'))).toEqual(['10.77.1.11', VIP, '10.77.1.128/28']);
    expect(renderRuleMatch(m, rule(m, 'mysql'), 'p')).toBe(`meta nfproto ipv4 ip saddr { 10.77.1.11, ${VIP}, 10.77.1.128/28 } meta l4proto 6 th dport 3306`);
  });

  test('a 0.0.0.0/0 address pair in the remote group makes it match any source', () => {
    const open = stackModel(
      [{ name: 'x', index: 1, groups: ['app'], pairs: [{ ipAddress: '0.0.0.0/0' }] }, { name: 'db', index: 2, groups: ['db'] }],
      [group('app', []), group('db', [ingress('mysql', { protocol: 'tcp', portRangeMin: 3306, portRangeMax: 3306, remoteGroupKey: groupKey('app') })])],
    );
    expect(renderRuleMatch(open, rule(open, 'mysql'), 'p')).toBe('meta nfproto ipv4 meta l4proto 6 th dport 3306');
  });

  test('a remote group without members matches nothing', () => {
    expect(renderRuleMatch(m, rule(m, 'fromEmpty'), 'p')).toBeUndefined();
  });

  test.each([
    [{ protocol: 'bogus' }, /'protocol' \(bogus\) is not a protocol name/],
    [{ protocol: 'tcp', portRangeMin: 90, portRangeMax: 80 }, /port range 90-80/],
    [{ protocol: 'vrrp', portRangeMin: 1, portRangeMax: 2 }, /a port range needs protocol tcp/],
    [{ portRangeMin: 1 }, /a port range needs a protocol/],
    [{ remoteIpPrefix: '::/0' }, /does not match ethertype IPv4/],
    [{ remoteGroupKey: 'nope' }, /'remote_group_id' \(nope\) is not a security group/],
  ])('rejects %p', (r, message) => {
    expect(() => renderRuleMatch(m, ingress('bad', r), 'port.X')).toThrow(message);
  });
});

describe('renderPortFirewall', () => {
  const m = model();

  test('anti-spoofing allows the port MAC with its fixed IP, and each address pair with its MAC', () => {
    const text = renderPortFirewall(m, portKey('app1'));
    expect(text).toContain('ether saddr fa:16:3e:00:00:11 ether type ip ip saddr 10.77.1.11 accept');
    expect(text).toContain(`ether saddr fa:16:3e:00:00:11 ether type ip ip saddr ${VIP} accept`);
    expect(text).toContain('ether saddr fa:16:3e:aa:bb:cc ether type arp arp htype 1 arp ptype ip arp saddr ether fa:16:3e:aa:bb:cc arp saddr ip 10.77.1.128/28 accept');
    expect(text).toMatch(/iifname "tap" meta mark set 1\n\s+iifname "qvb" meta mark set 2\n\s+iifname "tap" jump port_security/);
  });

  test('stateful groups accept established flows and drop conntrack-invalid ones; default egress allows all', () => {
    const text = renderPortFirewall(m, portKey('app1'));
    expect(text).toMatch(/chain ingress \{\n\s+ct state established,related accept\n\s+ct state invalid counter drop/);
    expect(text).toContain('meta nfproto ipv4 accept comment "openstack_networking_secgroup_v2.app default egress IPv4"');
  });

  test('without default egress only the written egress rules apply', () => {
    const text = renderPortFirewall(m, portKey('db'));
    expect(text).not.toContain('default egress');
    expect(text).toMatch(/chain egress \{[^}]*th dport 53 accept[^}]*counter drop comment "no egress rule"/);
  });

  test('port security off: marks only, no anti-spoofing, no security groups', () => {
    const text = renderPortFirewall(m, portKey('open'));
    expect(text).not.toContain('port_security');
    expect(text).not.toContain('table inet hs_port {');
  });

  test('stateless groups: no conntrack', () => {
    const text = renderPortFirewall(m, portKey('stateless'));
    expect(text).not.toContain('ct state');
    expect(text).toContain('th dport 80 accept');
  });

  test('a port with stateful and stateless groups is refused', () => {
    const mixed = stackModel([{ name: 'x', index: 1, groups: ['a', 'b'] }], [group('a', []), group('b', [], { stateful: false })]);
    expect(() => renderPortFirewall(mixed, portKey('x'))).toThrow(/stateful and stateless security groups on one port/);
  });

  test('security groups on a port with port security disabled are refused, as Neutron does', () => {
    const m2 = model();
    const bad = { ...m2, ports: m2.ports.map((p) => (p.key === portKey('open') ? { ...p, securityGroupKeys: [groupKey('app')] } : p)) };
    expect(() => renderPortFirewall(bad, portKey('open'))).toThrow(/security groups \(openstack_networking_secgroup_v2.app\) on a port with port security disabled/);
  });

  test('an unknown port or group is refused', () => {
    expect(() => renderPortFirewall(m, 'nope')).toThrow(/port nope is not in the stack/);
    const missing = stackModel([{ name: 'x', index: 1, groups: ['ghost'] }], []);
    expect(() => renderPortFirewall(missing, portKey('x'))).toThrow(/security group openstack_networking_secgroup_v2.ghost is not in the stack/);
  });
});

describe('nft -c accepts every rendered ruleset', () => {
  beforeAll(() => requireLabHost(['nft', 'ip']));
  const ns = `hs-u${process.pid % 1000}-chk`;
  beforeAll(() => {
    spawnSync('ip', ['netns', 'delete', ns]);
    execFileSync('ip', ['netns', 'add', ns]);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'delete', ns]);
  });
  const nftCheck = (text: string): { status: number | null; stderr: string } => {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-c', '-f', '-'], { input: text, timeout: 10_000, encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr };
  };

  test.each(['app1', 'db', 'open', 'lonely', 'stateless'])('port %s', (name) => {
    expect(nftCheck(renderPortFirewall(model(), portKey(name)))).toEqual({ status: 0, stderr: '' });
  });

  test('a router with floating IPs and SNAT', () => {
    const text = renderRouterNat({ floatingIps: [{ address: '198.18.0.50', fixedIp: '10.77.1.11' }], gatewayAddress: '198.18.0.3', internalCidrs: [SUBNET_CIDR], enableSnat: true });
    expect(text).toContain('ip daddr 198.18.0.50 dnat to 10.77.1.11');
    expect(text).toContain('ip saddr 10.77.1.11 oifname "qg-ext" snat to 198.18.0.50');
    expect(text).toContain(`ip saddr { ${SUBNET_CIDR} } oifname "qg-ext" snat to 198.18.0.3`);
    expect(text).toContain('meta mark != 2 ct status dnat snat to 198.18.0.3');
    expect(nftCheck(text)).toEqual({ status: 0, stderr: '' });
  });
});
