import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { AddressInfo } from 'node:net';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { apacheMpmLimitsForRam } from '../../lib/web/apache-config';
import {
  MagentoApacheConfig,
  MagentoLocalXml,
  MagentoPhpIni,
  PhpFpmConfig,
  PhpFpmPoolConfig,
  PhpFpmProcessManager,
  phpFpmSizingForRam,
  renderMagentoApacheConfig,
  renderMagentoHealthScript,
  renderMagentoInstallScript,
  renderMagentoLocalXml,
  renderMagentoPhpIni,
  renderMagentoReleaseScript,
  renderPhpFpmConfig,
  renderPhpFpmPoolConfig,
  xmlEscape,
} from '../../lib/magento/magento-config';
import { checkShell } from '../support/config-checks';
import { startLoopbackMariadb } from '../support/loopback-mariadb';
import { checkApache, checkPhpFpm, checkPhpFpmMain, checkPhpFpmPool, checkPhpIni, checkXml, requireBinary, run, scratch } from '../support/daemons';

function apacheModel(overrides: Partial<MagentoApacheConfig> = {}): MagentoApacheConfig {
  return {
    serverName: 'www.example.com',
    listenAddress: '*',
    listenPort: 80,
    modulesDir: '/usr/lib/apache2/modules',
    runUser: 'www-data',
    runGroup: 'www-data',
    pidFile: '@SCRATCH@/apache2.pid',
    runtimeDir: '@SCRATCH@',
    logDir: '@SCRATCH@',
    mimeTypesFile: '/etc/mime.types',
    documentRoot: '@SCRATCH@/magento',
    deniedDirectories: ['app', 'var', 'media/downloadable'],
    adminFrontName: 'admin',
    phpFpmSocket: '@SCRATCH@/php-fpm.sock',
    phpTimeoutSeconds: 60,
    healthCheckPath: '/healthz',
    healthScript: '@SCRATCH@/health/magento-health.php',
    phpFpmStatusPath: '/fpm-status',
    phpFpmPingPath: '/fpm-ping',
    rewriteExemptPattern: '^(healthz|fpm-ping|fpm-status|server-status)$',
    staticMaxAgeDays: 7,
    timeoutSeconds: 60,
    keepAliveTimeoutSeconds: 5,
    mpm: apacheMpmLimitsForRam(4, 150)!,
    forwardedProtoSources: [],
    ...overrides,
  };
}

function fpmModel(overrides: Partial<PhpFpmConfig> = {}): PhpFpmConfig {
  return {
    pidFile: '@SCRATCH@/php-fpm.pid',
    errorLog: '@SCRATCH@/php-fpm.log',
    emergencyRestartThreshold: 10,
    emergencyRestartIntervalSeconds: 60,
    processControlTimeoutSeconds: 10,
    poolFiles: ['@SCRATCH@/pool.conf'],
    ...overrides,
  };
}

function poolModel(overrides: Partial<PhpFpmPoolConfig> = {}): PhpFpmPoolConfig {
  return {
    name: 'magento',
    user: 'www-data',
    group: 'www-data',
    listen: '@SCRATCH@/php-fpm.sock',
    listenOwner: 'www-data',
    listenGroup: 'www-data',
    listenBacklog: 511,
    pm: PhpFpmProcessManager.STATIC,
    maxChildren: 24,
    startServers: 6,
    minSpareServers: 3,
    maxSpareServers: 12,
    maxRequests: 500,
    statusPath: '/fpm-status',
    pingPath: '/fpm-ping',
    pingResponse: 'ok',
    slowlogFile: '@SCRATCH@/slow.log',
    requestSlowlogTimeoutSeconds: 5,
    requestTerminateTimeoutSeconds: 60,
    ...overrides,
  };
}

function iniModel(overrides: Partial<MagentoPhpIni> = {}): MagentoPhpIni {
  return {
    memoryLimitMb: 512,
    maxExecutionTimeSeconds: 60,
    uploadMaxMb: 64,
    realpathCacheSizeKb: 4096,
    realpathCacheTtlSeconds: 600,
    timezone: 'UTC',
    opcache: { memoryMb: 256, internedStringsMb: 32, maxAcceleratedFiles: 32531, validateTimestamps: false, revalidateFreqSeconds: 60 },
    session: { saveHandler: 'redis', savePath: 'tcp://10.0.3.2:6379?auth=p%26w&database=2&timeout=2.5', gcMaxlifetimeSeconds: 86400 },
    ...overrides,
  };
}

