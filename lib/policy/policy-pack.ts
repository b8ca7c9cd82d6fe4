import { Annotations, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { HostingStacksError } from '../core/errors';
import { BACKUP_COVERAGE_RULE } from './rules/backup-coverage';
import { DATA_ISOLATION_RULE } from './rules/data-isolation';
import { PLAIN_TEXT_SECRETS_RULE } from './rules/plain-text-secrets';
import { PORT_SECURITY_RULE } from './rules/port-security';
import { SSH_ACCESS_RULE } from './rules/ssh-access';
import { TLS_INTERMEDIATE_RULE } from './rules/tls-intermediate';
import { VRRP_PAIRS_RULE } from './rules/vrrp-pairs';
import type { IPolicyRule, PolicyContext, PolicyFinding } from './policy-rule';
import { ALL_CONSTRUCTS_KEY } from './stack-facts';
import { brand, hasBrand } from '../core/peers';

/** Metadata type of a suppression in a construct's `node.metadata` (one entry per rule suppressed). */
export const POLICY_SUPPRESSION_METADATA = 'hosting-stacks:policy-suppression';

/** One suppression, as stored in construct metadata by {@link PolicyPack.suppress}. */
export interface PolicySuppression {
  /** The rule suppressed, e.g. `HS-SSH-1`. */
  readonly ruleId: string;
  /** Why the finding is a deliberate design, for review. */
  readonly reason: string;
}

/** A finding a suppression covers: reported for review, does not fail synth. */
export interface SuppressedFinding extends PolicyFinding {
  /** The suppression's reason. */
  readonly reason: string;
  /** Path of the construct carrying the suppression (the finding's construct or one above it). */
  readonly suppressedAt: string;
}

/** The result of checking one stack against a pack. */
export interface PolicyReport {
  /** Findings no suppression covers: each fails synth. */
  readonly findings: readonly PolicyFinding[];
  /** Findings covered by a suppression with a reason: reported, not failing. */
  readonly suppressed: readonly SuppressedFinding[];
  /** Suppressions without a reason or naming a rule this pack does not hold: each fails synth. */
  readonly suppressionErrors: readonly string[];
}

/** Rule ids: upper-case words and a number, dash-separated (`HS-DATA-1`). */
const RULE_ID = /^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]+$/;

/**
 * A set of policy rules checked against every {@link HostingStack} at synth, in the manner of
 * cdk-nag: each rule lives in a file of its own (`lib/policy/rules/*.ts`); the pack walks every
 * construct of the stack in tree order, the stack first, and asks each rule about each node
 * ({@link IPolicyRule.visit}), which returns findings (rule id, construct path, message) on the
 * node it is about. An unsuppressed finding is a validation error, so synth fails and
 * {@link HostingApp} writes nothing.
 *
 * A finding is suppressed by {@link PolicyPack.suppress} on its construct or any construct above
 * it, with a written reason kept in the construct's metadata (like cdk-nag's
 * `NagSuppressions.addResourceSuppressions`). Suppressed findings are listed in
 * {@link PolicyReport.suppressed} and as info annotations on the stack at synth.
 *
 * HostingStack checks {@link PolicyPack.default} unless its `policyPack` prop replaces it;
 * `PolicyPack.default().addRule(myRule)` extends it.
 */
export class PolicyPack {
  /**
   * The library's rules (issue 5): data isolation (HS-DATA-1), SSH access (HS-SSH-1), VRRP pairs
   * (HS-VRRP-1), backup coverage (HS-BACKUP-1), plain-text secrets (HS-SECRET-1), TLS at least
   * Mozilla intermediate (HS-TLS-1). A new pack each call, so adding rules to one changes no other.
   */
  public static default(): PolicyPack {
    return new PolicyPack([DATA_ISOLATION_RULE, SSH_ACCESS_RULE, VRRP_PAIRS_RULE, PORT_SECURITY_RULE, BACKUP_COVERAGE_RULE, PLAIN_TEXT_SECRETS_RULE, TLS_INTERMEDIATE_RULE]);
  }

