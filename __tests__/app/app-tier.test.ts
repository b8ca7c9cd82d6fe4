import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { parse as parseYaml } from 'yaml';
import { AppTier } from '../../lib/app/app-tier';
import { Flavor, sizingFromGhz } from '../../lib/compute/flavor';
import { Connections } from '../../lib/core/connections';
import { IMysqlDatabase } from '../../lib/core/endpoints';
import { Secret } from '../../lib/core/secret';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { WebTier } from '../../lib/web/web-tier';
import { HaproxyBalancer } from '../../lib/balancing/haproxy-balancer';
import { MysqlReplication } from '../../lib/database/mysql-replication';
import { ExternalNetwork } from '../../lib/network/external-network';
import { checkTerraformTemplates, evaluateTerraformTemplate } from '../../lib/validation/terraform-template-check';
import { checkXml, xpath } from '../support/daemons';

// 2 application servers (Tomcat, Java) 4 GHz, 8 GB RAM, 30 GB disk; 2 web servers 2 GHz, 2 GB, 40 GB (case study 2)
const APP_SIZING = sizingFromGhz(4, 8, 30);
const WEB_SIZING = sizingFromGhz(2, 2, 40);

/** A database as the data tier would expose it, reduced to the interface. */
class FakeDatabase extends Construct implements IMysqlDatabase {
  public readonly connections: Connections;
  public readonly writerAddress = '10.0.2.10';
  public readonly readerAddresses = ['10.0.2.11'];
  public readonly port = 3306;
  public readonly databaseName = 'popgom';
  public readonly applicationUser = 'popgom_app';
  public readonly applicationPassword: Secret;
  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.connections = new Connections(this, 'Connections');
    this.applicationPassword = Secret.variable(this, 'db_app_password', 'password of the application user');
  }
}

function setup() {
  const stack = new HostingStack(Testing.app(), 'test');
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  return { stack, vswitch };
}

function file(tier: AppTier, path: string, index = 0): string {
  const f = tier.cluster.instances[index].cloudConfig.hostFiles.find((x) => x.path === path);
  if (!f) throw new Error(`no file ${path}`);
  return f.content;
}


