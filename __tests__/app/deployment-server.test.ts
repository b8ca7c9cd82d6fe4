import { Testing } from 'cdktf';
import { Connections } from '../../lib';
import { checkProviderSchema, checkTerraformTemplates, loadOpenstackProviderSchema } from '../../lib/testing';
import { BackOffice } from '../../lib/app/back-office';
import { DEPLOY_AUTHORIZED_KEY_STAGING_PATH, DEPLOY_KEY_STAGING_PATH, DEPLOY_TARGETS_PATH, DeploymentServer, DeploymentServerProps } from '../../lib/app/deployment-server';
import { Flavor } from '../../lib/compute/flavor';
import { ServerCluster } from '../../lib/compute/server-cluster';
import { parse } from 'yaml';
import { VpnKind } from '../../lib/vpn/office-vpn';
import { COUNTED_TARGETS_PATHS } from '../../lib/compute/counted-targets';
import { checkHostFile } from '../support/config-checks';
import { resourcesOf, synthJson, tierOf } from '../support/synth';
import { FakeDatabase, frontEnds, OFFICE_CIDRS, officeStack } from './office-fixtures';
import { TrafficSource, TrafficSourceKind } from '../../lib/core/connections';

function deployment(props: Partial<DeploymentServerProps> = {}, kind = VpnKind.WIREGUARD) {
  const env = officeStack(kind);
  const server = new DeploymentServer(env.stack, 'Deploy', { vswitch: env.back, vpn: env.vpn, ...props });
  return { ...env, server };
}

