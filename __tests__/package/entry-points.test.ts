import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

/**
 * The package's entry points, as package.json `exports` lists them, loaded from their sources: the
 * root stays small (constructs, their props and values), internals are in no entry point, every
 * renderer is in `hosting-stacks/renderers`, and a name that two entry points export is the same
 * thing in both. The built package itself is checked by consumer.test.ts.
 */
const ROOT = resolve(__dirname, '..', '..');
const LIB = join(ROOT, 'lib');

/**
 * Most run-time names the root may export. The root held ~557 when it re-exported every module;
 * 164 once renderers, planning, test helpers, the rollout and internals left it. The margin is for
 * the constructs and value classes still to come, not for helpers: those belong in another entry point.
 */
const ROOT_BUDGET = 180;

/** The package's subpaths and the source each one's `default` is built from (`./dist/lib/x.js` from `lib/x.ts`). */
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }> };
const entryPoints = Object.entries(manifest.exports)
  .filter((e): e is [string, { types: string; default: string }] => typeof e[1] === 'object')
  .map(([subpath, target]) => {
    const source = /^\.\/dist\/(.+)\.js$/.exec(target.default);
    if (!source) throw new Error(`package.json exports '${subpath}': 'default' (${target.default}) is not a file under ./dist`);
    return { subpath, target, source: join(ROOT, `${source[1]}.ts`) };
  });
const modules = new Map(entryPoints.map((e) => [e.subpath, require(e.source) as Record<string, unknown>]));
const moduleOf = (subpath: string): Record<string, unknown> => {
  const m = modules.get(subpath);
  if (!m) throw new Error(`package.json exports has no '${subpath}'`);
  return m;
};
const runtimeNames = (m: Record<string, unknown>): string[] => Object.keys(m).filter((n) => n !== '__esModule');

