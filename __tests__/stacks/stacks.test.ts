/**
 * Every case-study stack: one snapshot of its Terraform and every rendered config, zero provider
 * schema violations, and every daemon config accepted by the real daemon's own check.
 */
import { Testing } from 'cdktf';
import { HostingStack } from '../../lib';
import { checkProviderSchema, checkTerraformTemplates, loadOpenstackProviderSchema } from '../../lib/testing';
import { buildAllStacks } from '../../stacks/all';
import { checkHostFile } from '../support/config-checks';

const schema = loadOpenstackProviderSchema();
const stacks: HostingStack[] = buildAllStacks(Testing.app());

describe.each(stacks.map((s) => [s.node.id, s] as const))('stack %s', (_id, stack) => {
  const terraform = stack.toTerraform();
  const files = stack.renderHostFiles();

  test('matches the snapshot of its Terraform and every rendered config', () => {
    expect(terraform).toMatchSnapshot('terraform');
    expect(Object.fromEntries(files.map((f) => [`${f.host}:${f.path}`, f.content]))).toMatchSnapshot('configs');
  });

  test('conforms to the OpenStack provider schema', () => {
    expect(checkProviderSchema(terraform, schema)).toEqual([]);
  });

  test('has only Terraform expressions that are escaped or reference what the stack declares', () => {
    expect(checkTerraformTemplates(terraform)).toEqual([]);
  });

  test('names every output stably: snake_case, no cdktf hash suffix', () => {
    const names = Object.keys((terraform as { output?: Record<string, unknown> }).output ?? {});
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(name).not.toMatch(/_[0-9a-f]{8}$/i);
    }
  });

  test('passes every validation', () => {
    expect(stack.node.findAll().flatMap((c) => c.node.validate())).toEqual([]);
  });

  test.each(files.filter((f) => f.syntax !== undefined).map((f) => [`${f.host}:${f.path}`, f] as const))(
    'config %s passes its daemon check',
    (_name, file) => {
      const result = checkHostFile(file)!;
      expect(result.output).toBe(result.ok ? result.output : '(check passes)');
      expect(result.ok).toBe(true);
    },
  );
});

test('POPGOM outputs its public address: the LVS floating IP, as balancer_public_address', () => {
  const popgom = stacks.find((s) => s.node.id === 'popgom')!;
  const output = (popgom.toTerraform() as { output: Record<string, { value: string }> }).output.balancer_public_address;
  expect(output.value).toMatch(/^\$\{openstack_networking_floatingip_v2\.Balancer_FloatingIp_[0-9A-F]+\.address\}$/);
});
