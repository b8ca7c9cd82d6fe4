import { Tokenization } from 'cdktf';
import { IConstruct } from 'constructs';
import { HostingStacksError } from './errors';

/**
 * User text in the Terraform. In Terraform's JSON syntax every string is a template: `${ expr }` is
 * evaluated (`${file("/etc/passwd")}` reads a file of the machine that runs `terraform plan`) and
 * `%{ ... }` is a directive; `$${` and `%%{` stand for the literal sequences. cdktf writes strings as
 * given, so every value a caller gives that lands in the Terraform goes through one of two gates:
 *
 * - an identifier (a region, the name of a flavor, image, network, router, security group, volume
 *   type or share type) is refused when it holds a template sequence: {@link requireTerraformLiteral};
 * - free text (a description, a reason, a metadata value) keeps its meaning by being escaped:
 *   {@link escapeTerraformText}.
 *
 * References made by the library itself are cdktf tokens (`${TfToken[TOKEN.12]}` until resolved);
 * both gates leave them alone. Whatever gets past them is caught at synth by the stack's Terraform
 * template check (`HostingStack`, `checkTerraformTemplates`).
 */

/** A template sequence Terraform evaluates: `${` or `%{`. */
const TEMPLATE_SEQUENCE = /[$%]\{/;

/** What {@link requireTerraformLiteral} allows, as its error messages say it. */
export const TERRAFORM_LITERAL_RULE = "must be a string without '${' or '%{': Terraform would evaluate them as an expression or a directive";

/**
 * Throws a {@link HostingStacksError} naming `scope` and `prop` unless `value` is a string that
 * Terraform reads literally: no `${` or `%{` outside cdktf tokens (a token, e.g. a variable's
 * `stringValue`, is allowed). For identifiers that land in the Terraform: regions, the names of
 * flavors, images, networks, routers, security groups, volume and share types. `undefined` passes
 * when `optional` (a prop left to its default). Returns `value`.
 */
export function requireTerraformLiteral(scope: IConstruct, prop: string, value: unknown): string;
export function requireTerraformLiteral(scope: IConstruct, prop: string, value: unknown, optional: boolean): string | undefined;
export function requireTerraformLiteral(scope: IConstruct, prop: string, value: unknown, optional = false): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || TEMPLATE_SEQUENCE.test(Tokenization.reverseString(value).literals.map(String).join('\n'))) {
    throw new HostingStacksError(scope, prop, value, TERRAFORM_LITERAL_RULE);
  }
  return value;
}

/**
 * Escapes the template sequences of free text for the Terraform (`${` -> `$${`, `%{` -> `%%{`), so
 * Terraform reads back exactly the text given: for descriptions, reasons and metadata values.
 * cdktf tokens in the text stay references. Escape once, at the attribute: the escaped text is
 * what Terraform reads, not what a daemon config should hold.
 */
export function escapeTerraformText(text: string): string {
  if (!TEMPLATE_SEQUENCE.test(text)) return text;
  return text.replace(/\$\{(?!TfToken\[)/g, () => '$${').replace(/%\{/g, () => '%%{');
}
