import { IConstruct } from 'constructs';
import { IHttpBackend } from '../core/endpoints';
import { HostingStacksError, requireIntegerInRange, requireUnique } from '../core/errors';
import { HaproxyLoadSheddingModel, haproxyHealthCheckModel, HaproxyMiniSiteModel } from './haproxy-config';
import { HealthCheck } from './health-check';
import { brand, hasBrand, Kinds, requirePeer } from '../core/peers';
import { requireOptionalText, requireText, TextKind } from '../core/text';

/**
 * Path prefixes of a Magento 1 shop's visitors who are ordering: the cart and one-page checkout
 * (`/checkout/cart/add` too), the common one-step checkout extension, the customer account, order
 * history, and PayPal Express' return URLs (a payer coming back from PayPal must not be shed).
 */
export const MAGENTO1_ORDERING_PATHS: readonly string[] = ['/checkout', '/onestepcheckout', '/customer/account', '/sales', '/paypal'];

/**
 * Magento 1's storefront session cookie. Magento 1 sets it on a visitor's first page view, so it
 * marks every returning browser, not only buyers: use it as `orderingCookie` only when the shop
 * wants every visitor with a session kept on the main pool, or set a cookie of its own when the
 * cart is not empty and name that one.
 */
export const MAGENTO1_SESSION_COOKIE = 'frontend';

/** Queue class of ordering requests: haproxy serves the lowest class first; every other request keeps class 0. */
export const ORDERING_PRIORITY_CLASS = -1;

/** Name of the mini-site backend in haproxy.cfg. */
export const MINI_SITE_BACKEND = 'mini_site';

/** Status of the built-in busy page: 503 tells browsers, crawlers and monitors the answer is temporary. */
export const BUILTIN_PAGE_STATUS = 503;

/** Seconds a visitor is asked to wait before retrying, on the built-in busy page (`Retry-After`). */
export const DEFAULT_RETRY_AFTER_SECONDS = 30;

/** Which kind of mini-site takes the shed visitors. */
export enum MiniSiteKind {
  /** An HTTP service (a static server) behind the balancer, with its own health check. */
  BACKEND = 'backend',
  /** A page haproxy answers itself (503 with `Retry-After`), with no server behind it. */
  BUILTIN_PAGE = 'builtin-page',
}

/** Options of {@link MiniSite.fromBackend}. */
export interface MiniSiteBackendOptions {
  /** Host header sent to the mini-site's servers (a name they answer to). @default - the client's Host header, unchanged */
  readonly hostHeader?: string;
  /** Prefix put before the requested path (`/mini-site` sends `/catalog/a.html` as `/mini-site/catalog/a.html`). @default - the path unchanged */
  readonly pathPrefix?: string;
  /** One page every shed request gets instead of its path (the query string is kept); not with `pathPrefix`. @default - the path (with `pathPrefix`) */
  readonly page?: string;
}

/** Options of {@link MiniSite.builtinPage}. */
export interface BuiltinPageOptions {
  /** Title of the page. @default 'Très forte affluence / Very busy' */
  readonly title?: string;
  /** The sentence shown. @default - asks the visitor to come back in a moment and says orders in progress are not affected */
  readonly message?: string;
  /** `Retry-After` seconds. @default DEFAULT_RETRY_AFTER_SECONDS (30) */
  readonly retryAfterSeconds?: number;
}

/**
 * Where shed visitors go: a mini-site served by another HTTP service (a static server: fast, no
 * application), or a page haproxy answers itself.
 */
export class MiniSite {
  /** The HTTP service `backend` serves the mini-site; see {@link MiniSiteBackendOptions} for Host and path. */
  public static fromBackend(backend: IHttpBackend, options: MiniSiteBackendOptions = {}): MiniSite {
    return new MiniSite(MiniSiteKind.BACKEND, backend, options, {});
  }

  /** haproxy answers a small HTML page itself, `503` with `Retry-After` and `Cache-Control: no-store`. */
  public static builtinPage(options: BuiltinPageOptions = {}): MiniSite {
    return new MiniSite(MiniSiteKind.BUILTIN_PAGE, undefined, {}, options);
  }

