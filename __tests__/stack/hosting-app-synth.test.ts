import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aspects, TerraformOutput, TerraformResource } from 'cdktf';
import { IConstruct } from 'constructs';
import { ExternalNetwork, Flavor, HostingApp, HostingStack, PrivateVSwitch, Router, ServerCluster } from '../../lib';
import { MonsieurDeguisementStack } from '../../stacks/monsieur-deguisement';

/** Every file under `dir` with its content, by path relative to `dir`. */
function tree(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort()
      .map((p) => [p.slice(dir.length + 1), readFileSync(p, 'utf8')]),
  );
}

/** A stack with a server (host configs), an artifact and an aspect that adds a host file at synth. */
function shopStack(app: App, id = 'shop', visits?: { count: number }): HostingStack {
  const stack = new HostingStack(app, id);
  const router = new Router(stack, 'Router', { externalNetwork: ExternalNetwork.ovh() });
  const net = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24', router });
  const web = new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8') });
  web.exemptFromBackup('stateless');
  stack.addArtifact('notes/README.txt', () => `stack ${id}`);
  Aspects.of(stack).add({
    visit: (node: IConstruct) => {
      if (node !== stack) return;
      if (visits) visits.count += 1;
      web.instances[0].cloudConfig.addFile({ path: '/etc/motd', content: 'added at synth\n' });
    },
  });
  return stack;
}

describe('HostingApp.synth', () => {
  const dirs: string[] = [];
  const outdir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'hs-app-synth-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test('given stacks with configs, artifacts and an aspect, when synthesized, then it writes the files a plain App writes, the aspect\'s content included', () => {
    const hosting = outdir();
    const app = new HostingApp({ outdir: hosting });
    shopStack(app, 'front');
    shopStack(app, 'shop');
    app.synth();
    const plain = outdir();
    const reference = new App({ outdir: plain });
    shopStack(reference, 'front');
    shopStack(reference, 'shop');
    reference.synth();

    const written = tree(hosting);
    expect(written).toEqual(tree(plain));
    expect(Object.keys(written)).toEqual(expect.arrayContaining([
      'manifest.json', 'stacks/shop/cdk.tf.json', 'stacks/shop/notes/README.txt', 'stacks/shop/rollout.json', 'stacks/shop/configs/web-1/etc/motd',
    ]));
    expect(written['stacks/shop/configs/web-1/etc/motd']).toBe('added at synth\n');
  });

  test('given an aspect, when synthesized, then it is invoked exactly once', () => {
    const visits = { count: 0 };
    const app = new HostingApp({ outdir: outdir() });
    shopStack(app, 'shop', visits);
    app.synth();
    expect(visits.count).toBe(1);
  });

  test('given a folder a synth wrote, when a later synth fails, then every file of the first is left as it was', () => {
    const dir = outdir();
    const first = new HostingApp({ outdir: dir });
    shopStack(first, 'front');
    shopStack(first, 'shop');
    first.synth();
    const before = tree(dir);

    const second = new HostingApp({ outdir: dir });
    shopStack(second, 'front').addArtifact('notes/new.txt', () => 'new');
    shopStack(second, 'shop').addArtifact('broken.txt', () => {
      throw new Error('boom');
    });
    expect(() => second.synth()).toThrow(/^Validation failed, nothing was written:\n {2}shop: 'addArtifact' \('broken\.txt'\) has a producer that threw at synth \(boom\)/);
    expect(tree(dir)).toEqual(before);
  });

  test('given a state file and a host config no longer rendered, when synthesized again, then the state stays and the old config goes', () => {
    const dir = outdir();
    const first = new HostingApp({ outdir: dir });
    shopStack(first, 'shop');
    first.synth();
    writeFileSync(join(dir, 'stacks', 'shop', 'terraform.shop.tfstate'), '{"version":4}');
    writeFileSync(join(dir, 'stacks', 'shop', 'configs', 'web-1', 'etc', 'old.conf'), 'old');

    const second = new HostingApp({ outdir: dir });
    shopStack(second, 'shop');
    second.synth();
    const files = tree(dir);
    expect(files['stacks/shop/terraform.shop.tfstate']).toBe('{"version":4}');
    expect(files['stacks/shop/configs/web-1/etc/old.conf']).toBeUndefined();
    expect(files['stacks/shop/configs/web-1/etc/motd']).toBe('added at synth\n');
  });

  test('given problems in two stacks, then one error lists both, each once', () => {
    const app = new HostingApp({ outdir: outdir() });
    shopStack(app, 'front').addArtifact('a.txt', () => {
      throw new Error('first');
    });
    const shop = shopStack(app, 'shop');
    new TerraformOutput(shop, 'Raw', { value: '${file("/etc/passwd")}' });
    let message = '';
    try {
      app.synth();
    } catch (e) {
      message = (e as Error).message;
    }
    const lines = message.split('\n').slice(1);
    expect(lines).toEqual([
      "  front: 'addArtifact' ('a.txt') has a producer that threw at synth (first); a producer must return the file's content",
      expect.stringMatching(/^ {2}shop\/Raw: 'value' \('\$\{file\("\/etc\/passwd"\)\}'\) of output\.Raw would be evaluated by Terraform: \$\{\.\.\.\} at offset 0: function 'file' is not one this check accepts/),
    ]);
  });
});