  /**
   * Suppresses the findings of `ruleId` on `construct` and every construct below it. `reason` is
   * required: why the finding is a deliberate design. Whether the pack holds `ruleId` is checked
   * at synth (a suppression naming an unknown rule fails it).
   */
  public static suppress(construct: IConstruct, ruleId: string, reason: string): PolicySuppression {
    if (typeof ruleId !== 'string' || !RULE_ID.test(ruleId)) {
      throw new HostingStacksError(construct, 'ruleId', ruleId, "must be a policy rule id such as 'HS-SSH-1'");
    }
    if (typeof reason !== 'string' || !reason.trim()) {
      throw new HostingStacksError(construct, 'reason', reason, `must say why the ${ruleId} finding is a deliberate design; a suppression needs a written reason`);
    }
    const suppression: PolicySuppression = { ruleId, reason: reason.trim() };
    construct.node.addMetadata(POLICY_SUPPRESSION_METADATA, suppression);
    return suppression;
  }

  /** The suppressions stored on `construct` itself (not those above it). */
  public static suppressionsOf(construct: IConstruct): PolicySuppression[] {
    return construct.node.metadata
      .filter((m) => m.type === POLICY_SUPPRESSION_METADATA)
      .map((m) => m.data as PolicySuppression);
  }

  private readonly ruleList: IPolicyRule[] = [];
  private readonly announced = new WeakMap<TerraformStack, Set<string>>();

  /** True when `x` is a {@link PolicyPack} (a `Symbol.for` brand: look-alike objects are not). */
  public static isPolicyPack(x: unknown): x is PolicyPack {
    return hasBrand(x, 'PolicyPack');
  }

  constructor(rules: readonly IPolicyRule[] = []) {
    brand(this, 'PolicyPack');
    for (const r of rules) this.addRule(r);
  }

  /** The rules, in the order they run. */
  public get rules(): readonly IPolicyRule[] {
    return [...this.ruleList];
  }

  /** Adds a rule; its id must be well-formed and new to the pack, and it must have a `visit` method. Returns the rule. */
  public addRule(rule: IPolicyRule): IPolicyRule {
    if (typeof rule?.visit !== 'function') {
      throw HostingStacksError.ofFactory('PolicyPack.addRule', 'rule.visit', rule?.visit,
        `must be a function visit(node, context) returning the findings on node${typeof rule?.id === 'string' ? ` (rule ${rule.id})` : ''}; a rule no longer evaluates the whole stack`);
    }
    if (!RULE_ID.test(rule.id)) throw HostingStacksError.ofFactory('PolicyPack.addRule', 'rule.id', rule.id, "must be upper-case words and a number, e.g. 'HS-DATA-1'");
    if (!rule.description || !rule.description.trim()) throw HostingStacksError.ofFactory('PolicyPack.addRule', 'rule.description', rule.description, `must describe rule ${rule.id}`);
    if (this.ruleList.some((r) => r.id === rule.id)) throw HostingStacksError.ofFactory('PolicyPack.addRule', 'rule.id', rule.id, 'is already in the pack; rule ids must be unique');
    this.ruleList.push(rule);
    return rule;
  }

  /**
   * Runs every rule on `stack` (each construct visited once, the stack first) and sorts the findings
   * by suppression. Findings come rule by rule, in the pack's order, each rule's in tree order.
   * Pure: changes nothing.
   */
  public check(stack: TerraformStack): PolicyReport {
    requireStack('PolicyPack.check', stack);
    const nodes = stack.node.findAll();
    const known = new Set(this.ruleList.map((r) => r.id));
    const suppressionErrors: string[] = [];
    const byPath = new Map<string, PolicySuppression[]>();
    for (const c of nodes) {
      const list = PolicyPack.suppressionsOf(c);
      if (list.length === 0) continue;
      for (const s of list) {
        if (typeof s.reason !== 'string' || !s.reason.trim()) {
          suppressionErrors.push(`${c.node.path}: the suppression of ${s.ruleId} has no reason; a suppression needs a written reason`);
        }
        if (!known.has(s.ruleId)) {
          suppressionErrors.push(`${c.node.path}: the suppression names ${s.ruleId}, which is not a rule of the policy pack (${[...known].join(', ')})`);
        }
      }
      byPath.set(c.node.path, list);
    }

    const findings: PolicyFinding[] = [];
    const suppressed: SuppressedFinding[] = [];
    for (const f of visitTree(stack, nodes, this.ruleList)) {
      const cover = coveringSuppression(byPath, f);
      if (cover) suppressed.push({ ...f, reason: cover.suppression.reason, suppressedAt: cover.path });
      else findings.push(f);
    }
    return { findings, suppressed, suppressionErrors };
  }