  /** Title of the built-in page. */
  public readonly title: string;
  /** Sentence of the built-in page. */
  public readonly message: string;
  /** `Retry-After` of the built-in page, in seconds. */
  public readonly retryAfterSeconds: number;

  private constructor(
    /** The kind. */
    public readonly kind: MiniSiteKind,
    /** The HTTP service, for BACKEND. */
    public readonly backend: IHttpBackend | undefined,
    /** Host and path handling, for BACKEND. */
    public readonly backendOptions: MiniSiteBackendOptions,
    page: BuiltinPageOptions,
  ) {
    this.title = page.title ?? 'Très forte affluence / Very busy';
    this.message = page.message ?? 'Le site est très demandé : revenez dans un instant. Les commandes en cours ne sont pas affectées. / We are very busy: please come back in a moment. Orders in progress are not affected.';
    this.retryAfterSeconds = page.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  }

  /** The built-in page's HTML: no double quote, `$` or backslash (it sits in a double-quoted haproxy string); other characters as HTML entities. */
  public get html(): string {
    return `<!DOCTYPE html><html lang=fr><head><meta charset=utf-8><title>${htmlText(this.title)}</title></head>`
      + `<body><h1>${htmlText(this.title)}</h1><p>${htmlText(this.message)}</p></body></html>`;
  }
}

/** Options of {@link LoadShedding.toMiniSite}. */
export interface LoadSheddingOptions {
  /** Where browsing visitors go while the pool is saturated. */
  readonly miniSite: MiniSite;
  /** Concurrent requests one member serves well (its PHP workers): the servers' `maxconn`, and the pool's capacity is this x live servers. */
  readonly perServerCapacity: number;
  /** Path prefixes of visitors who are ordering; they are never shed and jump the queue. @default MAGENTO1_ORDERING_PATHS */
  readonly orderingPaths?: readonly string[];
  /** A cookie whose presence marks a visitor as ordering (e.g. MAGENTO1_SESSION_COOKIE, see its caveat). @default - none: only `orderingPaths` */
  readonly orderingCookie?: string;
  /** Requests that may wait in the pool's queue beyond its capacity before browsing visitors are shed. @default 0 */
  readonly queueThreshold?: number;
}

/**
 * Load shedding (Runiso's "délestage", case study 3): when too many visitors arrive, the visitors
 * who are ordering stay on the main site and the others are sent to a mini-site. Realised by the
 * haproxy balancer ({@link HaproxyBalancer} `loadShedding`) with these exact rules, evaluated for
 * every request (`members` is the pool backend):
 *
 * 1. A request is **ordering** when its path starts with one of `orderingPaths`
 *    (`path -m beg`), or, with `orderingCookie`, when it carries that cookie (`req.cook(name) -m found`).
 * 2. The pool's capacity is `nbsrv(members) x perServerCapacity` (live servers only); each server
 *    has `maxconn perServerCapacity`, so requests beyond it wait in haproxy's queue, not in PHP.
 * 3. The pool is **saturated** when `be_conn(members)` (requests being served or queued) is at
 *    least capacity + `queueThreshold`, or more than `queueThreshold` requests are queued (`queue(members)`).
 * 4. Ordering requests get `set-priority-class` {@link ORDERING_PRIORITY_CLASS}: when they queue,
 *    haproxy serves them before any browsing request, whatever their arrival order.
 * 5. A request that is not ordering goes to the mini-site while the pool is saturated; every request
 *    goes there when no member is up (`nbsrv(members) eq 0`). Everything else goes to the pool.
 * 6. Mini-site answers get `Cache-Control: no-store` (they stand in for the shop's own URLs: no cache
 *    may keep them) and `X-Load-Shedding: mini-site`.
 *
 * Validated by the balancer that takes it ({@link LoadShedding.validate}), so errors name its path.
 */
