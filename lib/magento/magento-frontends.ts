import { Construct, IConstruct } from 'constructs';
import { HealthCheck } from '../balancing/health-check';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor } from '../compute/flavor';
import { DeploymentServer } from '../app/deployment-server';
import { IServerTier, ServerCluster, scalableTierAddressCapacity, TierWorkers, resolveCounts } from '../compute/server-cluster';
import { Connections } from '../core/connections';
import { IHttpBackend, IMysqlDatabase, IRedisEndpoint, ISolrEndpoint } from '../core/endpoints';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { requireEnumValue } from '../core/choices';
import { parseCidr } from '../core/ipv4';
import { Port } from '../core/port';
import { Secret } from '../core/secret';
import { xmlEscapedAtApply } from '../app/app-tier';
import { IPrivateVSwitch } from '../network/private-vswitch';
import { INfsShare } from '../storage/nfs';
import { apacheMpmLimitsForRam, ApacheMpmEventLimits, APACHE_THREADS_PER_CHILD, DEBIAN_APACHE_MODULES_DIR } from '../web/apache-config';
import {
  APACHE_THREADS_PER_PHP_CHILD,
  MAGENTO_OPCACHE_MAX_FILES,
  MAGENTO_OPCACHE_MEMORY_MB,
  MAGENTO_PHP_CHILD_MB,
  MAGENTO_SYSTEM_RESERVED_MB,
  MagentoApacheConfig,
  PhpFpmProcessManager,
  phpFpmSizingForRam,
  PhpVersion,
  renderMagentoApacheConfig,
  renderMagentoHealthScript,
  renderMagentoInstallPath,
  renderMagentoInstallScript,
  renderMagentoInstallService,
  invalidMagentoInstallValue,
  MagentoInstallScript,
  renderMagentoLocalXml,
  renderMagentoPhpIni,
  renderMagentoReleaseScript,
  renderPhpFpmConfig,
  renderPhpFpmPoolConfig,
  urlEncodedAtApply,
  xmlEscape,
} from './magento-config';
import { kebabCase } from '../core/naming';
import { healthCheckPathRule, requireText, requireTextRule, TextKind } from '../core/text';
import { brand, hasBrand, Kinds, optionalPeer, requirePeer, requireProps, requireSameStack } from '../core/peers';

/** Magento's document root on the front-ends. */
export const MAGENTO_DOCUMENT_ROOT = '/var/www/magento';

/**
 * `global/install/date` of local.xml. Magento only checks that the value parses as a date (it
 * means "installed"); the date itself is not used.
 */
export const MAGENTO_DEFAULT_INSTALL_DATE = 'Thu, 01 Jan 2015 00:00:00 +0000';

/** Folders under the document root that are never served (Magento ships a "Deny from all" .htaccess in each). */
export const MAGENTO_DENIED_DIRECTORIES: readonly string[] = [
  'app', 'downloader', 'includes', 'lib', 'pkginfo', 'shell', 'var', 'vendor', 'dev', 'media/downloadable', 'media/customer', 'media/import',
];

/** Where the front-ends' Magento code comes from. */
export abstract class MagentoCode {
  /** True when `x` is a {@link MagentoCode} (a `Symbol.for` brand: look-alike objects are not). */
  public static isMagentoCode(x: unknown): x is MagentoCode {
    return hasBrand(x, 'MagentoCode');
  }

  protected constructor() {
    brand(this, 'MagentoCode');
  }

  /**
   * A pinned release archive (`.zip` or `.tar.gz`), e.g. OpenMage LTS's release zip (built with
   * `composer install --no-dev`, so vendor/ is included), installed by every front-end on first
   * boot before PHP starts, after its SHA-256 matched. New front-ends added by scaling install the
   * same release with no pipeline run.
   */
  public static release(props: { readonly url: string; readonly sha256: string }): MagentoCode {
    return new ReleaseCode(props.url, props.sha256);
  }

  /**
   * The deployment VM (CI/CD) pushes the code to every front-end that exists: its pipeline runs
   * `hosting-stacks-deploy BUILD_DIR` there as the deploy user, which rsyncs the build to
   * `/var/www/magento` over SSH (not `app/etc/local.xml`, `media/` nor `var/`), then reloads
   * PHP-FPM (OPcache does not look for changed files) and runs the schema installer. The front-ends
   * authorize the deploy key from `deployer`'s address only, and admit SSH from it only; a new
   * front-end takes no traffic until the pipeline has deployed to it (its health path answers 503
   * without the code and schema).
   */
  public static fromPipeline(deployer: DeploymentServer): MagentoCode {
    return new PipelineCode(deployer);
  }

