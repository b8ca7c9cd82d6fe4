import { IConstruct } from 'constructs';
import { HostingStacksError } from './errors';

/**
 * Where a string lands in a rendered config, and so what it may hold. Every string a construct puts
 * into a template (haproxy, nginx, Apache, keepalived, systemd units, shell scripts, YAML, SQL) is
 * checked for its place with {@link requireText}: a value that could end a directive, start a
 * comment or a quoted string, or add a line (and so a directive) never reaches a config.
 * `renderTemplate` refuses control characters in any model value as a backstop.
 */
export enum TextKind {
  /**
   * An absolute URL path: '/', then RFC 3986 path characters (letters, digits, `-._~`, `%XX`,
   * `!*+,=:@&` and '/'), no query. No space, quote, `$`, `;`, `#`, `(`, `)`, `{`, `}` or backslash:
   * each means something to haproxy, nginx, Apache or a shell.
   */
  URL_PATH = 'URL_PATH',
  /** A DNS host name (RFC 1123): dot-separated labels of letters, digits and '-', each 1-63 long, 253 in all. */
  HOST_NAME = 'HOST_NAME',
  /**
   * An identifier of SQL, PHP, shell variables and config keys: a letter or '_', then letters,
   * digits and '_', at most 64 (MariaDB's limit for database and user names).
   */
  IDENTIFIER = 'IDENTIFIER',
  /**
   * A name or token (a backend, cookie, core, user, version, Redis command): a letter or digit,
   * then letters, digits, '.', '_' and '-', at most 64. Nothing a config reads as syntax.
   */
  NAME = 'NAME',
  /** An absolute file path: '/' then segments of letters, digits, '.', '_' and '-', no '.' or '..' segment. */
  ABSOLUTE_PATH = 'ABSOLUTE_PATH',
  /**
   * An http(s) URL: scheme, host (a host name or IPv4 address), optional port, a path and a query of
   * RFC 3986 characters as in {@link TextKind.URL_PATH} (and '?'); no fragment, user info, space,
   * quote, `$`, `;` or backslash.
   */
  HTTP_URL = 'HTTP_URL',
  /** An e-mail address: a local part of letters, digits and `._%+-`, '@', then a host name. */
  EMAIL = 'EMAIL',
  /**
   * Free text on one line (a description, a reason, a title): 1 to 1024 characters, not all spaces,
   * with no line break or other control character. Only for places whose renderer escapes or quotes
   * it for its syntax (nft comments, JSON, Terraform descriptions, HTML-escaped pages): anywhere
   * else a value must fit a narrower kind.
   */
  FREE_TEXT = 'FREE_TEXT',
  /**
   * One word of a command line or a config that needs no quoting (an argv entry, a JVM option, an
   * rsync pattern, a relative path, a Unix, MariaDB or cookie name, a digest, a metadata key):
   * letters, digits and `@%+=:,./_-`, at most 4096. No space, quote, backtick, `$`, `;`, `&`, `|`,
   * `#`, `!`, `~`, `*`, `?`, bracket, brace, parenthesis, `<`, `>` or backslash, so a POSIX shell
   * reads it as itself. '%' (a systemd specifier), ',', ':', '=' and a leading '-' still mean
   * something in some places, which narrow the kind with a {@link TextRule}.
   */
  WORD = 'WORD',
}

interface KindRule {
  readonly test: (value: string) => boolean;
  readonly allowed: string;
}

const PCHAR = "A-Za-z0-9\\-._~!*+,=:@&";
const PCT = '%[0-9A-Fa-f]{2}';
const URL_PATH_RE = new RegExp(`^/(?:[${PCHAR}/]|${PCT})*$`);
const QUERY_RE = new RegExp(`^(?:[${PCHAR}/?]|${PCT})*$`);
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function isHostName(value: string): boolean {
  return value.length <= 253 && HOST_RE.test(value);
}

function isHttpUrl(value: string): boolean {
  const m = /^https?:\/\/([^/:?]+)(?::(\d{1,5}))?(\/[^?]*)?(?:\?(.*))?$/.exec(value);
  if (!m) return false;
  const [, host, port, path, query] = m;
  if (!isHostName(host) && !IPV4_RE.test(host)) return false;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return false;
  return (path === undefined || URL_PATH_RE.test(path)) && (query === undefined || QUERY_RE.test(query));
}

