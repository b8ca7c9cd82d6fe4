import { ChildProcess, spawn } from 'node:child_process';
import { createServer, get, Server } from 'node:http';
import { AddressInfo, createConnection } from 'node:net';
import { HaproxyConfigModel, HaproxyLoadSheddingModel, HaproxyTlsModel, renderHaproxyConfig } from '../../lib/balancing/haproxy-config';
import { intermediateCiphersuiteString, intermediateCipherString, MOZILLA_INTERMEDIATE_CIPHERS, MOZILLA_INTERMEDIATE_CIPHERSUITES } from '../../lib/security/tls-policy';
import { haproxyStat } from '../support/lab';
import { checkHaproxy, checkHaproxyWithTestCertificate, requireBinary, run, scratch } from '../support/daemons';

function model(overrides: Partial<HaproxyConfigModel> = {}): HaproxyConfigModel {
  return {
    hostname: 'lb-1',
    globalMaxconn: 4600,
    statsSocket: '/run/haproxy/admin.sock',
    chroot: '/var/lib/haproxy',
    runAs: { user: 'haproxy', group: 'haproxy' },
    syslog: '/dev/log',
    timeouts: { connectMs: 5000, clientMs: 30000, serverMs: 60000, queueMs: 30000, httpRequestMs: 10000, httpKeepAliveMs: 5000 },
    retries: 3,
    frontend: { name: 'www', bindAddress: '10.0.1.4', bindPort: 80, maxconn: 4500 },
    backend: {
      name: 'frontends',
      healthCheck: { kind: 'http', path: '/healthz', expectedStatus: 200, intervalMs: 2000, timeoutMs: 1500, fall: 3, rise: 2 },
      servers: [
        { name: 'web-1', address: '10.0.2.2', port: 80, maxconn: 4500 },
        { name: 'web-2', address: '10.0.2.3', port: 8080, maxconn: 4500 },
      ],
    },
    ...overrides,
  };
}

/** The trimmed lines of the section that starts with `header` (up to the next unindented line). */
function section(config: string, header: string): string[] {
  const lines = config.split('\n');
  const start = lines.indexOf(header);
  if (start < 0) throw new Error(`no section '${header}'`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => l !== '' && !l.startsWith(' '));
  return rest.slice(0, end < 0 ? undefined : end).map((l) => l.trim()).filter((l) => l !== '');
}

