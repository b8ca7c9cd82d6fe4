import { Construct } from 'constructs';
import { Connections, Peer, Port } from '../../lib';
import { nftablesModelFromConnections, nftablesRulesFromConnections, nftComment, renderNftablesRuleset } from '../../lib/security/nftables-firewall';
import { checkNftables } from '../support/daemons';
import { testStack } from '../support/synth';

function chain(ruleset: string, name: string): string[] {
  const lines = ruleset.split('\n').map((l) => l.trim());
  const start = lines.indexOf(`chain ${name} {`);
  const end = lines.indexOf('}', start);
  return lines.slice(start + 1, end);
}

function twoGroups() {
  const stack = testStack();
  const own = new Connections(new Construct(stack, 'Lb'), 'Connections');
  const admin = new Connections(new Construct(stack, 'Monitor'), 'Connections');
  own.addMemberAddress('10.0.1.2');
  own.addMemberAddress('10.0.1.3');
  admin.addMemberAddress('10.0.1.9');
  return { own, admin };
}

describe('renderNftablesRuleset', () => {
  test('given rules, when rendered, then input and forward drop by default and output accepts', () => {
    const ruleset = renderNftablesRuleset({ hostname: 'lb-1', input: [] });
    expect(chain(ruleset, 'input')).toEqual([
      'type filter hook input priority filter; policy drop;', 'ct state established,related accept', 'iif "lo" accept', 'ip protocol icmp accept', 'meta l4proto ipv6-icmp accept',
    ]);
    expect(chain(ruleset, 'forward')).toEqual(['type filter hook forward priority filter; policy drop;', 'ct state established,related accept']);
    expect(chain(ruleset, 'output')).toEqual(['type filter hook output priority filter; policy accept;']);
    expect(ruleset).toMatch(/^flush ruleset$/m);
  });

  test('given sources, destinations, ranges, source ports and protocols without ports, when rendered, then each is one rule', () => {
    const ruleset = renderNftablesRuleset({
      hostname: 'lb-1',
      input: [
        { port: Port.vrrp(), sources: ['10.0.1.2', '10.0.1.3'], comment: 'vrrp' },
        { port: Port.tcpRange(8000, 8010), sources: ['203.0.113.0/24'], comment: 'range' },
        { port: Port.udp(51820), comment: 'any source' },
      ],
      forward: [{ port: Port.tcp(80), matchSourcePort: true, sources: ['10.0.1.20'], destinations: ['0.0.0.0/0'], comment: 'replies' }],
    });
    expect(chain(ruleset, 'input').slice(5)).toEqual([
      'ip saddr { 10.0.1.2, 10.0.1.3 } ip protocol vrrp accept comment "vrrp"',
      'ip saddr { 203.0.113.0/24 } tcp dport 8000-8010 accept comment "range"',
      'udp dport 51820 accept comment "any source"',
    ]);
    expect(chain(ruleset, 'forward')[2]).toBe('ip saddr { 10.0.1.20 } ip daddr { 0.0.0.0/0 } tcp sport 80 accept comment "replies"');
    expect(checkNftables(ruleset).ok).toBe(true);
  });

  test('given a comment with quotes and over 128 bytes, when rendered, then nft still accepts it', () => {
    const comment = `"${'x'.repeat(200)}"`;
    expect(nftComment(comment)).toHaveLength(128);
    expect(nftComment(comment)).not.toContain('"');
    const r = checkNftables(renderNftablesRuleset({ hostname: 'h', input: [{ port: Port.tcp(80), comment }] }));
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given a broken rule, when checked by nft -c, then it fails (the check is real)', () => {
    const ruleset = renderNftablesRuleset({ hostname: 'h', input: [{ port: Port.tcp(80), sources: ['10.0.1.300'], comment: 'bad' }] });
    expect(checkNftables(ruleset).ok).toBe(false);
  });
});

describe('nftablesRulesFromConnections', () => {
  test('given group, CIDR and internet rules, when derived, then groups become their members addresses', () => {
    const { own, admin } = twoGroups();
    own.allowInternally(Port.vrrp(), 'vrrp peers');
    own.allowFrom(Peer.ipv4('203.0.113.0/24'), Port.tcp(22), 'ssh');
    own.allowFrom({ connections: admin }, Port.tcp(9100), 'metrics');
    own.allowFromInternet(Port.tcp(80), 'VIP');
    const rules = nftablesRulesFromConnections(own);
    expect(rules.map((r) => [r.port.label, r.sources, r.comment])).toEqual([
      ['vrrp', ['10.0.1.2', '10.0.1.3'], 'vrrp peers'],
      ['tcp-22', ['203.0.113.0/24'], 'ssh'],
      ['tcp-9100', ['10.0.1.9'], 'metrics'],
      ['tcp-80', undefined, 'internet: VIP'],
    ]);
    const ruleset = renderNftablesRuleset(nftablesModelFromConnections('lb-1', own));
    expect(ruleset).toContain('ip saddr { 10.0.1.9 } tcp dport 9100 accept comment "metrics"');
    expect(checkNftables(ruleset).ok).toBe(true);
  });

  test('given a group source with no planned address, when derived, then it throws naming the peer', () => {
    const stack = testStack();
    const own = new Connections(new Construct(stack, 'Lb'), 'Connections');
    const empty = new Connections(new Construct(stack, 'Nowhere'), 'Connections');
    own.allowFrom({ connections: empty }, Port.tcp(22));
    expect(() => nftablesRulesFromConnections(own)).toThrow(/test\/Lb: 'ingressRules' .* from test\/Nowhere, which has no planned address/);
  });
});
