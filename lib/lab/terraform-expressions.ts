/**
 * Evaluates Terraform JSON-syntax string templates the way Terraform does, for the subset of the
 * language this library emits (and a little more): `${ expr }` interpolations, the `$${` / `%%{`
 * escapes, literals, `var.x`, resource and data-source references, `count.index`, a set of
 * functions, operators, conditionals and lists. Template directives (`%{ ... }`) are not supported.
 *
 * The evaluator is pure: what references resolve to is decided by the caller's {@link EvaluationScope}.
 */

import { HostingStacksToolError } from '../core/errors';

/** A value of the Terraform language as the lab handles it. */
export type TerraformValue = string | number | boolean | null | readonly TerraformValue[] | { readonly [key: string]: TerraformValue };

/** One step of a traversal after a reference's root: `.name` or `[index]`. */
export type TraversalStep = { readonly kind: 'attribute'; readonly name: string } | { readonly kind: 'index'; readonly value: TerraformValue };

/** A reference to a managed resource (`TYPE.NAME[i].attr...`) or a data source (`data.TYPE.NAME.attr...`). */
export interface ResourceReference {
  /** `data` for a data source. */
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  /** The `[i]` right after the name, when given. */
  readonly index?: number;
  /** Everything after the name (and index): at least one attribute. */
  readonly steps: readonly TraversalStep[];
  /** The reference as written (`openstack_networking_port_v2.X[0].id`), for messages. */
  readonly text: string;
}

/** What references resolve to; the evaluator calls it and never looks at a document itself. */
export interface EvaluationScope {
  /** The value of `var.name` (throw when there is none). */
  variable(name: string): TerraformValue;
  /** The value of a resource or data-source reference with all its steps applied (throw when unknown). */
  resource(reference: ResourceReference): TerraformValue;
  /** `count.index`, inside a counted resource. @default - `count.index` is an error */
  readonly countIndex?: number;
}

/** Where a template sits: the block's address and the attribute path inside it. */
export interface EvaluationSite {
  /** `openstack_compute_instance_v2.Web_Servers_Instance1_ABCD1234[0]`. */
  readonly address: string;
  /** `user_data`, `network[0].port`. */
  readonly path: string;
}

/**
 * An expression the lab cannot evaluate (or that Terraform would reject), naming the resource
 * address, the attribute path and the expression text.
 */
export class LabEvaluationError extends HostingStacksToolError {
  /** The block's Terraform address. */
  public readonly address: string;
  /** The attribute path in the block. */
  public readonly path: string;
  /** The expression (or template excerpt) that failed. */
  public readonly expression: string;
  /** Why, without the location. */
  public readonly reason: string;

  constructor(site: EvaluationSite, expression: string, reason: string) {
    super(site.address, site.path, `${site.address}: ${site.path}: cannot evaluate \${${expression}}: ${reason}`);
    this.name = 'LabEvaluationError';
    this.address = site.address;
    this.path = site.path;
    this.expression = expression;
    this.reason = reason;
  }
}

/** A parsed expression. */
export type Expression =
  | { readonly kind: 'literal'; readonly value: TerraformValue }
  | { readonly kind: 'template'; readonly parts: readonly TemplatePart[] }
  | { readonly kind: 'reference'; readonly root: string; readonly steps: readonly StepExpression[]; readonly text: string }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expression[] }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expression; readonly right: Expression }
  | { readonly kind: 'unary'; readonly op: '-' | '!'; readonly operand: Expression }
  | { readonly kind: 'conditional'; readonly condition: Expression; readonly then: Expression; readonly otherwise: Expression }
  | { readonly kind: 'list'; readonly items: readonly Expression[] }
  | { readonly kind: 'traverse'; readonly target: Expression; readonly steps: readonly StepExpression[] };

/** A traversal step whose index is still an expression. */
export type StepExpression = { readonly kind: 'attribute'; readonly name: string } | { readonly kind: 'index'; readonly index: Expression };

/** A piece of a template: literal text (escapes resolved) or an interpolation with its source text. */
export type TemplatePart = { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'interpolation'; readonly expression: Expression; readonly source: string };

