/** Every case-study stack passes the default policy pack with zero unsuppressed findings. */
import { Testing } from 'cdktf';
import { buildAllStacks } from '../../stacks/all';

const stacks = buildAllStacks(Testing.app());

describe.each(stacks.map((s) => [s.node.id, s] as const))('stack %s', (_id, stack) => {
  const report = stack.policyPack.check(stack);

  test('has no unsuppressed finding and no bad suppression', () => {
    expect(report.suppressionErrors).toEqual([]);
    expect(report.findings).toEqual([]);
  });

  test('suppresses only with written reasons', () => {
    for (const s of report.suppressed) expect(s.reason.length).toBeGreaterThan(40);
  });
});

test('the suppressions of the case-study stacks are the deliberate designs listed here', () => {
  const suppressed = stacks.flatMap((s) => s.policyPack.check(s).suppressed.map((f) => `${f.ruleId} ${f.suppressedAt}: ${f.message}`));
  expect(suppressed).toEqual([
    // Sentinelo's load-balancing cluster also spreads the database calls (case study 1), and its nodes are the jump hosts.
    ...['PublicApiDatabase', 'PartnerDatabase'].flatMap((db) => [9200, 3306, 22].map((port) => expect.stringMatching(
      new RegExp(`^HS-DATA-1 sentinelo/${db}: MySQL database lets tcp ${port} in from the group of sentinelo/Balancer/Nodes, whose members [\\d., ]+ are in the DMZ`)))),
    expect.stringMatching(/^HS-DATA-1 popgom\/Database: MySQL database lets tcp 22 in from 10\.20\.1\.\d+\/32, which overlaps the DMZ vSwitch popgom\/Front/),
    expect.stringMatching(/^HS-DATA-1 popgom\/Database: MySQL database lets tcp 22 in from 10\.20\.1\.\d+\/32, which overlaps the DMZ vSwitch popgom\/Front/),
  ]);
});
