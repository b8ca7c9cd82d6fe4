import { renderTemplate } from '../config/template';
import { HostingStacksError } from '../core/errors';
import { HealthCheck, HealthCheckKind } from './health-check';

/** How haproxy checks a server: an HTTP GET expecting a status, or a TCP connect. */
export interface HaproxyHealthCheckModel {
  /** `http` renders `option httpchk GET <path>` + `http-check expect status`; `tcp` a plain connect check. */
  readonly kind: 'http' | 'tcp';
  /** Path requested (HTTP only). */
  readonly path?: string;
  /** Status that means healthy (HTTP only). */
  readonly expectedStatus?: number;
  /** Milliseconds between checks (`inter`). */
  readonly intervalMs: number;
  /** Milliseconds before a check fails (`timeout check`). */
  readonly timeoutMs: number;
  /** Consecutive failures before a server is taken out (`fall`). */
  readonly fall: number;
  /** Consecutive successes before it is put back (`rise`). */
  readonly rise: number;
}

/** One `server` line of the backend. */
export interface HaproxyServerModel {
  /** Server name (the host name), shown in logs and on the stats socket. */
  readonly name: string;
  /** Address. */
  readonly address: string;
  /** Port. */
  readonly port: number;
  /** Concurrent connections sent to this server; more requests wait in the backend queue. @default - no limit */
  readonly maxconn?: number;
}

/** The `defaults` timeouts, in milliseconds. */
export interface HaproxyTimeoutsModel {
  /** `timeout connect`: TCP connect to a server. */
  readonly connectMs: number;
  /** `timeout client`: client inactivity. */
  readonly clientMs: number;
  /** `timeout server`: server inactivity (a slow page). */
  readonly serverMs: number;
  /** `timeout queue`: how long a request waits for a server slot before a 503. */
  readonly queueMs: number;
  /** `timeout http-request`: a complete request header (slow-header attacks). */
  readonly httpRequestMs: number;
  /** `timeout http-keep-alive`: an idle kept-alive client connection. */
  readonly httpKeepAliveMs: number;
}

/** The mini-site of {@link HaproxyLoadSheddingModel}: servers of another HTTP service, or a page haproxy answers itself. */
export type HaproxyMiniSiteModel =
  | {
    /** Servers of an HTTP service. */
    readonly kind: 'backend';
    /** Backend name. */
    readonly name: string;
    /** How its servers are checked. */
    readonly healthCheck: HaproxyHealthCheckModel;
    /** Its servers (usually without `maxconn`: a static server is not the bottleneck). */
    readonly servers: readonly HaproxyServerModel[];
    /** Host header sent to them. @default - the client's */
    readonly hostHeader?: string;
    /** Prefix put before every path (`/mini-site`). @default - none */
    readonly pathPrefix?: string;
    /** One path every request gets instead of its own. @default - none */
    readonly page?: string;
  }
  | {
    /** A page answered by haproxy itself. */
    readonly kind: 'page';
    /** Backend name. */
    readonly name: string;
    /** The HTML, with no double quote, `$` or backslash (it is written in a double-quoted string). */
    readonly html: string;
    /** HTTP status (503). */
    readonly status: number;
    /** `Retry-After` seconds. */
    readonly retryAfterSeconds: number;
  };

/** Load shedding in the frontend: the rules documented on {@link LoadShedding}. */
export interface HaproxyLoadSheddingModel {
  /** Path prefixes of ordering requests (`path -m beg`). */
  readonly orderingPaths: readonly string[];
  /** Cookie whose presence marks an ordering request. @default - paths only */
  readonly orderingCookie?: string;
  /** Concurrent requests per live server; the pool's capacity is this x `nbsrv`. */
  readonly perServerCapacity: number;
  /** Requests allowed to queue before browsing requests are shed. */
  readonly queueThreshold: number;
  /** `set-priority-class` of ordering requests (lower is served first; others keep 0). */
  readonly orderingPriorityClass: number;
  /** Where shed requests go. */
  readonly miniSite: HaproxyMiniSiteModel;
}

