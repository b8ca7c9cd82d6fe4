/**
 * Checks the strings of synthesized Terraform JSON as Terraform reads them, standing in for
 * `terraform validate` where no terraform binary is available. In Terraform's JSON syntax every
 * string is a template: `${ expr }` interpolates, `%{ ... }` is a directive, and `$${` / `%%{`
 * escape them. Daemon configs are full of `${...}` and `%{...}` of their own (Tomcat's
 * `${catalina.base}`, Apache's `%{REQUEST_SCHEME}`), so each must be escaped, and every real
 * interpolation must be an expression of the small subset this library generates: references to
 * declared variables, resources, data sources and locals, and calls of a few string functions.
 */
import { HostingStacksError } from '../core/errors';

/** One string in the Terraform JSON that Terraform would reject or misread. */
export interface TemplateViolation {
  /** `openstack_compute_instance_v2.App_Servers_Instance1_2CE53E47`, `data.openstack_images_image_v2.Image`, `output.x`, `local.x`, `provider.openstack`. */
  readonly address: string;
  /** Attribute path inside the block (`user_data`, `network[0].port`). */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
  /** The string as it stands in the Terraform. */
  readonly value: string;
  /** The construct that made the block, from cdktf's `//` metadata (resources and data sources carry it). */
  readonly constructPath?: string;
}

/** The names a template may refer to. */
export interface TemplateContext {
  /** Declared variables (`name` for `var.name`). @default - none */
  readonly variables?: readonly string[];
  /** Declared resources as `type.name`. @default - none */
  readonly resources?: readonly string[];
  /** Declared data sources as `type.name` (without `data.`). @default - none */
  readonly dataSources?: readonly string[];
  /** Declared locals (`name` for `local.name`). @default - none */
  readonly locals?: readonly string[];
}

/** Terraform functions the check accepts, with their [minimum, maximum] argument counts. */
const FUNCTIONS: Record<string, readonly [number, number]> = {
  replace: [3, 3],
  join: [2, 2],
  jsonencode: [1, 1],
  base64encode: [1, 1],
  format: [1, Infinity],
  lower: [1, 1],
  upper: [1, 1],
  trimspace: [1, 1],
  element: [2, 2],
  lookup: [2, 3],
  tostring: [1, 1],
  compact: [1, 1],
  min: [1, Infinity],
  max: [1, Infinity],
  floor: [1, 1],
};

/** Sections of a Terraform document whose strings are templates. */
const SECTIONS = ['resource', 'data', 'output', 'locals', 'provider'] as const;

/**
 * Checks every string under resource, data, output, locals and provider; returns the violations (none
 * when valid), each with the construct path cdktf recorded for its block when there is one.
 */
export function checkTerraformTemplates(terraform: object): TemplateViolation[] {
  const doc = terraform as Record<string, unknown>;
  const context: TemplateContext = {
    variables: Object.keys(objectOrEmpty(doc.variable)),
    resources: twoLevelNames(doc.resource),
    dataSources: twoLevelNames(doc.data),
    locals: Object.keys(objectOrEmpty(doc.locals)),
  };
  const violations: TemplateViolation[] = [];
  let constructPath: string | undefined;
  const visit = (value: unknown, address: string, path: string): void => {
    if (typeof value === 'string') {
      for (const message of checkTerraformTemplateString(value, context)) {
        violations.push({ address, path, message, value, ...(constructPath === undefined ? {} : { constructPath }) });
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, address, `${path}[${i}]`));
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        // A "//" property is a comment in Terraform's JSON syntax (cdktf puts its metadata there).
        if (k !== '//') visit(v, address, path ? `${path}.${k}` : k);
      }
    }
  };
  const block = (body: unknown, address: string): void => {
    const meta = objectOrEmpty(objectOrEmpty(objectOrEmpty(body)['//']).metadata).path;
    constructPath = typeof meta === 'string' ? meta : undefined;
    visit(body, address, '');
  };
  for (const section of SECTIONS) {
    const entries = objectOrEmpty(doc[section]);
    if (section === 'resource' || section === 'data') {
      const prefix = section === 'data' ? 'data.' : '';
      for (const [type, byName] of Object.entries(entries)) {
        for (const [name, body] of Object.entries(objectOrEmpty(byName))) block(body, `${prefix}${type}.${name}`);
      }
    } else if (section === 'locals') {
      for (const [name, body] of Object.entries(entries)) block(body, `local.${name}`);
    } else {
      for (const [name, body] of Object.entries(entries)) block(body, `${section}.${name}`);
    }
  }
  return violations;
}