function localXmlModel(overrides: Partial<MagentoLocalXml> = {}): MagentoLocalXml {
  return {
    installDate: 'Thu, 01 Jan 2015 00:00:00 +0000',
    cryptKey: 'k&amp;ey',
    database: { host: '10.0.3.10', port: 3306, username: 'magento', password: 'p&lt;w', name: 'magento', tablePrefix: '' },
    sessions: { host: '10.0.3.2', port: 6379, password: 'r&amp;p', database: 0, timeoutSeconds: 2.5, maxConcurrency: 6, maxLifetimeSeconds: 2592000 },
    cache: { host: '10.0.3.2', port: 6379, password: 'r&amp;p', database: 1 },
    adminFrontName: 'admin',
    ...overrides,
  };
}

/** Reads `key = value` lines of an ini/pool file into a map. */
function keyValues(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z0-9_.]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) m.set(match[1], match[2]);
  }
  return m;
}

describe('phpFpmSizingForRam', () => {
  test('given 4 GB and the defaults, then (4096 - 768 - 256) / 128 = 24 children', () => {
    expect(phpFpmSizingForRam(4)).toEqual({ maxChildren: 24, ramMb: 4096, reservedMb: 1024, childMb: 128 });
  });
  test('given 8 GB, then 56 children', () => {
    expect(phpFpmSizingForRam(8)!.maxChildren).toBe(56);
  });
  test('given RAM that holds no child, then undefined', () => {
    expect(phpFpmSizingForRam(1)).toBeUndefined();
  });
});

describe('renderPhpFpmConfig / renderPhpFpmPoolConfig', () => {
  test('when rendered, then the pool has the socket, pm, max_children, status, ping and slow log', () => {
    const kv = keyValues(renderPhpFpmPoolConfig(poolModel()));
    expect(kv.get('listen')).toBe('@SCRATCH@/php-fpm.sock');
    expect(kv.get('pm')).toBe('static');
    expect(kv.get('pm.max_children')).toBe('24');
    expect(kv.has('pm.start_servers')).toBe(false);
    expect(kv.get('pm.max_requests')).toBe('500');
    expect(kv.get('pm.status_path')).toBe('/fpm-status');
    expect(kv.get('ping.path')).toBe('/fpm-ping');
    expect(kv.get('slowlog')).toBe('@SCRATCH@/slow.log');
    expect(kv.get('request_slowlog_timeout')).toBe('5s');
  });

  test('given pm dynamic, then the spare-server bounds are written', () => {
    const kv = keyValues(renderPhpFpmPoolConfig(poolModel({ pm: PhpFpmProcessManager.DYNAMIC })));
    expect([kv.get('pm'), kv.get('pm.start_servers'), kv.get('pm.min_spare_servers'), kv.get('pm.max_spare_servers')]).toEqual(['dynamic', '6', '3', '12']);
  });

  test('when the main config and its pool are checked by php-fpm8.2 -t, then they are accepted', () => {
    const r = checkPhpFpm(renderPhpFpmConfig(fpmModel()), { 'pool.conf': renderPhpFpmPoolConfig(poolModel()) });
    expect(r.output).toContain('test is successful');
    expect(r.ok).toBe(true);
    expect(checkPhpFpmPool(renderPhpFpmPoolConfig(poolModel({ pm: PhpFpmProcessManager.DYNAMIC }))).ok).toBe(true);
    expect(checkPhpFpmMain(renderPhpFpmConfig(fpmModel({ poolFiles: ['/etc/php/8.2/fpm/pool.d/magento.conf'] }))).ok).toBe(true);
  });

  test('given dynamic spare bounds above max_children, then php-fpm8.2 -t rejects the pool', () => {
    const r = checkPhpFpmPool(renderPhpFpmPoolConfig(poolModel({ pm: PhpFpmProcessManager.DYNAMIC, maxChildren: 2 })));
    expect(r.ok).toBe(false);
  });
});