describe('renderHaproxyConfig', () => {
  test('given the model, when rendered, then global holds maxconn, the stats socket, chroot, user and log', () => {
    const global = section(renderHaproxyConfig(model()), 'global');
    expect(global).toEqual([
      'log /dev/log local0', 'chroot /var/lib/haproxy', 'user haproxy', 'group haproxy', 'maxconn 4600',
      'stats socket /run/haproxy/admin.sock mode 660 level admin', 'stats timeout 30s',
    ]);
  });

  test('given the model, when rendered, then defaults are HTTP with forwardfor, redispatch, retries and every timeout', () => {
    const defaults = section(renderHaproxyConfig(model()), 'defaults');
    expect(defaults).toEqual(expect.arrayContaining([
      'mode http', 'option forwardfor', 'option redispatch', 'retries 3',
      'timeout connect 5000ms', 'timeout client 30000ms', 'timeout server 60000ms', 'timeout queue 30000ms',
      'timeout http-request 10000ms', 'timeout http-keep-alive 5000ms', 'timeout check 1500ms',
    ]));
  });

  test('given the model, when rendered, then the frontend binds the VIP with its maxconn', () => {
    expect(section(renderHaproxyConfig(model()), 'frontend www').filter((l) => !l.startsWith('#'))).toEqual([
      'bind 10.0.1.4:80', 'maxconn 4500', 'http-request set-header X-Forwarded-Proto http', 'default_backend frontends',
    ]);
  });

  test('given an HTTP check, when rendered, then the backend is round-robin, httpchk GET, check inter/fall/rise and per-server maxconn', () => {
    expect(section(renderHaproxyConfig(model()), 'backend frontends').filter((l) => !l.startsWith('#'))).toEqual([
      'balance roundrobin',
      'retry-on conn-failure empty-response response-timeout',
      'http-request disable-l7-retry unless METH_GET',
      'option httpchk GET /healthz',
      'http-check expect status 200',
      'default-server check inter 2000ms fall 3 rise 2',
      'server web-1 10.0.2.2:80 maxconn 4500',
      'server web-2 10.0.2.3:8080 maxconn 4500',
    ]);
  });

  test('given any model, when rendered, then nothing pins a client to a server (no cookie, stick, hash balance)', () => {
    const config = renderHaproxyConfig(model());
    expect(config).not.toMatch(/^\s*(cookie|stick|stick-table|appsession|hash-type|persist)\b/m);
    expect(config).not.toMatch(/balance (source|uri|hdr|url_param|rdp-cookie)/);
  });

  test('given a TCP check, when rendered, then no httpchk is emitted and servers are still checked', () => {
    const config = renderHaproxyConfig(model({ backend: { ...model().backend, healthCheck: { kind: 'tcp', intervalMs: 1000, timeoutMs: 500, fall: 2, rise: 2 } } }));
    expect(config).not.toMatch(/httpchk|http-check/);
    expect(section(config, 'backend frontends')).toContain('default-server check inter 1000ms fall 2 rise 2');
  });

  test('given no chroot, user or syslog, when rendered, then those lines are absent', () => {
    const config = renderHaproxyConfig(model({ chroot: undefined, runAs: undefined, syslog: undefined }));
    expect(config).not.toMatch(/chroot|user |group |log /);
  });

  test('given the rendered config, when checked by haproxy -c, then it passes', () => {
    const r = checkHaproxy(renderHaproxyConfig(model()));
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given the rendered config, when checked with warnings as errors (-dW), then it still passes', () => {
    requireBinary('haproxy');
    const s = scratch('haproxy-dw');
    try {
      const r = run(['haproxy', '-c', '-dW', '-f', s.write('haproxy.cfg', renderHaproxyConfig(model()))]);
      expect(r.output).toMatch(/Configuration file is valid/);
      expect(r.ok).toBe(true);
    } finally {
      s.cleanup();
    }
  });

  test('given a server whose address does not resolve, when checked by haproxy -c, then it fails (the check can fail)', () => {
    const bad = model({ backend: { ...model().backend, servers: [{ name: 'web-1', address: 'no-such-host.invalid', port: 80, maxconn: 10 }] } });
    expect(checkHaproxy(renderHaproxyConfig(bad)).ok).toBe(false);
  });
});

