import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aspects } from 'cdktf';
import { IConstruct } from 'constructs';
import { CloudConfig, ExternalNetwork, Flavor, HostingApp, HostingStack, PrivateVSwitch, Router, ServerCluster } from '../../lib';
import { SynthPass } from '../../lib/core/synth-pass';

/** A stack of two servers; an aspect adds a host file to the first at synth. */
function shop(app: App): { stack: HostingStack; web: ServerCluster } {
  const stack = new HostingStack(app, 'shop');
  const router = new Router(stack, 'Router', { externalNetwork: ExternalNetwork.ovh() });
  const net = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24', router });
  const web = new ServerCluster(stack, 'Web', { vswitch: net, count: 2, flavor: Flavor.named('b3-8') });
  web.exemptFromBackup('stateless');
  Aspects.of(stack).add({
    visit: (node: IConstruct) => {
      if (node === stack) web.instances[0].cloudConfig.addFile({ path: '/etc/motd', content: 'added at synth\n' });
    },
  });
  return { stack, web };
}

type Instances = Record<string, { user_data: string; metadata: Record<string, string> }>;

function instancesOf(terraform: { resource?: Record<string, unknown> }): Instances {
  return (terraform.resource?.openstack_compute_instance_v2 ?? {}) as Instances;
}

describe('one synth pass', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  afterEach(() => jest.restoreAllMocks());

  test('given HostingApp.synth, then each server\'s cloud-config document is rendered once, not per reader', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'hs-synth-pass-'));
    dirs.push(outdir);
    const app = new HostingApp({ outdir });
    const { web } = shop(app);
    // The document itself (renderDocument); `render` adds the readiness step to the memoized document.
    const render = jest.spyOn(CloudConfig.prototype as unknown as { renderDocument: (compress: boolean) => string }, 'renderDocument');
    app.synth();
    const byHost = new Map<string, number>();
    for (const call of render.mock.contexts as CloudConfig[]) byHost.set(call.hostname, (byHost.get(call.hostname) ?? 0) + 1);
    // The Terraform, the template check, the policy pack, the rollout plan and the host files all
    // read the same rendering: the digest is of it, the user data is it plus the readiness step.
    expect(Object.fromEntries(byHost)).toEqual(Object.fromEntries(web.instances.map((i) => [i.hostname, 1])));
  });

  test('given an aspect that adds a file at synth, then the user data, its digest and the rollout plan written all hold it', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'hs-synth-pass-'));
    dirs.push(outdir);
    const app = new HostingApp({ outdir });
    const { web } = shop(app);
    app.synth();
    const written = JSON.parse(readFileSync(join(outdir, 'stacks', 'shop', 'cdk.tf.json'), 'utf8')) as { resource: Record<string, unknown> };
    const first = instancesOf(written)[web.instances[0].resource.friendlyUniqueId];
    expect(first.user_data).toContain('added at synth');
    // After the pass, the digest is computed again from the tree (which now holds the file): the same.
    expect(first.metadata['hosting-stacks:config']).toBe(web.instances[0].configDigest());
    expect(readFileSync(join(outdir, 'stacks', 'shop', 'rollout.json'), 'utf8')).toContain(web.instances[0].configDigest());
  });

  test('given no synth, when the tree changes between two toTerraform calls, then the second shows the change', () => {
    const { stack, web } = shop(new App({ outdir: mkdtempSync(join(tmpdir(), 'hs-synth-pass-')) }));
    const before = instancesOf(stack.toTerraform())[web.instances[1].resource.friendlyUniqueId].user_data;
    web.instances[1].cloudConfig.addFile({ path: '/etc/issue.net', content: 'changed\n' });
    const after = instancesOf(stack.toTerraform())[web.instances[1].resource.friendlyUniqueId].user_data;
    expect(before).not.toContain('/etc/issue.net');
    expect(after).toContain('/etc/issue.net');
    expect(SynthPass.active(stack)).toBe(false);
  });

  test('given a synth that fails validation, then the pass is over and a later toTerraform sees later changes', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'hs-synth-pass-'));
    dirs.push(outdir);
    const app = new HostingApp({ outdir });
    const { stack, web } = shop(app);
    stack.node.addValidation({ validate: () => ['refused for the test'] });
    expect(() => app.synth()).toThrow(/refused for the test/);
    expect(SynthPass.active(stack)).toBe(false);
    web.instances[1].cloudConfig.addFile({ path: '/etc/issue.net', content: 'later\n' });
    expect(instancesOf(stack.toTerraform())[web.instances[1].resource.friendlyUniqueId].user_data).toContain('/etc/issue.net');
  });
});
