/**
 * Proves the quorum of a rendered GaleraCluster with the real daemons: three members, each in a
 * network namespace of this test (three sites on one bridge, in a fourth namespace of its own, so no
 * traffic leaves the test's namespaces), each running mariadbd with galera-4 from the option file
 * the construct renders for it (at its planned address; only datadir, socket and logs are added).
 * The first bootstraps (`--wsrep-new-cluster`, what galera_new_cluster passes), the others join by
 * mariabackup SST. The rendered init scripts wait for Primary and Synced and create the schema and
 * accounts; the rendered health script answers for each member.
 * Then: a write on A is read on C; B killed, A and C stay Primary and take writes; A cut off, A
 * turns non-Primary, refuses writes and its health check says 503, while B and C take writes.
 * FIGURE lines give the times measured with the rendered evs timeouts.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { Flavor } from '../../lib/compute/flavor';
import { OVH_PARIS_3AZ_ZONES, Site } from '../../lib/compute/site';
import { DEBIAN_MARIADB_SOCKET } from '../../lib/database/mariadb-config';
import { GALERA_CONFIG_PATH, GALERA_HEALTH_ACCOUNT, GALERA_HEALTH_SCRIPT_PATH, GALERA_INIT_PATH, GaleraCluster } from '../../lib/database/galera-cluster';
import { GALERA_PROVIDER_PATH } from '../../lib/database/galera-config';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { Figure } from '../../lib/core/figures';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { requireBinary, run, scratch } from '../support/daemons';
import { testFigures } from '../support/figures';

const APP_PASSWORD = `galera 'pw' "x" \\ $HOME #`;
const SUFFIX = String(process.pid % 100000);
const HUB = `hsg${SUFFIX}h`;
// The account of the health check here is an OS user that exists (on a server: hs-galera).
const HEALTH_USER = 'nobody';

interface Member {
  readonly name: string;
  readonly ns: string;
  readonly address: string;
  readonly socket: string;
  readonly config: string;
  readonly init: string;
  readonly health: string;
  readonly log: string;
  process?: ChildProcess;
}

const s = scratch('galera');
const members: Member[] = [];
const namespaces: string[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function must(argv: string[]): string {
  const r = run(argv, { timeoutMs: 10000 });
  if (!r.ok) throw new Error(`${argv.join(' ')}: ${r.output}`);
  return r.output;
}

function rootSql(m: Member, statement: string) {
  return run(['mariadb', '--protocol=socket', `--socket=${m.socket}`, '--user=root', '--batch', '--skip-column-names', '-e', statement], { timeoutMs: 10000 });
}

function status(m: Member, name: string): string {
  const r = rootSql(m, `SHOW GLOBAL STATUS LIKE '${name}'`);
  return r.ok ? r.output.trim().split('\t')[1] ?? '' : '';
}

/** The application's SQL over TCP from `from`'s namespace to `to`'s address. */
function appSql(from: Member, to: Member, statement: string) {
  return run(['ip', 'netns', 'exec', from.ns, 'mariadb', '--protocol=tcp', `--host=${to.address}`, '--port=3306', '--user=app', '--connect-timeout=3', '--batch', '--skip-column-names', '-e', statement], { env: { ...process.env, MYSQL_PWD: APP_PASSWORD }, timeoutMs: 15000 });
}

/** The rendered health script of `m`, run as HEALTH_USER on one request: '200 OK ...' or '503 ...'. */
function health(m: Member): string {
  const r = run(['sh', '-c', `printf 'GET /health HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n' | setpriv --reuid ${HEALTH_USER} --regid nogroup --clear-groups bash ${m.health}`], { timeoutMs: 10000 });
  const [head, body = ''] = r.output.split('\r\n\r\n');
  return `${head.split('\r\n')[0].replace(/^HTTP\/1.0 /, '')}: ${body.trim()}`;
}

async function until<T>(what: string, timeoutMs: number, probe: () => T, ok: (v: T) => boolean): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  let value = probe();
  while (!ok(value)) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await sleep(200);
    value = probe();
  }
  return { value, ms: Date.now() - start };
}

function start(m: Member, bootstrap: boolean): void {
  m.process = spawn('ip', ['netns', 'exec', m.ns, 'mariadbd', `--defaults-file=${m.config}`, '--user=mysql', ...(bootstrap ? ['--wsrep-new-cluster'] : [])], { stdio: 'ignore' });
}

