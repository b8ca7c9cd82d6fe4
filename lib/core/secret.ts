import { TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { HostingStacksError } from './errors';
import { requireTerraformVariableName } from './choices';
import { brand, hasBrand } from './peers';
import { escapeTerraformText } from './terraform-text';

/** Where a variable keeps the values derived from it ({@link Secret.derived}). */
const DERIVED = Symbol.for('hosting-stacks.secretDerived');

/**
 * A secret given to Terraform as a sensitive variable. Its value never appears in the synthesized
 * output: configs hold the reference (`${var.name}`), resolved at apply into the servers' user data.
 *
 * Only instances made by {@link Secret.variable} are accepted where a prop takes a Secret: a plain
 * string or an object that looks like a Secret (`{ variableName, value }`) is refused with a
 * {@link HostingStacksError} (see {@link Secret.isSecret}), since it would put a password in plain
 * text in user data and `cdk.tf.json`. A Secret belongs to the stack of its variable and is used
 * only in that stack.
 */
export class Secret {
  /**
   * True when `x` is a Secret made by {@link Secret.variable} (a `Symbol.for` brand, so a Secret of
   * another copy of the library counts and a look-alike object does not).
   */
  public static isSecret(x: unknown): x is Secret {
    return hasBrand(x, 'Secret');
  }

  /** The sensitive stack variable `name` (snake_case), created once per stack; a bad name throws a {@link HostingStacksError} naming `scope`. */
  public static variable(scope: Construct, name: string, description: string): Secret {
    const stack = TerraformStack.of(scope);
    const id = `Secret-${name}`;
    // Snake_case, not reserved by Terraform, and no other variable's name: the Secret of that name is shared.
    requireTerraformVariableName(scope, 'name', name, (existing) => existing.node.scope === stack && existing.node.id === id);
    let variable = stack.node.tryFindChild(id) as TerraformVariable | undefined;
    if (!variable) {
      variable = new TerraformVariable(stack, id, { type: 'string', sensitive: true, description: escapeTerraformText(description), nullable: false });
      variable.overrideLogicalId(name);
    }
    return new Secret(name, variable.stringValue, stack, variable);
  }

  private constructor(
    /** The Terraform variable name. */
    public readonly variableName: string,
    /** The value as a Terraform reference token; put it in configs, never a literal. */
    public readonly value: string,
    stack: TerraformStack,
    variable: TerraformVariable,
  ) {
    brand(this, 'Secret');
    // Not enumerable: a Secret stays a small value in any JSON or message.
    Object.defineProperty(this, 'stack', { value: stack, enumerable: false });
    Object.defineProperty(this, 'variable', { value: variable, enumerable: false });
  }

  /**
   * The value transformed at apply by `build` (a Terraform expression of {@link value}: escaped for
   * XML, URL-encoded...), made once per variable and `key` and shared by every config that asks:
   * each expression built is a tree of tokens cdktf resolves, and servers by the hundred would
   * otherwise each build their own. A `key` names one transformation: the same key, the same `build`.
   */
  public derived(key: string, build: (reference: string) => string): string {
    const variable = this.variable as TerraformVariable & { [DERIVED]?: Map<string, string> };
    let cache = variable[DERIVED];
    if (!cache) {
      cache = new Map();
      Object.defineProperty(variable, DERIVED, { value: cache, enumerable: false });
    }
    let value = cache.get(key);
    if (value === undefined) {
      value = build(this.value);
      cache.set(key, value);
    }
    return value;
  }

  /** The variable itself, where the derived values are kept (not enumerable). */
  private declare readonly variable: TerraformVariable;

  /** The stack whose sensitive variable holds the secret; only constructs of that stack may use it. */
  public declare readonly stack: TerraformStack;
}
