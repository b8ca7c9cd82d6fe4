import { renderTemplate } from '../config/template';

/** Where the Debian 12 `apache2` package keeps its loadable modules. */
export const DEBIAN_APACHE_MODULES_DIR = '/usr/lib/apache2/modules';

/**
 * Memory kept for everything on a web server that is not an Apache worker thread: the kernel,
 * sshd, cloud-init, log shipping and monitoring agents, and the page cache for logs.
 */
export const APACHE_RESERVED_MB = 512;

/**
 * Memory budgeted per MPM event worker thread of a reverse proxy (no PHP, no in-process app): the
 * thread's touched stack, mod_proxy's two 8 KB I/O buffers, the request pool and the backend
 * connection it holds. An event child of 25 threads proxying stays well under 25 MB resident, so
 * 2 MB per thread leaves headroom for long headers and slow clients.
 */
export const APACHE_MB_PER_WORKER = 2;

/** Threads per Apache child process (Apache's own default). Worker counts are multiples of it. */
export const APACHE_THREADS_PER_CHILD = 25;

/** The worker limits of Apache's event MPM. */
export interface ApacheMpmEventLimits {
  /** Child processes started at boot. */
  readonly startServers: number;
  /** Upper bound of child processes (`MaxRequestWorkers / ThreadsPerChild`). */
  readonly serverLimit: number;
  /** Upper bound of `ThreadsPerChild` (kept equal to it, so no scoreboard is wasted). */
  readonly threadLimit: number;
  /** Threads per child. */
  readonly threadsPerChild: number;
  /** Requests served at once, the sum of all threads. */
  readonly maxRequestWorkers: number;
  /** Idle threads kept ready. */
  readonly minSpareThreads: number;
  /** Idle threads above which children are stopped. */
  readonly maxSpareThreads: number;
  /** Requests a child serves before it is replaced; 0 for never. */
  readonly maxConnectionsPerChild: number;
}

/**
 * Event MPM limits for a web server with `ramGb` of memory that does nothing but reverse-proxy:
 * `MaxRequestWorkers = floor((RAM MB - APACHE_RESERVED_MB) / APACHE_MB_PER_WORKER)`, rounded down to
 * a multiple of `APACHE_THREADS_PER_CHILD`; `ServerLimit = MaxRequestWorkers / ThreadsPerChild`.
 * 2 GB gives 750 workers in 30 children; 4 GB gives 1,775 in 71. Returns undefined when the RAM
 * does not hold one child.
 */
export function apacheMpmLimitsForRam(ramGb: number, maxRequestWorkers?: number): ApacheMpmEventLimits | undefined {
  const budget = Math.floor((ramGb * 1024 - APACHE_RESERVED_MB) / APACHE_MB_PER_WORKER);
  const fromRam = Math.floor(budget / APACHE_THREADS_PER_CHILD) * APACHE_THREADS_PER_CHILD;
  const workers = maxRequestWorkers ?? fromRam;
  if (workers < APACHE_THREADS_PER_CHILD) return undefined;
  const serverLimit = Math.ceil(workers / APACHE_THREADS_PER_CHILD);
  return {
    startServers: Math.min(2, serverLimit),
    serverLimit,
    threadLimit: APACHE_THREADS_PER_CHILD,
    threadsPerChild: APACHE_THREADS_PER_CHILD,
    maxRequestWorkers: serverLimit * APACHE_THREADS_PER_CHILD,
    minSpareThreads: APACHE_THREADS_PER_CHILD,
    // Keep up to three children's worth of idle threads so a burst does not wait for new children.
    maxSpareThreads: Math.min(serverLimit, 3) * APACHE_THREADS_PER_CHILD,
    maxConnectionsPerChild: 0,
  };
}

/** One backend of the `balancer://` group. */
export interface ApacheBalancerMember {
  /** Backend URL, `http://10.0.1.20:8080`. */
  readonly url: string;
  /** Route name, the value of the stickiness cookie for this member (`m1`). */
  readonly route: string;
}

/** Apache's active health check of the balancer members (mod_proxy_hcheck). */
export interface ApacheMemberHealthCheck {
  /** Path requested with GET. */
  readonly path: string;
  /** Seconds between checks. */
  readonly intervalSeconds: number;
  /** Failed checks before a member is taken out. */
  readonly fails: number;
  /** Passed checks before a member is put back. */
  readonly passes: number;
}