/** A tiny HTTP backend on 127.0.0.1 that answers with its name; `/healthz` answers `healthStatus()`. */
async function backend(name: string, healthStatus: () => number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(healthStatus(), { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'x-forwarded-for-seen': String(req.headers['x-forwarded-for'] ?? '') });
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** One GET on a new connection; resolves with the body and the response headers. */
function fetchOnce(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close', ...headers }, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/** Waits until haproxy's `show stat` gives each named server of `frontends` the status wanted. */
async function waitForStatus(socket: string, wanted: Record<string, string>, timeoutMs = 10000): Promise<void> {
  let seen: Record<string, string> = {};
  await waitFor(async () => {
    const rows = await haproxyStat(socket);
    seen = Object.fromEntries(rows.filter((r) => r.pxname === 'frontends' && r.svname in wanted).map((r) => [r.svname, r.status]));
    return Object.entries(wanted).every(([name, status]) => seen[name] === status);
  }, timeoutMs).catch(() => {
    throw new Error(`haproxy's servers did not reach ${JSON.stringify(wanted)} within ${timeoutMs} ms; last seen ${JSON.stringify(seen)}`);
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => {
      c.end();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}

describe('renderHaproxyConfig: the real haproxy on loopback', () => {
  test('given two backends, when haproxy runs the rendered config, then requests alternate, nothing persists, XFF is added and a failing /healthz takes a backend out', async () => {
    requireBinary('haproxy');
    let healthOfB = 200;
    const a = await backend('A', () => 200);
    const b = await backend('B', () => healthOfB);
    const port = await freePort();
    const s = scratch('haproxy-run');
    let proc: ChildProcess | undefined;
    try {
      const config = renderHaproxyConfig(model({
        statsSocket: `${s.dir}/admin.sock`,
        chroot: undefined,
        runAs: undefined,
        syslog: undefined,
        frontend: { name: 'www', bindAddress: '127.0.0.1', bindPort: port, maxconn: 100 },
        backend: {
          name: 'frontends',
          // A check answers in ~1 ms; 1 s of timeout keeps a busy runner from failing A's checks too.
          healthCheck: { kind: 'http', path: '/healthz', expectedStatus: 200, intervalMs: 100, timeoutMs: 1000, fall: 2, rise: 2 },
          servers: [
            { name: 'web-1', address: '127.0.0.1', port: a.port, maxconn: 10 },
            { name: 'web-2', address: '127.0.0.1', port: b.port, maxconn: 10 },
          ],
        },
      }));
      proc = spawn('haproxy', ['-db', '-f', s.write('haproxy.cfg', config)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      proc.stdout!.on('data', (d) => (output += String(d)));
      proc.stderr!.on('data', (d) => (output += String(d)));
      await waitFor(() => listening(port), 5000).catch((e) => {
        throw new Error(`${(e as Error).message}; haproxy said: ${output}`);
      });
      // Both servers must have passed `rise` checks before the round-robin order is stable.
      await waitForStatus(`${s.dir}/admin.sock`, { 'web-1': 'UP', 'web-2': 'UP' });

      const bodies: string[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await fetchOnce(port, '/catalog');
        expect(r.status).toBe(200);
        expect(r.headers['set-cookie']).toBeUndefined();
        expect(r.headers['x-forwarded-for-seen']).toBe('127.0.0.1');
        bodies.push(r.body);
      }
      expect(new Set(bodies)).toEqual(new Set(['A', 'B']));
      for (let i = 1; i < bodies.length; i++) expect(bodies[i]).not.toBe(bodies[i - 1]);

      // A client presenting what a sticky balancer would have set still alternates.
      const withCookie: string[] = [];
      for (let i = 0; i < 4; i++) withCookie.push((await fetchOnce(port, '/cart', { cookie: 'SERVERID=web-1; frontend=abc' })).body);
      expect(withCookie.filter((x) => x === 'A')).toHaveLength(2);
      expect(withCookie.filter((x) => x === 'B')).toHaveLength(2);

      healthOfB = 503;
      // fall 2 x inter 100 ms; haproxy's own view is waited for, not a guessed delay.
      await waitForStatus(`${s.dir}/admin.sock`, { 'web-1': 'UP', 'web-2': 'DOWN' });
      const afterFailure: string[] = [];
      for (let i = 0; i < 6; i++) afterFailure.push((await fetchOnce(port, '/catalog')).body);
      expect(afterFailure).toEqual(['A', 'A', 'A', 'A', 'A', 'A']);
    } finally {
      if (proc && proc.exitCode === null) {
        const exited = new Promise((resolve) => proc!.once('exit', resolve));
        proc.kill('SIGTERM');
        await exited;
      }
      await new Promise((r) => a.server.close(r));
      await new Promise((r) => b.server.close(r));
      s.cleanup();
    }
  }, 30000);
});

const TLS: HaproxyTlsModel = {
  bindPort: 443,
  certificatePath: '/etc/haproxy/certs/entry.pem',
  ciphers: intermediateCipherString(),
  ciphersuites: intermediateCiphersuiteString(),
  bindOptions: 'ssl-min-ver TLSv1.2 no-tls-tickets',
  alpn: 'h2,http/1.1',
  hstsMaxAgeSeconds: 63072000,
};

const SHEDDING: HaproxyLoadSheddingModel = {
  orderingPaths: ['/checkout', '/customer/account'],
  orderingCookie: 'frontend',
  perServerCapacity: 20,
  queueThreshold: 5,
  orderingPriorityClass: -1,
  miniSite: {
    kind: 'backend',
    name: 'mini_site',
    healthCheck: { kind: 'http', path: '/healthz', expectedStatus: 200, intervalMs: 2000, timeoutMs: 2000, fall: 2, rise: 2 },
    servers: [{ name: 'mini-site-1', address: '10.0.1.20', port: 80 }],
    hostHeader: 'static.example.com',
    pathPrefix: '/mini-site',
  },
};

describe('renderHaproxyConfig: TLS', () => {
  test('given TLS, when rendered, then global holds the Mozilla intermediate bind settings', () => {
    const global = section(renderHaproxyConfig(model({ tls: TLS })), 'global');
    expect(global).toEqual(expect.arrayContaining([
      `ssl-default-bind-ciphers ${MOZILLA_INTERMEDIATE_CIPHERS.join(':')}`,
      `ssl-default-bind-ciphersuites ${MOZILLA_INTERMEDIATE_CIPHERSUITES.join(':')}`,
      'ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets',
    ]));
  });

  test('given TLS, when rendered, then the frontend binds 443 with the bundle, redirects plain HTTP, sets HSTS and X-Forwarded-Proto', () => {
    expect(section(renderHaproxyConfig(model({ tls: TLS })), 'frontend www')).toEqual([
      'bind 10.0.1.4:80',
      'bind 10.0.1.4:443 ssl crt /etc/haproxy/certs/entry.pem alpn h2,http/1.1',
      'maxconn 4500',
      '# Plain HTTP only redirects; the members learn the request came over HTTPS (whatever a client sent is replaced).',
      'http-request redirect scheme https code 301 unless { ssl_fc }',
      'http-request set-header X-Forwarded-Proto https if { ssl_fc }',
      'http-response set-header Strict-Transport-Security "max-age=63072000" if { ssl_fc }',
      'default_backend frontends',
    ]);
  });

  test('given TLS with hstsMaxAgeSeconds 0, when rendered, then no HSTS header is set', () => {
    const config = renderHaproxyConfig(model({ tls: { ...TLS, hstsMaxAgeSeconds: 0 } }));
    expect(config).not.toMatch(/Strict-Transport-Security/);
    expect(config).toMatch(/redirect scheme https/);
  });

  test('given no TLS, when rendered, then nothing of TLS appears', () => {
    expect(renderHaproxyConfig(model())).not.toMatch(/ssl|crt|redirect|Strict-Transport|X-Forwarded-Proto https/);
  });

  test('given no TLS, when rendered, then the frontend replaces any client X-Forwarded-Proto with http', () => {
    // Given / When
    const frontend = section(renderHaproxyConfig(model()), 'frontend www');
    // Then: the members believe this header from the nodes, so a client's 'https' must never pass
    expect(frontend).toContain('http-request set-header X-Forwarded-Proto http');
    expect(frontend.filter((l) => /X-Forwarded-Proto/.test(l) && !l.startsWith('#'))).toEqual(['http-request set-header X-Forwarded-Proto http']);
  });

  test('given TLS and a test certificate, when checked by haproxy -c -dW, then it passes', () => {
    const r = checkHaproxyWithTestCertificate(renderHaproxyConfig(model({ tls: TLS })), { warningsFail: true });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given TLS with a cipher OpenSSL does not know, when checked, then haproxy -c fails (the check can fail)', () => {
    const r = checkHaproxyWithTestCertificate(renderHaproxyConfig(model({ tls: { ...TLS, ciphers: 'NO-SUCH-CIPHER' } })));
    expect(r.ok).toBe(false);
  });

  test('given TLS whose certificate file does not exist, when checked by plain haproxy -c, then it fails', () => {
    expect(checkHaproxy(renderHaproxyConfig(model({ tls: TLS }))).ok).toBe(false);
  });
});

describe('renderHaproxyConfig: load shedding', () => {
  test('given shedding, when rendered, then the frontend marks ordering requests, derives saturation from nbsrv x capacity and queue, prioritises ordering and sheds the rest', () => {
    const frontend = section(renderHaproxyConfig(model({ loadShedding: SHEDDING })), 'frontend www').filter((l) => !l.startsWith('#'));
    expect(frontend).toEqual([
      'bind 10.0.1.4:80',
      'maxconn 4500',
      'http-request set-header X-Forwarded-Proto http',
      'acl ordering path -m beg /checkout /customer/account',
      'acl ordering req.cook(frontend) -m found',
      'acl pool_down nbsrv(frontends) eq 0',
      'acl pool_saturated be_conn(frontends),sub(txn.pool_shed_at) ge 0',
      'acl pool_saturated queue(frontends) gt 5',
      'http-request set-var(txn.pool_shed_at) nbsrv(frontends),mul(20),add(5)',
      'http-request set-priority-class int(-1) if ordering',
      'use_backend mini_site if pool_down',
      'use_backend mini_site if pool_saturated !ordering',
      'default_backend frontends',
    ]);
  });

  test('given shedding without a cookie, when rendered, then ordering is by path only', () => {
    const config = renderHaproxyConfig(model({ loadShedding: { ...SHEDDING, orderingCookie: undefined } }));
    expect(config).not.toMatch(/req\.cook/);
    expect(config).toMatch(/^ {4}acl ordering path -m beg \/checkout \/customer\/account$/m);
  });

  test('given a mini-site backend with Host and path prefix, when rendered, then it is checked, rewritten and its answers are never cached', () => {
    expect(section(renderHaproxyConfig(model({ loadShedding: SHEDDING })), 'backend mini_site')).toEqual([
      'balance roundrobin',
      'option httpchk GET /healthz',
      'http-check expect status 200',
      'http-request set-header Host static.example.com',
      'http-request set-path /mini-site%[path]',
      'http-response set-header Cache-Control no-store',
      'http-response set-header X-Load-Shedding mini-site',
      'default-server check inter 2000ms fall 2 rise 2',
      'server mini-site-1 10.0.1.20:80',
    ]);
  });

  test('given a mini-site page instead of a prefix and no Host, when rendered, then every shed request gets that path and keeps its Host', () => {
    const site = { ...SHEDDING.miniSite, hostHeader: undefined, pathPrefix: undefined, page: '/media/mini-site/index.html' } as HaproxyLoadSheddingModel['miniSite'];
    const lines = section(renderHaproxyConfig(model({ loadShedding: { ...SHEDDING, miniSite: site } })), 'backend mini_site');
    expect(lines).toContain('http-request set-path /media/mini-site/index.html');
    expect(lines.join('\n')).not.toMatch(/set-header Host/);
  });

  test('given a built-in page, when rendered, then haproxy answers it itself with 503, Retry-After and no-store', () => {
    const site: HaproxyLoadSheddingModel['miniSite'] = { kind: 'page', name: 'mini_site', html: '<html><p>Busy &#233;</p></html>', status: 503, retryAfterSeconds: 30 };
    expect(section(renderHaproxyConfig(model({ loadShedding: { ...SHEDDING, miniSite: site } })), 'backend mini_site')).toEqual([
      'http-request return status 503 content-type "text/html; charset=utf-8" hdr Retry-After 30 hdr Cache-Control no-store hdr X-Load-Shedding mini-site string "<html><p>Busy &#233;</p></html>"',
    ]);
  });

  test('given servers without maxconn, when rendered, then their lines carry none', () => {
    const config = renderHaproxyConfig(model({ backend: { ...model().backend, servers: [{ name: 'web-1', address: '10.0.2.2', port: 80 }] } }));
    expect(config).toMatch(/^ {4}server web-1 10\.0\.2\.2:80$/m);
  });

  test.each([
    ['a mini-site backend', SHEDDING],
    ['a built-in page', { ...SHEDDING, miniSite: { kind: 'page', name: 'mini_site', html: '<p>Busy</p>', status: 503, retryAfterSeconds: 30 } }],
  ] as [string, HaproxyLoadSheddingModel][])('given shedding to %s and TLS, when checked by haproxy -c -dW, then it passes', (_, shedding) => {
    const r = checkHaproxyWithTestCertificate(renderHaproxyConfig(model({ loadShedding: shedding, tls: TLS })), { warningsFail: true });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given shedding to a backend name that is not defined, when checked, then haproxy -c fails (the check can fail)', () => {
    const config = renderHaproxyConfig(model({ loadShedding: SHEDDING })).replace('backend mini_site', 'backend elsewhere');
    expect(checkHaproxy(config).ok).toBe(false);
  });
});