describe('AppTier', () => {
  test('given only the required props, then port 8080, /healthz and half of the 8 GB flavor as heap', () => {
    const { stack, vswitch } = setup();
    const app = new AppTier(stack, 'App', { vswitch, count: 2, flavor: Flavor.fromSizing(APP_SIZING) });
    expect(app.cluster.flavor).toMatchObject({ name: 'b3-8', ramGb: 8 });
    expect(app.backendPort).toBe(8080);
    expect(app.healthCheckPath).toBe('/healthz');
    expect(app.heapFraction).toBe(0.5);
    expect(app.heapMb).toBe(4096);
    expect(app.backendAddresses).toEqual(app.cluster.instances.map((i) => i.address));
    expect(app.cluster.instances.map((i) => i.hostname)).toEqual(['app-1', 'app-2']);
    expect(file(app, '/etc/default/tomcat10')).toContain('JAVA_OPTS="-Djava.awt.headless=true -Xms4096m -Xmx4096m -XX:+UseG1GC"');
  });

  test('given heapFraction 0.6 on b3-8, then the heap is 8192 MB x 0.6 = 4915 MB', () => {
    const { stack, vswitch } = setup();
    const app = new AppTier(stack, 'App', { vswitch, count: 1, flavor: Flavor.named('b3-8'), heapFraction: 0.6 });
    expect(app.heapMb).toBe(4915);
    expect(file(app, '/etc/default/tomcat10')).toContain('-Xms4915m -Xmx4915m');
  });

  test('when built, then each server.xml binds the connector to that server\'s planned address and port', () => {
    const { stack, vswitch } = setup();
    const app = new AppTier(stack, 'App', { vswitch, count: 2, flavor: Flavor.named('b3-8'), port: 8081, maxThreads: 300, acceptCount: 50 });
    app.cluster.instances.forEach((host, i) => {
      const xml = file(app, '/etc/tomcat10/server.xml', i);
      expect(checkXml(xml).ok).toBe(true);
      expect(xpath(xml, 'string(//Connector/@address)')).toBe(host.address);
      expect(xpath(xml, 'string(//Connector/@port)')).toBe('8081');
      expect(xpath(xml, 'string(//Connector/@maxThreads)')).toBe('300');
      expect(xpath(xml, 'string(//Connector/@acceptCount)')).toBe('50');
    });
    const cc = app.cluster.instances[0].cloudConfig;
    expect(cc.packages).toEqual(['default-jre-headless', 'nftables', 'tomcat10']);
    expect(cc.services).toEqual(['hosting-stacks-metadata-guard.service', 'tomcat10']);
    expect(cc.hostFiles.map((f) => f.path)).toEqual([
      '/etc/default/tomcat10', '/etc/hosting-stacks/metadata-guard.nft', '/etc/systemd/system/hosting-stacks-metadata-guard.service',
      '/etc/tomcat10/server.xml', '/var/lib/tomcat10/webapps/ROOT/healthz',
    ]);
    expect(file(app, '/var/lib/tomcat10/webapps/ROOT/healthz')).toBe('ok\n');
  });

  test('given a web tier in front, then RemoteIpValve trusts exactly the web servers\' addresses', () => {
    const { stack, vswitch } = setup();
    const app = new AppTier(stack, 'App', { vswitch, count: 2, flavor: Flavor.named('b3-8') });
    const web = new WebTier(stack, 'Web', { vswitch, count: 2, flavor: Flavor.fromSizing(WEB_SIZING), upstream: app });
    const expected = [...web.cluster.addresses].sort().map((a) => a.replace(/\./g, '\\.')).join('|');
    expect(app.trustedProxyPattern()).toBe(expected);
    const serverXml = stack.renderHostFiles().find((f) => f.host === 'app-1' && f.path === '/etc/tomcat10/server.xml')!;
    expect(xpath(serverXml.content, 'string(//Valve[@className="org.apache.catalina.valves.RemoteIpValve"]/@internalProxies)')).toBe(expected);
    for (const a of web.cluster.addresses) expect(new RegExp(`^(?:${expected})$`).test(a)).toBe(true);
    expect(new RegExp(`^(?:${expected})$`).test(app.backendAddresses[0])).toBe(false);
  });

  test('given no proxy allowed in, then RemoteIpValve trusts nobody', () => {
    const { stack, vswitch } = setup();
    const app = new AppTier(stack, 'App', { vswitch, count: 1, flavor: Flavor.named('b3-8') });
    expect(app.trustedProxyPattern()).toBe('');
    const serverXml = stack.renderHostFiles().find((f) => f.path === '/etc/tomcat10/server.xml')!;
    expect(serverXml.content).toContain('internalProxies=""');
  });

  describe('with a database', () => {
    function withDatabase(props: { contextPath?: string } = {}) {
      const { stack, vswitch } = setup();
      const db = new FakeDatabase(stack, 'Db');
      const app = new AppTier(stack, 'App', { vswitch, count: 2, flavor: Flavor.named('b3-8'), database: db, ...props });
      return { stack, db, app };
    }

    test('when built, then the database security group admits the app tier on 3306', () => {
      const { stack, db, app } = withDatabase();
      const synth = JSON.parse(Testing.synth(stack));
      const sg = (c: Connections) => `\${openstack_networking_secgroup_v2.${stack.getLogicalId(c.securityGroup)}.id}`;
      const rules = Object.values(synth.resource.openstack_networking_secgroup_rule_v2) as Record<string, unknown>[];
      expect(rules.find((r) => r.port_range_min === 3306)).toMatchObject({
        direction: 'ingress', protocol: 'tcp', port_range_max: 3306, remote_group_id: sg(app.connections), security_group_id: sg(db.connections),
      });
    });

    test('when built, then ROOT.xml holds a MariaDB DataSource to the writer, with the password as an XML-escaping Terraform reference', () => {
      const { stack, app } = withDatabase();
      expect(app.contextFilePath).toBe('/etc/tomcat10/Catalina/localhost/ROOT.xml');
      // The review copy shows the Terraform expression; the XML itself is checked once the template is evaluated below.
      const review = stack.renderHostFiles().find((f) => f.host === 'app-1' && f.path === app.contextFilePath)!;
      expect(review.content).toContain('url="jdbc:mariadb://10.0.2.10:3306/popgom"');
      expect(review.content).toContain('username="popgom_app"');
      expect(review.content).toContain('driverClassName="org.mariadb.jdbc.Driver"');
      expect(review.content).toMatch(/password="\$\{replace\(.*var\.db_app_password, "&", "&amp;"\).*\)\}"/);
      const cc = app.cluster.instances[0].cloudConfig;
      expect(cc.packages).toContain('libmariadb-java');
      expect(cc.render()).toContain('/var/lib/tomcat10/lib/mariadb-java-client.jar');
    });

    test('when synthesized, then every Terraform string is a valid template, with the password reference and ${catalina.base} escaped', () => {
      const { stack } = withDatabase();
      const synth = JSON.parse(Testing.synth(stack));
      const instances = synth.resource.openstack_compute_instance_v2 as Record<string, { user_data: string; name: string }>;
      const app = Object.values(instances).find((i) => i.name === 'app-1')!;
      expect(app.user_data).toContain('$${catalina.base}');
      expect(app.user_data).toContain('var.db_app_password');
      expect(synth.variable.db_app_password).toMatchObject({ type: 'string', sensitive: true });
      expect(checkTerraformTemplates(synth)).toEqual([]);
    });

    test('when the user data is evaluated as Terraform would with a password full of XML specials, then ROOT.xml is valid and Tomcat reads the password back', () => {
      const { stack } = withDatabase();
      const synth = JSON.parse(Testing.synth(stack));
      const instances = synth.resource.openstack_compute_instance_v2 as Record<string, { user_data: string; name: string }>;
      const userData = Object.values(instances).find((i) => i.name === 'app-1')!.user_data;
      const password = `s3&cr"e<t>'x`;
      // Terraform's replace() with plain (not /regex/) substrings, the only kind the AppTier writes.
      const applied = evaluateTerraformTemplate(userData, { db_app_password: password });
      expect(applied.startsWith('#cloud-config\n')).toBe(true);
      const doc = parseYaml(applied) as { write_files: { path: string; content: string }[] };
      const ctx = doc.write_files.find((f) => f.path === '/etc/tomcat10/Catalina/localhost/ROOT.xml')!.content;
      expect(ctx).toContain('password="s3&amp;cr&quot;e&lt;t&gt;&apos;x"');
      expect(checkXml(ctx).ok).toBe(true);
      expect(xpath(ctx, 'string(/Context/Resource/@password)')).toBe(password);
      expect(ctx).toContain('<WatchedResource>${catalina.base}/conf/web.xml</WatchedResource>');
      const access = doc.write_files.find((f) => f.path === '/etc/tomcat10/server.xml')!.content;
      expect(xpath(access, 'string(//Valve[@className="org.apache.catalina.valves.AccessLogValve"]/@pattern)')).toContain('"%{Referer}i"');
    });

    test('when built, then /healthz is a JSP mapped by ROOT\'s web.xml that answers 200 only when SELECT 1 succeeds through its own pool', () => {
      const { app } = withDatabase();
      const paths = app.cluster.instances[0].cloudConfig.hostFiles.map((f) => f.path);
      expect(paths).not.toContain('/var/lib/tomcat10/webapps/ROOT/healthz');
      expect(app.healthCheckFilePath).toBe('/var/lib/tomcat10/webapps/ROOT/WEB-INF/hosting-stacks-health.jsp');
      const webXml = file(app, '/var/lib/tomcat10/webapps/ROOT/WEB-INF/web.xml');
      expect(checkXml(webXml).ok).toBe(true);
      expect(xpath(webXml, 'string(//*[local-name()="servlet"]/*[local-name()="jsp-file"])')).toBe('/WEB-INF/hosting-stacks-health.jsp');
      expect(xpath(webXml, 'string(//*[local-name()="servlet-mapping"]/*[local-name()="url-pattern"])')).toBe('/healthz');
      const jsp = file(app, app.healthCheckFilePath);
      expect(jsp).toContain('lookup("java:comp/env/jdbc/health")');
      expect(jsp).toContain('executeQuery("SELECT 1")');
      expect(jsp).toContain('response.setStatus(503)');
      // The ROOT application is the application here: its context holds both pools, the health one with a single connection.
      const ctx = file(app, '/etc/tomcat10/Catalina/localhost/ROOT.xml');
      expect(xpath(ctx, 'string(/Context/Resource[@name="jdbc/health"]/@maxTotal)')).toBe('1');
      expect(xpath(ctx, 'string(/Context/Resource[@name="jdbc/app"]/@maxTotal)')).toBe('50');
    });

    test('given contextPath /shop, then ROOT.xml holds only the health page\'s pool and shop.xml the application\'s', () => {
      const { app } = withDatabase({ contextPath: '/shop' });
      expect(xpath(file(app, '/etc/tomcat10/Catalina/localhost/ROOT.xml'), 'count(/Context/Resource)')).toBe('1');
      expect(xpath(file(app, '/etc/tomcat10/Catalina/localhost/ROOT.xml'), 'string(/Context/Resource/@name)')).toBe('jdbc/health');
      expect(xpath(file(app, '/etc/tomcat10/Catalina/localhost/shop.xml'), 'string(/Context/Resource/@name)')).toBe('jdbc/app');
    });

    test('given contextPath /shop/v2, then the context file is shop#v2.xml', () => {
      const { app } = withDatabase({ contextPath: '/shop/v2' });
      expect(app.contextFilePath).toBe('/etc/tomcat10/Catalina/localhost/shop#v2.xml');
      expect(app.cluster.instances[0].cloudConfig.hostFiles.map((f) => f.path)).toContain('/etc/tomcat10/Catalina/localhost/shop#v2.xml');
    });
  });

  describe('with databases behind a haproxy pair (reads on their own port)', () => {
    /** Two four-server databases balanced by one haproxy pair; the tier takes both routes. */
    function withRoutes() {
      const stack = new HostingStack(Testing.app(), 'test');
      const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
      const access = new PrivateVSwitch(stack, 'Access', { cidr: '10.0.2.0/24', router: dmz.router });
      const db = (id: string, name: string) => new MysqlReplication(stack, id, { vswitch: access, flavor: Flavor.named('b3-16'), databaseName: name, replicas: 3, applicationClientCidr: '10.0.0.0/16' });
      const lb = new HaproxyBalancer(stack, 'Lb', { vswitch: dmz, adminCidr: '203.0.113.0/24' });
      const api = lb.addDatabase(db('ApiDb', 'api'));
      const partners = lb.addDatabase(db('PartnersDb', 'partners'), { writePort: 3308, readPort: 3309 });
      const app = new AppTier(stack, 'App', { vswitch: access, count: 2, flavor: Flavor.named('b3-8'), database: api, databases: { partners } });
      lb.addTarget(app, { port: app.backendPort });
      return { stack, lb, app };
    }

    test('when built, then each database has a writing and a reading DataSource on the VIP, and the health pools ask the read ports', () => {
      const { lb, app } = withRoutes();
      const xml = file(app, app.contextFilePath);
      const url = (name: string) => xpath(xml, `string(//Resource[@name="${name}"]/@url)`);
      const vip = lb.vipAddress;
      expect([url('jdbc/app'), url('jdbc/app-read'), url('jdbc/partners'), url('jdbc/partners-read')]).toEqual([
        `jdbc:mariadb://${vip}:3306/api`, `jdbc:mariadb://${vip}:3307/api`, `jdbc:mariadb://${vip}:3308/partners`, `jdbc:mariadb://${vip}:3309/partners`,
      ]);
      // A primary down leaves the servers in: the health pools read.
      expect([url('jdbc/health'), url('jdbc/health-partners')]).toEqual([`jdbc:mariadb://${vip}:3307/api`, `jdbc:mariadb://${vip}:3309/partners`]);
      expect(xpath(xml, 'string(//Resource[@name="jdbc/health-partners"]/@maxTotal)')).toBe('1');
      const webXml = file(app, '/var/lib/tomcat10/webapps/ROOT/WEB-INF/web.xml');
      expect(xpath(webXml, 'count(//*[local-name()="resource-ref"])')).toBe('2');
      const jsp = file(app, app.healthCheckFilePath);
      expect(jsp).toContain('lookup("java:comp/env/jdbc/health")');
      expect(jsp).toContain('lookup("java:comp/env/jdbc/health-partners")');
      expect(jsp).toContain('out.println("partners: ok");');
    });

    test('when built, then the balancer admits the tier on both ports of each database, and each database counts its pools', () => {
      const { lb, app } = withRoutes();
      const ports = lb.connections.ingressRules.filter((r) => r.source.connections === app.connections).map((r) => r.port.fromPort).sort();
      expect(ports).toEqual([3306, 3307, 3308, 3309]);
      // max_connections of the partners' servers is derived from the demands, listed in their config.
      const partnersDb = lb.databases[1].database as MysqlReplication;
      const cnf = partnersDb.cluster.instances[0].cloudConfig.hostFiles.map((f) => f.content).join('\n');
      for (const bound of [
        'Tomcat JDBC pool maxTotal of jdbc/partners, servers up to the address capacity',
        'Tomcat JDBC pool maxTotal of jdbc/partners-read, servers up to the address capacity',
        "health page DataSource of 'partners', servers up to the address capacity",
      ]) expect(cnf).toContain(`(${bound}): test/App`);
      expect(cnf).not.toContain('jdbc/app');
    });

    test('every rendered file of the tier passes its check', () => {
      const { app } = withRoutes();
      for (const path of [app.contextFilePath, '/var/lib/tomcat10/webapps/ROOT/WEB-INF/web.xml']) {
        const r = checkXml(file(app, path));
        expect([path, r.ok ? 'ok' : r.output]).toEqual([path, 'ok']);
      }
    });
  });

  describe('errors', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['count 0', { count: 0 }, /App: 'count' \(0\) must be an integer from 1 to 1000/],
      ['heapFraction 0.05', { heapFraction: 0.05 }, /App: 'heapFraction' \(0.05\) must be a number from 0.1 to 0.9/],
      ['heapFraction 0.95', { heapFraction: 0.95 }, /App: 'heapFraction' \(0.95\) must be a number from 0.1 to 0.9/],
      ['heapFraction NaN', { heapFraction: NaN }, /App: 'heapFraction' \(NaN\) must be a number from 0.1 to 0.9/],
      ['port 0', { port: 0 }, /App: 'port' \(0\) must be an integer from 1 to 65535/],
      ['port 65536', { port: 65536 }, /App: 'port' \(65536\) must be an integer from 1 to 65535/],
      ['maxThreads 0', { maxThreads: 0 }, /App: 'maxThreads' \(0\)/],
      ['databasePoolSize 0', { databasePoolSize: 0 }, /App: 'databasePoolSize' \(0\)/],
      ['relative contextPath', { contextPath: 'shop' }, /App: 'contextPath' \('shop'\) must be '\/' or an absolute path/],
      ['contextPath with a trailing slash', { contextPath: '/shop/' }, /App: 'contextPath' \('\/shop\/'\)/],
      ['relative healthCheckPath', { healthCheckPath: 'healthz' }, /App: 'healthCheckPath' \('healthz'\) must be an absolute path/],
      ['healthCheckPath with ..', { healthCheckPath: '/a/../healthz' }, /App: 'healthCheckPath' \('\/a\/..\/healthz'\)/],
      ['healthCheckPath under the context path', { contextPath: '/shop', healthCheckPath: '/shop/healthz' },
        /App: 'healthCheckPath' \('\/shop\/healthz'\) must lie outside the application's context path '\/shop'/],
    ];
    test.each(cases)('given %s, then it throws', (_name, overrides, message) => {
      const { stack, vswitch } = setup();
      expect(() => new AppTier(stack, 'App', { vswitch, count: 1, flavor: Flavor.named('b3-8'), ...overrides })).toThrow(message);
    });

    test.each([
      ['databases without database', false, { partners: 'db' }, /App: 'databases' \('partners'\) needs 'database' too/],
      ['a database named health', true, { health: 'db' }, /App: 'databases' \('health'\) .*not 'app' or 'health'/],
      ['a database named with capitals', true, { Partners: 'db' }, /App: 'databases' \('Partners'\) must be a name of a lower-case letter/],
      ['a list instead of names', true, ['db'], /App: 'databases' \(.*\) must be an object of up to 8 databases by name/],
      ['a string instead of a database', true, { partners: 'not a database' }, /App: 'databases\.partners' \('not a database'\) must be/],
      ['nine databases', true, Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`db${i}`, 'db'])), /App: 'databases' \('9 databases'\) must hold at most 8/],
    ] as [string, boolean, unknown, RegExp][])('given %s, then it throws', (_name, withMain, databases, message) => {
      const { stack, vswitch } = setup();
      const db = new FakeDatabase(stack, 'Db');
      const resolve = (v: unknown): unknown => (v === 'db' ? db : v);
      const value = Array.isArray(databases) ? databases.map(resolve) : Object.fromEntries(Object.entries(databases as Record<string, unknown>).map(([k, v]) => [k, resolve(v)]));
      expect(() => new AppTier(stack, 'App', { vswitch, count: 1, flavor: Flavor.named('b3-8'), ...(withMain ? { database: db } : {}), databases: value as never })).toThrow(message);
    });
  });
});