describe('HostingStack\'s Terraform template check', () => {
  test('given an override of the provider\'s region, then the finding names the provider\'s construct path, its attribute and its address', () => {
    const stack = new HostingStack(new App({ outdir: mkdtempSync(join(tmpdir(), 'hs-app-synth-')) }), 'shop', { region: 'GRA11' });
    stack.provider.addOverride('region', 'GRA${var.n}');
    expect(stack.node.validate()).toEqual([
      expect.stringMatching(/^shop\/openstack: '\[0\]\.region' \('GRA\$\{var\.n\}'\) of provider\.openstack would be evaluated by Terraform: \$\{\.\.\.\} at offset 3: reference 'var\.n' names a variable that is not declared\. Give plain text/),
    ]);
  });

  test('given a long string, then the finding shows its start and its length', () => {
    const stack = new HostingStack(new App({ outdir: mkdtempSync(join(tmpdir(), 'hs-app-synth-')) }), 'shop');
    new TerraformOutput(stack, 'Long', { value: `${'x'.repeat(100)}%{ if true }` });
    expect(stack.node.validate()).toEqual([expect.stringContaining(`shop/Long: 'value' ('${'x'.repeat(80)}... (112 characters)') of output.Long`)]);
  });
});

describe('a plain cdktf App holding HostingStacks', () => {
  test('given an artifact producer that throws in the second stack, then that stack writes nothing but the first is written: only HostingApp checks every stack first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-app-synth-'));
    try {
      const app = new App({ outdir: dir });
      shopStack(app, 'front');
      shopStack(app, 'shop').addArtifact('broken.txt', () => {
        throw new Error('boom');
      });
      expect(() => app.synth()).toThrow(/shop: 'addArtifact' \('broken\.txt'\) has a producer that threw at synth \(boom\)/);
      const files = Object.keys(tree(dir));
      expect(files).toContain('stacks/front/cdk.tf.json');
      expect(files.filter((f) => f.startsWith('stacks/shop/'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('preparing a stack', () => {
  /** Counts the calls of each resource's toTerraform (cdktf's preparing resolve calls it for every element). */
  function countRendering(stack: HostingStack): () => number {
    let calls = 0;
    for (const e of stack.node.findAll()) {
      if (e instanceof TerraformResource) {
        const own = e.toTerraform.bind(e);
        e.toTerraform = () => { calls += 1; return own(); };
      }
    }
    return () => calls;
  }

  test('the only stack of its app skips cdktf\'s preparing resolve and writes exactly what it writes beside another stack', () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'hs-prep-')), mkdtempSync(join(tmpdir(), 'hs-prep-'))];
    try {
      const alone = new HostingApp({ outdir: dirs[0] });
      const stack = new MonsieurDeguisementStack(alone, 'md');
      const rendered = countRendering(stack);
      stack.prepareStack();
      expect(rendered()).toBe(0);
      alone.synth();
      const beside = new HostingApp({ outdir: dirs[1] });
      new MonsieurDeguisementStack(beside, 'md');
      new HostingStack(beside, 'other');
      beside.synth();
      const a = tree(join(dirs[0], 'stacks', 'md'));
      const b = tree(join(dirs[1], 'stacks', 'md'));
      expect(Object.keys(a)).toEqual(Object.keys(b));
      for (const path of Object.keys(a)) expect([path, a[path]]).toEqual([path, b[path]]);
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });

  test('a stack beside others is prepared as cdktf prepares it', () => {
    const app = new HostingApp({ outdir: mkdtempSync(join(tmpdir(), 'hs-prep-')) });
    try {
      const a = shopStack(app, 'a');
      shopStack(app, 'b');
      const rendered = countRendering(a);
      a.prepareStack();
      expect(rendered()).toBeGreaterThan(0);
    } finally {
      rmSync(app.outdir, { recursive: true, force: true });
    }
  });
});