/** A syntax error with the offending text; turned into a LabEvaluationError by the public functions. */
class SyntaxProblem extends Error {
  constructor(
    message: string,
    public readonly source: string,
  ) {
    super(message);
  }
}

/** An evaluation problem inside one interpolation. */
class EvalProblem extends Error {}

/** Binary operators with their precedence (higher binds tighter), as in HCL. */
const BINARY_OPERATORS: readonly (readonly [string, number])[] = [
  ['||', 1], ['&&', 2], ['==', 3], ['!=', 3], ['<=', 4], ['>=', 4], ['<', 4], ['>', 4], ['+', 5], ['-', 5], ['*', 6], ['/', 6], ['%', 6],
];

/**
 * Parses a Terraform JSON-syntax string as a template (no backslash escapes: JSON decoding already
 * resolved them). Throws a SyntaxProblem on a directive or a malformed interpolation.
 */
function parseJsonTemplate(text: string): TemplatePart[] {
  const parser = new Parser(text, 0);
  return parser.parseTemplateBody(false);
}

/** Recursive-descent parser over `text`, from `pos`. */
class Parser {
  constructor(
    private readonly text: string,
    public pos: number,
  ) {}

  public atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  public skipSpace(): void {
    while (!this.atEnd()) {
      const c = this.text[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        this.pos += 1;
      } else if (this.text.startsWith('#', this.pos) || this.text.startsWith('//', this.pos)) {
        while (!this.atEnd() && this.text[this.pos] !== '\n') this.pos += 1;
      } else if (this.text.startsWith('/*', this.pos)) {
        const end = this.text.indexOf('*/', this.pos + 2);
        if (end < 0) throw this.problem('unterminated comment');
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }

  private problem(message: string, from = this.pos): SyntaxProblem {
    return new SyntaxProblem(`${message} at offset ${from}`, excerpt(this.text, from));
  }

  /**
   * A template body up to the end of the text (JSON string) or up to the closing `"` (quoted
   * template inside an expression, with backslash escapes).
   */
  public parseTemplateBody(quoted: boolean): TemplatePart[] {
    const parts: TemplatePart[] = [];
    let literal = '';
    const flush = (): void => {
      if (literal) parts.push({ kind: 'literal', text: literal });
      literal = '';
    };
    for (;;) {
      if (this.atEnd()) {
        if (quoted) throw this.problem('unterminated string literal');
        break;
      }
      const c = this.text[this.pos];
      if (quoted && c === '"') {
        this.pos += 1;
        break;
      }
      if (quoted && c === '\n') throw this.problem('newline in a string literal');
      if (this.text.startsWith('$${', this.pos) || this.text.startsWith('%%{', this.pos)) {
        literal += this.text.slice(this.pos + 1, this.pos + 3);
        this.pos += 3;
      } else if (this.text.startsWith('%{', this.pos)) {
        throw this.problem("template directives (%{ ... }) are not supported; write '%%{' for a literal '%{'");
      } else if (this.text.startsWith('${', this.pos)) {
        flush();
        const start = this.pos;
        this.pos += 2;
        if (this.peek() === '~') throw this.problem('whitespace strip markers (${~) are not supported');
        const expression = this.parseExpression();
        this.skipSpace();
        if (this.peek() === '~') throw this.problem('whitespace strip markers (~}) are not supported');
        if (this.peek() !== '}') throw this.problem(this.atEnd() ? "unterminated interpolation (no closing '}')" : `unexpected '${this.peek()}' in an interpolation`);
        this.pos += 1;
        parts.push({ kind: 'interpolation', expression, source: this.text.slice(start + 2, this.pos - 1).trim() });
      } else if (quoted && c === '\\') {
        literal += this.parseEscape();
      } else {
        literal += c;
        this.pos += 1;
      }
    }
    flush();
    return parts;
  }

  private parseEscape(): string {
    const e = this.text[this.pos + 1];
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
    if (e !== undefined && simple[e] !== undefined) {
      this.pos += 2;
      return simple[e];
    }
    if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const hex = this.text.slice(this.pos + 2, this.pos + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw this.problem(`bad \\${e} escape`);
      this.pos += 2 + len;
      return String.fromCodePoint(parseInt(hex, 16));
    }
    throw this.problem(`unsupported escape '\\${e ?? ''}' in a string literal`);
  }

  /** expression := binary [ '?' expression ':' expression ] */
  public parseExpression(): Expression {
    const condition = this.parseBinary(1);
    this.skipSpace();
    if (this.peek() !== '?') return condition;
    this.pos += 1;
    const then = this.parseExpression();
    this.skipSpace();
    if (this.peek() !== ':') throw this.problem("':' of a conditional expected");
    this.pos += 1;
    const otherwise = this.parseExpression();
    return { kind: 'conditional', condition, then, otherwise };
  }

  private parseBinary(minPrecedence: number): Expression {
    let left = this.parseUnary();
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

  private parseUnary(): Expression {
    this.skipSpace();
    const c = this.peek();
    if (c === '-' || c === '!') {
      this.pos += 1;
      return { kind: 'unary', op: c, operand: this.parseUnary() };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  /** Attribute and index steps after any primary (`(expr)[0]`, `f(x).a`, `var.x[1]`). */
  private parsePostfix(target: Expression): Expression {
    const steps = this.parseSteps();
    if (steps.length === 0) return target;
    if (target.kind === 'reference') {
      return { kind: 'reference', root: target.root, steps: [...target.steps, ...steps], text: target.text + this.stepsText(steps) };
    }
    return { kind: 'traverse', target, steps };
  }

  private stepsText(steps: readonly StepExpression[]): string {
    return steps.map((s) => (s.kind === 'attribute' ? `.${s.name}` : `[${s.index.kind === 'literal' ? JSON.stringify(s.index.value) : '...'}]`)).join('');
  }

  private parseSteps(): StepExpression[] {
    const steps: StepExpression[] = [];
    for (;;) {
      if (this.peek() === '.') {
        this.pos += 1;
        if (this.peek() === '*') throw this.problem('splat expressions (.*) are not supported');
        const m = /^[0-9]+/.exec(this.text.slice(this.pos));
        if (m) {
          // Legacy index syntax `list.0`.
          this.pos += m[0].length;
          steps.push({ kind: 'index', index: { kind: 'literal', value: Number(m[0]) } });
        } else {
          steps.push({ kind: 'attribute', name: this.parseIdentifier() });
        }
      } else if (this.peek() === '[') {
        this.pos += 1;
        this.skipSpace();
        if (this.peek() === '*') throw this.problem('splat expressions ([*]) are not supported');
        const index = this.parseExpression();
        this.skipSpace();
        if (this.peek() !== ']') throw this.problem("']' expected");
        this.pos += 1;
        steps.push({ kind: 'index', index });
      } else {
        return steps;
      }
    }
  }

  private parsePrimary(): Expression {
    this.skipSpace();
    if (this.atEnd()) throw this.problem('expression expected');
    const c = this.text[this.pos];
    if (c === '"') {
      this.pos += 1;
      const parts = this.parseTemplateBody(true);
      if (parts.every((p) => p.kind === 'literal')) return { kind: 'literal', value: parts.map((p) => (p as { text: string }).text).join('') };
      return { kind: 'template', parts };
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.pos))!;
      this.pos += m[0].length;
      return { kind: 'literal', value: Number(m[0]) };
    }
    if (c === '(') {
      this.pos += 1;
      const inner = this.parseExpression();
      this.skipSpace();
      if (this.peek() !== ')') throw this.problem("')' expected");
      this.pos += 1;
      return inner;
    }
    if (c === '[') {
      this.pos += 1;
      const items: Expression[] = [];
      for (;;) {
        this.skipSpace();
        if (this.peek() === ']') {
          this.pos += 1;
          return { kind: 'list', items };
        }
        if (this.peek() === 'f' && /^for\s/.test(this.text.slice(this.pos))) throw this.problem('for expressions are not supported');
        items.push(this.parseExpression());
        this.skipSpace();
        if (this.peek() === ',') {
          this.pos += 1;
        } else if (this.peek() !== ']') {
          throw this.problem("',' or ']' expected in a list");
        }
      }
    }
    if (c === '{') throw this.problem('object constructors are not supported');
    if (c === '<' && this.text.startsWith('<<', this.pos)) throw this.problem('heredocs are not supported');
    const start = this.pos;
    const name = this.parseIdentifier();
    if (name === 'true' || name === 'false') return { kind: 'literal', value: name === 'true' };
    if (name === 'null') return { kind: 'literal', value: null };
    this.skipSpace();
    if (this.peek() === '(') return this.parseCall(name);
    const steps = this.parseSteps();
    return { kind: 'reference', root: name, steps, text: this.text.slice(start, this.pos) };
  }

  private parseCall(name: string): Expression {
    this.pos += 1;
    const args: Expression[] = [];
    for (;;) {
      this.skipSpace();
      if (this.peek() === ')') {
        this.pos += 1;
        return { kind: 'call', name, args };
      }
      args.push(this.parseExpression());
      this.skipSpace();
      if (this.text.startsWith('...', this.pos)) throw this.problem('argument expansion (...) is not supported');
      if (this.peek() === ',') {
        this.pos += 1;
      } else if (this.peek() !== ')') {
        throw this.problem(this.atEnd() ? `no ')' closing ${name}(...)` : `unexpected '${this.peek()}' in the arguments of ${name}(...)`);
      }
    }
  }

  private parseIdentifier(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.text.slice(this.pos));
    if (!m) throw this.problem(this.atEnd() ? 'name expected' : `unexpected '${this.peek()}' (a name, string or number expected)`);
    this.pos += m[0].length;
    return m[0];
  }
}

/** Parses one expression (the text inside `${ }`, without the braces); throws on a syntax error or trailing text. */
export function parseExpression(text: string): Expression {
  const parser = new Parser(text, 0);
  const expression = parser.parseExpression();
  parser.skipSpace();
  if (!parser.atEnd()) throw new SyntaxProblem(`unexpected '${text.slice(parser.pos, parser.pos + 10)}' at offset ${parser.pos}`, text);
  return expression;
}

/**
 * Evaluates a Terraform JSON-syntax string as Terraform would: escapes resolved, interpolations
 * replaced by their values. A string that is exactly one `${expr}` keeps the expression's type
 * (a number for `count`, a list...). Throws a LabEvaluationError naming `site` and the expression.
 */
export function evaluateTemplate(text: string, scope: EvaluationScope, site: EvaluationSite): TerraformValue {
  let parts: TemplatePart[];
  try {
    parts = parseJsonTemplate(text);
  } catch (e) {
    if (e instanceof SyntaxProblem) throw new LabEvaluationError(site, e.source, e.message);
    throw e;
  }
  if (parts.length === 1 && parts[0].kind === 'interpolation') {
    const part = parts[0];
    return guard(site, part.source, () => evaluateExpression(part.expression, scope));
  }
  let out = '';
  for (const part of parts) {
    out += part.kind === 'literal' ? part.text : guard(site, part.source, () => templateString(evaluateExpression(part.expression, scope)));
  }
  return out;
}

/** Whether a JSON string contains an interpolation or directive Terraform would process (not only escapes). */
export function hasInterpolation(text: string): boolean {
  return /(^|[^$%])[$%]\{/.test(text.replace(/\$\$\{|%%\{/g, ''));
}

/**
 * Evaluates every string of a JSON value (objects and lists recursively) as a template; `//`
 * comment keys are dropped. `site.path` is extended with the keys and indexes.
 */
export function evaluateValue(value: unknown, scope: EvaluationScope, site: EvaluationSite): TerraformValue {
  if (typeof value === 'string') return evaluateTemplate(value, scope, site);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (Array.isArray(value)) return value.map((v, i) => evaluateValue(v, scope, { address: site.address, path: `${site.path}[${i}]` }));
  if (typeof value === 'object') {
    const out: Record<string, TerraformValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k !== '//') out[k] = evaluateValue(v, scope, { address: site.address, path: site.path ? `${site.path}.${k}` : k });
    }
    return out;
  }
  throw new LabEvaluationError(site, String(value), `unsupported JSON value of type ${typeof value}`);
}

function guard<T>(site: EvaluationSite, source: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    // An error from evaluating another block's attribute (a reference) is reported at this site too.
    if (e instanceof LabEvaluationError) {
      if (e.address === site.address && e.path === site.path) throw e;
      throw new LabEvaluationError(site, source, `via ${e.address} ${e.path}: ${e.reason} (in \${${e.expression}})`);
    }
    if (e instanceof EvalProblem || e instanceof SyntaxProblem) throw new LabEvaluationError(site, source, e.message);
    // The scope's own errors (an unknown variable or resource) are reported with the site too.
    if (e instanceof Error) throw new LabEvaluationError(site, source, e.message);
    throw e;
  }
}

/** Evaluates a parsed expression in `scope`; throws an Error with the reason on failure. */
export function evaluateExpression(expr: Expression, scope: EvaluationScope): TerraformValue {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'template':
      return expr.parts.map((p) => (p.kind === 'literal' ? p.text : templateString(evaluateExpression(p.expression, scope)))).join('');
    case 'list':
      return expr.items.map((i) => evaluateExpression(i, scope));
    case 'traverse':
      return applySteps(evaluateExpression(expr.target, scope), evaluateSteps(expr.steps, scope), 'the value');
    case 'reference':
      return evaluateReference(expr, scope);
    case 'unary': {
      const v = evaluateExpression(expr.operand, scope);
      return expr.op === '-' ? -toNumber(v, 'the operand of unary -') : !toBool(v, "the operand of '!'");
    }
    case 'conditional':
      return toBool(evaluateExpression(expr.condition, scope), 'the condition') ? evaluateExpression(expr.then, scope) : evaluateExpression(expr.otherwise, scope);
    case 'binary':
      return evaluateBinary(expr.op, expr.left, expr.right, scope);
    case 'call':
      if (expr.name === 'can') {
        // can(): whether its argument evaluates without an error (the argument is evaluated here, lazily).
        if (expr.args.length !== 1) throw new EvalProblem(`can() takes 1 argument(s), got ${expr.args.length}`);
        try {
          evaluateExpression(expr.args[0], scope);
          return true;
        } catch (e) {
          if (e instanceof EvalProblem) return false;
          throw e;
        }
      }
      return callFunction(expr.name, expr.args.map((a) => evaluateExpression(a, scope)));
  }
}

function evaluateSteps(steps: readonly StepExpression[], scope: EvaluationScope): TraversalStep[] {
  return steps.map((s) => (s.kind === 'attribute' ? s : { kind: 'index', value: evaluateExpression(s.index, scope) }));
}

function evaluateReference(expr: Extract<Expression, { kind: 'reference' }>, scope: EvaluationScope): TerraformValue {
  const steps = evaluateSteps(expr.steps, scope);
  const attr = (i: number): string | undefined => {
    const s = steps[i];
    return s?.kind === 'attribute' ? s.name : undefined;
  };
  if (expr.root === 'var') {
    const name = attr(0);
    if (name === undefined) throw new EvalProblem(`'${expr.text}' must be var.<name>`);
    return applySteps(scope.variable(name), steps.slice(1), `var.${name}`);
  }
  if (expr.root === 'count') {
    if (attr(0) !== 'index' || steps.length !== 1) throw new EvalProblem(`'${expr.text}': only count.index is supported`);
    if (scope.countIndex === undefined) throw new EvalProblem("count.index is only available in a resource that sets 'count'");
    return scope.countIndex;
  }
  if (['local', 'each', 'path', 'terraform', 'self', 'module'].includes(expr.root)) {
    throw new EvalProblem(`'${expr.text}': ${expr.root}.* references are not supported by the lab`);
  }
  const data = expr.root === 'data';
  const type = data ? attr(0) : expr.root;
  const name = data ? attr(1) : attr(0);
  let rest = steps.slice(data ? 2 : 1);
  if (type === undefined || name === undefined) throw new EvalProblem(`'${expr.text}' is not a reference Terraform accepts`);
  let index: number | undefined;
  if (rest[0]?.kind === 'index') {
    const v = rest[0].value;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new EvalProblem(`'${expr.text}': index ${JSON.stringify(v)} is not a whole number`);
    index = v;
    rest = rest.slice(1);
  }
  if (rest.length === 0 || rest[0].kind !== 'attribute') throw new EvalProblem(`'${expr.text}': a reference to a whole resource is not supported (an attribute is needed)`);
  return scope.resource({ mode: data ? 'data' : 'managed', type, name, index, steps: rest, text: expr.text });
}

/** Applies `.attr` / `[i]` steps to a value. */
export function applySteps(value: TerraformValue, steps: readonly TraversalStep[], what: string): TerraformValue {
  let v = value;
  let path = what;
  for (const s of steps) {
    if (s.kind === 'attribute') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new EvalProblem(`${path} has no attribute '${s.name}' (not an object)`);
      const o = v as Record<string, TerraformValue>;
      if (!Object.prototype.hasOwnProperty.call(o, s.name)) throw new EvalProblem(`${path} has no attribute '${s.name}'`);
      v = o[s.name];
      path += `.${s.name}`;
    } else if (Array.isArray(v)) {
      const i = toNumber(s.value, 'an index');
      if (!Number.isInteger(i) || i < 0 || i >= v.length) throw new EvalProblem(`index ${i} is out of range for ${path} (${v.length} element(s))`);
      v = v[i];
      path += `[${i}]`;
    } else if (v !== null && typeof v === 'object') {
      const k = toStringValue(s.value, 'a key');
      const o = v as Record<string, TerraformValue>;
      if (!Object.prototype.hasOwnProperty.call(o, k)) throw new EvalProblem(`${path} has no element '${k}'`);
      v = o[k];
      path += `[${JSON.stringify(k)}]`;
    } else {
      throw new EvalProblem(`${path} cannot be indexed (not a list or map)`);
    }
  }
  return v;
}

