import { Fn } from 'cdktf';
import { terraformLiteral } from '../cache/redis-config';
import { renderTemplate } from '../config/template';
import { checkText, TextKind } from '../core/text';
import { ApacheMpmEventLimits } from '../web/apache-config';
import { HostingStacksError } from '../core/errors';

/** PHP-FPM process managers (`pm`). */
export enum PhpFpmProcessManager {
  /** A fixed number of children, all started at boot: no fork at peaks, memory reserved anyway. */
  STATIC = 'static',
  /** Children between spare bounds, up to `pm.max_children`. */
  DYNAMIC = 'dynamic',
}

/** PHP versions the front-ends run (Debian 12 ships 8.2). */
export enum PhpVersion {
  /** PHP 8.2, Debian 12's `php8.2-*` packages; OpenMage LTS 20.x supports it. */
  PHP_8_2 = '8.2',
}

/**
 * Memory kept on a front-end for everything that is not a PHP-FPM child: the kernel, Apache's
 * event MPM (threads that only wait on PHP-FPM or send static files), sshd, cloud-init, agents,
 * the NFS client's cache and the page cache of logs. OPcache's shared memory is counted apart.
 */
export const MAGENTO_SYSTEM_RESERVED_MB = 768;

/**
 * Memory budgeted per PHP-FPM child. A Magento 1 storefront request (category, product, cart,
 * checkout) takes tens of MB of PHP memory, more with large carts or layered navigation over
 * many attributes; 128 MB per child budgets the average with headroom. `memory_limit` bounds a
 * single request and is higher on purpose: children rarely peak together.
 */
export const MAGENTO_PHP_CHILD_MB = 128;

/** OPcache shared memory in MB: OpenMage with its vendor/ tree compiles to well under 256 MB. */
export const MAGENTO_OPCACHE_MEMORY_MB = 256;

/**
 * `opcache.max_accelerated_files`: OpenMage LTS has some 20,000 PHP files with vendor/ and
 * extensions; OPcache rounds the value up to the next prime of its table, and 32531 is the first
 * one above 20,000 with room for extensions.
 */
export const MAGENTO_OPCACHE_MAX_FILES = 32531;

/** Apache worker threads per PHP-FPM child: keep-alive clients and static files need threads that PHP does not. */
export const APACHE_THREADS_PER_PHP_CHILD = 4;

/** The sizing of a PHP-FPM pool. */
export interface PhpFpmSizing {
  /** `pm.max_children`. */
  readonly maxChildren: number;
  /** The RAM the computation started from, in MB. */
  readonly ramMb: number;
  /** The memory kept for the system and OPcache, in MB. */
  readonly reservedMb: number;
  /** The memory budgeted per child, in MB. */
  readonly childMb: number;
}

/**
 * `pm.max_children = floor((RAM MB - reservedMb - opcacheMb) / childMb)`. 4 GB with the defaults:
 * (4096 - 768 - 256) / 128 = 24 children; 8 GB: 56. Returns undefined when not one child fits.
 */
export function phpFpmSizingForRam(ramGb: number, reservedMb = MAGENTO_SYSTEM_RESERVED_MB, childMb = MAGENTO_PHP_CHILD_MB, opcacheMb = MAGENTO_OPCACHE_MEMORY_MB): PhpFpmSizing | undefined {
  const ramMb = Math.floor(ramGb * 1024);
  const maxChildren = Math.floor((ramMb - reservedMb - opcacheMb) / childMb);
  if (maxChildren < 1) return undefined;
  return { maxChildren, ramMb, reservedMb: reservedMb + opcacheMb, childMb };
}

