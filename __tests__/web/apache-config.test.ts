import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApacheConfig, apacheMpmLimitsForRam, renderApacheConfig } from '../../lib/web/apache-config';
import { checkApache, requireBinary, scratch } from '../support/daemons';

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
