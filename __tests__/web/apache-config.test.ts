import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, request as httpRequest, Server } from 'node:http';
import { request as httpsRequest, RequestOptions as HttpsRequestOptions } from 'node:https';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApacheConfig, apacheMpmLimitsForRam, renderApacheConfig } from '../../lib/web/apache-config';
import { intermediateCipherString } from '../../lib/security/tls-policy';
import { checkApache, checkApacheWithTestCertificate, requireBinary, run, scratch } from '../support/daemons';

function model(overrides: Partial<ApacheConfig> = {}): ApacheConfig {
  return {
    serverName: 'web-1',
    listenAddress: '*',
    listenPort: 80,
    modulesDir: '/usr/lib/apache2/modules',
    runUser: 'www-data',
    runGroup: 'www-data',
    pidFile: '@SCRATCH@/apache2.pid',
    runtimeDir: '@SCRATCH@',
    logDir: '@SCRATCH@',
    mimeTypesFile: '/etc/mime.types',
    healthCheckPath: '/healthz',
    healthCheckFile: '@SCRATCH@/health/healthz',
    healthCheckDir: '@SCRATCH@/health',
    statusPath: '/server-status',
    timeoutSeconds: 60,
    keepAliveTimeoutSeconds: 5,
    mpm: apacheMpmLimitsForRam(2)!,
    balancer: {
      name: 'app',
      members: [
        { url: 'http://10.0.1.20:8080', route: 'm1' },
        { url: 'http://10.0.1.21:8080', route: 'm2' },
      ],
      retrySeconds: 10,
      connectTimeoutSeconds: 2,
      timeoutSeconds: 60,
      stickySessions: true,
      healthCheck: { path: '/healthz', intervalSeconds: 2, fails: 2, passes: 2 },
    },
    ...overrides,
  };
}

describe('apacheMpmLimitsForRam', () => {
  test('given 2 GB (case study 2 web server), then 750 workers in 30 children of 25 threads', () => {
    const limits = apacheMpmLimitsForRam(2)!;
    expect(limits).toMatchObject({ maxRequestWorkers: 750, serverLimit: 30, threadsPerChild: 25, threadLimit: 25 });
  });

  test('given 4 GB, then (4096 - 512) / 2 rounded down to a multiple of 25 = 1775 workers', () => {
    expect(apacheMpmLimitsForRam(4)!.maxRequestWorkers).toBe(1775);
    expect(apacheMpmLimitsForRam(4)!.serverLimit).toBe(71);
  });

  test('given an explicit worker count, then it is rounded up to whole children', () => {
    expect(apacheMpmLimitsForRam(2, 110)).toMatchObject({ maxRequestWorkers: 125, serverLimit: 5, startServers: 2 });
  });

  test('given RAM that does not hold one child, then undefined', () => {
    expect(apacheMpmLimitsForRam(0.5)).toBeUndefined();
  });
});

describe('renderApacheConfig', () => {
  test('when rendered, then one BalancerMember per member with its route, timeouts and health check', () => {
    const members = renderApacheConfig(model()).split('\n').filter((l) => l.trim().startsWith('BalancerMember'));
    expect(members).toEqual([
      expect.stringContaining('BalancerMember "http://10.0.1.20:8080" route=m1 retry=10 connectiontimeout=2 timeout=60 hcmethod=GET hcuri=/healthz'),
      expect.stringContaining('BalancerMember "http://10.0.1.21:8080" route=m2 retry=10'),
    ]);
    expect(members[0]).toContain('hcinterval=2 hcfails=2 hcpasses=2');
  });

  test('when rendered, then the health and status paths are excluded from the proxy before ProxyPass /', () => {
    const lines = renderApacheConfig(model()).split('\n');
    const at = (l: string) => lines.indexOf(l);
    expect(at('ProxyPass "/healthz" !')).toBeGreaterThan(-1);
    expect(at('ProxyPass "/server-status" !')).toBeGreaterThan(-1);
    expect(at('ProxyPass "/healthz" !')).toBeLessThan(at('ProxyPass "/" "balancer://app/"'));
    expect(at('ProxyPass "/server-status" !')).toBeLessThan(at('ProxyPass "/" "balancer://app/"'));
    expect(lines).toContain('Alias "/healthz" "@SCRATCH@/health/healthz"');
  });

  test('when rendered, then the MPM limits, Listen and the Debian module paths are written', () => {
    const text = renderApacheConfig(model());
    expect(text).toMatch(/^\s*MaxRequestWorkers 750$/m);
    expect(text).toMatch(/^\s*ServerLimit 30$/m);
    expect(text).toMatch(/^Listen \*:80$/m);
    expect(text).toContain('LoadModule mpm_event_module "/usr/lib/apache2/modules/mod_mpm_event.so"');
    expect(text).toContain('LoadModule proxy_balancer_module "/usr/lib/apache2/modules/mod_proxy_balancer.so"');
    expect(text).toMatch(/^ProxyPreserveHost On$/m);
    expect(text).toMatch(/<Location "\/server-status">\s+SetHandler server-status\s+Require local\s+<\/Location>/);
  });

  test('given sticky sessions off, then no ROUTEID cookie and no stickysession', () => {
    const text = renderApacheConfig(model({ balancer: { ...model().balancer, stickySessions: false } }));
    expect(text).not.toContain('ROUTEID');
    expect(text).toMatch(/^\s*ProxySet lbmethod=byrequests$/m);
  });

  test('when checked by apache2 -t, then the complete config is accepted', () => {
    const r = checkApache(renderApacheConfig(model()), { 'health/healthz': 'ok\n' });
    expect(r.output).toContain('Syntax OK');
    expect(r.ok).toBe(true);
  });

  test('given a module folder without the modules, then apache2 -t rejects the config', () => {
    const r = checkApache(renderApacheConfig(model({ modulesDir: '@SCRATCH@/no-modules' })), { 'health/healthz': 'ok\n' });
    expect(r.ok).toBe(false);
  });
});

