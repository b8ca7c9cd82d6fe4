/**
 * Proves the rendered MariaDB configs and bootstrap scripts replicate for real: a primary and a
 * replica on 127.0.0.1 (two ports, scratch data folders, unix sockets in the scratch folder), set up
 * by the rendered scripts with test passwords in the files cloud-init would write, then a row
 * written on the primary is read on the replica. Then the role check a balancer asks: the rendered
 * script behind systemd-socket-activate (one instance per connection, as the rendered socket unit
 * runs it), logged in over the local socket as an unprivileged OS user with the rendered grant;
 * and haproxy with the rendered database listeners in front of both, as a balancer node runs it:
 * writes reach the primary, reads the replica, and reads go on when the replica stops or dies.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import {
  MariadbConfigModel,
  mariadbConnectionLimits,
  mariadbHostForCidr,
  MariadbRole,
  renderMariadbBootstrapScript,
  renderMariadbConfig,
} from '../../lib/database/mariadb-config';
import {
  MARIADB_PRIMARY_CHECK_PATH,
  MARIADB_READABLE_CHECK_PATH,
  MARIADB_REPLICA_CHECK_PATH,
  mariadbRoleCheckAccountSql,
  renderMariadbRoleCheckScript,
} from '../../lib/database/mariadb-role-check';
import { requireBinary, run, scratch } from '../support/daemons';
import { HAPROXY_DATABASE_TIMEOUTS } from '../../lib/balancing/haproxy-balancer';
import { renderHaproxyConfig } from '../../lib/balancing/haproxy-config';
import { ENTRY_TIMEOUTS } from '../../lib/balancing/http-balancer';

// Passwords with every character that could break shell, SQL or option-file quoting.
const APP_PASSWORD = `app pw 'quoted' "double" \\ back $HOME #hash <&>`;
const REPLICATION_PASSWORD = `r3pl'ic"a\\tion $(id) ; --`;
const BASE_PORT = 20000 + (process.pid % 10000) * 2;

interface Server {
  readonly role: MariadbRole;
  readonly port: number;
  readonly socket: string;
  readonly run: string;
  process?: ChildProcess;
}

const s = scratch('mariadb-repl');
const servers: Server[] = [];

function mysqlUid(): { uid: number; gid: number } {
  const id = run(['id', '-u', 'mysql']);
  const gid = run(['id', '-g', 'mysql']);
  if (!id.ok || !gid.ok) throw new Error(`no mysql user: ${id.output}${gid.output}`);
  return { uid: Number(id.output.trim()), gid: Number(gid.output.trim()) };
}

function sql(server: Server, statement: string, auth: { user: string; password: string } | 'root' = 'root') {
  const argv = auth === 'root'
    ? ['mariadb', '--protocol=socket', `--socket=${server.socket}`, '--user=root', '--batch', '--skip-column-names', '-e', statement]
    : ['mariadb', '--protocol=tcp', '--host=127.0.0.1', `--port=${server.port}`, `--user=${auth.user}`, '--batch', '--skip-column-names', '-e', statement];
  return run(argv, { env: { ...process.env, ...(auth === 'root' ? {} : { MYSQL_PWD: auth.password }) }, timeoutMs: 10000 });
}

async function startServer(role: MariadbRole, serverId: number, port: number): Promise<Server> {
  const { uid, gid } = mysqlUid();
  const data = join(s.dir, `${role}-data`);
  const runDir = join(s.dir, `${role}-run`);
  for (const d of [data, runDir]) {
    mkdirSync(d);
    chownSync(d, uid, gid);
  }
  const install = run(['mariadb-install-db', '--no-defaults', `--datadir=${data}`, '--user=mysql', '--skip-test-db'], { timeoutMs: 20000 });
  if (!install.ok) throw new Error(`mariadb-install-db failed: ${install.output}`);
  const model: MariadbConfigModel = {
    role,
    serverId,
    bindAddress: '127.0.0.1',
    port,
    reportHost: '127.0.0.1',
    binlogBasename: join(runDir, 'mariadb-bin'),
    relayLogBasename: join(runDir, 'relay-bin'),
    binlogExpireSeconds: 86400,
    bufferPoolMb: 128,
    connections: mariadbConnectionLimits([{ client: 'test', servers: 1, connectionsPerServer: 40, bound: 'test clients', connections: 40 }], 10),
  };
  const socket = join(runDir, 'mysqld.sock');
  // The rendered file, then what only this test needs (on a host, Debian's 50-server.cnf sets these).
  const cnf = `${renderMariadbConfig(model)}\n[mysqld]\ndatadir = ${data}\nsocket = ${socket}\npid-file = ${join(runDir, 'mysqld.pid')}\nlog_error = ${join(runDir, 'error.log')}\n`;
  const file = s.write(`${role}.cnf`, cnf);
  const server: Server = { role, port, socket, run: runDir };
  server.process = spawn('mariadbd', [`--defaults-file=${file}`, '--user=mysql'], { stdio: 'ignore' });
  servers.push(server);
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (run(['mariadb-admin', `--socket=${socket}`, '--user=root', 'ping']).ok) return server;
    if (server.process.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`mariadbd (${role}) did not start: ${run(['cat', join(runDir, 'error.log')]).output}`);
}

async function stop(server: Server): Promise<void> {
  const p = server.process;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
}

let primary: Server;
let replica: Server;

beforeAll(async () => {
  requireBinary('mariadbd');
  requireBinary('mariadb-install-db');
  if (userInfo().uid !== 0) throw new Error('this test runs mariadbd as the mysql user and must run as root');
  chmodSync(s.dir, 0o755);
  primary = await startServer(MariadbRole.PRIMARY, 1, BASE_PORT);
  replica = await startServer(MariadbRole.REPLICA, 2, BASE_PORT + 1);
}, 40000);

afterAll(async () => {
  await Promise.all(servers.map(stop));
  s.cleanup();
}, 30000);

test('given the rendered configs and scripts, when a row is written on the primary, then the replica has it and refuses writes', async () => {
  // Given: the password files cloud-init would write (0600, root), each ending in a newline
  const secrets = join(s.dir, 'secrets');
  mkdirSync(secrets, { mode: 0o700 });
  const appFile = join(secrets, 'app.password');
  const replicationFile = join(secrets, 'replication.password');
  writeFileSync(appFile, `${APP_PASSWORD}\n`, { mode: 0o600 });
  writeFileSync(replicationFile, `${REPLICATION_PASSWORD}\n`, { mode: 0o600 });

  // When: the primary's then the replica's bootstrap run
  const primaryScript = s.write('bootstrap-primary.sh', renderMariadbBootstrapScript({
    role: MariadbRole.PRIMARY,
    socket: primary.socket,
    localWaitSeconds: 10,
    databaseName: 'popgom',
    applicationUser: 'app',
    applicationHost: '%',
    applicationPasswordFile: appFile,
    replicationUser: 'replicator',
    replicationHost: mariadbHostForCidr('127.0.0.0/8')!,
    replicationPasswordFile: replicationFile,
  }));
  const boot1 = run(['sh', primaryScript], { timeoutMs: 20000 });
  expect(boot1.output).toContain('users app and replicator are ready');
  expect(boot1.ok).toBe(true);

  const replicaScript = s.write('bootstrap-replica.sh', renderMariadbBootstrapScript({
    role: MariadbRole.REPLICA,
    socket: replica.socket,
    localWaitSeconds: 15,
    primaryAddress: '127.0.0.1',
    primaryPort: primary.port,
    primaryWaitSeconds: 10,
    replicationUser: 'replicator',
    replicationPasswordFile: replicationFile,
    connectRetrySeconds: 1,
  }));
  const boot2 = run(['sh', replicaScript], { timeoutMs: 25000 });
  expect(boot2.output).toContain('replicating from 127.0.0.1');
  expect(boot2.ok).toBe(true);

  // When: the application writes on the primary with its password
  const app = { user: 'app', password: APP_PASSWORD };
  const write = sql(primary, "CREATE TABLE popgom.orders (id INT PRIMARY KEY, tyre VARCHAR(40)) ENGINE=InnoDB; INSERT INTO popgom.orders VALUES (1, '205/55 R16');", app);
  expect(write.output).toBe('');
  expect(write.ok).toBe(true);

  // Then: the replica has the row within 10 s
  let seen = '';
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    const r = sql(replica, 'SELECT tyre FROM popgom.orders WHERE id = 1');
    seen = r.ok ? r.output.trim() : '';
    if (seen) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(seen).toBe('205/55 R16');

  // Then: the replica follows by GTID and refuses the application's writes (read_only)
  expect(sql(replica, 'SELECT @@read_only, @@server_id').output.trim()).toBe('1\t2');
  expect(sql(replica, "SHOW GLOBAL STATUS LIKE 'Slave_running'").output.trim()).toBe('Slave_running\tON');
  const rejected = sql(replica, "INSERT INTO popgom.orders VALUES (2, '225/45 R17')", app);
  expect(rejected.ok).toBe(false);
  expect(rejected.output).toMatch(/read-only/);

  // Then: the replication password logs in, and no password is in the primary's binary log in clear
  expect(sql(primary, 'SELECT 1', { user: 'replicator', password: REPLICATION_PASSWORD }).ok).toBe(true);
  const binlog = run(['mariadb-binlog', join(primary.run, 'mariadb-bin.000001')]);
  expect(binlog.ok).toBe(true);
  expect(binlog.output).toContain('IDENTIFIED BY PASSWORD');
  expect(binlog.output).not.toContain(APP_PASSWORD);
  expect(binlog.output).not.toContain(REPLICATION_PASSWORD);
}, 60000);

describe('the role check a balancer asks', () => {
  // The OS user the check runs as here, and so its unix_socket account (on a server: hs-dbrole).
  const ACCOUNT = 'nobody';
  const activators: ChildProcess[] = [];

  /** The rendered check of `server` behind systemd-socket-activate on 127.0.0.1:`port`, as ACCOUNT. */
  async function serveCheck(server: Server, port: number, maxLagSeconds: number): Promise<void> {
    const script = s.write(`role-check-${server.role}.sh`, renderMariadbRoleCheckScript({
      socket: server.socket,
      account: ACCOUNT,
      primaryPath: MARIADB_PRIMARY_CHECK_PATH,
      replicaPath: MARIADB_REPLICA_CHECK_PATH,
      readablePath: MARIADB_READABLE_CHECK_PATH,
      maxLagSeconds,
      queryTimeoutSeconds: 2,
    }));
    chmodSync(script, 0o755);
    const p = spawn('systemd-socket-activate', ['--listen', `127.0.0.1:${port}`, '--accept', '--inetd', 'setpriv', '--reuid', ACCOUNT, '--regid', 'nogroup', '--clear-groups', script], { stdio: 'ignore' });
    activators.push(p);
    // Up to 30 s: on a 2-CPU machine running the other suites, 5 s was once too short for the listener.
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline && !run(['curl', '-s', '-o', '/dev/null', '--max-time', '2', `http://127.0.0.1:${port}/`]).ok) await new Promise((r) => setTimeout(r, 100));
  }

  function ask(port: number, path: string): string {
    // The body (one line) and the status: 'primary: writable 200'.
    const r = run(['curl', '-s', '--max-time', '5', '-w', ' %{http_code}', `http://127.0.0.1:${port}${path}`]);
    return r.output.replace(/\n/g, '').trim();
  }

  async function until(port: number, path: string, expected: RegExp): Promise<string> {
    let last = '';
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      last = ask(port, path);
      if (expected.test(last)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    return last;
  }

  afterAll(async () => {
    await Promise.all(activators.map((p) => new Promise<void>((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve();
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    })));
  });

  test('given the rendered check and grant, then the primary answers /primary, a replicating replica /replica, and a stopped or lagging replica no longer does', async () => {
    requireBinary('systemd-socket-activate');
    requireBinary('setpriv');
    // Given: the account made on the primary, replicated to the replica
    const grant = sql(primary, mariadbRoleCheckAccountSql(ACCOUNT));
    expect(grant.output).toBe('');
    expect(grant.ok).toBe(true);
    const primaryPort = BASE_PORT + 2;
    const replicaPort = BASE_PORT + 3;
    await serveCheck(primary, primaryPort, 1);
    await serveCheck(replica, replicaPort, 1);

    // Then: each answers its own role only
    expect(ask(primaryPort, '/primary')).toBe('primary: writable 200');
    expect(ask(primaryPort, '/replica')).toBe('not a replica: writable 503');
    expect(await until(replicaPort, '/replica', / 200$/)).toMatch(/^replica: 0 s behind 200$/);
    expect(ask(replicaPort, '/primary')).toBe('not the primary: read_only is on 503');
    expect(ask(replicaPort, '/other')).toBe('paths: /primary /replica /readable 404');
    expect(ask(primaryPort, '/readable')).toBe('primary: writable 200');
    expect(ask(replicaPort, '/readable')).toBe('replica: 0 s behind 200');

    // When: the replica stops applying, then starts again
    expect(sql(replica, 'STOP REPLICA SQL_THREAD').ok).toBe(true);
    expect(ask(replicaPort, '/replica')).toBe('replication SQL thread: No 503');
    expect(ask(replicaPort, '/readable')).toBe('replication SQL thread: No 503');
    expect(sql(replica, 'START REPLICA SQL_THREAD').ok).toBe(true);
    expect(await until(replicaPort, '/replica', / 200$/)).toMatch(/ 200$/);

    // When: the replica applies 5 s late (MASTER_DELAY) and the primary writes: over the 1 s allowed
    expect(sql(replica, 'STOP REPLICA; CHANGE MASTER TO MASTER_DELAY = 5; START REPLICA').ok).toBe(true);
    expect(sql(primary, "CREATE DATABASE IF NOT EXISTS lag_probe; CREATE TABLE IF NOT EXISTS lag_probe.t (id INT PRIMARY KEY); INSERT INTO lag_probe.t VALUES (1)").ok).toBe(true);
    expect(await until(replicaPort, '/replica', /^lag \d+ s over 1 s 503$/)).toMatch(/^lag \d+ s over 1 s 503$/);
    expect(sql(replica, 'STOP REPLICA; CHANGE MASTER TO MASTER_DELAY = 0; START REPLICA').ok).toBe(true);
    expect(await until(replicaPort, '/replica', / 200$/)).toMatch(/ 200$/);

  }, 90000);

  test('given haproxy with the rendered database listeners, then writes reach the primary, reads the replica, and reads go on when the replica stops replicating or dies', async () => {
    requireBinary('haproxy');
    // Given: the checks of the test above, and haproxy as a balancer node would run it, on loopback
    const primaryCheck = BASE_PORT + 2;
    const replicaCheck = BASE_PORT + 3;
    const writePort = BASE_PORT + 4;
    const readPort = BASE_PORT + 5;
    const config = renderHaproxyConfig({
      hostname: 'lb-test',
      globalMaxconn: 300,
      statsSocket: join(s.dir, 'haproxy.sock'),
      timeouts: ENTRY_TIMEOUTS,
      retries: 3,
      frontend: { name: 'entry', bindAddress: '127.0.0.1', bindPort: BASE_PORT + 6, maxconn: 100 },
      backend: { name: 'members', healthCheck: { kind: 'tcp', intervalMs: 2000, timeoutMs: 1000, fall: 2, rise: 2 }, servers: [] },
      databases: [{
        name: 'database_1',
        bindAddress: '127.0.0.1',
        writePort,
        readPort,
        maxconn: 50,
        primaryPath: MARIADB_PRIMARY_CHECK_PATH,
        readablePath: MARIADB_READABLE_CHECK_PATH,
        servers: [
          { name: 'db-1', address: '127.0.0.1', port: primary.port, checkPort: primaryCheck },
          { name: 'db-2', address: '127.0.0.1', port: replica.port, checkPort: replicaCheck },
        ],
      }],
      // The checks of a node, faster: 250 ms apart, out after two failures.
      databaseTimeouts: { ...HAPROXY_DATABASE_TIMEOUTS, checkIntervalMs: 250 },
    });
    const haproxy = spawn('haproxy', ['-db', '-f', s.write('haproxy.cfg', config)], { stdio: 'ignore' });
    activators.push(haproxy);
    const app = { user: 'app', password: APP_PASSWORD };
    const through = (port: number, statement: string) => run(
      ['mariadb', '--protocol=tcp', '--host=127.0.0.1', `--port=${port}`, '--user=app', '--batch', '--skip-column-names', '--connect-timeout=3', '-e', statement],
      { env: { ...process.env, MYSQL_PWD: app.password }, timeoutMs: 10000 },
    );
    const serverIdThrough = async (port: number, expected: string): Promise<string> => {
      let seen = '';
      const deadline = Date.now() + 15000;
      while (Date.now() < deadline) {
        const r = through(port, 'SELECT @@server_id');
        seen = r.ok ? r.output.trim() : r.output;
        if (seen === expected) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return seen;
    };

    // Then: writes land on the primary (server 1), reads on the replica (server 2)
    expect(await serverIdThrough(writePort, '1')).toBe('1');
    const write = through(writePort, "INSERT INTO popgom.orders VALUES (3, '195/65 R15')");
    expect(write.output).toBe('');
    expect(write.ok).toBe(true);
    expect(await serverIdThrough(readPort, '2')).toBe('2');

    // When: the replica stops applying, then: reads go to the primary, and back once it applies again
    expect(sql(replica, 'STOP REPLICA SQL_THREAD').ok).toBe(true);
    expect(await serverIdThrough(readPort, '1')).toBe('1');
    expect(sql(replica, 'START REPLICA SQL_THREAD').ok).toBe(true);
    expect(await serverIdThrough(readPort, '2')).toBe('2');

    // When: the replica dies, then: reads go on on the primary, writes too, and its check says why
    await stop(replica);
    expect(ask(replicaCheck, '/replica')).toBe('mariadb does not answer 503');
    expect(await serverIdThrough(readPort, '1')).toBe('1');
    expect(through(readPort, 'SELECT tyre FROM popgom.orders WHERE id = 3').output.trim()).toBe('195/65 R15');
    expect(through(writePort, "INSERT INTO popgom.orders VALUES (4, '215/60 R16')").ok).toBe(true);
  }, 90000);
});
