import { ConfigSyntax } from '../compute/cloud-config';
import { Annotations, Fn } from 'cdktf';
import { Construct } from 'constructs';
import { Flavor } from '../compute/flavor';
import { ServerCluster, ServerInstance } from '../compute/server-cluster';
import { Connections } from '../core/connections';
import { IHttpBackend, IMysqlDatabase } from '../core/endpoints';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { TextKind, requireText } from '../core/text';
import { Port } from '../core/port';
import { IPrivateVSwitch } from '../network/private-vswitch';
import {
  DEBIAN_MARIADB_JDBC_JAR,
  mariadbJdbcUrl,
  renderWildflyDatasource,
  renderWildflyInstallScript,
  renderWildflyServiceUnit,
  renderWildflyStandaloneConf,
  WILDFLY_CACHE_DIR,
  WILDFLY_HOME,
  WILDFLY_USER,
  WildflyDeploymentArchiveModel,
} from './wildfly-config';
import { Kinds, optionalOptions, requirePeer, requireProps } from '../core/peers';

/**
 * WildFly release installed by default: 27.0.1.Final, the first Jakarta EE 10 line, runs on
 * Debian 12's OpenJDK 17. The sha256 is the one Google's click-to-deploy WildFly cookbook pins for
 * this exact tarball URL. Pin a newer release with `wildflyVersion`, `wildflyTarballUrl` and
 * `wildflySha256` together.
 */
export const DEFAULT_WILDFLY_VERSION = '27.0.1.Final';
/** URL of the default WildFly release tarball. */
export const DEFAULT_WILDFLY_TARBALL_URL = `https://download.jboss.org/wildfly/${DEFAULT_WILDFLY_VERSION}/wildfly-${DEFAULT_WILDFLY_VERSION}.tar.gz`;
/** sha256 of {@link DEFAULT_WILDFLY_TARBALL_URL}. */
export const DEFAULT_WILDFLY_SHA256 = 'c72892c996b05bfa78c6c632f1a5d4680523d3efb4c0321fa8485f052e15fba9';

/** Default share of RAM for the JVM heap; metaspace, threads, the OS and page cache take the rest. */
export const DEFAULT_WILDFLY_HEAP_FRACTION = 0.5;

/** Memory kept outside the JVM for the OS, sshd, cloud-init and agents. */
export const WILDFLY_RESERVED_MB = 512;

/** `-XX:MaxMetaspaceSize` of the JVM. */
export const WILDFLY_MAX_METASPACE_MB = 512;

/** Where the datasource of {@link OrderTracking} is written. */
export const ORDER_TRACKING_DATASOURCE_PATH = `${WILDFLY_HOME}/standalone/deployments/order-tracking-ds.xml`;

/** The install script cloud-init runs before starting WildFly. */
export const WILDFLY_INSTALL_PATH = '/usr/local/sbin/hosting-stacks-wildfly-install';

/** The application archive to deploy (the customer's Intalio BPM build). */
export interface BpmArchive {
  /** http(s) URL to download it from. */
  readonly url: string;
  /** Its sha256 (64 hex digits); the download is refused when it differs. */
  readonly sha256: string;
  /** File name in `standalone/deployments`, ending in `.war` or `.ear`. @default - the last segment of the URL */
  readonly fileName?: string;
}

