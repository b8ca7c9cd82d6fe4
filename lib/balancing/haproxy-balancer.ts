import { Construct, IConstruct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor } from '../compute/flavor';
import { IServerTier, ServerInstance } from '../compute/server-cluster';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { Port } from '../core/port';
import { Secret } from '../core/secret';
import { nftablesRulesFromConnections, renderNftablesRuleset } from '../security/nftables-firewall';
import { intermediateCiphersuiteString, intermediateCipherString, MOZILLA_INTERMEDIATE_PROTOCOLS, NGINX_TLS_SESSION } from '../security/tls-policy';
import { HaproxyConfigModel, HaproxyDatabaseModel, HaproxyDatabaseTimeoutsModel, haproxyHealthCheckModel, HaproxyTlsModel, renderHaproxyConfig } from './haproxy-config';
import { Connections, IConnectable } from '../core/connections';
import { DatabaseRoleCheck, IMysqlDatabase, IMysqlReadEndpoint, IReplicatedMysqlDatabase, MysqlClientDemand } from '../core/endpoints';
import { HealthCheck } from './health-check';
import {
  connectionLimitFor, DEFAULT_CONCURRENT_USERS_PER_COUNTRY, ENTRY_TIMEOUTS, HttpTarget, HttpTargetOptions, IHttpEntryBalancer, requireConcurrentUsers, requireReachableTier, trustForwardedProto,
} from './http-balancer';
import { KeepalivedConfigModel, KeepalivedVrrpScriptModel, renderKeepalivedConfig } from './keepalived-config';
import { LoadShedding, MiniSiteKind } from './load-shedding';
import { renderLvsSysctlConfig } from './lvs-balancer';
import { DEFAULT_VRRP_SIZING, VrrpPair, VrrpPairOptions, vrrpPairPropsOf } from './vrrp-pair';
import { NginxCacheConfigModel, renderNginxCacheConfig } from './cache-nginx-config';
import { ResponseCache, ResponseCacheOptions, resolveResponseCache } from './response-cache';
import { NGINX_PATHS } from '../config/nginx-paths';
import { Kinds, optionalPeer, requireOptions, requirePeer } from '../core/peers';

/** Extra connection attempts before a request fails; with `option redispatch` the last goes to another server. */
export const HAPROXY_RETRIES = 3;

/** Connections kept above the frontend's `maxconn` in `global` for the stats socket and admins. */
export const HAPROXY_GLOBAL_MAXCONN_MARGIN = 100;

/** The admin socket Debian's haproxy unit prepares (`RuntimeDirectory=haproxy`). */
export const HAPROXY_STATS_SOCKET = '/run/haproxy/admin.sock';

/** Name of the keepalived script that fails while haproxy is not running. */
export const HAPROXY_TRACK_SCRIPT = 'chk_haproxy';

/** The `vrrp_script` that moves the VIP away from a node whose haproxy died: `killall -0` sends no signal, it only tests the process exists. */
export const HAPROXY_VRRP_SCRIPT: KeepalivedVrrpScriptModel = {
  name: HAPROXY_TRACK_SCRIPT,
  script: '/usr/bin/killall -0 haproxy',
  intervalSeconds: 2,
  timeoutSeconds: 1,
  fall: 2,
  rise: 2,
};

/** Name of the keepalived script that fails while nginx (the response cache) does not answer. */
export const NGINX_TRACK_SCRIPT = 'chk_nginx';

/** Unix socket of the cache's health server: only root (keepalived's script) and nginx use it, and it needs no port. */
export const CACHE_HEALTH_SOCKET = '/run/hosting-stacks-nginx-health.sock';

/** Path the cache's health server answers 200 on. */
export const CACHE_HEALTH_PATH = '/hosting-stacks-health';

/**
 * The `vrrp_script` that moves the VIP away from a node whose nginx does not answer: an HTTP request
 * to nginx's health server on its unix socket (a stopped, hung or crashed nginx fails it), within a second.
 */
export const NGINX_VRRP_SCRIPT: KeepalivedVrrpScriptModel = {
  name: NGINX_TRACK_SCRIPT,
  script: `/usr/bin/curl -fsS -o /dev/null --max-time 1 --unix-socket ${CACHE_HEALTH_SOCKET} http://localhost${CACHE_HEALTH_PATH}`,
  intervalSeconds: 2,
  timeoutSeconds: 2,
  fall: 2,
  rise: 2,
};