describe('renderMagentoPhpIni', () => {
  test('when rendered, then OPcache, memory and the Redis session handler are set', () => {
    const kv = keyValues(renderMagentoPhpIni(iniModel()));
    expect(kv.get('opcache.enable')).toBe('1');
    expect(kv.get('opcache.memory_consumption')).toBe('256');
    expect(kv.get('opcache.max_accelerated_files')).toBe('32531');
    expect(kv.get('opcache.validate_timestamps')).toBe('0');
    expect(kv.get('memory_limit')).toBe('512M');
    expect(kv.get('session.save_handler')).toBe('redis');
    expect(kv.get('session.save_path')).toBe('"tcp://10.0.3.2:6379?auth=p%26w&database=2&timeout=2.5"');
  });

  test('when checked by the PHP CLI with the Debian extensions, then every key is known and the file parses', () => {
    const r = checkPhpIni(renderMagentoPhpIni(iniModel()));
    expect(r.output.trim()).toBe('ini OK');
    expect(r.ok).toBe(true);
  });

  test('given an unknown key or a broken section, then the check fails', () => {
    expect(checkPhpIni(`${renderMagentoPhpIni(iniModel())}\nopcache.enabel = 1\n`)).toMatchObject({ ok: false, output: expect.stringContaining('opcache.enabel') });
    expect(checkPhpIni('[PHP\nmemory_limit = 1G\n').ok).toBe(false);
  });
});

describe('renderMagentoLocalXml', () => {
  test('when rendered, then it is well-formed and has the DB, Cm_RedisSession and Redis cache settings', () => {
    const xml = renderMagentoLocalXml(localXmlModel());
    expect(checkXml(xml).ok).toBe(true);
    expect(xml).toContain('<host>10.0.3.10:3306</host>');
    expect(xml).toContain('<password>p&lt;w</password>');
    expect(xml).toContain('<session_save>db</session_save>');
    expect(xml).toMatch(/<redis_session>\s+<host>10\.0\.3\.2<\/host>\s+<port>6379<\/port>\s+<password>r&amp;p<\/password>/);
    expect(xml).toMatch(/<backend>Cm_Cache_Backend_Redis<\/backend>\s+<backend_options>\s+<server>10\.0\.3\.2<\/server>/);
    expect(xml).toContain('<database>1</database>');
    expect(xml).toContain('<frontName>admin</frontName>');
  });

  test('given an unescaped ampersand, then xmllint rejects the document', () => {
    expect(checkXml(renderMagentoLocalXml(localXmlModel({ cryptKey: 'a&b' }))).ok).toBe(false);
    expect(xmlEscape(`a&b<c>"d'`)).toBe('a&amp;b&lt;c&gt;&quot;d&apos;');
  });
});

describe('renderMagentoReleaseScript', () => {
  test('when rendered, then bash -n accepts it and it checks the SHA-256 before unpacking', () => {
    const sha = 'a'.repeat(64);
    const text = renderMagentoReleaseScript({ url: 'https://example.org/openmage-v20.0.0.zip', sha256: sha, documentRoot: '/var/www/magento', runUser: 'www-data', runGroup: 'www-data' });
    expect(checkShell(text).ok).toBe(true);
    expect(text).toContain(`sha256='${sha}'`);
    expect(text.indexOf('sha256sum --check')).toBeLessThan(text.indexOf('unzip'));
    expect(text).toContain("--exclude '/app/etc/local.xml' --exclude '/media/'");
  });
});

