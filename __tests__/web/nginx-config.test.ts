import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  FONT_FILE_PATTERN,
  NGINX_GZIP_TYPES,
  NginxStaticConfigModel,
  renderNginxConfig,
  VERSIONED_ASSET_PATTERNS,
} from '../../lib/web/nginx-config';
import { checkNginx, requireBinary, scratch } from '../support/daemons';

const YEAR = 'public, max-age=31536000, immutable';
const HOUR = 'public, max-age=3600';

/** A model whose run-time paths are in the check's scratch folder. */
function model(overrides: Partial<NginxStaticConfigModel> = {}): NginxStaticConfigModel {
  return {
    hostname: 'content-1',
    user: 'www-data',
    pidFile: '@SCRATCH@/nginx.pid',
    errorLog: '@SCRATCH@/error.log',
    accessLog: '@SCRATCH@/access.log',
    tempDir: '@SCRATCH@/tmp',
    mimeTypesFile: '/etc/nginx/mime.types',
    workerConnections: 1024,
    workerRlimitNofile: 2048,
    listen: '80',
    serverNames: ['static.example.com', 'origin-static.example.com'],
    root: '@SCRATCH@/www',
    servedPrefixes: ['/media/', '/skin/', '/js/'],
    deniedPrefixes: ['/media/downloadable/', '/media/customer/'],
    healthCheckPath: '/healthz',
    versionedPatterns: VERSIONED_ASSET_PATTERNS,
    versionedCacheControl: YEAR,
    defaultCacheControl: HOUR,
    corsPattern: FONT_FILE_PATTERN,
    gzipTypes: NGINX_GZIP_TYPES,
    gzipCompLevel: 5,
    gzipMinLength: 256,
    openFileCache: { max: 1000, inactiveSeconds: 60, validSeconds: 30, minUses: 2 },
    keepaliveTimeoutSeconds: 65,
    keepaliveRequests: 1000,
    ...overrides,
  };
}