/** The global part of `php-fpm.conf`. */
export interface PhpFpmConfig {
  /** `pid`. */
  readonly pidFile: string;
  /** `error_log`. */
  readonly errorLog: string;
  /** Children that die within the interval before the master restarts. */
  readonly emergencyRestartThreshold: number;
  /** The interval of `emergency_restart_threshold`, in seconds. */
  readonly emergencyRestartIntervalSeconds: number;
  /** Seconds children get to finish on a reload. */
  readonly processControlTimeoutSeconds: number;
  /** Pool files included. */
  readonly poolFiles: readonly string[];
}

/** One PHP-FPM pool. */
export interface PhpFpmPoolConfig {
  /** Pool name (`[magento]`). */
  readonly name: string;
  /** User the children run as. */
  readonly user: string;
  /** Group the children run as. */
  readonly group: string;
  /** The unix socket path. */
  readonly listen: string;
  /** Owner of the socket (Apache's user). */
  readonly listenOwner: string;
  /** Group of the socket. */
  readonly listenGroup: string;
  /** Connections queued on the socket when every child is busy. */
  readonly listenBacklog: number;
  /** Process manager. */
  readonly pm: PhpFpmProcessManager;
  /** `pm.max_children`. */
  readonly maxChildren: number;
  /** `pm.start_servers` (dynamic only). */
  readonly startServers: number;
  /** `pm.min_spare_servers` (dynamic only). */
  readonly minSpareServers: number;
  /** `pm.max_spare_servers` (dynamic only). */
  readonly maxSpareServers: number;
  /** Requests a child serves before it is replaced (bounds leaks). */
  readonly maxRequests: number;
  /** `pm.status_path`. */
  readonly statusPath: string;
  /** `ping.path`. */
  readonly pingPath: string;
  /** `ping.response`. */
  readonly pingResponse: string;
  /** `slowlog` file. */
  readonly slowlogFile: string;
  /** Seconds after which a request's stack is written to the slow log. */
  readonly requestSlowlogTimeoutSeconds: number;
  /** Seconds after which a request is killed. */
  readonly requestTerminateTimeoutSeconds: number;
}

/** OPcache settings. */
export interface OpcacheConfig {
  /** `opcache.memory_consumption` in MB. */
  readonly memoryMb: number;
  /** `opcache.interned_strings_buffer` in MB. */
  readonly internedStringsMb: number;
  /** `opcache.max_accelerated_files`. */
  readonly maxAcceleratedFiles: number;
  /** Check files for changes (false: a deployment reloads PHP-FPM). */
  readonly validateTimestamps: boolean;
  /** Seconds between checks when validating. */
  readonly revalidateFreqSeconds: number;
}

/** PHP's own session handler (sessions outside Magento's session model). */
export interface PhpSessionConfig {
  /** `session.save_handler` (`redis` with php-redis). */
  readonly saveHandler: string;
  /** `session.save_path`, already URL-encoded where it holds a password. */
  readonly savePath: string;
  /** `session.gc_maxlifetime`. */
  readonly gcMaxlifetimeSeconds: number;
}

/** The PHP ini overrides for Magento (`conf.d/99-magento.ini`). */
export interface MagentoPhpIni {
  /** `memory_limit` in MB. */
  readonly memoryLimitMb: number;
  /** `max_execution_time`. */
  readonly maxExecutionTimeSeconds: number;
  /** `upload_max_filesize` and `post_max_size` in MB. */
  readonly uploadMaxMb: number;
  /** `realpath_cache_size` in KB (Magento resolves thousands of paths per request). */
  readonly realpathCacheSizeKb: number;
  /** `realpath_cache_ttl`. */
  readonly realpathCacheTtlSeconds: number;
  /** `date.timezone`. */
  readonly timezone: string;
  /** OPcache. */
  readonly opcache: OpcacheConfig;
  /** PHP sessions. */
  readonly session: PhpSessionConfig;
}

/** A Redis connection as Magento's local.xml names it. */
export interface MagentoRedisConnection {
  /** Address. */
  readonly host: string;
  /** Port. */
  readonly port: number;
  /** Password, XML-escaped (a Terraform reference through xmlEscapedAtApply). */
  readonly password: string;
  /** Redis database number. */
  readonly database: number;
}

