import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Handlebars from 'handlebars';
import { IConstruct } from 'constructs';
import { HostingStacksError } from '../core/errors';
import { hasControlCharacter } from '../core/text';

/**
 * Loads and renders the handlebars templates in the package's `templates/` folder. Templates hold
 * data only (loops and conditionals); every model value they name must exist (strict mode), and
 * nothing is HTML-escaped: these are daemon configs, not web pages.
 */
const hb = Handlebars.create();
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
const cache = new Map<string, HandlebarsTemplateDelegate>();
let dir: string | undefined;

/**
 * The folder holding the templates, found by walking up from this module. Throws a
 * {@link HostingStacksError} when there is none (a package installed without `templates/`).
 */
export function templatesDir(): string {
  if (dir) return dir;
  let d = __dirname;
  for (;;) {
    const candidate = join(d, 'templates');
    if (existsSync(join(candidate, '.hosting-stacks-templates'))) return (dir = candidate);
    const up = dirname(d);
    if (up === d) {
      throw HostingStacksError.ofFactory('templatesDir', '__dirname', __dirname, 'holds no templates/ folder with a .hosting-stacks-templates marker, nor does any folder above it: the package was installed without its templates');
    }
    d = up;
  }
}

/** Options of {@link renderTemplate}. */
export interface RenderTemplateOptions {
  /**
   * Model key paths whose values are multi-line content (a PEM key, a script, a page): they may
   * hold line feeds and tabs. Array indices are written `[]` (`files[].content`). Every other string
   * must be on one line.
   * @default - none: every string of the model is one line
   */
  readonly multiLine?: readonly string[];
}

/**
 * Thrown by {@link renderTemplate} when a model string holds a control character (or a line break
 * outside multi-line content): a value a construct forgot to check that could add directives to a
 * config. A {@link HostingStacksError} naming the template where it would name a construct and the
 * model key path as its prop: `template haproxy.cfg.hbs: 'backend.name' ('a\nb') holds a line break ...`.
 */
export class TemplateInjectionError extends HostingStacksError {
  constructor(
    /** The template, `haproxy.cfg.hbs`. */
    public readonly template: string,
    /** The model key path, `backend.healthCheck.path`. */
    public readonly keyPath: string,
    /** The value refused. */
    public readonly value: string,
    /** What the value must be, as the "must be ..." or "holds ..." text of a message. */
    public readonly rule: string,
  ) {
    super(HostingStacksError.named(`template ${template}`), keyPath, value, rule);
    this.name = 'TemplateInjectionError';
  }
}

/**
 * Runs `render` (code that renders templates for `scope`, a server or a construct) and turns a
 * {@link TemplateInjectionError}, which names the template only, into a {@link HostingStacksError}
 * naming `scope`'s path, the model key and the template: the backstop's refusal then says which
 * construct's value it was.
 */
export function withConstructPath<T>(scope: IConstruct, render: () => T): T {
  try {
    return render();
  } catch (e) {
    if (e instanceof TemplateInjectionError) throw new HostingStacksError(scope, `template ${e.template}: ${e.keyPath}`, e.value, e.rule);
    throw e;
  }
}

/** What multi-line content may not hold: control characters other than tab and line feed. */
const MULTI_LINE_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Throws a {@link TemplateInjectionError} when a string of `model` holds a control character: a line
 * break, a carriage return, NUL, ESC... Values at a `multiLine` key path may hold line feeds and
 * tabs, nothing else. The root backstop: constructs check each value for its place, and a value
 * they forgot still cannot add a line to a config.
 */
export function checkTemplateModel(name: string, model: unknown, multiLine: readonly string[] = []): void {
  const multi = new Set(multiLine);
  const seen = new Set<object>();
  const walk = (value: unknown, path: string, pattern: string): void => {
    if (typeof value === 'string') {
      const isMulti = multi.has(pattern);
      if (isMulti ? MULTI_LINE_CONTROL.test(value) : hasControlCharacter(value)) {
        const rule = isMulti
          ? 'holds a control character; multi-line content may hold line feeds and tabs only'
          : 'holds a line break or another control character; a config value must be one line of printable characters';
        throw new TemplateInjectionError(name, path || '(model)', value, rule);
      }
      return;
    }
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    // Handlebars writes an object through its toString(): one of a JavaScript caller's own is checked as the string it renders.
    if (!Array.isArray(value) && typeof (value as { toString?: unknown }).toString === 'function' && (value as object).toString !== Object.prototype.toString) {
      walk(String(value), path, pattern);
    }
    seen.add(value);
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${path}[${i}]`, `${pattern}[]`));
      return;
    }
    for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, pattern ? `${pattern}.${k}` : k);
  };
  walk(model, '', '');
}

/**
 * Renders `templates/<name>` with `model`. Throws when the template names a value the model lacks,
 * and ({@link checkTemplateModel}) when a model string holds a control character or, outside the
 * `multiLine` key paths, a line break.
 */
export function renderTemplate(name: string, model: object, options: RenderTemplateOptions = {}): string {
  checkTemplateModel(name, model, options.multiLine);
  let template = cache.get(name);
  if (!template) {
    template = hb.compile(readFileSync(join(templatesDir(), name), 'utf8'), { strict: true, noEscape: true });
    cache.set(name, template);
  }
  return template(model);
}
