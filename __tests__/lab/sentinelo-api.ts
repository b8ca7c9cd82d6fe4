/**
 * Sentinelo's points in the lab, once the stack has booted (case study 1):
 * - an API request from the internet crosses the balancer's VIP, an API server (Tomcat) and a
 *   database of each cluster, through the VIP's read ports: a stand-in API page (what the customer's
 *   WAR would hold) answers which database server each read went to;
 * - a retailer's CSV dropped over SFTP on an ingest server's floating IP is checked, staged and
 *   upserted into both clusters (through the VIP's write ports), and the API reads it back;
 * - a database server that dies leaves the reads going (the balancer sends them to the primary).
 * The dead server is started again at the end: the lab's flow checks run after these.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INGEST_SERVICE_UNIT } from '../../lib/ingest/ingest-config';
import type { LabBootedStack, LabCheck } from '../../lib/lab';

/** Where the stand-in API page goes: the ROOT web application, which holds the DataSources. */
const API_PAGE = '/var/lib/tomcat10/webapps/ROOT/offers.jsp';

/**
 * The stand-in API page: for each cluster (`jdbc/app-read`, `jdbc/partners-read`), the server the
 * read reached (`@@hostname`) and the stock of `?sku=` there.
 */
export const STAND_IN_API_JSP = `<%@ page contentType="text/plain; charset=UTF-8" session="false" trimDirectiveWhitespaces="true"
    import="javax.naming.InitialContext, javax.sql.DataSource, java.sql.Connection, java.sql.PreparedStatement, java.sql.ResultSet, java.sql.SQLException, java.sql.Statement" %><%
response.setHeader("Cache-Control", "no-store");
String sku = request.getParameter("sku");
StringBuilder body = new StringBuilder("sentinelo stand-in API on " + java.net.InetAddress.getLocalHost().getHostName() + "\\n");
for (String name : new String[] { "app-read", "partners-read" }) {
  DataSource ds = (DataSource) new InitialContext().lookup("java:comp/env/jdbc/" + name);
  try (Connection c = ds.getConnection()) {
    String host;
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT @@hostname")) { r.next(); host = r.getString(1); }
    String stock = "none";
    if (sku != null) {
      try (PreparedStatement p = c.prepareStatement("SELECT stock FROM offers WHERE sku = ?")) {
        p.setString(1, sku);
        try (ResultSet r = p.executeQuery()) { if (r.next()) stock = r.getString(1); }
      } catch (SQLException e) {
        stock = "no offers table";
      }
    }
    body.append(name).append(' ').append(host).append(" stock=").append(stock).append('\\n');
  }
}
out.print(body);
%>
`;

/** What the lab test gives: the stack's public addresses and the SFTP account it declared. */
export interface SentineloLabOptions {
  /** The balancer's VIP (a planned address). */
  readonly vip: string;
  /** The ingest server's planned address. */
  readonly ingestAddress: string;
  /** The ingest server's host name. */
  readonly ingestName: string;
  /** The drop account the lab declared, and its private key file. */
  readonly retailer: { readonly name: string; readonly privateKeyPath: string };
  /** A folder of the test's own for the upload's files. */
  readonly workDir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until it returns a value or `timeoutMs` passes. */
async function poll<T>(timeoutMs: number, everyMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > end) return v;
    await sleep(everyMs);
  }
}

/** The `<name> <host> stock=<n>` lines of a stand-in answer, by DataSource name. */
function readsOf(body: string): Map<string, { host: string; stock: string }> {
  const out = new Map<string, { host: string; stock: string }>();
  for (const m of body.matchAll(/^(app-read|partners-read) (\S+) stock=(.*)$/gm)) out.set(m[1], { host: m[2], stock: m[3] });
  return out;
}

