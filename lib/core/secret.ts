import { TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { HostingStacksError } from './errors';

/**
 * A secret given to Terraform as a sensitive variable. Its value never appears in the synthesized
 * output: configs hold the reference (`${var.name}`), resolved at apply into the servers' user data.
 */
export class Secret {
  /** The sensitive stack variable `name` (snake_case), created once per stack; a bad name throws a {@link HostingStacksError} naming `scope`. */
  public static variable(scope: Construct, name: string, description: string): Secret {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) {
      throw new HostingStacksError(scope, 'name', name, "must be snake_case: a lower-case letter, then lower-case letters, digits and '_'");
    }
    const stack = TerraformStack.of(scope);
    const id = `Secret-${name}`;
    let variable = stack.node.tryFindChild(id) as TerraformVariable | undefined;
    if (!variable) {
      variable = new TerraformVariable(stack, id, { type: 'string', sensitive: true, description, nullable: false });
      variable.overrideLogicalId(name);
    }
    return new Secret(name, variable.stringValue);
  }

  private constructor(
    /** The Terraform variable name. */
    public readonly variableName: string,
    /** The value as a Terraform reference token; put it in configs, never a literal. */
    public readonly value: string,
  ) {}
}