  /** The release installed on first boot, if any. */
  public abstract get releaseArchive(): { readonly url: string; readonly sha256: string } | undefined;
  /** The deployment server that pushes code over SSH, if any. */
  public abstract get deployer(): DeploymentServer | undefined;
}

class ReleaseCode extends MagentoCode {
  constructor(private readonly url: string, private readonly sha256: string) {
    super();
  }
  public get releaseArchive() {
    return { url: this.url, sha256: this.sha256 };
  }
  public get deployer(): DeploymentServer | undefined {
    return undefined;
  }
}

class PipelineCode extends MagentoCode {
  constructor(private readonly pusher: DeploymentServer) {
    super();
  }
  public get releaseArchive() {
    return undefined;
  }
  public get deployer(): DeploymentServer | undefined {
    return this.pusher;
  }
}

/** Props of {@link MagentoFrontends}. */
export interface MagentoFrontendsProps {
  /** The vSwitch of the private access layer the front-ends sit on. */
  readonly vswitch: IPrivateVSwitch;
  /** Front-ends running by default: the baseline of the count variable when the tier scales. */
  readonly count: number;
  /** Fewest front-ends the count variable accepts. @default - count */
  readonly minCount?: number;
  /**
   * Most front-ends the tier may scale to. All of them are planned at synth (addresses, configs,
   * balancer members with health checks); the ones above `minCount` exist while the Terraform
   * variable asks for them. @default - count
   */
  readonly maxCount?: number;
  /**
   * Planned addresses kept for the servers on the vSwitch: growing up to it moves no other server's
   * address (see ServerCluster's `addressCapacity`). @default SCALABLE_TIER_ADDRESS_CAPACITY (10)
   */
  readonly addressCapacity?: number;
  /** Flavor of the front-ends; PHP-FPM's pool is sized from its RAM. */
  readonly flavor: Flavor;
  /** Where the code comes from: `MagentoCode.release({ url, sha256 })` or `MagentoCode.fromPipeline(deployVm)`. */
  readonly code: MagentoCode;
  /** The shop's database (Magento's `default_setup` connection goes to its writer). */
  readonly database: IMysqlDatabase;
  /** The Redis server holding the sessions (Cm_RedisSession). */
  readonly sessions: IRedisEndpoint;
  /** The Redis server holding Magento's cache (Cm_Cache_Backend_Redis), shared by every node. @default - the sessions server, database `cacheDatabase` */
  readonly cache?: IRedisEndpoint;
  /** The Solr server of the site search; its port is opened to the front-ends (the search extension is configured in the admin). @default - no search server */
  readonly search?: ISolrEndpoint;
  /** The NFS share mounted at `/var/www/magento/media`. @default - media on each front-end's disk */
  readonly media?: INfsShare;
  /** Public base URL of the shop; its host name becomes Apache's `ServerName`. */
  readonly baseUrl: string;
  /** Magento's encryption key (`global/crypt/key`), the same on every node. A Secret made by Secret.variable only; a string or a look-alike object is refused. @default Secret.variable(this, 'magento_crypt_key', ...) */
  readonly cryptKey?: Secret;
  /** PHP version. @default PhpVersion.PHP_8_2 */
  readonly phpVersion?: PhpVersion;
  /** TCP port Apache listens on. @default 80 */
  readonly httpPort?: number;
  /**
   * Path the balancer checks, answered by the health script through Apache and PHP-FPM: 200 only
   * when the front-end has the shop's code, the shop is installed in its database and the session
   * store answers, 503 otherwise. @default '/healthz'
   */
  readonly healthCheckPath?: string;
  /** PHP-FPM process manager. @default PhpFpmProcessManager.STATIC (dedicated servers: no fork at peaks) */
  readonly processManager?: PhpFpmProcessManager;
  /** Memory kept for the system and Apache, in MB. @default MAGENTO_SYSTEM_RESERVED_MB (768) */
  readonly systemReservedMb?: number;
  /** Memory budgeted per PHP-FPM child, in MB. @default MAGENTO_PHP_CHILD_MB (128) */
  readonly phpChildMb?: number;
  /** Requests a PHP-FPM child serves before it is replaced. @default 500 */
  readonly maxRequestsPerChild?: number;
  /** PHP `memory_limit` of one request, in MB. @default 512 */
  readonly memoryLimitMb?: number;
  /** Seconds a request may run (PHP, PHP-FPM and Apache's wait). @default 60 */
  readonly requestTimeoutSeconds?: number;
  /** OPcache shared memory in MB. @default MAGENTO_OPCACHE_MEMORY_MB (256) */
  readonly opcacheMemoryMb?: number;
  /**
   * Let OPcache look for changed PHP files every 60 s. @default false: code only changes by a
   * deployment, which reloads PHP-FPM; not checking saves a stat() per included file per request
   */
  readonly opcacheValidateTimestamps?: boolean;
  /** Magento's admin front name; the front-ends refuse it (the back-office serves the admin). @default 'admin' */
  readonly adminFrontName?: string;
  /** Table prefix of the database. @default '' */
  readonly tablePrefix?: string;
  /** Redis database of Magento's sessions. @default 0 */
  readonly sessionDatabase?: number;
  /** Redis database of Magento's cache. @default 1 */
  readonly cacheDatabase?: number;
  /** Redis database of PHP's own sessions (outside Magento). @default 2 */
  readonly phpSessionDatabase?: number;
  /** Host name prefix; hosts are `<prefix>-1`, `<prefix>-2`, ... @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
  /**
   * The admin user the schema installer creates when the database has no admin user (a new shop;
   * an imported database keeps its own). @default - username 'admin', e-mail `admin@<base URL host>`,
   * password `Secret.variable(this, 'magento_admin_password', ...)`
   */
  readonly admin?: MagentoAdminProps;
}

