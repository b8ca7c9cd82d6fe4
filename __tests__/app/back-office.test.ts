import { Testing } from 'cdktf';
import { Flavor, Port } from '../../lib';
import { checkProviderSchema, checkTerraformTemplates, loadOpenstackProviderSchema } from '../../lib/testing';
import { BackOffice, BackOfficeProps } from '../../lib/app/back-office';
import {
  BACK_OFFICE_PATHS,
  backOfficePhpChildrenForRam,
  MAGENTO1_DENIED_PREFIXES,
  renderBackOfficeNginxConfig,
  renderBackOfficePhpFpmConfig,
} from '../../lib/app/back-office-config';
import { VpnKind } from '../../lib/vpn/office-vpn';
import { checkHostFile, nginxForCheck } from '../support/config-checks';
import { checkNginx, checkPhpFpmPool } from '../support/daemons';
import { resourcesOf, synthJson } from '../support/synth';
import { FakeDatabase, FakeNfsShare, OFFICE_CIDRS, officeStack } from './office-fixtures';
import { TrafficSource, TrafficSourceKind } from '../../lib/core/connections';

function backOffice(kind = VpnKind.WIREGUARD, props: Partial<BackOfficeProps> = {}) {
  const env = officeStack(kind);
  const office = new BackOffice(env.stack, 'BackOffice', { vswitch: env.back, vpn: env.vpn, ...props });
  return { ...env, office };
}

const NGINX_MODEL = {
  serverName: 'admin.example.com',
  listenPort: 80,
  runUser: 'www-data',
  pidFile: BACK_OFFICE_PATHS.nginxPidFile,
  logDir: BACK_OFFICE_PATHS.nginxLogDir,
  mimeTypesFile: BACK_OFFICE_PATHS.mimeTypes,
  fastcgiParamsFile: BACK_OFFICE_PATHS.fastcgiParams,
  workerConnections: 1024,
  maxUploadMb: 64,
  documentRoot: BACK_OFFICE_PATHS.documentRoot,
  deniedPrefixes: MAGENTO1_DENIED_PREFIXES,
  phpFpmSocket: BACK_OFFICE_PATHS.phpFpmSocket,
  requestTimeoutSeconds: 600,
  mageRunCode: 'admin',
  mageRunType: 'store',
};

const POOL_MODEL = {
  poolName: 'magento-admin',
  runUser: 'www-data',
  runGroup: 'www-data',
  socket: BACK_OFFICE_PATHS.phpFpmSocket,
  listenOwner: 'www-data',
  listenGroup: 'www-data',
  maxChildren: 14,
  memoryLimitMb: 512,
  requestTimeoutSeconds: 600,
  maxUploadMb: 64,
};

describe('back-office configs', () => {
  test('given a model, when nginx.conf is rendered, then it listens on its port, denies Magento internals and passes PHP to the socket', () => {
    const conf = renderBackOfficeNginxConfig(NGINX_MODEL);
    expect(conf).toMatch(/^\s*listen 80 default_server;$/m);
    expect(conf).toMatch(/^\s*root \/var\/www\/magento;$/m);
    expect(conf).toMatch(/^\s*client_max_body_size 64m;$/m);
    for (const prefix of MAGENTO1_DENIED_PREFIXES) expect(conf).toContain(`location ^~ ${prefix} {\n            deny all;`);
    expect(conf).toMatch(/^\s*fastcgi_pass unix:\/run\/php\/magento-admin\.sock;$/m);
    expect(conf).toMatch(/^\s*fastcgi_param MAGE_RUN_CODE admin;$/m);
  });

  test('given the rendered nginx.conf, when nginx checks it, then it is accepted', () => {
    const r = checkNginx(nginxForCheck(renderBackOfficeNginxConfig(NGINX_MODEL)));
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given a model, when the PHP-FPM pool is rendered, then php-fpm accepts it with its sizing', () => {
    const pool = renderBackOfficePhpFpmConfig(POOL_MODEL);
    expect(pool).toMatch(/^\[magento-admin\]$/m);
    expect(pool).toMatch(/^pm\.max_children = 14$/m);
    expect(pool).toMatch(/^php_admin_value\[memory_limit\] = 512M$/m);
    expect(pool).toMatch(/^listen = \/run\/php\/magento-admin\.sock$/m);
    const r = checkPhpFpmPool(pool);
    expect(r.ok).toBe(true);
  });

  test('given a broken pool, when php-fpm checks it, then it is refused', () => {
    expect(checkPhpFpmPool(renderBackOfficePhpFpmConfig({ ...POOL_MODEL, maxChildren: 0 })).ok).toBe(false);
  });

  test('given RAM sizes, when PHP children are counted, then 1 GB is reserved and each child has 512 MB', () => {
    expect(backOfficePhpChildrenForRam(8)).toBe(14);
    expect(backOfficePhpChildrenForRam(2)).toBe(2);
    expect(backOfficePhpChildrenForRam(1)).toBeUndefined();
  });
});

