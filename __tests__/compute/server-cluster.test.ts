import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { AppTier, Flavor, MachineImage, PrivateVSwitch, ServerCluster, ServerGroupPolicy, WebTier } from '../../lib';
import { resolveCounts } from '../../lib/compute/server-cluster';
import { checkProviderSchema, checkTerraformTemplates, loadOpenstackProviderSchema } from '../../lib/testing';
import { resourcesOf, synthJson, testStack } from '../support/synth';

function cluster(props: Partial<ConstructorParameters<typeof ServerCluster>[2]> = {}) {
  const stack = testStack();
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  const c = new ServerCluster(stack, 'AppServers', { vswitch, count: 2, flavor: Flavor.named('b3-8'), ...props });
  return { stack, vswitch, c };
}

describe('ServerCluster', () => {
  test('given count 2, when synthesized, then two instances share an anti-affinity server group', () => {
    const { stack } = cluster();
    const json = synthJson(stack);
    const groups = resourcesOf(json, 'openstack_compute_servergroup_v2');
    expect(groups).toHaveLength(1);
    expect(groups[0].policies).toEqual(['anti-affinity']);
    const servers = resourcesOf(json, 'openstack_compute_instance_v2');
    expect(servers).toHaveLength(2);
    for (const s of servers) {
      expect(s.scheduler_hints[0].group).toMatch(/openstack_compute_servergroup_v2\..*\.id/);
      expect(s.flavor_name).toBe('b3-8');
      expect(s.key_pair).toMatch(/openstack_compute_keypair_v2\..*\.name/);
      expect(s.block_device[0]).toMatchObject({ source_type: 'volume', destination_type: 'volume', boot_index: 0, delete_on_termination: false });
    }
    expect(servers.map((s) => s.name)).toEqual(['app-servers-1', 'app-servers-2']);
  });

  test('metadata added to an instance is updated in place; only the config digest is ignored, and a key is set once', () => {
    const { stack, c } = cluster();
    c.instances[0].addMetadata('hosting-stacks:count:web', '3');
    const server = resourcesOf(synthJson(stack), 'openstack_compute_instance_v2')[0];
    expect(server.metadata).toEqual({ 'hosting-stacks:path': 'test/AppServers/Instance1', 'hosting-stacks:config': expect.stringMatching(/^[0-9a-f]{64}$/), 'hosting-stacks:count:web': '3' });
    expect(server.lifecycle.ignore_changes).toEqual(['user_data', 'metadata["hosting-stacks:config"]']);
    expect(() => c.instances[0].addMetadata('hosting-stacks:count:web', '4')).toThrow(
      "test/AppServers/Instance1: 'metadata' ('hosting-stacks:count:web') is already set on this server",
    );
    expect(() => c.instances[0].addMetadata('hosting-stacks:config', 'x')).toThrow(/'metadata' \('hosting-stacks:config'\) is already set/);
    expect(() => c.instances[1].addMetadata('bad key', 'x')).toThrow("test/AppServers/Instance2: 'metadata' ('bad key') must be 1 to 255 letters");
  });

  test('boot volumes come from the image lookup with the sizing disk', () => {
    const { stack } = cluster({ flavor: Flavor.fromSizing({ vcpus: 2, ramGb: 8, diskGb: 30 }) });
    const json = synthJson(stack);
    const vols = resourcesOf(json, 'openstack_blockstorage_volume_v3');
    expect(vols.map((v) => v.size)).toEqual([30, 30]);
    expect(vols[0].image_id).toMatch(/data\.openstack_images_image_v2\..*\.id/);
    expect(Object.values(json.data.openstack_images_image_v2)[0]).toMatchObject({ name: 'Debian 12', most_recent: true });
  });

  test('ports get planned fixed addresses and the cluster security group', () => {
    const { stack, c } = cluster();
    expect(c.addresses).toEqual(['10.0.1.2', '10.0.1.3']);
    expect(c.connections.addresses).toEqual(['10.0.1.2', '10.0.1.3']);
    const ports = resourcesOf(synthJson(stack), 'openstack_networking_port_v2');
    expect(ports.map((p) => p.fixed_ip[0].ip_address)).toEqual(['10.0.1.2', '10.0.1.3']);
    expect(ports[0].security_group_ids[0]).toMatch(/AppServers_Connections/);
  });

  test('allowed address pairs added after creation reach the port', () => {
    const { stack, c } = cluster();
    c.instances[0].port.addAllowedAddressPair('10.0.1.50');
    const ports = resourcesOf(synthJson(stack), 'openstack_networking_port_v2');
    expect(ports[0].allowed_address_pairs).toEqual([{ ip_address: '10.0.1.50' }]);
    expect(ports[1].allowed_address_pairs).toBeUndefined();
  });

  test('user data is the rendered cloud-config of the host', () => {
    const { stack, c } = cluster({ count: 1 });
    c.instances[0].cloudConfig.addFile({ path: '/etc/motd', content: 'hello\n' });
    const server = resourcesOf(synthJson(stack), 'openstack_compute_instance_v2')[0];
    const doc = parse(server.user_data);
    expect(doc.hostname).toBe('app-servers-1');
    expect(doc.write_files.map((f: { path: string }) => f.path)).toEqual([
      '/etc/hosting-stacks/metadata-guard.nft', '/etc/motd', '/etc/systemd/system/hosting-stacks-metadata-guard.service',
    ]);
    expect(doc.write_files[1]).toMatchObject({ path: '/etc/motd', content: 'hello\n' });
  });

  test('honours placement, explicit addresses, hostname prefix and image', () => {
    const { stack, c } = cluster({ placement: ServerGroupPolicy.SOFT_ANTI_AFFINITY, addresses: ['10.0.1.20', '10.0.1.21'], hostnamePrefix: 'tomcat', image: MachineImage.debianNamed('Debian 13') });
    expect(c.addresses).toEqual(['10.0.1.20', '10.0.1.21']);
    expect(c.instances.map((i) => i.hostname)).toEqual(['tomcat-1', 'tomcat-2']);
    const json = synthJson(stack);
    expect(resourcesOf(json, 'openstack_compute_servergroup_v2')[0].policies).toEqual(['soft-anti-affinity']);
    expect(Object.values(json.data.openstack_images_image_v2)[0]).toMatchObject({ name: 'Debian 13' });
  });

  test('the stack key pair comes from the ssh_public_key variable', () => {
    const { stack } = cluster();
    const json = synthJson(stack);
    expect(json.variable.ssh_public_key).toMatchObject({ type: 'string' });
    expect(resourcesOf(json, 'openstack_compute_keypair_v2')[0].public_key).toBe('${var.ssh_public_key}');
  });

  test('given minCount < maxCount, then a validated count variable decides which planned instances exist', () => {
    const { stack, c } = cluster({ count: 2, minCount: 1, maxCount: 4 });
    expect(c.instances).toHaveLength(4);
    expect(c.addresses).toEqual(['10.0.1.2', '10.0.1.3', '10.0.1.4', '10.0.1.5']);
    expect(c.instances.map((i) => i.conditional)).toEqual([false, true, true, true]);
    const json = synthJson(stack);
    expect(json.variable.app_servers_count).toEqual({
      type: 'number',
      default: 2,
      nullable: false,
      description: 'Instances of test/AppServers (1 to 4); campaigns and the scaling hook set it',
      validation: [{ condition: '${var.app_servers_count >= 1 && var.app_servers_count <= 4 && floor(var.app_servers_count) == var.app_servers_count}', error_message: 'app_servers_count must be a whole number from 1 to 4.' }],
    });
    const servers = resourcesOf(json, 'openstack_compute_instance_v2');
    expect(servers.map((s) => s.count)).toEqual([undefined, '${var.app_servers_count > 1 ? 1 : 0}', '${var.app_servers_count > 2 ? 1 : 0}', '${var.app_servers_count > 3 ? 1 : 0}']);
    expect(servers[1].network[0].port).toMatch(/^\$\{openstack_networking_port_v2\.AppServers_Instance2_Port_[0-9A-F]+\[0\]\.id\}$/);
    expect(servers[1].block_device[0].uuid).toMatch(/^\$\{openstack_blockstorage_volume_v3\.AppServers_Instance2_BootVolume_[0-9A-F]+\[0\]\.id\}$/);
    expect(resourcesOf(json, 'openstack_networking_port_v2').map((p) => p.count)).toEqual(servers.map((s) => s.count));
    expect(checkTerraformTemplates(json)).toEqual([]);
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
  });

  test('given a fixed count, then there is no count variable and no conditional instance', () => {
    const { stack, c } = cluster();
    expect(c.countVariable).toBeUndefined();
    expect(synthJson(stack).variable.app_servers_count).toBeUndefined();
  });

  describe('errors', () => {
    test('rejects minCount above count', () => {
      expect(() => cluster({ count: 2, minCount: 3, maxCount: 4 })).toThrow(/test\/AppServers: 'minCount' \(3\) must not exceed 'count' \(2\)/);
    });
    test('rejects count above maxCount', () => {
      expect(() => cluster({ count: 5, maxCount: 4 })).toThrow(/test\/AppServers: 'count' \(5\) must not exceed 'maxCount' \(4\)/);
    });
    test('the tiers check their counts with the cluster\'s one rule, naming the tier', () => {
      const stack = testStack();
      const net = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
      expect(resolveCounts(stack, { count: 2 })).toEqual({ count: 2, minCount: 2, maxCount: 2 });
      expect(() => resolveCounts(stack, { count: 1001 })).toThrow(/^test: 'count' \(1001\) must be an integer from 1 to 1000$/);
      const app = new AppTier(stack, 'App', { vswitch: net, count: 2, flavor: Flavor.named('b3-8') });
      expect(() => new WebTier(stack, 'Web', { vswitch: net, count: 3, minCount: 4, maxCount: 6, flavor: Flavor.named('b3-8'), upstream: app }))
        .toThrow(/^test\/Web: 'minCount' \(4\) must not exceed 'count' \(3\)$/);
      expect(() => new AppTier(stack, 'App2', { vswitch: net, count: 3, maxCount: 2, flavor: Flavor.named('b3-8') }))
        .toThrow(/^test\/App2: 'count' \(3\) must not exceed 'maxCount' \(2\)$/);
    });
    test('rejects a count variable name that is not snake_case', () => {
      expect(() => cluster({ count: 1, maxCount: 2, countVariableName: 'Web-Count' })).toThrow(/test\/AppServers: 'countVariableName' \('Web-Count'\) must be snake_case/);
    });
    test.each([0, -2, 1.5, 1001])('rejects count %p', (count) => {
      expect(() => cluster({ count })).toThrow(/test\/AppServers: 'count' \(.*\) must be an integer from 1 to 1000/);
    });
    test('rejects a bad hostname prefix', () => {
      expect(() => cluster({ hostnamePrefix: 'Web_1' })).toThrow(/test\/AppServers: 'hostnamePrefix' \('Web_1'\) must be lower-case letters/);
    });
    test('rejects a wrong number of explicit addresses', () => {
      expect(() => cluster({ addresses: ['10.0.1.20'] })).toThrow(/test\/AppServers: 'addresses' \(\["10\.0\.1\.20"\]\) must give exactly one address per instance \(2\)/);
    });
    test('rejects a bad boot volume size', () => {
      expect(() => cluster({ bootVolumeGb: 0 })).toThrow(/test\/AppServers: 'bootVolumeGb' \(0\) must be an integer from 1 to 16384/);
    });
    test('reports user data over Nova\'s limit at synth', () => {
      const { stack, c } = cluster({ count: 1 });
      let noise = '';
      for (let i = 0; noise.length < 200000; i++) noise += require('node:crypto').createHash('sha256').update(String(i)).digest('hex');
      c.instances[0].cloudConfig.addFile({ path: '/srv/noise', content: noise });
      expect(() => Testing.synth(stack, true)).toThrow(/test\/AppServers\/Instance1: 'user_data' \(\d+\) is the base64 length of app-servers-1's cloud-config even with compressed files; Nova allows at most 65535/);
    });
  });
});