/** Names no entry point may export, each with the module that defines it (so a rename cannot make the check pass unseen). */
const INTERNALS: readonly (readonly [string, string])[] = [
  // The reference year's PRNG, calendar arithmetic and noise constant (stacks/, not the library).
  ['mulberry32At', 'stacks/reference-year'],
  ['easterDayOfYear', 'stacks/reference-year'],
  ['MD_MINUTE_NOISE', 'stacks/reference-year'],
  // The simulator's and the calendar's arithmetic.
  ['ceilCount', 'lib/scaling/simulator'],
  ['metricValue', 'lib/scaling/simulator'],
  ['zonedTimeToUtc', 'lib/scaling/campaign-calendar'],
  ['mergeIntervals', 'lib/scaling/campaign-calendar'],
  // Validation and text helpers the constructs share.
  ['parseIpv4', 'lib/core/ipv4'],
  ['requireText', 'lib/core/text'],
  ['requireOneOf', 'lib/core/choices'],
  ['resourceName', 'lib/core/naming'],
  ['escapeTerraformText', 'lib/core/terraform-text'],
  ['scalingRunnerModel', 'lib/scaling/scaling-schedule'],
  ['CountedTargets', 'lib/compute/counted-targets'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `[file, name]` for each function a lib/ module exports under a `render` name (the lab has its own entry point). */
function exportedRenderFunctions(): [string, string][] {
  return sourceFiles(LIB)
    .filter((file) => !file.startsWith(join(LIB, 'lab') + '/'))
    .flatMap((file) => {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
      const exported = (s: ts.Statement) => ts.canHaveModifiers(s) && (ts.getModifiers(s) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      return source.statements.filter(exported).flatMap((s): string[] => {
        if (ts.isFunctionDeclaration(s) && s.name) return [s.name.text];
        if (ts.isVariableStatement(s)) return s.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
        return [];
      })
        .filter((name) => /^render[A-Z]/.test(name))
        .map((name): [string, string] => [file, name]);
    });
}

describe('the entry points of package.json', () => {
  test('each has a types and a default file of the same build, from a source that tsconfig.build.json compiles', () => {
    const config = ts.readConfigFile(join(ROOT, 'tsconfig.build.json'), ts.sys.readFile);
    const built = new Set(ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).fileNames.map((f) => resolve(f)));
    expect(entryPoints.map((e) => e.subpath)).toEqual(expect.arrayContaining(['.', './renderers', './planning', './testing', './rollout', './lab']));
    for (const e of entryPoints) {
      expect([e.subpath, e.target.types]).toEqual([e.subpath, e.target.default.replace(/\.js$/, '.d.ts')]);
      expect([e.subpath, relative(ROOT, e.source), built.has(e.source)]).toEqual([e.subpath, relative(ROOT, e.source), true]);
    }
  });

  test(`the root exports at most ${ROOT_BUDGET} run-time names, among them the constructs and values a stack is built from`, () => {
    const root = moduleOf('.');
    expect(runtimeNames(root).length).toBeLessThanOrEqual(ROOT_BUDGET);
    for (const name of ['HostingApp', 'HostingStack', 'PrivateVSwitch', 'ServerCluster', 'Port', 'Peer', 'Secret', 'Flavor', 'MachineImage', 'HealthCheck', 'CloudConfig', 'StateBackend', 'PolicyPack', 'HostingStacksError']) {
      expect([name, typeof root[name]]).toEqual([name, 'function']);
    }
  });

  test('given a class the root exports, then the root exports its props interface (FooProps) too', () => {
    // Named lists re-export the mixed modules: a props interface added beside its class must be listed.
    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, ROOT);
    const index = join(LIB, 'index.ts');
    const program = ts.createProgram([index], { ...config.options, noEmit: true, incremental: false, tsBuildInfoFile: undefined });
    const checker = program.getTypeChecker();
    const resolved = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
    const rootExports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(index)!)!);
    const rootNames = new Set(rootExports.map((s) => s.name));
    const missing = rootExports.map(resolved).filter((s) => s.flags & ts.SymbolFlags.Class).flatMap((cls) => {
      const file = cls.declarations?.[0]?.getSourceFile();
      const moduleSymbol = file && checker.getSymbolAtLocation(file);
      const props = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === `${cls.name}Props`);
      return props && !rootNames.has(props.name) ? [`${relative(ROOT, file.fileName)}: ${props.name}`] : [];
    });
    expect(rootExports.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  test('the root exports no renderer of a daemon config, no planning tool and no test helper', () => {
    const root = runtimeNames(moduleOf('.'));
    for (const name of ['renderHaproxyConfig', 'renderKeepalivedConfig', 'renderNginxConfig', 'renderTemplate', 'simulate', 'parseTraceCsv', 'renderDemandChart', 'checkProviderSchema', 'checkTerraformTemplates', 'runRollout']) {
      expect(root).not.toContain(name);
    }
  });

  test.each(INTERNALS.map(([name, module]) => [name, module]))('%s (%s) is internal: its module has it, no entry point exports it', (name, module) => {
    expect(typeof (require(join(ROOT, module)) as Record<string, unknown>)[name]).not.toBe('undefined');
    const exporters = [...modules].filter(([, m]) => name in m).map(([subpath]) => subpath);
    expect(exporters).toEqual([]);
  });

  test('every exported render function of the library is in hosting-stacks/renderers, as the same function', () => {
    const renderers = moduleOf('./renderers');
    const found = exportedRenderFunctions();
    expect(found.length).toBeGreaterThan(50);
    const missing = found
      .filter(([file, name]) => typeof renderers[name] !== 'function' || renderers[name] !== (require(file) as Record<string, unknown>)[name])
      .map(([file, name]) => `${relative(ROOT, file)}: ${name}`);
    expect(missing).toEqual([]);
  });

  test('hosting-stacks/planning has the simulator, demand traces and the demand chart; hosting-stacks/testing the checks', () => {
    for (const name of ['simulate', 'staticPlanForPeak', 'parseTraceCsv', 'formatTraceCsv', 'renderDemandChart', 'buildScalingSchedule']) {
      expect([name, typeof moduleOf('./planning')[name]]).toEqual([name, 'function']);
    }
    for (const name of ['checkProviderSchema', 'loadOpenstackProviderSchema', 'checkTerraformTemplates', 'evaluateTerraformTemplate', 'synthesizedResources']) {
      expect([name, typeof moduleOf('./testing')[name]]).toEqual([name, 'function']);
    }
  });

  test('no run-time name is exported by two entry points as two different things', () => {
    const seen = new Map<string, { subpath: string; value: unknown }>();
    const clashes: string[] = [];
    for (const [subpath, m] of modules) {
      for (const name of runtimeNames(m)) {
        const first = seen.get(name);
        if (!first) seen.set(name, { subpath, value: m[name] });
        else if (first.value !== m[name]) clashes.push(`${name}: '${first.subpath}' and '${subpath}'`);
      }
    }
    expect(clashes).toEqual([]);
  });
});