/** The HTTPS listener (Mozilla intermediate settings in `global`). */
export interface HaproxyTlsModel {
  /** Port of the HTTPS bind, on the frontend's address. */
  readonly bindPort: number;
  /** PEM bundle (certificate, intermediates, private key) given to `crt`. */
  readonly certificatePath: string;
  /** `ssl-default-bind-ciphers` (TLS 1.2 suites, OpenSSL names joined by ':'). */
  readonly ciphers: string;
  /** `ssl-default-bind-ciphersuites` (TLS 1.3). */
  readonly ciphersuites: string;
  /** `ssl-default-bind-options` (`ssl-min-ver TLSv1.2 no-tls-tickets`). */
  readonly bindOptions: string;
  /** ALPN protocols offered to clients (`h2,http/1.1`). */
  readonly alpn: string;
  /** `Strict-Transport-Security` max-age on HTTPS answers; 0 sends no header. */
  readonly hstsMaxAgeSeconds: number;
}

/** One server of a {@link HaproxyDatabaseModel}: where it takes connections and answers its role check. */
export interface HaproxyDatabaseServerModel {
  /** Server name (the host name). */
  readonly name: string;
  /** Address. */
  readonly address: string;
  /** Database port. */
  readonly port: number;
  /** Port of its role check (HTTP). */
  readonly checkPort: number;
}

/**
 * A replicated database behind the nodes, over TCP: a write listener sending every connection to
 * the server whose role check answers `primaryPath`, and a read listener spreading connections over
 * the servers answering `readablePath`, the first server (the primary) a backup.
 */
export interface HaproxyDatabaseModel {
  /** Listener names: `<name>_write` and `<name>_read`. */
  readonly name: string;
  /** Address bound (the VIP). */
  readonly bindAddress: string;
  /** Port of the write listener. */
  readonly writePort: number;
  /** Port of the read listener. */
  readonly readPort: number;
  /** Connections each listener accepts. */
  readonly maxconn: number;
  /** Path answering 200 on the writable primary only. */
  readonly primaryPath: string;
  /** Path answering 200 on the primary and on replicas replicating within the lag allowed. */
  readonly readablePath: string;
  /** The servers, the primary first. */
  readonly servers: readonly HaproxyDatabaseServerModel[];
}

/** Timeouts of the database listeners, in milliseconds (a `defaults` section of their own, TCP mode). */
export interface HaproxyDatabaseTimeoutsModel {
  /** `timeout connect`. */
  readonly connectMs: number;
  /** `timeout client` and `timeout server`: an idle connection of a client's pool is closed after it. */
  readonly idleMs: number;
  /** `timeout check`: a role check's answer. */
  readonly checkMs: number;
  /** Milliseconds between role checks (`inter`). */
  readonly checkIntervalMs: number;
  /** Failed checks before a server is taken out and its connections cut (`fall`). */
  readonly fall: number;
  /** Passed checks before it is put back (`rise`). */
  readonly rise: number;
}

/** Everything `/etc/haproxy/haproxy.cfg` of one balancer node holds. */
export interface HaproxyConfigModel {
  /** Host name, for the header comment. */
  readonly hostname: string;
  /** `maxconn` in `global`: all connections of the process. */
  readonly globalMaxconn: number;
  /** Path of the admin stats socket (`show stat`, `disable server`). */
  readonly statsSocket: string;
  /** `chroot` folder. @default - no chroot */
  readonly chroot?: string;
  /** User and group haproxy drops to after binding. @default - stays the starting user */
  readonly runAs?: { readonly user: string; readonly group: string };
  /** Syslog target (`/dev/log`). @default - no logging */
  readonly syslog?: string;
  /** The defaults' timeouts. */
  readonly timeouts: HaproxyTimeoutsModel;
  /** Extra attempts on another connection when a connect to a server fails (`retries`); with `option redispatch` the last goes to another server. */
  readonly retries: number;
  /** The frontend: what clients connect to. */
  readonly frontend: {
    /** Frontend name. */
    readonly name: string;
    /** Address bound (the VIP; `ip_nonlocal_bind` lets the backup bind it too). */
    readonly bindAddress: string;
    /** Port bound. */
    readonly bindPort: number;
    /** Concurrent client connections accepted. */
    readonly maxconn: number;
    /**
     * A proxy in front on this host (the response cache, `127.0.0.0/8`) whose X-Forwarded-For and
     * X-Forwarded-Proto are kept: `option forwardfor except` it, and X-Forwarded-Proto replaced
     * only for other sources. @default - none: haproxy is the entry, it adds the client to
     * X-Forwarded-For and sets X-Forwarded-Proto itself
     */
    readonly trustedProxy?: string;
  };
  /** The backend: round-robin, no persistence. */
  readonly backend: {
    /** Backend name. */
    readonly name: string;
    /** How servers are checked. */
    readonly healthCheck: HaproxyHealthCheckModel;
    /** The servers, one per instance of the target tier. */
    readonly servers: readonly HaproxyServerModel[];
  };
  /** HTTPS on the frontend's address; plain HTTP then only redirects to it. @default - HTTP only */
  readonly tls?: HaproxyTlsModel;
  /** Shedding of browsing requests to a mini-site while the backend is saturated. @default - none: every request queues for the backend */
  readonly loadShedding?: HaproxyLoadSheddingModel;
  /** Databases balanced over TCP beside the HTTP entry. @default - none */
  readonly databases?: readonly HaproxyDatabaseModel[];
  /** Timeouts and checks of the database listeners; required with `databases`. */
  readonly databaseTimeouts?: HaproxyDatabaseTimeoutsModel;
}