/** A loopback HTTP backend that records what it received. */
interface Backend {
  readonly name: string;
  readonly server: Server;
  readonly port: number;
  readonly seen: IncomingHttpHeaders[];
}

function startBackend(name: string): Promise<Backend> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    if (req.url !== '/healthz') seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
    res.end(req.url === '/healthz' ? 'ok' : name);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ name, server, port: (server.address() as AddressInfo).port, seen })));
}

function freePort(): Promise<number> {
  const s = createServer();
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => {
    const port = (s.address() as AddressInfo).port;
    s.close(() => resolve(port));
  }));
}

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('Apache from the rendered config, on loopback', () => {
  test('given two backends, then it answers its own health path, balances with X-Forwarded-* headers, pins by cookie and survives a dead member', async () => {
    requireBinary('apache2');
    const [b1, b2] = [await startBackend('one'), await startBackend('two')];
    const port = await freePort();
    const s = scratch('apache-run');
    chmodSync(s.dir, 0o755); // the www-data children read the health file
    s.write('health/healthz', 'ok\n');
    const config = renderApacheConfig(model({
      listenAddress: '127.0.0.1',
      listenPort: port,
      balancer: {
        ...model().balancer,
        members: [{ url: `http://127.0.0.1:${b1.port}`, route: 'm1' }, { url: `http://127.0.0.1:${b2.port}`, route: 'm2' }],
        healthCheck: { path: '/healthz', intervalSeconds: 1, fails: 1, passes: 1 },
      },
    })).split('@SCRATCH@').join(s.dir);
    const file = s.write('apache2.conf', config);
    const apache = spawn('apache2', ['-D', 'FOREGROUND', '-f', file], { stdio: 'ignore' });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(`${base}/healthz`, 10000);

      // The health path is Apache's own file, never proxied.
      const health = await fetch(`${base}/healthz`);
      expect(await health.text()).toBe('ok\n');

      // Without a cookie, requests are spread over both members.
      const bodies: string[] = [];
      for (let i = 0; i < 6; i++) bodies.push(await (await fetch(`${base}/page`, { headers: { 'X-Forwarded-For': '198.51.100.9' } })).text());
      expect(new Set(bodies)).toEqual(new Set(['one', 'two']));
      const forwarded = [...b1.seen, ...b2.seen][0];
      expect(forwarded['x-forwarded-for']).toBe('198.51.100.9, 127.0.0.1');
      expect(forwarded['x-forwarded-proto']).toBe('http');
      expect(forwarded['host']).toBe(`127.0.0.1:${port}`);

      // The route cookie pins a client to one member.
      const first = await fetch(`${base}/cart`);
      const cookie = first.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^ROUTEID=\.m[12]; path=\/; HttpOnly$/);
      const pinned = await first.text();
      for (let i = 0; i < 4; i++) expect(await (await fetch(`${base}/cart`, { headers: { cookie: cookie.split(';')[0] } })).text()).toBe(pinned);

      // A dead member: every request still succeeds, served by the other one.
      await new Promise<void>((r) => b1.server.close(() => r()));
      b1.server.closeAllConnections();
      const after: number[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await fetch(`${base}/page`);
        after.push(r.status);
        expect(await r.text()).toBe('two');
      }
      expect(after.every((st) => st === 200)).toBe(true);

      const log = readFileSync(join(s.dir, 'access.log'), 'utf8');
      expect(log).toContain(`"GET /page HTTP/1.1" 200`);
    } finally {
      await stop(apache);
      b1.server.close();
      b2.server.close();
      b2.server.closeAllConnections();
      s.cleanup();
    }
  });
});

/** The TLS part of a model: Mozilla intermediate, files under the scratch folder. */
function tlsModel(port = 443) {
  return {
    port,
    certificateFile: '@SCRATCH@/tls/web.crt',
    certificateKeyFile: '@SCRATCH@/tls/web.key',
    protocol: '-all +TLSv1.2 +TLSv1.3',
    ciphers: intermediateCipherString(),
    hstsMaxAgeSeconds: 63072000,
    redirectStatus: 301,
    redirectPortSuffix: port === 443 ? '' : `:${port}`,
  };
}

