import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

/**
 * Props refer to peers by interface (`vswitch: IPrivateVSwitch`), never by a concrete construct class
 * that has one (house style, "Props and API"): a user's own construct, a subclass or a copy of the
 * library can then stand in, and the interface says what the receiving construct uses of its peer.
 * The test reads every exported `...Props` interface of lib/ and fails on a prop whose type names one
 * of the classes below, anywhere in the type (`PrivateVSwitch[]`, `{ vswitch: PrivateVSwitch }`, a
 * union...).
 */
const CONCRETE_WITH_INTERFACE: Readonly<Record<string, string>> = {
  PrivateVSwitch: 'IPrivateVSwitch',
  WebTier: 'IServerTier',
  AppTier: 'IServerTier',
  MagentoFrontends: 'IServerTier',
  StaticContentServer: 'IServerTier',
  BackOffice: 'IServerTier',
  DeploymentServer: 'IServerTier',
  OrderTracking: 'IHttpBackend',
  MysqlReplication: 'IReplicatedMysqlDatabase',
  RedisServer: 'IRedisEndpoint',
  RedisInstance: 'IRedisEndpoint',
  SolrServer: 'ISolrEndpoint',
  SharedFiles: 'INfsShare',
  ScalingRules: 'IScalingRules',
};

/**
 * ServerCluster implements no interface of its own: a prop wanting servers takes the tier they
 * belong to (IServerTier), or their network intent (IConnectable). Checked like the others.
 */
const CONCRETE_WITHOUT_OWN_INTERFACE: Readonly<Record<string, string>> = {
  ServerCluster: 'IServerTier or IConnectable',
};

/** Why a prop still names a concrete class, by `<file under lib/>:<Props interface>.<prop>`. */
const ALLOWED: Readonly<Record<string, string>> = {};

const LIB = resolve(__dirname, '..', '..', 'lib');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** One prop of an exported Props interface that names a checked concrete class. */
interface ConcreteProp {
  /** `<Props interface>.<prop>`. */
  readonly prop: string;
  /** The concrete classes its type names. */
  readonly classes: readonly string[];
}

/** The props of the exported `...Props` interfaces of `source` whose types name a class of `checked`. */
function concreteProps(fileName: string, source: string, checked: ReadonlySet<string>): ConcreteProp[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false);
  const found: ConcreteProp[] = [];
  for (const statement of file.statements) {
    if (!ts.isInterfaceDeclaration(statement) || !/Props$/.test(statement.name.text)) continue;
    if (!statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    for (const member of statement.members) {
      if (!ts.isPropertySignature(member) || member.type === undefined) continue;
      const classes = new Set<string>();
      const visit = (node: ts.Node): void => {
        if (ts.isTypeReferenceNode(node)) {
          const name = ts.isIdentifier(node.typeName) ? node.typeName.text : node.typeName.right.text;
          if (checked.has(name)) classes.add(name);
        }
        node.forEachChild(visit);
      };
      visit(member.type);
      if (classes.size > 0) found.push({ prop: `${statement.name.text}.${member.name.getText(file)}`, classes: [...classes].sort() });
    }
  }
  return found;
}

/** The interfaces `className` is declared to implement in `source`, if it is declared there. */
function implementedInterfaces(fileName: string, source: string, className: string): string[] | undefined {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false);
  for (const statement of file.statements) {
    if (!ts.isClassDeclaration(statement) || statement.name?.text !== className) continue;
    return (statement.heritageClauses ?? [])
      .filter((h) => h.token === ts.SyntaxKind.ImplementsKeyword)
      .flatMap((h) => h.types.map((t) => t.expression.getText(file)));
  }
  return undefined;
}

const FILES = sourceFiles(LIB).map((path) => ({ path: relative(LIB, path), source: readFileSync(path, 'utf8') }));
const CHECKED = new Set([...Object.keys(CONCRETE_WITH_INTERFACE), ...Object.keys(CONCRETE_WITHOUT_OWN_INTERFACE)]);

/** Every prop of lib/ naming a checked class, as `<file>:<Props>.<prop>` with the classes. */
function libConcreteProps(): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const f of FILES) {
    for (const p of concreteProps(f.path, f.source, CHECKED)) out.set(`${f.path}:${p.prop}`, p.classes);
  }
  return out;
}

describe('peer interfaces', () => {
  test('given a Props interface with a concrete peer class, then the scan finds it wherever the type names it', () => {
    const source = [
      'export interface FooProps {',
      '  readonly vswitch: PrivateVSwitch;',
      '  readonly tiers?: readonly WebTier[];',
      '  readonly nested: { readonly db: MysqlReplication | undefined };',
      '  readonly fine: IPrivateVSwitch;',
      '}',
      'interface InternalProps { readonly vswitch: PrivateVSwitch }',
      'export interface FooOptions { readonly vswitch: PrivateVSwitch }',
    ].join('\n');
    expect(concreteProps('foo.ts', source, CHECKED)).toEqual([
      { prop: 'FooProps.vswitch', classes: ['PrivateVSwitch'] },
      { prop: 'FooProps.tiers', classes: ['WebTier'] },
      { prop: 'FooProps.nested', classes: ['MysqlReplication'] },
    ]);
  });

  test('every class listed implements the interface named for it, so the list cannot name a wrong one', () => {
    const wrong: string[] = [];
    for (const [cls, iface] of Object.entries(CONCRETE_WITH_INTERFACE)) {
      const declared = FILES.map((f) => implementedInterfaces(f.path, f.source, cls)).find((x) => x !== undefined);
      if (declared === undefined) wrong.push(`${cls}: no class of that name in lib/`);
      else if (!declared.includes(iface)) wrong.push(`${cls} implements ${declared.join(', ') || 'nothing'}, not ${iface}`);
    }
    expect(wrong).toEqual([]);
  });

  test('no Props interface of lib/ takes a concrete construct class where an interface exists', () => {
    const offending = [...libConcreteProps()]
      .filter(([key]) => ALLOWED[key] === undefined)
      .map(([key, classes]) => `${key}: ${classes.map((c) => `${c} (use ${CONCRETE_WITH_INTERFACE[c] ?? CONCRETE_WITHOUT_OWN_INTERFACE[c]})`).join(', ')}`);
    expect(offending).toEqual([]);
  });

  test('every allowed exception has a reason and still names a concrete class (remove it once fixed)', () => {
    const found = libConcreteProps();
    const stale = Object.entries(ALLOWED).filter(([key, reason]) => !reason.trim() || !found.has(key)).map(([key]) => key);
    expect(stale).toEqual([]);
  });
});
