import type { HostingStack } from '../stack/hosting-stack';

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
 * A policy rule of a {@link PolicyPack}: one rule per file in `lib/policy/rules/`, each with a
 * compliant and a non-compliant test. `evaluate` must not change the stack.
 */
export interface IPolicyRule {
  /** Unique id: upper-case words and a number (`HS-SSH-1`). */
  readonly id: string;
  /** What the rule demands, in one sentence. */
  readonly description: string;
  /** The rule's findings on `stack` (empty when it complies). */
  evaluate(stack: HostingStack): PolicyFinding[];
}

/** A finding of `rule` at `path`. */
export function finding(rule: Pick<IPolicyRule, 'id'>, path: string, message: string): PolicyFinding {
  return { ruleId: rule.id, constructPath: path, message };
}