describe('renderNginxConfig', () => {
  const text = renderNginxConfig(model());

  test('given a model, then the static-server directives are set', () => {
    for (const line of [
      'worker_processes auto;', 'worker_connections 1024;', 'sendfile on;', 'tcp_nopush on;', 'tcp_nodelay on;', 'keepalive_timeout 65s;',
      'gzip on;', 'gzip_static on;', 'gzip_vary on;', 'gzip_proxied any;', 'server_tokens off;', 'etag on;',
      'open_file_cache max=1000 inactive=60s;', 'open_file_cache_valid 30s;', 'open_file_cache_min_uses 2;', 'open_file_cache_errors on;',
      'server_name static.example.com origin-static.example.com;',
    ]) {
      expect(text.split('\n').map((l) => l.trim())).toContain(line);
    }
    expect(text).toMatch(/^\s*gzip_types text\/css .*image\/svg\+xml.*;$/m);
    expect(text).not.toMatch(/gzip_types[^;]*text\/html/);
  });

  test('when checked by nginx -t, then it is accepted', () => {
    const r = checkNginx(text, { 'tmp/.keep': '' });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given an invalid listen value, then nginx -t rejects it', () => {
    const r = checkNginx(renderNginxConfig(model({ listen: 'not-a-port' })), { 'tmp/.keep': '' });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/invalid port|host not found/);
  });

  test.each([
    ['/media/css/0f1e2d3c4b5a69788796a5b4c3d2e1f0.css', true],
    ['/js/app.4e5f6a7b.js', true],
    ['/media/catalog/product/cache/1/image/265x/9df78eab33525d08d6e5fb8d27136e95/a/b/dress.jpg', true],
    ['/skin/frontend/v2/theme/styles.css', true],
    ['/skin/frontend/default/styles.css?v=20240101', true],
    ['/skin/frontend/default/styles.css?a=1&ver=3', true],
    ['/media/catalog/product/1/0/10012345.jpg', false],
    ['/skin/frontend/default/styles.css', false],
    ['/skin/frontend/default/logo.png?w=100', false],
  ])('given the URL %s, then versioned is %s', (url, versioned) => {
    const matches = VERSIONED_ASSET_PATTERNS.some((p) => new RegExp(p, 'i').test(url));
    expect(matches).toBe(versioned);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function get(port: number, path: string, options: { method?: string; host?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', agent: false, timeout: 3000,
      headers: { Host: options.host ?? 'static.example.com', ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('the rendered config served by a real nginx on 127.0.0.1', () => {
  const s = scratch('nginx-run');
  let nginx: ChildProcess | undefined;
  let port = 0;
  const css = 'body { color: #333; }\n'.repeat(100);
  const cssGz = gzipSync(Buffer.from(css));

  beforeAll(async () => {
    requireBinary('nginx');
    port = await freePort();
    chmodSync(s.dir, 0o755);
    s.write('www/skin/frontend/default/styles.css', css);
    s.write('www/media/css/0f1e2d3c4b5a69788796a5b4c3d2e1f0.css', css);
    s.write('www/media/catalog/product/1/0/10012345.jpg', 'jpeg');
    s.write('www/media/downloadable/files/paid.zip', 'paid');
    s.write('www/skin/.htaccess', 'Deny from all');
    s.write('www/skin/fonts/shop.woff2', 'font');
    s.write('tmp/.keep', '');
    writeFileSync(`${s.dir}/www/skin/frontend/default/styles.css.gz`, cssGz);
    for (const d of ['www', 'www/skin', 'www/skin/frontend', 'www/skin/frontend/default', 'www/media', 'www/media/css', 'www/media/catalog',
      'www/media/catalog/product', 'www/media/catalog/product/1', 'www/media/catalog/product/1/0', 'www/media/downloadable', 'www/media/downloadable/files', 'www/skin/fonts']) {
      chmodSync(`${s.dir}/${d}`, 0o755);
    }
    const conf = s.write('nginx.conf', renderNginxConfig(model({ listen: `127.0.0.1:${port}` })).split('@SCRATCH@').join(s.dir));
    nginx = spawn('nginx', ['-c', conf, '-p', `${s.dir}/`, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    nginx.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await get(port, '/healthz');
        break;
      } catch (e) {
        if (Date.now() > deadline || nginx.exitCode !== null) throw new Error(`nginx did not answer on 127.0.0.1:${port}: ${String(e)} ${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }, 15000);

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx!.once('exit', r));
      nginx.kill('SIGTERM');
      await exited;
    }
    s.cleanup();
  });

  test('given a client accepting gzip, then the precompressed .gz is sent with Vary and the short cache header', async () => {
    const r = await get(port, '/skin/frontend/default/styles.css', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.body.equals(cssGz)).toBe(true);
    expect(r.headers['vary']).toBe('Accept-Encoding');
    expect(r.headers['cache-control']).toBe(HOUR);
    expect(r.headers['server']).toBe('nginx');
  });

  test('given a CDN request (Via) without gzip, then the plain file is sent with ETag and Last-Modified', async () => {
    const r = await get(port, '/skin/frontend/default/styles.css', { headers: { Via: '1.1 cdn' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.body.toString()).toBe(css);
    expect(r.headers['etag']).toMatch(/^"/);
    expect(r.headers['last-modified']).toBeDefined();
    expect(r.headers['set-cookie']).toBeUndefined();
  });

  test('given versioned assets, then they are cached a year as immutable', async () => {
    expect((await get(port, '/media/css/0f1e2d3c4b5a69788796a5b4c3d2e1f0.css')).headers['cache-control']).toBe(YEAR);
    expect((await get(port, '/skin/frontend/default/styles.css?v=42')).headers['cache-control']).toBe(YEAR);
    expect((await get(port, '/media/catalog/product/1/0/10012345.jpg')).headers['cache-control']).toBe(HOUR);
  });

  test('given a font, then it carries Access-Control-Allow-Origin', async () => {
    const r = await get(port, '/skin/fonts/shop.woff2');
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect((await get(port, '/media/css/0f1e2d3c4b5a69788796a5b4c3d2e1f0.css')).headers['access-control-allow-origin']).toBeUndefined();
  });

  test('given POST, then 405; given private media, dot files or other paths, then 404 without a cache header', async () => {
    expect((await get(port, '/skin/frontend/default/styles.css', { method: 'POST' })).status).toBe(405);
    for (const path of ['/media/downloadable/files/paid.zip', '/skin/.htaccess', '/index.php', '/app/etc/local.xml']) {
      const r = await get(port, path);
      expect(r.status).toBe(404);
      expect(r.headers['cache-control']).toBeUndefined();
    }
  });

  test('given another Host, then only the health path answers and the rest is closed unanswered', async () => {
    expect((await get(port, '/healthz', { host: '10.0.3.2' })).body.toString()).toBe('ok\n');
    await expect(get(port, '/skin/frontend/default/styles.css', { host: 'evil.example.net' })).rejects.toThrow(/socket hang up|ECONNRESET/);
  });
});