/** Checks one template string; returns a message per problem (none when Terraform would read it as intended). */
export function checkTerraformTemplateString(text: string, context: TemplateContext): string[] {
  const problems: string[] = [];
  for (const part of scanTemplate(text)) {
    if (part.kind === 'error') {
      problems.push(part.message);
    } else if (part.kind === 'interpolation') {
      for (const p of checkExpression(part.expression, context)) problems.push(`\${...} at offset ${part.offset}: ${p}`);
    }
  }
  return problems;
}

/**
 * Evaluates an expression of the form `replace(replace(var.x, "a", "b"), "c", "d")` (any depth, over a
 * variable or a string literal) as Terraform would, with `variables` giving the variables' values.
 * Throws a {@link HostingStacksError} on anything else, including a regular-expression substring
 * (`"/.../"`): `evaluateReplaceChain: 'expression' ('upper(var.p)') holds upper() with 1 argument(s), which cannot be evaluated: ...`.
 */
export function evaluateReplaceChain(expression: string, variables: Record<string, string>): string {
  try {
    const parser = new ExpressionParser(expression, 0);
    const expr = parser.parseExpression();
    parser.skipSpace();
    if (!parser.atEnd()) throw new ExpressionProblem(`has unexpected '${expression.slice(parser.pos, parser.pos + 10)}' at offset ${parser.pos}`);
    return evaluate(expr, variables);
  } catch (e) {
    if (e instanceof ExpressionProblem) throw HostingStacksError.ofFactory('evaluateReplaceChain', 'expression', expression, e.message);
    throw e;
  }
}

/**
 * The string Terraform produces from a template whose interpolations are all replace chains over
 * variables (see evaluateReplaceChain): escapes resolved, interpolations replaced by their values.
 * Throws a {@link HostingStacksError} on a directive, an unterminated or unsupported interpolation,
 * naming its offset.
 */
export function evaluateTerraformTemplate(text: string, variables: Record<string, string>): string {
  const fail = (problem: string): never => {
    throw HostingStacksError.ofFactory('evaluateTerraformTemplate', 'text', text.length <= 80 ? text : excerpt(text, 0), `cannot be evaluated: ${problem}`);
  };
  let out = '';
  for (const part of scanTemplate(text)) {
    if (part.kind === 'error') fail(part.message);
    else if (part.kind === 'literal') out += part.text;
    else {
      try {
        out += evaluate(part.expression, variables);
      } catch (e) {
        if (e instanceof ExpressionProblem) fail(`\${...} at offset ${part.offset} ${e.message}`);
        throw e;
      }
    }
  }
  return out;
}

/** Why an expression cannot be parsed or evaluated; caught in this module and reported with its place. */
class ExpressionProblem extends Error {}

/** An expression of the supported subset. */
type Expression =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'reference'; readonly root: string; readonly traversal: readonly string[] }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expression[] }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expression; readonly right: Expression }
  | { readonly kind: 'conditional'; readonly condition: Expression; readonly then: Expression; readonly otherwise: Expression }
  | { readonly kind: 'list'; readonly items: readonly Expression[] };

/** Binary operators with their precedence (higher binds tighter), as in Terraform. */
const BINARY_OPERATORS: readonly (readonly [string, number])[] = [
  ['||', 1], ['&&', 2], ['==', 3], ['!=', 3], ['<=', 4], ['>=', 4], ['<', 4], ['>', 4], ['+', 5], ['-', 5], ['*', 6], ['/', 6], ['%', 6],
];

/** A piece of a scanned template. */
type TemplatePart =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'interpolation'; readonly offset: number; readonly expression: Expression }
  | { readonly kind: 'error'; readonly message: string };

