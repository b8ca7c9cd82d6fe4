import { Testing } from 'cdktf';
import { Flavor } from '../../lib/compute/flavor';
import { ServerCluster } from '../../lib/compute/server-cluster';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { NfsBackend, SharedFiles, SharedFilesProps } from '../../lib/storage/shared-files';
import { checkProviderSchema, loadOpenstackProviderSchema } from '../../lib/validation/provider-schema-check';
import { checkTerraformTemplates } from '../../lib/validation/terraform-template-check';
import { checkHostFile } from '../support/config-checks';
import { TrafficSourceKind } from '../../lib/core/connections';

function setup() {
  const stack = new HostingStack(Testing.app(), 'test');
  const data = new PrivateVSwitch(stack, 'Data', { cidr: '10.0.4.0/24' });
  const front = new PrivateVSwitch(stack, 'Front', { cidr: '10.0.2.0/24' });
  const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.3.0/24' });
  const web = new ServerCluster(stack, 'Web', { vswitch: front, count: 2, flavor: Flavor.named('b3-8') });
  const content = new ServerCluster(stack, 'Content', { vswitch: dmz, count: 1, flavor: Flavor.named('b3-8') });
  return { stack, data, front, dmz, web, content };
}

function synth(stack: HostingStack): Record<string, any> {
  return JSON.parse(Testing.synth(stack));
}

function fileOf(stack: HostingStack, host: string, path: string) {
  const f = stack.renderHostFiles().find((x) => x.host === host && x.path === path);
  if (!f) throw new Error(`no ${path} on ${host}`);
  return f;
}

describe('SharedFiles (MANILA)', () => {
  test('given a size and a vSwitch, then an NFS share of the OVHcloud type on a share network the stack creates', () => {
    // Given
    const { stack, front } = setup();
    // When
    const media = new SharedFiles(stack, 'Media', { sizeGb: 100, vswitch: front });
    const json = synth(stack);
    // Then
    expect(media.backend).toBe(NfsBackend.MANILA);
    expect(media.shareName).toBe('media');
    const share = Object.values(json.resource.openstack_sharedfilesystem_share_v2) as Record<string, unknown>[];
    expect(share).toHaveLength(1);
    expect(share[0]).toMatchObject({
      name: 'test-media', share_proto: 'NFS', size: 100, share_type: 'standard-1az',
      share_network_id: `\${openstack_sharedfilesystem_sharenetwork_v2.${stack.getLogicalId(media.shareNetwork!)}.id}`,
    });
    expect(Object.keys(json.variable ?? {}).filter((v) => v.includes('share'))).toEqual([]);
  });

  test('given a vSwitch, then the share network is on its network and subnet', () => {
    // Given
    const { stack, front } = setup();
    // When
    const media = new SharedFiles(stack, 'Media', { sizeGb: 100, vswitch: front });
    const json = synth(stack);
    // Then
    const networks = Object.values(json.resource.openstack_sharedfilesystem_sharenetwork_v2) as Record<string, unknown>[];
    expect(networks).toEqual([{
      name: 'test-media',
      description: 'hosting-stacks: test/Media on test/Front',
      neutron_net_id: `\${openstack_networking_network_v2.${stack.getLogicalId(front.network)}.id}`,
      neutron_subnet_id: `\${openstack_networking_subnet_v2.${stack.getLogicalId(front.subnet)}.id}`,
    }]);
    expect(media.vswitch).toBe(front);
  });

  test('given a share type, then it is used', () => {
    const { stack, front } = setup();
    new SharedFiles(stack, 'Media', { sizeGb: 50, vswitch: front, shareType: 'standard-3az' });
    const share = Object.values(synth(stack).resource.openstack_sharedfilesystem_share_v2)[0] as Record<string, unknown>;
    expect(share).toMatchObject({ share_type: 'standard-3az' });
  });

  test('when clients are allowed, then one rw ip access rule per network, none twice', () => {
    const { stack, front, dmz, web, content } = setup();
    const media = new SharedFiles(stack, 'Media', { sizeGb: 100, vswitch: front });
    media.allowClient(web, front.cidr);
    media.allowClient(content, dmz.cidr);
    media.allowClient(web, front.cidr);
    const json = synth(stack);
    const shareId = `\${openstack_sharedfilesystem_share_v2.${stack.getLogicalId(media.share!)}.id}`;
    const access = Object.values(json.resource.openstack_sharedfilesystem_share_access_v2) as Record<string, unknown>[];
    expect(access.map((a) => a.access_to).sort()).toEqual(['10.0.2.0/24', '10.0.3.0/24']);
    for (const a of access) expect(a).toMatchObject({ share_id: shareId, access_type: 'ip', access_level: 'rw' });
    expect(media.clientCidrs).toEqual(['10.0.2.0/24', '10.0.3.0/24']);
  });

  test('when mounted, then each host gets nfs-common and escaped .mount/.automount units naming the export location', () => {
    const { stack, front, web } = setup();
    const media = new SharedFiles(stack, 'Media', { sizeGb: 100, vswitch: front });
    media.allowClient(web, front.cidr);
    for (const h of web.instances) media.mountOn(h, '/var/www/magento/media');
    const host = web.instances[0];
    expect(host.cloudConfig.packages).toContain('nfs-common');
    expect(host.cloudConfig.services).toContain('var-www-magento-media.automount');
    const mount = fileOf(stack, host.hostname, '/etc/systemd/system/var-www-magento-media.mount');
    expect(mount.content).toMatch(new RegExp(`^What=\\$\\{openstack_sharedfilesystem_share_v2\\.${stack.getLogicalId(media.share!)}\\.export_locations\\[0\\]\\.path\\}$`, 'm'));
    expect(mount.content).toMatch(/^Options=_netdev,nofail,hard,noatime,vers=4\.2$/m);
    for (const path of ['/etc/systemd/system/var-www-magento-media.mount', '/etc/systemd/system/var-www-magento-media.automount']) {
      const r = checkHostFile(fileOf(stack, host.hostname, path))!;
      expect(r.output).toBe('');
      expect(r.ok).toBe(true);
    }
  });

  test('when synthesized, then it conforms to the provider schema and every Terraform template is valid', () => {
    const { stack, front, web } = setup();
    const media = new SharedFiles(stack, 'Media', { sizeGb: 100, vswitch: front });
    media.allowClient(web, front.cidr);
    media.mountOn(web.instances[0], '/var/www/magento/media');
    const json = synth(stack);
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
  });
});