/**
 * Renders a haproxy.cfg: HTTP mode, one frontend on the VIP, one `balance roundrobin` backend with
 * no cookie and no stick table (no session persistence), health-checked servers with a per-server
 * `maxconn` (excess requests queue in haproxy, not on the server), `retries` + `option redispatch`,
 * `option forwardfor` (X-Forwarded-For), `X-Forwarded-Proto` set by the entry (a client's own is
 * replaced: the members believe it from the nodes) and an admin stats socket. Optionally an HTTPS
 * bind with Mozilla intermediate settings (HTTP redirected, HSTS, `X-Forwarded-Proto: https`),
 * load shedding to a mini-site backend (rules on {@link HaproxyLoadSheddingModel}), and a trusted
 * proxy in front on the host (the response cache) whose forwarding headers are kept. Pure.
 */
export function renderHaproxyConfig(model: HaproxyConfigModel): string {
  const shedding = model.loadShedding;
  const site = shedding?.miniSite;
  return renderTemplate('haproxy.cfg.hbs', {
    ...model,
    chroot: model.chroot ?? '',
    runAs: model.runAs ?? false,
    syslog: model.syslog ?? '',
    frontend: { ...model.frontend, trustedProxy: model.frontend.trustedProxy ?? '' },
    tls: model.tls ? { ...model.tls, hsts: model.tls.hstsMaxAgeSeconds > 0 } : false,
    backend: {
      ...model.backend,
      healthCheck: healthCheckData(model.backend.healthCheck),
      servers: model.backend.servers.map(serverData),
    },
    loadShedding: shedding ? { ...shedding, orderingCookie: shedding.orderingCookie ?? '' } : false,
    miniSite: site?.kind === 'backend'
      ? {
        name: site.name,
        servers: site.servers.map(serverData),
        healthCheck: healthCheckData(site.healthCheck),
        hostHeader: site.hostHeader ?? '',
        setPath: site.page ?? (site.pathPrefix ? `${site.pathPrefix}%[path]` : ''),
      }
      : false,
    miniSitePage: site?.kind === 'page' ? site : false,
    databases: databasesData(model),
  });
}

function databasesData(model: HaproxyConfigModel) {
  const databases = model.databases ?? [];
  if (databases.length === 0) return false;
  if (!model.databaseTimeouts) throw HostingStacksError.ofFactory('renderHaproxyConfig', 'databaseTimeouts', model.databaseTimeouts, `must be given with databases (haproxy model of ${model.hostname})`);
  return {
    timeouts: model.databaseTimeouts,
    list: databases.map((d) => ({
      ...d,
      primaryName: d.servers[0]?.name ?? '',
      readServers: d.servers.map((server, i) => ({ ...server, backup: i === 0 })),
    })),
  };
}

/** The haproxy form of a {@link HealthCheck} (seconds to milliseconds). */
export function haproxyHealthCheckModel(hc: HealthCheck): HaproxyHealthCheckModel {
  return {
    kind: hc.kind === HealthCheckKind.HTTP ? 'http' : 'tcp',
    path: hc.path,
    expectedStatus: hc.expectedStatus,
    intervalMs: Math.round(hc.intervalSeconds * 1000),
    timeoutMs: Math.round(hc.timeoutSeconds * 1000),
    fall: hc.unhealthyThreshold,
    rise: hc.healthyThreshold,
  };
}

function healthCheckData(hc: HaproxyHealthCheckModel) {
  return { ...hc, http: hc.kind === 'http', path: hc.path ?? '', expectedStatus: hc.expectedStatus ?? 200 };
}

function serverData(server: HaproxyServerModel) {
  return { ...server, maxconn: server.maxconn ?? false };
}
