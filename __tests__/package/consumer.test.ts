import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The package as a consumer gets it from npm: `npm pack` (which builds it, once for this file), then
 * an install into two projects of their own, each pinning another patch version of `constructs`
 * than the library is developed with (10.8.1):
 * - cdktf 0.21 with constructs 10.8.0;
 * - the maintained fork cdktn 0.24 installed under the name `cdktf` (`cdktf@npm:cdktn@0.24.0`), with
 *   constructs 10.7.2 (cdktn's peer range is `>=10.6.0 <10.8.0`). The library and its generated
 *   provider bindings import `cdktf`; the alias makes that import, and the consumer's, cdktn. cdktn
 *   under its own name would leave our peer `cdktf` to npm, which installs cdktf 0.21 beside it: two
 *   libraries, and `new HostingApp()` is no cdktn `App` to the type checker.
 * `cdktf` and `constructs` are peer dependencies, so the consumer's copies are the only ones: a
 * second copy would make `new HostingStack(app, ...)` a type error (two `Construct` classes) and
 * `instanceof` false at run time. Each consumer type-checks and runs the same program: a stack from
 * the root entry point (instances with boot volumes behind an Octavia balancer), a case-study stack
 * from its entry point, and each other entry point used as a user would: a renderer (its template
 * shipped), a demand trace, the provider-schema check (its schema shipped), the rollout and the lab.
 * The program is run with node (`app.synth()`), not a CLI: cdktn's CLI needs Node 22.19 (its
 * `engines`; on Node 20 `cdktn synth` stops at `util.markAsUncloneable is not a function`).
 * Needs the npm registry (as `npm ci` does).
 */
const ROOT = resolve(__dirname, '..', '..');

interface ConsumerSpec {
  /** The project's directory under the work directory. */
  readonly dir: string;
  /** What the project installs as `cdktf`. */
  readonly cdktf: string;
  /** The package that `node_modules/cdktf` then is. */
  readonly runtime: { readonly name: string; readonly version: string };
  /** The project's own patch of constructs, inside the runtime's peer range. */
  readonly constructs: string;
}

const CDKTF: ConsumerSpec = { dir: 'cdktf', cdktf: 'cdktf@0.21.0', runtime: { name: 'cdktf', version: '0.21.0' }, constructs: '10.8.0' };
const CDKTN: ConsumerSpec = { dir: 'cdktn', cdktf: 'cdktf@npm:cdktn@0.24.0', runtime: { name: 'cdktn', version: '0.24.0' }, constructs: '10.7.2' };
const STACKS = ['shop', 'popgom'];

/** The consumer's program: every entry point, two stacks, the copies of `constructs` and `cdktf` it sees. */
const MAIN_TS = [
  "import { App, TerraformStack } from 'cdktf';",
  "import { Construct } from 'constructs';",
  "import { ExternalNetwork, Flavor, HealthCheck, HostingApp, HostingStack, Machines, OctaviaBalancer, PrivateVSwitch } from 'hosting-stacks';",
  "import { PopgomStack } from 'hosting-stacks/stacks/popgom';",
  "import { readStackModel } from 'hosting-stacks/lab';",
  "import { renderRedisAuthConfig } from 'hosting-stacks/renderers';",
  "import { DemandTrace, parseTraceCsv } from 'hosting-stacks/planning';",
  "import { checkProviderSchema, loadOpenstackProviderSchema } from 'hosting-stacks/testing';",
  "import { RolloutOptions, runRollout } from 'hosting-stacks/rollout';",
  '',
  "const app: App = new HostingApp({ outdir: 'cdktf.out' });",
  "const stack = new HostingStack(app, 'shop');",
  "const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });",
  "const net = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.2.0/24', router: dmz.router });",
  "const web = new Machines(stack, 'Web', { vswitch: net, count: 2, flavor: Flavor.named('b3-8'), bootVolumeGb: 20 });",
  'const webConstruct: Construct = web;',
  "new OctaviaBalancer(stack, 'Lb', { vswitch: dmz }).addTarget(web, { port: 80, healthCheck: HealthCheck.http({ path: '/' }) });",
  "const popgom = new PopgomStack(app, 'popgom');",
  'app.synth();',
  "const trace: DemandTrace = parseTraceCsv('time,concurrent_users\\n2027-10-30T19:00Z,100\\n2027-10-30T20:00Z,300\\n');",
  "const rollout: RolloutOptions = { stackDir: 'cdktf.out/stacks/shop', dryRun: true };",
  'console.log(JSON.stringify({',
  '  web: webConstruct.node.path,',
  // isConstruct and isStack go by Symbol.for and hold across copies; instanceof tells one copy.
  '  oneCopy: [Construct.isConstruct(popgom), TerraformStack.isStack(popgom), popgom instanceof TerraformStack, web instanceof Construct, app instanceof App],',
  "  renderers: renderRedisAuthConfig({ password: 'p' }).split('\\n').filter((l) => l.startsWith('requirepass')),",
  '  planning: { resolutionMinutes: trace.resolutionMinutes, users: trace.users },',
  '  testing: [stack, popgom].map((s) => checkProviderSchema(s.toTerraform(), loadOpenstackProviderSchema())),',
  '  rollout: [typeof runRollout, rollout.dryRun],',
  '  lab: typeof readStackModel,',
  '}));',
  '',
].join('\n');