/** Where a template sequence may start. */
const SEQUENCE_START = /[$%]/g;

/** Splits a template into literal text (escapes resolved), parsed interpolations and errors. */
function scanTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i) || text.startsWith('%%{', i)) {
      literal += text.slice(i + 1, i + 3);
      i += 3;
    } else if (text.startsWith('%{', i)) {
      parts.push({ kind: 'error', message: `unescaped '%{' at offset ${i} starts a template directive ('${excerpt(text, i)}'); write '%%{' for a literal '%{'` });
      literal += '%{';
      i += 2;
    } else if (text.startsWith('${', i)) {
      if (literal) parts.push({ kind: 'literal', text: literal });
      literal = '';
      const parser = new ExpressionParser(text, i + 2);
      try {
        const expression = parser.parseExpression();
        parser.skipSpace();
        if (parser.atEnd()) throw new ExpressionProblem('is unterminated (no closing \'}\')');
        if (text[parser.pos] !== '}') throw new ExpressionProblem(`has unexpected '${text[parser.pos]}' at offset ${parser.pos}`);
        parts.push({ kind: 'interpolation', offset: i, expression });
        i = parser.pos + 1;
      } catch (e) {
        if (!(e instanceof ExpressionProblem)) throw e;
        parts.push({ kind: 'error', message: `\${...} at offset ${i} ('${excerpt(text, i)}') ${e.message}; write '$\${' for a literal '\${'` });
        i += 2;
      }
    } else {
      // Plain text up to the next '$' or '%' (at least this character), in one piece.
      SEQUENCE_START.lastIndex = i + 1;
      const next = SEQUENCE_START.exec(text);
      const end = next ? next.index : text.length;
      literal += text.slice(i, end);
      i = end;
    }
  }
  if (literal) parts.push({ kind: 'literal', text: literal });
  return parts;
}

/** Recursive-descent parser for the expression subset, reading `text` from `pos`. */
class ExpressionParser {
  constructor(
    private readonly text: string,
    public pos: number,
  ) {}