describe('SharedFiles (NFS_SERVER_VM)', () => {
  function vm() {
    const s = setup();
    const media = new SharedFiles(s.stack, 'Media', { backend: NfsBackend.NFS_SERVER_VM, sizeGb: 200, vswitch: s.data, flavor: Flavor.named('b3-8') });
    return { ...s, media };
  }

  test('given the VM backend, then one stateful server with the share size on its boot volume and no Manila resource', () => {
    const { stack, media } = vm();
    expect(media.server!.instances).toHaveLength(1);
    expect(media.server!.stateful).toBe(true);
    expect(media.server!.bootVolumeGb).toBe(210);
    expect(media.exportPath).toBe('/srv/nfs/media');
    expect(media.remotePath).toBe(`${media.server!.instances[0].address}:/srv/nfs/media`);
    expect(synth(stack).resource.openstack_sharedfilesystem_share_v2).toBeUndefined();
  });

  test('when clients are allowed, then /etc/exports lists exactly their networks and nfs-kernel-server accepts it', () => {
    const { stack, media, front, dmz, web, content } = vm();
    media.allowClient(web, front.cidr);
    media.allowClient(content, dmz.cidr);
    media.allowClient(web, front.cidr);
    const file = fileOf(stack, 'media-1', '/etc/exports');
    const lines = file.content.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines).toHaveLength(1);
    const [path, ...clients] = lines[0].split(' ');
    expect(path).toBe('/srv/nfs/media');
    expect(clients.map((c) => c.replace(/\(.*$/, ''))).toEqual(['10.0.2.0/24', '10.0.3.0/24']);
    for (const c of clients) expect(c).toMatch(/\(rw,sync,no_subtree_check,root_squash\)$/);
    const r = checkHostFile(file)!;
    expect(r.ok).toBe(true);
  });

  test('when clients are allowed, then the security group opens TCP 2049 to their groups only', () => {
    const { stack, media, front, dmz, web, content } = vm();
    media.allowClient(web, front.cidr);
    media.allowClient(content, dmz.cidr);
    const rules = media.server!.connections.ingressRules;
    expect(rules.map((r) => r.port.label)).toEqual(['tcp-2049', 'tcp-2049']);
    expect(rules.map((r) => (r.source.kind === TrafficSourceKind.GROUP ? r.source.connections : undefined))).toEqual([web.connections, content.connections]);
    const json = synth(stack);
    const sg = `\${openstack_networking_secgroup_v2.${stack.getLogicalId(media.server!.connections.securityGroup)}.id}`;
    const nfsRules = (Object.values(json.resource.openstack_networking_secgroup_rule_v2) as Record<string, unknown>[]).filter((r) => r.security_group_id === sg);
    expect(nfsRules).toHaveLength(2);
    for (const r of nfsRules) {
      expect(r).toMatchObject({ protocol: 'tcp', port_range_min: 2049, port_range_max: 2049, remote_group_id: expect.stringMatching(/^\$\{openstack_networking_secgroup_v2\./) });
      expect(r.remote_ip_prefix).toBeUndefined();
    }
  });

  test('when built, then the server runs NFSv4 only with rpcbind and statd masked', () => {
    const { media } = vm();
    const cc = media.server!.instances[0].cloudConfig;
    expect(cc.packages).toEqual(['nfs-kernel-server', 'nftables']);
    expect(cc.services).toEqual(['hosting-stacks-metadata-guard.service', 'nfs-server']);
    expect(cc.hostFiles.find((f) => f.path === '/etc/nfs.conf.d/hosting-stacks.conf')!.content).toMatch(/^vers3=n$/m);
    const runcmd = cc.render();
    expect(runcmd).toContain('- - systemctl\n    - mask\n    - --now\n    - rpcbind.service\n    - rpcbind.socket\n    - rpc-statd.service');
    expect(runcmd).toContain('- - install\n    - -d\n    - -o\n    - www-data\n    - -g\n    - www-data\n    - -m\n    - "2775"\n    - /srv/nfs/media');
  });

  test('when a client mounts it, then What= is the server address and export path', () => {
    const { stack, media, front, web } = vm();
    media.allowClient(web, front.cidr);
    media.mountOn(web.instances[1], '/var/www/magento/media');
    const mount = fileOf(stack, 'web-2', '/etc/systemd/system/var-www-magento-media.mount');
    expect(mount.content).toMatch(new RegExp(`^What=${media.server!.instances[0].address.replace(/\./g, '\\.')}:/srv/nfs/media$`, 'm'));
    const json = synth(stack);
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
  });

  test('given no client, then validation reports it', () => {
    const { media } = vm();
    expect(media.node.validate()).toEqual([expect.stringMatching(/^test\/Media: 'clients' \(\[\]\) must hold at least one network; call allowClient\(client, cidr\)/)]);
  });
});

describe('SharedFiles errors', () => {
  test.each([
    ['sizeGb 0', { sizeGb: 0 }, /'sizeGb' \(0\) must be an integer from 1 to 16384/],
    ['a bad share name', { sizeGb: 1, shareName: 'Media Files' }, /'shareName' \('Media Files'\) must be lower-case/],
    ['a flavor with MANILA', { sizeGb: 1, flavor: Flavor.named('b3-8') }, /'flavor' \('NamedFlavor'\) applies only to the NFS_SERVER_VM backend/],
  ])('given %s, then it throws', (_name, props, message) => {
    const { stack, data } = setup();
    expect(() => new SharedFiles(stack, 'Media', { vswitch: data, ...props })).toThrow(message);
  });

  test.each([NfsBackend.MANILA, NfsBackend.NFS_SERVER_VM])('given the %s backend without a vswitch, then it throws naming the prop', (backend) => {
    const { stack } = setup();
    const props = { sizeGb: 1, backend, flavor: backend === NfsBackend.NFS_SERVER_VM ? Flavor.named('b3-8') : undefined } as unknown as SharedFilesProps;
    expect(() => new SharedFiles(stack, 'Media', props)).toThrow(/^test\/Media: 'vswitch' \(undefined\) must be a PrivateVSwitch/);
  });

  test('given NFS_SERVER_VM without a flavor or with a share type, then it throws', () => {
    const { stack, data } = setup();
    expect(() => new SharedFiles(stack, 'A', { sizeGb: 1, backend: NfsBackend.NFS_SERVER_VM, vswitch: data })).toThrow(/'flavor' \(undefined\) is required for the NFS_SERVER_VM backend/);
    expect(() => new SharedFiles(stack, 'B', { sizeGb: 1, backend: NfsBackend.NFS_SERVER_VM, vswitch: data, flavor: Flavor.named('b3-8'), shareType: 'x' }))
      .toThrow(/'shareType' \('x'\) applies only to the MANILA backend/);
  });

  test.each([
    ['10.0.2.1/24', /'cidr' \('10\.0\.2\.1\/24'\) must be an IPv4 CIDR with no host bits set/],
    ['0.0.0.0/0', /'cidr' \('0\.0\.0\.0\/0'\) is the whole internet/],
  ])('given the client network %s, then allowClient throws', (cidr, message) => {
    const { stack, web, front } = setup();
    const media = new SharedFiles(stack, 'Media', { sizeGb: 1, vswitch: front });
    expect(() => media.allowClient(web, cidr)).toThrow(message);
  });

  test.each(['/', 'var/www', '/var/www/', '/var//www', '/var/../etc'])('given the mount point %s, then mountOn throws', (mountPoint) => {
    const { stack, web, front } = setup();
    const media = new SharedFiles(stack, 'Media', { sizeGb: 1, vswitch: front });
    expect(() => media.mountOn(web.instances[0], mountPoint)).toThrow(/'mountPoint' .* must be an absolute path other than '\/'/);
  });
});
