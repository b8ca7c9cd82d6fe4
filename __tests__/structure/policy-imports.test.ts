import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

/**
 * The policy layer visits constructs (as cdk-nag's packs do): its rules know the constructs they
 * are about, never the stack that holds them. So no file under lib/policy refers to lib/stack, not
 * even for a type: `import type`, `export type ... from` and `import('...')` types count here,
 * though the layer test lets type-only imports through.
 */
const LIB = resolve(__dirname, '..', '..', 'lib');
const POLICY = join(LIB, 'policy');
const STACK = join(LIB, 'stack');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every module specifier `file` names: imports and re-exports (type-only ones too) and `import('...')` types. */
function specifiers(file: string, text = readFileSync(file, 'utf8')): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push(node.moduleReference.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The specifiers of `file` that lead into lib/stack. */
function stackReferences(file: string, text?: string): string[] {
  return specifiers(file, text).filter((s) => {
    if (!s.startsWith('.')) return false;
    const target = resolve(dirname(file), s);
    return target === STACK || target.startsWith(`${STACK}/`);
  });
}

describe('the policy layer', () => {
  const files = sourceFiles(POLICY);

  test('has its rule files to check', () => {
    expect(files.map((f) => relative(LIB, f))).toEqual(expect.arrayContaining(['policy/policy-pack.ts', 'policy/policy-rule.ts', 'policy/rules/ssh-access.ts']));
  });

  test('given every file under lib/policy, then none refers to lib/stack, not even for a type', () => {
    const offending = files.flatMap((f) => stackReferences(f).map((s) => `lib/${relative(LIB, f)} imports '${s}'`));
    expect(offending).toEqual([]);
  });

  test('the check sees type-only imports, type re-exports and import() types', () => {
    const file = join(POLICY, 'rules', 'example.ts');
    expect(stackReferences(file, "import type { HostingStack } from '../../stack/hosting-stack';")).toEqual(['../../stack/hosting-stack']);
    expect(stackReferences(file, "export type { HostingStack } from '../../stack/hosting-stack';")).toEqual(['../../stack/hosting-stack']);
    expect(stackReferences(file, "let s: import('../../stack/hosting-stack').HostingStack;")).toEqual(['../../stack/hosting-stack']);
    expect(stackReferences(file, "import { IConstruct } from 'constructs';\nimport { finding } from '../policy-rule';")).toEqual([]);
  });
});