/** The admin user of {@link MagentoFrontendsProps.admin}. */
export interface MagentoAdminProps {
  /** @default 'admin' */
  readonly username?: string;
  /** @default 'Shop' */
  readonly firstname?: string;
  /** @default 'Administrator' */
  readonly lastname?: string;
  /** @default `admin@<base URL host>` */
  readonly email?: string;
  /** 12 characters or more (checked on the server). A Secret made by Secret.variable only; a string or a look-alike object is refused. @default Secret.variable(this, 'magento_admin_password', ...) */
  readonly password?: Secret;
}

/** Debian 12 paths of the packages the front-ends use. */
export const MAGENTO_PATHS = {
  apacheConfig: '/etc/apache2/apache2.conf',
  apachePidFile: '/var/run/apache2/apache2.pid',
  apacheRuntimeDir: '/var/run/apache2',
  apacheLogDir: '/var/log/apache2',
  mimeTypes: '/etc/mime.types',
  releaseScript: '/usr/local/sbin/magento-install-release',
  healthScript: '/usr/local/share/hosting-stacks/magento-health.php',
  installScript: '/usr/local/share/hosting-stacks/magento-install.php',
  adminPasswordFile: '/etc/hosting-stacks/magento-admin-password',
  installService: 'hosting-stacks-magento-install.service',
  installPath: 'hosting-stacks-magento-install.path',
} as const;

/** Minutes the schema install may take (the first one runs every module's setup scripts). */
export const MAGENTO_INSTALL_TIMEOUT_MINUTES = 45;
/** Minutes the installer waits for the database at boot (both may be booting at once). */
export const MAGENTO_INSTALL_DATABASE_WAIT_MINUTES = 15;

/** PHP-FPM's own ping (the pool answers), for local checks; the balancer's health path checks more. */
export const MAGENTO_FPM_PING_PATH = '/fpm-ping';

/** Seconds the health page gives the database and the session store to answer. */
export const MAGENTO_HEALTH_TIMEOUT_SECONDS = 2;

/**
 * The Magento 1.9 front-ends: Apache 2.4 (event MPM) and PHP-FPM on a {@link ServerCluster} of the
 * private access layer, running OpenMage LTS 20.x (the maintained fork of Magento 1.9 that runs on
 * PHP 8.2; upstream Magento 1 is end of life and does not run on PHP 8). Horizontally scalable:
 * `maxCount` servers are planned up front, a Terraform variable (default `count`) decides how many
 * exist, and balancers list every planned server with a health check. PHP-FPM's pool is sized from the flavor's RAM, OPcache is on, sessions and
 * cache live in Redis (so any front-end serves any request: no session persistence), media comes
 * from an NFS share, and nothing is opened to the internet.
 */
