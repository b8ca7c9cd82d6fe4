/**
 * Load shedding proven with the real haproxy and wrk, on loopback (issue 5).
 *
 * The haproxy model comes from a HaproxyBalancer with LoadShedding in front of a two-server tier,
 * with a StaticContentServer as the mini-site; only its addresses are moved to 127.0.0.1 ports.
 * Behind it: two pool servers (node, 50 ms per page, at most PER_SERVER_CAPACITY pages at once,
 * more wait in their own FIFO as PHP-FPM's backlog would) and a fast mini-site server. wrk drives
 * browsing visitors (many connections) and ordering visitors (a few), for a bounded time.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { AddressInfo, createConnection } from 'node:net';
import { ExternalNetwork, Flavor, HealthCheck, PrivateVSwitch, ServerCluster } from '../../lib';
import { HaproxyBalancer } from '../../lib/balancing/haproxy-balancer';
import { HaproxyConfigModel, renderHaproxyConfig } from '../../lib/balancing/haproxy-config';
import { LoadShedding, MAGENTO1_SESSION_COOKIE, MINI_SITE_BACKEND, MiniSite } from '../../lib/balancing/load-shedding';
import { Figure } from '../../lib/core/figures';
import { StaticContentServer } from '../../lib/web/static-content-server';
import { requireBinary, scratch } from '../support/daemons';
import { printTestFigure, printWrkRunFigure } from '../support/figures';
import { testStack, tierOf } from '../support/synth';

/** Concurrent pages one front-end serves well in this model: 2 servers x 10 = the 20 pool slots of the measured design (notes/daemons-here.md). */
const PER_SERVER_CAPACITY = 10;
const POOL_SERVERS = 2;
/** A page of the shop takes 50 ms to render (notes/daemons-here.md). */
const PAGE_MS = 50;
/** Browsing and ordering connections under overload (notes/daemons-here.md: 200 + 10). */
const BROWSING_CONNECTIONS = 200;
const ORDERING_CONNECTIONS = 10;
const BASELINE_SECONDS = 3;
const OVERLOAD_SECONDS = 8;
const MINI_SITE_PAGE = '/media/mini-site/index.html';
const MINI_SITE_HOST = 'static.example.com';

/** Two servers per process: each renders a page in `delay` ms, `limit` at a time; `/_stats` tells the most requests it held at once. */
const POOL_SERVER_SCRIPT = `
const http = require('http');
const [count, limit, delay] = process.argv.slice(1).map(Number);
const listening = [];
for (let i = 0; i < count; i++) {
  let running = 0, held = 0, maxHeld = 0, served = 0;
  const waiting = [];
  const start = (res) => {
    running++;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/html', 'x-served-by': 'pool-' + (i + 1) });
      res.end('<p>a page of the shop</p>');
      served++; running--; held--;
      const next = waiting.shift();
      if (next) start(next);
    }, delay);
  };
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') { res.writeHead(200); res.end('ok'); return; }
    if (req.url === '/_stats') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ maxHeld, served })); return; }
    req.resume();
    held++; maxHeld = Math.max(maxHeld, held);
    if (running < limit) start(res); else waiting.push(res);
  });
  server.keepAliveTimeout = 60000;
  listening.push(new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port))));
}
Promise.all(listening).then((ports) => console.log(JSON.stringify(ports)));
process.on('SIGTERM', () => process.exit(0));
`;

/** The mini-site: answers its one page at once, and 404 to any other path or Host (so a wrong rewrite shows as errors). */
const MINI_SITE_SCRIPT = `
const http = require('http');
const [page, host] = process.argv.slice(1);
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') { res.writeHead(200); res.end('ok'); return; }
  const ok = req.url.split('?')[0] === page && req.headers.host === host;
  res.writeHead(ok ? 200 : 404, { 'content-type': 'text/html', 'x-mini-site': ok ? 'page' : 'wrong-request' });
  res.end(ok ? '<h1>Very busy: our mini-site</h1>' : 'wrong ' + req.headers.host + ' ' + req.url);
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify([server.address().port])));
process.on('SIGTERM', () => process.exit(0));
`;