/** The reverse-proxy balancer of the config. */
export interface ApacheBalancer {
  /** Name in `balancer://<name>`. */
  readonly name: string;
  /** Members, in order. */
  readonly members: readonly ApacheBalancerMember[];
  /** Seconds a member that failed stays out before Apache retries it with a live request. */
  readonly retrySeconds: number;
  /** Seconds to open a TCP connection to a member before trying the next one. */
  readonly connectTimeoutSeconds: number;
  /** Seconds to wait for a member's response. */
  readonly timeoutSeconds: number;
  /** Pin a client to the member that served it, by a `ROUTEID` cookie (Tomcat keeps HTTP sessions in memory). */
  readonly stickySessions: boolean;
  /** Active health check of the members. */
  readonly healthCheck: ApacheMemberHealthCheck;
}

/** HTTPS on the web server itself (mod_ssl): a TLS virtual host, and plain HTTP redirected to it. */
export interface ApacheTlsModel {
  /** TCP port of the TLS virtual host. */
  readonly port: number;
  /** `SSLCertificateFile`: the PEM certificate chain, leaf first. */
  readonly certificateFile: string;
  /** `SSLCertificateKeyFile`: the PEM private key. */
  readonly certificateKeyFile: string;
  /** `SSLProtocol` arguments (`-all +TLSv1.2 +TLSv1.3`). */
  readonly protocol: string;
  /** `SSLCipherSuite` for TLS 1.2 (OpenSSL names joined by `:`). */
  readonly ciphers: string;
  /** `Strict-Transport-Security` max-age on HTTPS answers; 0 sends none. */
  readonly hstsMaxAgeSeconds: number;
  /** Status of the HTTP-to-HTTPS redirect (301). */
  readonly redirectStatus: number;
  /** `:port` appended to the redirect's host, empty for 443. */
  readonly redirectPortSuffix: string;
}

/** A complete, self-contained `/etc/apache2/apache2.conf` for a reverse proxy in front of an app tier. */
export interface ApacheConfig {
  /** `ServerName`. */
  readonly serverName: string;
  /** Address Apache binds to, `*` for all (LVS direct routing sends VIP traffic to the real server). */
  readonly listenAddress: string;
  /** TCP port. */
  readonly listenPort: number;
  /** Folder of the module `.so` files. */
  readonly modulesDir: string;
  /** User the children run as. */
  readonly runUser: string;
  /** Group the children run as. */
  readonly runGroup: string;
  /** `PidFile` path. */
  readonly pidFile: string;
  /** `DefaultRuntimeDir` (shared memory of the balancer and health checks). */
  readonly runtimeDir: string;
  /** Folder of `error.log` and `access.log`. */
  readonly logDir: string;
  /** The MIME types file. */
  readonly mimeTypesFile: string;
  /** Local path Apache answers itself for the LVS health check (`/healthz`). */
  readonly healthCheckPath: string;
  /** Static file served at `healthCheckPath`. */
  readonly healthCheckFile: string;
  /** Folder holding `healthCheckFile`. */
  readonly healthCheckDir: string;
  /** Path of mod_status, answered to localhost only. */
  readonly statusPath: string;
  /** Seconds of the `Timeout` directive (client I/O). */
  readonly timeoutSeconds: number;
  /** Seconds an idle keep-alive connection is kept. */
  readonly keepAliveTimeoutSeconds: number;
  /** Event MPM limits. */
  readonly mpm: ApacheMpmEventLimits;
  /** The app-tier balancer. */
  readonly balancer: ApacheBalancer;
  /** HTTPS terminated here, HTTP redirected to it. @default - HTTP only */
  readonly tls?: ApacheTlsModel;
}

/**
 * Renders `apache2.conf` from `templates/apache2.conf.hbs`. With `tls`, the reverse proxy is the TLS
 * virtual host's only, and the HTTP virtual host answers the health and status paths and redirects
 * everything else to HTTPS.
 */
export function renderApacheConfig(config: ApacheConfig): string {
  return renderTemplate('apache2.conf.hbs', { ...config, tls: config.tls ? { ...config.tls, hsts: config.tls.hstsMaxAgeSeconds > 0 } : false });
}
