import { ConfigSyntax } from '../compute/cloud-config';
import { Fn, Lazy } from 'cdktf';
import { Construct } from 'constructs';
import { Flavor } from '../compute/flavor';
import { IServerTier, ServerCluster, scalableTierAddressCapacity, TierWorkers, resolveCounts } from '../compute/server-cluster';
import { Connections } from '../core/connections';
import { IHttpBackend, IMysqlDatabase, readEndpointOf } from '../core/endpoints';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { IpProtocol, Port } from '../core/port';
import { IPrivateVSwitch } from '../network/private-vswitch';
import {
  renderTomcatContextXml,
  renderTomcatDefaults,
  renderTomcatHealthJsp,
  renderTomcatHealthWebXml,
  renderTomcatServerXml,
  TOMCAT_DEFAULT_ACCEPT_COUNT,
  TOMCAT_DEFAULT_MAX_THREADS,
  TomcatDataSource,
} from './tomcat-config';
import { kebabCase } from '../core/naming';
import { healthCheckPathRule, requireText, requireTextRule, TextKind } from '../core/text';
import { describeValue, Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';

/** Default share of the instance's RAM given to the Java heap; the rest is metaspace, thread stacks, code cache, direct buffers and the OS. */
export const DEFAULT_HEAP_FRACTION = 0.5;

/** Default size of the JDBC pool per server: 2 servers x 50 stays under MariaDB's default max_connections of 151. */
export const DEFAULT_DATABASE_POOL_SIZE = 50;

/** Debian 12 paths of the `tomcat10` package. */
export const TOMCAT_PATHS = {
  serverXml: '/etc/tomcat10/server.xml',
  defaults: '/etc/default/tomcat10',
  contextDir: '/etc/tomcat10/Catalina/localhost',
  webapps: '/var/lib/tomcat10/webapps',
  lib: '/var/lib/tomcat10/lib',
  /** The MariaDB Connector/J jar of the Debian package `libmariadb-java`. */
  mariadbDriverJar: '/usr/share/java/mariadb-java-client.jar',
} as const;

/** JNDI name of the application's DataSource (`java:comp/env/jdbc/app`). */
export const APP_DATASOURCE_JNDI_NAME = 'jdbc/app';

/** JNDI name of the health page's own DataSource (in the ROOT context). */
export const HEALTH_DATASOURCE_JNDI_NAME = 'jdbc/health';

/** The health page's JSP, inside the ROOT web application (under WEB-INF: only its mapping serves it). */
export const HEALTH_JSP_PATH = '/WEB-INF/hosting-stacks-health.jsp';

/** Names `databases` may not take: the application's own `database` and the health page's pools. */
const RESERVED_DATABASE_NAMES = ['app', 'health'];

/** Most databases in `databases`. */
export const MAX_APP_DATABASES = 8;

/** Seconds the health page waits for a connection and for `SELECT 1`. */
export const HEALTH_QUERY_TIMEOUT_SECONDS = 2;

/** Props of {@link AppTier}. */
export interface AppTierProps {
  /** The vSwitch the servers are on. */
  readonly vswitch: IPrivateVSwitch;
  /** Number of Tomcat servers. */
  readonly count: number;
  /** Fewest servers the count variable accepts (see ServerCluster). @default - count */
  readonly minCount?: number;
  /** Most servers; all are planned and health-checked by the balancers, the count variable decides how many exist. @default - count */
  readonly maxCount?: number;
  /**
   * Planned addresses kept for the servers on the vSwitch: growing up to it moves no other server's
   * address (see ServerCluster's `addressCapacity`). @default SCALABLE_TIER_ADDRESS_CAPACITY (10)
   */
  readonly addressCapacity?: number;
  /** Flavor of the servers; the Java heap is sized from its RAM. */
  readonly flavor: Flavor;
  /** TCP port of Tomcat's HTTP connector. @default 8080 */
  readonly port?: number;
  /** Share of the flavor's RAM given to the Java heap (-Xms = -Xmx), from 0.1 to 0.9. @default DEFAULT_HEAP_FRACTION (0.5) */
  readonly heapFraction?: number;
  /**
   * The database the application uses; adds a JNDI DataSource `jdbc/app` and opens its port to this
   * tier. A database with a read endpoint of its own (a `HaproxyBalancer.addDatabase` route) also
   * gets `jdbc/app-read` there, and the health page then asks the read endpoint: a primary down
   * leaves the servers serving reads instead of taking them all out. @default - no database
   */
  readonly database?: IMysqlDatabase;
  /**
   * More databases the application uses, by name (a lower-case letter, then lower-case letters,
   * digits or '_'; not 'app' or 'health'): each a DataSource `jdbc/<name>` (and `jdbc/<name>-read`
   * where it has a read endpoint) with a pool of `databasePoolSize`, its ports opened to this tier.
   * Needs `database`. The health page reports each on a line of its own but does not fail on one:
   * every server shares them, so an outage of one would take every server out, and with them what
   * does not need that database. @default - none
   */
  readonly databases?: Readonly<Record<string, IMysqlDatabase>>;
  /** Context path of the application (`/` for the root application, or `/shop`). @default '/' */
  readonly contextPath?: string;
  /**
   * The health page of the ROOT web application under `/var/lib/tomcat10/webapps/ROOT` (a ROOT.war
   * that replaces that folder must carry its files). With a `database`, a JSP mapped there by
   * `WEB-INF/web.xml` answers 200 only when `SELECT 1` succeeds through its own one-connection
   * DataSource `jdbc/health`, else 503; without one, a static file answers 200 while Tomcat runs.
   * @default '/healthz'
   */
  readonly healthCheckPath?: string;
  /** Request-processing threads per server. @default TOMCAT_DEFAULT_MAX_THREADS (200) */
  readonly maxThreads?: number;
  /** Connections queued when every thread is busy. @default TOMCAT_DEFAULT_ACCEPT_COUNT (100) */
  readonly acceptCount?: number;
  /** Connections of the JDBC pool per server. @default DEFAULT_DATABASE_POOL_SIZE (50) */
  readonly databasePoolSize?: number;
  /** Host name prefix; hosts are `<prefix>-1`, `<prefix>-2`, ... @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
}

/**
 * The application servers: Tomcat 10 (Debian 12 `tomcat10`) on a {@link ServerCluster}, serving
 * HTTP to the web tier on each server's planned address. The Java heap is sized from the flavor's
 * RAM, X-Forwarded-For is believed only from the constructs allowed in on the connector port (the
 * web tier, through `allowFrom`), and a database given in props becomes a JNDI DataSource whose
 * password is a Terraform reference.
 */
export class AppTier extends Construct implements IServerTier, IHttpBackend {
  /** The servers. */
  public readonly cluster: ServerCluster;
  /** The network intent of the servers. */
  public readonly connections: Connections;
  /** TCP port of the HTTP connector. */
  public readonly backendPort: number;
  /** Path answering 200 while Tomcat runs. */
  public readonly healthCheckPath: string;
  /** Share of the RAM given to the heap. */
  public readonly heapFraction: number;
  /** Java heap per server in MB (-Xms and -Xmx). */
  public readonly heapMb: number;
  /** Context path of the application (`/` or `/shop`). */
  public readonly contextPath: string;
  /** Request-processing threads per server. */
  public readonly maxThreads: number;

  /** The Tomcat threads of each server: its capacity ({@link IServerTier.workers}). */
  public get workers(): TierWorkers {
    return { perServer: this.maxThreads, what: 'Tomcat threads' };
  }
  /** Connections queued when every thread is busy. */
  public readonly acceptCount: number;
  /** The database, when one was given. */
  public readonly database?: IMysqlDatabase;
  /** The other databases, by name. */
  public readonly databases: Readonly<Record<string, IMysqlDatabase>>;
  /** Host path of the context file holding the DataSource. */
  public readonly contextFilePath: string;
  /** Host path of the health page's file: the JSP with a database, the static file without. */
  public readonly healthCheckFilePath: string;

  constructor(scope: Construct, id: string, props: AppTierProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    optionalPeer(this, 'database', props.database, Kinds.MYSQL_DATABASE);
    this.databases = requireDatabases(this, props.databases, props.database !== undefined);
    resolveCounts(this, props);
    this.backendPort = props.port ?? 8080;
    requireIntegerInRange(this, 'port', this.backendPort, 1, 65535);
    this.heapFraction = props.heapFraction ?? DEFAULT_HEAP_FRACTION;
    if (!Number.isFinite(this.heapFraction) || this.heapFraction < 0.1 || this.heapFraction > 0.9) {
      throw new HostingStacksError(this, 'heapFraction', this.heapFraction, 'must be a number from 0.1 to 0.9 (the rest of the RAM is for metaspace, thread stacks and the OS)');
    }
    this.maxThreads = props.maxThreads ?? TOMCAT_DEFAULT_MAX_THREADS;
    requireIntegerInRange(this, 'maxThreads', this.maxThreads, 1, 10000);
    this.acceptCount = props.acceptCount ?? TOMCAT_DEFAULT_ACCEPT_COUNT;
    requireIntegerInRange(this, 'acceptCount', this.acceptCount, 0, 65535);
    const poolSize = props.databasePoolSize ?? DEFAULT_DATABASE_POOL_SIZE;
    requireIntegerInRange(this, 'databasePoolSize', poolSize, 1, 10000);
    this.contextPath = normaliseContextPath(this, props.contextPath ?? '/');
    this.healthCheckPath = props.healthCheckPath ?? '/healthz';
    requireTextRule(this, 'healthCheckPath', this.healthCheckPath, healthCheckPathRule());
    if (this.contextPath !== '/' && (this.healthCheckPath === this.contextPath || this.healthCheckPath.startsWith(`${this.contextPath}/`))) {
      throw new HostingStacksError(this, 'healthCheckPath', this.healthCheckPath,
        `must lie outside the application's context path '${this.contextPath}': it is a static file of the ROOT web application`);
    }

    this.cluster = new ServerCluster(this, 'Servers', {
      vswitch: props.vswitch,
      count: props.count,
      minCount: props.minCount,
      maxCount: props.maxCount,
      addressCapacity: scalableTierAddressCapacity(this, props.addressCapacity, props.maxCount ?? props.count, props.maxCount !== undefined ? 'maxCount' : 'count'),
      flavor: props.flavor,
      hostnamePrefix: props.hostnamePrefix ?? kebabCase(id),
    });
    this.connections = this.cluster.connections;
    this.heapMb = Math.floor(this.cluster.flavor.ramGb * 1024 * this.heapFraction);

    this.database = props.database;
    // Sized for the tier's address capacity, not its count: growing the tier must not reconfigure the database.
    const servers = this.cluster.addressCapacity;
    const named: [string, IMysqlDatabase][] = [...(props.database ? [['app', props.database] as [string, IMysqlDatabase]] : []), ...Object.entries(this.databases)];
    for (const [name, database] of named) {
      const what = name === 'app' ? 'its database' : `its database '${name}'`;
      database.connections.allowFrom(this, Port.tcp(database.port), `${this.node.path} to ${what}`);
      database.addClient?.({ client: this, servers, connectionsPerServer: poolSize, bound: name === 'app' ? 'Tomcat JDBC pool maxTotal, servers up to the address capacity' : `Tomcat JDBC pool maxTotal of jdbc/${name}, servers up to the address capacity` });
      const reads = readEndpointOf(database);
      if (reads) {
        reads.allowReadsFrom(this);
        database.addClient?.({ client: this, servers, connectionsPerServer: poolSize, bound: `Tomcat JDBC pool maxTotal of jdbc/${name}-read, servers up to the address capacity` });
      }
      database.addClient?.({ client: this, servers, connectionsPerServer: 1, bound: name === 'app' ? 'health page DataSource, servers up to the address capacity' : `health page DataSource of '${name}', servers up to the address capacity` });
    }

    const contextName = this.contextPath === '/' ? 'ROOT' : this.contextPath.slice(1).split('/').join('#');
    this.contextFilePath = `${TOMCAT_PATHS.contextDir}/${contextName}.xml`;
    this.healthCheckFilePath = props.database ? `${TOMCAT_PATHS.webapps}/ROOT${HEALTH_JSP_PATH}` : `${TOMCAT_PATHS.webapps}/ROOT${this.healthCheckPath}`;
    const internalProxies = Lazy.stringValue({ produce: () => this.trustedProxyPattern() });

    this.cluster.configureHosts((host) => {
      const cc = host.cloudConfig;
      cc.addPackages('tomcat10', 'default-jre-headless');
      cc.addFile({
        path: TOMCAT_PATHS.serverXml,
        syntax: ConfigSyntax.XML,
        owner: 'root:tomcat',
        permissions: '0640',
        content: renderTomcatServerXml({
          address: host.address,
          port: this.backendPort,
          maxThreads: this.maxThreads,
          minSpareThreads: Math.min(10, this.maxThreads),
          acceptCount: this.acceptCount,
          // NIO keeps idle keep-alive connections without a thread; Tomcat's own default.
          maxConnections: 8192,
          connectionTimeoutMs: 20000,
          internalProxies,
          hostName: 'localhost',
          appBase: 'webapps',
          accessLogDirectory: 'logs',
          accessLogPattern: '%a %l %u %t "%r" %s %b %D "%{Referer}i" "%{User-Agent}i"',
        }),
      });
      cc.addFile({
        path: TOMCAT_PATHS.defaults,
        syntax: ConfigSyntax.SHELL,
        content: renderTomcatDefaults({ heapMb: this.heapMb, extraJavaOptions: ['-XX:+UseG1GC'] }),
      });
      if (props.database) {
        cc.addPackages('libmariadb-java');
        // Tomcat's common class loader reads CATALINA_BASE/lib; the container-managed pool needs the driver there.
        cc.addPreServiceCommand('ln', '-sf', TOMCAT_PATHS.mariadbDriverJar, `${TOMCAT_PATHS.lib}/mariadb-java-client.jar`);
        // The health page's own pool lives in the ROOT context: the application's context file when
        // the application is ROOT, its own ROOT.xml otherwise.
        const application = named.flatMap(([name, database]) => dataSourcesFor(name, database, poolSize));
        const health = named.map(([name, database]) => healthDataSourceFor(name, database));
        const contexts = contextName === 'ROOT' ? [{ path: this.contextFilePath, dataSources: [...application, ...health] }]
          : [{ path: this.contextFilePath, dataSources: application }, { path: `${TOMCAT_PATHS.contextDir}/ROOT.xml`, dataSources: health }];
        for (const context of contexts) {
          cc.addFile({ path: context.path, owner: 'root:tomcat', permissions: '0640', syntax: ConfigSyntax.XML, content: renderTomcatContextXml({ dataSources: context.dataSources }) });
        }
        cc.addFile({
          path: `${TOMCAT_PATHS.webapps}/ROOT/WEB-INF/web.xml`,
          owner: 'root:tomcat',
          syntax: ConfigSyntax.XML,
          content: renderTomcatHealthWebXml({ path: this.healthCheckPath, jspPath: HEALTH_JSP_PATH, jndiName: HEALTH_DATASOURCE_JNDI_NAME, reportedJndiNames: health.slice(1).map((d) => d.name) }),
        });
        cc.addFile({
          path: this.healthCheckFilePath,
          owner: 'root:tomcat',
          content: renderTomcatHealthJsp({ jndiName: HEALTH_DATASOURCE_JNDI_NAME, timeoutSeconds: HEALTH_QUERY_TIMEOUT_SECONDS, reported: named.slice(1).map(([name], i) => ({ name, jndiName: health[i + 1].name })) }),
        });
      } else {
        cc.addFile({ path: this.healthCheckFilePath, owner: 'tomcat:tomcat', content: 'ok\n' });
      }
      cc.addServices('tomcat10');
    });
  }

  /** The servers' planned addresses. */
  public get backendAddresses(): readonly string[] {
    return this.cluster.addresses;
  }

  /**
   * The RemoteIpValve `internalProxies` regular expression: the planned addresses of every
   * construct allowed in on the connector port (the web tier, once it declared `allowFrom`).
   */
  public trustedProxyPattern(): string {
    const addresses = new Set<string>();
    for (const rule of this.connections.ingressRules) {
      const p = rule.port;
      const coversPort = p.protocol === IpProtocol.TCP && p.fromPort! <= this.backendPort && this.backendPort <= p.toPort!;
      const group = rule.source.connections;
      if (!coversPort || group === undefined || group === this.connections) continue;
      for (const a of group.addresses) addresses.add(a);
    }
    return [...addresses].sort().map((a) => a.replace(/\./g, '\\.')).join('|');
  }
}

/**
 * The health page's pool of the database named `name` ('app': the application's own): one
 * connection, a short wait, so a database that does not answer fails the check fast. It asks the
 * read endpoint where the database has one.
 */
function healthDataSourceFor(name: string, database: IMysqlDatabase): TomcatDataSource {
  const reads = readEndpointOf(database);
  return {
    ...dataSourceFor(database, 1, reads ? { address: reads.readerAddress, port: reads.readPort } : undefined),
    name: name === 'app' ? HEALTH_DATASOURCE_JNDI_NAME : `${HEALTH_DATASOURCE_JNDI_NAME}-${name}`,
    maxIdle: 1,
    maxWaitMillis: HEALTH_QUERY_TIMEOUT_SECONDS * 1000,
  };
}

/** The application's DataSources of the database named `name`: `jdbc/<name>`, and `jdbc/<name>-read` on its read endpoint. */
function dataSourcesFor(name: string, database: IMysqlDatabase, poolSize: number): TomcatDataSource[] {
  const jndi = name === 'app' ? APP_DATASOURCE_JNDI_NAME : `jdbc/${name}`;
  const reads = readEndpointOf(database);
  return [
    { ...dataSourceFor(database, poolSize), name: jndi },
    ...(reads ? [{ ...dataSourceFor(database, poolSize, { address: reads.readerAddress, port: reads.readPort }), name: `${jndi}-read` }] : []),
  ];
}

/** A DataSource of `database` at its writer, or at `endpoint`, with the password escaped for XML by Terraform at apply. */
function dataSourceFor(database: IMysqlDatabase, poolSize: number, endpoint?: { readonly address: string; readonly port: number }): TomcatDataSource {
  return {
    name: APP_DATASOURCE_JNDI_NAME,
    driverClassName: 'org.mariadb.jdbc.Driver',
    url: `jdbc:mariadb://${endpoint?.address ?? database.writerAddress}:${endpoint?.port ?? database.port}/${database.databaseName}`,
    username: database.applicationUser,
    password: database.applicationPassword.derived('xml', xmlEscapedAtApply),
    maxTotal: poolSize,
    maxIdle: Math.min(10, poolSize),
    maxWaitMillis: 10000,
    validationQuery: 'SELECT 1',
  };
}

/** Wraps a Terraform string reference so its value is XML-escaped when Terraform resolves it. */
export function xmlEscapedAtApply(reference: string): string {
  let v = reference;
  for (const [c, e] of [['&', '&amp;'], ['<', '&lt;'], ['>', '&gt;'], ['"', '&quot;'], ["'", '&apos;']] as const) {
    v = Fn.replace(v, Fn.rawString(c), Fn.rawString(e));
  }
  return v;
}

/** The `databases` prop, checked: names, peers, and `database` given beside them. */
function requireDatabases(scope: Construct, value: unknown, hasMain: boolean): Readonly<Record<string, IMysqlDatabase>> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HostingStacksError(scope, 'databases', describeValue(value), `must be an object of up to ${MAX_APP_DATABASES} databases by name, e.g. { partners: route }`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_APP_DATABASES) {
    throw new HostingStacksError(scope, 'databases', `${entries.length} databases`, `must hold at most ${MAX_APP_DATABASES}`);
  }
  if (entries.length > 0 && !hasMain) {
    throw new HostingStacksError(scope, 'databases', entries.map(([n]) => n).join(', '), "needs 'database' too: the health page checks the application's own database and reports these");
  }
  const out: Record<string, IMysqlDatabase> = {};
  for (const [name, database] of entries) {
    requireText(scope, 'databases', name, TextKind.NAME, {
      pattern: /^[a-z][a-z0-9_]{0,30}$/,
      reserved: RESERVED_DATABASE_NAMES,
      allowed: "must be a name of a lower-case letter, then up to 30 lower-case letters, digits or '_', not 'app' or 'health' (it becomes the JNDI name jdbc/<name>)",
    });
    out[name] = requirePeer(scope, `databases.${name}`, database, Kinds.MYSQL_DATABASE);
  }
  return out;
}

function normaliseContextPath(scope: Construct, path: string): string {
  if (path === '/' || path === '') return '/';
  return requireText(scope, 'contextPath', path, TextKind.ABSOLUTE_PATH, {
    test: (p) => p.toUpperCase() !== '/ROOT',
    allowed: "must be '/' or an absolute path of letters, digits, '.', '_' and '-' segments without a trailing '/' (e.g. '/shop')",
  });
}