/** GET over plain HTTP with a Host header of its own (fetch would send the URL's). */
function httpGetWithHost(port: number, path: string, host: string): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** GET over HTTPS without certificate verification (a throw-away certificate). */
function httpsGet(port: number, path: string, options: HttpsRequestOptions = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, rejectUnauthorized: false, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('renderApacheConfig with TLS', () => {
  test('given tls, when rendered, then mod_ssl serves the TLS port with Mozilla intermediate settings, HSTS, and HTTP only redirects', () => {
    // Given / When
    const text = renderApacheConfig(model({ tls: tlsModel() }));
    // Then
    expect(text).toMatch(/^Listen \*:443$/m);
    expect(text).toMatch(/^SSLProtocol -all \+TLSv1\.2 \+TLSv1\.3$/m);
    expect(text).toContain(`SSLCipherSuite ${intermediateCipherString()}`);
    expect(text).toMatch(/^SSLSessionTickets off$/m);
    expect(text).toContain('<VirtualHost *:443>\nSSLEngine on\nSSLCertificateFile "@SCRATCH@/tls/web.crt"\nSSLCertificateKeyFile "@SCRATCH@/tls/web.key"');
    expect(text).toContain('Header always set Strict-Transport-Security "max-age=63072000"');
    const http = text.slice(text.indexOf('<VirtualHost *:80>'), text.indexOf('</VirtualHost>'));
    expect(http).toContain('RewriteCond "%{REQUEST_URI}" "!=/healthz"');
    expect(http).toContain('RewriteRule "^" "https://%{SERVER_NAME}%{REQUEST_URI}" [R=301,L]');
    expect(http).not.toContain('ProxyPass');
    // the reverse proxy is inside the TLS virtual host
    const https = text.slice(text.indexOf('<VirtualHost *:443>'));
    expect(https).toContain('ProxyPass "/" "balancer://app/"');
  });

  test('given tls, when checked by apache2 -t with a test certificate, then it is accepted', () => {
    const r = checkApacheWithTestCertificate(renderApacheConfig(model({ tls: tlsModel() })));
    expect(r.output).toContain('Syntax OK');
    expect(r.ok).toBe(true);
  });

  test('given no tls, when rendered, then nothing of mod_ssl appears', () => {
    expect(renderApacheConfig(model())).not.toMatch(/ssl|SSL|VirtualHost|Rewrite/);
  });
});

describe('Apache with TLS from the rendered config, on loopback', () => {
  test('given a certificate, then HTTPS proxies with X-Forwarded-Proto https, HTTP redirects except the health path, and TLS 1.1 is refused', async () => {
    requireBinary('apache2');
    requireBinary('openssl');
    const backend = await startBackend('one');
    const [httpPort, tlsPort] = [await freePort(), await freePort()];
    const s = scratch('apache-tls-run');
    chmodSync(s.dir, 0o755);
    s.write('health/healthz', 'ok\n');
    const made = run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=www.example.com', '-keyout', join(s.dir, 'web.key'), '-out', join(s.dir, 'web.crt')]);
    expect(made.ok).toBe(true);
    const config = renderApacheConfig(model({
      listenAddress: '127.0.0.1',
      listenPort: httpPort,
      balancer: { ...model().balancer, members: [{ url: `http://127.0.0.1:${backend.port}`, route: 'm1' }], healthCheck: { path: '/healthz', intervalSeconds: 1, fails: 1, passes: 1 } },
      tls: { ...tlsModel(tlsPort), certificateFile: '@SCRATCH@/web.crt', certificateKeyFile: '@SCRATCH@/web.key' },
    })).split('@SCRATCH@').join(s.dir);
    const apache = spawn('apache2', ['-D', 'FOREGROUND', '-f', s.write('apache2.conf', config)], { stdio: 'ignore' });
    try {
      await waitFor(`http://127.0.0.1:${httpPort}/healthz`, 10000);
      // HTTP: the health path answers, everything else goes to HTTPS with its path and query
      expect(await (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).text()).toBe('ok\n');
      const redirect = await httpGetWithHost(httpPort, '/tyres/summer?size=205', 'www.example.com');
      expect(redirect.status).toBe(301);
      expect(redirect.location).toBe(`https://www.example.com:${tlsPort}/tyres/summer?size=205`);
      expect(backend.seen).toEqual([]);
      // HTTPS: proxied, the upstream learns the scheme whatever the client claimed, with HSTS
      const page = await httpsGet(tlsPort, '/tyres', { headers: { 'X-Forwarded-Proto': 'http' } });
      expect(page).toMatchObject({ status: 200, body: 'one' });
      expect(page.headers['strict-transport-security']).toBe('max-age=63072000');
      expect(backend.seen.map((h) => h['x-forwarded-proto'])).toEqual(['https']);
      // Mozilla intermediate: TLS 1.1 is refused
      await expect(httpsGet(tlsPort, '/tyres', { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow(/alert protocol version|unsupported protocol|wrong version/i);
    } finally {
      await stop(apache);
      backend.server.close();
      backend.server.closeAllConnections();
      s.cleanup();
    }
  });
});