export class MagentoFrontends extends Construct implements IServerTier, IHttpBackend {
  /** The servers. */
  public readonly cluster: ServerCluster;
  /** The network intent of the servers. */
  public readonly connections: Connections;
  /** TCP port Apache listens on. */
  public readonly httpPort: number;
  /** Path the balancer checks (the health script: code, installed shop, session store). */
  public readonly healthCheckPath: string;
  /** The health check a balancer in front should use. */
  public readonly healthCheck: HealthCheck;
  /** Most front-ends the tier may scale to. */
  public readonly maxCount: number;
  /** PHP version. */
  public readonly phpVersion: PhpVersion;
  /** PHP-FPM process manager. */
  public readonly processManager: PhpFpmProcessManager;
  /** `pm.max_children` per server. */
  public readonly phpMaxChildren: number;

  /** The PHP-FPM children of each front-end: its capacity ({@link IServerTier.workers}). */
  public get workers(): TierWorkers {
    return { perServer: this.phpMaxChildren, what: 'PHP-FPM children' };
  }

  /** Apache's `/server-status` port: the HTTP port ({@link IServerTier.apacheStatusPort}). */
  public get apacheStatusPort(): number {
    return this.httpPort;
  }
  /** Apache's event MPM limits per server. */
  public readonly mpm: ApacheMpmEventLimits;
  private readonly forwardedProtoSourceList: string[] = [];
  /** Apache's `ServerName`, from the base URL. */
  public readonly serverName: string;
  /** Magento's encryption key. */
  public readonly cryptKey: Secret;
  /** The Solr server, when one was given. */
  public readonly search?: ISolrEndpoint;
  /** PHP-FPM's unix socket. */
  public readonly phpFpmSocket: string;
  /** The password of the admin user the installer creates when the database has none. */
  public readonly adminPassword: Secret;