/** Magento's `app/etc/local.xml`. Every string must already be XML-escaped. */
export interface MagentoLocalXml {
  /** `global/install/date`; Magento only checks that it parses as a date. */
  readonly installDate: string;
  /** `global/crypt/key`: the key Magento encrypts stored secrets with; the same on every node. */
  readonly cryptKey: string;
  /** The database connection. */
  readonly database: {
    readonly host: string;
    readonly port: number;
    readonly username: string;
    readonly password: string;
    readonly name: string;
    readonly tablePrefix: string;
  };
  /** Cm_RedisSession (`global/redis_session`). */
  readonly sessions: MagentoRedisConnection & {
    /** Seconds to connect. */
    readonly timeoutSeconds: number;
    /** Processes that may wait for one session's lock. */
    readonly maxConcurrency: number;
    /** Upper bound of a session's lifetime. */
    readonly maxLifetimeSeconds: number;
  };
  /** Cm_Cache_Backend_Redis (`global/cache`). */
  readonly cache: MagentoRedisConnection;
  /** `admin/routers/adminhtml/args/frontName`. */
  readonly adminFrontName: string;
}

/** The release the front-ends install on first boot. */
export interface MagentoReleaseScript {
  /** URL of the archive (`.zip` or `.tar.gz`). */
  readonly url: string;
  /** Its SHA-256, 64 hex digits. */
  readonly sha256: string;
  /** The document root. */
  readonly documentRoot: string;
  /** User PHP runs as (owns var/). */
  readonly runUser: string;
  /** Group PHP runs as. */
  readonly runGroup: string;
}

/** The complete `/etc/apache2/apache2.conf` of a Magento front-end. */
export interface MagentoApacheConfig {
  /** `ServerName`. */
  readonly serverName: string;
  /** Address Apache binds to, `*` for all. */
  readonly listenAddress: string;
  /** TCP port. */
  readonly listenPort: number;
  /** Folder of the module `.so` files. */
  readonly modulesDir: string;
  /** User the children run as. */
  readonly runUser: string;
  /** Group the children run as. */
  readonly runGroup: string;
  /** `PidFile`. */
  readonly pidFile: string;
  /** `DefaultRuntimeDir`. */
  readonly runtimeDir: string;
  /** Folder of `error.log` and `access.log`. */
  readonly logDir: string;
  /** The MIME types file. */
  readonly mimeTypesFile: string;
  /** Magento's root folder. */
  readonly documentRoot: string;
  /** Folders under the root never served (`app`, `var` ...). */
  readonly deniedDirectories: readonly string[];
  /** The admin front name, denied on the front-ends. */
  readonly adminFrontName: string;
  /** PHP-FPM's unix socket. */
  readonly phpFpmSocket: string;
  /** Seconds Apache waits for PHP-FPM's response. */
  readonly phpTimeoutSeconds: number;
  /** The balancer's health path, answered by the health script. */
  readonly healthCheckPath: string;
  /** The health script (outside the document root), run by PHP-FPM for `healthCheckPath`. */
  readonly healthScript: string;
  /** PHP-FPM's status path, answered to localhost only. */
  readonly phpFpmStatusPath: string;
  /** PHP-FPM's ping path, answered to localhost only. */
  readonly phpFpmPingPath: string;
  /** Per-directory rewrite pattern of the paths Magento's front controller must not take. */
  readonly rewriteExemptPattern: string;
  /** Days browsers may cache skin/, js/ and media/. */
  readonly staticMaxAgeDays: number;
  /** Seconds of the `Timeout` directive (client I/O). */
  readonly timeoutSeconds: number;
  /** Seconds an idle keep-alive connection is kept. */
  readonly keepAliveTimeoutSeconds: number;
  /** Event MPM limits. */
  readonly mpm: ApacheMpmEventLimits;
  /**
   * Peers (addresses or CIDRs: the entries where HTTPS ends) whose `X-Forwarded-Proto: https` sets
   * `HTTPS=on` for Magento; from any other peer the header counts for nothing. Empty: never believed.
   */
  readonly forwardedProtoSources: readonly string[];
}