export class LoadShedding {
  /** True when `x` is a {@link LoadShedding} (a `Symbol.for` brand: look-alike objects are not). */
  public static isLoadShedding(x: unknown): x is LoadShedding {
    return hasBrand(x, 'LoadShedding');
  }

  /** Sheds browsing visitors to `options.miniSite` while the pool is saturated. */
  public static toMiniSite(options: LoadSheddingOptions): LoadShedding {
    return new LoadShedding(options);
  }

  /** Where shed visitors go. */
  public readonly miniSite: MiniSite;
  /** Concurrent requests per member. */
  public readonly perServerCapacity: number;
  /** Path prefixes of ordering visitors. */
  public readonly orderingPaths: readonly string[];
  /** Cookie marking ordering visitors, if any. */
  public readonly orderingCookie?: string;
  /** Requests allowed to queue before shedding starts. */
  public readonly queueThreshold: number;

  private constructor(options: LoadSheddingOptions) {
    brand(this, 'LoadShedding');
    this.miniSite = options.miniSite;
    this.perServerCapacity = options.perServerCapacity;
    this.orderingPaths = [...(options.orderingPaths ?? MAGENTO1_ORDERING_PATHS)];
    this.orderingCookie = options.orderingCookie;
    this.queueThreshold = options.queueThreshold ?? 0;
  }

  /** Throws a {@link HostingStacksError} on `scope` (props named `loadShedding.*`) for any bad option. */
  public validate(scope: IConstruct): void {
    const prop = (name: string) => `loadShedding.${name}`;
    requireIntegerInRange(scope, prop('perServerCapacity'), this.perServerCapacity, 1, 100_000);
    requireIntegerInRange(scope, prop('queueThreshold'), this.queueThreshold, 0, 100_000);
    if (this.orderingPaths.length === 0) {
      throw new HostingStacksError(scope, prop('orderingPaths'), [], 'must name at least one path prefix (e.g. MAGENTO1_ORDERING_PATHS): ordering visitors could not be told apart');
    }
    for (const p of this.orderingPaths) {
      if (p === '/') throw new HostingStacksError(scope, prop('orderingPaths'), p, 'would mark every request as ordering, so nothing would ever be shed; name the ordering paths');
      requireText(scope, prop('orderingPaths'), p, TextKind.URL_PATH, {
        pattern: URL_PATH,
        allowed: "must be paths starting with '/' made of letters, digits and '/', '.', '_', '-', '~' (e.g. '/checkout')",
      });
    }
    requireUnique(scope, prop('orderingPaths'), this.orderingPaths);
    requireOptionalText(scope, prop('orderingCookie'), this.orderingCookie, TextKind.WORD, {
      pattern: COOKIE_NAME,
      allowed: "must be a cookie name of letters, digits, '_', '-' and '.' (e.g. 'frontend')",
    });
    const site = this.miniSite as MiniSite | undefined;
    if (!(site instanceof MiniSite)) {
      throw new HostingStacksError(scope, prop('miniSite'), site, 'must be given: MiniSite.fromBackend(staticServer, ...) or MiniSite.builtinPage()');
    }
    if (site.kind === MiniSiteKind.BACKEND) this.validateBackend(scope, site);
    else this.validatePage(scope, site);
  }

  /** The haproxy form of these rules (call {@link LoadShedding.validate} first). */
  public haproxyModel(): HaproxyLoadSheddingModel {
    return {
      orderingPaths: this.orderingPaths,
      orderingCookie: this.orderingCookie,
      perServerCapacity: this.perServerCapacity,
      queueThreshold: this.queueThreshold,
      orderingPriorityClass: ORDERING_PRIORITY_CLASS,
      miniSite: this.miniSiteModel(),
    };
  }