/** Where haproxy listens behind the cache: loopback only, so nothing but the node itself reaches it. */
export const CACHE_UPSTREAM_ADDRESS = '127.0.0.1';

/** Sources haproxy takes X-Forwarded-For and X-Forwarded-Proto from when the cache is in front: the node's loopback. */
export const CACHE_TRUSTED_PROXY = '127.0.0.0/8';

/** Folder of the cache files (under Debian nginx's own /var/lib/nginx; nginx creates it for its workers). */
export const CACHE_PATH = `${NGINX_PATHS.tempDir}/entry-cache`;

/** User Debian's nginx workers run as. */
export const CACHE_NGINX_USER = 'www-data';

/** Where the HTTPS certificate bundle is written on the nodes (root only, mode 0600; haproxy reads it before dropping privileges). */
export const HAPROXY_CERTIFICATE_PATH = '/etc/haproxy/certs/entry.pem';

/** Default HTTPS port. */
export const HTTPS_PORT = 443;

/** HSTS max-age: two years, Mozilla's recommendation (ssl-config.mozilla.org). */
export const HSTS_MAX_AGE_SECONDS = 63_072_000;

/** `ssl-default-bind-options`: the lowest version Mozilla intermediate allows, and no session tickets (their keys would break forward secrecy). */
export const HAPROXY_TLS_BIND_OPTIONS = `ssl-min-ver ${MOZILLA_INTERMEDIATE_PROTOCOLS[0]} no-tls-tickets`;

/** ALPN protocols offered on the HTTPS bind: HTTP/2, then HTTP/1.1 (haproxy speaks HTTP/1.1 to the members). */
export const HAPROXY_ALPN = 'h2,http/1.1';

/** The HTTPS listener of a {@link HaproxyBalancer}. */
export interface HaproxyTlsOptions {
  /** PEM bundle (certificate, intermediates, private key) as a sensitive variable; A Secret made by Secret.variable only; a string or a look-alike object is refused. cloud-init writes it to HAPROXY_CERTIFICATE_PATH, mode 0600. */
  readonly certificate: Secret;
  /** HTTPS port on the VIP. @default HTTPS_PORT (443) */
  readonly port?: number;
  /** `Strict-Transport-Security` max-age in seconds on HTTPS answers; 0 sends no header. @default HSTS_MAX_AGE_SECONDS (two years) */
  readonly hstsMaxAgeSeconds?: number;
}

/** The resolved HTTPS listener. */
export interface HaproxyTls {
  /** The PEM bundle. */
  readonly certificate: Secret;
  /** HTTPS port. */
  readonly port: number;
  /** HSTS max-age (0: none). */
  readonly hstsMaxAgeSeconds: number;
}

/** Props of {@link HaproxyBalancer}. */
export interface HaproxyBalancerProps extends VrrpPairOptions {
  /** Concurrent users the entry is sized for; `maxconn` follows ({@link connectionLimitFor}). @default DEFAULT_CONCURRENT_USERS_PER_COUNTRY (1,000) */
  readonly expectedConcurrentUsers?: number;
  /** TCP port clients connect to on the VIP. @default 80 */
  readonly listenerPort?: number;
  /** Sends browsing visitors to a mini-site while the members are saturated; ordering visitors stay and are served first. @default - none: every request queues for the members */
  readonly loadShedding?: LoadShedding;
  /** HTTPS on the VIP with Mozilla intermediate settings; plain HTTP then redirects to it. @default - HTTP only */
  readonly tls?: HaproxyTlsOptions;
  /**
   * A response cache on each node: nginx with `proxy_cache` on the VIP's public ports (ending HTTPS
   * with `tls`), in front of haproxy moved to 127.0.0.1. Visitors' own pages (private cookies and
   * paths) are never cached. @default - no cache: haproxy is the entry
   */
  readonly cache?: ResponseCacheOptions;
}

/** Options of {@link HaproxyBalancer.addDatabase}. */
export interface HaproxyDatabaseOptions {
  /** Port on the VIP for writes (the primary). @default - the database's port (3306) */
  readonly writePort?: number;
  /** Port on the VIP for reads (the replicas). @default - writePort + 1 */
  readonly readPort?: number;
}

