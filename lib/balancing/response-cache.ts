import { IConstruct } from 'constructs';
import { HostingStacksError, requireIntegerInRange, requireUnique } from '../core/errors';
import { requireOptions } from '../core/peers';
import { requireTexts, TextKind } from '../core/text';
import { MAGENTO1_SESSION_COOKIE } from './load-shedding';

/**
 * Path prefixes of a Magento 1 shop whose pages are a visitor's own: the cart and checkouts
 * (`/checkout/cart` too), the customer's account and login, orders, wishlist, PayPal's return URLs,
 * the admin and the API. Never served from nor stored into the cache.
 */
export const MAGENTO1_PRIVATE_PATHS: readonly string[] = ['/checkout', '/onestepcheckout', '/customer', '/sales', '/wishlist', '/paypal', '/admin', '/api'];

/**
 * Cookies whose presence makes a request private by default: Magento 1's storefront session
 * cookie. Magento 1 sets it on a visitor's first page view (that answer carries `Set-Cookie` and so
 * is not cached either), so with this default the cache serves visitors without a session (first
 * views, crawlers, campaign landings): the safe choice, since a cart or an account page is never
 * shared. A shop that sets a cookie of its own once the cart is not empty or the visitor logs in
 * names that one instead and caches far more.
 */
export const DEFAULT_BYPASS_COOKIES: readonly string[] = [MAGENTO1_SESSION_COOKIE];

/** Port of haproxy's HTTP frontend on 127.0.0.1 when nginx caches in front of it. */
export const DEFAULT_CACHE_UPSTREAM_PORT = 8080;

/** Shared memory of the cache keys: nginx keeps about 8,000 keys per MB, so 32 MB index some 250,000 pages. */
export const DEFAULT_CACHE_KEYS_ZONE_MB = 32;

/** Share of the nodes' boot volume the cache may fill by default (20 GB -> 5 GB): the system, logs and nginx's temp files keep the rest. */
export const DEFAULT_CACHE_DISK_SHARE = 0.25;

/** Largest share of the boot volume the cache may be given. */
export const MAX_CACHE_DISK_SHARE = 0.5;

/** Seconds an entry nobody asked for stays on disk, whatever its validity: a day. */
export const DEFAULT_CACHE_INACTIVE_SECONDS = 86_400;

/** How long answers of some statuses are kept when the shop's answer has no `Cache-Control`/`Expires` of its own (`proxy_cache_valid`). */
export interface CacheValidity {
  /** HTTP statuses (e.g. `[200, 301]`). */
  readonly statuses: readonly number[];
  /** Seconds they stay fresh. */
  readonly seconds: number;
}

/** Pages 10 minutes, permanent redirects 10 minutes, not-found 1 minute; nothing else (a 302 often leads to a login). */
export const DEFAULT_CACHE_VALIDITY: readonly CacheValidity[] = [
  { statuses: [200, 301], seconds: 600 },
  { statuses: [404], seconds: 60 },
];

/** What identifies a cached answer (`proxy_cache_key`). */
export enum CacheKey {
  /** Scheme, host and URI with its query: an HTTP and an HTTPS page are kept apart (their redirects and links differ). */
  SCHEME_HOST_URI = '$scheme$host$request_uri',
  /** Host and URI with its query: one copy for HTTP and HTTPS. */
  HOST_URI = '$host$request_uri',
}

/** Which paths the cache may keep: everything cacheable, or only some prefixes. */
export class CachedPaths {
  /** Every answer the shop lets be cached (no `Set-Cookie`, no `Cache-Control: private/no-store/no-cache`), except the bypassed ones. */
  public static everythingCacheable(): CachedPaths {
    return new CachedPaths(undefined);
  }

  /** Only paths starting with one of `prefixes` (e.g. `['/media', '/skin', '/catalog']`); every other request goes through uncached. */
  public static prefixes(prefixes: readonly string[]): CachedPaths {
    return new CachedPaths(prefixes);
  }

  private constructor(
    /** The prefixes cached; undefined for everything cacheable. */
    public readonly prefixes: readonly string[] | undefined,
  ) {}
}

