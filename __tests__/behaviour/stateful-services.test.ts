/**
 * The stateful services start from the stacks' rendered files and answer, on their planned
 * addresses, in lab hosts laid out as the Debian packages and cloud-init leave a server:
 * - MariaDB (POPGOM): db-1 and db-2 get Debian's /etc/mysql plus the rendered
 *   mariadb.conf.d/60-hosting-stacks.cnf, the password files cloud-init writes (test passwords in
 *   place of the Terraform variables) and the rendered bootstrap script at its path; `mariadbd`
 *   runs as mysql with no option (as mariadb.service does), the scripts run unmodified, then an
 *   application server writes a row on the primary over the network and the replica has it.
 * - Redis (Monsieur Déguisement): sessions-1 gets the rendered /etc/redis/redis.conf and
 *   redis-auth.conf (its `requirepass` rendered as Terraform would, with a test password); a
 *   front-end asks PING through the stack's router.
 * - memcached (iPresso, stage 3): memcached-1 gets the rendered /etc/memcached.conf, started by
 *   Debian's own wrapper as memcached.service does; an analytics server stores and reads a result.
 */
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { Testing } from 'cdktf';
import { HostingStack } from '../../lib';
import { MonsieurDeguisementStack } from '../../stacks/monsieur-deguisement';
import { IpressoStack, IpressoStage } from '../../stacks/ipresso';
import { PopgomStack } from '../../stacks/popgom';
import { figure, hostFile, Lab, LabHost, plannedHost, plannedRouter, useLab } from '../support/lab';

// Test passwords with characters that break careless quoting (shell, SQL, redis.conf).
const APP_PASSWORD = `app pw 'q' "d" \\ $HOME #h`;
const REPLICATION_PASSWORD = `r3pl'ic"a\\tion $(id) ; --`;
const REDIS_PASSWORD = `se"ss\\ions pw`;

const BOOTSTRAP = '/usr/local/sbin/hosting-stacks-mariadb-bootstrap';
const MARIADB_CNF = '/etc/mysql/mariadb.conf.d/60-hosting-stacks.cnf';

/** The files cloud-init writes on `host` under `dir`, with Terraform references replaced by `values`. */
function renderedFiles(stack: HostingStack, host: string, dir: string, values: Record<string, string>): { path: string; content: string }[] {
  return stack.renderHostFiles().filter((f) => f.host === host && f.path.startsWith(dir)).map((f) => {
    let content = f.content;
    for (const [ref, value] of Object.entries(values)) content = content.split(ref).join(value);
    if (content.includes('${')) throw new Error(`${host}:${f.path} still has a Terraform reference: ${content}`);
    return { path: f.path, content };
  });
}