/** Timeouts and checks of the database listeners: an idle pooled connection is closed after 30 minutes; a server failing two role checks two seconds apart is taken out. */
export const HAPROXY_DATABASE_TIMEOUTS: HaproxyDatabaseTimeoutsModel = {
  connectMs: 2000,
  idleMs: 1_800_000,
  checkMs: 2000,
  checkIntervalMs: 2000,
  fall: 2,
  rise: 2,
};

/**
 * A database reached through a {@link HaproxyBalancer} ({@link HaproxyBalancer.addDatabase}): writes
 * on the VIP's `port`, reads on its `readPort`. It is the database to give the tiers that call it
 * (an IMysqlDatabase whose writer address is the VIP); a tier given it may write, and
 * `allowReadsFrom` lets a tier read too. Clients declared on it count on the database behind.
 */
export interface HaproxyDatabaseRoute extends IMysqlDatabase, IMysqlReadEndpoint, IConstruct {
  /** The VIP again, for reads on `readPort`. */
  readonly readerAddress: string;
  /** Port of the read listener. */
  readonly readPort: number;
  /** The database behind the balancer. */
  readonly database: IReplicatedMysqlDatabase;
  /** How the nodes ask its servers their role. */
  readonly roleCheck: DatabaseRoleCheck;
  /** Declares a client to the database behind the balancer (each connection through it is one there). */
  addClient(demand: MysqlClientDemand): MysqlClientDemand;
  /** Lets `peer` read: the VIP's read port. */
  allowReadsFrom(peer: IConnectable): void;
}

/** The tier behind a {@link HaproxyBalancer}. */
export interface HaproxyTarget extends HttpTarget {
  /** `maxconn` of each server: `loadShedding.perServerCapacity`, else the share of the entry's connections each must take when one of them is down. */
  readonly serverMaxconn: number;
}

/**
 * A self-managed public HTTP entry: two haproxy nodes sharing a VIP by keepalived VRRP (no IPVS),
 * a floating IP on the VIP, and nftables on each node derived from its connections.
 *
 * - haproxy runs on both nodes, bound to the VIP; `net.ipv4.ip_nonlocal_bind=1` lets the backup
 *   bind an address it does not hold yet, so a failover needs no haproxy restart.
 * - keepalived tracks `chk_haproxy` (`killall -0 haproxy`): a node whose haproxy died goes to
 *   FAULT and the other takes the VIP.
 * - HTTP mode, `balance roundrobin`, no cookie and no stick table (no session persistence: the
 *   Magento sessions live in Redis), `option httpchk GET <path>` with `inter/fall/rise` from the
 *   {@link HealthCheck}, `retries` + `option redispatch`, `option forwardfor` (the members see the
 *   client's address in X-Forwarded-For), an admin stats socket.
 * - Sizing: frontend `maxconn` = {@link connectionLimitFor}(expectedConcurrentUsers); each server's
 *   `maxconn` is that divided by (servers - 1), so the others still take the whole peak when one is
 *   down; beyond it requests queue in haproxy (`timeout queue`) instead of piling up in PHP.
 * - The members are the target tier's instances, read when the config is rendered: the server
 *   list always follows `tier.cluster.instances`.
 * - `loadShedding`: each server's `maxconn` is `perServerCapacity` and, while the members are
 *   saturated, browsing requests go to the mini-site (rules on {@link LoadShedding}); the mini-site's
 *   servers let the nodes in on their port.
 * - `tls`: an HTTPS bind on the VIP with the certificate bundle (0600) and Mozilla intermediate
 *   settings from lib/security/tls-policy.ts, HTTP redirected to HTTPS (301), HSTS, and
 *   `X-Forwarded-Proto: https` to the members; the HTTPS port is opened to the internet too.
 */
export class HaproxyBalancer extends VrrpPair implements IHttpEntryBalancer {
  /** TCP port clients connect to. */
  public readonly listenerPort: number;
  /** Concurrent users the entry is sized for. */
  public readonly expectedConcurrentUsers: number;
  /** The frontend's `maxconn`. */
  public readonly connectionLimit: number;
  /** The load shedding rules, if any. */
  public readonly loadShedding?: LoadShedding;
  /** The HTTPS listener, if any. */
  public readonly tls?: HaproxyTls;
  /** The response cache in front of haproxy, if any (defaults applied). */
  public readonly cache?: ResponseCache;
  private targetValue?: HaproxyTarget;
  private readonly databaseRoutes: HaproxyDatabaseRoute[] = [];