/** Renders `php-fpm.conf` from `templates/php-fpm.conf.hbs`. */
export function renderPhpFpmConfig(config: PhpFpmConfig): string {
  return renderTemplate('php-fpm.conf.hbs', config);
}

/** Renders a pool file from `templates/php-fpm-pool.conf.hbs`. */
export function renderPhpFpmPoolConfig(config: PhpFpmPoolConfig): string {
  return renderTemplate('php-fpm-pool.conf.hbs', config);
}

/** Renders the PHP ini overrides from `templates/magento-php.ini.hbs`. */
export function renderMagentoPhpIni(config: MagentoPhpIni): string {
  return renderTemplate('magento-php.ini.hbs', config);
}

/** Renders `app/etc/local.xml` from `templates/magento-local.xml.hbs`. */
export function renderMagentoLocalXml(config: MagentoLocalXml): string {
  return renderTemplate('magento-local.xml.hbs', config);
}

/** Renders the release installer from `templates/magento-release.sh.hbs`. */
export function renderMagentoReleaseScript(config: MagentoReleaseScript): string {
  return renderTemplate('magento-release.sh.hbs', config);
}

/** Renders `apache2.conf` from `templates/magento-apache2.conf.hbs`. */
export function renderMagentoApacheConfig(config: MagentoApacheConfig): string {
  return renderTemplate('magento-apache2.conf.hbs', config);
}

/** The front-end's health script (`templates/magento-health.php.hbs`). */
export interface MagentoHealthScript {
  /** Magento's document root (code and app/etc/local.xml). */
  readonly documentRoot: string;
  /** Seconds each of the database and the session store may take to answer. */
  readonly timeoutSeconds: number;
}

/** Renders the health script from `templates/magento-health.php.hbs`. */
export function renderMagentoHealthScript(config: MagentoHealthScript): string {
  if (checkText(config.documentRoot, TextKind.ABSOLUTE_PATH)) throw HostingStacksError.ofFactory('renderMagentoHealthScript', 'documentRoot', config.documentRoot, "must be an absolute path of letters, digits, '/', '_', '.' and '-'");
  return renderTemplate('magento-health.php.hbs', config);
}

/** The admin user the installer creates when the database has none. */
export interface MagentoAdminUser {
  readonly username: string;
  readonly firstname: string;
  readonly lastname: string;
  readonly email: string;
}

/** The schema installer (`templates/magento-install.php.hbs`). */
export interface MagentoInstallScript {
  readonly documentRoot: string;
  /** Written into `web/unsecure/base_url` and `web/secure/base_url` when the database has none. */
  readonly baseUrl: string;
  /** The base URL is https: the shop and the admin use the secure URLs. */
  readonly secure: boolean;
  readonly admin: MagentoAdminUser;
  /** File holding the admin password (read only when no admin user exists). */
  readonly adminPasswordFile: string;
  /** Seconds to wait for the database at boot. */
  readonly databaseWaitSeconds: number;
  /** Seconds a front-end waits for another one's install. */
  readonly lockWaitSeconds: number;
}

/** The units that run the installer (`templates/magento-install.service.hbs`, `.path.hbs`). */
export interface MagentoInstallUnits {
  readonly documentRoot: string;
  readonly scriptPath: string;
  readonly phpVersion: string;
  readonly runUser: string;
  readonly runGroup: string;
  readonly timeoutSeconds: number;
  readonly serviceUnit: string;
  readonly pathUnit: string;
}

/**
 * The first value of `config` the installer cannot carry, with what is allowed: every value lands in
 * a PHP single-quoted string, so each is checked for its place. Undefined when all are fine.
 */
