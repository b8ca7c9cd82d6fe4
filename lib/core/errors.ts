import { IConstruct } from 'constructs';

/**
 * The error every construct throws for bad input. Its message names the construct path, the prop,
 * the value given and what is allowed: `Popgom/Web: 'count' (0) must be at least 1`.
 */
export class HostingStacksError extends Error {
  /** Path of the construct that rejected the input. */
  public readonly constructPath: string;
  /** The prop (or method argument) that holds the bad value. */
  public readonly prop: string;

  /**
   * The error of a factory that has no construct yet (`CapacityModel.forTier(...)`): the message
   * names the factory where it would name a construct path.
   */
  public static ofFactory(factory: string, prop: string, value: unknown, rule: string): HostingStacksError {
    return new HostingStacksError(HostingStacksError.named(factory), prop, value, rule);
  }

  /**
   * What an error names where there is no construct: a function (`parseTraceCsv`), a template
   * (`template haproxy.cfg.hbs`). For subclasses whose errors come from such a place.
   */
  protected static named(path: string): IConstruct {
    return { node: { path } } as IConstruct;
  }

  /**
   * The message: `<path>: '<prop>' (<value>) <rule>`. The constructor calls the override of the class
   * being constructed, so a subclass whose message is not about one value
   * ({@link SynthValidationError}, a list of problems) keeps its own wording and still is a
   * `HostingStacksError`.
   */
  protected static formatMessage(constructPath: string, prop: string, value: unknown, rule: string): string {
    return `${constructPath}: '${prop}' (${formatValue(value)}) ${rule}`;
  }

  constructor(scope: IConstruct, prop: string, value: unknown, rule: string) {
    super(new.target.formatMessage(scope.node.path, prop, value, rule));
    this.name = 'HostingStacksError';
    this.constructPath = scope.node.path;
    this.prop = prop;
  }
}

/**
 * A library error that is not about one value a construct was given (a rollout step, the lab, a
 * command): still a {@link HostingStacksError}, so one `catch` tells the library's errors apart,
 * with the message as written. `where` names the tool or the Terraform address, `subject` what failed.
 */
export class HostingStacksToolError extends HostingStacksError {
  protected static formatMessage(_constructPath: string, _prop: string, value: unknown): string {
    return String(value);
  }

  constructor(where: string, subject: string, message: string) {
    super(HostingStacksError.named(where), subject, message, '');
    this.name = 'HostingStacksToolError';
  }
}

/**
 * Thrown by `HostingApp.synth()` when validations fail, before anything is written. The message
 * lists every problem, one a line, under `Validation failed, nothing was written:`; each problem
 * names its own construct path, prop and value.
 */
export class SynthValidationError extends HostingStacksError {
  protected static formatMessage(_constructPath: string, _prop: string, value: unknown): string {
    return `Validation failed, nothing was written:\n  ${(value as readonly string[]).join('\n  ')}`;
  }

  /** One message per problem, in the order they were found. */
  public readonly errors: readonly string[];

  /** `scope` is the app that was synthesized; `errors` its problems (at least one). */
  constructor(scope: IConstruct, errors: readonly string[]) {
    super(scope, 'validations', [...errors], 'failed');
    this.name = 'SynthValidationError';
    this.errors = [...errors];
  }
}

/**
 * Formats a value for an error message: strings quoted (control characters written as `\n`,
 * `\r`, `\t` or `\u001b`, so a bad value cannot break the message's line), arrays and objects as JSON.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, escapeControl)}'`;
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Throws unless `value` is an integer in [min, max]. */
export function requireIntegerInRange(scope: IConstruct, prop: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const allowed = max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
    throw new HostingStacksError(scope, prop, value, `must be ${allowed}`);
  }
}

/** Throws unless `value` is a finite number greater than zero. */
export function requirePositive(scope: IConstruct, prop: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new HostingStacksError(scope, prop, value, 'must be a number greater than 0');
  }
}

/** Throws when `value` has duplicates under `key`, naming the first duplicate. */
export function requireUnique<T>(scope: IConstruct, prop: string, values: readonly T[], key: (v: T) => string = String): void {
  const seen = new Set<string>();
  for (const v of values) {
    const k = key(v);
    if (seen.has(k)) throw new HostingStacksError(scope, prop, k, 'appears more than once; each entry must be unique');
    seen.add(k);
  }
}

/** `\n`, `\r`, `\t`, else `\uXXXX`: a control character as it is written in JavaScript source. */
function escapeControl(c: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