  constructor(scope: Construct, id: string, props: HaproxyBalancerProps) {
    // The shared VrrpPairOptions pass through as they are; only the flavor's default differs.
    super(scope, id, vrrpPairPropsOf(props, (props) => ({ ...props, flavor: props.flavor ?? Flavor.fromSizing(DEFAULT_VRRP_SIZING), role: 'haproxy nodes' })));
    this.expectedConcurrentUsers = requireConcurrentUsers(this, 'expectedConcurrentUsers', props.expectedConcurrentUsers ?? DEFAULT_CONCURRENT_USERS_PER_COUNTRY);
    this.connectionLimit = connectionLimitFor(this.expectedConcurrentUsers);
    this.listenerPort = props.listenerPort ?? 80;
    requireIntegerInRange(this, 'listenerPort', this.listenerPort, 1, 65535);
    if (this.listenerPort === 22) throw new HostingStacksError(this, 'listenerPort', this.listenerPort, 'is the SSH port of the nodes; pick another');

    this.tls = props.tls !== undefined ? this.resolveTls(props.tls) : undefined;
    this.cache = props.cache !== undefined ? resolveResponseCache(this, props.cache, this.nodes.bootVolumeGb) : undefined;
    if (optionalPeer(this, 'loadShedding', props.loadShedding, Kinds.LOAD_SHEDDING) !== undefined) {
      props.loadShedding!.validate(this);
      this.loadShedding = props.loadShedding;
    }

    this.connections.allowFromInternet(Port.tcp(this.listenerPort), `HTTP entry ${this.vipAddress}:${this.listenerPort} of ${this.node.path}, public by nature (floating IP)`);
    if (this.tls) this.connections.allowFromInternet(Port.tcp(this.tls.port), `HTTPS entry ${this.vipAddress}:${this.tls.port} of ${this.node.path}, public by nature (floating IP)`);
    const miniSite = this.loadShedding?.miniSite;
    if (miniSite?.kind === MiniSiteKind.BACKEND) {
      const backend = miniSite.backend!;
      backend.connections.allowFrom(this, Port.tcp(backend.backendPort), `mini-site of load shedding, from haproxy ${this.node.path}`);
    }
    this.nodes.instances.forEach((host, index) => this.configureNode(host, index));

    this.node.addValidation({
      validate: () => this.targetValue ? [] : [`${this.node.path}: 'target' (undefined) must be set; call addTarget(tier, { port })`],
    });
  }

  /** The databases balanced beside the HTTP entry, in the order added. */
  public get databases(): readonly HaproxyDatabaseRoute[] {
    return [...this.databaseRoutes];
  }

  /**
   * Balances `database` over TCP on the VIP beside the HTTP entry: writes on `writePort` go to the
   * server whose role check says it is the writable primary; reads on `readPort` spread over the
   * replicas that replicate within the lag allowed, the primary taking them only while none does.
   * A server that fails its check has its connections cut. The nodes may ask every server its role
   * and reach it on the database's port; who may reach the VIP's ports is declared on the route
   * returned (give it to the tiers as their database; `allowReadsFrom` for reads).
   */
  public addDatabase(database: IReplicatedMysqlDatabase, options: HaproxyDatabaseOptions = {}): HaproxyDatabaseRoute {
    requirePeer(this, 'database', database, Kinds.REPLICATED_MYSQL_DATABASE);
    requireOptions<HaproxyDatabaseOptions>(this, 'options', options, ['writePort', 'readPort']);
    if (this.databaseRoutes.some((r) => r.database === database)) {
      throw new HostingStacksError(this, 'database', database.databaseName, `is already balanced by ${this.node.path}`);
    }
    const writePort = options.writePort ?? database.port;
    requireIntegerInRange(this, 'writePort', writePort, 1, 65535);
    const readPort = options.readPort ?? writePort + 1;
    requireIntegerInRange(this, 'readPort', readPort, 1, 65535);
    const taken = new Map<number, string>([[22, 'the SSH port of the nodes'], [this.listenerPort, "the HTTP 'listenerPort'"]]);
    if (this.tls) taken.set(this.tls.port, "the HTTPS port ('tls.port')");
    for (const r of this.databaseRoutes) {
      taken.set(r.port, `the write port of ${r.databaseName}`);
      taken.set(r.readPort, `the read port of ${r.databaseName}`);
    }
    for (const [prop, port] of [['writePort', writePort], ['readPort', readPort]] as const) {
      const holder = taken.get(port);
      if (holder) throw new HostingStacksError(this, prop, port, `is already ${holder}; pick another`);
    }
    if (readPort === writePort) throw new HostingStacksError(this, 'readPort', readPort, "must differ from 'writePort'");
    // MariaDB sees the nodes' own addresses, not the clients': the application account must let them in.
    const refused = this.nodes.addresses.filter((a) => !database.acceptsApplicationFrom(a));
    if (refused.length) {
      throw new HostingStacksError(this, 'database', database.databaseName,
        `does not let its application account log in from the haproxy nodes (${refused.join(', ')}), which connect from their own addresses; widen its applicationClientCidr to include them`);
    }
    const route = new DatabaseRouteConstruct(this, `Database${this.databaseRoutes.length + 1}`, database, { writePort, readPort });
    this.databaseRoutes.push(route);
    return route;
  }