function evaluateBinary(op: string, leftExpr: Expression, rightExpr: Expression, scope: EvaluationScope): TerraformValue {
  // Terraform evaluates both operands of && and || (no short circuit); so does the lab.
  const left = evaluateExpression(leftExpr, scope);
  const right = evaluateExpression(rightExpr, scope);
  switch (op) {
    case '||':
      return toBool(left, "the left operand of '||'") || toBool(right, "the right operand of '||'");
    case '&&':
      return toBool(left, "the left operand of '&&'") && toBool(right, "the right operand of '&&'");
    case '==':
      return deepEqual(left, right);
    case '!=':
      return !deepEqual(left, right);
  }
  const a = toNumber(left, `the left operand of '${op}'`);
  const b = toNumber(right, `the right operand of '${op}'`);
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/':
      if (b === 0) throw new EvalProblem('division by zero');
      return a / b;
    case '%':
      if (b === 0) throw new EvalProblem('modulo by zero');
      return a % b;
  }
  throw new EvalProblem(`unknown operator '${op}'`);
}

function deepEqual(a: TerraformValue, b: TerraformValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    const oa = a as Record<string, TerraformValue>;
    const ob = b as Record<string, TerraformValue>;
    return deepEqual(ka, kb) && ka.every((k) => deepEqual(oa[k], ob[k]));
  }
  return false;
}