describe('renderMagentoApacheConfig', () => {
  test('when rendered, then PHP goes to the FPM socket, the health path to the health script, FPM ping to localhost only and private folders are denied', () => {
    const text = renderMagentoApacheConfig(apacheModel());
    expect(text).toContain('SetHandler "proxy:unix:@SCRATCH@/php-fpm.sock|fcgi://localhost"');
    expect(text).toContain('Alias "/healthz" "@SCRATCH@/health/magento-health.php"');
    expect(text).toMatch(/<Location "\/healthz">\s+SetHandler "proxy:unix:@SCRATCH@\/php-fpm\.sock\|fcgi:\/\/localhost"\s+Require all granted\s+<\/Location>/);
    expect(text).toMatch(/<Location "\/fpm-ping">\s+SetHandler "proxy:unix:@SCRATCH@\/php-fpm\.sock\|fcgi:\/\/localhost"\s+Require local\s+<\/Location>/);
    expect(text).toContain('<DirectoryMatch "^@SCRATCH@/magento/(app|var|media/downloadable)(/|$)">');
    expect(text).toContain('<LocationMatch "^/(index\\.php/)?admin(/|$)">');
    expect(text).toMatch(/^DocumentRoot "@SCRATCH@\/magento"$/m);
    expect(text).toContain('LoadModule proxy_fcgi_module');
    expect(text).toContain('ExpiresDefault "access plus 7 days"');
    expect(text).toContain('AddOutputFilterByType DEFLATE text/html');
  });

  test('when checked by apache2 -t, then the complete config is accepted', () => {
    const r = checkApache(renderMagentoApacheConfig(apacheModel()), { 'magento/index.php': '<?php\n' });
    expect(r.output).toContain('Syntax OK');
    expect(r.ok).toBe(true);
  });

  test('given the entries\' sources, when rendered, then HTTPS=on follows X-Forwarded-Proto only when the peer is one of them, and apache2 -t accepts it', () => {
    // Given / When
    const text = renderMagentoApacheConfig(apacheModel({ forwardedProtoSources: ['10.30.1.128/25', '10.30.0.5'] }));
    // Then
    expect(text).toContain(`<If "%{CONN_REMOTE_ADDR} -ipmatch '10.30.1.128/25' || %{CONN_REMOTE_ADDR} -ipmatch '10.30.0.5'">\n    SetEnvIf X-Forwarded-Proto "^https$" HTTPS=on\n</If>`);
    expect(text.match(/^\s*SetEnvIf.*HTTPS=on$/gm)).toHaveLength(1);
    const r = checkApache(text, { 'magento/index.php': '<?php\n' });
    expect(r.output).toContain('Syntax OK');
    expect(r.ok).toBe(true);
  });

  test('given no entry in front, when rendered, then X-Forwarded-Proto is never believed', () => {
    expect(renderMagentoApacheConfig(apacheModel())).not.toMatch(/HTTPS=on|SetEnvIf X-Forwarded-Proto/);
  });

  test('given a module folder without the modules, then apache2 -t rejects the config', () => {
    expect(checkApache(renderMagentoApacheConfig(apacheModel({ modulesDir: '@SCRATCH@/none' }))).ok).toBe(false);
  });
});

function freePort(): Promise<number> {
  const s = createServer();
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => {
    const port = (s.address() as AddressInfo).port;
    s.close(() => resolve(port));
  }));
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function waitForStatus(url: string, status: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).status === status) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Apache and PHP-FPM from the rendered configs, on loopback', () => {
  test('given a front controller and no shop code, then PHP pages, rewrites, FPM ping, denied folders and the denied admin behave, and /healthz refuses traffic', async () => {
    requireBinary('apache2');
    requireBinary('php-fpm8.2');
    const port = await freePort();
    const s = scratch('magento-run');
    chmodSync(s.dir, 0o755);
    const root = join(s.dir, 'magento');
    s.write('magento/index.php', '<?php echo "magento:", $_SERVER["REQUEST_URI"], ":", ini_get("memory_limit");\n');
    s.write('health/magento-health.php', renderMagentoHealthScript({ documentRoot: root, timeoutSeconds: 2 }));
    s.write('magento/app/etc/local.xml', '<config/>\n');
    s.write('magento/skin/style.css', 'body{}\n');
    s.write('magento/media/evil.php', '<?php echo "executed";\n');
    mkdirSync(join(root, 'var'), { recursive: true });
    run(['chmod', '-R', 'a+rX', s.dir]);
    s.write('pool.conf', renderPhpFpmPoolConfig(poolModel({ maxChildren: 2 })).split('@SCRATCH@').join(s.dir));
    s.write('conf.d/99-magento.ini', renderMagentoPhpIni(iniModel({ memoryLimitMb: 384, session: { saveHandler: 'files', savePath: s.dir, gcMaxlifetimeSeconds: 60 } })));
    const fpmConf = s.write('php-fpm.conf', renderPhpFpmConfig(fpmModel()).split('@SCRATCH@').join(s.dir));
    const apacheConf = s.write('apache2.conf', renderMagentoApacheConfig(apacheModel({ listenAddress: '127.0.0.1', listenPort: port })).split('@SCRATCH@').join(s.dir));
    const fpm = spawn('php-fpm8.2', ['--nodaemonize', '-y', fpmConf, '-c', s.write('php.ini', '')], { stdio: 'ignore', env: { ...process.env, PHP_INI_SCAN_DIR: `/etc/php/8.2/fpm/conf.d:${join(s.dir, 'conf.d')}` } });
    const apache = spawn('apache2', ['-D', 'FOREGROUND', '-f', apacheConf], { stdio: 'ignore' });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitForStatus(`${base}/fpm-ping`, 200, 10000);
      expect(await (await fetch(`${base}/fpm-ping`)).text()).toBe('ok');
      // No app/Mage.php in the document root: the front-end must not take customers.
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.text()).toMatch(/^unhealthy: no Magento code in /);
      // Magento's front controller takes every path that is not a file, with the ini overrides applied.
      const page = await fetch(`${base}/costumes/pirate.html`);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe('magento:/costumes/pirate.html:384M');
      const css = await fetch(`${base}/skin/style.css`);
      expect(css.status).toBe(200);
      expect(css.headers.get('cache-control')).toContain('max-age=604800');
      expect((await fetch(`${base}/app/etc/local.xml`)).status).toBe(403);
      expect((await fetch(`${base}/admin/dashboard`)).status).toBe(403);
      expect((await fetch(`${base}/index.php/admin/`)).status).toBe(403);
      const upload = await fetch(`${base}/media/evil.php`);
      expect(upload.status).toBe(403);
      expect(await upload.text()).not.toContain('executed');
      expect((await fetch(`${base}/fpm-status`)).status).toBe(200);
    } finally {
      await stop(apache);
      await stop(fpm);
      s.cleanup();
    }
  });
});