export async function sentineloChecks(stack: LabBootedStack, options: SentineloLabOptions): Promise<LabCheck[]> {
  const checks: LabCheck[] = [];
  const publicAddress = (fixed: string) => stack.model.floatingIps.find((f) => f.fixedIp === fixed)?.address;
  const vipPublic = publicAddress(options.vip);
  const ingestPublic = publicAddress(options.ingestAddress);
  if (!vipPublic || !ingestPublic) return [{ kind: 'sentinelo', name: 'floating IPs', ok: false, detail: `no floating IP on the VIP ${options.vip} or the ingest server ${options.ingestAddress}` }];

  // The customer's deploy, stood in for: the page on every API server.
  const apiServers = stack.model.servers.filter((s) => /^api-\d+$/.test(s.name)).map((s) => s.name);
  for (const name of apiServers) {
    const r = await stack.exec(name, ['sh', '-c', 'cat > "$1" && chmod 0644 "$1"', 'sh', API_PAGE], { input: STAND_IN_API_JSP });
    if (r.status !== 0) throw new Error(`could not write ${API_PAGE} on ${name}: ${r.stderr}`);
  }

  // 1. An API request crosses the VIP, an API server and a replica of each cluster.
  const url = (sku?: string) => `https://${vipPublic}/offers.jsp${sku ? `?sku=${sku}` : ''}`;
  const first = await poll(120_000, 2000, async () => {
    const p = await stack.fromInternet(url());
    const reads = readsOf(p.body);
    return p.status === 200 && /^api-db-\d+$/.test(reads.get('app-read')?.host ?? '') && /^partner-db-\d+$/.test(reads.get('partners-read')?.host ?? '') ? p : undefined;
  });
  checks.push({ kind: 'sentinelo', name: `API request ${url()} crosses the VIP, an API server and a database of each cluster`, ok: first !== undefined,
    detail: first ? first.body.trim().replace(/\n/g, ' | ') : (await stack.fromInternet(url())).body.slice(0, 300) });
  if (!first) return checks;

  // 2. A retailer's CSV over SFTP reaches both clusters, and the API reads it.
  const sku = `LAB-${Date.now()}`;
  const csv = join(options.workDir, 'offers.csv');
  writeFileSync(csv, `sku;store;price;stock;picture_url\n${sku};paris-1;19.90;7;https://example.invalid/${sku}.jpg\n`);
  const batch = join(options.workDir, 'sftp-batch');
  writeFileSync(batch, `put ${csv} offers.csv\n`);
  const upload = await stack.execFromInternet(['sftp', '-i', options.retailer.privateKeyPath, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'ConnectTimeout=10', '-b', batch, `${options.retailer.name}@${ingestPublic}`], { timeoutMs: 60_000 });
  checks.push({ kind: 'sentinelo', name: `SFTP upload as ${options.retailer.name} to ${ingestPublic}`, ok: upload.status === 0, detail: `exit ${upload.status} ${upload.stderr.trim().split('\n').slice(-3).join(' | ')}` });
  if (upload.status !== 0) return checks;
  const loaded = await poll(180_000, 3000, async () => {
    const p = await stack.fromInternet(url(sku));
    const reads = readsOf(p.body);
    return reads.get('app-read')?.stock === '7' && reads.get('partners-read')?.stock === '7' ? p : undefined;
  });
  const ingestLog = loaded ? '' : (await stack.exec(options.ingestName, ['journalctl', '-u', INGEST_SERVICE_UNIT, '--no-pager', '-o', 'cat', '-n', '15'])).stdout;
  checks.push({ kind: 'sentinelo', name: `the upload's offer ${sku} is read back from both clusters through the API`, ok: loaded !== undefined,
    detail: loaded ? loaded.body.trim().replace(/\n/g, ' | ') : `not within 180 s; the ingest's journal: ${ingestLog.trim().split('\n').slice(-8).join(' | ')}` });

  // 3. The replica serving the public reads dies: the reads go on (from the primary).
  const victim = readsOf((loaded ?? first).body).get('app-read')!.host;
  const killed = await stack.exec(victim, ['sh', '-c', 'systemctl kill --signal=SIGKILL mariadb.service; systemctl stop mariadb.service; ! mariadb-admin ping >/dev/null 2>&1']);
  const after = await poll(60_000, 1000, async () => {
    const p = await stack.fromInternet(url(loaded ? sku : undefined));
    const host = readsOf(p.body).get('app-read')?.host;
    return p.status === 200 && host !== undefined && host !== victim ? p : undefined;
  });
  checks.push({ kind: 'sentinelo', name: `reads go on when ${victim} dies`, ok: killed.status === 0 && after !== undefined,
    detail: `${killed.status === 0 ? 'mariadb killed' : `could not kill mariadb: ${killed.stderr.trim()}`}; ${after ? after.body.trim().replace(/\n/g, ' | ') : 'no answer from another server within 60 s'}` });

  // Back as it was, for the flow checks that follow.
  await stack.exec(victim, ['systemctl', 'start', 'mariadb.service'], { timeoutMs: 120_000 });
  const back = await poll(60_000, 1000, async () => ((await stack.exec(victim, ['mariadb-admin', 'ping'])).status === 0 ? true : undefined));
  checks.push({ kind: 'sentinelo', name: `${victim} started again`, ok: back === true, detail: back ? 'mariadb-admin ping answers' : 'mariadb did not come back within 60 s' });
  return checks;
}
