import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

/**
 * One error class everywhere: what the library throws at a user is a `HostingStacksError`
 * (lib/core/errors.ts) or a subclass of it, so `catch (e) { if (e instanceof HostingStacksError) ... }`
 * catches every bad input, and every message names a path, a prop and a value. Read from the
 * sources: no `throw` of a built-in error, and no exported class extending one, except those below.
 */
const LIB = resolve(__dirname, '..', '..', 'lib');

/**
 * Left out: the lab (lib/lab/) is the test bench that boots stacks on a laptop; its exported errors
 * (a command that failed, an expression it cannot evaluate, an apply it cannot realise) are
 * `HostingStacksToolError`s like the rollout's (see errors.test.ts), and its plain `Error`s guard
 * internal invariants of the bench.
 */
const EXCLUDED_DIRS: readonly string[] = ['lab'];

/** Exported classes that extend a built-in error, by `file: class`, and why. */
const ALLOWED_ERROR_CLASSES: Readonly<Record<string, string>> = {
  'core/errors.ts: HostingStacksError': 'the one error class',
};

const BUILT_IN_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return EXCLUDED_DIRS.includes(relative(LIB, path)) ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * What a source file does against the rule: each built-in error it makes (`throw new Error(...)`,
 * `throw TypeError(...)`, `reject(new Error(...))`), each exported class extending one.
 */
function errorFindings(fileName: string, text: string): { throws: string[]; classes: string[] } {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const throws: string[] = [];
  const classes: string[] = [];
  const line = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const visit = (node: ts.Node): void => {
    if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && BUILT_IN_ERRORS.has(node.expression.text)) {
      const statement = ts.findAncestor(node, ts.isStatement) ?? node;
      throws.push(`${fileName}:${line(node)}: ${statement.getText(source).slice(0, 100)}`);
    }
    if (ts.isClassDeclaration(node) && node.name) {
      const exported = ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
      const base = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
      if (exported && base && ts.isIdentifier(base) && BUILT_IN_ERRORS.has(base.text)) classes.push(`${fileName}: ${node.name.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { throws, classes };
}

describe('one error class', () => {
  const files = sourceFiles(LIB);
  const findings = files.map((f) => errorFindings(relative(LIB, f), readFileSync(f, 'utf8')));

  test('the scan reads the library (every layer but the lab)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.endsWith(join('core', 'errors.ts')))).toBe(true);
    expect(files.some((f) => relative(LIB, f).split(sep)[0] === 'lab')).toBe(false);
  });

  test('given a throw of a built-in error or an exported error class of its own, then the scan finds it', () => {
    const text = [
      'export class OwnError extends Error {}',
      'class Internal extends Error {}',
      "export function f(x: number): void { if (x < 0) throw new Error('bad'); if (x > 9) throw TypeError('big'); }",
      "export function g(): void { throw new HostingStacksError(scope, 'p', 1, 'must be'); }",
      "export function h(): Promise<void> { return Promise.reject(new RangeError('late')); }",
    ].join('\n');
    expect(errorFindings('x.ts', text)).toEqual({
      throws: ["x.ts:3: throw new Error('bad');", "x.ts:3: throw TypeError('big');", "x.ts:5: return Promise.reject(new RangeError('late'));"],
      classes: ['x.ts: OwnError'],
    });
  });

  test('no library code throws (or makes) a built-in Error: bad input is a HostingStacksError naming path, prop and value', () => {
    expect(findings.flatMap((f) => f.throws)).toEqual([]);
  });

  test('no exported error class but HostingStacksError (and its subclasses) and those allowed with a reason', () => {
    expect(findings.flatMap((f) => f.classes).sort()).toEqual(Object.keys(ALLOWED_ERROR_CLASSES).sort());
  });
});
