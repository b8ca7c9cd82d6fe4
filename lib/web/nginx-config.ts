import { renderTemplate } from '../config/template';

// Shared with the balancers' response cache, which sits below this layer.
export { NGINX_PATHS } from '../config/nginx-paths';

/** One year, the longest lifetime RFC 9111 caches are expected to honour; for versioned assets. */
export const ONE_YEAR_SECONDS = 31536000;

/**
 * What makes an asset URL "versioned" (its content never changes under that URL), as PCRE patterns
 * matched case-insensitively against the request URI with its query:
 * - a hex content hash of 8+ characters holding at least one letter, as a path segment or a dotted
 *   part of the file name: `/media/css/3f1c9a0b2d....css`, `app.4e5f6a7b.js`, Magento's resized
 *   images `/media/catalog/product/cache/1/image/265x/9df78eab33525d08d6e5fb8d27136e95/...`;
 * - a version segment: `/v2/`, `/v1.9.4/`, `/version1712345678/`;
 * - a version or hash query parameter: `?v=...`, `&ver=...`, `?version=...`, `?hash=...`.
 * Plain digit runs (`/10012345.jpg`, SKU-named images) are not versions: they may be replaced in place.
 */
export const VERSIONED_ASSET_PATTERNS: readonly string[] = [
  '[/.](?=[0-9]*[a-f])[0-9a-f]{8,}[./]',
  '/(v|version)[0-9]+(\\.[0-9]+)*/',
  '[?&](v|ver|version|hash)=[^&]+',
];

/** Font files, which browsers fetch with CORS (`@font-face`), matched against the path. */
export const FONT_FILE_PATTERN = '\\.(woff2?|ttf|otf|eot)$';

/** Text types worth compressing (text/html is always compressed by nginx and must not be listed). */
export const NGINX_GZIP_TYPES: readonly string[] = [
  'text/css',
  'text/plain',
  'text/xml',
  'text/javascript',
  'application/javascript',
  'application/json',
  'application/xml',
  'application/rss+xml',
  'image/svg+xml',
  'image/x-icon',
  'font/ttf',
  'font/otf',
  'application/vnd.ms-fontobject',
];

/** nginx's `open_file_cache` settings. */
export interface NginxOpenFileCache {
  /** Entries kept. */
  readonly max: number;
  /** Seconds an unused entry stays. */
  readonly inactiveSeconds: number;
  /** Seconds before an entry is checked against the file system again. */
  readonly validSeconds: number;
  /** Uses within `inactive` for an entry to stay. */
  readonly minUses: number;
}

// Shared with the balancers' response cache, which sits below this layer.
export { NGINX_TLS_SESSION } from '../security/tls-policy';

/** Two years, Mozilla's `Strict-Transport-Security` max-age. */
export const HSTS_TWO_YEARS_SECONDS = 63072000;

/** The TLS server of an nginx.conf (Mozilla intermediate). */
export interface NginxTlsModel {
  /** `listen` value of the TLS servers, without `ssl` (`443`, `127.0.0.1:8443`). */
  readonly listen: string;
  /** PEM certificate chain file (leaf first). */
  readonly certificateFile: string;
  /** PEM private key file. */
  readonly certificateKeyFile: string;
  /** `ssl_protocols` (MOZILLA_INTERMEDIATE_PROTOCOLS). */
  readonly protocols: readonly string[];
  /** `ssl_ciphers` (intermediateCipherString()). */
  readonly ciphers: string;
  /** `ssl_session_timeout`. */
  readonly sessionTimeout: string;
  /** `ssl_session_cache`. */
  readonly sessionCache: string;
  /** `ssl_session_tickets`. */
  readonly sessionTickets: boolean;
  /** `Strict-Transport-Security` max-age on TLS answers; 0 sends none. */
  readonly hstsMaxAgeSeconds: number;
}

/** What `/etc/nginx/nginx.conf` of the static content server holds. */
export interface NginxStaticConfigModel {
  /** Host name, for the header comment. */
  readonly hostname: string;
  /** User the workers run as. */
  readonly user: string;
  /** pid file. */
  readonly pidFile: string;
  /** Error log file. */
  readonly errorLog: string;
  /** Access log file. */
  readonly accessLog: string;
  /** Folder of the `*_temp_path` folders (`body`, `proxy`, `fastcgi`, `uwsgi`, `scgi`). */
  readonly tempDir: string;
  /** The MIME types file included. */
  readonly mimeTypesFile: string;
  /** Connections per worker. */
  readonly workerConnections: number;
  /** Open files per worker (two per connection: client socket and file). */
  readonly workerRlimitNofile: number;
  /** `listen` value: a port (`80`) or `address:port`. */
  readonly listen: string;
  /** Host names of the static site (the public names and the Host the CDN pulls with). */
  readonly serverNames: readonly string[];
  /** Document root. */
  readonly root: string;
  /** URI prefixes served from the root (`/media/`, `/skin/`, `/js/`); everything else is 404. */
  readonly servedPrefixes: readonly string[];
  /** URI prefixes never served (private uploads), answered 404. */
  readonly deniedPrefixes: readonly string[];
  /** Path answering 200 for health checks. */
  readonly healthCheckPath: string;
  /** Patterns of versioned asset URLs (see {@link VERSIONED_ASSET_PATTERNS}). */
  readonly versionedPatterns: readonly string[];
  /** Cache-Control of versioned assets. */
  readonly versionedCacheControl: string;
  /** Cache-Control of everything else served. */
  readonly defaultCacheControl: string;
  /** Pattern of the paths that get `Access-Control-Allow-Origin: *`. */
  readonly corsPattern: string;
  /** MIME types compressed. */
  readonly gzipTypes: readonly string[];
  /** gzip level, 1-9. */
  readonly gzipCompLevel: number;
  /** Smallest body compressed, in bytes. */
  readonly gzipMinLength: number;
  /** Open file cache. */
  readonly openFileCache: NginxOpenFileCache;
  /** Seconds an idle keep-alive connection stays open. */
  readonly keepaliveTimeoutSeconds: number;
  /** Requests per keep-alive connection. */
  readonly keepaliveRequests: number;
  /** TLS servers next to the plain ones (same locations). @default - HTTP only */
  readonly tls?: NginxTlsModel;
}

/**
 * Renders a complete nginx.conf of a static content server and CDN origin: sendfile, gzip and
 * gzip_static, open_file_cache, a year of caching for versioned assets, CORS for fonts, GET/HEAD
 * only, a default server that closes requests for other names, and a health path; with `tls`, both
 * servers also listen with TLS (Mozilla intermediate protocols, ciphers and session settings). Pure.
 */
export function renderNginxConfig(model: NginxStaticConfigModel): string {
  return renderTemplate('nginx.conf.hbs', model);
}
