import { AnnotationMetadataEntryType, Testing } from 'cdktf';
import {
  DEFAULT_WILDFLY_SHA256,
  DEFAULT_WILDFLY_TARBALL_URL,
  ORDER_TRACKING_DATASOURCE_PATH,
  OrderTracking,
  OrderTrackingProps,
  WILDFLY_INSTALL_PATH,
} from '../../lib/app/order-tracking';
import { Flavor, sizingFromGhz } from '../../lib/compute/flavor';
import { MysqlReplication } from '../../lib/database/mysql-replication';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { checkTerraformTemplates } from '../../lib/validation/terraform-template-check';
import { checkXml } from '../support/daemons';
import { checkShellSyntax } from '../database/mariadb-support';
import { TrafficSourceKind } from '../../lib/core/connections';

// Order-tracking server: 1 x (2 GHz, 4 GB RAM, 70 GB disk) (case study 2)
const ORDER_TRACKING_SIZING = sizingFromGhz(2, 4, 70);
const FLAVOR_4GB = Flavor.custom({ name: 'ot-4gb', vcpus: 1, ramGb: 4, diskGb: 70 });
const BPM_SHA = '0123456789abcdef'.repeat(4);

function setup(props: Partial<OrderTrackingProps> = {}) {
  const app = Testing.app();
  const stack = new HostingStack(app, 'test');
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  const database = new MysqlReplication(stack, 'Db', { vswitch, flavor: FLAVOR_4GB, databaseName: 'popgom' });
  const orders = new OrderTracking(stack, 'Orders', { vswitch, flavor: FLAVOR_4GB, database, ...props });
  return { stack, vswitch, database, orders };
}

function fileOf(stack: HostingStack, path: string): string {
  const file = stack.renderHostFiles().find((f) => f.host === 'order-tracking-1' && f.path === path);
  if (!file) throw new Error(`no ${path}`);
  return file.content;
}

describe('OrderTracking defaults', () => {
  test('given only the required props, then one server with WildFly 27.0.1.Final on 8080 and the documented defaults', () => {
    const { orders } = setup();
    expect(orders.cluster.instances).toHaveLength(1);
    expect(orders.instance.hostname).toBe('order-tracking-1');
    expect(orders.httpPort).toBe(8080);
    expect(orders.managementPort).toBe(9990);
    expect(orders.wildflyVersion).toBe('27.0.1.Final');
    expect(orders.wildflyTarballUrl).toBe(DEFAULT_WILDFLY_TARBALL_URL);
    expect(orders.wildflySha256).toBe(DEFAULT_WILDFLY_SHA256);
    expect(orders.heapMb).toBe(2048);
    expect(orders.datasourceJndiName).toBe('java:jboss/datasources/OrderTrackingDS');
    expect(orders.bpmArchiveFileName).toBeUndefined();
  });

  test('given the planned address, then the IHttpBackend fields name the one server', () => {
    const { orders } = setup({ healthCheckPath: '/intalio/' });
    expect(orders.address).toBe(orders.instance.address);
    expect(orders.backendAddresses).toEqual([orders.address]);
    expect(orders.backendPort).toBe(8080);
    expect(orders.healthCheckPath).toBe('/intalio/');
  });

  test('given the construct, then its default child is the server (for addOverride)', () => {
    const { orders } = setup();
    expect(orders.node.defaultChild).toBe(orders.instance.resource);
  });

  test('given no BPM archive, then synth warns that nothing is deployed', () => {
    const { orders } = setup();
    const warnings = orders.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringMatching(/no 'bpmArchive' given, so no BPM application is deployed/)]);
  });

  test('given a BPM archive, then no warning and its file name is the URL\'s last segment', () => {
    const { orders, stack } = setup({ bpmArchive: { url: 'https://files.example.com/bpm/intalio-bpms.war?v=2', sha256: BPM_SHA.toUpperCase() } });
    expect(orders.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN)).toEqual([]);
    expect(orders.bpmArchiveFileName).toBe('intalio-bpms.war');
    expect(fileOf(stack, WILDFLY_INSTALL_PATH)).toContain(`fetch_verified 'https://files.example.com/bpm/intalio-bpms.war?v=2' '${BPM_SHA}' "$CACHE/intalio-bpms.war"`);
  });

  test('given a flavor picked from the case-study sizing, then the heap is half of that flavor\'s RAM', () => {
    const { orders } = setup({ flavor: Flavor.fromSizing(ORDER_TRACKING_SIZING) });
    expect(orders.heapMb).toBe(Math.floor(orders.cluster.flavor.ramGb * 1024 * 0.5));
  });
});

