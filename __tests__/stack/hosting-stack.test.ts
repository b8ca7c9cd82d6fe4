import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSyntax, Flavor, HostingApp, HostingStack, HostingStacksError, PrivateVSwitch, Secret, ServerCluster, SynthValidationError } from '../../lib';

function hostStack(app: HostingApp, id: string, count = 1) {
  const stack = new HostingStack(app, id);
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  const web = new ServerCluster(stack, 'Web', { vswitch, count, flavor: Flavor.named('c3-4') });
  return { stack, web };
}

describe('HostingStack and HostingApp', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), 'hs-synth-'));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  test('given host files, when synthesized, then each is written under configs/<host>/<absolute path>', () => {
    const app = new HostingApp({ outdir });
    const { web } = hostStack(app, 'shop', 2);
    web.instances[0].cloudConfig.addFile({ path: '/etc/apache2/apache2.conf', content: 'Listen 80\n', syntax: ConfigSyntax.APACHE });
    web.instances[1].cloudConfig.addFile({ path: '/etc/apache2/apache2.conf', content: 'Listen 81\n', syntax: ConfigSyntax.APACHE });
    app.synth();
    const base = join(outdir, 'stacks', 'shop');
    expect(existsSync(join(base, 'cdk.tf.json'))).toBe(true);
    expect(readFileSync(join(base, 'configs', 'web-1', 'etc', 'apache2', 'apache2.conf'), 'utf8')).toBe('Listen 80\n');
    expect(readFileSync(join(base, 'configs', 'web-2', 'etc', 'apache2', 'apache2.conf'), 'utf8')).toBe('Listen 81\n');
  });

  test('secrets are shown as variable references in the review files and the Terraform', () => {
    const app = new HostingApp({ outdir });
    const { stack, web } = hostStack(app, 'shop');
    const secret = Secret.variable(stack, 'db_password', 'test secret');
    web.instances[0].cloudConfig.addFile({ path: '/etc/secret', content: `password=${secret.value}\n`, permissions: '0600' });
    app.synth();
    expect(readFileSync(join(outdir, 'stacks', 'shop', 'configs', 'web-1', 'etc', 'secret'), 'utf8')).toBe('password=${var.db_password}\n');
    const tf = JSON.parse(readFileSync(join(outdir, 'stacks', 'shop', 'cdk.tf.json'), 'utf8'));
    expect(tf.variable.db_password).toMatchObject({ sensitive: true, type: 'string' });
  });

  test('the local backend path is relative, so output is the same on every machine', () => {
    const app = new HostingApp({ outdir });
    hostStack(app, 'shop');
    app.synth();
    const tf = JSON.parse(readFileSync(join(outdir, 'stacks', 'shop', 'cdk.tf.json'), 'utf8'));
    expect(tf.terraform.backend.local.path).toBe('terraform.shop.tfstate');
    expect(tf.terraform.required_providers.openstack).toEqual({ source: 'terraform-provider-openstack/openstack', version: '~> 3.4' });
  });

  test('given an invalid second stack, when synthesized, then nothing is written for either stack', () => {
    const app = new HostingApp({ outdir });
    const { web } = hostStack(app, 'good');
    web.instances[0].cloudConfig.addFile({ path: '/etc/motd', content: 'hi\n' });
    const bad = new HostingStack(app, 'bad');
    bad.node.addValidation({ validate: () => ['bad/Thing: \'x\' (1) is wrong'] });
    expect(() => app.synth()).toThrow(/Validation failed, nothing was written:\n  bad\/Thing: 'x' \(1\) is wrong/);
    // The App constructor makes an empty stacks/ folder; no file may be in it.
    expect(readdirSync(outdir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())).toEqual([]);
  });

  test('given failing validations, when synthesized, then the error is a SynthValidationError listing each problem', () => {
    // given two problems in one stack
    const app = new HostingApp({ outdir });
    const bad = new HostingStack(app, 'bad');
    bad.node.addValidation({ validate: () => ["bad/Thing: 'x' (1) is wrong", "bad/Other: 'y' (2) is wrong too"] });
    // when synthesized
    let thrown: unknown;
    try {
      app.synth();
    } catch (e) {
      thrown = e;
    }
    // then it is a HostingStacksError whose message and errors list both problems
    expect(thrown).toBeInstanceOf(SynthValidationError);
    expect(thrown).toBeInstanceOf(HostingStacksError);
    expect((thrown as SynthValidationError).errors).toEqual(["bad/Thing: 'x' (1) is wrong", "bad/Other: 'y' (2) is wrong too"]);
    expect((thrown as Error).message).toBe("Validation failed, nothing was written:\n  bad/Thing: 'x' (1) is wrong\n  bad/Other: 'y' (2) is wrong too");
    expect((thrown as Error).name).toBe('SynthValidationError');
  });

  test('duplicate host names in one stack are a synth error', () => {
    const app = new HostingApp({ outdir });
    const { stack } = hostStack(app, 'shop');
    const vswitch2 = new PrivateVSwitch(stack, 'Net2', { cidr: '10.0.2.0/24' });
    new ServerCluster(stack, 'Web2', { vswitch: vswitch2, count: 1, flavor: Flavor.named('c3-4'), hostnamePrefix: 'web' });
    expect(() => app.synth()).toThrow(/shop\/Web2\/Instance1: 'hostname' \('web-1'\) is also used by shop\/Web\/Instance1/);
  });
});