/** The `cache` prop of a {@link HaproxyBalancer}: nginx with `proxy_cache` on each node, in front of haproxy. */
export interface ResponseCacheOptions {
  /** Which paths may be cached. @default CachedPaths.everythingCacheable() */
  readonly cachedPaths?: CachedPaths;
  /** What identifies a cached answer. @default CacheKey.SCHEME_HOST_URI */
  readonly key?: CacheKey;
  /** How long answers are kept when the shop says nothing (`proxy_cache_valid`). @default DEFAULT_CACHE_VALIDITY (200/301: 10 min, 404: 1 min) */
  readonly validity?: readonly CacheValidity[];
  /** Shared memory for the keys, in MB (`keys_zone`). @default DEFAULT_CACHE_KEYS_ZONE_MB (32) */
  readonly keysZoneMb?: number;
  /** Disk the cache may fill, in GB (`max_size`), at most half the nodes' boot volume. @default - DEFAULT_CACHE_DISK_SHARE (a quarter) of the nodes' boot volume, at least 1 */
  readonly maxSizeGb?: number;
  /** Seconds an entry nobody asked for stays on disk (`inactive`). @default DEFAULT_CACHE_INACTIVE_SECONDS (a day) */
  readonly inactiveSeconds?: number;
  /** Cookies whose presence makes a request private: never served from nor stored into the cache. @default DEFAULT_BYPASS_COOKIES (Magento 1's 'frontend', see its caveat) */
  readonly bypassCookies?: readonly string[];
  /** Path prefixes (matched case-insensitively on the normalised path) never served from nor stored into the cache. @default MAGENTO1_PRIVATE_PATHS */
  readonly bypassPaths?: readonly string[];
  /** Port of haproxy's HTTP frontend on 127.0.0.1 behind nginx. @default DEFAULT_CACHE_UPSTREAM_PORT (8080) */
  readonly upstreamPort?: number;
}

/** The resolved cache of a {@link HaproxyBalancer} (defaults applied). */
export interface ResponseCache {
  /** The prefixes cached; undefined for everything cacheable. */
  readonly cachedPrefixes: readonly string[] | undefined;
  /** The cache key. */
  readonly key: CacheKey;
  /** Validity per status. */
  readonly validity: readonly CacheValidity[];
  /** Keys zone, MB. */
  readonly keysZoneMb: number;
  /** Disk limit, GB. */
  readonly maxSizeGb: number;
  /** Seconds before an unused entry is removed. */
  readonly inactiveSeconds: number;
  /** Cookies that make a request private. */
  readonly bypassCookies: readonly string[];
  /** Path prefixes that are private. */
  readonly bypassPaths: readonly string[];
  /** haproxy's HTTP port on 127.0.0.1. */
  readonly upstreamPort: number;
}

const URL_PATH = /^\/[A-Za-z0-9._~/-]*$/;
/** The RFC 6265 token characters written unescaped into an nginx regular expression (with '.' escaped). */
const COOKIE_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Validates `options` (props named `cache.*` on `scope`) and applies the defaults; `bootVolumeGb`
 * is the nodes' disk the cache size follows. Throws a {@link HostingStacksError} for any bad value.
 */
