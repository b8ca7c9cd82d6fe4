import { ConfigSyntax } from '../compute/cloud-config';
import { Construct } from 'constructs';
import { HealthCheck } from '../balancing/health-check';
import { Flavor } from '../compute/flavor';
import { IServerTier, ServerCluster, scalableTierAddressCapacity, TierWorkers, resolveCounts } from '../compute/server-cluster';
import { Connections } from '../core/connections';
import { IHttpBackend } from '../core/endpoints';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { Port } from '../core/port';
import { Secret } from '../core/secret';
import { IPrivateVSwitch } from '../network/private-vswitch';
import { intermediateCipherString, MOZILLA_INTERMEDIATE_PROTOCOLS } from '../security/tls-policy';
import {
  ApacheBalancer,
  ApacheConfig,
  ApacheMpmEventLimits,
  ApacheTlsModel,
  apacheMpmLimitsForRam,
  APACHE_RESERVED_MB,
  APACHE_THREADS_PER_CHILD,
  DEBIAN_APACHE_MODULES_DIR,
  renderApacheConfig,
} from './apache-config';
import { kebabCase } from '../core/naming';
import { healthCheckPathRule, requireOptionalText, requireTextRule, TextKind } from '../core/text';
import { HSTS_TWO_YEARS_SECONDS } from './nginx-config';
import { Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';

/** Debian 12 paths of the `apache2` package and of the files this tier adds. */
export const APACHE_PATHS = {
  config: '/etc/apache2/apache2.conf',
  pidFile: '/var/run/apache2/apache2.pid',
  runtimeDir: '/var/run/apache2',
  logDir: '/var/log/apache2',
  mimeTypes: '/etc/mime.types',
  healthDir: '/var/www/health',
} as const;

/** Where the web servers' TLS certificate chain and key are written (root only, 0600; Apache reads them as root at start). */
export const WEB_TLS_PATHS = { certificate: '/etc/apache2/tls/web.crt', privateKey: '/etc/apache2/tls/web.key' } as const;

/** The HTTPS port of the web servers. */
export const WEB_HTTPS_PORT = 443;

/** Status of the HTTP-to-HTTPS redirect: permanent, so browsers and search engines keep the HTTPS URL. */
export const WEB_HTTPS_REDIRECT_STATUS = 301;

/** HTTPS terminated on the web servers themselves (behind a layer-4 balancer such as LVS). */
export interface WebTierTlsOptions {
  /** PEM certificate chain (leaf first) as a sensitive variable. A Secret made by Secret.variable only; a string or a look-alike object is refused. */
  readonly certificate: Secret;
  /** PEM private key as a sensitive variable. A Secret made by Secret.variable only; a string or a look-alike object is refused. */
  readonly privateKey: Secret;
  /** HTTPS port. @default WEB_HTTPS_PORT (443) */
  readonly port?: number;
  /** `Strict-Transport-Security` max-age on HTTPS answers; 0 sends none. @default HSTS_TWO_YEARS_SECONDS (Mozilla's two years) */
  readonly hstsMaxAgeSeconds?: number;
}

/** The resolved HTTPS settings of a {@link WebTier}. */
export interface WebTierTls {
  /** HTTPS port. */
  readonly port: number;
  /** The certificate chain's variable. */
  readonly certificate: Secret;
  /** The private key's variable. */
  readonly privateKey: Secret;
  /** HSTS max-age; 0 for none. */
  readonly hstsMaxAgeSeconds: number;
}

/** Props of {@link WebTier}. */
export interface WebTierProps {
  /** The vSwitch the servers are on. */
  readonly vswitch: IPrivateVSwitch;
  /** Number of Apache servers. */
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
  /** Flavor of the servers; Apache's worker limits are sized from its RAM. */
  readonly flavor: Flavor;
  /** The HTTP service Apache balances requests over (the app tier). */
  readonly upstream: IHttpBackend;
  /** TCP port Apache listens on. @default 80 */
  readonly listenPort?: number;
  /** Public site name (`ServerName`). @default - each server's host name */
  readonly serverName?: string;
  /** Path Apache answers itself for the balancer in front (a static file). @default '/healthz' */
  readonly healthCheckPath?: string;
  /** Requests served at once per server. @default - from the flavor's RAM, see apacheMpmLimitsForRam */
  readonly maxRequestWorkers?: number;
  /** Pin each client to one app server by a `ROUTEID` cookie (Tomcat keeps HTTP sessions in memory). @default true */
  readonly stickySessions?: boolean;
  /** Seconds to wait for an app server's response. @default 60 */
  readonly backendTimeoutSeconds?: number;
  /** Seconds to open a connection to an app server before trying the next one. @default 2 */
  readonly backendConnectTimeoutSeconds?: number;
  /** Seconds a failed app server stays out before a live request retries it. @default 10 */
  readonly backendRetrySeconds?: number;
  /** Active health check of the app servers on the upstream's health path. @default HealthCheck.http({ path: upstream.healthCheckPath }) (2 s interval, 2 failures, 2 passes) */
  readonly backendHealthCheck?: HealthCheck;
  /** Host name prefix; hosts are `<prefix>-1`, `<prefix>-2`, ... @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
  /**
   * HTTPS on the servers (mod_ssl, Mozilla intermediate): a TLS virtual host that proxies to the
   * upstream, and `listenPort` redirecting to it except the health path. @default - HTTP only
   */
  readonly tls?: WebTierTlsOptions;
}

/**
 * The web servers: Apache 2.4 (Debian 12 `apache2`, event MPM) on a {@link ServerCluster}, each a
 * balancing reverse proxy over every member of the upstream (mod_proxy_balancer with active health
 * checks and optional cookie stickiness), answering its own health path for the layer-4 balancer in
 * front. `/etc/apache2/apache2.conf` is rendered complete, so nothing of the package's
 * `*-enabled/` folders is used.
 *
 * With `tls`, HTTPS ends on the servers (the balancer in front is layer 4): the certificate chain
 * and key come from sensitive variables, written root-only (0600); only the TLS virtual host
 * proxies (sending `X-Forwarded-Proto: https` upstream), and plain HTTP answers the health path
 * and redirects everything else with a 301. Open the TLS port on the balancer too.
 */
export class WebTier extends Construct implements IServerTier {
  /** The servers. */
  public readonly cluster: ServerCluster;
  /** The network intent of the servers. */
  public readonly connections: Connections;
  /** The upstream. */
  public readonly upstream: IHttpBackend;
  /** TCP port Apache listens on. */
  public readonly listenPort: number;
  /** Path Apache answers itself. */
  public readonly healthCheckPath: string;
  /** The health check a balancer in front should use. */
  public readonly healthCheck: HealthCheck;
  /** The health check Apache runs against the upstream members. */
  public readonly backendHealthCheck: HealthCheck;
  /** Event MPM limits per server. */
  public readonly mpm: ApacheMpmEventLimits;

  /** The Apache workers of each server: its capacity ({@link IServerTier.workers}). */
  public get workers(): TierWorkers {
    return { perServer: this.mpm.maxRequestWorkers, what: 'Apache workers' };
  }

  /** Apache's `/server-status` port: the listen port ({@link IServerTier.apacheStatusPort}). */
  public get apacheStatusPort(): number {
    return this.listenPort;
  }
  /** Whether clients are pinned to one app server. */
  public readonly stickySessions: boolean;
  /** The resolved HTTPS settings, when `tls` was given. */
  public readonly tls?: WebTierTls;

  constructor(scope: Construct, id: string, props: WebTierProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    requirePeer(this, 'upstream', props.upstream, Kinds.HTTP_BACKEND);
    optionalPeer(this, 'backendHealthCheck', props.backendHealthCheck, Kinds.HEALTH_CHECK);
    resolveCounts(this, props);
    this.listenPort = props.listenPort ?? 80;
    requireIntegerInRange(this, 'listenPort', this.listenPort, 1, 65535);
    this.healthCheckPath = props.healthCheckPath ?? '/healthz';
    requireTextRule(this, 'healthCheckPath', this.healthCheckPath, healthCheckPathRule(['/server-status']));
    requireOptionalText(this, 'serverName', props.serverName, TextKind.HOST_NAME, { allowed: "must be a DNS name such as 'www.example.com'" });
    if (props.upstream.backendAddresses.length === 0) {
      throw new HostingStacksError(this, 'upstream', props.upstream.connections.owner.node.path, 'has no backend addresses; the balancer needs at least one member');
    }
    const backendTimeout = props.backendTimeoutSeconds ?? 60;
    const connectTimeout = props.backendConnectTimeoutSeconds ?? 2;
    const retry = props.backendRetrySeconds ?? 10;
    requireIntegerInRange(this, 'backendTimeoutSeconds', backendTimeout, 1, 3600);
    requireIntegerInRange(this, 'backendConnectTimeoutSeconds', connectTimeout, 1, 300);
    requireIntegerInRange(this, 'backendRetrySeconds', retry, 0, 3600);
    if (props.maxRequestWorkers !== undefined) {
      requireIntegerInRange(this, 'maxRequestWorkers', props.maxRequestWorkers, APACHE_THREADS_PER_CHILD, 20000 * APACHE_THREADS_PER_CHILD);
    }
    this.backendHealthCheck = (props.backendHealthCheck ?? HealthCheck.http({ path: props.upstream.healthCheckPath })).validate(this, 'backendHealthCheck');
    if (this.backendHealthCheck.path === undefined) {
      throw new HostingStacksError(this, 'backendHealthCheck', this.backendHealthCheck.kind, 'must be an HTTP check: Apache checks members with GET');
    }
    this.upstream = props.upstream;
    this.stickySessions = props.stickySessions ?? true;
    this.healthCheck = HealthCheck.http({ path: this.healthCheckPath });
    if (props.tls) this.tls = this.resolveTls(props.tls);

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
    const mpm = apacheMpmLimitsForRam(this.cluster.flavor.ramGb, props.maxRequestWorkers);
    if (!mpm) {
      throw new HostingStacksError(this, 'flavor', this.cluster.flavor.name,
        `has ${this.cluster.flavor.ramGb} GB of RAM: Apache needs ${APACHE_RESERVED_MB} MB for the system plus one child of ${APACHE_THREADS_PER_CHILD} workers`);
    }
    this.mpm = mpm;

    props.upstream.connections.allowFrom(this, Port.tcp(props.upstream.backendPort), `${this.node.path} reverse proxy`);

    const balancer = this.balancerModel(backendTimeout, connectTimeout, retry);
    this.cluster.configureHosts((host) => {
      const cc = host.cloudConfig;
      cc.addPackages('apache2');
      if (this.tls) {
        cc.addSecretFile(WEB_TLS_PATHS.certificate, this.tls.certificate);
        cc.addSecretFile(WEB_TLS_PATHS.privateKey, this.tls.privateKey);
      }
      cc.addFile({
        path: APACHE_PATHS.config,
        syntax: ConfigSyntax.APACHE,
        content: renderApacheConfig(this.apacheConfig(props.serverName ?? host.hostname, balancer)),
      });
      cc.addFile({ path: `${APACHE_PATHS.healthDir}${this.healthCheckPath}`, content: 'ok\n' });
      cc.addServices('apache2');
    });
  }

  /** The TLS part of the Apache model (production paths), when `tls` was given. */
  public apacheTlsModel(): ApacheTlsModel | undefined {
    if (!this.tls) return undefined;
    return {
      port: this.tls.port,
      certificateFile: WEB_TLS_PATHS.certificate,
      certificateKeyFile: WEB_TLS_PATHS.privateKey,
      protocol: ['-all', ...MOZILLA_INTERMEDIATE_PROTOCOLS.map((p) => `+${p}`)].join(' '),
      ciphers: intermediateCipherString(),
      hstsMaxAgeSeconds: this.tls.hstsMaxAgeSeconds,
      redirectStatus: WEB_HTTPS_REDIRECT_STATUS,
      redirectPortSuffix: this.tls.port === WEB_HTTPS_PORT ? '' : `:${this.tls.port}`,
    };
  }

  private resolveTls(options: WebTierTlsOptions): WebTierTls {
    for (const prop of ['certificate', 'privateKey'] as const) requirePeer(this, `tls.${prop}`, options[prop], Kinds.SECRET);
    const port = options.port ?? WEB_HTTPS_PORT;
    requireIntegerInRange(this, 'tls.port', port, 1, 65535);
    if (port === this.listenPort) throw new HostingStacksError(this, 'tls.port', port, `is the HTTP port ('listenPort'); HTTPS needs another (${WEB_HTTPS_PORT})`);
    const hstsMaxAgeSeconds = options.hstsMaxAgeSeconds ?? HSTS_TWO_YEARS_SECONDS;
    requireIntegerInRange(this, 'tls.hstsMaxAgeSeconds', hstsMaxAgeSeconds, 0);
    return { port, certificate: options.certificate, privateKey: options.privateKey, hstsMaxAgeSeconds };
  }

  private balancerModel(timeoutSeconds: number, connectTimeoutSeconds: number, retrySeconds: number): ApacheBalancer {
    const hc = this.backendHealthCheck;
    return {
      name: 'app',
      members: this.upstream.backendAddresses.map((a, i) => ({ url: `http://${a}:${this.upstream.backendPort}`, route: `m${i + 1}` })),
      retrySeconds,
      connectTimeoutSeconds,
      timeoutSeconds,
      stickySessions: this.stickySessions,
      healthCheck: {
        path: hc.path!,
        intervalSeconds: Math.max(1, Math.round(hc.intervalSeconds)),
        fails: hc.unhealthyThreshold,
        passes: hc.healthyThreshold,
      },
    };
  }

  private apacheConfig(serverName: string, balancer: ApacheBalancer): ApacheConfig {
    return {
      serverName,
      listenAddress: '*',
      listenPort: this.listenPort,
      modulesDir: DEBIAN_APACHE_MODULES_DIR,
      runUser: 'www-data',
      runGroup: 'www-data',
      pidFile: APACHE_PATHS.pidFile,
      runtimeDir: APACHE_PATHS.runtimeDir,
      logDir: APACHE_PATHS.logDir,
      mimeTypesFile: APACHE_PATHS.mimeTypes,
      healthCheckPath: this.healthCheckPath,
      healthCheckFile: `${APACHE_PATHS.healthDir}${this.healthCheckPath}`,
      healthCheckDir: APACHE_PATHS.healthDir,
      statusPath: '/server-status',
      timeoutSeconds: 60,
      keepAliveTimeoutSeconds: 5,
      mpm: this.mpm,
      balancer,
      tls: this.apacheTlsModel(),
    };
  }
}