describe('DeploymentServer', () => {
  test('given the defaults, when built, then one VM has git, rsync and the SSH client, and a deploy user', () => {
    const { server } = deployment();
    expect(server.cluster.instances).toHaveLength(1);
    expect(server.deployUser).toBe('deploy');
    const cc = server.cluster.instances[0].cloudConfig;
    expect(cc.packages).toEqual(expect.arrayContaining(['git', 'rsync', 'openssh-client']));
    const yaml = cc.render();
    expect(yaml).toContain('- useradd\n    - --create-home\n    - --shell\n    - /bin/bash\n    - deploy');
  });

  test('given front-end tiers, when added as targets, then each lets the server in on TCP 22 and nothing else', () => {
    const { stack, front, server } = deployment();
    const tier = frontEnds(stack, front);
    const rule = server.addTarget(tier);
    expect(server.addTarget(tier)).toBe(rule);
    expect(tier.connections.ingressRules.map((r) => [r.port.label, r.source])).toEqual([['tcp-22', TrafficSource.group(server.connections)]]);
    expect(server.targets).toEqual([tier]);
    const json = synthJson(stack);
    const deploySg = Object.keys(json.resource.openstack_networking_secgroup_v2).find((k) => k.startsWith('Deploy_Server_Connections'));
    const fromDeploy = resourcesOf(json, 'openstack_networking_secgroup_rule_v2').filter((r) => r.remote_group_id === `\${openstack_networking_secgroup_v2.${deploySg}.id}`);
    expect(fromDeploy.map((r) => [r.protocol, r.port_range_min, r.port_range_max])).toEqual([['tcp', 22, 22]]);
  });

  test('given the VPN, when built, then its only inbound rule is SSH from the VPN gateway', () => {
    const { server, vpn } = deployment();
    expect(server.connections.ingressRules.map((r) => [r.port.label, r.source])).toEqual([['tcp-22', TrafficSource.group(vpn.connections!)]]);
  });

  test('given admin CIDRs and an IPsec VPN, when built, then SSH is open from the offices and those CIDRs only', () => {
    const { server } = deployment({ adminCidrs: ['203.0.113.0/28'] }, VpnKind.IPSEC_VPNAAS);
    expect(server.connections.ingressRules.map((r) => [r.port.label, r.source.kind === TrafficSourceKind.CIDR ? r.source.cidr : r.source.kind]))
      .toEqual([['tcp-22', OFFICE_CIDRS[0]], ['tcp-22', OFFICE_CIDRS[1]], ['tcp-22', '203.0.113.0/28']]);
  });

  test('given a stack with back-office, database and front-ends, when built, then no construct but the targets lets the server in', () => {
    const { stack, back, front, vpn, server } = deployment();
    const database = new FakeDatabase(stack, 'Db', back);
    new BackOffice(stack, 'BackOffice', { vswitch: back, vpn, database });
    const tier = frontEnds(stack, front);
    server.addTarget(tier);
    const allowing = stack.node.findAll()
      .filter((c): c is Connections => c instanceof Connections)
      .filter((c) => c.ingressRules.some((r) => r.source.kind === TrafficSourceKind.GROUP && r.source.connections === server.connections))
      .map((c) => c.owner.node.path);
    expect(allowing).toEqual(['test/Front']);
  });

  test('given a deploy key, when rendered, then it travels base64 from the sensitive variable and is decoded 0600 for the deploy user', () => {
    const { stack, server } = deployment();
    const file = stack.renderHostFiles().find((f) => f.path === DEPLOY_KEY_STAGING_PATH)!;
    expect(file.content).toBe('${base64encode(var.deploy_ssh_private_key)}\n');
    const hostFile = server.cluster.instances[0].cloudConfig.hostFiles.find((f) => f.path === DEPLOY_KEY_STAGING_PATH)!;
    expect(hostFile.permissions).toBe('0600');
    const yaml = server.cluster.instances[0].cloudConfig.render();
    expect(yaml).toContain(`umask 077 && base64 -d ${DEPLOY_KEY_STAGING_PATH} > /home/deploy/.ssh/id_ed25519 && chown deploy:deploy /home/deploy/.ssh/id_ed25519 && rm -f ${DEPLOY_KEY_STAGING_PATH}`);
    const json = synthJson(stack);
    expect(json.variable.deploy_ssh_private_key).toMatchObject({ sensitive: true });
  });

  test('given deployKey false, when built, then no key variable or file exists', () => {
    const { stack, server } = deployment({ deployKey: false });
    expect(server.deployKey).toBeUndefined();
    expect(synthJson(stack).variable.deploy_ssh_private_key).toBeUndefined();
    expect(stack.renderHostFiles().some((f) => f.path === DEPLOY_KEY_STAGING_PATH)).toBe(false);
  });

  test('given targets, when rendered, then every planned server is a counted target and nftables accepts the host firewall', () => {
    const { stack, front, server } = deployment();
    server.addTarget(frontEnds(stack, front, 2));
    const files = stack.renderHostFiles().filter((f) => f.host === 'deploy-1');
    // The list of the servers that exist is written at boot and every 30 s from the counts (counted-targets.ts).
    const config = JSON.parse(files.find((f) => f.path === COUNTED_TARGETS_PATHS.config)!.content);
    expect(config.jobs).toEqual([{ file: DEPLOY_TARGETS_PATH, targets: [
      { address: '10.10.0.2', labels: { host: 'front-1', tier: 'test/Front/Tier' }, index: 0 },
      { address: '10.10.0.3', labels: { host: 'front-2', tier: 'test/Front/Tier' }, index: 1 },
    ] }]);
    const nft = files.find((f) => f.path === '/etc/nftables.conf')!;
    const r = checkHostFile(nft)!;
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
    expect(nft.content).toMatch(/ip saddr \{ 10\.20\.0\.2 \} tcp dport 22 accept/);
  });

  test('given a target, then its servers authorize the deploy key for the deploy user, from the deployment server only', () => {
    const { stack, front, server } = deployment();
    const tier = frontEnds(stack, front, 2);
    server.addTarget(tier);
    const json = synthJson(stack);
    expect(json.variable.deploy_ssh_public_key).toMatchObject({ type: 'string', nullable: false });
    expect(json.variable.deploy_ssh_public_key.validation[0].condition).toContain('var.deploy_ssh_public_key');
    const cc = tier.cluster.instances[1].cloudConfig;
    expect(cc.hostFiles.find((f) => f.path === DEPLOY_AUTHORIZED_KEY_STAGING_PATH)!.permissions).toBe('0600');
    const key = stack.renderHostFiles().find((f) => f.host === 'front-2' && f.path === DEPLOY_AUTHORIZED_KEY_STAGING_PATH)!;
    expect(key.content).toBe(`from="${server.cluster.instances[0].address}",no-agent-forwarding,no-port-forwarding,no-X11-forwarding,no-pty \${var.deploy_ssh_public_key}\n`);
    const runcmd = (parse(cc.render()) as { runcmd: unknown[] }).runcmd;
    expect(runcmd).toEqual(expect.arrayContaining([
      ['sh', '-c', 'id -u deploy >/dev/null 2>&1 || useradd --create-home --shell /bin/bash deploy'],
      ['install', '-m', '0600', '-o', 'deploy', '-g', 'deploy', DEPLOY_AUTHORIZED_KEY_STAGING_PATH, '/home/deploy/.ssh/authorized_keys'],
    ]));
    expect(cc.packages).toContain('rsync');
    // Without a recipe, no directory, sudoers or recipe.
    expect(cc.hostFiles.some((f) => f.path.startsWith('/etc/sudoers.d/'))).toBe(false);
    expect(JSON.parse(server.renderRecipes())).toEqual({});
    // The deployment server follows the tier's count (none here: a fixed-size tier adds no metadata).
    expect(Object.keys(resourcesOf(json, 'openstack_compute_instance_v2').find((i) => i.name === 'deploy-1')!.metadata).sort()).toEqual(['hosting-stacks:config', 'hosting-stacks:path']);
  });

  test('given a scalable target, then the deployment server follows its count through metadata', () => {
    const { stack, front, server } = deployment();
    const cluster = new ServerCluster(stack, 'Scaled', { vswitch: front, count: 2, maxCount: 4, flavor: Flavor.named('b3-8') });
    server.addTarget(tierOf(cluster), { directory: '/srv/app' });
    const deploy = resourcesOf(synthJson(stack), 'openstack_compute_instance_v2').find((i) => i.name === 'deploy-1')!;
    expect(deploy.metadata['hosting-stacks:count:scaled_count']).toBe('${var.scaled_count}');
    const config = JSON.parse(server.cluster.instances[0].cloudConfig.hostFiles.find((f) => f.path === COUNTED_TARGETS_PATHS.config)!.content);
    expect(config.jobs[0].targets.map((t: { countVariable: string; index: number }) => [t.countVariable, t.index])).toEqual([['scaled_count', 0], ['scaled_count', 1], ['scaled_count', 2], ['scaled_count', 3]]);
  });

  test('given bad recipes, when added, then it throws naming the prop and value', () => {
    const { stack, front, server } = deployment();
    const tier = frontEnds(stack, front);
    expect(() => server.addTarget(tier, { directory: 'var/www' })).toThrow("test/Deploy: 'recipe.directory' ('var/www') must be an absolute path");
    expect(() => server.addTarget(tier, { directory: '/var/www/../etc' })).toThrow("'recipe.directory' ('/var/www/../etc') must be an absolute path");
    expect(() => server.addTarget(tier, { directory: '/srv/app', excludes: ['/var/*'] })).toThrow("'recipe.excludes' ('/var/*') must be rsync patterns");
    expect(() => server.addTarget(tier, { directory: '/srv/app', afterSync: [['systemctl', 'reload', 'x']] })).toThrow('\'recipe.afterSync\' (["systemctl","reload","x"]) must be argv lists starting with an absolute program path');
    expect(() => server.addTarget(tier, { directory: '/srv/app', afterSync: [['/bin/sh', '-c', 'a b']] })).toThrow(/'recipe.afterSync'/);
    // Nothing half-written: no SSH rule, no target.
    expect(tier.connections.ingressRules).toEqual([]);
    expect(server.targets).toEqual([]);
    server.addTarget(tier, { directory: '/srv/app' });
    expect(() => server.addTarget(tier, { directory: '/srv/other' })).toThrow("test/Deploy: 'recipe' ('test/Front/Tier') is already given for this tier; one recipe per tier");
    const other = new ServerCluster(stack, 'Other', { vswitch: front, count: 1, flavor: Flavor.named('b3-8') });
    const late = tierOf(other);
    server.addTarget(late);
    expect(() => server.addTarget(late, { directory: '/srv/app' })).toThrow("'recipe' ('test/Other/Tier') must be given at the first addTarget of the tier");
  });

  test('given bad props or targets, when built, then it throws', () => {
    expect(() => deployment({ vpn: undefined })).toThrow(/Deploy: 'adminCidrs' \(\[\]\) must list at least one CIDR when no 'vpn' is given/);
    expect(() => deployment({ adminCidrs: ['203.0.113.1/28'] })).toThrow(/'adminCidrs' \('203.0.113.1\/28'\) must be an IPv4 CIDR with no host bits set/);
    expect(() => deployment({ adminCidrs: ['0.0.0.0/0'] })).toThrow(/'adminCidrs' \('0.0.0.0\/0'\) is the whole internet/);
    expect(() => deployment({ adminCidrs: ['203.0.113.0/28', '203.0.113.0/28'] })).toThrow(/'adminCidrs' \('203.0.113.0\/28'\) appears more than once/);
    expect(() => deployment({ deployUser: 'root' })).toThrow(/'deployUser' \('root'\) must be a Debian user name/);
    expect(() => deployment({ deployUser: 'Deploy User' })).toThrow(/'deployUser' \('Deploy User'\) must be a Debian user name/);
    const { server } = deployment();
    expect(() => server.addTarget(server)).toThrow(/'tier' \('test\/Deploy'\) is the deployment server itself/);
  });

  test.each([VpnKind.WIREGUARD, VpnKind.IPSEC_VPNAAS])('given a stack with the %s VPN, when synthesized, then it conforms to the schema and every Terraform string resolves', (kind) => {
    const { stack, front, server } = deployment({}, kind);
    server.addTarget(frontEnds(stack, front));
    const json = JSON.parse(Testing.synth(stack));
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
    expect(stack.node.findAll().flatMap((c) => c.node.validate())).toEqual([]);
  });
});