  /** The tier behind the entry, once added. */
  public get target(): HaproxyTarget | undefined {
    return this.targetValue;
  }

  /**
   * Balances the VIP's HTTP port over every instance of `tier` on `options.port`, and lets the
   * nodes in on that port in the tier's connections. One tier per balancer.
   */
  public addTarget(tier: IServerTier, options: HttpTargetOptions): HaproxyTarget {
    requirePeer(this, 'tier', tier, Kinds.SERVER_TIER);
    requireOptions<HttpTargetOptions>(this, 'options', options, ['port', 'healthCheck']);
    optionalPeer(this, 'healthCheck', options.healthCheck, Kinds.HEALTH_CHECK);
    if (this.targetValue) {
      throw new HostingStacksError(this, 'tier', tier.cluster.node.path, `cannot be added: ${this.node.path} already balances ${this.targetValue.tier.cluster.node.path}; one tier per entry`);
    }
    requireIntegerInRange(this, 'port', options.port, 1, 65535);
    const healthCheck = (options.healthCheck ?? HealthCheck.http()).validate(this, 'healthCheck');
    requireReachableTier(this, this.vswitch, tier, this.nodes);
    const miniSite = this.loadShedding?.miniSite;
    if (miniSite?.kind === MiniSiteKind.BACKEND && miniSite.backend!.backendAddresses.some((a) => tier.cluster.addresses.includes(a))) {
      throw new HostingStacksError(this, 'tier', tier.cluster.node.path, `is also the load shedding mini-site (${miniSite.backend!.connections.owner.node.path}); shed visitors must go elsewhere than the saturated members`);
    }
    const instances = tier.cluster.instances;
    const rule = tier.connections.allowFrom(this, Port.tcp(options.port), `HTTP and health checks from haproxy ${this.node.path}`);
    this.targetValue = {
      tier,
      port: options.port,
      healthCheck,
      memberAddresses: instances.map((i) => i.address),
      memberRules: [rule],
      // haproxy connects to the members from each node's own address, never from the VIP.
      trustedProxies: this.nodes.addresses,
      serverMaxconn: this.loadShedding?.perServerCapacity ?? Math.ceil(this.connectionLimit / Math.max(1, instances.length - 1)),
    };
    // The nodes set X-Forwarded-Proto on every request (haproxy.cfg); the tier believes it from them only.
    trustForwardedProto(tier, this.targetValue.trustedProxies, this);
    return this.targetValue;
  }

