import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { HostingApp, HostingStack } from '../../lib/stack/hosting-stack';

describe('HostingStack.addArtifact', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), 'hs-artifacts-'));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  test('given artifacts, when synthesized, then each is written at its path next to the Terraform, produced at synth', () => {
    const app = new HostingApp({ outdir });
    const stack = new HostingStack(app, 'shop');
    const names: string[] = [];
    stack.addArtifact('campaigns/sale.tfvars.json', () => JSON.stringify({ n: names.length }));
    stack.addArtifact('README.txt', () => names.join(','));
    names.push('a', 'b'); // after addArtifact: the producers see it
    app.synth();
    const dir = join(outdir, 'stacks', 'shop');
    expect(readFileSync(join(dir, 'campaigns', 'sale.tfvars.json'), 'utf8')).toBe('{"n":2}');
    expect(readFileSync(join(dir, 'README.txt'), 'utf8')).toBe('a,b');
    expect(existsSync(join(dir, 'cdk.tf.json'))).toBe(true);
    // rollout.json is every stack's own: the order and digests hosting-stacks-rollout works from;
    // cost.md and cost.json too: its monthly cost from the dated price table; and its architecture.
    expect(stack.renderArtifacts().map((a) => a.path)).toEqual(['ARCHITECTURE.md', 'README.txt', 'architecture.json', 'architecture.svg', 'campaigns/sale.tfvars.json', 'cost.json', 'cost.md', 'rollout.json']);
    // Asked for some paths, it renders only those it has.
    expect(stack.renderArtifacts(['cost.md', 'README.txt', 'no-such-file']).map((a) => a.path)).toEqual(['README.txt', 'cost.md']);
    expect(JSON.parse(readFileSync(join(dir, 'rollout.json'), 'utf8'))).toEqual({ stack: 'shop', servers: [] });
  });

  test('given a second synth into the same folder, then artifacts no longer produced are removed, others kept', () => {
    const first = new HostingApp({ outdir });
    const s1 = new HostingStack(first, 'shop');
    s1.addArtifact('campaigns/old.tfvars.json', () => '{}');
    s1.addArtifact('campaigns/kept.tfvars.json', () => '{"v":1}');
    first.synth();
    const second = new HostingApp({ outdir });
    const s2 = new HostingStack(second, 'shop');
    s2.addArtifact('campaigns/kept.tfvars.json', () => '{"v":2}');
    second.synth();
    const dir = join(outdir, 'stacks', 'shop', 'campaigns');
    expect(readdirSync(dir)).toEqual(['kept.tfvars.json']);
    expect(readFileSync(join(dir, 'kept.tfvars.json'), 'utf8')).toBe('{"v":2}');
  });

  test('given a validation error, then no artifact is written', () => {
    const app = new HostingApp({ outdir });
    const stack = new HostingStack(app, 'shop');
    stack.addArtifact('scaling/schedule.json', () => '[]');
    stack.node.addValidation({ validate: () => ['shop/Thing: broken'] });
    expect(() => app.synth()).toThrow(/shop\/Thing: broken/);
    expect(existsSync(join(outdir, 'stacks', 'shop', 'scaling'))).toBe(false);
  });

  test.each([
    ['../escape.json'], ['/etc/passwd'], ['a/../../b'], ['.hidden'], ['dir/.terraform/x'], ['a//b'], ['a/'], [''], ['with space.txt'],
  ])('a path that is not a plain relative path (%p) is an error', (path) => {
    const stack = new HostingStack(Testing.app(), 'shop');
    expect(() => stack.addArtifact(path, () => '')).toThrow(/^shop: 'relativePath' \(.*\) must be a relative path of segments/);
  });

  test.each([['configs/web-1/etc/motd'], ['cdk.tf.json'], ['terraform.shop.tfstate'], ['terraform.shop.tfstate.backup']])('a path the stack writes itself (%p) is reserved', (path) => {
    const stack = new HostingStack(Testing.app(), 'shop');
    expect(() => stack.addArtifact(path, () => '')).toThrow(/is reserved: 'configs\/', 'cdk.tf.json' and Terraform state files/);
  });

  test('a path used twice, or a file where another artifact needs a folder, is an error', () => {
    const stack = new HostingStack(Testing.app(), 'shop');
    stack.addArtifact('scaling/schedule.json', () => '');
    expect(() => stack.addArtifact('scaling/schedule.json', () => '')).toThrow("shop: 'relativePath' ('scaling/schedule.json') clashes with the artifact 'scaling/schedule.json'");
    expect(() => stack.addArtifact('scaling', () => '')).toThrow(/clashes with the artifact 'scaling\/schedule.json'/);
    expect(() => stack.addArtifact('scaling/schedule.json/x', () => '')).toThrow(/clashes/);
  });
});
