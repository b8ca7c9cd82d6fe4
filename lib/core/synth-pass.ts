import { TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';

/** Where a stack keeps its pass (a `Symbol.for` key: one pass per stack, across copies of the library). */
const PASS = Symbol.for('hosting-stacks.synth-pass');
/** Set while a caller (HostingApp) keeps the pass open past the stack's own synthesizer, for its validations. */
const HELD = Symbol.for('hosting-stacks.synth-pass-held');

/** What one synth pass of a stack computed: per construct, per key. */
type PassMemo = Map<IConstruct, Map<string, unknown>>;

/**
 * One synth of a stack, from the moment its aspects have run until its files are written and its
 * validations have run: the construct tree does not change in between, so what is derived from it
 * (a server's rendered user_data and digest, the stack's Terraform JSON, an artifact's content) is
 * computed once and reused by the Terraform, the validations, the policy pack and the files written.
 * Outside a pass (a test calling `toTerraform()` between changes) nothing is kept.
 */
export class SynthPass {
  /** Starts a pass on `stack`; true when this call started it (and so must end it). */
  public static begin(stack: TerraformStack): boolean {
    const holder = stack as unknown as Record<symbol, PassMemo | undefined>;
    if (holder[PASS]) return false;
    holder[PASS] = new Map();
    return true;
  }

  /** Ends the pass on `stack`, dropping what it kept, unless a caller {@link SynthPass.hold}s it. */
  public static end(stack: TerraformStack): void {
    const holder = stack as unknown as Record<symbol, unknown>;
    if (!holder[HELD]) delete holder[PASS];
  }

  /** Keeps the pass `stack`'s synthesizer begins open after it returns, until {@link SynthPass.release}. */
  public static hold(stack: TerraformStack): void {
    (stack as unknown as Record<symbol, unknown>)[HELD] = true;
  }

  /** Ends a held pass (and the hold). */
  public static release(stack: TerraformStack): void {
    const holder = stack as unknown as Record<symbol, unknown>;
    delete holder[HELD];
    delete holder[PASS];
  }

  /** Whether `stack` is in a pass. */
  public static active(stack: TerraformStack): boolean {
    return (stack as unknown as Record<symbol, PassMemo | undefined>)[PASS] !== undefined;
  }

  /**
   * `compute()` once per pass of `scope`'s stack for (`scope`, `key`); outside a pass, every call.
   * A `compute` that throws is not kept: the next call throws again, with its own message.
   */
  public static memo<T>(scope: IConstruct, key: string, compute: () => T): T {
    return SynthPass.keep(scope, scope, key, compute);
  }

  /**
   * `compute()` once per pass of `scope`'s stack for `key`, shared by every construct of the stack
   * (a file's YAML that a hundred servers hold, a token they all reference); outside a pass, every call.
   */
  public static memoInStack<T>(scope: IConstruct, key: string, compute: () => T): T {
    return SynthPass.keep(scope, undefined, key, compute);
  }

  /**
   * {@link memoInStack} for a key that is a long text (a piece of a document, a token): kept in a
   * table of its own per `kind`, looked up by the text itself. A key made by joining `kind` and the
   * text would be a new string at every call, read whole to be looked up; the text, the same string
   * at each call, is read once.
   */
  public static memoTextInStack<T>(scope: IConstruct, kind: string, text: string, compute: () => T): T {
    const table = SynthPass.keep(scope, undefined, kind, () => new Map<string, T>());
    if (table.has(text)) return table.get(text) as T;
    const value = compute();
    table.set(text, value);
    return value;
  }

  /** Keeps `compute()` under (`owner`, `key`) in the pass of `scope`'s stack; `owner` undefined: the stack. */
  private static keep<T>(scope: IConstruct, owner: IConstruct | undefined, key: string, compute: () => T): T {
    // A stand-in scope (a CloudConfig without a server) or a construct outside any stack: nothing is kept.
    if (!Construct.isConstruct(scope)) return compute();
    // Up the tree to the stack (cheaper than `node.scopes`, which builds the path at every call).
    let stack: IConstruct | undefined = scope;
    while (stack !== undefined && !TerraformStack.isStack(stack)) stack = stack.node.scope;
    const pass = stack && (stack as unknown as Record<symbol, PassMemo | undefined>)[PASS];
    if (!pass) return compute();
    scope = owner ?? stack!;
    let byKey = pass.get(scope);
    if (!byKey) {
      byKey = new Map();
      pass.set(scope, byKey);
    }
    if (byKey.has(key)) return byKey.get(key) as T;
    const value = compute();
    byKey.set(key, value);
    return value;
  }
}
