import { renderTemplate } from '../config/template';

/** Debian 12 paths of `nginx` and `php8.2-fpm`, and where the back-office's Magento code lives. */
export const BACK_OFFICE_PATHS = {
  nginxConfig: '/etc/nginx/nginx.conf',
  nginxPidFile: '/run/nginx.pid',
  nginxLogDir: '/var/log/nginx',
  mimeTypes: '/etc/nginx/mime.types',
  fastcgiParams: '/etc/nginx/fastcgi_params',
  /** Debian's stock pool file, replaced so that the packaged php-fpm.conf runs only the admin pool. */
  phpFpmPool: '/etc/php/8.2/fpm/pool.d/www.conf',
  phpFpmSocket: '/run/php/magento-admin.sock',
  documentRoot: '/var/www/magento',
} as const;

/**
 * Folders and files of a Magento 1.9 tree that must never be served: configuration (`app/etc/local.xml`
 * holds the database password), code, logs, reports, downloadable products and the Connect manager.
 */
export const MAGENTO1_DENIED_PREFIXES: readonly string[] = [
  '/app/', '/includes/', '/lib/', '/media/downloadable/', '/pkginfo/', '/report/config.xml', '/var/', '/shell/', '/downloader/', '/errors/local.xml',
];

/** Memory kept for the system, nginx and the page cache before PHP-FPM children are counted. */
export const BACK_OFFICE_RESERVED_MB = 1024;

/**
 * Memory budgeted per PHP-FPM child of the Magento admin: grids, exports and image resizing use
 * far more than a storefront page; the PHP `memory_limit` is this budget.
 */
export const BACK_OFFICE_PHP_CHILD_MB = 512;

/** What the back-office's `/etc/nginx/nginx.conf` holds. */
export interface BackOfficeNginxModel {
  /** `server_name`. */
  readonly serverName: string;
  /** TCP port. */
  readonly listenPort: number;
  /** User the workers run as. */
  readonly runUser: string;
  /** `pid` path. */
  readonly pidFile: string;
  /** Folder of error.log and access.log. */
  readonly logDir: string;
  /** The MIME types file. */
  readonly mimeTypesFile: string;
  /** The fastcgi_params file. */
  readonly fastcgiParamsFile: string;
  /** Connections per worker. */
  readonly workerConnections: number;
  /** Largest upload in MB (`client_max_body_size`). */
  readonly maxUploadMb: number;
  /** The Magento root. */
  readonly documentRoot: string;
  /** URL prefixes denied (`location ^~`). */
  readonly deniedPrefixes: readonly string[];
  /** PHP-FPM's unix socket. */
  readonly phpFpmSocket: string;
  /** Seconds nginx waits for PHP (`fastcgi_read_timeout`). */
  readonly requestTimeoutSeconds: number;
  /** Magento `MAGE_RUN_CODE` (store or website code). */
  readonly mageRunCode: string;
  /** Magento `MAGE_RUN_TYPE`: `store` or `website`. */
  readonly mageRunType: string;
}

/** Renders the back-office's nginx.conf from `templates/back-office-nginx.conf.hbs`. Pure. */
export function renderBackOfficeNginxConfig(model: BackOfficeNginxModel): string {
  return renderTemplate('back-office-nginx.conf.hbs', model);
}

/** What the back-office's PHP-FPM pool file holds. */
export interface BackOfficePhpFpmModel {
  /** Pool name. */
  readonly poolName: string;
  /** User the children run as. */
  readonly runUser: string;
  /** Group the children run as. */
  readonly runGroup: string;
  /** Unix socket path. */
  readonly socket: string;
  /** Owner of the socket (nginx's user). */
  readonly listenOwner: string;
  /** Group of the socket. */
  readonly listenGroup: string;
  /** Children at most. */
  readonly maxChildren: number;
  /** PHP `memory_limit` in MB. */
  readonly memoryLimitMb: number;
  /** Seconds a request may run. */
  readonly requestTimeoutSeconds: number;
  /** Largest upload in MB. */
  readonly maxUploadMb: number;
}

/** Renders the back-office's PHP-FPM pool from `templates/back-office-php-fpm.conf.hbs`. Pure. */
export function renderBackOfficePhpFpmConfig(model: BackOfficePhpFpmModel): string {
  return renderTemplate('back-office-php-fpm.conf.hbs', model);
}

/** PHP-FPM children for a back-office with `ramGb` of memory; undefined when not even one fits. */
export function backOfficePhpChildrenForRam(ramGb: number): number | undefined {
  const children = Math.floor((ramGb * 1024 - BACK_OFFICE_RESERVED_MB) / BACK_OFFICE_PHP_CHILD_MB);
  return children >= 1 ? children : undefined;
}