describe('POPGOM: MariaDB primary and replica from the rendered files', () => {
  const lab = useLab('mariadb');
  const stack = new PopgomStack(Testing.app(), 'popgom');
  const [primary, replica] = stack.database.cluster.instances.map((i) => i.hostname);
  const hosts: Record<string, LabHost> = {};
  const startMs: Record<string, number> = {};
  const rssMb: Record<string, number> = {};

  async function installAndStart(l: Lab, name: string): Promise<void> {
    const host = await l.addHost(name, plannedHost(stack, name, { privateDirs: ['/etc/mysql', '/var/lib/mysql', '/var/log', '/usr/local/sbin'] }));
    hosts[name] = host;
    // What Debian 12's package leaves: its /etc/mysql and an empty datadir (no /var/log/mysql: it logs
    // to the journal, and a test that made that folder hid a log_bin there that stopped the real server).
    cpSync('/etc/mysql', host.path('/etc/mysql'), { recursive: true });
    host.chown('/var/lib/mysql', 'mysql:mysql');
    // What cloud-init writes: the rendered files, the passwords Terraform substitutes (0600 root).
    const values = { '${var.mysql_app_password}': APP_PASSWORD, '${var.mysql_replication_password}': REPLICATION_PASSWORD };
    for (const f of renderedFiles(stack, name, '/etc/mysql/', values)) {
      host.writeFile(f.path, f.path.endsWith('.password') ? `${f.content.trim()}\n` : f.content, { mode: f.path.endsWith('.password') ? 0o600 : 0o644 });
    }
    host.writeFile(BOOTSTRAP, hostFile(stack, name, BOOTSTRAP), { mode: 0o755 });
    // mariadb.service: RuntimeDirectory=mysqld owned by mysql; the package's mariadb-install-db.
    host.mkdir('/run/mysqld', 'mysql:mysql');
    const install = l.exec(host, ['mariadb-install-db', '--user=mysql', '--skip-test-db'], { timeoutMs: 60000 });
    if (!install.ok) throw new Error(`${name}: mariadb-install-db: ${install.output}`);
    const started = Date.now();
    const daemon = await l.spawn(host, ['mariadbd'], {
      user: 'mysql',
      readyWhen: { check: () => l.exec(host, ['mariadb-admin', '--user=root', 'ping'], { timeoutMs: 5000 }).ok },
      readyTimeoutMs: 30000,
    });
    startMs[name] = Date.now() - started;
    rssMb[name] = Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))![1]) / 1024);
  }

  beforeAll(async () => {
    await lab.addHost('router', plannedRouter(stack));
    await Promise.all([primary, replica].map((n) => installAndStart(lab, n)));
    hosts.app = await lab.addHost(stack.app.cluster.instances[0].hostname, plannedHost(stack, stack.app.cluster.instances[0].hostname));
  }, 90000);

  test('given the rendered option files, then mariadbd runs them on the planned addresses, the replica read-only', () => {
    figure('popgom-mariadb-start-ms', `${primary}=${startMs[primary]},${replica}=${startMs[replica]}`, `mariadbd as mysql with Debian's /etc/mysql and the rendered 60-hosting-stacks.cnf, until mariadb-admin ping answers; RSS after start ${rssMb[primary]} MB and ${rssMb[replica]} MB (the rendered buffer pool is reserved, not touched)`);
    for (const [name, address] of [[primary, stack.database.cluster.instances[0].address], [replica, stack.database.cluster.instances[1].address]]) {
      const vars = lab.exec(hosts[name], ['mariadb', '--user=root', '--batch', '--skip-column-names', '-e', 'SELECT @@bind_address, @@server_id, @@read_only, @@log_bin, @@binlog_format, @@innodb_buffer_pool_size DIV 1048576']);
      expect(vars.ok).toBe(true);
      const [bind, serverId, readOnly, logBin, format, pool] = vars.stdout.trim().split('\t');
      const rendered = hostFile(stack, name, MARIADB_CNF);
      expect(bind).toBe(address);
      expect(serverId).toBe(/server_id = (\d+)/.exec(rendered)![1]);
      expect(readOnly).toBe(name === replica ? '1' : '0');
      expect([logBin, format]).toEqual(['1', 'ROW']);
      expect(`${pool}M`).toBe(/innodb_buffer_pool_size = (\S+)/.exec(rendered)![1]);
    }
  });

  test('given the rendered bootstrap scripts, when the application writes a row on the primary, then the replica has it', async () => {
    // Given: the scripts cloud-init runs after mariadb.service, primary first
    const boot1 = lab.exec(hosts[primary], [BOOTSTRAP], { timeoutMs: 30000 });
    expect(boot1.output).toContain('users app and replicator are ready');
    expect(boot1.ok).toBe(true);
    const boot2 = lab.exec(hosts[replica], [BOOTSTRAP], { timeoutMs: 60000 });
    expect(boot2.output).toContain(`replicating from ${stack.database.cluster.instances[0].address}`);
    expect(boot2.ok).toBe(true);

    // When: an application server writes over the network with the application's password
    const primaryAddress = stack.database.cluster.instances[0].address;
    const asApp = (host: LabHost, address: string, sql: string) => lab.exec(host, ['mariadb', `--host=${address}`, '--user=app', '--batch', '--skip-column-names', '-e', sql], { env: { MYSQL_PWD: APP_PASSWORD } });
    const schema = asApp(hosts.app, primaryAddress, 'CREATE TABLE popgom.orders (id INT PRIMARY KEY, tyre VARCHAR(40)) ENGINE=InnoDB');
    expect(schema.output).toBe('');
    const write = asApp(hosts.app, primaryAddress, "INSERT INTO popgom.orders VALUES (1, '205/55 R16')");
    const committedAt = Date.now();
    expect(write.ok).toBe(true);

    // Then: the replica has it (polled on its socket every 10 ms)
    let seen = '';
    const lagMs = await lab.waitFor('the row on the replica', () => {
      const r = lab.exec(hosts[replica], ['mariadb', '--user=root', '--batch', '--skip-column-names', '-e', 'SELECT tyre FROM popgom.orders WHERE id = 1'], { timeoutMs: 5000 });
      seen = r.ok ? r.stdout.trim() : '';
      return seen !== '';
    }, { timeoutMs: 10000, intervalMs: 10 });
    figure('popgom-mariadb-replication-lag-ms', Date.now() - committedAt, `row committed on ${primary} by ${hosts.app.name}, read on ${replica} (poll ${lagMs} ms after the commit returned, 10 ms period, each read a mariadb client run)`);
    expect(seen).toBe('205/55 R16');
    const status = lab.exec(hosts[replica], ['mariadb', '--user=root', '--batch', '--skip-column-names', '-e', "SHOW GLOBAL STATUS LIKE 'Slave_running'"]);
    expect(status.stdout.trim()).toBe('Slave_running\tON');
    // The replica refuses the application's writes.
    const rejected = asApp(hosts.app, stack.database.cluster.instances[1].address, "INSERT INTO popgom.orders VALUES (2, '225/45 R17')");
    expect(rejected.ok).toBe(false);
    expect(rejected.output).toMatch(/read-only/);
  }, 90000);
});