export function invalidMagentoInstallValue(config: MagentoInstallScript): { readonly name: string; readonly value: string; readonly allowed: string } | undefined {
  const path = "an absolute path of letters, digits, '/', '_', '.' and '-'";
  const name32 = "1 to 32 letters, digits, spaces, '.' and '-'";
  const rules: [string, string, TextKind, RegExp | undefined, string][] = [
    ['documentRoot', config.documentRoot, TextKind.ABSOLUTE_PATH, undefined, path],
    ['adminPasswordFile', config.adminPasswordFile, TextKind.ABSOLUTE_PATH, undefined, path],
    ['baseUrl', config.baseUrl, TextKind.HTTP_URL, /^https?:\/\/[a-z0-9.-]+(:[0-9]{1,5})?\/[A-Za-z0-9._~\/-]*$/, "an http(s) URL of a host name and a path of letters, digits, '.', '_', '~', '/' and '-', ending in '/'"],
    ['admin.username', config.admin.username, TextKind.WORD, /^[A-Za-z0-9._-]{1,40}$/, "1 to 40 letters, digits, '.', '_' and '-'"],
    ['admin.firstname', config.admin.firstname, TextKind.FREE_TEXT, /^[\p{L}\p{N} .-]{1,32}$/u, name32],
    ['admin.lastname', config.admin.lastname, TextKind.FREE_TEXT, /^[\p{L}\p{N} .-]{1,32}$/u, name32],
    ['admin.email', config.admin.email, TextKind.EMAIL, /^[A-Za-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'an e-mail address'],
  ];
  const bad = rules.find(([, value, kind, pattern, allowed]) => checkText(value, kind, { pattern, allowed }) !== undefined);
  return bad && { name: bad[0], value: bad[1], allowed: bad[4] };
}

/** Renders the schema installer; throws on a value it cannot carry ({@link invalidMagentoInstallValue}). */
export function renderMagentoInstallScript(config: MagentoInstallScript): string {
  const bad = invalidMagentoInstallValue(config);
  if (bad) throw HostingStacksError.ofFactory('renderMagentoInstallScript', bad.name, bad.value, `must be ${bad.allowed}`);
  return renderTemplate('magento-install.php.hbs', config);
}

/** Renders the installer's oneshot service. */
export function renderMagentoInstallService(config: MagentoInstallUnits): string {
  return renderTemplate('magento-install.service.hbs', config);
}

/** Renders the path unit that starts the installer when the code arrives. */
export function renderMagentoInstallPath(config: MagentoInstallUnits): string {
  return renderTemplate('magento-install.path.hbs', config);
}

/** Escapes a literal string for XML text and attributes. */
export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * Characters percent-encoded in a URL query value by {@link urlEncodedAtApply}: those that end or
 * split a value (`&`, `#`, `+`, `=`, `;`, `?`), the escape character itself, and those PHP's ini
 * parser reads inside a double-quoted value (`"`, `$`, `\`). `%` must stay first. Control
 * characters are not encoded: a password holding a line break cannot be written into these files.
 */
const URL_ENCODED: readonly (readonly [string, string])[] = [
  ['%', '%25'], ['&', '%26'], ['#', '%23'], ['+', '%2B'], ['=', '%3D'], [';', '%3B'], ['?', '%3F'],
  ['"', '%22'], ['$', '%24'], ['\\', '%5C'], [' ', '%20'], ["'", '%27'],
];

/**
 * Wraps a Terraform string reference so its value is percent-encoded for a URL query (and safe in
 * a double-quoted PHP ini value) when Terraform resolves it: a chain of `replace()` calls, `%` first.
 */
export function urlEncodedAtApply(reference: string): string {
  let v = reference;
  for (const [c, e] of URL_ENCODED) v = Fn.replace(v, terraformLiteral(c), terraformLiteral(e));
  return v;
}