function describe(v: TerraformValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function toNumber(v: TerraformValue, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*$/.test(v)) return Number(v);
  throw new EvalProblem(`${what} must be a number, got ${describe(v)}`);
}

function toBool(v: TerraformValue, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new EvalProblem(`${what} must be a bool, got ${describe(v)}`);
}

/** Terraform's conversion of a primitive to string (numbers in shortest decimal form). */
function toStringValue(v: TerraformValue, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  throw new EvalProblem(`${what} must be a string, got ${describe(v)}`);
}

/** The string a template interpolation produces (null and collections are errors, as in Terraform). */
function templateString(v: TerraformValue): string {
  if (v === null) throw new EvalProblem('the expression result is null (a template cannot interpolate null)');
  return toStringValue(v, 'an interpolated value');
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new EvalProblem(`the number ${n} cannot be represented`);
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return BigInt(n).toString();
  return String(n);
}

function toList(v: TerraformValue, what: string): readonly TerraformValue[] {
  if (Array.isArray(v)) return v;
  throw new EvalProblem(`${what} must be a list, got ${describe(v)}`);
}

/**
 * Terraform's regex(): the match, or its captures (a list; a map with named groups); an error when
 * nothing matches. RE2 syntax is translated as for replace(); what cannot be is an error.
 */
