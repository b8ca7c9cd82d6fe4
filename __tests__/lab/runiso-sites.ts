/**
 * Runiso's points in the lab, once the stack has booted (case study 3):
 * - each site's entry (floating IP -> VIP: nginx cache, haproxy) serves a stand-in page (what the
 *   client's WAR would hold) that writes an order into Galera through the site's own node and
 *   reads it back; a cacheable page is answered from the ADC's cache the second time, a page asked
 *   with the cart cookie never is;
 * - with every server of one site cut off (a datacenter lost), the other sites' entries still
 *   serve, and write: their two database nodes keep the quorum;
 * - a database node cut off alone (a lone site) refuses writes and its health check says so, while
 *   the others accept them;
 * Every cut is plugged back at the end of its step: the lab's flow checks run after these.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Figure } from '../../lib/core/figures';
import type { LabBootedStack, LabCheck } from '../../lib/lab';
import { testFigures } from '../support/figures';

/** Where the stand-in pages go: the ROOT web application, which holds the DataSource. */
const WEBAPP = '/var/lib/tomcat10/webapps/ROOT';

/**
 * The stand-in order page: with `?order=<id>`, inserts the order (and the site's host name) through
 * `jdbc/app`; answers the app server, the database server it reached, the Galera cluster's size and
 * whether the order is there.
 */
export const STAND_IN_ORDER_JSP = `<%@ page contentType="text/plain; charset=UTF-8" session="false" trimDirectiveWhitespaces="true"
    import="javax.naming.InitialContext, javax.sql.DataSource, java.sql.Connection, java.sql.PreparedStatement, java.sql.ResultSet, java.sql.Statement" %><%
response.setHeader("Cache-Control", "no-store");
String order = request.getParameter("order");
String self = java.net.InetAddress.getLocalHost().getHostName();
DataSource ds = (DataSource) new InitialContext().lookup("java:comp/env/jdbc/app");
try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
  s.execute("CREATE TABLE IF NOT EXISTS orders (id VARCHAR(64) PRIMARY KEY, app VARCHAR(64) NOT NULL)");
  String db, size;
  try (ResultSet r = s.executeQuery("SELECT @@hostname, (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_CLUSTER_SIZE')")) { r.next(); db = r.getString(1); size = r.getString(2); }
  String stored = "none";
  if (order != null) {
    try (PreparedStatement p = c.prepareStatement("INSERT INTO orders (id, app) VALUES (?, ?)")) { p.setString(1, order); p.setString(2, self); p.executeUpdate(); }
    try (PreparedStatement p = c.prepareStatement("SELECT app FROM orders WHERE id = ?")) { p.setString(1, order); try (ResultSet r = p.executeQuery()) { if (r.next()) stored = r.getString(1); } }
  }
  out.print("runiso stand-in app=" + self + " db=" + db + " cluster=" + size + " order=" + stored + "\\n");
}
%>
`;

/** Milliseconds a stand-in page of the shop takes: a dynamic page, personalised, uncached. */
export const STAND_IN_PAGE_MS = 500;

/** The stand-in dynamic page (a catalogue page, or the cart under /cart/): holds a thread STAND_IN_PAGE_MS. */
export const STAND_IN_SLOW_JSP = `<%@ page contentType="text/plain; charset=UTF-8" session="false" trimDirectiveWhitespaces="true" %><%
response.setHeader("Cache-Control", "no-store");
Thread.sleep(${STAND_IN_PAGE_MS});
out.print("runiso stand-in page on " + java.net.InetAddress.getLocalHost().getHostName() + "\\n");
%>
`;

/** The mini-site's page on the static origins. */
export const STAND_IN_MINI_SITE_HTML = '<!doctype html><title>mini-site</title><p>runiso stand-in mini-site</p>\n';

/**
 * wrk: `browsing` asks catalogue pages nobody asked before (each a cache miss); `ordering` asks the
 * cart with the cart cookie. Counts the answers the mini-site gave (X-Load-Shedding) and the others.
 */