  /**
   * The validation HostingStack registers: one message per unsuppressed finding and per bad
   * suppression; suppressed findings become info annotations on the stack (once each).
   */
  public validate(stack: TerraformStack): string[] {
    const report = this.check(stack);
    const seen = this.announced.get(stack) ?? new Set<string>();
    this.announced.set(stack, seen);
    for (const s of report.suppressed) {
      const text = `[${s.ruleId}] suppressed at ${s.suppressedAt} (${s.reason}): ${s.constructPath}: ${s.message}`;
      if (!seen.has(text)) {
        seen.add(text);
        Annotations.of(stack).addInfo(text);
      }
    }
    return [...report.suppressionErrors, ...report.findings.map(formatFinding)];
  }
}

/**
 * The findings of `rule` alone on `stack`, suppressions not applied: the pack's walk (every
 * construct in tree order, the stack first) with this one rule. What a rule's tests assert; the
 * rule is checked as {@link PolicyPack.addRule} checks it.
 */
export function runRule(rule: IPolicyRule, stack: TerraformStack): PolicyFinding[] {
  const pack = new PolicyPack([rule]);
  requireStack('runRule', stack);
  return visitTree(stack, stack.node.findAll(), pack.rules);
}

/** `[HS-SSH-1] Stack/Web: message`: how a finding reads in a synth error. */
export function formatFinding(f: PolicyFinding): string {
  return `[${f.ruleId}] ${f.constructPath}: ${f.message}`;
}

function coveringSuppression(byPath: Map<string, PolicySuppression[]>, f: PolicyFinding): { path: string; suppression: PolicySuppression } | undefined {
  const parts = f.constructPath.split('/');
  for (let n = parts.length; n > 0; n--) {
    const path = parts.slice(0, n).join('/');
    const s = byPath.get(path)?.find((x) => x.ruleId === f.ruleId && typeof x.reason === 'string' && x.reason.trim());
    if (s) return { path, suppression: s };
  }
  return undefined;
}

function requireStack(factory: string, stack: TerraformStack): void {
  if (!TerraformStack.isStack(stack)) throw HostingStacksError.ofFactory(factory, 'stack', stack, 'must be a TerraformStack (e.g. a HostingStack) to check');
}

/**
 * Asks every rule about every node of `nodes` (the stack's constructs in tree order) with one
 * context for the whole walk. Returns the findings rule by rule, in the order of `rules`, each
 * rule's in the order of its nodes. A rule that returns something other than an array of findings
 * fails with its id and the node.
 */
function visitTree(stack: TerraformStack, nodes: readonly IConstruct[], rules: readonly IPolicyRule[]): PolicyFinding[] {
  const context = new CheckContext(stack);
  // The rules' facts read the same list as the walk: the tree is read once.
  context.memo(ALL_CONSTRUCTS_KEY, () => nodes);
  const byRule: PolicyFinding[][] = rules.map(() => []);
  for (const node of nodes) {
    rules.forEach((rule, i) => {
      const found = rule.visit(node, context);
      if (!Array.isArray(found)) {
        throw HostingStacksError.ofFactory(`policy rule ${rule.id}`, 'visit', found, `must return an array of findings (empty when it complies); it returned this on ${node.node.path}`);
      }
      byRule[i].push(...found);
    });
  }
  return byRule.flat();
}

/** The context of one check: the stack, its Terraform rendered at the first read, the rules' memo. */
class CheckContext implements PolicyContext {
  private readonly memos = new Map<string, unknown>();
  private json?: Record<string, unknown>;

  constructor(public readonly stack: TerraformStack) {}

  public get terraform(): Record<string, unknown> {
    if (this.json === undefined) this.json = this.stack.toTerraform() as Record<string, unknown>;
    return this.json;
  }

  public memo<T>(key: string, compute: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const value = compute();
    this.memos.set(key, value);
    return value;
  }
}