/**
 * wrk script: `browsing` asks catalogue pages; `ordering` alternates a checkout path and a catalogue
 * page carrying the session cookie. Counts answers by who served them and prints one RESULT line.
 */
const WRK_SCRIPT = `
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  mode = args[1]
  n, mini, pool, other, non2xx = 0, 0, 0, 0, 0
end
function request()
  n = n + 1
  if mode == "ordering" then
    if n % 2 == 0 then return wrk.format("GET", "/checkout/onepage/") end
    return wrk.format("GET", "/costumes/pirate.html", { ["Cookie"] = "${MAGENTO1_SESSION_COOKIE}=0123456789abcdef" })
  end
  return wrk.format("GET", "/costumes/carnival.html?p=" .. (n % 7))
end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  local seen = {}
  for k, v in pairs(headers) do seen[string.lower(k)] = v end
  if seen["x-mini-site"] then mini = mini + 1 elseif seen["x-served-by"] then pool = pool + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local m, p, o, e = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    m = m + t:get("mini"); p = p + t:get("pool"); o = o + t:get("other"); e = e + t:get("non2xx")
  end
  local errs = summary.errors
  io.write(string.format("RESULT requests=%d mini=%d pool=%d other=%d non2xx=%d p50_us=%d p99_us=%d connect=%d read=%d write=%d status=%d timeout=%d duration_us=%d\\n",
    summary.requests, m, p, o, e, latency:percentile(50), latency:percentile(99),
    errs.connect, errs.read, errs.write, errs.status, errs.timeout, summary.duration))
end
`;

/** One wrk run's figures. */
interface WrkResult {
  readonly requests: number;
  readonly mini: number;
  readonly pool: number;
  readonly other: number;
  readonly non2xx: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Socket errors: connect, read, write, timeout. */
  readonly socketErrors: number;
  readonly requestsPerSecond: number;
}

const children: ChildProcess[] = [];

/** Starts a child and keeps it for the cleanup; resolves with the JSON its first stdout line holds. */
function startChild(argv: string[], firstLineJson: boolean): Promise<{ proc: ChildProcess; data: number[] }> {
  const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  if (!firstLineJson) return Promise.resolve({ proc, data: [] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${argv[0]} did not start within 5 s: ${err}`)), 5000);
    proc.stderr!.on('data', (d) => (err += String(d)));
    proc.stdout!.on('data', (d) => {
      out += String(d);
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({ proc, data: JSON.parse(out.slice(0, nl)) as number[] });
      }
    });
    proc.once('exit', (code) => reject(new Error(`${argv[0]} exited (${code}): ${err}`)));
  });
}

async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  const forced = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(forced);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
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

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not within ${timeoutMs} ms`);
}

/** `wrk` for `seconds` (bounded: -d, and killed 10 s after it should have ended). */
async function wrk(script: string, port: number, mode: 'browsing' | 'ordering', connections: number, seconds: number): Promise<WrkResult> {
  const { proc } = await startChild(['wrk', '-t', connections > 50 ? '2' : '1', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '5s', '-s', script, `http://127.0.0.1:${port}/`, '--', mode], false);
  let out = '';
  proc.stdout!.on('data', (d) => (out += String(d)));
  proc.stderr!.on('data', (d) => (out += String(d)));
  const guard = setTimeout(() => proc.kill('SIGKILL'), (seconds + 10) * 1000);
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  clearTimeout(guard);
  const line = /^RESULT (.*)$/m.exec(out);
  if (code !== 0 || !line) throw new Error(`wrk ${mode} failed (${code}): ${out}`);
  const f = Object.fromEntries(line[1].split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
  return {
    requests: f.requests,
    mini: f.mini,
    pool: f.pool,
    other: f.other,
    non2xx: f.non2xx,
    p50Ms: f.p50_us / 1000,
    p99Ms: f.p99_us / 1000,
    socketErrors: f.connect + f.read + f.write + f.timeout,
    requestsPerSecond: f.requests / (f.duration_us / 1e6),
  };
}

/** `show stat` on the admin socket: total sessions per backend. */
function backendTotals(socket: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socket, () => c.write('show stat\n'));
    let csv = '';
    c.on('data', (d) => (csv += String(d)));
    c.on('error', reject);
    c.on('end', () => {
      const [header, ...rows] = csv.split('\n').filter((l) => l.trim() !== '');
      const cols = header.replace(/^# /, '').split(',');
      const totals: Record<string, number> = {};
      for (const row of rows) {
        const v = row.split(',');
        if (v[cols.indexOf('svname')] === 'BACKEND') totals[v[cols.indexOf('pxname')]] = Number(v[cols.indexOf('stot')]);
      }
      resolve(totals);
    });
  });
}