  /** The haproxy model of node `index` (0 or 1), with the target's instances as servers. */
  public haproxyModel(index: number): HaproxyConfigModel {
    const host = this.nodes.instances[index];
    if (!host) throw new HostingStacksError(this, 'index', index, `must be from 0 to ${this.nodes.instances.length - 1}`);
    const target = this.targetValue;
    const hc = target?.healthCheck ?? HealthCheck.http();
    // Behind the cache nginx ends HTTPS: haproxy only speaks HTTP on loopback.
    const tls: HaproxyTlsModel | undefined = this.tls && !this.cache ? {
      bindPort: this.tls.port,
      certificatePath: HAPROXY_CERTIFICATE_PATH,
      ciphers: intermediateCipherString(),
      ciphersuites: intermediateCiphersuiteString(),
      bindOptions: HAPROXY_TLS_BIND_OPTIONS,
      alpn: HAPROXY_ALPN,
      hstsMaxAgeSeconds: this.tls.hstsMaxAgeSeconds,
    } : undefined;
    const databases = this.databaseRoutes.map((route, i): HaproxyDatabaseModel => {
      const db = route.database;
      const addresses = [db.writerAddress, ...db.readerAddresses];
      return {
        name: `database_${i + 1}`,
        bindAddress: this.vipAddress,
        writePort: route.port,
        readPort: route.readPort,
        // Read at render time: max_connections grows with the clients declared.
        maxconn: db.maxConnections,
        primaryPath: route.roleCheck.primaryPath,
        readablePath: route.roleCheck.readablePath,
        servers: addresses.map((address, k) => ({ name: db.memberHostnames[k], address, port: db.port, checkPort: route.roleCheck.port })),
      };
    });
    return {
      hostname: host.hostname,
      globalMaxconn: this.connectionLimit + HAPROXY_GLOBAL_MAXCONN_MARGIN + databases.reduce((sum, d) => sum + 2 * d.maxconn, 0),
      statsSocket: HAPROXY_STATS_SOCKET,
      chroot: '/var/lib/haproxy',
      runAs: { user: 'haproxy', group: 'haproxy' },
      syslog: '/dev/log',
      timeouts: ENTRY_TIMEOUTS,
      retries: HAPROXY_RETRIES,
      frontend: this.cache
        ? { name: 'entry', bindAddress: CACHE_UPSTREAM_ADDRESS, bindPort: this.cache.upstreamPort, maxconn: this.connectionLimit, trustedProxy: CACHE_TRUSTED_PROXY }
        : { name: 'entry', bindAddress: this.vipAddress, bindPort: this.listenerPort, maxconn: this.connectionLimit },
      backend: {
        name: 'members',
        healthCheck: haproxyHealthCheckModel(hc),
        // Read from the tier at render time: the server list follows the tier's instances.
        servers: (target?.tier.cluster.instances ?? []).map((i) => ({ name: i.hostname, address: i.address, port: target!.port, maxconn: target!.serverMaxconn })),
      },
      tls,
      loadShedding: this.loadShedding?.haproxyModel(),
      databases,
      databaseTimeouts: databases.length ? HAPROXY_DATABASE_TIMEOUTS : undefined,
    };
  }