async function stop(m: Member, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const p = m.process;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill(signal);
  const timer = setTimeout(() => p.kill('SIGKILL'), 20000);
  await exited;
  clearTimeout(timer);
}

/** Prints `FIGURE galera <line>` through the suite's figure log, with the line's numbers as `figures`. */
function figure(line: string, figures: readonly Figure[]): void {
  testFigures().print(`FIGURE galera ${line}`, figures);
}

/** A time in seconds, named `galera <what>` (a difference of Date.now() values: always finite). */
function seconds(what: string, value: number, detail?: string): Figure {
  return { name: `galera ${what}`, value, unit: 's', ...(detail === undefined ? {} : { detail }) };
}

beforeAll(async () => {
  for (const b of ['mariadbd', 'mariadb-install-db', 'mariadb', 'mariabackup', 'socat', 'ip', 'setpriv']) requireBinary(b);
  if (!existsSync(GALERA_PROVIDER_PATH)) throw new Error(`${GALERA_PROVIDER_PATH} is missing: install galera-4 (scripts/install-test-deps.sh)`);
  if (process.getuid?.() !== 0) throw new Error('this test creates network namespaces and runs mariadbd as mysql: run it as root');
  chmodSync(s.dir, 0o755);

  // Given: the cluster as a stack renders it, its members at their planned addresses
  const stack = new HostingStack(Testing.app(), 'test');
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.231.0.0/24' });
  const sites = OVH_PARIS_3AZ_ZONES.map((zone, i) => new Site(stack, `Site${'ABC'[i]}`, { availabilityZone: zone }));
  const db = new GaleraCluster(stack, 'Db', { vswitch, sites, flavor: Flavor.custom({ name: 'db-2gb', vcpus: 2, ramGb: 2, diskGb: 20 }), databaseName: 'runiso', writeMbPerHour: 10, istWindowHours: 1, peakWritesPerSecond: 50 });
  const files = stack.renderHostFiles();
  const fileOf = (host: string, path: string) => files.find((f) => f.host === host && f.path === path)!.content;

  // Given: a bridge in a hub namespace, one namespace per site with its member's address
  must(['ip', 'netns', 'add', HUB]);
  namespaces.push(HUB);
  must(['ip', '-n', HUB, 'link', 'add', 'br0', 'type', 'bridge']);
  must(['ip', '-n', HUB, 'link', 'set', 'br0', 'up']);
  const mysql = { uid: Number(must(['id', '-u', 'mysql']).trim()), gid: Number(must(['id', '-g', 'mysql']).trim()) };
  db.members.forEach((host, i) => {
    const name = 'abc'[i];
    const ns = `hsg${SUFFIX}${name}`;
    must(['ip', 'netns', 'add', ns]);
    namespaces.push(ns);
    must(['ip', '-n', HUB, 'link', 'add', `v${name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    must(['ip', '-n', HUB, 'link', 'set', `v${name}`, 'master', 'br0', 'up']);
    must(['ip', '-n', ns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
    must(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);

    const dir = join(s.dir, name);
    const data = join(dir, 'data');
    mkdirSync(data, { recursive: true });
    run(['chown', '-R', `${mysql.uid}:${mysql.gid}`, dir]);
    const install = run(['mariadb-install-db', '--no-defaults', `--datadir=${data}`, '--user=mysql', '--skip-test-db'], { timeoutMs: 30000 });
    if (!install.ok) throw new Error(`mariadb-install-db: ${install.output}`);
    const socket = join(dir, 'mysqld.sock');
    const log = join(dir, 'error.log');
    // The rendered file, then what only this test needs (on a host, Debian's 50-server.cnf sets these).
    const config = s.write(`${name}.cnf`, `${fileOf(host.hostname, GALERA_CONFIG_PATH)}\n[mysqld]\ndatadir = ${data}\nsocket = ${socket}\npid-file = ${join(dir, 'mysqld.pid')}\nlog_error = ${log}\n`);
    const local = (text: string) => text.split(DEBIAN_MARIADB_SOCKET).join(socket).split(`'${GALERA_HEALTH_ACCOUNT}'`).join(`'${HEALTH_USER}'`);
    const init = s.write(`${name}-init.sh`, local(fileOf(host.hostname, GALERA_INIT_PATH)).replace('/etc/mysql/hosting-stacks/app.password', join(s.dir, 'app.password')));
    const healthScript = s.write(`${name}-health.sh`, local(fileOf(host.hostname, GALERA_HEALTH_SCRIPT_PATH)));
    chmodSync(healthScript, 0o755);
    members.push({ name, ns, address: host.address, socket, config, init, health: healthScript, log });
  });
  writeFileSync(join(s.dir, 'app.password'), `${APP_PASSWORD}\n`, { mode: 0o600 });

  // When: A bootstraps and its init script creates the schema and accounts; B and C join by SST
  const [a, b, c] = members;
  const t0 = Date.now();
  start(a, true);
  const initA = run(['sh', a.init], { timeoutMs: 60000 });
  if (!initA.ok) throw new Error(`init of A: ${initA.output}\n${run(['tail', '-30', a.log]).output}`);
  const bootstrapS = (Date.now() - t0) / 1000;
  figure(`bootstrap node Primary and Synced, schema created: ${bootstrapS.toFixed(1)} s`, [seconds('bootstrap', bootstrapS, 'bootstrap node Primary and Synced, schema created')]);
  const t1 = Date.now();
  start(b, false);
  start(c, false);
  for (const m of [b, c]) {
    const r = run(['sh', m.init], { timeoutMs: 150000 });
    if (!r.ok) throw new Error(`init of ${m.name}: ${r.output}\n${run(['tail', '-40', m.log]).output}`);
  }
  const joinS = (Date.now() - t1) / 1000;
  figure(`two members joined by mariabackup SST, Synced: ${joinS.toFixed(1)} s`, [seconds('sst join', joinS, 'two members joined by mariabackup SST, Synced')]);
}, 300000);

afterAll(async () => {
  await Promise.all(members.map((m) => stop(m)));
  for (const ns of namespaces.reverse()) run(['ip', 'netns', 'del', ns]);
  s.cleanup();
}, 60000);

test('given three synced members, then a write on A is read on C, and every health check says 200', async () => {
  const [a, b, c] = members;
  expect(members.map((m) => status(m, 'wsrep_cluster_size'))).toEqual(['3', '3', '3']);
  expect(members.map((m) => status(m, 'wsrep_local_state_comment'))).toEqual(['Synced', 'Synced', 'Synced']);
  // Each site is its own segment
  expect(members.map((m) => /gmcast\.segment = (\d+)/.exec(rootSql(m, 'SELECT @@wsrep_provider_options').output)?.[1])).toEqual(['0', '1', '2']);
  const write = appSql(a, a, "CREATE TABLE runiso.orders (id INT PRIMARY KEY, site CHAR(1)) ENGINE=InnoDB; INSERT INTO runiso.orders VALUES (1, 'a')");
  expect(write.output).toBe('');
  expect(write.ok).toBe(true);
  // Galera commits synchronously: C has it as soon as A's commit returned (wsrep_sync_wait for the read)
  expect(appSql(c, c, 'SET SESSION wsrep_sync_wait = 1; SELECT site FROM runiso.orders WHERE id = 1').output.trim()).toBe('a');
  expect(members.map(health)).toEqual(['200 OK: synced, primary', '200 OK: synced, primary', '200 OK: synced, primary']);
  expect(b).toBeDefined();
}, 60000);

test('given B killed, then A and C stay Primary and take writes', async () => {
  const [a, b, c] = members;
  const t = Date.now();
  await stop(b, 'SIGKILL');
  // A crash does not leave the cluster: the writes wait until A and C evict B (evs.suspect_timeout)
  const writes = await until('a write on A and on C after B died', 60000, () => {
    const ra = appSql(a, a, "REPLACE INTO runiso.orders VALUES (2, 'a')");
    const rc = appSql(c, c, "REPLACE INTO runiso.orders VALUES (3, 'c')");
    return ra.ok && rc.ok;
  }, (ok) => ok);
  const size = await until('A and C see a cluster of 2', 30000, () => [status(a, 'wsrep_cluster_size'), status(c, 'wsrep_cluster_size')], (v) => v.every((x) => x === '2'));
  const writesS = (Date.now() - t) / 1000;
  figure(`site B killed: writes on A and C accepted again after ${writesS.toFixed(1)} s (first attempt done at ${(writes.ms / 1000).toFixed(1)} s), cluster size 2 after ${(size.ms / 1000).toFixed(1)} s`, [
    seconds('site B killed writes accepted', writesS, 'writes on A and C accepted again, from the SIGKILL'),
    seconds('site B killed first write attempt done', writes.ms / 1000, "the wait from B's exit to a write accepted on A and on C"),
    seconds('site B killed cluster size 2', size.ms / 1000, 'the wait, after those writes, until A and C see a cluster of 2'),
  ]);
  expect([status(a, 'wsrep_cluster_status'), status(c, 'wsrep_cluster_status')]).toEqual(['Primary', 'Primary']);
  expect(health(a)).toBe('200 OK: synced, primary');
  expect(appSql(a, c, 'SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM runiso.orders').output.trim()).toBe('3');

  // When B comes back, it rejoins (IST: the write-sets it missed are in the donor's gcache)
  const back = Date.now();
  start(b, false);
  const rejoin = run(['sh', b.init], { timeoutMs: 120000 });
  if (!rejoin.ok) throw new Error(`B did not rejoin: ${rejoin.output}\n${run(['tail', '-40', b.log]).output}`);
  const rejoinS = (Date.now() - back) / 1000;
  figure(`site B restarted: Synced again after ${rejoinS.toFixed(1)} s`, [seconds('site B restarted synced', rejoinS, 'by IST')]);
  expect(run(['grep', '-c', 'IST received', b.log]).output.trim()).not.toBe('0');
  expect(appSql(b, b, 'SELECT COUNT(*) FROM runiso.orders').output.trim()).toBe('3');
}, 240000);

test('given A cut off from B and C, then A turns non-Primary, refuses a write and its health says 503, while B and C take writes', async () => {
  const [a, b, c] = members;
  await until('three members', 30000, () => members.map((m) => status(m, 'wsrep_cluster_size')), (v) => v.every((x) => x === '3'));
  const t = Date.now();
  run(['ip', '-n', a.ns, 'link', 'set', 'eth0', 'down']);
  try {
    const lone = await until('A non-Primary', 60000, () => status(a, 'wsrep_cluster_status'), (v) => v !== '' && v !== 'Primary');
    figure(`site A cut off: non-Primary ('${lone.value}') after ${(lone.ms / 1000).toFixed(1)} s`, [seconds('site A cut off non-primary', lone.ms / 1000, `wsrep_cluster_status '${lone.value}'`)]);
    expect(status(a, 'wsrep_ready')).toBe('OFF');
    const refused = rootSql(a, "INSERT INTO runiso.orders VALUES (10, 'a')");
    expect(refused.ok).toBe(false);
    expect(refused.output).toMatch(/WSREP has not yet prepared node for application use/);
    const read = rootSql(a, 'SELECT COUNT(*) FROM runiso.orders');
    expect(read.ok).toBe(false);
    expect(health(a)).toMatch(/^503 Service Unavailable: wsrep_ready: OFF$/);
    const refusedS = (Date.now() - t) / 1000;
    figure(`site A cut off: write refused and health 503 at ${refusedS.toFixed(1)} s`, [seconds('site A cut off write refused', refusedS, 'write refused and health 503, from the cut')]);

    const others = await until('writes on B and C', 60000, () => appSql(b, b, "REPLACE INTO runiso.orders VALUES (11, 'b')").ok && appSql(c, c, "REPLACE INTO runiso.orders VALUES (12, 'c')").ok, (ok) => ok);
    const othersS = (Date.now() - t) / 1000;
    figure(`site A cut off: B and C accept writes at ${othersS.toFixed(1)} s (first attempt done at ${(others.ms / 1000).toFixed(1)} s)`, [
      seconds('site A cut off B and C writes accepted', othersS, 'from the cut'),
      seconds('site A cut off B and C first write attempt done', others.ms / 1000, "the wait, begun once A's refusal was checked, until a write on B and on C is accepted"),
    ]);
    expect([status(b, 'wsrep_cluster_status'), status(c, 'wsrep_cluster_status')]).toEqual(['Primary', 'Primary']);
    expect([health(b), health(c)]).toEqual(['200 OK: synced, primary', '200 OK: synced, primary']);
  } finally {
    run(['ip', '-n', a.ns, 'link', 'set', 'eth0', 'up']);
  }
  // When the link is back, A rejoins the primary component by itself
  const healed = Date.now();
  const rejoined = await until('A Primary again', 90000, () => [status(a, 'wsrep_cluster_status'), status(a, 'wsrep_local_state')], (v) => v[0] === 'Primary' && v[1] === '4');
  figure(`site A link restored: Primary and Synced after ${(rejoined.ms / 1000).toFixed(1)} s`, [seconds('site A link restored synced', rejoined.ms / 1000, 'Primary and Synced')]);
  expect(Date.now() - healed).toBeLessThan(90000);
  expect(rootSql(a, 'SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM runiso.orders').output.trim()).toBe('5');
}, 240000);
