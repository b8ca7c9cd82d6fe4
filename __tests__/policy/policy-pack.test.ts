import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { Flavor, HostingApp, HostingStack, NetworkZone, Port, PrivateVSwitch, RedisServer, Router } from '../../lib';
import { ExternalNetwork } from '../../lib/network/external-network';
import { POLICY_SUPPRESSION_METADATA, PolicyPack, runRule } from '../../lib/policy/policy-pack';
import { IPolicyRule, PolicyContext, PolicyFinding } from '../../lib/policy/policy-rule';
import { zonedStack } from './fixtures';

/** A stack whose Redis server is open to the internet: one HS-DATA-1 finding. */
function leakyStack(props = {}) {
  const zoned = zonedStack(props);
  const redis = new RedisServer(zoned.stack, 'Sessions', { vswitch: zoned.data, flavor: Flavor.named('b3-8') });
  redis.connections.allowFromInternet(Port.tcp(6379), 'test');
  redis.cluster.exemptFromBackup('test sessions');
  return { ...zoned, redis };
}

const ALWAYS: IPolicyRule = {
  id: 'ACME-NAME-1',
  description: 'every stack is named acme',
  visit: (node) => (TerraformStack.isStack(node) && node.node.id !== 'acme' ? [{ ruleId: 'ACME-NAME-1', constructPath: node.node.path, message: 'is not acme' }] : []),
};

/** A rule that records what it is shown: every node visited, and how often its memo computes. */
function recordingRule() {
  const visited: IConstruct[] = [];
  const contexts = new Set<PolicyContext>();
  let computed = 0;
  const rule: IPolicyRule = {
    id: 'ACME-SEEN-1',
    description: 'records every node it visits',
    visit(node: IConstruct, context: PolicyContext): PolicyFinding[] {
      visited.push(node);
      contexts.add(context);
      const count = context.memo('ACME-SEEN-1:count', () => {
        computed += 1;
        return context.stack.node.findAll().length;
      });
      return count > 0 ? [] : [{ ruleId: 'ACME-SEEN-1', constructPath: node.node.path, message: 'no constructs' }];
    },
  };
  return { rule, visited, contexts, computed: () => computed };
}

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

  test('a rule visits every construct of the stack once, in tree order, the stack first', () => {
    // given
    const { stack } = leakyStack();
    const seen = recordingRule();
    // when
    new PolicyPack([seen.rule]).check(stack);
    // then
    expect(seen.visited[0]).toBe(stack);
    expect(seen.visited).toEqual(stack.node.findAll());
    expect(new Set(seen.visited).size).toBe(seen.visited.length);
  });

  test('context.memo computes once per check, and each check has its own context', () => {
    const { stack } = leakyStack();
    const seen = recordingRule();
    const pack = new PolicyPack([seen.rule]);
    pack.check(stack);
    expect(seen.computed()).toBe(1);
    pack.check(stack);
    expect(seen.computed()).toBe(2);
    expect(seen.contexts.size).toBe(2);
  });

  test('the synthesized Terraform is rendered at the first read, once per check, and not at all when no rule reads it', () => {
    const { stack } = leakyStack();
    const renders = jest.spyOn(stack, 'toTerraform');
    let reads = 0;
    const reader: IPolicyRule = {
      id: 'ACME-TF-1',
      description: 'reads the Terraform at every node',
      visit: (_node, context) => {
        reads += Object.keys(context.terraform).length > 0 ? 1 : 0;
        return [];
      },
    };
    new PolicyPack([recordingRule().rule]).check(stack);
    expect(renders).toHaveBeenCalledTimes(0);
    new PolicyPack([reader]).check(stack);
    expect(reads).toBe(stack.node.findAll().length);
    expect(renders).toHaveBeenCalledTimes(1);
  });

  test('runRule returns one rule\'s findings on a stack, suppressions not applied', () => {
    const { stack, redis } = leakyStack();
    PolicyPack.suppress(redis, 'HS-DATA-1', 'a honeypot on purpose');
    const rule = PolicyPack.default().rules.find((r) => r.id === 'HS-DATA-1')!;
    expect(runRule(rule, stack).map((f) => f.constructPath)).toEqual(['test/Sessions']);
    expect(runRule(ALWAYS, stack)).toEqual([{ ruleId: 'ACME-NAME-1', constructPath: 'test', message: 'is not acme' }]);
  });

  test('a rule without visit (the former evaluate(stack) shape) is refused when added', () => {
    const old = { id: 'ACME-OLD-1', description: 'evaluates the whole stack', evaluate: () => [] } as unknown as IPolicyRule;
    expect(() => new PolicyPack([old])).toThrow(/^PolicyPack\.addRule: 'rule\.visit' \(undefined\) must be a function visit\(node, context\) returning the findings on node \(rule ACME-OLD-1\)/);
  });

  test('a rule whose visit returns something other than an array fails the check, naming the rule and the node', () => {
    const { stack } = leakyStack();
    const broken = { id: 'ACME-BAD-1', description: 'returns no array', visit: () => undefined } as unknown as IPolicyRule;
    expect(() => new PolicyPack([broken]).check(stack)).toThrow(/^policy rule ACME-BAD-1: 'visit' \(undefined\) must return an array of findings \(empty when it complies\); it returned this on test$/);
  });

  test('check refuses what is not a stack', () => {
    const notAStack = new Router(new HostingStack(Testing.app(), 'test'), 'Router') as unknown as TerraformStack;
    expect(() => PolicyPack.default().check(notAStack)).toThrow(/^PolicyPack\.check: 'stack' \(.*\) must be a TerraformStack \(e\.g\. a HostingStack\) to check$/);
  });
});
