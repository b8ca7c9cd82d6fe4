import { parse } from 'yaml';
import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { RedisServer } from '../../lib/cache/redis-server';
import { MysqlReplication } from '../../lib/database/mysql-replication';
import { ConfigSyntax } from '../../lib/compute/cloud-config';
import { Flavor } from '../../lib/compute/flavor';
import { ServerInstance } from '../../lib/compute/server-cluster';
import { Connections, IConnectable } from '../../lib/core/connections';
import { IMysqlDatabase, ISolrEndpoint } from '../../lib/core/endpoints';
import { Secret } from '../../lib/core/secret';
import { DeploymentServer } from '../../lib/app/deployment-server';
import { MagentoCode, MagentoFrontends, MagentoFrontendsProps } from '../../lib/magento/magento-frontends';
import { PhpFpmProcessManager } from '../../lib/magento/magento-config';
import { Router } from '../../lib/network/router';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { INfsShare } from '../../lib/storage/nfs';
import { checkProviderSchema, loadOpenstackProviderSchema } from '../../lib/validation/provider-schema-check';
import { checkTerraformTemplates, evaluateTerraformTemplate } from '../../lib/validation/terraform-template-check';
import { checkHostFile } from '../support/config-checks';
import { TrafficSourceKind } from '../../lib/core/connections';

const SHA = '0123456789abcdef'.repeat(4);
const RELEASE = MagentoCode.release({ url: 'https://github.com/OpenMage/magento-lts/releases/download/v20.0.0/openmage-v20.0.0.zip', sha256: SHA });

class FakeDatabase extends Construct implements IMysqlDatabase {
  public readonly connections: Connections;
  public readonly writerAddress = '10.0.3.50';
  public readonly readerAddresses = ['10.0.3.51'];
  public readonly port = 3306;
  public readonly databaseName = 'magento';
  public readonly applicationUser = 'shop';
  public readonly applicationPassword: Secret;
  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.connections = new Connections(this, 'Connections');
    this.applicationPassword = Secret.variable(this, 'db_password', 'db');
  }
}

class FakeSolr extends Construct implements ISolrEndpoint {
  public readonly connections: Connections;
  public readonly address = '10.0.3.60';
  public readonly port = 8983;
  public readonly coreName = 'magento';
  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.connections = new Connections(this, 'Connections');
  }
}

class FakeShare implements INfsShare {
  public readonly clients: [IConnectable, string][] = [];
  public readonly mounts: [string, string][] = [];
  public allowClient(client: IConnectable, cidr: string): void {
    this.clients.push([client, cidr]);
  }
  public mountOn(host: ServerInstance, mountPoint: string): void {
    this.mounts.push([host.hostname, mountPoint]);
    host.cloudConfig.addPackages('nfs-common');
  }
}

function setup(overrides: Partial<MagentoFrontendsProps> = {}, more: (stack: HostingStack) => Partial<MagentoFrontendsProps> = () => ({})) {
  const stack = new HostingStack(Testing.app(), 'test');
  const router = new Router(stack, 'Router', {});
  const access = new PrivateVSwitch(stack, 'Access', { cidr: '10.0.2.0/24', router });
  const data = new PrivateVSwitch(stack, 'Data', { cidr: '10.0.3.0/24', router });
  const database = new FakeDatabase(stack, 'Database');
  const redis = new RedisServer(stack, 'Redis', { vswitch: data, flavor: Flavor.named('b3-8') });
  const frontends = new MagentoFrontends(stack, 'Front', {
    vswitch: access, count: 2, flavor: Flavor.named('b3-8'), code: RELEASE, database, sessions: redis,
    baseUrl: 'https://www.monsieurdeguisement.com/', ...overrides, ...more(stack),
  });
  return { stack, access, data, database, redis, frontends };
}

function hostFile(frontends: MagentoFrontends, path: string, index = 0): string {
  return frontends.cluster.instances[index].cloudConfig.hostFiles.find((f) => f.path === path)!.content;
}