/** The balancer's generated model: LoadShedding to a StaticContentServer page, in front of a two-server tier. */
function generatedModel(): HaproxyConfigModel {
  const stack = testStack();
  const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  const access = new PrivateVSwitch(stack, 'Access', { cidr: '10.0.2.0/24', router: dmz.router });
  const web = new ServerCluster(stack, 'Web', { vswitch: access, count: POOL_SERVERS, flavor: Flavor.named('b3-8') });
  const staticContent = new StaticContentServer(stack, 'StaticContent', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: [MINI_SITE_HOST], cdnCidrs: ['198.51.100.0/24'] });
  const lb = new HaproxyBalancer(stack, 'Lb', {
    vswitch: dmz,
    adminCidr: '203.0.113.0/24',
    loadShedding: LoadShedding.toMiniSite({
      miniSite: MiniSite.fromBackend(staticContent, { hostHeader: MINI_SITE_HOST, page: MINI_SITE_PAGE }),
      perServerCapacity: PER_SERVER_CAPACITY,
      orderingCookie: MAGENTO1_SESSION_COOKIE,
    }),
  });
  lb.addTarget(tierOf(web), { port: 80, healthCheck: HealthCheck.http({ path: '/healthz', intervalSeconds: 1 }) });
  return lb.haproxyModel(0);
}

/** The same model on loopback: the VIP, the members and the mini-site moved to 127.0.0.1 ports; no chroot, user or syslog. */
function onLoopback(model: HaproxyConfigModel, ports: { entry: number; pool: number[]; miniSite: number }, socket: string, shedding: boolean): HaproxyConfigModel {
  const site = model.loadShedding!.miniSite;
  if (site.kind !== 'backend') throw new Error('expected a mini-site backend');
  return {
    ...model,
    chroot: undefined,
    runAs: undefined,
    syslog: undefined,
    statsSocket: socket,
    frontend: { ...model.frontend, bindAddress: '127.0.0.1', bindPort: ports.entry },
    backend: { ...model.backend, servers: model.backend.servers.map((s, i) => ({ ...s, address: '127.0.0.1', port: ports.pool[i] })) },
    loadShedding: shedding ? { ...model.loadShedding!, miniSite: { ...site, servers: site.servers.map((s) => ({ ...s, address: '127.0.0.1', port: ports.miniSite })) } } : undefined,
  };
}

/** Prints a `FIGURE load-shedding` line (see printTestFigure). */
function printFigure(line: string, figures: readonly Figure[]): void {
  printTestFigure('load-shedding', line, figures);
}

/** A wrk run's line, its figures named `load-shedding <name> <what>`. */
function printWrkFigure(name: string, r: WrkResult): void {
  printWrkRunFigure('load-shedding', name, r);
}

afterAll(async () => {
  await Promise.all(children.map(stopChild));
});

