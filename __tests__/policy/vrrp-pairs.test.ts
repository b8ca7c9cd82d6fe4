import { ConfigSyntax, ExternalNetwork, Flavor, HealthCheck, Port, PrivateVSwitch, ServerCluster } from '../../lib';
import { renderKeepalivedConfig, VrrpState } from '../../lib/balancing/keepalived-config';
import { LvsBalancer } from '../../lib/balancing/lvs-balancer';
import { VrrpPair } from '../../lib/balancing/vrrp-pair';
import { KEEPALIVED_CONFIG_PATH, parseKeepalivedVrrp, VRRP_PAIRS_RULE, VRRP_PAIRS_RULE_ID } from '../../lib/policy/rules/vrrp-pairs';
import { findingsOf, zonedStack } from './fixtures';
import { runRule } from '../../lib/policy/policy-pack';
import { testStack, tierOf } from '../support/synth';

const ADMIN = '203.0.113.0/24';

function lvsStack() {
  const stack = testStack();
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  const lb = new LvsBalancer(stack, 'Lb', { vswitch, adminCidr: ADMIN });
  const web = new ServerCluster(stack, 'Web', { vswitch, count: 2, flavor: Flavor.named('b3-8') });
  lb.addTarget(tierOf(web), { port: 80, healthCheck: HealthCheck.http() });
  return { stack, lb };
}

/** A bare VrrpPair (no 0.0.0.0/0 pair, unlike LVS directors, so the VIP pair is what counts). */
function pairStack() {
  const stack = testStack();
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  return { stack, lb: new VrrpPair(stack, 'Lb', { vswitch, adminCidr: ADMIN }) };
}

/** Two servers with a hand-written keepalived.conf each (not a VrrpPair). */
function handMadePair() {
  const { stack, app } = zonedStack();
  const nodes = new ServerCluster(stack, 'Keepalived', { vswitch: app, count: 2, flavor: Flavor.named('b3-8') });
  const vip = app.allocateAddress(nodes);
  nodes.instances.forEach((host, i) => host.cloudConfig.addFile({
    path: KEEPALIVED_CONFIG_PATH,
    syntax: ConfigSyntax.KEEPALIVED,
    content: renderKeepalivedConfig({
      routerId: host.hostname,
      virtualServers: [],
      vrrpInstance: {
        name: 'VI_1', interface: 'eth0', state: VrrpState.BACKUP, priority: 100 + i, virtualRouterId: 51, advertIntervalSeconds: 1,
        unicastSrcIp: host.address, unicastPeers: nodes.addresses.filter((a) => a !== host.address), nopreempt: true, virtualIpAddresses: [`${vip}/32`], trackScripts: [],
      },
    }),
  }));
  return { stack, nodes, vip };
}

describe('HS-VRRP-1: VRRP between keepalived pairs, the VIP in allowed_address_pairs', () => {
  test('compliant: an LVS balancer (a VrrpPair) as built', () => {
    const { stack } = lvsStack();
    expect(runRule(VRRP_PAIRS_RULE, stack)).toEqual([]);
  });

  test('compliant: a bare VrrpPair as built', () => {
    const { stack } = pairStack();
    expect(runRule(VRRP_PAIRS_RULE, stack)).toEqual([]);
  });

  test('compliant: LVS direct-routing directors need no VIP address pair (port security off), their ruleset accepts VRRP from the peer', () => {
    const { stack, lb } = lvsStack();
    for (const host of lb.nodes.instances) {
      expect(host.port.portSecurityEnabled).toBe(false);
      expect(host.port.allowedAddressPairs).toEqual([]);
    }
    expect(findingsOf(stack, VRRP_PAIRS_RULE_ID)).toEqual([]);
  });

  test('non-compliant: an LVS direct-routing director whose ruleset does not accept VRRP from its peer', () => {
    const { stack, lb } = lvsStack();
    const host = lb.nodes.instances[0];
    // A ruleset edited after rendering (simulated on the rendered file): the VRRP rule names only the VIP.
    const file = host.cloudConfig.hostFiles.find((f) => f.path === '/etc/nftables.conf')!;
    const rendered = file.content;
    Object.defineProperty(file, 'content', { get: () => rendered.replace(/ip saddr \{ [^}]* \} ip protocol vrrp/, `ip saddr { ${lb.vipAddress} } ip protocol vrrp`) });
    expect(findingsOf(stack, VRRP_PAIRS_RULE_ID).map((f) => [f.constructPath, f.message])).toEqual([
      ['test/Lb/Nodes/Instance1', `the port of lb-1 has port security off, so its host firewall is its only filter, but its /etc/nftables.conf does not accept VRRP from ${lb.nodes.addresses[1]}; keepalived adverts would be dropped and both nodes would hold the VIP ${lb.vipAddress}`],
    ]);
  });

  test('non-compliant: a VrrpPair node whose port lost the VIP address pair', () => {
    const { stack, lb } = pairStack();
    // A construct that rebuilt the pairs list without the VIP (simulated on the live list).
    const pairs = lb.nodes.instances[1].port.allowedAddressPairs as string[];
    pairs.splice(pairs.indexOf(lb.vipAddress), 1);
    expect(findingsOf(stack, VRRP_PAIRS_RULE_ID).map((f) => [f.constructPath, f.message])).toEqual([
      ['test/Lb/Nodes/Instance2', `the port of lb-2 does not list the VIP ${lb.vipAddress} in allowed_address_pairs; Neutron would drop the master's packets from the VIP`],
    ]);
  });

  test('parses unicast peers and virtual addresses of a rendered keepalived.conf', () => {
    const { nodes, vip } = handMadePair();
    const conf = nodes.instances[0].cloudConfig.hostFiles.find((f) => f.path === KEEPALIVED_CONFIG_PATH)!.content;
    expect(parseKeepalivedVrrp(conf)).toEqual({ unicastPeers: [nodes.addresses[1]], virtualIpAddresses: [vip] });
  });

  test('non-compliant: keepalived outside a VrrpPair without VRRP rules or the VIP pair', () => {
    const { stack, nodes, vip } = handMadePair();
    const messages = findingsOf(stack, VRRP_PAIRS_RULE_ID).map((f) => `${f.constructPath}: ${f.message}`);
    expect(messages).toEqual([
      `test/Keepalived/Instance1: keepalived on keepalived-1 has the unicast peer ${nodes.addresses[1]}, but its connections do not let VRRP (IP protocol 112) in from it`,
      `test/Keepalived/Instance1: keepalived on keepalived-1 holds the VIP ${vip}, which is not in its port's allowed_address_pairs`,
      `test/Keepalived/Instance2: keepalived on keepalived-2 has the unicast peer ${nodes.addresses[0]}, but its connections do not let VRRP (IP protocol 112) in from it`,
      `test/Keepalived/Instance2: keepalived on keepalived-2 holds the VIP ${vip}, which is not in its port's allowed_address_pairs`,
    ]);
  });

  test('compliant: keepalived outside a VrrpPair with VRRP between the nodes and the VIP pair', () => {
    const { stack, nodes, vip } = handMadePair();
    nodes.connections.allowInternally(Port.vrrp());
    for (const host of nodes.instances) host.port.addAllowedAddressPair(vip);
    expect(findingsOf(stack, VRRP_PAIRS_RULE_ID)).toEqual([]);
  });
});