describe('BackOffice', () => {
  test('given the defaults, when built, then one stateful VM runs nginx and PHP-FPM sized from its RAM', () => {
    const { office } = backOffice();
    expect(office.cluster.instances).toHaveLength(1);
    expect(office.cluster.stateful).toBe(true);
    expect(office.listenPort).toBe(80);
    expect(office.phpChildren).toBe(Math.floor((office.cluster.flavor.ramGb * 1024 - 1024) / 512));
    const cc = office.cluster.instances[0].cloudConfig;
    expect(cc.services).toEqual(['hosting-stacks-metadata-guard.service', 'nftables', 'php8.2-fpm', 'nginx']);
    expect(cc.packages).toEqual(expect.arrayContaining(['nginx', 'php8.2-fpm', 'php8.2-mysql']));
  });

  test('given a WireGuard VPN, when built, then its only inbound rules are HTTP and SSH from the VPN gateway', () => {
    const { stack, office, vpn } = backOffice();
    expect(office.connections.ingressRules.map((r) => [r.port.label, r.source])).toEqual([
      ['tcp-80', TrafficSource.group(vpn.connections!)],
      ['tcp-22', TrafficSource.group(vpn.connections!)],
    ]);
    const json = synthJson(stack);
    const sg = `\${openstack_networking_secgroup_v2.${Object.keys(json.resource.openstack_networking_secgroup_v2).find((k) => k.startsWith('BackOffice_Server_Connections'))}.id}`;
    const rules = resourcesOf(json, 'openstack_networking_secgroup_rule_v2').filter((r) => r.security_group_id === sg);
    expect(rules).toHaveLength(2);
    for (const rule of rules) {
      expect(rule.remote_ip_prefix).toBeUndefined();
      expect(rule.remote_group_id).toMatch(/openstack_networking_secgroup_v2\.Vpn_Gateway_Connections_[A-Z0-9]+\.id/);
    }
  });

  test('given an IPsec VPN, when built, then its only inbound rules are HTTP and SSH from the office CIDRs', () => {
    const { office } = backOffice(VpnKind.IPSEC_VPNAAS);
    const sources = office.connections.ingressRules.map((r) => [r.port.label, r.source.kind === TrafficSourceKind.CIDR ? r.source.cidr : r.source.kind]);
    expect(sources).toEqual([['tcp-80', OFFICE_CIDRS[0]], ['tcp-80', OFFICE_CIDRS[1]], ['tcp-22', OFFICE_CIDRS[0]], ['tcp-22', OFFICE_CIDRS[1]]]);
    expect(office.connections.allows(Port.tcpRange(1, 65535), (s) => s.kind === TrafficSourceKind.INTERNET)).toBe(false);
  });

  test('given a database and a media share, when built, then the database lets it in and the share is opened and mounted', () => {
    const env = officeStack();
    const database = new FakeDatabase(env.stack, 'Db', env.back);
    const media = new FakeNfsShare();
    const office = new BackOffice(env.stack, 'BackOffice', { vswitch: env.back, vpn: env.vpn, database, media });
    expect(database.connections.ingressRules.map((r) => [r.port.label, r.source])).toEqual([['tcp-3306', TrafficSource.group(office.connections)]]);
    expect(media.clients).toEqual([{ client: office, cidr: '10.20.0.0/24' }]);
    expect(media.mounts).toEqual([{ host: office.cluster.instances[0], mountPoint: '/var/www/magento/media' }]);
  });

  test('given the VM, when its configs are rendered, then nginx, PHP-FPM and nftables accept them and nftables lets only the gateway in', () => {
    const { stack } = backOffice();
    const files = stack.renderHostFiles().filter((f) => f.host === 'back-office-1' && f.syntax !== undefined);
    expect(files.map((f) => f.path)).toEqual([
      '/etc/hosting-stacks/metadata-guard.nft', '/etc/nftables.conf', '/etc/nginx/nginx.conf', BACK_OFFICE_PATHS.phpFpmPool, '/etc/systemd/system/hosting-stacks-metadata-guard.service',
    ]);
    for (const file of files) {
      const r = checkHostFile(file)!;
      expect(`${file.path}: ${r.ok ? 'ok' : r.output}`).toBe(`${file.path}: ok`);
    }
    const nft = files.find((f) => f.path === '/etc/nftables.conf')!.content;
    expect(nft).toMatch(/ip saddr \{ 10\.20\.0\.2 \} tcp dport 80 accept/);
    expect(nft).toMatch(/ip saddr \{ 10\.20\.0\.2 \} tcp dport 22 accept/);
    expect(nft.match(/ accept comment/g)).toHaveLength(2);
  });

  test('given bad props, when built, then it throws', () => {
    expect(() => backOffice(VpnKind.WIREGUARD, { listenPort: 22 })).toThrow(/BackOffice: 'listenPort' \(22\) is SSH/);
    expect(() => backOffice(VpnKind.WIREGUARD, { listenPort: 0 })).toThrow(/BackOffice: 'listenPort' \(0\) must be an integer from 1 to 65535/);
    expect(() => backOffice(VpnKind.WIREGUARD, { serverName: 'admin_site' })).toThrow(/BackOffice: 'serverName' \('admin_site'\) must be a DNS name/);
    expect(() => backOffice(VpnKind.WIREGUARD, { mageRunCode: 'Admin Store' })).toThrow(/BackOffice: 'mageRunCode' \('Admin Store'\) must be a Magento store code/);
    expect(() => backOffice(VpnKind.WIREGUARD, { flavor: Flavor.custom({ name: 'tiny', vcpus: 1, ramGb: 1, diskGb: 10 }) }))
      .toThrow(/BackOffice: 'flavor' \('tiny'\) has 1 GB of RAM/);
  });

  test.each([VpnKind.WIREGUARD, VpnKind.IPSEC_VPNAAS])('given a stack with the %s VPN, when synthesized, then it conforms to the schema and every Terraform string resolves', (kind) => {
    const { stack, back, vpn } = backOffice(kind);
    const database = new FakeDatabase(stack, 'Db', back);
    new BackOffice(stack, 'BackOffice2', { vswitch: back, vpn, database, hostnamePrefix: 'back-office-db' }).cluster.exemptFromBackup('test stack');
    const json = JSON.parse(Testing.synth(stack));
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
    expect(stack.node.findAll().flatMap((c) => c.node.validate())).toEqual([
      expect.stringMatching(/^\[HS-BACKUP-1\] test\/BackOffice\/Server: 'stateful' \(true\) servers are in no backup policy/),
    ]);
  });
});