describe('LoadShedding: the real haproxy under overload (loopback, wrk)', () => {
  test('given 200 browsing + 10 ordering connections on a 20-slot pool, when shedding is on, then ordering keeps its unloaded median within 2x with no error and the overflow is served by the mini-site; without it ordering waits', async () => {
    requireBinary('haproxy');
    requireBinary('wrk');
    const s = scratch('load-shedding');
    const haproxies: ChildProcess[] = [];
    try {
      const script = s.write('count.lua', WRK_SCRIPT);
      const pool = await startChild([process.execPath, '-e', POOL_SERVER_SCRIPT, String(POOL_SERVERS), String(PER_SERVER_CAPACITY), String(PAGE_MS)], true);
      const mini = await startChild([process.execPath, '-e', MINI_SITE_SCRIPT, MINI_SITE_PAGE, MINI_SITE_HOST], true);
      const model = generatedModel();

      const startHaproxy = async (shedding: boolean) => {
        const ports = { entry: await freePort(), pool: pool.data, miniSite: mini.data[0] };
        const socket = `${s.dir}/admin-${shedding ? 'shed' : 'plain'}.sock`;
        const config = renderHaproxyConfig(onLoopback(model, ports, socket, shedding));
        const { proc } = await startChild(['haproxy', '-db', '-f', s.write(`haproxy-${shedding ? 'shed' : 'plain'}.cfg`, config)], false);
        haproxies.push(proc);
        let said = '';
        proc.stderr!.on('data', (d) => (said += String(d)));
        await waitFor(() => listening(ports.entry), 5000, `haproxy listening (${said})`);
        // The first health checks (inter 1 s) confirm the servers before the load starts.
        await new Promise((r) => setTimeout(r, 1500));
        return { port: ports.entry, socket, config };
      };

      // With shedding: the unloaded baseline, then the overload.
      const shed = await startHaproxy(true);
      expect(shed.config).toMatch(/use_backend mini_site if pool_saturated !ordering/);
      const baseline = await wrk(script, shed.port, 'ordering', ORDERING_CONNECTIONS, BASELINE_SECONDS);
      const [browsing, ordering] = await Promise.all([
        wrk(script, shed.port, 'browsing', BROWSING_CONNECTIONS, OVERLOAD_SECONDS),
        wrk(script, shed.port, 'ordering', ORDERING_CONNECTIONS, OVERLOAD_SECONDS),
      ]);
      const totals = await backendTotals(shed.socket);
      const poolStats = await Promise.all(pool.data.map(async (port) => {
        const r = await fetch(`http://127.0.0.1:${port}/_stats`);
        return (await r.json()) as { maxHeld: number; served: number };
      }));
      await stopChild(haproxies.pop()!);

      // Without shedding: the same pool, the same overload.
      const plain = await startHaproxy(false);
      const [plainBrowsing, plainOrdering] = await Promise.all([
        wrk(script, plain.port, 'browsing', BROWSING_CONNECTIONS, OVERLOAD_SECONDS),
        wrk(script, plain.port, 'ordering', ORDERING_CONNECTIONS, OVERLOAD_SECONDS),
      ]);
      await stopChild(haproxies.pop()!);

      printWrkFigure('unloaded ordering (10 connections)', baseline);
      printWrkFigure('with shedding, ordering (10 connections)', ordering);
      printWrkFigure('with shedding, browsing (200 connections)', browsing);
      const sessions = 'with shedding, haproxy backend sessions';
      printFigure(`${sessions}: members ${totals.members}, ${MINI_SITE_BACKEND} ${totals[MINI_SITE_BACKEND]}; most requests held by a pool server at once: ${poolStats.map((p) => p.maxHeld).join(', ')} (maxconn ${PER_SERVER_CAPACITY})`, [
        { name: `load-shedding ${sessions} members`, value: totals.members, unit: 'sessions', detail: 'stot of the backend' },
        { name: `load-shedding ${sessions} ${MINI_SITE_BACKEND}`, value: totals[MINI_SITE_BACKEND], unit: 'sessions', detail: 'stot of the backend' },
        ...poolStats.map((p, i): Figure => ({ name: `load-shedding with shedding, pool server ${i + 1} most requests held at once`, value: p.maxHeld, unit: 'requests', detail: `maxconn ${PER_SERVER_CAPACITY}` })),
      ]);
      printWrkFigure('without shedding, ordering (10 connections)', plainOrdering);
      printWrkFigure('without shedding, browsing (200 connections)', plainBrowsing);
      const withShedding = ordering.p50Ms / baseline.p50Ms;
      const withoutShedding = plainOrdering.p50Ms / baseline.p50Ms;
      printFigure(`ordering median: unloaded ${baseline.p50Ms.toFixed(1)} ms, overloaded with shedding ${ordering.p50Ms.toFixed(1)} ms (${withShedding.toFixed(2)}x), without ${plainOrdering.p50Ms.toFixed(1)} ms (${withoutShedding.toFixed(2)}x)`, [
        { name: 'load-shedding ordering median unloaded', value: baseline.p50Ms, unit: 'ms' },
        { name: 'load-shedding ordering median overloaded with shedding', value: ordering.p50Ms, unit: 'ms' },
        { name: 'load-shedding ordering median overloaded with shedding to unloaded', value: withShedding, unit: 'x', detail: 'limit 2x' },
        { name: 'load-shedding ordering median overloaded without shedding', value: plainOrdering.p50Ms, unit: 'ms' },
        { name: 'load-shedding ordering median overloaded without shedding to unloaded', value: withoutShedding, unit: 'x', detail: 'more than 2x expected: ordering waits behind browsing' },
      ]);

      // Unloaded: every ordering request served by the pool in about one page time.
      expect(baseline.non2xx + baseline.socketErrors).toBe(0);
      expect(baseline.pool).toBe(baseline.requests);
      expect(baseline.p50Ms).toBeGreaterThanOrEqual(PAGE_MS);
      // Overloaded with shedding: ordering stays on the pool, at most twice its unloaded median, without an error.
      expect(ordering.requests).toBeGreaterThan(0);
      expect(ordering.non2xx + ordering.socketErrors).toBe(0);
      expect(ordering.mini).toBe(0);
      expect(ordering.p50Ms).toBeLessThanOrEqual(2 * baseline.p50Ms);
      // The overflow of browsing went to the mini-site, rewritten to its page and Host (else it answers 404).
      expect(browsing.non2xx + browsing.socketErrors).toBe(0);
      expect(browsing.mini).toBeGreaterThan(browsing.pool);
      // haproxy's own count agrees, give or take the requests still in flight when wrk stopped (one per connection).
      expect(totals[MINI_SITE_BACKEND]).toBeGreaterThanOrEqual(browsing.mini);
      expect(totals[MINI_SITE_BACKEND]).toBeLessThanOrEqual(browsing.mini + BROWSING_CONNECTIONS);
      const servedByPool = baseline.pool + ordering.pool + browsing.pool;
      expect(totals.members).toBeGreaterThanOrEqual(servedByPool);
      expect(totals.members).toBeLessThanOrEqual(servedByPool + BROWSING_CONNECTIONS + 2 * ORDERING_CONNECTIONS);
      // No pool server ever held more than its capacity: the excess waited in haproxy's queue.
      for (const p of poolStats) expect(p.maxHeld).toBeLessThanOrEqual(PER_SERVER_CAPACITY);
      // Without shedding the same overload is real: ordering waits behind browsing in the FIFO queue.
      expect(plainOrdering.mini + plainBrowsing.mini).toBe(0);
      expect(plainOrdering.p50Ms).toBeGreaterThan(2 * baseline.p50Ms);
    } finally {
      await Promise.all(haproxies.map(stopChild));
      s.cleanup();
    }
  }, 60000);
});