  /**
   * The nginx model of node `index`'s response cache (production paths): the VIP's public ports in
   * front of haproxy on loopback. Throws when the balancer has no `cache`.
   */
  public nginxCacheModel(index: number): NginxCacheConfigModel {
    const host = this.nodes.instances[index];
    if (!host) throw new HostingStacksError(this, 'index', index, `must be from 0 to ${this.nodes.instances.length - 1}`);
    const cache = this.cache;
    if (!cache) throw new HostingStacksError(this, 'cache', undefined, 'is not set; this balancer has no response cache');
    // A client connection and an upstream connection per request in flight.
    const workerConnections = 2 * this.connectionLimit;
    return {
      hostname: host.hostname,
      user: CACHE_NGINX_USER,
      pidFile: NGINX_PATHS.pidFile,
      errorLog: `${NGINX_PATHS.logDir}/error.log`,
      accessLog: `${NGINX_PATHS.logDir}/access.log`,
      tempDir: NGINX_PATHS.tempDir,
      workerConnections,
      workerRlimitNofile: 2 * workerConnections,
      listen: `${this.vipAddress}:${this.listenerPort}`,
      upstream: {
        address: CACHE_UPSTREAM_ADDRESS,
        port: cache.upstreamPort,
        keepalive: 64,
        // haproxy closes an idle kept-alive connection after `timeout http-keep-alive`: nginx lets it go a second earlier.
        keepaliveTimeoutSeconds: Math.max(1, Math.floor(ENTRY_TIMEOUTS.httpKeepAliveMs / 1000) - 1),
      },
      healthSocket: CACHE_HEALTH_SOCKET,
      healthPath: CACHE_HEALTH_PATH,
      cache: {
        path: CACHE_PATH,
        zoneName: 'entry',
        keysZoneMb: cache.keysZoneMb,
        maxSizeGb: cache.maxSizeGb,
        inactiveSeconds: cache.inactiveSeconds,
        key: cache.key,
        validity: cache.validity,
        cachedPrefixes: cache.cachedPrefixes,
        bypassCookies: cache.bypassCookies,
        bypassPaths: cache.bypassPaths,
        lockTimeoutSeconds: 5,
      },
      timeouts: {
        connectSeconds: ENTRY_TIMEOUTS.connectMs / 1000,
        // haproxy answers first: a request may queue there, then wait for a slow page (plus a connect and a margin).
        upstreamSeconds: Math.ceil((ENTRY_TIMEOUTS.queueMs + ENTRY_TIMEOUTS.serverMs + ENTRY_TIMEOUTS.connectMs) / 1000) + 5,
        clientHeaderSeconds: ENTRY_TIMEOUTS.httpRequestMs / 1000,
        clientSeconds: ENTRY_TIMEOUTS.clientMs / 1000,
        keepaliveSeconds: ENTRY_TIMEOUTS.httpKeepAliveMs / 1000,
      },
      tls: this.tls && {
        listen: `${this.vipAddress}:${this.tls.port}`,
        port: this.tls.port,
        // One PEM bundle (chain, then key), as haproxy takes it: nginx reads the certificates and the key from the same file.
        certificateFile: HAPROXY_CERTIFICATE_PATH,
        certificateKeyFile: HAPROXY_CERTIFICATE_PATH,
        protocols: MOZILLA_INTERMEDIATE_PROTOCOLS,
        ciphers: intermediateCipherString(),
        sessionTimeout: NGINX_TLS_SESSION.timeout,
        sessionCache: NGINX_TLS_SESSION.cache,
        sessionTickets: NGINX_TLS_SESSION.tickets,
        hstsMaxAgeSeconds: this.tls.hstsMaxAgeSeconds,
      },
    };
  }

  /** The keepalived model of node `index`: the VRRP instance tracking `chk_haproxy` (and `chk_nginx` with a cache), no IPVS. */
  public keepalivedModel(index: number): KeepalivedConfigModel {
    const scripts = this.cache ? [HAPROXY_VRRP_SCRIPT, NGINX_VRRP_SCRIPT] : [HAPROXY_VRRP_SCRIPT];
    const vrrpInstance = this.vrrpInstanceModel(index, scripts.map((sc) => sc.name));
    return { routerId: this.nodes.instances[index].hostname, includes: this.keepalivedIncludes, vrrpInstance, vrrpScripts: scripts, virtualServers: [] };
  }

  private resolveTls(options: HaproxyTlsOptions): HaproxyTls {
    requireOptions<HaproxyTlsOptions>(this, 'tls', options, ['certificate', 'port', 'hstsMaxAgeSeconds']);
    requirePeer(this, 'tls.certificate', options.certificate, Kinds.SECRET);
    const port = options.port ?? HTTPS_PORT;
    requireIntegerInRange(this, 'tls.port', port, 1, 65535);
    if (port === 22 || port === this.listenerPort) {
      throw new HostingStacksError(this, 'tls.port', port, `must differ from the SSH port (22) and the HTTP 'listenerPort' (${this.listenerPort})`);
    }
    const hstsMaxAgeSeconds = options.hstsMaxAgeSeconds ?? HSTS_MAX_AGE_SECONDS;
    requireIntegerInRange(this, 'tls.hstsMaxAgeSeconds', hstsMaxAgeSeconds, 0, 2 ** 31 - 1);
    return { certificate: options.certificate, port, hstsMaxAgeSeconds };
  }