function regex(pattern: string, text: string): TerraformValue {
  const m = toJsRegExp(pattern, 'regex').exec(text);
  if (!m) throw new EvalProblem(`regex() pattern ${JSON.stringify(pattern)} does not match ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)}`);
  if (m.groups) return Object.fromEntries(Object.entries(m.groups).map(([k, v]) => [k, v ?? null]));
  return m.length > 1 ? m.slice(1).map((v) => v ?? null) : m[0];
}

/** Arity of each supported function: [minimum, maximum]. */
const ARITY: Record<string, readonly [number, number]> = {
  replace: [3, 3], join: [2, Infinity], jsonencode: [1, 1], base64encode: [1, 1], format: [1, Infinity], lower: [1, 1], upper: [1, 1],
  trimspace: [1, 1], element: [2, 2], lookup: [2, 3], tostring: [1, 1], min: [1, Infinity], max: [1, Infinity], floor: [1, 1],
  regex: [2, 2], can: [1, 1],
};

/** The Terraform functions the lab implements. */
export const SUPPORTED_FUNCTIONS: readonly string[] = Object.keys(ARITY);

function callFunction(name: string, args: TerraformValue[]): TerraformValue {
  const arity = ARITY[name];
  if (!arity) throw new EvalProblem(`function '${name}' is not supported by the lab (supported: ${SUPPORTED_FUNCTIONS.join(', ')})`);
  const [lo, hi] = arity;
  if (args.length < lo || args.length > hi) {
    throw new EvalProblem(`${name}() takes ${lo === hi ? lo : hi === Infinity ? `at least ${lo}` : `${lo} to ${hi}`} argument(s), got ${args.length}`);
  }
  const str = (i: number): string => {
    if (args[i] === null) throw new EvalProblem(`argument ${i + 1} of ${name}() must not be null`);
    return toStringValue(args[i], `argument ${i + 1} of ${name}()`);
  };
  const num = (i: number): number => toNumber(args[i], `argument ${i + 1} of ${name}()`);
  switch (name) {
    case 'replace':
      return replace(str(0), str(1), str(2));
    case 'join': {
      const sep = str(0);
      return args.slice(1).flatMap((l, i) => toList(l, `argument ${i + 2} of join()`)).map((v) => toStringValue(v, 'an element of join()')).join(sep);
    }
    case 'jsonencode':
      return jsonEncode(args[0]);
    case 'base64encode':
      return Buffer.from(str(0), 'utf8').toString('base64');
    case 'format':
      return format(str(0), args.slice(1));
    case 'lower':
      return str(0).toLowerCase();
    case 'upper':
      return str(0).toUpperCase();
    case 'regex':
      return regex(str(0), str(1));
    case 'trimspace':
      return str(0).replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '');
    case 'element': {
      const list = toList(args[0], 'argument 1 of element()');
      const i = num(1);
      if (list.length === 0) throw new EvalProblem('element() cannot use an empty list');
      if (i < 0) throw new EvalProblem('element() index must not be negative');
      return list[Math.floor(i) % list.length];
    }
    case 'lookup': {
      const m = args[0];
      if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new EvalProblem(`argument 1 of lookup() must be a map, got ${describe(m)}`);
      const key = str(1);
      const o = m as Record<string, TerraformValue>;
      if (Object.prototype.hasOwnProperty.call(o, key)) return o[key];
      if (args.length === 3) return args[2];
      throw new EvalProblem(`lookup() found no key '${key}' and has no default`);
    }
    case 'tostring':
      return args[0] === null ? null : toStringValue(args[0], 'argument 1 of tostring()');
    case 'min':
      return Math.min(...args.map((_, i) => num(i)));
    case 'max':
      return Math.max(...args.map((_, i) => num(i)));
    case 'floor':
      return Math.floor(num(0));
  }
  throw new EvalProblem(`function '${name}' is not supported`);
}