/** GET `path` from `localAddress` (a loopback address other than 127.0.0.1 is a different peer), with `headers`. */
function getFrom(localAddress: string, port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, localAddress, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('X-Forwarded-Proto from the entries only, Apache and PHP-FPM on loopback', () => {
  test('given 127.0.0.2 as the entry, then Magento sees HTTPS=on from it and never from another peer', async () => {
    // Given: the entry is 127.0.0.2; any other peer (127.0.0.1 here) is a client reaching Apache directly
    requireBinary('apache2');
    requireBinary('php-fpm8.2');
    const port = await freePort();
    const s = scratch('magento-xfp');
    chmodSync(s.dir, 0o755);
    s.write('magento/index.php', '<?php echo "https=", $_SERVER["HTTPS"] ?? "";\n');
    run(['chmod', '-R', 'a+rX', s.dir]);
    s.write('pool.conf', renderPhpFpmPoolConfig(poolModel({ maxChildren: 2 })).split('@SCRATCH@').join(s.dir));
    const fpmConf = s.write('php-fpm.conf', renderPhpFpmConfig(fpmModel()).split('@SCRATCH@').join(s.dir));
    const model = apacheModel({ listenAddress: '127.0.0.1', listenPort: port, forwardedProtoSources: ['127.0.0.2/32'] });
    const apacheConf = s.write('apache2.conf', renderMagentoApacheConfig(model).split('@SCRATCH@').join(s.dir));
    const fpm = spawn('php-fpm8.2', ['--nodaemonize', '-y', fpmConf, '-c', s.write('php.ini', '')], { stdio: 'ignore' });
    const apache = spawn('apache2', ['-D', 'FOREGROUND', '-f', apacheConf], { stdio: 'ignore' });
    try {
      await waitForStatus(`http://127.0.0.1:${port}/fpm-ping`, 200, 10000);
      // When / Then: the entry says https
      expect(await getFrom('127.0.0.2', port, '/shop.html', { 'X-Forwarded-Proto': 'https' })).toEqual({ status: 200, body: 'https=on' });
      // the entry says http
      expect(await getFrom('127.0.0.2', port, '/shop.html', { 'X-Forwarded-Proto': 'http' })).toEqual({ status: 200, body: 'https=' });
      // a client that is not an entry says https, also with a forged X-Forwarded-For naming the entry
      expect(await getFrom('127.0.0.1', port, '/shop.html', { 'X-Forwarded-Proto': 'https' })).toEqual({ status: 200, body: 'https=' });
      expect(await getFrom('127.0.0.1', port, '/shop.html', { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '127.0.0.2' })).toEqual({ status: 200, body: 'https=' });
      // a client sending HTTPS as a header of its own gets HTTP_HTTPS, never HTTPS
      expect(await getFrom('127.0.0.1', port, '/shop.html', { HTTPS: 'on' })).toEqual({ status: 200, body: 'https=' });
    } finally {
      await stop(apache);
      await stop(fpm);
      s.cleanup();
    }
  });
});

/**
 * The front-end's health page through the real Apache and PHP-FPM, in front of a real MariaDB and
 * Redis on loopback (scratch data, their own ports): it refuses traffic until the shop's code is
 * there, the shop is installed in the database and the session store answers, and again as soon
 * as one of them is gone. The local.xml is the rendered one, with passwords full of XML specials.
 */
describe('the Magento health page, Apache + PHP-FPM + MariaDB + Redis on loopback', () => {
  const DB_PASSWORD = `db <pw> & "q" 'a'`;
  const REDIS_PASSWORD = `re<d>is & pw`;
  const s = scratch('magento-health');
  const children: ChildProcess[] = [];
  let base = '';
  let root = '';
  let sql: (statement: string) => void;
  let stopDatabase: () => Promise<void> = async () => undefined;
  let redis: ChildProcess;

  const health = async (): Promise<{ status: number; body: string }> => {
    const r = await fetch(`${base}/healthz`);
    return { status: r.status, body: await r.text() };
  };

  beforeAll(async () => {
    for (const b of ['apache2', 'php-fpm8.2', 'redis-server']) requireBinary(b);
    chmodSync(s.dir, 0o755);
    const [httpPort, redisPort] = [await freePort(), await freePort()];
    // MariaDB on 127.0.0.1 with the shop's database and account.
    const db = await startLoopbackMariadb(s.dir, { database: 'magento', user: 'magento', password: DB_PASSWORD });
    stopDatabase = db.stop;
    sql = (statement: string) => void db.sql(statement);
    const dbPort = db.port;
    // Redis with a password, on 127.0.0.1:redisPort.
    const redisConf = s.write('redis.conf', `bind 127.0.0.1\nport ${redisPort}\nsave ""\nappendonly no\ndir ${s.dir}\nrequirepass "${REDIS_PASSWORD.replace(/"/g, '\\"')}"\n`);
    redis = spawn('redis-server', [redisConf], { stdio: 'ignore' });
    children.push(redis);
    // The front-end: rendered local.xml, health script, pool, Apache.
    root = join(s.dir, 'magento');
    s.write('magento/index.php', '<?php echo "shop";\n');
    s.write('magento/app/etc/local.xml', renderMagentoLocalXml(localXmlModel({
      database: { host: '127.0.0.1', port: dbPort, username: 'magento', password: xmlEscape(DB_PASSWORD), name: 'magento', tablePrefix: '' },
      sessions: { host: '127.0.0.1', port: redisPort, password: xmlEscape(REDIS_PASSWORD), database: 0, timeoutSeconds: 2.5, maxConcurrency: 6, maxLifetimeSeconds: 2592000 },
    })));
    s.write('health/magento-health.php', renderMagentoHealthScript({ documentRoot: root, timeoutSeconds: 2 }));
    run(['chmod', '-R', 'a+rX', s.dir]);
    s.write('pool.conf', renderPhpFpmPoolConfig(poolModel({ maxChildren: 2 })).split('@SCRATCH@').join(s.dir));
    const fpmConf = s.write('php-fpm.conf', renderPhpFpmConfig(fpmModel()).split('@SCRATCH@').join(s.dir));
    const apacheConf = s.write('apache2.conf', renderMagentoApacheConfig(apacheModel({ listenAddress: '127.0.0.1', listenPort: httpPort })).split('@SCRATCH@').join(s.dir));
    children.push(spawn('php-fpm8.2', ['--nodaemonize', '-y', fpmConf, '-c', s.write('php.ini', '')], { stdio: 'ignore' }));
    children.push(spawn('apache2', ['-D', 'FOREGROUND', '-f', apacheConf], { stdio: 'ignore' }));
    base = `http://127.0.0.1:${httpPort}`;
    await waitForStatus(`${base}/fpm-ping`, 200, 10000);
  }, 60000);

  afterAll(async () => {
    await Promise.all([...children.map((c) => stop(c)), stopDatabase()]);
    s.cleanup();
  }, 30000);

  test('given no code, then 503: the deployment has not reached the front-end', async () => {
    const r = await health();
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/^unhealthy: no Magento code in .*app\/Mage\.php/);
  });

  test('given the code and an empty database, then 503: the shop is not installed', async () => {
    s.write('magento/app/Mage.php', '<?php\n');
    const r = await health();
    expect(r.body).toMatch(/^unhealthy: database: .*core_config_data/);
    expect(r.status).toBe(503);
    sql("CREATE TABLE magento.core_config_data (config_id INT AUTO_INCREMENT PRIMARY KEY, scope VARCHAR(8) NOT NULL DEFAULT 'default', scope_id INT NOT NULL DEFAULT 0, path VARCHAR(255) NOT NULL, value TEXT)");
    const empty = await health();
    expect(empty).toEqual({ status: 503, body: 'unhealthy: the shop is not installed in the database (no web/unsecure/base_url in core_config_data)\n' });
  });

  test('given a base URL but the schema installer not finished, then 503 naming it', async () => {
    sql("INSERT INTO magento.core_config_data (path, value) VALUES ('web/unsecure/base_url', 'https://www.example.es/')");
    const r = await health();
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/^unhealthy: the schema install has not finished \(no hosting_stacks\/install\/code/);
  });

  test('given the installed shop and the session store, then 200 ok', async () => {
    sql("INSERT INTO magento.core_config_data (path, value) VALUES ('hosting_stacks/install/code', 'abc')");
    expect(await health()).toEqual({ status: 200, body: 'ok\n' });
  });

  test('given the session store gone, then 503 naming it; given the database gone, then 503 naming it', async () => {
    await stop(redis);
    const r = await health();
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/^unhealthy: session store: /);
    await stopDatabase();
    const d = await health();
    expect(d.status).toBe(503);
    expect(d.body).toMatch(/^unhealthy: database: /);
  }, 20000);
});

