import { TerraformOutput, TerraformOutputConfig, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { HostingStacksError } from './errors';
import { escapeTerraformText } from './terraform-text';

/** What a Terraform output name may be: a lower-case letter, then lower-case letters, digits and `_`. */
const OUTPUT_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * A Terraform output named exactly `name` (`balancer_public_address`), where cdktf would name it
 * from the construct path with a hash (`Balancer_PublicAddress_1A2B3C4D`). Operators, scripts and CI
 * read outputs by name (`terraform output -raw balancer_public_address`), so the name is public
 * contract like a construct id: it must be snake_case and unique in its stack.
 */
export function stableOutput(scope: Construct, id: string, name: string, config: TerraformOutputConfig): TerraformOutput {
  if (!OUTPUT_NAME.test(name)) {
    throw new HostingStacksError(scope, 'name', name, "must be snake_case: a lower-case letter, then lower-case letters, digits and '_'");
  }
  const stack = TerraformStack.of(scope);
  const taken = stack.node.findAll().find((c): c is TerraformOutput => c instanceof TerraformOutput && c.friendlyUniqueId === name);
  if (taken) throw new HostingStacksError(scope, 'name', name, `is already the name of the output ${taken.node.path}; output names must be unique in a stack`);
  // The description is text (it names construct paths); the value is the reference it outputs.
  const output = new TerraformOutput(scope, id, config.description === undefined ? config : { ...config, description: escapeTerraformText(config.description) });
  output.overrideLogicalId(name);
  return output;
}
