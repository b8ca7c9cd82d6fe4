import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Handlebars from 'handlebars';

/**
 * Loads and renders the handlebars templates in the package's `templates/` folder. Templates hold
 * data only (loops and conditionals); every model value they name must exist (strict mode), and
 * nothing is HTML-escaped: these are daemon configs, not web pages.
 */
const hb = Handlebars.create();
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
const cache = new Map<string, HandlebarsTemplateDelegate>();
let dir: string | undefined;

/** The folder holding the templates, found by walking up from this module. */
export function templatesDir(): string {
  if (dir) return dir;
  let d = __dirname;
  for (;;) {
    const candidate = join(d, 'templates');
    if (existsSync(join(candidate, '.hosting-stacks-templates'))) return (dir = candidate);
    const up = dirname(d);
    if (up === d) throw new Error(`hosting-stacks: templates/ not found above ${__dirname}`);
    d = up;
  }
}

/** Renders `templates/<name>` with `model`. Throws when the template names a value the model lacks. */
export function renderTemplate(name: string, model: object): string {
  let template = cache.get(name);
  if (!template) {
    template = hb.compile(readFileSync(join(templatesDir(), name), 'utf8'), { strict: true, noEscape: true });
    cache.set(name, template);
  }
  return template(model);
}