/** Terraform's replace(): a substring, or an RE2 regular expression when wrapped in slashes. */
function replace(s: string, search: string, replacement: string): string {
  if (search.length >= 2 && search.startsWith('/') && search.endsWith('/')) {
    const re = toJsRegExp(search.slice(1, -1));
    return s.replace(re, (...m: unknown[]) => {
      const groupsArg = m[m.length - 1];
      const named = typeof groupsArg === 'object' && groupsArg !== null ? (groupsArg as Record<string, string | undefined>) : {};
      const numbered = m.slice(0, m.length - (typeof groupsArg === 'object' && groupsArg !== null ? 3 : 2)) as (string | undefined)[];
      return expandGoReplacement(replacement, numbered, named);
    });
  }
  // Go's strings.Replace with an empty old string inserts at every rune boundary.
  if (search === '') return [...s].map((c) => replacement + c).join('') + replacement;
  return s.split(search).join(replacement);
}

/** Translates the RE2 syntax Terraform users write to a JS RegExp (global), or throws when it cannot. */
function toJsRegExp(pattern: string, fn = 'replace'): RegExp {
  let p = pattern;
  let flags = 'gu';
  const lead = /^\(\?([imsU]+)\)/.exec(p);
  if (lead) {
    if (lead[1].includes('U')) throw new EvalProblem(`${fn}(): the RE2 flag U in /${pattern}/ is not supported`);
    flags += lead[1].replace(/[^ims]/g, '');
    p = p.slice(lead[0].length);
  }
  if (/\(\?[a-zA-Z]/.test(p.replace(/\(\?P?</g, ''))) throw new EvalProblem(`${fn}(): inline flags inside /${pattern}/ are not supported`);
  if (/\\[AzQEpP]|\[\[:/.test(p)) throw new EvalProblem(`${fn}(): the RE2 syntax of /${pattern}/ is not supported by the lab`);
  p = p.replace(/\(\?P</g, '(?<');
  try {
    return new RegExp(p, flags);
  } catch (e) {
    throw new EvalProblem(`${fn}(): invalid regular expression /${pattern}/: ${(e as Error).message}`);
  }
}

/** Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
function expandGoReplacement(template: string, numbered: readonly (string | undefined)[], named: Record<string, string | undefined>): string {
  return template.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (_m, _all: string, braced?: string, bare?: string) => {
    if (_all === '$') return '$';
    const name = (braced ?? bare)!;
    if (/^[0-9]+$/.test(name)) return numbered[Number(name)] ?? '';
    return named[name] ?? '';
  });
}

/** Terraform's jsonencode(): compact, keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped. */
export function jsonEncode(v: TerraformValue): string {
  const enc = (x: TerraformValue): string => {
    if (x === null) return 'null';
    if (typeof x === 'number') return formatNumber(x);
    if (typeof x === 'boolean') return x ? 'true' : 'false';
    if (typeof x === 'string') {
      return JSON.stringify(x).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    }
    if (Array.isArray(x)) return `[${x.map(enc).join(',')}]`;
    const o = x as Record<string, TerraformValue>;
    return `{${Object.keys(o).sort().map((k) => `${enc(k)}:${enc(o[k])}`).join(',')}}`;
  };
  return enc(v);
}

/** Terraform's format() for the verbs %s, %d, %v, %q and %%. */
function format(spec: string, args: readonly TerraformValue[]): string {
  let next = 0;
  const out = spec.replace(/%(%|[-+# 0]*[0-9]*(?:\.[0-9]+)?[a-zA-Z])/g, (m, verb: string) => {
    if (verb === '%') return '%';
    // Flags, widths and precisions are not implemented: refuse them rather than ignore them.
    if (!/^[sdvq]$/.test(verb)) throw new EvalProblem(`format(): the verb '${m}' is not supported by the lab (only %s, %d, %v, %q, %% without flags or width)`);
    if (next >= args.length) throw new EvalProblem(`format(): not enough arguments for '${spec}'`);
    const a = args[next++];
    if (verb === 'd') {
      const n = toNumber(a, `argument ${next + 1} of format()`);
      if (!Number.isInteger(n)) throw new EvalProblem(`format(): %d needs a whole number, got ${n}`);
      return formatNumber(n);
    }
    if (verb === 'q') return JSON.stringify(toStringValue(a, `argument ${next + 1} of format()`));
    if (verb === 'v' && (a === null || typeof a === 'object')) return jsonEncode(a);
    return toStringValue(a, `argument ${next + 1} of format()`);
  });
  if (next < args.length) throw new EvalProblem(`format(): too many arguments for '${spec}'`);
  return out;
}

function excerpt(text: string, at: number): string {
  const s = text.slice(Math.max(0, at - 10), at + 40);
  return s.length < text.length ? `...${s}...` : s;
}
