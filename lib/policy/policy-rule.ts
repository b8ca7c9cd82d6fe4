import { TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';

/** One thing a policy rule found wrong in a stack. */
export interface PolicyFinding {
  /** The rule's id, e.g. `HS-DATA-1`. */
  readonly ruleId: string;
  /** Path of the construct at fault (where a suppression may be put, or above it). */
  readonly constructPath: string;
  /** What is wrong and what would comply. */
  readonly message: string;
}

/**
 * What a rule may read while a {@link PolicyPack} checks one stack, besides the node it visits:
 * the stack, its synthesized Terraform, and facts derived once per check.
 */
export interface PolicyContext {
  /** The stack being checked. */
  readonly stack: TerraformStack;
  /**
   * The stack's synthesized Terraform JSON (`stack.toTerraform()`, what `cdk.tf.json` holds):
   * rendered at the first read, at most once per check. Read it, never change it.
   */
  readonly terraform: Record<string, unknown>;
  /**
   * `compute()` at the first call with `key` in this check, the same value after: for facts a rule
   * derives from the whole stack once (the vSwitches by zone, the data targets) and reads at every
   * node. Keys are shared by every rule of the check: prefix a rule's own keys with its id
   * (`'ACME-NAME-1:names'`). A `compute` that throws is not kept.
   */
  memo<T>(key: string, compute: () => T): T;
}

/**
 * A policy rule of a {@link PolicyPack}, in the manner of cdk-nag's rules: the pack walks every
 * construct of the stack in tree order (the stack first) and asks each rule about each node with
 * `visit`. A rule answers for the node it is about (a ServerInstance, a data construct, a
 * TerraformResource of some type) and returns nothing for the others, so a finding's
 * `constructPath` is the visited node's (or one below it). One rule per file in
 * `lib/policy/rules/`, each with a compliant and a non-compliant test. `visit` must not change the
 * stack; what it derives from the whole stack goes through `context.memo`, so it is computed once
 * per check, not once per node.
 */
export interface IPolicyRule {
  /** Unique id: upper-case words and a number (`HS-SSH-1`). */
  readonly id: string;
  /** What the rule demands, in one sentence. */
  readonly description: string;
  /** The rule's findings on `node` (empty when it complies or is not about `node`). */
  visit(node: IConstruct, context: PolicyContext): PolicyFinding[];
}

/** A finding of `rule` at `path`. */
export function finding(rule: Pick<IPolicyRule, 'id'>, path: string, message: string): PolicyFinding {
  return { ruleId: rule.id, constructPath: path, message };
}