describe('MagentoFrontends', () => {
  test('given a b3-8 (8 GB), then a static pool of (8192 - 768 - 256) / 128 = 56 children and Apache threads for 4 per child', () => {
    const { frontends } = setup();
    expect(frontends.processManager).toBe(PhpFpmProcessManager.STATIC);
    expect(frontends.phpMaxChildren).toBe(56);
    expect(frontends.mpm.maxRequestWorkers).toBe(225);
    const pool = hostFile(frontends, '/etc/php/8.2/fpm/pool.d/magento.conf');
    expect(pool).toMatch(/^pm = static$/m);
    expect(pool).toMatch(/^pm\.max_children = 56$/m);
    expect(pool).toMatch(/^listen = \/run\/php\/php8\.2-fpm-magento\.sock$/m);
    expect(hostFile(frontends, '/etc/apache2/apache2.conf')).toMatch(/^ServerName www\.monsieurdeguisement\.com$/m);
    expect(frontends.healthCheck.path).toBe('/healthz');
    expect(frontends.httpPort).toBe(80);
  });

  test('given count 2 and maxCount 4, then four front-ends are planned, the last two exist only when the count variable asks, and a baseline change shifts no address', () => {
    const small = setup({ maxCount: 4 });
    expect(small.frontends.backendAddresses).toEqual(['10.0.2.2', '10.0.2.3', '10.0.2.4', '10.0.2.5']);
    expect(small.frontends.cluster.instances.map((i) => i.conditional)).toEqual([false, false, true, true]);
    const json = JSON.parse(Testing.synth(small.stack));
    expect(json.variable.front_servers_count).toMatchObject({ type: 'number', default: 2 });
    const counts = Object.values(json.resource.openstack_compute_instance_v2).map((i: any) => i.count);
    expect(counts).toEqual([undefined, undefined, '${var.front_servers_count > 2 ? 1 : 0}', '${var.front_servers_count > 3 ? 1 : 0}']);
    const scaled = setup({ count: 3, maxCount: 4 });
    expect(scaled.frontends.backendAddresses).toEqual(small.frontends.backendAddresses);
    expect(scaled.access.allocateAddress(scaled.stack)).toBe(small.access.allocateAddress(small.stack));
  });

  test('when built, then the database, Redis and Solr admit the front-ends on their ports, and nothing is open to the internet', () => {
    const { frontends, database, redis } = setup({}, (stack) => ({ search: new FakeSolr(stack, 'Solr') }));
    const from = (c: Connections) => c.ingressRules.filter((r) => r.source.kind === TrafficSourceKind.GROUP && r.source.connections === frontends.connections).map((r) => r.port.label);
    expect(from(database.connections)).toEqual(['tcp-3306']);
    expect(from(redis.connections)).toEqual(['tcp-6379']);
    expect(from(frontends.search!.connections)).toEqual(['tcp-8983']);
    expect(frontends.connections.ingressRules.some((r) => r.source.kind === TrafficSourceKind.INTERNET)).toBe(false);
  });

  test('given an NFS share, then it is opened to the access subnet and mounted at media/ on every front-end', () => {
    const media = new FakeShare();
    const { frontends } = setup({ media, count: 3 });
    expect(media.clients).toEqual([[frontends, '10.0.2.0/24']]);
    expect(media.mounts).toEqual([1, 2, 3].map((i) => [`front-${i}`, '/var/www/magento/media']));
    expect(frontends.cluster.instances[2].cloudConfig.packages).toContain('nfs-common');
  });

  test('given a release, then every front-end installs it before the services start; given a pipeline, then SSH is open to the deployer only', () => {
    const { frontends } = setup();
    const cc = frontends.cluster.instances[0].cloudConfig;
    expect(hostFile(frontends, '/usr/local/sbin/magento-install-release')).toContain(`sha256='${SHA}'`);
    // Stop at the first failure, check every package is installed, then install the release before any service starts.
    const dpkgQuery = ['  - - dpkg-query', '    - --show', ...cc.packages.map((p) => `    - ${p}`)].join('\n');
    // (between them, the admin password file is decoded: a pre-service command too)
    const rendered = cc.render();
    expect(rendered).toContain(`runcmd:\n  - set -e\n${dpkgQuery}\n  - - sh\n    - -c\n    - umask 077 && base64 -d /etc/hosting-stacks/magento-admin-password.b64`);
    expect(rendered).toContain('  - - /usr/local/sbin/magento-install-release\n  - - systemctl\n    - daemon-reload\n');
    // The schema installer after the daemons, and its path unit for code that arrives later.
    expect(cc.services).toEqual(['hosting-stacks-metadata-guard.service', 'php8.2-fpm', 'apache2', 'hosting-stacks-magento-install.service', 'hosting-stacks-magento-install.path']);
    expect(frontends.connections.ingressRules).toEqual([]);

    const stack = setup();
    const deployer = new DeploymentServer(stack.stack, 'DeployVm', { vswitch: stack.access, adminCidrs: ['203.0.113.0/28'] });
    const piped = new MagentoFrontends(stack.stack, 'Piped', {
      vswitch: stack.access, count: 1, flavor: Flavor.named('b3-8'), code: MagentoCode.fromPipeline(deployer), database: stack.database, sessions: stack.redis, baseUrl: 'https://shop.example.com/',
    });
    const pipedCc = piped.cluster.instances[0].cloudConfig;
    expect(pipedCc.hostFiles.map((f) => f.path)).not.toContain('/usr/local/sbin/magento-install-release');
    expect(piped.connections.ingressRules.map((r) => [r.port.label, r.source.kind === TrafficSourceKind.GROUP && r.source.connections === deployer.connections])).toEqual([['tcp-22', true]]);
    // The deployment server syncs into the document root and runs exactly these as root afterwards.
    expect(deployer.targets).toEqual([piped]);
    expect(JSON.parse(deployer.renderRecipes())).toEqual({
      'test/Piped': {
        directory: '/var/www/magento',
        excludes: ['/app/etc/local.xml', '/media/', '/var/'],
        afterSync: [['/usr/bin/systemctl', 'reload', 'php8.2-fpm'], ['/usr/bin/systemctl', 'restart', 'hosting-stacks-magento-install.service']],
      },
    });
    expect(pipedCc.hostFiles.find((f) => f.path === '/etc/sudoers.d/hosting-stacks-deploy')!.content).toContain(
      'deploy ALL=(root) NOPASSWD: /usr/bin/systemctl reload php8.2-fpm\ndeploy ALL=(root) NOPASSWD: /usr/bin/systemctl restart hosting-stacks-magento-install.service\n',
    );
    expect(pipedCc.packages).toEqual(expect.arrayContaining(['rsync', 'sudo']));
    const runcmd = (parse(pipedCc.render()) as { runcmd: unknown[] }).runcmd;
    expect(runcmd).toEqual(expect.arrayContaining([
      ['install', '-d', '-o', 'www-data', '-g', 'www-data', '-m', '0750', '/var/www/magento/var'],
      ['sh', '-c', 'find /var/www/magento -xdev \\( -path /var/www/magento/media -o -path /var/www/magento/var \\) -prune -o -type d -exec chown deploy:deploy {} +'],
    ]));
  });

  test('when synthesized, then the secrets reach local.xml XML-escaped and php.ini URL-encoded, as Terraform references only', () => {
    const { stack } = setup();
    const json = JSON.parse(Testing.synth(stack));
    expect(checkTerraformTemplates(json)).toEqual([]);
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(Object.keys(json.variable)).toEqual(expect.arrayContaining(['db_password', 'magento_crypt_key', 'redis_password']));
    const instances = Object.values(json.resource.openstack_compute_instance_v2) as { name: string; user_data: string }[];
    const front = instances.find((i) => i.name === 'front-1')!;
    expect(front.user_data).toContain('${replace(replace(replace(replace(replace(var.db_password, "&", "&amp;")');
    const resolved = evaluateTerraformTemplate(front.user_data, { db_password: 'd<b>&"x', redis_password: 'r&p#"$\\ ?=', magento_crypt_key: 'k&ey', magento_admin_password: 'admin pw & "more"' });
    // The admin password travels base64 on one line, decoded on the server into a file only root and www-data read.
    expect(resolved).toContain(`${Buffer.from('admin pw & "more"').toString('base64')}\n`);
    expect(resolved).toContain('<password>d&lt;b&gt;&amp;&quot;x</password>');
    expect(resolved).toContain('<key>k&amp;ey</key>');
    expect(resolved).toContain('<password>r&amp;p#&quot;$\\ ?=</password>');
    expect(resolved).toContain('session.save_path = "tcp://10.0.3.2:6379?auth=r%26p%23%22%24%5C%20%3F%3D&database=2&timeout=2.5"');
    expect(decodeURIComponent('r%26p%23%22%24%5C%20%3F%3D')).toBe('r&p#"$\\ ?=');
  });

  test('when every host file of the stack is checked by its real daemon, then all pass', () => {
    const { stack } = setup({ maxCount: 3 });
    const files = stack.renderHostFiles().filter((f) => f.host === 'front-1');
    expect(files.map((f) => [f.path, f.syntax])).toEqual([
      ['/etc/apache2/apache2.conf', ConfigSyntax.APACHE],
      ['/etc/hosting-stacks/magento-admin-password.b64', undefined],
      ['/etc/hosting-stacks/metadata-guard.nft', ConfigSyntax.NFTABLES],
      ['/etc/php/8.2/fpm/conf.d/99-magento.ini', ConfigSyntax.PHP_INI],
      ['/etc/php/8.2/fpm/php-fpm.conf', ConfigSyntax.PHP_FPM],
      ['/etc/php/8.2/fpm/pool.d/magento.conf', ConfigSyntax.PHP_FPM],
      ['/etc/systemd/system/hosting-stacks-magento-install.path', ConfigSyntax.SYSTEMD_UNIT],
      ['/etc/systemd/system/hosting-stacks-magento-install.service', ConfigSyntax.SYSTEMD_UNIT],
      ['/etc/systemd/system/hosting-stacks-metadata-guard.service', ConfigSyntax.SYSTEMD_UNIT],
      ['/usr/local/sbin/magento-install-release', ConfigSyntax.SHELL],
      ['/usr/local/share/hosting-stacks/magento-health.php', ConfigSyntax.PHP],
      ['/usr/local/share/hosting-stacks/magento-install.php', ConfigSyntax.PHP],
      ['/var/www/magento/app/etc/local.xml', ConfigSyntax.XML],
    ]);
    for (const f of stack.renderHostFiles()) {
      const r = checkHostFile(f);
      if (r) expect({ path: f.path, ok: r.ok, output: r.ok ? '' : r.output }).toEqual({ path: f.path, ok: true, output: '' });
    }
  });

  test('the schema installer gets the base URL and the admin user; an admin value it cannot carry is an error naming the prop', () => {
    const { frontends } = setup();
    const installer = hostFile(frontends, '/usr/local/share/hosting-stacks/magento-install.php');
    expect(installer).toContain("$baseUrl = 'https://www.monsieurdeguisement.com/';");
    expect(installer).toContain("'username' => 'admin',");
    expect(installer).toContain("'email' => 'admin@www.monsieurdeguisement.com',");
    expect(hostFile(frontends, '/etc/systemd/system/hosting-stacks-magento-install.service')).toMatch(/^ConditionPathExists=\/var\/www\/magento\/app\/Mage\.php$/m);
    const custom = setup({ admin: { username: 'ops.team', firstname: 'Équipe', lastname: 'Ops', email: 'ops@example.es' } }).frontends;
    expect(hostFile(custom, '/usr/local/share/hosting-stacks/magento-install.php')).toContain("'firstname' => 'Équipe',");
    expect(() => setup({ admin: { email: "x'@example.es" } })).toThrow("test/Front: 'admin.email' ('x'@example.es') must be an e-mail address");
    expect(() => setup({ admin: { username: "a'; system('id'); '" } })).toThrow(/test\/Front: 'admin\.username' .* must be 1 to 40 letters, digits/);
  });

  test('given props, then they reach the configs', () => {
    const { stack, access, data, redis } = setup();
    const cacheRedis = new RedisServer(stack, 'CacheRedis', { vswitch: data, flavor: Flavor.named('b3-8'), password: Secret.variable(stack, 'cache_password', 'c') });
    const f = new MagentoFrontends(stack, 'Other', {
      vswitch: access, count: 1, flavor: Flavor.named('b3-8'), code: RELEASE, database: new FakeDatabase(stack, 'Db2'), sessions: redis, cache: cacheRedis,
      baseUrl: 'https://www.example.es/', httpPort: 8080, healthCheckPath: '/lb', processManager: PhpFpmProcessManager.DYNAMIC, systemReservedMb: 1024, phpChildMb: 256,
      memoryLimitMb: 768, requestTimeoutSeconds: 120, opcacheValidateTimestamps: true, adminFrontName: 'backstage', tablePrefix: 'md_', cacheDatabase: 0, hostnamePrefix: 'shop',
    });
    expect(f.phpMaxChildren).toBe(Math.floor((8192 - 1024 - 256) / 256));
    const pool = hostFile(f, '/etc/php/8.2/fpm/pool.d/magento.conf');
    expect(pool).toMatch(/^pm = dynamic$/m);
    // The balancer's path runs the health script; PHP-FPM's own ping stays on /fpm-ping for local checks.
    expect(pool).toMatch(/^ping\.path = \/fpm-ping$/m);
    expect(hostFile(f, '/etc/apache2/apache2.conf')).toContain('Alias "/lb" "/usr/local/share/hosting-stacks/magento-health.php"');
    expect(hostFile(f, '/usr/local/share/hosting-stacks/magento-health.php')).toContain("$root = '/var/www/magento';");
    expect(pool).toMatch(/^request_terminate_timeout = 120s$/m);
    const apache = hostFile(f, '/etc/apache2/apache2.conf');
    expect(apache).toMatch(/^Listen \*:8080$/m);
    expect(apache).toContain('<LocationMatch "^/(index\\.php/)?backstage(/|$)">');
    const ini = hostFile(f, '/etc/php/8.2/fpm/conf.d/99-magento.ini');
    expect(ini).toMatch(/^memory_limit = 768M$/m);
    expect(ini).toMatch(/^opcache\.validate_timestamps = 1$/m);
    const xml = hostFile(f, '/var/www/magento/app/etc/local.xml');
    expect(xml).toContain('<table_prefix>md_</table_prefix>');
    expect(xml).toMatch(/<server>10\.0\.3\.\d+<\/server>/);
    expect(xml).toContain(`<server>${cacheRedis.address}</server>`);
    expect(f.cluster.instances[0].hostname).toBe('shop-1');
    expect(cacheRedis.connections.ingressRules.map((r) => r.port.label)).toEqual(['tcp-6379']);
  });

  test('given a cache instance on the sessions\' Redis VM, then local.xml sends the cache to it and the sessions to the sessions instance, and only the front-ends may reach its port', () => {
    const { stack, access, data } = setup();
    const sessions = new RedisServer(stack, 'Sessions', { vswitch: data, flavor: Flavor.fromSizing({ vcpus: 2, ramGb: 4, diskGb: 20 }), maxMemoryFraction: 0.25 });
    const cache = sessions.addInstance('Cache', { port: 6380, maxMemoryFraction: 0.375 });
    const f = new MagentoFrontends(stack, 'Shop', {
      vswitch: access, count: 1, flavor: Flavor.named('b3-8'), code: RELEASE, database: new FakeDatabase(stack, 'Db2'), sessions, cache, baseUrl: 'https://www.example.es/',
    });
    const xml = hostFile(f, '/var/www/magento/app/etc/local.xml');
    const section = (tag: string) => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml)![1];
    expect(section('redis_session')).toContain(`<host>${sessions.address}</host>`);
    expect(section('redis_session')).toContain('<port>6379</port>');
    expect(section('cache')).toContain('<backend>Cm_Cache_Backend_Redis</backend>');
    expect(section('cache')).toContain(`<server>${sessions.address}</server>`);
    expect(section('cache')).toContain('<port>6380</port>');
    expect(hostFile(f, '/etc/php/8.2/fpm/conf.d/99-magento.ini')).toMatch(/^session\.save_path = "tcp:\/\/10\.0\.3\.\d+:6379\?/m);
    const into = sessions.connections.ingressRules.map((r) => [r.port.label, r.source.kind === TrafficSourceKind.GROUP && r.source.connections === f.connections]);
    expect(into).toEqual([['tcp-6379', true], ['tcp-6380', true]]);
    const files = stack.renderHostFiles().filter((h) => h.host === sessions.instance.hostname || h.host === 'shop-1');
    for (const h of files) {
      const r = checkHostFile(h);
      if (r) expect({ path: h.path, ok: r.ok, output: r.ok ? '' : r.output }).toEqual({ path: h.path, ok: true, output: '' });
    }
  });

  test('given a MariaDB database, then the front-ends declare addressCapacity x pm.max_children connections whatever the count, and a larger capacity raises max_connections', () => {
    const build = (maxCount: number, addressCapacity?: number) => {
      const stack = new HostingStack(Testing.app(), 'test');
      const access = new PrivateVSwitch(stack, 'Access', { cidr: '10.0.2.0/24' });
      const data = new PrivateVSwitch(stack, 'Data', { cidr: '10.0.3.0/24' });
      const database = new MysqlReplication(stack, 'Db', { vswitch: data, flavor: Flavor.custom({ name: 'db-16', vcpus: 4, ramGb: 16, diskGb: 100 }), databaseName: 'magento' });
      const redis = new RedisServer(stack, 'Redis', { vswitch: data, flavor: Flavor.named('b3-8') });
      new MagentoFrontends(stack, 'Front', { vswitch: access, count: 2, maxCount, addressCapacity, flavor: Flavor.named('b3-8'), code: RELEASE, database, sessions: redis, baseUrl: 'https://www.example.es/' });
      return database;
    };
    const ten = build(10);
    expect(ten.maxConnections).toBe(10 * 56 + 8 + 10);
    expect(ten.connectionLimits.terms.map((t) => `${t.client}: ${t.servers} x ${t.connectionsPerServer} ${t.bound}`)).toContain('test/Front: 10 x 56 PHP-FPM pm.max_children, servers up to the address capacity');
    // Growing within the capacity does not reconfigure the database.
    expect(build(4).maxConnections).toBe(ten.maxConnections);
    expect(build(12, 12).maxConnections).toBe(ten.maxConnections + 2 * 56);
    expect(() => build(12)).toThrow(/^test\/Front: 'maxCount' \(12\) needs 12 servers and 'addressCapacity' keeps 10 planned addresses for the tier; set 'addressCapacity' to at least 12/);
  });

  describe('errors', () => {
    const cases: [string, Partial<MagentoFrontendsProps>, RegExp][] = [
      ['count 0', { count: 0 }, /Front: 'count' \(0\) must be an integer from 1 to 1000/],
      ['maxCount below count', { count: 3, maxCount: 2 }, /Front: 'count' \(3\) must not exceed 'maxCount' \(2\)/],
      ['httpPort 0', { httpPort: 0 }, /Front: 'httpPort' \(0\)/],
      ['nested health path', { healthCheckPath: '/a/b' }, /Front: 'healthCheckPath' \('\/a\/b'\) must be one path segment/],
      ['health path on the FPM status', { healthCheckPath: '/fpm-status' }, /Front: 'healthCheckPath' \('\/fpm-status'\)/],
      ['health path on the FPM ping', { healthCheckPath: '/fpm-ping' }, /Front: 'healthCheckPath' \('\/fpm-ping'\)/],
      ['base URL without slash', { baseUrl: 'https://www.example.com' }, /Front: 'baseUrl' \('https:\/\/www\.example\.com'\) must be an http\(s\) URL/],
      ['base URL ftp', { baseUrl: 'ftp://www.example.com/' }, /Front: 'baseUrl'/],
      ['reserve too small', { systemReservedMb: 100 }, /Front: 'systemReservedMb' \(100\)/],
      ['child too small', { phpChildMb: 8 }, /Front: 'phpChildMb' \(8\)/],
      ['opcache too small', { opcacheMemoryMb: 16 }, /Front: 'opcacheMemoryMb' \(16\)/],
      ['memory limit', { memoryLimitMb: 64 }, /Front: 'memoryLimitMb' \(64\)/],
      ['timeout', { requestTimeoutSeconds: 1 }, /Front: 'requestTimeoutSeconds' \(1\)/],
      ['max requests', { maxRequestsPerChild: -1 }, /Front: 'maxRequestsPerChild' \(-1\)/],
      ['admin name', { adminFrontName: 'Admin Panel' }, /Front: 'adminFrontName' \('Admin Panel'\) must be 3 to 32/],
      ['table prefix', { tablePrefix: 'md-' }, /Front: 'tablePrefix' \('md-'\)/],
      ['redis db 16', { sessionDatabase: 16 }, /Front: 'sessionDatabase' \(16\) must be an integer from 0 to 15/],
      ['same session dbs', { phpSessionDatabase: 0 }, /Front: 'phpSessionDatabase' \(0\) must differ from 'sessionDatabase'/],
      ['cache on the session db', { cacheDatabase: 0 }, /Front: 'cacheDatabase' \(0\) must differ from 'sessionDatabase' and 'phpSessionDatabase' on the same Redis server/],
      ['http release', { code: MagentoCode.release({ url: 'http://example.com/x.zip', sha256: SHA }) }, /Front: 'code.url' \('http:\/\/example\.com\/x\.zip'\) must be an https URL/],
      ['bad sha', { code: MagentoCode.release({ url: 'https://example.com/x.zip', sha256: 'abc' }) }, /Front: 'code.sha256' \('abc'\) must be the archive's SHA-256/],
      ['flavor too small', { flavor: Flavor.custom({ name: 'tiny', vcpus: 1, ramGb: 1, diskGb: 10 }) }, /Front: 'flavor' \('tiny'\) has 1 GB of RAM/],
    ];
    test.each(cases)('given %s, then it throws', (_name, overrides, message) => {
      expect(() => setup(overrides)).toThrow(message);
    });
  });
});