  public atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  public skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.text[this.pos])) this.pos += 1;
  }

  /** expression := binary [ '?' expression ':' expression ] */
  public parseExpression(): Expression {
    const condition = this.parseBinary(1);
    this.skipSpace();
    if (this.text[this.pos] !== '?') return condition;
    this.pos += 1;
    const then = this.parseExpression();
    this.skipSpace();
    if (this.text[this.pos] !== ':') throw new ExpressionProblem(this.atEnd() ? "is unterminated (':' of a conditional expected)" : `has unexpected '${this.text[this.pos]}' at offset ${this.pos} (':' of a conditional expected)`);
    this.pos += 1;
    const otherwise = this.parseExpression();
    return { kind: 'conditional', condition, then, otherwise };
  }

  /** binary := primary ( operator primary )*, by precedence climbing from `minPrecedence`. */
  private parseBinary(minPrecedence: number): Expression {
    let left = this.parsePrimary();
    for (;;) {
      this.skipSpace();
      const found = BINARY_OPERATORS.find(([op, prec]) => prec >= minPrecedence && this.text.startsWith(op, this.pos));
      if (!found) return left;
      const [op, prec] = found;
      this.pos += op.length;
      const right = this.parseBinary(prec + 1);
      left = { kind: 'binary', op, left, right };
    }
  }

  /** primary := string | number | list | identifier ( '(' args ')' | traversal ) */
  private parsePrimary(): Expression {
    this.skipSpace();
    if (this.atEnd()) throw new ExpressionProblem('is unterminated (expression expected)');
    const c = this.text[this.pos];
    if (c === '"') return this.parseString();
    if (c === '[') return this.parseList();
    if (/[0-9]/.test(c)) return this.parseNumber();
    const root = this.parseIdentifier();
    this.skipSpace();
    if (this.text[this.pos] === '(') return this.parseCall(root);
    const traversal: string[] = [];
    for (;;) {
      if (this.text[this.pos] === '.') {
        this.pos += 1;
        traversal.push(this.parseIdentifier());
      } else if (this.text[this.pos] === '[') {
        const m = /^\[([0-9]+)\]/.exec(this.text.slice(this.pos));
        if (!m) throw new ExpressionProblem(`has an unsupported index at offset ${this.pos} (only [digits])`);
        traversal.push(m[0]);
        this.pos += m[0].length;
      } else {
        return { kind: 'reference', root, traversal };
      }
    }
  }

  /** list := '[' [ expression ( ',' expression )* [','] ] ']' */
  private parseList(): Expression {
    const start = this.pos;
    this.pos += 1;
    const items: Expression[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === ']') {
        this.pos += 1;
        return { kind: 'list', items };
      }
      items.push(this.parseExpression());
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === undefined) throw new ExpressionProblem(`is unterminated (no ']' closing the list at offset ${start})`);
      if (c === ',') this.pos += 1;
      else if (c !== ']') throw new ExpressionProblem(`has unexpected '${c}' at offset ${this.pos} in the list at offset ${start}`);
    }
  }

  private parseCall(name: string): Expression {
    this.pos += 1;
    const args: Expression[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ')') {
      this.pos += 1;
      return { kind: 'call', name, args };
    }
    for (;;) {
      args.push(this.parseExpression());
      this.skipSpace();
      const c = this.text[this.pos];
      this.pos += 1;
      if (c === ')') return { kind: 'call', name, args };
      if (c === undefined) throw new ExpressionProblem(`is unterminated (no ')' closing ${name}(...))`);
      if (c !== ',') throw new ExpressionProblem(`has unexpected '${c}' at offset ${this.pos - 1} in the arguments of ${name}(...)`);
    }
  }

  private parseString(): Expression {
    const start = this.pos;
    this.pos += 1;
    let value = '';
    for (;;) {
      if (this.atEnd()) throw new ExpressionProblem(`is unterminated (string literal at offset ${start} not closed)`);
      const c = this.text[this.pos];
      if (c === '"') {
        this.pos += 1;
        break;
      }
      if (c === '\\') {
        const e = this.text[this.pos + 1];
        if (e !== '"' && e !== '\\') throw new ExpressionProblem(`has an unsupported escape '\\${e ?? ''}' in a string literal at offset ${this.pos}`);
        value += e;
        this.pos += 2;
        continue;
      }
      if (c === '\n') throw new ExpressionProblem(`has a newline in a string literal at offset ${this.pos}`);
      value += c;
      this.pos += 1;
    }
    // A quoted string inside an expression is itself a template; this subset keeps literals plain.
    if (/[$%]\{/.test(value)) throw new ExpressionProblem(`has a template sequence inside the string literal at offset ${start}, which this check does not support`);
    return { kind: 'string', value };
  }

  private parseNumber(): Expression {
    const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.pos))!;
    this.pos += m[0].length;
    return { kind: 'number', text: m[0] };
  }

  private parseIdentifier(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.text.slice(this.pos));
    if (!m) {
      if (this.atEnd()) throw new ExpressionProblem('is unterminated (name expected)');
      throw new ExpressionProblem(`has unexpected '${this.text[this.pos]}' at offset ${this.pos} (a name, string or number expected)`);
    }
    this.pos += m[0].length;
    return m[0];
  }
}

/** Problems of a parsed expression against the declared names. */
function checkExpression(expr: Expression, context: TemplateContext): string[] {
  switch (expr.kind) {
    case 'string':
    case 'number':
      return [];
    case 'call': {
      const arity = FUNCTIONS[expr.name];
      if (!arity) return [`function '${expr.name}' is not one this check accepts (${Object.keys(FUNCTIONS).join(', ')})`];
      const [min, max] = arity;
      const problems = expr.args.length < min || expr.args.length > max
        ? [`${expr.name}() takes ${min === max ? min : max === Infinity ? `at least ${min}` : `${min} to ${max}`} argument(s), got ${expr.args.length}`]
        : [];
      return [...problems, ...expr.args.flatMap((a) => checkExpression(a, context))];
    }
    case 'reference':
      return checkReference(expr.root, expr.traversal, context);
    case 'binary':
      return [...checkExpression(expr.left, context), ...checkExpression(expr.right, context)];
    case 'conditional':
      return [expr.condition, expr.then, expr.otherwise].flatMap((e) => checkExpression(e, context));
    case 'list':
      return expr.items.flatMap((e) => checkExpression(e, context));
  }
}

