import { renderTemplate } from '../config/template';

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
  /** Concurrent connections sent to this server; more requests wait in the backend queue. */
  readonly maxconn: number;
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
}

/**
 * Renders a haproxy.cfg: HTTP mode, one frontend on the VIP, one `balance roundrobin` backend with
 * no cookie and no stick table (no session persistence), health-checked servers with a per-server
 * `maxconn` (excess requests queue in haproxy, not on the server), `retries` + `option redispatch`,
 * `option forwardfor` (X-Forwarded-For) and an admin stats socket. Pure.
 */
export function renderHaproxyConfig(model: HaproxyConfigModel): string {
  const hc = model.backend.healthCheck;
  return renderTemplate('haproxy.cfg.hbs', {
    ...model,
    chroot: model.chroot ?? '',
    runAs: model.runAs ?? false,
    syslog: model.syslog ?? '',
    backend: {
      ...model.backend,
      healthCheck: { ...hc, http: hc.kind === 'http', path: hc.path ?? '', expectedStatus: hc.expectedStatus ?? 200 },
    },
  });
}