  private configureNode(host: ServerInstance, index: number): void {
    const config = host.cloudConfig;
    // psmisc provides killall for the track script; curl asks nginx for chk_nginx.
    config.addPackages('haproxy', 'keepalived', 'nftables', 'psmisc');
    if (this.cache) config.addPackages('nginx', 'curl');
    const bound = this.cache ? 'nginx (the response cache)' : 'haproxy';
    config.addFile({
      path: '/etc/sysctl.d/60-haproxy-nonlocal-bind.conf',
      syntax: ConfigSyntax.SYSCTL,
      content: renderLvsSysctlConfig({
        comment: `haproxy node of ${this.node.path}: bind the VIP ${this.vipAddress} before holding it, so the backup's ${bound} is ready at failover`,
        settings: [{ key: 'net.ipv4.ip_nonlocal_bind', value: '1' }],
      }),
    });
    config.addPreServiceCommand('sysctl', '-p', '/etc/sysctl.d/60-haproxy-nonlocal-bind.conf');
    if (this.tls) {
      // Resolved at apply from the sensitive variable; only root reads it (haproxy does, before it drops to its user).
      config.addSecretFile(HAPROXY_CERTIFICATE_PATH, this.tls.certificate);
    }
    // Rendered when cloud-init is rendered, so the target and rules added later are in.
    config.addLazyFile('/etc/nftables.conf', ConfigSyntax.NFTABLES, () => renderNftablesRuleset({ hostname: host.hostname, input: nftablesRulesFromConnections(this.connections) }));
    config.addLazyFile('/etc/haproxy/haproxy.cfg', ConfigSyntax.HAPROXY, () => renderHaproxyConfig(this.haproxyModel(index)));
    config.addLazyFile('/etc/keepalived/keepalived.conf', ConfigSyntax.KEEPALIVED, () => renderKeepalivedConfig(this.keepalivedModel(index)));
    if (this.cache) {
      config.addLazyFile(NGINX_PATHS.config, ConfigSyntax.NGINX, () => renderNginxCacheConfig(this.nginxCacheModel(index)));
      // haproxy first: nginx's first requests find it listening.
      config.addServices('nftables', 'haproxy', 'nginx', 'keepalived');
    } else {
      config.addServices('nftables', 'haproxy', 'keepalived');
    }
  }
}

/** The {@link HaproxyDatabaseRoute} a balancer makes; made by `addDatabase` only, which renders it. */
class DatabaseRouteConstruct extends Construct implements HaproxyDatabaseRoute {
  /** The balancer's connections: what may reach the VIP's database ports. */
  public readonly connections: Connections;
  /** The VIP: where writes go. */
  public readonly writerAddress: string;
  /** None: reads go to the VIP on `readPort` ({@link readerAddress}). */
  public readonly readerAddresses: readonly string[] = [];
  /** The VIP again, for reads on `readPort`. */
  public readonly readerAddress: string;
  /** Port of the write listener. */
  public readonly port: number;
  /** Port of the read listener. */
  public readonly readPort: number;
  /** The database behind the balancer. */
  public readonly database: IReplicatedMysqlDatabase;
  /** How the nodes ask its servers their role. */
  public readonly roleCheck: DatabaseRoleCheck;
  /** The application's schema. */
  public readonly databaseName: string;
  /** The application's account. */
  public readonly applicationUser: string;
  /** The application's password. */
  public readonly applicationPassword: Secret;

  constructor(balancer: HaproxyBalancer, id: string, database: IReplicatedMysqlDatabase, ports: { readonly writePort: number; readonly readPort: number }) {
    super(balancer, id);
    this.connections = balancer.connections;
    this.database = database;
    this.writerAddress = balancer.vipAddress;
    this.readerAddress = balancer.vipAddress;
    this.port = ports.writePort;
    this.readPort = ports.readPort;
    this.databaseName = database.databaseName;
    this.applicationUser = database.applicationUser;
    this.applicationPassword = database.applicationPassword;
    this.roleCheck = database.allowRoleChecksFrom(balancer);
    database.connections.allowFrom(balancer, Port.tcp(database.port), `database calls through haproxy ${balancer.node.path}`);
  }

  /** Declares a client to the database behind the balancer (each connection through it is one there). */
  public addClient(demand: MysqlClientDemand): MysqlClientDemand {
    return this.database.addClient ? this.database.addClient(demand) : demand;
  }

  /** Lets `peer` read: the VIP's read port. */
  public allowReadsFrom(peer: IConnectable): void {
    requirePeer(this, 'peer', peer, Kinds.CONNECTABLE);
    this.connections.allowFrom(peer, Port.tcp(this.readPort), `reads of ${this.databaseName} through ${this.node.path}`);
  }
}
