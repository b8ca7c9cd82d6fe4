import { renderTemplate } from '../config/template';
import type { NginxTlsModel } from '../web/nginx-config';

/** One `proxy_cache_valid` line. */
export interface NginxCacheValidityModel {
  /** HTTP statuses. */
  readonly statuses: readonly number[];
  /** Seconds they stay fresh. */
  readonly seconds: number;
}

/** The `proxy_cache_path` and what is cached. */
export interface NginxCacheModel {
  /** Folder of the cache files (nginx creates it, owned by its workers' user). */
  readonly path: string;
  /** Name of the shared memory zone. */
  readonly zoneName: string;
  /** Size of the keys zone, MB. */
  readonly keysZoneMb: number;
  /** Disk limit, GB (`max_size`). */
  readonly maxSizeGb: number;
  /** Seconds an unused entry stays (`inactive`). */
  readonly inactiveSeconds: number;
  /** `proxy_cache_key` (nginx variables, e.g. `$scheme$host$request_uri`). */
  readonly key: string;
  /** `proxy_cache_valid` lines. */
  readonly validity: readonly NginxCacheValidityModel[];
  /** Path prefixes cached; every other path is passed through uncached. @default - every path */
  readonly cachedPrefixes?: readonly string[];
  /** Cookies whose presence makes a request private (bypass and no-store). */
  readonly bypassCookies: readonly string[];
  /** Path prefixes that are private (bypass and no-store), matched case-insensitively on `$uri`. */
  readonly bypassPaths: readonly string[];
  /** Seconds a request waits for another one filling the same entry (`proxy_cache_lock_timeout`). */
  readonly lockTimeoutSeconds: number;
}

/** Timeouts of the cache, in seconds. */
export interface NginxCacheTimeoutsModel {
  /** `proxy_connect_timeout` to haproxy. */
  readonly connectSeconds: number;
  /** `proxy_read_timeout` and `proxy_send_timeout`: longer than haproxy's queue and server timeouts together, so haproxy answers first. */
  readonly upstreamSeconds: number;
  /** `client_header_timeout`. */
  readonly clientHeaderSeconds: number;
  /** `client_body_timeout` and `send_timeout`. */
  readonly clientSeconds: number;
  /** `keepalive_timeout` of idle client connections. */
  readonly keepaliveSeconds: number;
}

/** What `/etc/nginx/nginx.conf` of a haproxy node with a response cache holds. */
export interface NginxCacheConfigModel {
  /** Host name, for the header comment. */
  readonly hostname: string;
  /** User the workers run as. @default - nginx's own default (the check runs without) */
  readonly user?: string;
  /** pid file. */
  readonly pidFile: string;
  /** Error log file. */
  readonly errorLog: string;
  /** Access log file. */
  readonly accessLog: string;
  /** Folder of the `*_temp_path` folders. */
  readonly tempDir: string;
  /** Connections per worker (a client and an upstream connection per request). */
  readonly workerConnections: number;
  /** Open files per worker. */
  readonly workerRlimitNofile: number;
  /** `listen` of plain HTTP (`10.0.1.4:80`: the VIP, bound before it is held thanks to `ip_nonlocal_bind`). */
  readonly listen: string;
  /** haproxy's HTTP frontend behind, on loopback. */
  readonly upstream: {
    /** Address (127.0.0.1). */
    readonly address: string;
    /** Port. */
    readonly port: number;
    /** Idle connections kept open to it per worker. */
    readonly keepalive: number;
    /** Seconds an idle one is kept: less than haproxy's `timeout http-keep-alive`, so nginx never reuses one haproxy is closing. */
    readonly keepaliveTimeoutSeconds: number;
  };
  /** Unix socket of the health server keepalived asks. */
  readonly healthSocket: string;
  /** Path answering 200 on it. */
  readonly healthPath: string;
  /** The cache. */
  readonly cache: NginxCacheModel;
  /** Timeouts. */
  readonly timeouts: NginxCacheTimeoutsModel;
  /** HTTPS ended by nginx (Mozilla intermediate); plain HTTP then only redirects. @default - HTTP only */
  readonly tls?: NginxTlsModel & {
    /** Port of the redirect's target (443 gives none in the URL). */
    readonly port: number;
  };
}

/** A path prefix as a regular expression (its dots escaped; nothing else in a validated prefix is special). */
function prefixPattern(prefixes: readonly string[]): string {
  return `^(?:${prefixes.map((p) => p.replace(/\./g, '\\.')).join('|')})`;
}

/**
 * Renders a complete nginx.conf of a haproxy node's response cache: nginx on the VIP's public
 * ports in front of haproxy on loopback, `proxy_cache` with the key, validity, stale answers on
 * errors (`proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504`) and
 * `proxy_cache_lock`; requests with a private cookie, on a private path, outside the cached prefixes
 * or with `Authorization` are neither served from nor stored into the cache (`proxy_cache_bypass`
 * + `proxy_no_cache`, from `map`s). Answers with `Set-Cookie` are not stored (nginx's default: no
 * `proxy_ignore_headers`). Every answer says `X-Cache-Status`. X-Forwarded-For is appended and
 * X-Forwarded-Proto replaced by the scheme. With `tls`, HTTPS with Mozilla intermediate settings,
 * HSTS, and plain HTTP redirected. A health server on a unix socket. Pure.
 */
export function renderNginxCacheConfig(model: NginxCacheConfigModel): string {
  const cache = model.cache;
  const tls = model.tls;
  return renderTemplate('cache-nginx.conf.hbs', {
    ...model,
    user: model.user ?? '',
    cache: {
      ...cache,
      cookiePattern: cache.bypassCookies.length ? `(?:^|;)\\s*(?:${cache.bypassCookies.map((c) => c.replace(/\./g, '\\.')).join('|')})=` : '',
      privatePathPattern: cache.bypassPaths.length ? prefixPattern(cache.bypassPaths) : '',
      cachedPattern: cache.cachedPrefixes ? prefixPattern(cache.cachedPrefixes) : '',
    },
    tls: tls ? { ...tls, redirectPort: tls.port === 443 ? '' : `:${tls.port}` } : false,
  });
}