function wrkScript(cartCookie: string): string {
  return `
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  mode = args[1]
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  n, mini, pool, non2xx = 0, 0, 0, 0
end
function request()
  n = n + 1
  if mode == "ordering" then return wrk.format("GET", "/cart/view.jsp?n=" .. n, { ["Cookie"] = "${cartCookie}=lab" }) end
  return wrk.format("GET", "/catalog/page.jsp?n=" .. n .. "-" .. math.random(1, 1000000000))
end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  local shed = false
  for k, v in pairs(headers) do if string.lower(k) == "x-load-shedding" then shed = true end end
  if shed then mini = mini + 1 else pool = pool + 1 end
end
function done(summary, latency, requests)
  local m, p, e = 0, 0, 0
  for _, t in ipairs(threads) do m = m + t:get("mini"); p = p + t:get("pool"); e = e + t:get("non2xx") end
  io.write(string.format("RESULT requests=%d p50_us=%d mini=%d pool=%d non2xx=%d errors=%d\\n", summary.requests, latency:percentile(50), m, p, e,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`;
}

/** One wrk run from the internet: its RESULT fields. */
async function wrk(stack: LabBootedStack, script: string, url: string, mode: 'browsing' | 'ordering', connections: number, seconds: number): Promise<Record<string, number>> {
  // The browsing load runs at nice 19: real visitors' machines are not the lab's two CPUs.
  const argv = [...(mode === 'browsing' ? ['nice', '-n', '19'] : []), 'wrk', '-t', connections > 50 ? '2' : '1', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', script, url, '--', mode];
  const r = await stack.execFromInternet(argv, { timeoutMs: (seconds + 20) * 1000 });
  const line = /^RESULT (.*)$/m.exec(r.stdout);
  if (r.status !== 0 || !line) throw new Error(`wrk ${mode} failed (${r.status}): ${r.stdout} ${r.stderr}`);
  return Object.fromEntries(line[1].split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
}

/** A page the ADC may cache: static, the same for every visitor. */
export const STAND_IN_CATALOG_HTML = '<!doctype html><title>catalog</title><p>runiso stand-in catalog page</p>\n';

/** One site as the test knows it from the construct tree. */
export interface RunisoLabSite {
  /** Short name (`a`). */
  readonly name: string;
  /** The ADC pair's VIP (a planned address; the lab maps it to its floating IP). */
  readonly vip: string;
  /** Host names of every server of the site. */
  readonly servers: readonly string[];
  /** Host names of its application servers. */
  readonly appServers: readonly string[];
  /** Host names of its database nodes. */
  readonly databaseNodes: readonly string[];
  /** Host names of its static origins (the mini-site). */
  readonly miniSiteServers: readonly string[];
}

/** What the lab test gives. */
export interface RunisoLabOptions {
  readonly sites: readonly RunisoLabSite[];
  /** The health endpoint of the database nodes: port and path (on each node's own address). */
  readonly databaseHealth: { readonly port: number; readonly path: string };
  /** Each database node's address, by host name. */
  readonly databaseAddresses: Readonly<Record<string, string>>;
  /** The cookie that marks a cart (the cache never answers it). */
  readonly cartCookie: string;
  /** Where the mini-site page is, on the static origins' web root. */
  readonly miniSitePage: string;
  /** Concurrent requests one application server serves before the entry sheds (its Tomcat threads). */
  readonly perServerCapacity: number;
  /** A folder of the test's own (the load generator's script). */
  readonly workDir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function poll<T>(timeoutMs: number, everyMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > end) return v;
    await sleep(everyMs);
  }
}

/** The fields of a stand-in answer. */
function parse(body: string): { app: string; db: string; cluster: string; order: string } | undefined {
  const m = /^runiso stand-in app=(\S+) db=(\S+) cluster=(\S+) order=(\S+)$/m.exec(body);
  return m ? { app: m[1], db: m[2], cluster: m[3], order: m[4] } : undefined;
}

/** One GET from the internet with curl, headers kept: status, `X-Cache-Status` and the body. */
async function get(stack: LabBootedStack, url: string, cookie?: string): Promise<{ status: number; cache: string; body: string }> {
  const argv = ['curl', '-sk', '--max-time', '10', '-D', '-', ...(cookie ? ['-H', `Cookie: ${cookie}`] : []), url];
  const r = await stack.execFromInternet(argv, { timeoutMs: 15_000 });
  const [head, ...rest] = r.stdout.split(/\r?\n\r?\n/);
  const status = Number(/^HTTP\/\S+ (\d{3})/.exec(head ?? '')?.[1] ?? 0);
  const cache = /^x-cache-status:\s*(\S+)/im.exec(head ?? '')?.[1] ?? '-';
  return { status, cache, body: rest.join('\n\n') };
}

export async function runisoChecks(stack: LabBootedStack, options: RunisoLabOptions): Promise<LabCheck[]> {
  const checks: LabCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ kind: 'runiso', name, ok, detail });
  const entry = (site: RunisoLabSite) => stack.model.floatingIps.find((f) => f.fixedIp === site.vip)?.address;
  for (const site of options.sites) {
    if (!entry(site)) return [{ kind: 'runiso', name: 'floating IPs', ok: false, detail: `no floating IP on site ${site.name}'s VIP ${site.vip}` }];
  }
  // The client's deploy, stood in for: the pages on every application server, the mini-site on
  // every static origin.
  const put = async (name: string, path: string, content: string) => {
    const r = await stack.exec(name, ['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod 0644 "$1"', 'sh', path], { input: content });
    if (r.status !== 0) throw new Error(`could not write ${path} on ${name}: ${r.stderr}`);
  };
  for (const name of options.sites.flatMap((s) => s.appServers)) {
    await put(name, `${WEBAPP}/order.jsp`, STAND_IN_ORDER_JSP);
    await put(name, `${WEBAPP}/catalog.html`, STAND_IN_CATALOG_HTML);
    await put(name, `${WEBAPP}/catalog/page.jsp`, STAND_IN_SLOW_JSP);
    await put(name, `${WEBAPP}/cart/view.jsp`, STAND_IN_SLOW_JSP);
  }
  for (const name of options.sites.flatMap((s) => s.miniSiteServers)) await put(name, `/var/www/static${options.miniSitePage}`, STAND_IN_MINI_SITE_HTML);
  const orderUrl = (site: RunisoLabSite, order?: string) => `https://${entry(site)}/order.jsp${order ? `?order=${order}` : ''}`;
  /** Writes an order through `site`'s entry until one is stored with the cluster at `size` members. */
  const writeThrough = async (site: RunisoLabSite, size: number, timeoutMs: number) => {
    let last = '';
    const served = await poll(timeoutMs, 2000, async () => {
      const id = `lab-${site.name}-${Date.now()}`;
      const r = await get(stack, orderUrl(site, id));
      last = `HTTP ${r.status} ${r.body.trim().slice(0, 200)}`;
      const p = parse(r.body);
      return r.status === 200 && p && p.order === p.app && p.cluster === String(size) ? p : undefined;
    });
    return { served, last };
  };
  const whole = options.sites.length;

  // 1. Every site serves a write through its own entry, application server and database node.
  for (const site of options.sites) {
    const { served, last } = await writeThrough(site, whole, 180_000);
    const local = served !== undefined && site.appServers.includes(served.app) && site.databaseNodes.includes(served.db);
    check(`site ${site.name}: an order written through its entry is stored by its own app server and database node`, local,
      served ? `app=${served.app} db=${served.db} cluster=${served.cluster}` : last);
  }

  // 2. The ADC's cache: a catalog page is a HIT the second time; with the cart cookie, never.
  const site0 = options.sites[0];
  const catalog = `https://${entry(site0)}/catalog.html`;
  const first = await get(stack, catalog);
  const second = await get(stack, catalog);
  check(`site ${site0.name}: a catalog page is answered from the ADC's cache the second time`, first.status === 200 && second.status === 200 && second.cache === 'HIT',
    `first HTTP ${first.status} ${first.cache}, second HTTP ${second.status} ${second.cache}`);
  const carts = [await get(stack, catalog, `${options.cartCookie}=lab`), await get(stack, catalog, `${options.cartCookie}=lab`)];
  check(`site ${site0.name}: with the ${options.cartCookie} cookie the page never comes from the cache`, carts.every((c) => c.status === 200 && c.cache !== 'HIT'),
    carts.map((c) => `HTTP ${c.status} ${c.cache}`).join(', '));

  // 3. Shedding under overload (délestage): more browsing visitors than the site's servers serve;
  // the cart keeps its unloaded median within 1.25x, and the overflow gets the mini-site.
  const script = join(options.workDir, 'runiso-wrk.lua');
  writeFileSync(script, wrkScript(options.cartCookie));
  const base = `https://${entry(site0)}/`;
  const browsingConnections = site0.appServers.length * options.perServerCapacity + 100;
  // Both medians are measured with no other stack's server booting (the suite boots stacks side by side).
  const { unloaded, browsing, ordering } = await stack.quietly(async () => {
    await wrk(stack, script, base, 'ordering', 4, 3); // warm-up: Tomcat compiles the pages
    const quiet = await wrk(stack, script, base, 'ordering', 4, 5);
    const [loaded, cart] = await Promise.all([
      wrk(stack, script, base, 'browsing', browsingConnections, 15),
      (async () => { await sleep(4000); return wrk(stack, script, base, 'ordering', 4, 8); })(),
    ]);
    return { unloaded: quiet, browsing: loaded, ordering: cart };
  });
  const ratio = ordering.p50_us / unloaded.p50_us;
  const shedDetail = `cart median unloaded ${(unloaded.p50_us / 1000).toFixed(0)} ms, overloaded ${(ordering.p50_us / 1000).toFixed(0)} ms (${ratio.toFixed(2)}x); `
    + `cart answers ${ordering.requests} (mini-site ${ordering.mini}, non-2xx ${ordering.non2xx}, errors ${ordering.errors}); browsing ${browsing.requests} over ${browsingConnections} connections: pool ${browsing.pool}, mini-site ${browsing.mini}`;
  const shedding = (what: string, value: number, unit: string, detail?: string): Figure => ({ name: `lab runiso shedding ${what}`, value, unit, ...(detail === undefined ? {} : { detail }) });
  // wrk's RESULT fields are parsed from its output: one missing is NaN (a ratio to a median of 0 is
  // Infinity). Such a figure is printed as is but left out of the figures file, where FigureLog would
  // refuse it and fail the whole lab check instead of the shedding check below.
  testFigures().print(`FIGURE lab runiso shedding: ${shedDetail}`, [
    shedding('cart median unloaded', unloaded.p50_us / 1000, 'ms'),
    shedding('cart median overloaded', ordering.p50_us / 1000, 'ms'),
    shedding('cart median overloaded to unloaded', ratio, 'x', 'limit 1.25x'),
    shedding('cart answers', ordering.requests, 'requests'),
    shedding('cart mini-site', ordering.mini, 'requests'),
    shedding('cart non-2xx', ordering.non2xx, 'requests'),
    shedding('cart errors', ordering.errors, 'errors'),
    shedding('browsing requests', browsing.requests, 'requests', `over ${browsingConnections} connections`),
    shedding('browsing connections', browsingConnections, 'connections', `${site0.appServers.length} app servers x ${options.perServerCapacity} + 100`),
    shedding('browsing pool', browsing.pool, 'requests'),
    shedding('browsing mini-site', browsing.mini, 'requests'),
  ].filter((f) => Number.isFinite(f.value)));
  check(`site ${site0.name} overloaded: the cart keeps its median within 1.25x and the overflow gets the mini-site`,
    ratio <= 1.25 && ordering.mini === 0 && ordering.non2xx === 0 && ordering.errors === 0 && browsing.mini > 0, shedDetail);

  // 4. A datacenter lost: every server of the first site cut off; the other sites serve and write.
  const lost = options.sites[0];
  for (const name of lost.servers) await stack.setConnected(name, false);
  try {
    for (const site of options.sites.slice(1)) {
      const { served, last } = await writeThrough(site, whole - 1, 90_000);
      check(`site ${lost.name} lost: site ${site.name} still serves and writes (Galera keeps the quorum)`, served !== undefined,
        served ? `app=${served.app} db=${served.db} cluster=${served.cluster}` : last);
    }
  } finally {
    for (const name of lost.servers) await stack.setConnected(name, true);
  }
  const rejoined = await writeThrough(lost, whole, 180_000);
  check(`site ${lost.name} plugged back: it rejoins the cluster and serves again`, rejoined.served !== undefined,
    rejoined.served ? `app=${rejoined.served.app} db=${rejoined.served.db} cluster=${rejoined.served.cluster}` : rejoined.last);

  // 5. A lone site: one database node cut off from the others refuses writes; the others accept them.
  const alone = options.sites[options.sites.length - 1];
  const node = alone.databaseNodes[0];
  const others = options.sites.filter((s) => s !== alone);
  await stack.setConnected(node, false);
  try {
    const sql = (statement: string) => stack.exec(node, ['mariadb', '--connect-timeout=5', '-N', '-e', statement], { timeoutMs: 20_000 });
    const refused = await poll(60_000, 2000, async () => {
      const r = await sql("INSERT INTO runiso.orders (id, app) VALUES (CONCAT('lone-', UUID()), 'lab')");
      // mariadb frames the failed statement in dashes: the error is the last line.
      return r.status !== 0 ? r.stderr.trim().split('\n').filter((l) => l.trim() && !/^-+$/.test(l.trim())).pop() ?? `exit ${r.status}` : undefined;
    });
    const status = (await sql("SHOW STATUS WHERE Variable_name IN ('wsrep_cluster_status', 'wsrep_ready')")).stdout.trim().replace(/\s+/g, ' ');
    // The health check as a balancer asks it (bash's /dev/tcp: the node needs no HTTP client).
    const health = await stack.exec(node, ['bash', '-c', 'exec 3<>"/dev/tcp/$1/$2" && printf "GET %s HTTP/1.0\\r\\n\\r\\n" "$3" >&3 && timeout 5 head -n 1 <&3', 'bash',
      options.databaseAddresses[node], String(options.databaseHealth.port), options.databaseHealth.path], { timeoutMs: 15_000 });
    const healthStatus = /HTTP\/\S+ (\d{3})/.exec(health.stdout)?.[1] ?? `none (${health.stderr.trim()})`;
    check(`${node} alone: it refuses writes and its health check answers 503`, refused !== undefined && healthStatus === '503',
      `${refused ?? 'a write was accepted for 60 s'}; status: ${status}; health: HTTP ${healthStatus}`);
    const majority = await writeThrough(others[0], whole - 1, 60_000);
    check(`${node} alone: site ${others[0].name} still writes`, majority.served !== undefined,
      majority.served ? `app=${majority.served.app} db=${majority.served.db} cluster=${majority.served.cluster}` : majority.last);
  } finally {
    await stack.setConnected(node, true);
  }
  const back = await poll(180_000, 3000, async () => {
    const r = await stack.exec(node, ['mariadb', '-N', '-e', "SHOW STATUS LIKE 'wsrep_cluster_size'"]);
    return r.stdout.trim().endsWith(String(whole)) ? r.stdout.trim().replace(/\s+/g, ' ') : undefined;
  });
  check(`${node} plugged back: it rejoins`, back !== undefined, back ?? 'not back in the cluster within 180 s');
  return checks;
}
