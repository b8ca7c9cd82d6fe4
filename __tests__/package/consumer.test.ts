import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The package as a consumer gets it from npm: `npm pack` (which builds it), then an install into a
 * project of its own that pins another patch version of `constructs` than the library is developed
 * with. `cdktf` and `constructs` are peer dependencies, so the consumer's copies are the only ones:
 * a second copy would make `new HostingStack(app, ...)` a type error (two `Construct` classes) and
 * break `Construct.isConstruct` checks at run time. The consumer then builds and synthesizes a stack
 * from the root entry point and a case-study stack from its entry point, and uses each other entry
 * point as a user would: a renderer (its template shipped), a demand trace, the provider-schema
 * check (its schema shipped), the rollout and the lab.
 * Needs the npm registry (as `npm ci` does).
 */
const ROOT = resolve(__dirname, '..', '..');
/** Another patch version than the devDependency (10.8.1), inside the peer range. */
const CONSUMER_CONSTRUCTS = '10.8.0';

function run(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, CHECKPOINT_DISABLE: '1', npm_config_audit: 'false', npm_config_fund: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${cwd} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

describe('the npm package in a consumer project', () => {
  let work: string;
  let consumer: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'hosting-stacks-consumer-'));
    run('npm', ['pack', '--pack-destination', work], ROOT, 600_000);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack wrote no tarball into ${work}`);
    consumer = join(work, 'consumer');
    run('mkdir', ['-p', consumer], work);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2));
    // @types/node as any TypeScript project on Node has it (the lab's API uses Node's types).
    run('npm', ['install', join(work, tarball), 'cdktf@0.21.0', `constructs@${CONSUMER_CONSTRUCTS}`, '@types/node@20'], consumer, 600_000);
  }, 1_200_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('given constructs of another patch version, then the install holds one copy of constructs and of cdktf: the consumer\'s', () => {
    const copies = (name: string) => run('npm', ['ls', name, '--all', '--parseable'], consumer).stdout.split('\n').filter((l) => l.trim() !== '');
    expect(copies('constructs')).toEqual([join(consumer, 'node_modules', 'constructs')]);
    expect(copies('cdktf')).toEqual([join(consumer, 'node_modules', 'cdktf')]);
    expect(JSON.parse(readFileSync(join(consumer, 'node_modules', 'constructs', 'package.json'), 'utf8')).version).toBe(CONSUMER_CONSTRUCTS);
    expect(existsSync(join(consumer, 'node_modules', 'hosting-stacks', 'node_modules', 'constructs'))).toBe(false);
  });

  test('given the tarball, then it holds the license, the built library, stacks, templates and provider schema, and no sources or tests', () => {
    const pkg = join(consumer, 'node_modules', 'hosting-stacks');
    const entryFiles = ['index', 'renderers', 'planning', 'testing', 'rollout/index', 'lab/index'].flatMap((e) => [`dist/lib/${e}.js`, `dist/lib/${e}.d.ts`]);
    for (const f of ['LICENSE', ...entryFiles, 'dist/stacks/popgom.js', 'templates/haproxy.cfg.hbs', 'provider/openstack-provider-schema.json']) {
      expect(existsSync(join(pkg, f))).toBe(true);
    }
    for (const f of ['lib', '__tests__', 'scripts', 'node_modules']) expect(existsSync(join(pkg, f))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    expect(manifest.scripts?.prepare).toBeUndefined();
    expect(manifest.dependencies?.constructs).toBeUndefined();
    expect(manifest.dependencies?.cdktf).toBeUndefined();
    expect(manifest.peerDependencies).toEqual({ cdktf: '^0.21.0', constructs: '^10.4.2' });
  });

  test('given TypeScript code of the consumer importing every entry point, then it type-checks against the consumer\'s constructs, synthesizes a stack and uses each entry point', () => {
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', outDir: 'out', skipLibCheck: false, types: ['node'] },
      files: ['main.ts'],
    }));
    writeFileSync(join(consumer, 'main.ts'), [
      "import { App } from 'cdktf';",
      "import { Construct } from 'constructs';",
      "import { Flavor, HostingApp, HostingStack, PrivateVSwitch, ServerCluster } from 'hosting-stacks';",
      "import { PopgomStack } from 'hosting-stacks/stacks/popgom';",
      "import { readStackModel } from 'hosting-stacks/lab';",
      "import { renderRedisAuthConfig } from 'hosting-stacks/renderers';",
      "import { DemandTrace, parseTraceCsv } from 'hosting-stacks/planning';",
      "import { checkProviderSchema, loadOpenstackProviderSchema } from 'hosting-stacks/testing';",
      "import { RolloutOptions, runRollout } from 'hosting-stacks/rollout';",
      '',
      "const app: App = new HostingApp({ outdir: 'cdktf.out' });",
      "const stack = new HostingStack(app, 'shop');",
      "const net = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });",
      "const web: Construct = new ServerCluster(stack, 'Web', { vswitch: net, count: 2, flavor: Flavor.named('b3-8') });",
      "new PopgomStack(app, 'popgom');",
      'app.synth();',
      "const trace: DemandTrace = parseTraceCsv('time,concurrent_users\\n2027-10-30T19:00Z,100\\n2027-10-30T20:00Z,300\\n');",
      "const rollout: RolloutOptions = { stackDir: 'cdktf.out/stacks/shop', dryRun: true };",
      'console.log(JSON.stringify({',
      '  web: web.node.path,',
      "  renderers: renderRedisAuthConfig({ password: 'p' }).split('\\n').filter((l) => l.startsWith('requirepass')),",
      '  planning: { resolutionMinutes: trace.resolutionMinutes, users: trace.users },',
      '  testing: checkProviderSchema(stack.toTerraform(), loadOpenstackProviderSchema()),',
      '  rollout: [typeof runRollout, rollout.dryRun],',
      '  lab: typeof readStackModel,',
      '}));',
      '',
    ].join('\n'));
    // The library's own TypeScript compiler, the consumer's node_modules.
    run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], consumer);
    const out = run(process.execPath, ['out/main.js'], consumer).stdout.trim().split('\n').pop()!;
    expect(JSON.parse(out)).toEqual({
      web: 'shop/Web',
      renderers: ['requirepass "p"'],
      planning: { resolutionMinutes: 60, users: [100, 300] },
      testing: [],
      rollout: ['function', true],
      lab: 'function',
    });
    for (const s of ['shop', 'popgom']) {
      const tf = JSON.parse(readFileSync(join(consumer, 'cdktf.out', 'stacks', s, 'cdk.tf.json'), 'utf8'));
      expect(Object.keys(tf.resource.openstack_compute_instance_v2 ?? {}).length).toBeGreaterThan(0);
    }
  });
});