describe('OrderTracking errors', () => {
  test.each([
    [{ httpPort: 0 }, /test\/Orders: 'httpPort' \(0\) must be an integer from 1 to 65535/],
    [{ managementPort: 8080 }, /'managementPort' \(8080\) must differ from 'httpPort'/],
    [{ managementPort: 70000 }, /'managementPort' \(70000\) must be an integer from 1 to 65535/],
    [{ maxPoolSize: 0 }, /'maxPoolSize' \(0\) must be an integer from 1 to 1000/],
    [{ heapFraction: 0.9 }, /'heapFraction' \(0.9\) must be a share of RAM from 0.2 to 0.75/],
    [{ healthCheckPath: 'health' }, /'healthCheckPath' \('health'\) must start with '\/'/],
    [{ datasourceJndiName: 'OrderTrackingDS' }, /'datasourceJndiName' \('OrderTrackingDS'\) must be a JNDI name/],
    [{ wildflyVersion: '31.0.1.Final' }, /'wildflySha256' \(undefined\) is required when 'wildflyVersion' or 'wildflyTarballUrl' is given/],
    [{ wildflyTarballUrl: 'https://mirror.example.com/wf.tar.gz' }, /'wildflySha256' \(undefined\) is required/],
    [{ wildflyVersion: 'latest', wildflySha256: BPM_SHA }, /'wildflyVersion' \('latest'\) must be a WildFly release such as '27.0.1.Final'/],
    [{ wildflySha256: 'abc' }, /'wildflySha256' \('abc'\) must be 64 hexadecimal digits/],
    [{ wildflyTarballUrl: "https://x.example.com/a'b.tar.gz", wildflySha256: BPM_SHA }, /'wildflyTarballUrl' .* must be an http\(s\) URL without spaces, quotes/],
    [{ bpmArchive: { url: 'ftp://x.example.com/bpm.war', sha256: BPM_SHA } }, /'bpmArchive.url' \('ftp:\/\/x.example.com\/bpm.war'\) must be an http\(s\) URL/],
    [{ bpmArchive: { url: 'https://x.example.com/bpm.war', sha256: 'nope' } }, /'bpmArchive.sha256' \('nope'\) must be 64 hexadecimal digits/],
    [{ bpmArchive: { url: 'https://x.example.com/download', sha256: BPM_SHA } }, /'bpmArchive.fileName' \('download'\) must be a file name ending in '.war' or '.ear'/],
  ] as [Partial<OrderTrackingProps>, RegExp][])('given %j, then it throws', (props, message) => {
    expect(() => setup(props)).toThrow(message);
  });

  test('given a heap that leaves no room for metaspace and the OS, then it throws', () => {
    const small = Flavor.custom({ name: 'tiny', vcpus: 1, ramGb: 2, diskGb: 20 });
    expect(() => setup({ flavor: small, heapFraction: 0.75 })).toThrow(/'heapFraction' \(0.75\) leaves no room outside the heap: 1536 MB heap \+ 512 MB metaspace \+ 512 MB for the OS exceed the flavor's 2048 MB/);
  });
});

describe('OrderTracking resources', () => {
  test('given the server, then the database admits it on its port and nothing else is declared on the server', () => {
    const { orders, database } = setup();
    const fromOrders = database.connections.ingressRules.filter((r) => r.source.kind === TrafficSourceKind.GROUP && r.source.connections === orders.connections);
    expect(fromOrders.map((r) => r.port.label)).toEqual(['tcp-3306']);
    expect(orders.connections.ingressRules).toEqual([]);
  });

  test('given the synthesized stack, then one order-tracking instance of the flavor with a 70 GB boot volume', () => {
    const { stack } = setup();
    const synthed = Testing.synth(stack);
    expect(synthed).toHaveResourceWithProperties({ tfResourceType: 'openstack_compute_instance_v2' }, { name: 'order-tracking-1', flavor_name: 'ot-4gb' });
    expect(synthed).toHaveResourceWithProperties({ tfResourceType: 'openstack_blockstorage_volume_v3' }, { name: 'test-orders-server-instance1-boot', size: 70 });
  });

  test('given the host, then Java, the JDBC driver package, the install script before the service, and wildfly enabled', () => {
    const { orders } = setup();
    const cc = orders.instance.cloudConfig;
    expect(cc.packages).toEqual(expect.arrayContaining(['openjdk-17-jre-headless', 'libmariadb-java', 'curl']));
    expect(cc.services).toEqual(['hosting-stacks-metadata-guard.service', 'wildfly']);
    const rendered = cc.render();
    expect(rendered.indexOf(`- - ${WILDFLY_INSTALL_PATH}`)).toBeGreaterThan(-1);
    expect(rendered.indexOf(`- - ${WILDFLY_INSTALL_PATH}`)).toBeLessThan(rendered.indexOf('- restart\n    - wildfly'));
  });
});

describe('OrderTracking rendered files', () => {
  test('given the database, then the datasource points at its writer with its account and the password reference, XML-escaped', () => {
    const { stack, database } = setup();
    const xml = fileOf(stack, ORDER_TRACKING_DATASOURCE_PATH);
    expect(xml).toContain(`<connection-url>jdbc:mariadb://${database.writerAddress}:3306/popgom</connection-url>`);
    expect(xml).toContain('<user-name>app</user-name>');
    expect(xml).toContain('<password>${replace(replace(replace(var.mysql_app_password, "&", "&amp;"), "<", "&lt;"), ">", "&gt;")}</password>');
    // On the host Terraform has put the escaped password there.
    expect(checkXml(xml.replace(/\$\{[^}]*\}/, 'p&amp;ss&lt;w&gt;rd')).ok).toBe(true);
  });

  test('given the datasource file, then cloud-init writes it root-only and the install script hands it to the wildfly group', () => {
    const { stack, orders } = setup();
    const file = orders.instance.cloudConfig.hostFiles.find((f) => f.path === ORDER_TRACKING_DATASOURCE_PATH)!;
    expect(file.permissions).toBe('0600');
    expect(fileOf(stack, WILDFLY_INSTALL_PATH)).toContain(`chown 'root:wildfly' '${ORDER_TRACKING_DATASOURCE_PATH}'`);
  });

  test('given the planned address, then the unit binds HTTP there and management on 127.0.0.1', () => {
    const { stack, orders } = setup({ httpPort: 8081, managementPort: 9991 });
    expect(fileOf(stack, '/etc/systemd/system/wildfly.service')).toContain(`-b ${orders.address} -Djboss.http.port=8081 -bmanagement 127.0.0.1 -Djboss.management.http.port=9991`);
  });

  test('given 4 GB at 0.6, then standalone.conf fixes the heap at 2457 MB', () => {
    const { stack } = setup({ heapFraction: 0.6 });
    expect(fileOf(stack, '/opt/wildfly/bin/standalone.conf')).toContain('-Xms2457m -Xmx2457m');
  });

  test('given a pinned release, then the install script downloads and verifies it', () => {
    const url = 'https://github.com/wildfly/wildfly/releases/download/31.0.1.Final/wildfly-31.0.1.Final.tar.gz';
    const { stack } = setup({ wildflyVersion: '31.0.1.Final', wildflyTarballUrl: url, wildflySha256: BPM_SHA });
    const script = fileOf(stack, WILDFLY_INSTALL_PATH);
    expect(script).toContain(`fetch_verified '${url}' '${BPM_SHA}' "$TARBALL"`);
    expect(script).toContain('TARBALL="$CACHE/wildfly-31.0.1.Final.tar.gz"');
  });

  test('given every shell file of the host, then bash -n and sh -n accept it', () => {
    const { stack } = setup({ bpmArchive: { url: 'https://x.example.com/bpm.ear', sha256: BPM_SHA } });
    for (const path of [WILDFLY_INSTALL_PATH, '/opt/wildfly/bin/standalone.conf']) {
      expect(checkShellSyntax(fileOf(stack, path)).ok).toBe(true);
    }
  });

  test('given the synthesized stack, then the only ${...} in the server\'s user data is the escaped password reference', () => {
    const { stack } = setup();
    const json = JSON.parse(Testing.synth(stack));
    const instance = Object.values(json.resource.openstack_compute_instance_v2).find((i) => (i as { name: string }).name === 'order-tracking-1') as { user_data: string };
    const references = [...instance.user_data.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]);
    expect(references).toEqual(['replace(replace(replace(var.mysql_app_password, "&", "&amp;"), "<", "&lt;"), ">", "&gt;")']);
  });
});

describe('OrderTracking user data in Terraform', () => {
  test('given the synthesized user data, then Terraform parses its password expression', () => {
    const { stack } = setup();
    const json = JSON.parse(Testing.synth(stack));
    expect(checkTerraformTemplates(json)).toEqual([]);
  });
});