  constructor(scope: Construct, id: string, props: MagentoFrontendsProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    requirePeer(this, 'code', props.code, Kinds.MAGENTO_CODE);
    // A pipeline's deployment server pushes releases over SSH to these servers: it must be in this stack.
    requireSameStack(this, 'code', props.code.deployer);
    requirePeer(this, 'database', props.database, Kinds.MYSQL_DATABASE);
    requirePeer(this, 'sessions', props.sessions, Kinds.REDIS_ENDPOINT);
    optionalPeer(this, 'cache', props.cache, Kinds.REDIS_ENDPOINT);
    optionalPeer(this, 'search', props.search, Kinds.SOLR_ENDPOINT);
    optionalPeer(this, 'media', props.media, Kinds.NFS_SHARE);
    optionalPeer(this, 'cryptKey', props.cryptKey, Kinds.SECRET);
    optionalPeer(this, 'admin.password', props.admin?.password, Kinds.SECRET);
    const { maxCount, minCount } = resolveCounts(this, props);
    this.maxCount = maxCount;
    this.httpPort = props.httpPort ?? 80;
    requireIntegerInRange(this, 'httpPort', this.httpPort, 1, 65535);
    this.healthCheckPath = props.healthCheckPath ?? '/healthz';
    requireTextRule(this, 'healthCheckPath', this.healthCheckPath, healthCheckPathRule(['/fpm-status', MAGENTO_FPM_PING_PATH, '/server-status'], 'one-segment'));
    this.serverName = hostOfUrl(this, props.baseUrl);
    this.phpVersion = requireEnumValue(this, 'phpVersion', props.phpVersion ?? PhpVersion.PHP_8_2, PhpVersion, 'PhpVersion');
    this.processManager = requireEnumValue(this, 'processManager', props.processManager ?? PhpFpmProcessManager.STATIC, PhpFpmProcessManager, 'PhpFpmProcessManager');
    const reservedMb = props.systemReservedMb ?? MAGENTO_SYSTEM_RESERVED_MB;
    requireIntegerInRange(this, 'systemReservedMb', reservedMb, 256, 65536);
    const childMb = props.phpChildMb ?? MAGENTO_PHP_CHILD_MB;
    requireIntegerInRange(this, 'phpChildMb', childMb, 32, 4096);
    const opcacheMb = props.opcacheMemoryMb ?? MAGENTO_OPCACHE_MEMORY_MB;
    requireIntegerInRange(this, 'opcacheMemoryMb', opcacheMb, 64, 4096);
    const maxRequests = props.maxRequestsPerChild ?? 500;
    requireIntegerInRange(this, 'maxRequestsPerChild', maxRequests, 0, 1000000);
    const memoryLimitMb = props.memoryLimitMb ?? 512;
    requireIntegerInRange(this, 'memoryLimitMb', memoryLimitMb, 128, 8192);
    const timeout = props.requestTimeoutSeconds ?? 60;
    requireIntegerInRange(this, 'requestTimeoutSeconds', timeout, 5, 3600);
    const adminFrontName = props.adminFrontName ?? 'admin';
    requireText(this, 'adminFrontName', adminFrontName, TextKind.IDENTIFIER, {
      pattern: /^[a-z][a-z0-9_]{2,31}$/,
      allowed: 'must be 3 to 32 lower-case letters, digits and underscores, starting with a letter',
    });
    const tablePrefix = props.tablePrefix ?? '';
    // A word, not an identifier: MariaDB table names may start with a digit ('2016_').
    if (tablePrefix !== '') requireText(this, 'tablePrefix', tablePrefix, TextKind.WORD, { pattern: /^[a-z0-9_]{1,20}$/, allowed: 'must be at most 20 lower-case letters, digits and underscores' });
    const dbs = { sessionDatabase: props.sessionDatabase ?? 0, cacheDatabase: props.cacheDatabase ?? 1, phpSessionDatabase: props.phpSessionDatabase ?? 2 };
    for (const [prop, n] of Object.entries(dbs)) requireIntegerInRange(this, prop, n, 0, 15);
    const cache = props.cache ?? props.sessions;
    const sameServer = cache === props.sessions;
    if (dbs.sessionDatabase === dbs.phpSessionDatabase) {
      throw new HostingStacksError(this, 'phpSessionDatabase', dbs.phpSessionDatabase, "must differ from 'sessionDatabase': Magento's and PHP's sessions use different key formats");
    }
    if (sameServer && (dbs.cacheDatabase === dbs.sessionDatabase || dbs.cacheDatabase === dbs.phpSessionDatabase)) {
      throw new HostingStacksError(this, 'cacheDatabase', dbs.cacheDatabase,
        "must differ from 'sessionDatabase' and 'phpSessionDatabase' on the same Redis server: flushing the cache (FLUSHDB) would log every customer out");
    }
    const release = props.code.releaseArchive;
    if (release) {
      requireText(this, 'code.url', release.url, TextKind.HTTP_URL, {
        pattern: /^https:\/\/[^\s'"]+\.(zip|tar\.gz|tgz)$/,
        allowed: "must be an https URL of a '.zip', '.tar.gz' or '.tgz' archive without quotes or spaces",
      });
      requireText(this, 'code.sha256', release.sha256, TextKind.WORD, { pattern: /^[0-9a-f]{64}$/, allowed: 'must be the archive\'s SHA-256: 64 lower-case hex digits (`sha256sum FILE`)' });
    }

    this.cluster = new ServerCluster(this, 'Servers', {
      vswitch: props.vswitch,
      count: props.count,
      minCount,
      maxCount: this.maxCount,
      addressCapacity: scalableTierAddressCapacity(this, props.addressCapacity, this.maxCount, props.maxCount !== undefined ? 'maxCount' : 'count'),
      flavor: props.flavor,
      hostnamePrefix: props.hostnamePrefix ?? kebabCase(id),
    });
    this.connections = this.cluster.connections;

    const sizing = phpFpmSizingForRam(this.cluster.flavor.ramGb, reservedMb, childMb, opcacheMb);
    if (!sizing) {
      throw new HostingStacksError(this, 'flavor', this.cluster.flavor.name,
        `has ${this.cluster.flavor.ramGb} GB of RAM: PHP-FPM needs ${reservedMb} MB for the system, ${opcacheMb} MB for OPcache and ${childMb} MB per child`);
    }
    this.phpMaxChildren = sizing.maxChildren;
    this.mpm = apacheMpmLimitsForRam(this.cluster.flavor.ramGb,
      Math.max(6 * APACHE_THREADS_PER_CHILD, this.phpMaxChildren * APACHE_THREADS_PER_PHP_CHILD))!;
    this.healthCheck = HealthCheck.http({ path: this.healthCheckPath });
    this.cryptKey = props.cryptKey ?? Secret.variable(this, 'magento_crypt_key', "Magento's encryption key (app/etc/local.xml global/crypt/key), the same on every node");
    this.search = props.search;
    this.phpFpmSocket = `/run/php/php${this.phpVersion}-fpm-magento.sock`;

    props.database.connections.allowFrom(this, Port.tcp(props.database.port), `${this.node.path} to the shop database`);
    // Magento 1 opens one connection per request (core_read and core_write share default_setup): one per PHP-FPM child, at maxCount servers.
    // Sized for the tier's address capacity, not its count: growing the tier must not reconfigure the database.
    props.database.addClient?.({ client: this, servers: this.cluster.addressCapacity, connectionsPerServer: this.phpMaxChildren, bound: 'PHP-FPM pm.max_children, servers up to the address capacity' });
    props.sessions.connections.allowFrom(this, Port.tcp(props.sessions.port), `${this.node.path} sessions`);
    if (!sameServer) cache.connections.allowFrom(this, Port.tcp(cache.port), `${this.node.path} cache`);
    props.search?.connections.allowFrom(this, Port.tcp(props.search.port), `${this.node.path} site search`);
    props.code.deployer?.addTarget(this, {
      directory: MAGENTO_DOCUMENT_ROOT,
      // cloud-init's local.xml, the shared media and Magento's runtime files are the servers' own.
      excludes: ['/app/etc/local.xml', '/media/', '/var/'],
      afterSync: [
        ['/usr/bin/systemctl', 'reload', `php${this.phpVersion}-fpm`],
        ['/usr/bin/systemctl', 'restart', MAGENTO_PATHS.installService],
      ],
    });
    props.media?.allowClient(this, props.vswitch.cidr);

    const v = this.phpVersion;
    const ini = renderMagentoPhpIni({
      memoryLimitMb,
      maxExecutionTimeSeconds: timeout,
      uploadMaxMb: 64,
      realpathCacheSizeKb: 4096,
      realpathCacheTtlSeconds: 600,
      timezone: 'UTC',
      opcache: {
        memoryMb: opcacheMb,
        internedStringsMb: 32,
        maxAcceleratedFiles: MAGENTO_OPCACHE_MAX_FILES,
        validateTimestamps: props.opcacheValidateTimestamps ?? false,
        revalidateFreqSeconds: 60,
      },
      session: {
        saveHandler: 'redis',
        savePath: `tcp://${props.sessions.address}:${props.sessions.port}?auth=${props.sessions.password.derived('url', urlEncodedAtApply)}&database=${dbs.phpSessionDatabase}&timeout=2.5`,
        gcMaxlifetimeSeconds: 86400,
      },
    });
    const localXml = renderMagentoLocalXml({
      installDate: MAGENTO_DEFAULT_INSTALL_DATE,
      cryptKey: this.cryptKey.derived('xml', xmlEscapedAtApply),
      database: {
        host: props.database.writerAddress,
        port: props.database.port,
        username: xmlEscape(props.database.applicationUser),
        password: props.database.applicationPassword.derived('xml', xmlEscapedAtApply),
        name: xmlEscape(props.database.databaseName),
        tablePrefix,
      },
      sessions: {
        host: props.sessions.address,
        port: props.sessions.port,
        password: props.sessions.password.derived('xml', xmlEscapedAtApply),
        database: dbs.sessionDatabase,
        timeoutSeconds: 2.5,
        maxConcurrency: 6,
        maxLifetimeSeconds: 2592000,
      },
      cache: { host: cache.address, port: cache.port, password: cache.password.derived('xml', xmlEscapedAtApply), database: dbs.cacheDatabase },
      adminFrontName,
    });

    const admin = props.admin ?? {};
    this.adminPassword = admin.password ?? Secret.variable(this, 'magento_admin_password', 'Password of the Magento admin user the front-ends create when the database has none (12 characters or more)');
    const installModel: MagentoInstallScript = {
      documentRoot: MAGENTO_DOCUMENT_ROOT,
      baseUrl: props.baseUrl,
      secure: props.baseUrl.startsWith('https:'),
      admin: {
        username: admin.username ?? 'admin',
        firstname: admin.firstname ?? 'Shop',
        lastname: admin.lastname ?? 'Administrator',
        email: admin.email ?? `admin@${this.serverName}`,
      },
      adminPasswordFile: MAGENTO_PATHS.adminPasswordFile,
      databaseWaitSeconds: MAGENTO_INSTALL_DATABASE_WAIT_MINUTES * 60,
      lockWaitSeconds: MAGENTO_INSTALL_TIMEOUT_MINUTES * 60,
    };
    const invalid = invalidMagentoInstallValue(installModel);
    if (invalid) throw new HostingStacksError(this, invalid.name, invalid.value, `must be ${invalid.allowed}`);
    const installScript = renderMagentoInstallScript(installModel);
    const installUnits = {
      documentRoot: MAGENTO_DOCUMENT_ROOT,
      scriptPath: MAGENTO_PATHS.installScript,
      phpVersion: v,
      runUser: 'www-data',
      runGroup: 'www-data',
      // Waiting for the database, then for another front-end's install, then its own.
      timeoutSeconds: (MAGENTO_INSTALL_DATABASE_WAIT_MINUTES + 2 * MAGENTO_INSTALL_TIMEOUT_MINUTES) * 60,
      serviceUnit: MAGENTO_PATHS.installService,
      pathUnit: MAGENTO_PATHS.installPath,
    };

    this.cluster.configureHosts((host) => {
      const cc = host.cloudConfig;
      cc.addPackages('apache2', `php${v}-fpm`, `php${v}-cli`, `php${v}-curl`, `php${v}-gd`, `php${v}-intl`, `php${v}-mbstring`, `php${v}-mysql`, `php${v}-soap`, `php${v}-xml`, `php${v}-redis`);
      // Rendered with cloud-init: the entries in front are added after the front-ends.
      cc.addLazyFile(MAGENTO_PATHS.apacheConfig, ConfigSyntax.APACHE, () => renderMagentoApacheConfig(this.apacheModel(adminFrontName, timeout)));
      cc.addFile({
        path: `/etc/php/${v}/fpm/php-fpm.conf`,
        syntax: ConfigSyntax.PHP_FPM,
        content: renderPhpFpmConfig({
          pidFile: `/run/php/php${v}-fpm.pid`,
          errorLog: `/var/log/php${v}-fpm.log`,
          emergencyRestartThreshold: 10,
          emergencyRestartIntervalSeconds: 60,
          processControlTimeoutSeconds: 10,
          poolFiles: [`/etc/php/${v}/fpm/pool.d/magento.conf`],
        }),
      });
      cc.addFile({
        path: `/etc/php/${v}/fpm/pool.d/magento.conf`,
        syntax: ConfigSyntax.PHP_FPM,
        content: renderPhpFpmPoolConfig({
          name: 'magento',
          user: 'www-data',
          group: 'www-data',
          listen: this.phpFpmSocket,
          listenOwner: 'www-data',
          listenGroup: 'www-data',
          listenBacklog: 511,
          pm: this.processManager,
          maxChildren: this.phpMaxChildren,
          startServers: Math.max(1, Math.ceil(this.phpMaxChildren / 4)),
          minSpareServers: Math.max(1, Math.ceil(this.phpMaxChildren / 8)),
          maxSpareServers: Math.max(1, Math.ceil(this.phpMaxChildren / 2)),
          maxRequests,
          statusPath: '/fpm-status',
          pingPath: MAGENTO_FPM_PING_PATH,
          pingResponse: 'ok',
          slowlogFile: `/var/log/php${v}-fpm-magento.slow.log`,
          requestSlowlogTimeoutSeconds: 5,
          requestTerminateTimeoutSeconds: timeout,
        }),
      });
      cc.addFile({ path: `/etc/php/${v}/fpm/conf.d/99-magento.ini`, syntax: ConfigSyntax.PHP_INI, content: ini });
      cc.addFile({
        path: MAGENTO_PATHS.healthScript,
        syntax: ConfigSyntax.PHP,
        content: renderMagentoHealthScript({ documentRoot: MAGENTO_DOCUMENT_ROOT, timeoutSeconds: MAGENTO_HEALTH_TIMEOUT_SECONDS }),
      });
      cc.addFile({ path: `${MAGENTO_DOCUMENT_ROOT}/app/etc/local.xml`, syntax: ConfigSyntax.XML, owner: 'root:www-data', permissions: '0640', content: localXml });
      // The schema, base URLs and admin user, once for all front-ends (a MariaDB lock serializes them).
      cc.addFile({ path: MAGENTO_PATHS.installScript, syntax: ConfigSyntax.PHP, content: installScript });
      cc.addSecretFile(MAGENTO_PATHS.adminPasswordFile, this.adminPassword, { permissions: '0640', owner: 'root:www-data' });
      cc.addFile({ path: `/etc/systemd/system/${MAGENTO_PATHS.installService}`, syntax: ConfigSyntax.SYSTEMD_UNIT, content: renderMagentoInstallService(installUnits) });
      cc.addFile({ path: `/etc/systemd/system/${MAGENTO_PATHS.installPath}`, syntax: ConfigSyntax.SYSTEMD_UNIT, content: renderMagentoInstallPath(installUnits) });
      if (release) {
        cc.addPackages('curl', 'unzip', 'rsync');
        cc.addFile({
          path: MAGENTO_PATHS.releaseScript,
          syntax: ConfigSyntax.SHELL,
          permissions: '0755',
          content: renderMagentoReleaseScript({ url: release.url, sha256: release.sha256, documentRoot: MAGENTO_DOCUMENT_ROOT, runUser: 'www-data', runGroup: 'www-data' }),
        });
        cc.addPreServiceCommand(MAGENTO_PATHS.releaseScript);
      } else {
        // Magento's runtime files (locks, logs, reports); the release script makes it in release mode.
        cc.addPreServiceCommand('install', '-d', '-o', 'www-data', '-g', 'www-data', '-m', '0750', `${MAGENTO_DOCUMENT_ROOT}/var`);
      }
      props.media?.mountOn(host, `${MAGENTO_DOCUMENT_ROOT}/media`);
      // The installer after PHP-FPM and Apache: the health page says why the front-end is not ready meanwhile.
      cc.addServices(`php${v}-fpm`, 'apache2', MAGENTO_PATHS.installService, MAGENTO_PATHS.installPath);
    });
  }

  /** Peers whose `X-Forwarded-Proto` Apache believes (the entries in front), in the order they were added, without duplicates. */
  public get forwardedProtoSources(): readonly string[] {
    return [...this.forwardedProtoSourceList];
  }

  /**
   * Believes `X-Forwarded-Proto: https` (Apache sets `HTTPS=on` for Magento) from requests whose
   * peer is in `sources`, and from no one else. Entries call it from their `addTarget`.
   */
  public trustForwardedProtoFrom(sources: readonly string[], entry: IConstruct): void {
    requireSameStack(this, 'entry', entry);
    for (const source of sources) {
      const block = parseCidr(source.includes('/') ? source : `${source}/32`);
      if (!block || block.prefix === 0) {
        throw new HostingStacksError(this, 'forwardedProtoSources', source, `must be IPv4 addresses or CIDRs other than 0.0.0.0/0 (from ${entry.node.path})`);
      }
      if (!this.forwardedProtoSourceList.includes(source)) this.forwardedProtoSourceList.push(source);
    }
  }

  /** TCP port Apache listens on (the {@link IHttpBackend} name of `httpPort`). */
  public get backendPort(): number {
    return this.httpPort;
  }

  /** Addresses of every planned front-end (`maxCount` of them); balancers health-check each. */
  public get backendAddresses(): readonly string[] {
    return this.cluster.addresses;
  }

  private apacheModel(adminFrontName: string, timeoutSeconds: number): MagentoApacheConfig {
    const exempt = [this.healthCheckPath, MAGENTO_FPM_PING_PATH, '/fpm-status', '/server-status'].map((p) => p.slice(1).replace(/[.]/g, '\\.'));
    return {
      serverName: this.serverName,
      listenAddress: '*',
      listenPort: this.httpPort,
      modulesDir: DEBIAN_APACHE_MODULES_DIR,
      runUser: 'www-data',
      runGroup: 'www-data',
      pidFile: MAGENTO_PATHS.apachePidFile,
      runtimeDir: MAGENTO_PATHS.apacheRuntimeDir,
      logDir: MAGENTO_PATHS.apacheLogDir,
      mimeTypesFile: MAGENTO_PATHS.mimeTypes,
      documentRoot: MAGENTO_DOCUMENT_ROOT,
      deniedDirectories: MAGENTO_DENIED_DIRECTORIES,
      adminFrontName,
      phpFpmSocket: this.phpFpmSocket,
      phpTimeoutSeconds: timeoutSeconds,
      healthCheckPath: this.healthCheckPath,
      healthScript: MAGENTO_PATHS.healthScript,
      phpFpmStatusPath: '/fpm-status',
      phpFpmPingPath: MAGENTO_FPM_PING_PATH,
      rewriteExemptPattern: `^(${exempt.join('|')})$`,
      // skin/ and js/ change only with a deployment; a week keeps repeat visits cheap and a fix reaches every browser within days.
      staticMaxAgeDays: 7,
      timeoutSeconds: timeoutSeconds,
      keepAliveTimeoutSeconds: 5,
      mpm: this.mpm,
      forwardedProtoSources: this.forwardedProtoSources,
    };
  }
}

function hostOfUrl(scope: Construct, url: string): string {
  requireText(scope, 'baseUrl', url, TextKind.HTTP_URL, {
    test: (v) => v.endsWith('/') && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(new URL(v).hostname),
    allowed: "must be an http(s) URL with a DNS host name, ending in '/' (e.g. 'https://www.example.com/')",
  });
  return new URL(url).hostname;
}