/**
 * The schema installer, run by three front-ends at once against a MariaDB on loopback, with a
 * stand-in for OpenMage's app/Mage.php (__tests__/magento/fixtures/stand-in-Mage.php: OpenMage
 * itself cannot be downloaded here) whose setup run takes a second and is counted: the setup
 * scripts run once, the base URLs and the admin user are written once, an upgrade of the code
 * runs them once more and keeps what the database already had.
 */
describe('the Magento schema installer, three front-ends at once, MariaDB on loopback', () => {
  const s = scratch('magento-install');
  let db: Awaited<ReturnType<typeof startLoopbackMariadb>> | undefined;
  let root = '';
  let script = '';
  const query = (statement: string): string => db!.sql(statement).trim();
  const install = (): Promise<{ code: number; output: string }> =>
    new Promise((resolve) => {
      const child = spawn('php8.2', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, output });
      });
    });
  const setVersion = (version: string) =>
    s.write('magento/app/code/core/Mage/Core/etc/config.xml', `<?xml version="1.0"?>\n<config><modules><Mage_Core><version>${version}</version></Mage_Core></modules></config>\n`);

  beforeAll(async () => {
    requireBinary('php8.2');
    chmodSync(s.dir, 0o755);
    db = await startLoopbackMariadb(s.dir, { database: 'magento', user: 'magento', password: 'magento pw' });
    root = join(s.dir, 'magento');
    s.write('magento/app/etc/local.xml', renderMagentoLocalXml(localXmlModel({
      database: { host: '127.0.0.1', port: db.port, username: 'magento', password: 'magento pw', name: 'magento', tablePrefix: '' },
    })));
    s.write('magento/app/Mage.php', readFileSync(join(__dirname, 'fixtures/stand-in-Mage.php'), 'utf8'));
    s.write('magento/app/etc/modules/Mage_All.xml', '<?xml version="1.0"?>\n<config><modules><Mage_Core><active>true</active></Mage_Core></modules></config>\n');
    setVersion('1.6.0.10');
    s.write('admin-password', 'correct horse battery staple\n');
    script = s.write('magento-install.php', renderMagentoInstallScript({
      documentRoot: root,
      baseUrl: 'https://www.example.es/',
      secure: true,
      admin: { username: 'admin', firstname: 'Shop', lastname: 'Administrator', email: 'admin@www.example.es' },
      adminPasswordFile: join(s.dir, 'admin-password'),
      databaseWaitSeconds: 30,
      lockWaitSeconds: 60,
    }));
  }, 60000);

  afterAll(async () => {
    await db?.stop();
    s.cleanup();
  }, 30000);

  test('php -l accepts the rendered installer', () => {
    const r = run(['php8.2', '-l', script]);
    expect(r.output).toContain('No syntax errors detected');
  });

  test('given an empty database and three front-ends at once, then the setup scripts run once, with the base URLs and one admin', async () => {
    const results = await Promise.all([install(), install(), install()]);
    for (const r of results) expect(r).toEqual({ code: 0, output: expect.stringContaining('magento-install: ') });
    expect(results.filter((r) => r.output.includes('applying the setup scripts'))).toHaveLength(1);
    expect(results.filter((r) => r.output.includes('another front-end installed the schema'))).toHaveLength(2);
    expect(query('SELECT COUNT(*) FROM magento.hs_setup_runs')).toBe('1');
    expect(query("SELECT value FROM magento.core_config_data WHERE path = 'web/unsecure/base_url'")).toBe('https://www.example.es/');
    expect(query("SELECT value FROM magento.core_config_data WHERE path = 'web/secure/base_url'")).toBe('https://www.example.es/');
    expect(query("SELECT value FROM magento.core_config_data WHERE path = 'web/secure/use_in_frontend'")).toBe('1');
    expect(query('SELECT username, email, is_active FROM magento.admin_user')).toBe('admin\tadmin@www.example.es\t1');
    const hash = query('SELECT password FROM magento.admin_user');
    expect(run(['php8.2', '-r', `exit(password_verify('correct horse battery staple', '${hash}') ? 0 : 1);`]).ok).toBe(true);
    expect(query("SELECT COUNT(*) FROM magento.admin_role r JOIN magento.admin_role g ON r.parent_id = g.role_id WHERE r.role_type = 'U' AND g.role_name = 'Administrators'")).toBe('1');
    expect(query("SELECT value FROM magento.core_config_data WHERE path = 'hosting_stacks/install/code'")).toMatch(/^[0-9a-f]{64}$/);
  }, 90000);

  test('given the same code again, then nothing runs', async () => {
    const r = await install();
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/the schema of this code is installed/);
    expect(query('SELECT COUNT(*) FROM magento.hs_setup_runs')).toBe('1');
  });

  test('given new code (a module version) and a base URL of the shop\'s own, then the upgrade runs once and keeps the URL and the admin', async () => {
    const before = query("SELECT value FROM magento.core_config_data WHERE path = 'hosting_stacks/install/code'");
    query("UPDATE magento.core_config_data SET value = 'https://shop.example.es/' WHERE path = 'web/unsecure/base_url'");
    setVersion('1.6.0.11');
    const results = await Promise.all([install(), install()]);
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    expect(query('SELECT version FROM magento.hs_setup_runs ORDER BY id')).toBe('1.6.0.10\n1.6.0.11');
    expect(query("SELECT value FROM magento.core_config_data WHERE path = 'web/unsecure/base_url'")).toBe('https://shop.example.es/');
    expect(query('SELECT COUNT(*) FROM magento.admin_user')).toBe('1');
    expect(query("SELECT value FROM magento.core_config_data WHERE path = 'hosting_stacks/install/code'")).not.toBe(before);
  }, 90000);

  test('given no admin yet and a short password, then it fails saying so, and marks nothing installed', async () => {
    query('DELETE FROM magento.admin_user');
    query("DELETE FROM magento.core_config_data WHERE path = 'hosting_stacks/install/code'");
    s.write('admin-password', 'short\n');
    const r = await install();
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/admin-password must hold the admin password, 12 characters or more/);
    expect(query("SELECT COUNT(*) FROM magento.core_config_data WHERE path = 'hosting_stacks/install/code'")).toBe('0');
  });
});

