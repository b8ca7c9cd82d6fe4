/** Debian 12 paths of the `nginx` package (its compiled-in defaults). */
export const NGINX_PATHS = {
  config: '/etc/nginx/nginx.conf',
  pidFile: '/run/nginx.pid',
  logDir: '/var/log/nginx',
  tempDir: '/var/lib/nginx',
  mimeTypes: '/etc/nginx/mime.types',
} as const;