const RULES: Record<TextKind, KindRule> = {
  [TextKind.URL_PATH]: {
    test: (v) => v.length <= 1024 && URL_PATH_RE.test(v),
    allowed: "must start with '/' and hold only URL path characters: letters, digits, '/', '%XX' and -._~!*+,=:@& (no space, quote, query, line break or other syntax character)",
  },
  [TextKind.HOST_NAME]: {
    test: isHostName,
    allowed: "must be a host name: dot-separated labels of letters, digits and '-' (1 to 63 each, not starting or ending with '-')",
  },
  [TextKind.IDENTIFIER]: {
    test: (v) => /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(v),
    allowed: "must be an identifier: a letter or '_', then letters, digits and '_' (at most 64)",
  },
  [TextKind.NAME]: {
    test: (v) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v),
    allowed: "must be a name: a letter or digit, then letters, digits, '.', '_' and '-' (at most 64)",
  },
  [TextKind.ABSOLUTE_PATH]: {
    test: (v) => v.length <= 4096 && /^(\/[A-Za-z0-9._-]+)+$/.test(v) && !/(^|\/)\.\.?(\/|$)/.test(v),
    allowed: "must be an absolute path of letters, digits, '.', '_' and '-' segments (no '.' or '..' segment)",
  },
  [TextKind.HTTP_URL]: {
    test: (v) => v.length <= 2048 && isHttpUrl(v),
    allowed: "must be an http(s) URL without spaces, quotes, control characters, user info or fragment: a host name or IPv4 address, an optional port, then a path and query of letters, digits, '/', '?', '%XX' and -._~!*+,=:@&",
  },
  [TextKind.EMAIL]: {
    test: (v) => v.length <= 254 && /^[A-Za-z0-9._%+-]{1,64}@(.+)$/.test(v) && isHostName(v.slice(v.indexOf('@') + 1)),
    allowed: "must be an e-mail address: letters, digits and '._%+-', '@', then a host name",
  },
  [TextKind.FREE_TEXT]: {
    test: (v) => v.length <= 1024 && v.trim() !== '' && !hasControlCharacter(v),
    allowed: 'must be one line of 1 to 1024 characters, not all spaces, without line breaks or other control characters',
  },
  [TextKind.WORD]: {
    test: (v) => /^[A-Za-z0-9@%+=:,./_-]{1,4096}$/.test(v),
    allowed: "must be one word of letters, digits and '@%+=:,./_-' (at most 4096 characters; no space, quote or other shell syntax character)",
  },
};

/**
 * Control characters no single-line config value may hold: C0 (tab, line feed and carriage return
 * included), DEL, C1 (NEL among them) and the Unicode line and paragraph separators, which YAML
 * reads as line breaks.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** True when `value` holds a control character or a line separator ({@link CONTROL}). */
export function hasControlCharacter(value: string): boolean {
  return CONTROL.test(value);
}

/**
 * A narrower rule a place puts on top of a {@link TextKind}: a MariaDB table prefix is an
 * identifier of at most 20 lower-case characters, a health-check path is an absolute path other
 * than '/server-status'. The value must fit the kind first (so control characters and syntax
 * characters never pass, whatever the narrower rule says), then this rule; `allowed` is the whole
 * "must be ..." text of the error, so it describes both.
 */
export interface TextRule {
  /** A pattern the whole value must also match. */
  readonly pattern?: RegExp;
  /** The fewest characters allowed. */
  readonly minLength?: number;
  /** The most characters allowed. */
  readonly maxLength?: number;
  /** Values of the kind this place reserves for itself (compared as given). */
  readonly reserved?: readonly string[];
  /** Any further test (e.g. no path below a reserved prefix). */
  readonly test?: (value: string) => boolean;
  /** What is allowed, as the "must be ..." text of the error. */
  readonly allowed: string;
}

/** A {@link TextRule} with its kind: one named rule a construct shares with others. */
export interface KindedTextRule extends TextRule {
  readonly kind: TextKind;
}