describe('Monsieur Déguisement: Redis from the rendered redis.conf', () => {
  const lab = useLab('redis');
  const stack = new MonsieurDeguisementStack(Testing.app(), 'md');
  const name = stack.redis.cluster.instances[0].hostname;
  const address = stack.redis.cluster.instances[0].address;
  let host: LabHost;
  let frontend: LabHost;
  let startedMs = 0;

  beforeAll(async () => {
    await lab.addHost('router', plannedRouter(stack));
    host = await lab.addHost(name, plannedHost(stack, name, { privateDirs: ['/etc/redis', '/var/lib/redis', '/var/log'] }));
    // What the Debian package leaves (redis-owned /etc/redis, /var/lib/redis, /var/log/redis) and
    // redis-server.service adds (RuntimeDirectory=redis), then cloud-init's files.
    host.chown('/etc/redis', 'redis:redis');
    host.chown('/var/lib/redis', 'redis:redis');
    host.mkdir('/var/log/redis', 'redis:adm', 0o2750);
    host.mkdir('/run/redis', 'redis:redis');
    // The redis-auth.conf's requirepass is a Terraform template: what it renders for REDIS_PASSWORD.
    const escaped = REDIS_PASSWORD.split('\\').join('\\\\').split('"').join('\\"');
    const auth = hostFile(stack, name, '/etc/redis/redis-auth.conf').replace(/\$\{replace\(replace\(var\.redis_password, .*\)\}/, escaped);
    expect(auth).toContain(`requirepass "${escaped}"`);
    host.writeFile('/etc/redis/redis-auth.conf', auth, { mode: 0o640, owner: 'redis:redis' });
    host.writeFile('/etc/redis/redis.conf', hostFile(stack, name, '/etc/redis/redis.conf'), { mode: 0o640, owner: 'redis:redis' });
    const started = Date.now();
    // redis-server.service: User=redis, `redis-server /etc/redis/redis.conf` in the foreground.
    await lab.spawn(host, ['redis-server', '/etc/redis/redis.conf'], { user: 'redis', readyWhen: { tcp: { address, port: 6379 } } });
    startedMs = Date.now() - started;
    const f = stack.frontends.cluster.instances[0].hostname;
    frontend = await lab.addHost(f, plannedHost(stack, f));
  }, 30000);

  test('given the rendered redis.conf, when a front-end sends PING through the router, then Redis answers with the password only', () => {
    figure('md-redis-start-ms', startedMs, `redis-server as redis on ${address}:6379 until it accepts a connection`);
    const cli = (args: string[], password?: string) => lab.exec(frontend, ['redis-cli', '-h', address, '-p', '6379', ...args], { env: password ? { REDISCLI_AUTH: password } : {} });
    const t0 = Date.now();
    const pong = cli(['PING'], REDIS_PASSWORD);
    figure('md-redis-ping-ms', Date.now() - t0, `redis-cli PING from ${frontend.name} via the router, process start included`);
    expect(pong.stdout.trim()).toBe('PONG');
    expect(cli(['PING']).output).toMatch(/NOAUTH/);
    expect(cli(['PING'], 'wrong').output).toMatch(/WRONGPASS|invalid password/);
    // The disabled commands are gone; a session key round-trips.
    expect(cli(['FLUSHALL'], REDIS_PASSWORD).output).toMatch(/unknown command/);
    expect(cli(['SET', 'PHPREDIS_SESSION:abc', 'cart=3'], REDIS_PASSWORD).stdout.trim()).toBe('OK');
    expect(cli(['GET', 'PHPREDIS_SESSION:abc'], REDIS_PASSWORD).stdout.trim()).toBe('cart=3');
    // It writes its log, AOF and pid where the rendered file says, as the redis user.
    expect(readFileSync(host.path('/var/log/redis/redis-server.log'), 'utf8')).toMatch(/Ready to accept connections/);
    expect(readdirSync(host.path('/var/lib/redis/appendonlydir')).some((f) => f.endsWith('.aof'))).toBe(true);
    expect(statSync(host.path('/run/redis/redis-server.pid')).isFile()).toBe(true);
  });
});

describe('iPresso: memcached from the rendered memcached.conf', () => {
  const lab = useLab('memcached');
  // Stage 3: memcached on servers of its own, the analytics daemons on others.
  const stack = new IpressoStack(Testing.app(), 'ipresso', { stage: IpressoStage.MACHINE_PER_INDIVIDUAL_FUNCTION });
  const server = stack.analyticsCache.cluster.instances[0];
  const client = stack.daemons.category('analytics').machines.instances[0];
  let host: LabHost;
  let analytics: LabHost;

  beforeAll(async () => {
    await lab.addHost('router', plannedRouter(stack));
    host = await lab.addHost(server.hostname, plannedHost(stack, server.hostname, { privateDirs: ['/srv'] }));
    // The rendered file, its pid file moved into the host's private folder (Debian's unit makes /run/memcached).
    const conf = hostFile(stack, server.hostname, '/etc/memcached.conf').replace(/^-P .*$/m, '-P /srv/memcached.pid');
    host.writeFile('/srv/memcached.conf', conf);
    // memcached.service: Debian's wrapper, as root, reads the file and starts memcached as memcache.
    await lab.spawn(host, ['/usr/share/memcached/scripts/systemd-memcached-wrapper', '/srv/memcached.conf'], { readyWhen: { tcp: { address: server.address, port: stack.analyticsCache.port } } });
    analytics = await lab.addHost(client.hostname, plannedHost(stack, client.hostname));
  }, 30000);

  test('given the rendered memcached.conf, when an analytics server stores and reads a result over the network, then it round-trips; no UDP, the items the file says', () => {
    const script = `import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
value = b"grouped activity sequences of client 7"
s.sendall(b"set hs:result:analytics:client-7 0 600 %d\\r\\n%s\\r\\nget hs:result:analytics:client-7\\r\\nstats settings\\r\\nquit\\r\\n" % (len(value), value))
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.decode())`;
    const r = lab.exec(analytics, ['python3', '-c', script, server.address, String(stack.analyticsCache.port)]);
    expect(r.stdout).toMatch(/^STORED\r$/m);
    expect(r.stdout).toMatch(/^VALUE hs:result:analytics:client-7 0 38\r\ngrouped activity sequences of client 7\r$/m);
    expect(r.stdout).toMatch(/^STAT udpport 0\r$/m);
    expect(r.stdout).toMatch(new RegExp(`^STAT maxbytes ${stack.analyticsCache.memoryMb * 1024 * 1024}\\r$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^STAT item_size_max ${stack.analyticsCache.maxItemMb * 1024 * 1024}\\r$`, 'm'));
  });
});