/** Props of {@link OrderTracking}. */
export interface OrderTrackingProps {
  /** The vSwitch the server is on. */
  readonly vswitch: IPrivateVSwitch;
  /** Flavor (the case study's order-tracking row: 2 GHz, 4 GB RAM, 70 GB disk). */
  readonly flavor: Flavor;
  /** The database the BPM engine keeps its state in; the datasource points at its writer. */
  readonly database: IMysqlDatabase;
  /**
   * The BPM application to deploy. Intalio|BPMS is no longer distributed, so the archive is the
   * customer's own build. @default - none: WildFly runs with the datasource only, and synth warns
   */
  readonly bpmArchive?: BpmArchive;
  /** WildFly version; give `wildflyTarballUrl` and `wildflySha256` with it. @default DEFAULT_WILDFLY_VERSION ('27.0.1.Final') */
  readonly wildflyVersion?: string;
  /** URL of the WildFly release tarball. @default - download.jboss.org's tarball of `wildflyVersion` */
  readonly wildflyTarballUrl?: string;
  /** sha256 of the tarball; required when `wildflyVersion` or `wildflyTarballUrl` is given. @default DEFAULT_WILDFLY_SHA256 */
  readonly wildflySha256?: string;
  /** HTTP port on the planned address. @default 8080 */
  readonly httpPort?: number;
  /** Management port, bound to 127.0.0.1 only. @default 9990 */
  readonly managementPort?: number;
  /** Share of RAM for the JVM heap, 0.2 to 0.75. @default 0.5 */
  readonly heapFraction?: number;
  /** Path that answers 200 when the server is healthy. @default '/' (WildFly's welcome page) */
  readonly healthCheckPath?: string;
  /** JNDI name of the datasource. @default 'java:jboss/datasources/OrderTrackingDS' */
  readonly datasourceJndiName?: string;
  /** Database connections the pool may open, 1 to 1000. @default 20 */
  readonly maxPoolSize?: number;
  /** Boot volume size in GB. @default - the flavor's sizing disk, else the flavor's disk */
  readonly bootVolumeGb?: number;
  /** Host name prefix. @default 'order-tracking' */
  readonly hostnamePrefix?: string;
}

const SHA256 = /^[0-9a-fA-F]{64}$/;
const ARCHIVE_NAME = /^[A-Za-z0-9._-]+\.(war|ear)$/;
const VERSION = /^\d+\.\d+\.\d+\.[A-Za-z0-9]+$/;
const JNDI = /^java:[A-Za-z0-9/_.-]+$/;

/**
 * The order-tracking server: one host running WildFly (JBoss's open-source line) with the customer's
 * Intalio BPM application, its state in the MariaDB database.
 *
 * Debian 12 packages no WildFly, so a rendered install script downloads the release tarball, checks
 * its sha256, unpacks it to `/opt/wildfly` and creates the `wildfly` user. Also rendered: the systemd
 * unit (HTTP on the planned address, management on 127.0.0.1), `bin/standalone.conf` with the heap
 * sized from the flavor's RAM, and `order-tracking-ds.xml` in `standalone/deployments`: a datasource
 * on the database writer through Debian's MariaDB Connector/J, whose password is the database's
 * sensitive variable (XML-escaped at apply; WildFly resolves `${...}` in it, so the password must not
 * contain `${`). Deployable `-ds.xml` files are deprecated in WildFly but still supported.
 *
 * The BPM archive is optional: Intalio|BPMS is no longer distributed. Without `bpmArchive` nothing is
 * deployed but the driver and the datasource, and synth prints a warning saying so. Its default child
 * is the server.
 */
export class OrderTracking extends Construct implements IHttpBackend {
  /** The network intent of the server. */
  public readonly connections: Connections;
  /** The server (a cluster of one). */
  public readonly cluster: ServerCluster;
  /** The host. */
  public readonly instance: ServerInstance;
  /** Planned address of the server. */
  public readonly address: string;
  /** HTTP port. */
  public readonly httpPort: number;
  /** Management port (on 127.0.0.1). */
  public readonly managementPort: number;
  /** WildFly version installed. */
  public readonly wildflyVersion: string;
  /** Tarball URL. */
  public readonly wildflyTarballUrl: string;
  /** Tarball sha256 (lower case). */
  public readonly wildflySha256: string;
  /** JVM heap in MB. */
  public readonly heapMb: number;
  /** JNDI name of the datasource. */
  public readonly datasourceJndiName: string;
  /** File name of the deployed BPM archive; undefined when none is deployed. */
  public readonly bpmArchiveFileName?: string;
  /** Member addresses (the one server). */
  public readonly backendAddresses: readonly string[];
  /** Port the server listens on. */
  public readonly backendPort: number;
  /** Health-check path. */
  public readonly healthCheckPath: string;

