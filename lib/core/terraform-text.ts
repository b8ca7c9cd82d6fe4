import { DefaultTokenResolver, StringConcat, Tokenization } from 'cdktf';
import { IConstruct } from 'constructs';
import { HostingStacksError } from './errors';
import { SynthPass } from './synth-pass';

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

/** A cdktf string token as it stands in a string before resolution (cdktf's own marker). */
const STRING_TOKEN_MARKER = /\$\{TfToken\[[a-zA-Z0-9:._-]+\]\}/g;
/** What cdktf reads as an escape in a string with tokens: an opening `${` (not a token's) or a `}`. */
const ESCAPE_SEQUENCE = /\$\{(?!TfToken\[)|\}/g;

/**
 * `text` resolved as cdktf resolves a string attribute at synth (references as Terraform text,
 * e.g. `${var.x}`), in `scope`. A long text with a few tokens (a server's cloud-config) is resolved
 * token by token, each distinct token once per synth pass of the stack, the text between them kept
 * as it is: cdktf's own resolve scans the whole text for its escapes and resolves every token again
 * in every server. Where cdktf would resolve a token differently in place (inside an open `${ ... }`
 * of the text, or to a value that is not a string) the text is resolved by cdktf as a whole.
 * A token is taken to resolve alike wherever it stands in its stack, as references, variables and
 * functions do (no token of the library reads the scope it is resolved in).
 */
export function resolveTerraformString(scope: IConstruct, text: string): string {
  const whole = () => Tokenization.resolve(text, { scope, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) }) as string;
  const markers = [...text.matchAll(STRING_TOKEN_MARKER)];
  if (markers.length === 0) return whole();
  let out = '';
  let last = 0;
  let inEscape = false;
  for (const m of markers) {
    const literal = text.slice(last, m.index);
    const escapes = literal.match(ESCAPE_SEQUENCE);
    if (escapes) inEscape = escapes[escapes.length - 1] !== '}';
    if (inEscape) return whole();
    const resolveToken = () => Tokenization.resolve(m[0], { scope, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) }) as unknown;
    const value = SynthPass.memoTextInStack(scope, 'resolved token', m[0], resolveToken);
    if (typeof value !== 'string') return whole();
    out += literal + value;
    last = m.index + m[0].length;
  }
  // cdktf then decodes number tokens in the resolved string; the text holds no string token now.
  return Tokenization.resolve(out + text.slice(last), { scope, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) }) as string;
}

/**
 * The text `parts.join('')` resolved as {@link resolveTerraformString} resolves it, part by part:
 * each distinct part (by content) resolved once per synth pass of `scope`'s stack, so servers whose
 * documents share most of their parts (the front-ends of a tier) resolve only what differs. A part
 * is resolved alone only where it starts outside an open `${ ... }` of the text before it (what a
 * token inside one means depends on that text); otherwise the whole text is resolved at once.
 */
export function resolveTerraformParts(scope: IConstruct, parts: readonly string[]): string {
  let open = false;
  let out = '';
  for (const part of parts) {
    if (open) return resolveTerraformString(scope, parts.join(''));
    const done = SynthPass.memoTextInStack(scope, 'resolved part', part, () => ({ text: resolveTerraformString(scope, part), last: lastEscape(part) }));
    if (done.last !== undefined) open = done.last !== '}';
    out += done.text;
  }
  return out;
}

/** The last escape sequence of `text` as cdktf reads it (`${` or `}`), if any. */
function lastEscape(text: string): string | undefined {
  const found = text.match(ESCAPE_SEQUENCE);
  return found ? found[found.length - 1] : undefined;
}