const TSCONFIG = {
  compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', outDir: 'out', skipLibCheck: false, types: ['node'] },
  files: ['main.ts'],
};

function run(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, CHECKPOINT_DISABLE: '1', npm_config_audit: 'false', npm_config_fund: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${cwd} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Runs `make` once; later calls return its result, or throw its error again. */
function once<T>(make: () => T): () => T {
  let result: { value: T } | { error: unknown } | undefined;
  return () => {
    result ??= (() => { try { return { value: make() }; } catch (error) { return { error }; } })();
    if ('error' in result) throw result.error;
    return result.value;
  };
}

describe('the npm package in consumer projects', () => {
  let work: string;
  let tarball: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'hosting-stacks-consumer-'));
    run('npm', ['pack', '--pack-destination', work], ROOT, 600_000);
    const name = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!name) throw new Error(`npm pack wrote no tarball into ${work}`);
    tarball = join(work, name);
  }, 1_200_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The project with the tarball, its `cdktf`, its `constructs` and @types/node (as any TypeScript project on Node has: the lab's API uses Node's types). */
  const installed = new Map([CDKTF, CDKTN].map((spec) => [spec, once(() => {
    const dir = join(work, spec.dir);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${spec.dir}`, version: '1.0.0', private: true }, null, 2));
    run('npm', ['install', tarball, spec.cdktf, `constructs@${spec.constructs}`, '@types/node@20'], dir, 600_000);
    return dir;
  })]));
  /** The project's program type-checked (the library's own TypeScript compiler, the project's node_modules), run, and what it printed. */
  const built = new Map([CDKTF, CDKTN].map((spec) => [spec, once(() => {
    const dir = installed.get(spec)!();
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    writeFileSync(join(dir, 'main.ts'), MAIN_TS);
    run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir);
    const printed = JSON.parse(run(process.execPath, ['out/main.js'], dir).stdout.trim().split('\n').pop()!);
    const synthesized = Object.fromEntries(STACKS.map((s) => [s, JSON.parse(readFileSync(join(dir, 'cdktf.out', 'stacks', s, 'cdk.tf.json'), 'utf8'))]));
    return { printed, synthesized };
  })]));

  describe.each([
    ['cdktf 0.21', CDKTF],
    ['cdktn 0.24 installed as cdktf', CDKTN],
  ])('with %s', (_label, spec) => {
    test(`given constructs ${spec.constructs}, then the install holds one copy of constructs and of cdktf (${spec.runtime.name}): the consumer's`, () => {
      const dir = installed.get(spec)!();
      // `npm ls` fails on a peer dependency out of range, so it passing is the peer range accepting the runtime.
      const copies = (name: string) => run('npm', ['ls', name, '--all', '--parseable'], dir).stdout.split('\n').filter((l) => l.trim() !== '');
      expect(copies('constructs')).toEqual([join(dir, 'node_modules', 'constructs')]);
      expect(copies('cdktf')).toEqual([join(dir, 'node_modules', 'cdktf')]);
      expect(copies('cdktn')).toEqual([]);
      const manifest = (p: string) => JSON.parse(readFileSync(join(dir, 'node_modules', p, 'package.json'), 'utf8'));
      expect([manifest('cdktf').name, manifest('cdktf').version]).toEqual([spec.runtime.name, spec.runtime.version]);
      expect(manifest('constructs').version).toBe(spec.constructs);
      expect(existsSync(join(dir, 'node_modules', 'hosting-stacks', 'node_modules'))).toBe(false);
    }, 600_000);

    test('given TypeScript code of the consumer importing every entry point, then it type-checks against the consumer\'s copies, synthesizes two stacks and uses each entry point', () => {
      const { printed, synthesized } = built.get(spec)!();
      expect(printed).toEqual({
        web: 'shop/Web',
        oneCopy: [true, true, true, true, true],
        renderers: ['requirepass "p"'],
        planning: { resolutionMinutes: 60, users: [100, 300] },
        testing: [[], []],
        rollout: ['function', true],
        lab: 'function',
      });
      const count = (s: string, type: string) => Object.keys(synthesized[s].resource[type] ?? {}).length;
      expect(STACKS.map((s) => synthesized[s]['//'].metadata.version)).toEqual([spec.runtime.version, spec.runtime.version]);
      expect(count('shop', 'openstack_compute_instance_v2')).toBe(2);
      expect(count('shop', 'openstack_lb_loadbalancer_v2')).toBe(1);
      expect(count('shop', 'openstack_lb_member_v2')).toBe(2);
      for (const s of STACKS) {
        expect(count(s, 'openstack_compute_instance_v2')).toBeGreaterThan(0);
        expect(count(s, 'openstack_blockstorage_volume_v3')).toBeGreaterThan(0);
      }
    }, 600_000);
  });

  test('given the same program, then cdktn synthesizes the Terraform cdktf does, but for the version it writes', () => {
    const withoutVersion = (tf: { '//': { metadata: Record<string, unknown> } }) => ({ ...tf, '//': { ...tf['//'], metadata: { ...tf['//'].metadata, version: undefined } } });
    const [fromCdktf, fromCdktn] = [CDKTF, CDKTN].map((spec) => built.get(spec)!().synthesized);
    for (const s of STACKS) expect(withoutVersion(fromCdktn[s])).toEqual(withoutVersion(fromCdktf[s]));
  }, 1_200_000);

  test('given the tarball, then it holds the license, the built library, stacks, templates and provider schema, and no sources or tests', () => {
    const pkg = join(installed.get(CDKTF)!(), 'node_modules', 'hosting-stacks');
    const entryFiles = ['index', 'renderers', 'planning', 'testing', 'rollout/index', 'lab/index'].flatMap((e) => [`dist/lib/${e}.js`, `dist/lib/${e}.d.ts`]);
    for (const f of ['LICENSE', ...entryFiles, 'dist/stacks/popgom.js', 'templates/haproxy.cfg.hbs', 'provider/openstack-provider-schema.json']) {
      expect(existsSync(join(pkg, f))).toBe(true);
    }
    for (const f of ['lib', '__tests__', 'scripts', 'node_modules']) expect(existsSync(join(pkg, f))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    expect(manifest.scripts?.prepare).toBeUndefined();
    expect(manifest.dependencies?.constructs).toBeUndefined();
    expect(manifest.dependencies?.cdktf).toBeUndefined();
    // ^0.24.0: cdktf's last release is 0.21.0, so only cdktn installed as cdktf (tested above) is 0.24.
    expect(manifest.peerDependencies).toEqual({ cdktf: '^0.21.0 || ^0.24.0', constructs: '^10.4.2' });
  }, 600_000);
});
