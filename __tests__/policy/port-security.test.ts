import { ConfigSyntax, ExternalNetwork, Flavor, HealthCheck, LvsBalancer, LvsForwarding, Peer, Port, PrivateVSwitch, ServerCluster } from '../../lib';
import { PORT_SECURITY_RULE, PORT_SECURITY_RULE_ID } from '../../lib/policy/rules/port-security';
import { NftablesRule, nftablesRulesFromConnections, renderNftablesRuleset } from '../../lib/security/nftables-firewall';
import { testStack, tierOf } from '../support/synth';
import { findingsOf, zonedStack } from './fixtures';
import { runRule } from '../../lib/policy/policy-pack';

const ADMIN = '203.0.113.0/24';

function lvsStack(forwarding?: LvsForwarding) {
  const stack = testStack();
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  const lb = new LvsBalancer(stack, 'Lb', { vswitch, adminCidr: ADMIN, forwarding });
  const web = new ServerCluster(stack, 'Web', { vswitch, count: 2, flavor: Flavor.named('b3-8') });
  lb.addTarget(tierOf(web), { port: 80, healthCheck: HealthCheck.http() });
  return { stack, lb };
}

/** One server with port security off, SSH from the admin network declared, and the ruleset `firewall` gives (if any). */
function bareHost(firewall?: (declared: NftablesRule[]) => string, enable = true) {
  const { stack, app } = zonedStack();
  const server = new ServerCluster(stack, 'Bare', { vswitch: app, count: 1, flavor: Flavor.named('b3-8') });
  server.connections.allowFrom(Peer.ipv4(ADMIN), Port.tcp(22), 'SSH from the admin network');
  const host = server.instances[0];
  host.port.disablePortSecurity('test: a host firewall stands in');
  if (firewall) {
    host.cloudConfig.addLazyFile('/etc/nftables.conf', ConfigSyntax.NFTABLES, () => firewall(nftablesRulesFromConnections(server.connections)));
    if (enable) host.cloudConfig.addServices('nftables');
  }
  return { stack, host };
}

describe('HS-PORTSEC-1: a port without port security is filtered by its host firewall, which follows its Connections', () => {
  test('compliant: LVS direct-routing directors as built (port security off, the ruleset from their Connections)', () => {
    const { stack, lb } = lvsStack();
    expect(lb.nodes.instances.map((h) => h.port.portSecurityEnabled)).toEqual([false, false]);
    expect(runRule(PORT_SECURITY_RULE, stack)).toEqual([]);
  });

  test('compliant: LVS NAT directors (port security on: not concerned)', () => {
    const { stack, lb } = lvsStack(LvsForwarding.NAT);
    expect(lb.nodes.instances.map((h) => h.port.portSecurityEnabled)).toEqual([true, true]);
    expect(runRule(PORT_SECURITY_RULE, stack)).toEqual([]);
  });

  test('compliant: a host whose ruleset is rendered from its Connections', () => {
    const { stack } = bareHost((input) => renderNftablesRuleset({ hostname: 'bare-1', input }));
    expect(findingsOf(stack, PORT_SECURITY_RULE_ID)).toEqual([]);
  });

  test('non-compliant: port security off and no host firewall', () => {
    const { stack } = bareHost();
    expect(findingsOf(stack, PORT_SECURITY_RULE_ID).map((f) => `${f.constructPath}: ${f.message}`)).toEqual([
      "test/Bare/Instance1: the port 10.0.1.2 of bare-1 has port security off ('test: a host firewall stands in'), so only its host firewall filters it, but it renders no /etc/nftables.conf",
    ]);
  });

  test('non-compliant: a ruleset that is never loaded', () => {
    const { stack } = bareHost((input) => renderNftablesRuleset({ hostname: 'bare-1', input }), false);
    expect(findingsOf(stack, PORT_SECURITY_RULE_ID).map((f) => f.message)).toEqual([expect.stringMatching(/but it does not enable nftables\.service, so \/etc\/nftables\.conf is never loaded$/)]);
  });

  test('non-compliant: a ruleset whose input chain accepts by default', () => {
    const { stack } = bareHost((input) => renderNftablesRuleset({ hostname: 'bare-1', input }).replace('hook input priority filter; policy drop;', 'hook input priority filter; policy accept;'));
    expect(findingsOf(stack, PORT_SECURITY_RULE_ID).map((f) => f.message)).toEqual([expect.stringMatching(/but the input chain of its \/etc\/nftables\.conf does not drop by default$/)]);
  });

  test('non-compliant: a ruleset accepting what the Connections do not declare (SSH from anywhere), which HS-SSH-1 would not see', () => {
    const { stack } = bareHost((input) => renderNftablesRuleset({ hostname: 'bare-1', input: [...input, { port: Port.tcp(22), comment: 'SSH for everyone' }] }));
    expect(findingsOf(stack, PORT_SECURITY_RULE_ID).map((f) => f.message)).toEqual([
      expect.stringMatching(/accepts what its Connections do not declare \(tcp dport 22 accept comment "SSH for everyone"\), which no policy rule sees$/),
    ]);
    expect(findingsOf(stack, 'HS-SSH-1')).toEqual([]);
  });
});
