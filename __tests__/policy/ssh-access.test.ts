import { Peer, Port } from '../../lib';
import { DeploymentServer } from '../../lib/app/deployment-server';
import { OfficeVpn, VpnKind } from '../../lib/vpn/office-vpn';
import { SSH_ACCESS_RULE, SSH_ACCESS_RULE_ID } from '../../lib/policy/rules/ssh-access';
import { tierOf } from '../support/synth';
import { TEST_KEYS } from '../vpn/wireguard-keys';
import { cluster, findingsOf, zonedStack } from './fixtures';
import { runRule } from '../../lib/policy/policy-pack';

const ADMIN = '203.0.113.0/24';

function vpnOf(stack: ReturnType<typeof zonedStack>, kind = VpnKind.WIREGUARD): OfficeVpn {
  const peer = { name: 'madrid', allowedIps: ['192.168.10.0/24'], endpointAddress: '198.51.100.10', ...(kind === VpnKind.WIREGUARD ? { publicKey: TEST_KEYS.madrid } : {}) };
  return new OfficeVpn(stack.stack, 'Vpn', { vswitch: stack.admin, officeCidrs: ['192.168.10.0/24'], officePeers: [peer], kind });
}

describe('HS-SSH-1: SSH only from an admin or VPN network', () => {
  test('compliant: a jump host reached from the admin CIDR, the servers reached from the jump host', () => {
    // given
    const { stack, admin, app, data } = zonedStack();
    const jump = cluster(stack, 'Jump', admin);
    jump.connections.allowFrom(Peer.ipv4(ADMIN), Port.tcp(22));
    // when
    for (const c of [cluster(stack, 'Web', app, 2), cluster(stack, 'Db', data)]) c.connections.allowFrom(jump, Port.tcp(22));
    // then
    expect(runRule(SSH_ACCESS_RULE, stack)).toEqual([]);
  });

  test('compliant: the WireGuard gateway, a deployment VM reached only through it, and the tiers it deploys to', () => {
    const zoned = zonedStack();
    const vpn = vpnOf(zoned);
    const deployment = new DeploymentServer(zoned.stack, 'Deploy', { vswitch: zoned.admin, vpn });
    deployment.addTarget(tierOf(cluster(zoned.stack, 'Front', zoned.app, 2)));
    vpn.allowOfficesTo(cluster(zoned.stack, 'BackOffice', zoned.admin), Port.tcp(22));
    expect(findingsOf(zoned.stack, SSH_ACCESS_RULE_ID)).toEqual([]);
  });

  test('compliant: IPsec VPNaaS office CIDRs, and a jump host named by its /32 address', () => {
    const zoned = zonedStack();
    const vpn = vpnOf(zoned, VpnKind.IPSEC_VPNAAS);
    const jump = cluster(zoned.stack, 'Jump', zoned.dmz);
    vpn.allowOfficesTo(jump, Port.tcp(22));
    cluster(zoned.stack, 'Web', zoned.app).connections.allowFrom(Peer.ipv4(`${jump.instances[0].address}/32`), Port.tcp(22));
    expect(findingsOf(zoned.stack, SSH_ACCESS_RULE_ID)).toEqual([]);
  });

  test('non-compliant: SSH from the internet', () => {
    const { stack, app } = zonedStack();
    cluster(stack, 'Web', app).connections.allowFromInternet(Port.tcp(22), 'test');
    expect(findingsOf(stack, SSH_ACCESS_RULE_ID).map((f) => [f.constructPath, f.message])).toEqual([
      ['test/Web', expect.stringMatching(/^lets SSH in from the internet .*: the internet is not an admin network/)],
    ]);
  });

  test('non-compliant: a TCP range containing 22 counts as SSH', () => {
    const { stack, app } = zonedStack();
    cluster(stack, 'Web', app).connections.allowFromInternet(Port.tcpRange(1, 1024), 'test');
    expect(findingsOf(stack, SSH_ACCESS_RULE_ID)).toHaveLength(1);
  });

  test('non-compliant: SSH from a group that nothing administrative reaches (a web tier)', () => {
    const { stack, app, data } = zonedStack();
    const web = cluster(stack, 'Web', app);
    web.connections.allowFromInternet(Port.tcp(80), 'public site');
    cluster(stack, 'Db', data).connections.allowFrom(web, Port.tcp(22));
    expect(findingsOf(stack, SSH_ACCESS_RULE_ID).map((f) => f.message)).toEqual([
      expect.stringMatching(/^lets SSH in from the group of test\/Web: test\/Web is not an access point: no admin network, VPN or jump host reaches it by SSH/),
    ]);
  });

  test('non-compliant: SSH from a "jump host" that is itself open to the internet', () => {
    const { stack, admin, data } = zonedStack();
    const jump = cluster(stack, 'Jump', admin);
    jump.connections.allowFrom(Peer.ipv4(ADMIN), Port.tcp(22));
    jump.connections.allowFromInternet(Port.tcp(22), 'convenience');
    cluster(stack, 'Db', data).connections.allowFrom(jump, Port.tcp(22));
    const messages = findingsOf(stack, SSH_ACCESS_RULE_ID).map((f) => `${f.constructPath}: ${f.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^test\/Jump: lets SSH in from the internet/),
      expect.stringMatching(/^test\/Db: lets SSH in from the group of test\/Jump: test\/Jump is not an access point: it lets SSH in from the internet/),
    ]);
  });

  test('non-compliant: SSH from a group whose ports allow 0.0.0.0/0 (Neutron counts it as a member)', () => {
    const { stack, admin, app } = zonedStack();
    const director = cluster(stack, 'Director', admin);
    director.connections.allowFrom(Peer.ipv4(ADMIN), Port.tcp(22));
    director.instances[0].port.addAllowedAddressPair('0.0.0.0/0');
    cluster(stack, 'Web', app).connections.allowFrom(director, Port.tcp(22));
    expect(findingsOf(stack, SSH_ACCESS_RULE_ID).map((f) => f.message)).toEqual([expect.stringMatching(/allow the address pairs 0\.0\.0\.0\/0, which Neutron counts as members/)]);
  });

  test('non-compliant: SSH from a whole vSwitch of the stack (its DHCP pool and every host on it)', () => {
    const { stack, app, data } = zonedStack();
    cluster(stack, 'Db', data).connections.allowFrom(Peer.ipv4(app.cidr), Port.tcp(22));
    expect(findingsOf(stack, SSH_ACCESS_RULE_ID).map((f) => f.message)).toEqual([
      expect.stringMatching(/^lets SSH in from 10\.0\.1\.0\/24: 10\.0\.1\.0 in it is no planned address of an access point/),
    ]);
  });

  test('non-compliant: two groups that only let each other in are no access points', () => {
    const { stack, app } = zonedStack();
    const a = cluster(stack, 'A', app);
    const b = cluster(stack, 'B', app);
    a.connections.allowFrom(b, Port.tcp(22));
    b.connections.allowFrom(a, Port.tcp(22));
    expect(findingsOf(stack, SSH_ACCESS_RULE_ID).map((f) => f.message)).toEqual([
      expect.stringMatching(/test\/B is not an access point: .*cycle of groups/),
      expect.stringMatching(/test\/A is not an access point: .*cycle of groups/),
    ]);
  });

  test('compliant: a TCP range containing 22 from a jump host', () => {
    const { stack, admin, app } = zonedStack();
    const jump = cluster(stack, 'Jump', admin);
    jump.connections.allowFrom(Peer.ipv4(ADMIN), Port.tcp(22));
    const web = cluster(stack, 'Web', app);
    web.connections.allowFrom(jump, Port.tcpRange(20, 23));
    expect(findingsOf(stack, SSH_ACCESS_RULE_ID)).toEqual([]);
  });
});
