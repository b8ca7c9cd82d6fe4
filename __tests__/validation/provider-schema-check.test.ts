import { Flavor, PrivateVSwitch, ServerCluster } from '../../lib';
import { checkProviderSchema, loadOpenstackProviderSchema } from '../../lib/testing';
import { synthJson, testStack } from '../support/synth';

const schema = loadOpenstackProviderSchema();

function validStack() {
  const stack = testStack();
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  new ServerCluster(stack, 'Web', { vswitch, count: 2, flavor: Flavor.named('c3-4') });
  return stack;
}

describe('checkProviderSchema', () => {
  test('given a stack of core constructs, then there are no violations', () => {
    expect(checkProviderSchema(synthJson(validStack()), schema)).toEqual([]);
  });

  test('catches an attribute that does not exist', () => {
    const json = synthJson(validStack());
    const [name, port] = Object.entries(json.resource.openstack_networking_port_v2)[0] as [string, any];
    port.fixed_ips = [];
    expect(checkProviderSchema(json, schema)).toEqual([{ address: `openstack_networking_port_v2.${name}`, path: 'fixed_ips', message: 'is not an argument or block of this resource' }]);
  });

  test('catches an unknown resource type', () => {
    const json = synthJson(validStack());
    json.resource.openstack_compute_instance_v3 = { x: { name: 'a' } };
    expect(checkProviderSchema(json, schema)).toContainEqual({ address: 'openstack_compute_instance_v3.x', path: '', message: "resource type 'openstack_compute_instance_v3' does not exist in the provider schema" });
  });

  test('catches a missing required attribute', () => {
    const json = synthJson(validStack());
    const [name, subnet] = Object.entries(json.resource.openstack_networking_subnet_v2)[0] as [string, any];
    delete subnet.network_id;
    expect(checkProviderSchema(json, schema)).toContainEqual({ address: `openstack_networking_subnet_v2.${name}`, path: 'network_id', message: 'is required but not set' });
  });

  test('catches a literal of the wrong type, in blocks too', () => {
    const json = synthJson(validStack());
    const [name, vol] = Object.entries(json.resource.openstack_blockstorage_volume_v3)[0] as [string, any];
    vol.size = '40';
    const [sname, server] = Object.entries(json.resource.openstack_compute_instance_v2)[0] as [string, any];
    server.block_device[0].boot_index = true;
    const v = checkProviderSchema(json, schema);
    expect(v).toContainEqual({ address: `openstack_blockstorage_volume_v3.${name}`, path: 'size', message: 'must be a number, got "40"' });
    expect(v).toContainEqual({ address: `openstack_compute_instance_v2.${sname}`, path: 'block_device[0].boot_index', message: 'must be a number, got true' });
  });

  test('catches a computed-only attribute that is set', () => {
    const json = synthJson(validStack());
    const [name, port] = Object.entries(json.resource.openstack_networking_port_v2)[0] as [string, any];
    port.all_fixed_ips = ['10.0.1.2'];
    expect(checkProviderSchema(json, schema)).toContainEqual({ address: `openstack_networking_port_v2.${name}`, path: 'all_fixed_ips', message: 'is computed by the provider and cannot be set' });
  });

  test('catches too many blocks, computed-only and unknown block fields', () => {
    const json = synthJson(validStack());
    const [name, server] = Object.entries(json.resource.openstack_compute_instance_v2)[0] as [string, any];
    server.vendor_options = [{}, {}];
    server.network[0].mac = 'x';
    server.network[0].colour = 'blue';
    const v = checkProviderSchema(json, schema);
    expect(v).toContainEqual({ address: `openstack_compute_instance_v2.${name}`, path: 'vendor_options', message: 'allows at most 1 block(s), got 2' });
    expect(v).toContainEqual({ address: `openstack_compute_instance_v2.${name}`, path: 'network[0].mac', message: 'is computed by the provider and cannot be set' });
    expect(v).toContainEqual({ address: `openstack_compute_instance_v2.${name}`, path: 'network[0].colour', message: 'is not an argument or block of this block' });
  });

  test('accepts Terraform expressions for any type and checks data sources', () => {
    const json = synthJson(validStack());
    const [, vol] = Object.entries(json.resource.openstack_blockstorage_volume_v3)[0] as [string, any];
    vol.size = '${var.size}';
    expect(checkProviderSchema(json, schema)).toEqual([]);
    const [dname, image] = Object.entries(json.data.openstack_images_image_v2)[0] as [string, any];
    image.newest = true;
    expect(checkProviderSchema(json, schema)).toEqual([{ address: `data.openstack_images_image_v2.${dname}`, path: 'newest', message: 'is not an argument or block of this resource' }]);
  });
});
