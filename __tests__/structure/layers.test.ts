import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

/**
 * The library's structure, read from its imports: no import circle, and every import between
 * directories of lib/ runs down the layer order below (a construct may use what sits under it, never
 * what sits above). Imports that TypeScript erases (`import type`, `export type`, and named imports
 * all marked `type`) are not edges: they create no load order and no run-time dependency.
 */
const LAYERS: readonly string[] = [
  'core',
  'config',
  'security',
  'validation',
  'network',
  'compute',
  'storage',
  'vpn',
  'database',
  'cache',
  'search',
  'balancing',
  'ingest',
  'web',
  'app',
  'magento',
  'backup',
  'monitoring',
  'workers',
  'scaling',
  'rollout',
  'policy',
  // The architecture notes and the cost read a complete stack's constructs; the stack writes them.
  'architecture',
  'cost',
  'stack',
  'lab',
  // lib/*.ts: the entry points (lib/index.ts, lib/renderers.ts, ...), which re-export the layers.
  '.',
];

const LIB = resolve(__dirname, '..', '..', 'lib');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The lib/ files `file` imports at run time (relative imports into lib/ only). */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const targets: string[] = [];
  for (const statement of source.statements) {
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const erased = clause !== undefined && (clause.isTypeOnly
        || (clause.name === undefined && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings)
          && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!erased) specifier = statement.moduleSpecifier;
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
      specifier = statement.moduleSpecifier;
    }
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    const base = resolve(dirname(file), specifier.text);
    const target = [`${base}.ts`, join(base, 'index.ts')].find((p) => p.startsWith(LIB) && safeIsFile(p));
    if (target) targets.push(target);
  }
  return targets;
}

function safeIsFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The layer of a lib/ file: its first directory under lib/ ('.' for lib/index.ts). */
function layerOf(file: string): string {
  const rel = relative(LIB, file).split('/');
  return rel.length === 1 ? '.' : rel[0];
}

const files = sourceFiles(LIB);
const graph = new Map(files.map((f) => [f, runtimeImports(f)]));
const rel = (f: string) => `lib/${relative(LIB, f)}`;

describe('the structure of lib/', () => {
  test('every directory of lib/ has its place in the layer order', () => {
    const layers = [...new Set(files.map(layerOf))].sort();
    expect(layers.filter((l) => !LAYERS.includes(l))).toEqual([]);
  });

  test('given the run-time imports, then no import runs up the layer order', () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      for (const target of imports) {
        const from = LAYERS.indexOf(layerOf(file));
        const to = LAYERS.indexOf(layerOf(target));
        if (to > from) upward.push(`${rel(file)} (${layerOf(file)}) imports ${rel(target)} (${layerOf(target)})`);
      }
    }
    expect(upward).toEqual([]);
  });

  test('given the run-time imports, then there is no import circle', () => {
    // Tarjan's strongly connected components: a component of more than one file is a circle.
    let index = 0;
    const indices = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const circles: string[][] = [];
    const visit = (v: string): void => {
      indices.set(v, index);
      low.set(v, index);
      index += 1;
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!indices.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v)!, indices.get(w)!));
        }
      }
      if (low.get(v) === indices.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(rel(w));
        } while (w !== v);
        if (component.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(component.sort());
      }
    };
    for (const f of files) if (!indices.has(f)) visit(f);
    expect(circles).toEqual([]);
  });

  test('the check sees imports: the entry points in lib/ together re-export from every layer but lab', () => {
    const entryPoints = files.filter((f) => layerOf(f) === '.');
    expect(entryPoints.map(rel)).toContain('lib/index.ts');
    const reached = new Set(entryPoints.flatMap((f) => graph.get(f) ?? []).map(layerOf));
    expect([...reached].sort()).toEqual(LAYERS.filter((l) => l !== '.' && l !== 'lab').sort());
  });
});