  constructor(scope: Construct, id: string, props: OrderTrackingProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    requirePeer(this, 'database', props.database, Kinds.MYSQL_DATABASE);
    this.httpPort = props.httpPort ?? 8080;
    requireIntegerInRange(this, 'httpPort', this.httpPort, 1, 65535);
    this.managementPort = props.managementPort ?? 9990;
    requireIntegerInRange(this, 'managementPort', this.managementPort, 1, 65535);
    if (this.managementPort === this.httpPort) {
      throw new HostingStacksError(this, 'managementPort', this.managementPort, "must differ from 'httpPort'");
    }
    const maxPoolSize = props.maxPoolSize ?? 20;
    requireIntegerInRange(this, 'maxPoolSize', maxPoolSize, 1, 1000);
    const heapFraction = props.heapFraction ?? DEFAULT_WILDFLY_HEAP_FRACTION;
    if (!Number.isFinite(heapFraction) || heapFraction < 0.2 || heapFraction > 0.75) {
      throw new HostingStacksError(this, 'heapFraction', heapFraction, 'must be a share of RAM from 0.2 to 0.75');
    }
    this.healthCheckPath = requireText(this, 'healthCheckPath', props.healthCheckPath ?? '/', TextKind.URL_PATH);
    this.datasourceJndiName = props.datasourceJndiName ?? 'java:jboss/datasources/OrderTrackingDS';
    if (!JNDI.test(this.datasourceJndiName)) {
      throw new HostingStacksError(this, 'datasourceJndiName', this.datasourceJndiName, "must be a JNDI name such as 'java:jboss/datasources/OrderTrackingDS'");
    }

    const custom = props.wildflyVersion !== undefined || props.wildflyTarballUrl !== undefined;
    if (custom && props.wildflySha256 === undefined) {
      throw new HostingStacksError(this, 'wildflySha256', undefined, "is required when 'wildflyVersion' or 'wildflyTarballUrl' is given: the tarball is only installed when its sha256 matches");
    }
    this.wildflyVersion = props.wildflyVersion ?? DEFAULT_WILDFLY_VERSION;
    if (!VERSION.test(this.wildflyVersion)) {
      throw new HostingStacksError(this, 'wildflyVersion', this.wildflyVersion, "must be a WildFly release such as '27.0.1.Final'");
    }
    this.wildflyTarballUrl = props.wildflyTarballUrl
      ?? `https://download.jboss.org/wildfly/${this.wildflyVersion}/wildfly-${this.wildflyVersion}.tar.gz`;
    requireUrl(this, 'wildflyTarballUrl', this.wildflyTarballUrl);
    this.wildflySha256 = requireSha256(this, 'wildflySha256', props.wildflySha256 ?? DEFAULT_WILDFLY_SHA256);

    const archives: WildflyDeploymentArchiveModel[] = [];
    const bpmArchive = optionalOptions<BpmArchive>(this, 'bpmArchive', props.bpmArchive, ['url', 'sha256', 'fileName']);
    if (bpmArchive) {
      requireUrl(this, 'bpmArchive.url', bpmArchive.url);
      const sha256 = requireSha256(this, 'bpmArchive.sha256', bpmArchive.sha256);
      const fileName = bpmArchive.fileName ?? bpmArchive.url.replace(/[?#].*$/, '').split('/').pop() ?? '';
      if (!ARCHIVE_NAME.test(fileName)) {
        throw new HostingStacksError(this, 'bpmArchive.fileName', fileName, "must be a file name ending in '.war' or '.ear' (letters, digits, '.', '_', '-')");
      }
      archives.push({ url: bpmArchive.url, sha256, fileName });
      this.bpmArchiveFileName = fileName;
    } else {
      Annotations.of(this).addWarning(
        `no 'bpmArchive' given, so no BPM application is deployed (Intalio|BPMS is no longer distributed; give the customer's archive URL and sha256)`,
      );
    }

    this.cluster = new ServerCluster(this, 'Server', {
      vswitch: props.vswitch,
      count: 1,
      flavor: props.flavor,
      bootVolumeGb: props.bootVolumeGb,
      hostnamePrefix: props.hostnamePrefix ?? 'order-tracking',
    });
    this.connections = this.cluster.connections;
    this.instance = this.cluster.instances[0];
    this.node.defaultChild = this.instance.resource;
    this.address = this.instance.address;
    this.backendAddresses = [this.address];
    this.backendPort = this.httpPort;

    const ramMb = this.cluster.flavor.ramGb * 1024;
    this.heapMb = Math.floor(ramMb * heapFraction);
    if (this.heapMb + WILDFLY_MAX_METASPACE_MB + WILDFLY_RESERVED_MB > ramMb) {
      throw new HostingStacksError(this, 'heapFraction', heapFraction,
        `leaves no room outside the heap: ${this.heapMb} MB heap + ${WILDFLY_MAX_METASPACE_MB} MB metaspace + ${WILDFLY_RESERVED_MB} MB for the OS exceed the flavor's ${ramMb} MB`);
    }

    props.database.connections.allowFrom(this, Port.tcp(props.database.port), `${this.node.path}: WildFly datasource`);
    props.database.addClient?.({ client: this, servers: 1, connectionsPerServer: maxPoolSize, bound: 'WildFly datasource max-pool-size' });

    const driverName = 'mariadb-java-client.jar';
    const cc = this.instance.cloudConfig;
    cc.addPackages('openjdk-17-jre-headless', 'libmariadb-java', 'curl', 'ca-certificates');
    cc.addFile({
      path: `${WILDFLY_HOME}/bin/standalone.conf`,
      content: renderWildflyStandaloneConf({ heapMb: this.heapMb, maxMetaspaceMb: WILDFLY_MAX_METASPACE_MB }),
      syntax: ConfigSyntax.SHELL,
    });
    cc.addFile({
      path: ORDER_TRACKING_DATASOURCE_PATH,
      content: renderWildflyDatasource({
        jndiName: this.datasourceJndiName,
        poolName: 'OrderTrackingDS',
        connectionUrl: mariadbJdbcUrl(props.database.writerAddress, props.database.port, props.database.databaseName),
        driverName,
        userName: props.database.applicationUser,
        password: xmlEscaped(props.database.applicationPassword.value),
        minPoolSize: Math.min(2, maxPoolSize),
        maxPoolSize,
      }),
      permissions: '0600',
      syntax: ConfigSyntax.XML,
    });
    cc.addFile({
      path: '/etc/systemd/system/wildfly.service',
      content: renderWildflyServiceUnit({
        version: this.wildflyVersion,
        home: WILDFLY_HOME,
        user: WILDFLY_USER,
        bindAddress: this.address,
        httpPort: this.httpPort,
        managementAddress: '127.0.0.1',
        managementPort: this.managementPort,
      }),
      syntax: ConfigSyntax.SYSTEMD_UNIT,
    });
    cc.addFile({
      path: WILDFLY_INSTALL_PATH,
      syntax: ConfigSyntax.SHELL,
      content: renderWildflyInstallScript({
        version: this.wildflyVersion,
        tarballUrl: this.wildflyTarballUrl,
        sha256: this.wildflySha256,
        home: WILDFLY_HOME,
        cacheDir: WILDFLY_CACHE_DIR,
        user: WILDFLY_USER,
        jdbcDriverJar: DEBIAN_MARIADB_JDBC_JAR,
        jdbcDriverName: driverName,
        datasourceFiles: [ORDER_TRACKING_DATASOURCE_PATH],
        archives,
      }),
      permissions: '0700',
    });
    cc.addPreServiceCommand(WILDFLY_INSTALL_PATH);
    cc.addServices('wildfly');
  }
}

/** The value with `&`, `<` and `>` escaped for XML text, as a Terraform expression resolved at apply. */
function xmlEscaped(value: string): string {
  return Fn.replace(Fn.replace(Fn.replace(value, '&', '&amp;'), '<', '&lt;'), '>', '&gt;');
}

function requireUrl(scope: Construct, prop: string, url: string): void {
  requireText(scope, prop, url, TextKind.HTTP_URL);
}

function requireSha256(scope: Construct, prop: string, sha256: string): string {
  if (!SHA256.test(sha256)) throw new HostingStacksError(scope, prop, sha256, 'must be 64 hexadecimal digits');
  return sha256.toLowerCase();
}