  private miniSiteModel(): HaproxyMiniSiteModel {
    const site = this.miniSite;
    if (site.kind === MiniSiteKind.BUILTIN_PAGE) {
      return { kind: 'page', name: MINI_SITE_BACKEND, html: site.html, status: BUILTIN_PAGE_STATUS, retryAfterSeconds: site.retryAfterSeconds };
    }
    const backend = site.backend!;
    return {
      kind: 'backend',
      name: MINI_SITE_BACKEND,
      healthCheck: haproxyHealthCheckModel(HealthCheck.http({ path: backend.healthCheckPath })),
      // No maxconn: a static server answers in milliseconds and is not the bottleneck.
      servers: backend.backendAddresses.map((address, i) => ({ name: `mini-site-${i + 1}`, address, port: backend.backendPort })),
      hostHeader: site.backendOptions.hostHeader,
      pathPrefix: site.backendOptions.pathPrefix,
      page: site.backendOptions.page,
    };
  }

  private validateBackend(scope: IConstruct, site: MiniSite): void {
    const backend = requirePeer(scope, 'loadShedding.miniSite', site.backend, Kinds.HTTP_BACKEND);
    const { hostHeader, pathPrefix, page } = site.backendOptions;
    if (backend.backendAddresses.length === 0) {
      throw new HostingStacksError(scope, 'loadShedding.miniSite', backend.connections.owner.node.path, 'has no servers (backendAddresses is empty); a mini-site needs at least one');
    }
    requireIntegerInRange(scope, 'loadShedding.miniSite.backendPort', backend.backendPort, 1, 65535);
    // The backend's health path is written into the mini-site's `option httpchk` line.
    HealthCheck.http({ path: backend.healthCheckPath }).validate(scope, 'loadShedding.miniSite.healthCheck');
    requireOptionalText(scope, 'loadShedding.miniSite.hostHeader', hostHeader, TextKind.HOST_NAME, { allowed: "must be a DNS name the mini-site answers to (e.g. 'static.example.com')" });
    requireOptionalText(scope, 'loadShedding.miniSite.pathPrefix', pathPrefix, TextKind.URL_PATH, {
      pattern: PATH_PREFIX,
      allowed: "must be a path starting with '/', without a trailing '/', of letters, digits and '/', '.', '_', '-', '~' (e.g. '/mini-site')",
    });
    requireOptionalText(scope, 'loadShedding.miniSite.page', page, TextKind.URL_PATH, {
      pattern: URL_PATH,
      reserved: ['/'],
      allowed: "must be the path of one page starting with '/', of letters, digits and '/', '.', '_', '-', '~' (e.g. '/media/mini-site/index.html')",
    });
    if (page !== undefined && pathPrefix !== undefined) {
      throw new HostingStacksError(scope, 'loadShedding.miniSite.page', page, `cannot be combined with 'pathPrefix' ('${pathPrefix}'): give one page for every request, or a prefix before each path`);
    }
  }

  private validatePage(scope: IConstruct, site: MiniSite): void {
    for (const [name, text] of [['title', site.title], ['message', site.message]] as const) {
      // FREE_TEXT: htmlText() writes it as HTML haproxy holds in a double-quoted string.
      requireText(scope, `loadShedding.miniSite.${name}`, text, TextKind.FREE_TEXT, { maxLength: 500, allowed: 'must be 1 to 500 characters of text on one line (no control characters)' });
    }
    requireIntegerInRange(scope, 'loadShedding.miniSite.retryAfterSeconds', site.retryAfterSeconds, 1, 86_400);
  }
}

const URL_PATH = /^\/[A-Za-z0-9._~/-]*$/;
const PATH_PREFIX = /^(\/[A-Za-z0-9._~-]+)+$/;
/** The RFC 6265 token characters haproxy's config parser takes unquoted inside `req.cook(...)`. */
const COOKIE_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Text as HTML that haproxy can hold in a double-quoted string: letters, digits, spaces and common
 * punctuation stay; everything else (quotes, `$`, `\`, `<`, `&`, accented letters ...) becomes a
 * numeric character reference, so the config needs no escaping and the page no charset guessing.
 */
function htmlText(text: string): string {
  return [...text].map((c) => (/^[A-Za-z0-9 .,:;!?()/-]$/.test(c) ? c : `&#${c.codePointAt(0)};`)).join('');
}