/** `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`: a list in a message. */
function listed(items: readonly string[], quote = "'"): string {
  const q = items.map((i) => `${quote}${i}${quote}`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
}

/**
 * The shapes of a health-check path: `segments` ({@link TextKind.ABSOLUTE_PATH}'s), `visible-segments`
 * (no segment starting with '.': nginx refuses hidden files) or `one-segment` (`/[A-Za-z0-9_-]+`).
 */
export type HealthCheckPathShape = 'segments' | 'visible-segments' | 'one-segment';

/**
 * The rule of a health-check path every tier serves from its own daemon: an absolute path of
 * letters, digits, '.', '_' and '-' segments with no trailing '/' ({@link TextKind.ABSOLUTE_PATH}'s
 * shape, as a URL path) of at most 255 characters, narrowed to `shape`, other than the paths the
 * tier's daemons already answer (`reserved`) and outside the prefixes they serve files below
 * (`reservedPrefixes`, each ending in '/': '/media' and '/media/x' both lie in '/media/').
 */
export function healthCheckPathRule(reserved: readonly string[] = [], shape: HealthCheckPathShape = 'segments', reservedPrefixes: readonly string[] = []): KindedTextRule {
  const others = (reserved.length === 0 ? '' : `, other than ${listed(reserved)}`) + (reservedPrefixes.length === 0 ? '' : `, outside ${listed(reservedPrefixes, '')}`);
  const shapes: Record<HealthCheckPathShape, { readonly pattern?: RegExp; readonly allowed: string }> = {
    'segments': { allowed: "must be an absolute path of letters, digits, '.', '_' and '-' segments without a trailing '/'" },
    'visible-segments': {
      pattern: /^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/,
      allowed: "must be an absolute path of letters, digits, '.', '_' and '-' segments (not starting with '.') without a trailing '/'",
    },
    'one-segment': { pattern: /^\/[A-Za-z0-9_-]+$/, allowed: "must be one path segment of letters, digits, '_' and '-'" },
  };
  const { pattern, allowed } = shapes[shape];
  return {
    kind: TextKind.ABSOLUTE_PATH,
    pattern,
    maxLength: 255,
    reserved,
    test: reservedPrefixes.length === 0 ? undefined : (v) => !reservedPrefixes.some((p) => `${v}/`.startsWith(p)),
    allowed: `${allowed}${others} (e.g. '/healthz')`,
  };
}

function fitsRule(value: string, rule: TextRule): boolean {
  if (rule.pattern && !new RegExp(rule.pattern.source, rule.pattern.flags.replace(/[gy]/g, '')).test(value)) return false;
  if (rule.minLength !== undefined && value.length < rule.minLength) return false;
  if (rule.maxLength !== undefined && value.length > rule.maxLength) return false;
  if (rule.reserved?.includes(value)) return false;
  return rule.test ? rule.test(value) : true;
}

/**
 * Why `value` does not fit `kind` (and the narrower `rule`, if given): the "must be ..." text of
 * an error, or undefined when it fits. For value classes that keep a problem until a construct
 * reports it with its path.
 */
export function checkText(value: unknown, kind: TextKind, rule?: TextRule): string | undefined {
  const base = RULES[kind];
  if (typeof value !== 'string' || !base.test(value)) return rule?.allowed ?? base.allowed;
  if (rule && !fitsRule(value, rule)) return rule.allowed;
  return undefined;
}

/**
 * Throws a {@link HostingStacksError} naming `scope`, `prop` and the value unless `value` is a
 * string that fits `kind` ({@link TextKind}) and the narrower `rule`, if given; returns the value.
 * Constructs call it for every prop and `addXxx()` argument whose string reaches a rendered config
 * or the Terraform, so JavaScript callers get the same check as TypeScript ones.
 */
export function requireText(scope: IConstruct, prop: string, value: unknown, kind: TextKind, rule?: TextRule): string {
  const problem = checkText(value, kind, rule);
  if (problem) throw new HostingStacksError(scope, prop, value, problem);
  return value as string;
}

/** {@link requireText} with a shared {@link KindedTextRule}. */
export function requireTextRule(scope: IConstruct, prop: string, value: unknown, rule: KindedTextRule): string {
  return requireText(scope, prop, value, rule.kind, rule);
}

/** {@link requireText} for an optional value: undefined passes. */
export function requireOptionalText(scope: IConstruct, prop: string, value: unknown, kind: TextKind, rule?: TextRule): string | undefined {
  return value === undefined ? undefined : requireText(scope, prop, value, kind, rule);
}

/** {@link requireText} for every entry of a list, naming the entry (`prop[2]`); the list itself must be an array. */
export function requireTexts(scope: IConstruct, prop: string, values: unknown, kind: TextKind, rule?: TextRule): readonly string[] {
  const allowed = rule?.allowed ?? RULES[kind].allowed;
  if (!Array.isArray(values)) throw new HostingStacksError(scope, prop, values, `must be a list of strings; each ${allowed.replace(/^must be /, 'is ')}`);
  values.forEach((v, i) => requireText(scope, `${prop}[${i}]`, v, kind, rule));
  return values as string[];
}