function checkReference(root: string, traversal: readonly string[], context: TemplateContext): string[] {
  const text = [root, ...traversal].map((t, i) => (i === 0 || t.startsWith('[') ? t : `.${t}`)).join('');
  const [first, second] = traversal;
  const isName = (t: string | undefined): t is string => t !== undefined && !t.startsWith('[');
  if (root === 'var' || root === 'local') {
    const declared = root === 'var' ? context.variables : context.locals;
    if (!isName(first) || traversal.length !== 1) return [`reference '${text}' must be ${root}.<name>`];
    return declared?.includes(first) ? [] : [`reference '${text}' names ${root === 'var' ? 'a variable' : 'a local'} that is not declared`];
  }
  if (root === 'data') {
    if (!isName(first) || !isName(second) || traversal.length < 3) return [`reference '${text}' must be data.<type>.<name>.<attribute>`];
    return context.dataSources?.includes(`${first}.${second}`) ? [] : [`reference '${text}' names a data source that is not declared`];
  }
  // A resource with `count` is addressed by index: <type>.<name>[0].<attribute>.
  const attribute = traversal[1]?.startsWith('[') ? traversal[2] : traversal[1];
  if (!isName(first) || traversal.length < 2 || !isName(attribute)) {
    return [`reference '${text}' is not var.<name>, local.<name>, <resource_type>.<name>[<index>].<attribute> or data.<type>.<name>.<attribute>`];
  }
  return context.resources?.includes(`${root}.${first}`) ? [] : [`reference '${text}' names a resource that is not declared`];
}

function evaluate(expr: Expression, variables: Record<string, string>): string {
  if (expr.kind === 'string') return expr.value;
  if (expr.kind === 'reference') {
    const [name] = expr.traversal;
    if (expr.root !== 'var' || expr.traversal.length !== 1 || !Object.prototype.hasOwnProperty.call(variables, name)) {
      throw new ExpressionProblem(`holds '${[expr.root, ...expr.traversal].join('.')}', which cannot be evaluated: only var.<name> with a given value is supported`);
    }
    return variables[name];
  }
  if (expr.kind === 'call' && expr.name === 'replace' && expr.args.length === 3) {
    const [str, search, replacement] = expr.args.map((a) => evaluate(a, variables));
    // Terraform's replace() treats a substring wrapped in '/' as a regular expression.
    if (search.length >= 2 && search.startsWith('/') && search.endsWith('/')) throw new ExpressionProblem(`holds replace() with the regular expression ${search}, which cannot be evaluated`);
    if (search === '') throw new ExpressionProblem('holds replace() with an empty substring, which cannot be evaluated');
    return str.split(search).join(replacement);
  }
  if (expr.kind === 'call' && expr.name === 'base64encode' && expr.args.length === 1) {
    // Terraform encodes the string's UTF-8 bytes.
    return Buffer.from(evaluate(expr.args[0], variables), 'utf8').toString('base64');
  }
  const what = expr.kind === 'call' ? `${expr.name}() with ${expr.args.length} argument(s)` : expr.kind === 'number' ? `the number ${expr.text}` : `a ${expr.kind} expression`;
  throw new ExpressionProblem(`holds ${what}, which cannot be evaluated: only replace(str, "a", "b") chains and base64encode(str) are supported`);
}

function objectOrEmpty(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** `type.name` of every entry of a resource or data section. */
function twoLevelNames(section: unknown): string[] {
  return Object.entries(objectOrEmpty(section)).flatMap(([type, byName]) => Object.keys(objectOrEmpty(byName)).map((name) => `${type}.${name}`));
}

function excerpt(text: string, at: number): string {
  const s = text.slice(at, at + 40);
  return s.length < text.length - at ? `${s}...` : s;
}