export function resolveResponseCache(scope: IConstruct, options: ResponseCacheOptions, bootVolumeGb: number): ResponseCache {
  requireOptions<ResponseCacheOptions>(scope, 'cache', options, ['cachedPaths', 'key', 'validity', 'keysZoneMb', 'maxSizeGb', 'inactiveSeconds', 'bypassCookies', 'bypassPaths', 'upstreamPort']);
  const cachedPaths = options.cachedPaths ?? CachedPaths.everythingCacheable();
  if (!(cachedPaths instanceof CachedPaths)) {
    throw new HostingStacksError(scope, 'cache.cachedPaths', cachedPaths, 'must be CachedPaths.everythingCacheable() or CachedPaths.prefixes([...])');
  }
  const cachedPrefixes = cachedPaths.prefixes === undefined ? undefined : requirePrefixes(scope, 'cache.cachedPaths', cachedPaths.prefixes, false);
  if (cachedPrefixes !== undefined && cachedPrefixes.length === 0) {
    throw new HostingStacksError(scope, 'cache.cachedPaths', [], 'must name at least one prefix (or be CachedPaths.everythingCacheable()); without one nothing is cached: leave `cache` out instead');
  }

  const key = options.key ?? CacheKey.SCHEME_HOST_URI;
  if (!Object.values(CacheKey).includes(key)) {
    throw new HostingStacksError(scope, 'cache.key', key, `must be a CacheKey (${Object.keys(CacheKey).map((k) => `CacheKey.${k}`).join(', ')})`);
  }

  const validity = options.validity ?? DEFAULT_CACHE_VALIDITY;
  if (!Array.isArray(validity) || validity.length === 0) {
    throw new HostingStacksError(scope, 'cache.validity', validity, 'must list at least one { statuses, seconds } (e.g. DEFAULT_CACHE_VALIDITY)');
  }
  validity.forEach((v, i) => {
    const at = `cache.validity[${i}]`;
    requireOptions<CacheValidity>(scope, at, v, ['statuses', 'seconds']);
    if (!Array.isArray(v.statuses) || (v.statuses as readonly number[]).length === 0) throw new HostingStacksError(scope, `${at}.statuses`, v.statuses, 'must list at least one HTTP status (e.g. [200, 301])');
    (v.statuses as readonly number[]).forEach((s, k) => requireIntegerInRange(scope, `${at}.statuses[${k}]`, s, 200, 599));
    requireIntegerInRange(scope, `${at}.seconds`, v.seconds, 1, 31_536_000);
  });
  requireUnique(scope, 'cache.validity[].statuses', validity.flatMap((v) => v.statuses));

  const keysZoneMb = options.keysZoneMb ?? DEFAULT_CACHE_KEYS_ZONE_MB;
  requireIntegerInRange(scope, 'cache.keysZoneMb', keysZoneMb, 1, 4096);
  const largest = Math.floor(bootVolumeGb * MAX_CACHE_DISK_SHARE);
  const maxSizeGb = options.maxSizeGb ?? Math.max(1, Math.floor(bootVolumeGb * DEFAULT_CACHE_DISK_SHARE));
  if (!Number.isInteger(maxSizeGb) || maxSizeGb < 1 || maxSizeGb > largest) {
    throw new HostingStacksError(scope, 'cache.maxSizeGb', maxSizeGb,
      `must be an integer from 1 to ${largest}: at most half the nodes' ${bootVolumeGb} GB boot volume (the system, logs and nginx's temp files need the rest); give a larger flavor or bootVolume for more`);
  }
  const inactiveSeconds = options.inactiveSeconds ?? DEFAULT_CACHE_INACTIVE_SECONDS;
  requireIntegerInRange(scope, 'cache.inactiveSeconds', inactiveSeconds, 1, 31_536_000);

  const bypassCookies = [...requireTexts(scope, 'cache.bypassCookies', options.bypassCookies ?? DEFAULT_BYPASS_COOKIES, TextKind.WORD, {
    pattern: COOKIE_NAME,
    maxLength: 64,
    allowed: "must be a cookie name of letters, digits, '_', '-' and '.' (e.g. 'frontend')",
  })];
  requireUnique(scope, 'cache.bypassCookies', bypassCookies);
  const bypassPaths = requirePrefixes(scope, 'cache.bypassPaths', options.bypassPaths ?? MAGENTO1_PRIVATE_PATHS, true);

  const upstreamPort = options.upstreamPort ?? DEFAULT_CACHE_UPSTREAM_PORT;
  requireIntegerInRange(scope, 'cache.upstreamPort', upstreamPort, 1, 65535);
  // sshd listens on every address, 127.0.0.1 included.
  if (upstreamPort === 22) throw new HostingStacksError(scope, 'cache.upstreamPort', upstreamPort, 'is the SSH port of the nodes, taken on 127.0.0.1 too; pick another');

  return { cachedPrefixes, key, validity: validity.map((v) => ({ statuses: [...v.statuses], seconds: v.seconds })), keysZoneMb, maxSizeGb, inactiveSeconds, bypassCookies, bypassPaths, upstreamPort };
}

function requirePrefixes(scope: IConstruct, prop: string, prefixes: unknown, bypass: boolean): string[] {
  const list = [...requireTexts(scope, prop, prefixes, TextKind.URL_PATH, {
    pattern: URL_PATH,
    maxLength: 256,
    allowed: "must be a path prefix starting with '/' of letters, digits and '/', '.', '_', '-', '~' (e.g. '/checkout')",
  })];
  for (const p of list) {
    if (p === '/') {
      throw new HostingStacksError(scope, prop, p, bypass
        ? 'would make every request private, so nothing would ever be cached: leave `cache` out instead'
        : 'is every path: use CachedPaths.everythingCacheable()');
    }
  }
  requireUnique(scope, prop, list);
  return list;
}
