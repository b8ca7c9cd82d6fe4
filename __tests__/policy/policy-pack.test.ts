import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Flavor, HostingApp, HostingStack, NetworkZone, Port, PrivateVSwitch, RedisServer, Router } from '../../lib';
import { ExternalNetwork } from '../../lib/network/external-network';
import { POLICY_SUPPRESSION_METADATA, PolicyPack } from '../../lib/policy/policy-pack';
import { IPolicyRule } from '../../lib/policy/policy-rule';
import { zonedStack } from './fixtures';

/** A stack whose Redis server is open to the internet: one HS-DATA-1 finding. */
function leakyStack(props = {}) {
  const zoned = zonedStack(props);
  const redis = new RedisServer(zoned.stack, 'Sessions', { vswitch: zoned.data, flavor: Flavor.named('b3-8') });
  redis.connections.allowFromInternet(Port.tcp(6379), 'test');
  redis.cluster.exemptFromBackup('test sessions');
  return { ...zoned, redis };
}

const ALWAYS: IPolicyRule = { id: 'ACME-NAME-1', description: 'every stack is named acme', evaluate: (s) => (s.node.id === 'acme' ? [] : [{ ruleId: 'ACME-NAME-1', constructPath: s.node.path, message: 'is not acme' }]) };

describe('PolicyPack', () => {
  test('the default pack holds the six rules of issue 5, in order', () => {
    expect(PolicyPack.default().rules.map((r) => r.id)).toEqual(['HS-DATA-1', 'HS-SSH-1', 'HS-VRRP-1', 'HS-PORTSEC-1', 'HS-BACKUP-1', 'HS-SECRET-1', 'HS-TLS-1']);
    expect(PolicyPack.default().rules.every((r) => r.description.length > 20)).toBe(true);
  });

  test('a rule id must be well-formed and new to the pack', () => {
    const pack = PolicyPack.default();
    expect(() => pack.addRule({ ...ALWAYS, id: 'HS-DATA-1' })).toThrow(/^PolicyPack\.addRule: 'rule\.id' \('HS-DATA-1'\) is already in the pack/);
    expect(() => pack.addRule({ ...ALWAYS, id: 'lower-1' })).toThrow(/^PolicyPack\.addRule: 'rule\.id' \('lower-1'\) must be upper-case words and a number/);
    expect(() => pack.addRule({ ...ALWAYS, description: ' ' })).toThrow(/^PolicyPack\.addRule: 'rule\.description' \(' '\) must describe rule ACME-NAME-1/);
  });

  test('an unsuppressed finding is a validation error of the stack', () => {
    const { stack } = leakyStack();
    expect(stack.node.validate()).toEqual([expect.stringMatching(/^\[HS-DATA-1\] test\/Sessions: Redis server lets tcp 6379 in from the internet/)]);
  });

  test('findings fail HostingApp synth, which then writes nothing', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'policy-'));
    try {
      const app = new HostingApp({ outdir });
      new Router(new HostingStack(app, 'fine'), 'Router');
      const stack = new HostingStack(app, 'leaky');
      const data = new PrivateVSwitch(stack, 'Data', { cidr: '10.0.2.0/24', zone: NetworkZone.DATA, externalNetwork: ExternalNetwork.ovh() });
      const redis = new RedisServer(stack, 'Sessions', { vswitch: data, flavor: Flavor.named('b3-8') });
      redis.connections.allowFromInternet(Port.tcp(6379), 'test');
      redis.cluster.exemptFromBackup('test sessions');
      expect(() => app.synth()).toThrow(/Validation failed, nothing was written:\n.*\[HS-DATA-1\] leaky\/Sessions/);
      expect(existsSync(join(outdir, 'stacks')) ? readdirSync(join(outdir, 'stacks')) : []).toEqual([]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('a suppression with a reason turns the finding into a reported, non-failing one', () => {
    // given
    const { stack, redis } = leakyStack();
    // when
    const s = PolicyPack.suppress(redis, 'HS-DATA-1', 'a honeypot on purpose');
    // then
    expect(s).toEqual({ ruleId: 'HS-DATA-1', reason: 'a honeypot on purpose' });
    expect(redis.node.metadata.filter((m) => m.type === POLICY_SUPPRESSION_METADATA).map((m) => m.data)).toEqual([s]);
    const report = stack.policyPack.check(stack);
    expect(report.findings).toEqual([]);
    expect(report.suppressed).toEqual([expect.objectContaining({ ruleId: 'HS-DATA-1', constructPath: 'test/Sessions', reason: 'a honeypot on purpose', suppressedAt: 'test/Sessions' })]);
    expect(stack.node.validate()).toEqual([]);
    expect(stack.node.metadata.filter((m) => m.type === '@cdktf/info').map((m) => m.data)).toEqual([expect.stringMatching(/^\[HS-DATA-1\] suppressed at test\/Sessions \(a honeypot on purpose\): test\/Sessions: Redis server/)]);
  });

  test('a suppression covers the findings below its construct, and only its rule', () => {
    const { stack, redis } = leakyStack();
    redis.connections.allowFromInternet(Port.tcp(22), 'test');
    PolicyPack.suppress(stack, 'HS-DATA-1', 'a test stack');
    expect(stack.policyPack.check(stack).suppressed.map((f) => f.suppressedAt)).toEqual(['test', 'test']);
    expect(stack.policyPack.check(stack).findings.map((f) => f.ruleId)).toEqual(['HS-SSH-1']);
  });

  test('a suppression needs a written reason and a rule id', () => {
    const { redis } = leakyStack();
    expect(() => PolicyPack.suppress(redis, 'HS-DATA-1', '  ')).toThrow(/^test\/Sessions: 'reason' \('  '\) must say why the HS-DATA-1 finding is a deliberate design; a suppression needs a written reason$/);
    expect(() => PolicyPack.suppress(redis, 'data', 'why')).toThrow(/^test\/Sessions: 'ruleId' \('data'\) must be a policy rule id such as 'HS-SSH-1'$/);
  });

  test('a suppression naming a rule the pack does not hold fails synth', () => {
    const { stack, redis } = leakyStack();
    PolicyPack.suppress(redis, 'HS-NOPE-9', 'typo');
    expect(stack.node.validate()).toEqual([
      expect.stringMatching(/^test\/Sessions: the suppression names HS-NOPE-9, which is not a rule of the policy pack \(HS-DATA-1, HS-SSH-1/),
      expect.stringMatching(/^\[HS-DATA-1\]/),
    ]);
  });

  test('a suppression stored without a reason (by hand) fails synth and suppresses nothing', () => {
    const { stack, redis } = leakyStack();
    redis.node.addMetadata(POLICY_SUPPRESSION_METADATA, { ruleId: 'HS-DATA-1', reason: '' });
    expect(stack.node.validate()).toEqual([
      'test/Sessions: the suppression of HS-DATA-1 has no reason; a suppression needs a written reason',
      expect.stringMatching(/^\[HS-DATA-1\]/),
    ]);
  });

  test('the policyPack prop replaces the default pack or extends it', () => {
    expect(leakyStack({ policyPack: new PolicyPack() }).stack.node.validate()).toEqual([]);
    const extended = PolicyPack.default();
    extended.addRule(ALWAYS);
    expect(leakyStack({ policyPack: extended }).stack.node.validate()).toEqual([
      expect.stringMatching(/^\[HS-DATA-1\]/),
      '[ACME-NAME-1] test: is not acme',
    ]);
  });

  test('default() returns a new pack each time', () => {
    PolicyPack.default().addRule(ALWAYS);
    expect(PolicyPack.default().rules.map((r) => r.id)).not.toContain('ACME-NAME-1');
  });
});
