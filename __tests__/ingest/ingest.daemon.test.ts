/**
 * Proves the SFTP drops and the ingest run for real. A private mount namespace is this test's
 * server: copies of /etc/passwd, group, shadow and gshadow holding the users the rendered sysusers
 * file made (systemd-sysusers --root), a scratch /etc/ssh with Debian's sshd_config, the rendered
 * drop-in and the accounts' authorized keys, and a scratch /srv; nothing of this machine's users or
 * files changes, and the namespace ends with its processes. In it: the rendered setup script, then
 * a real sshd on 127.0.0.1 (a free port, its own host key). Retailers upload with `sftp -b`.
 *
 * Then the rendered ingest run, as the unprivileged service user, against two MariaDB servers of
 * the test on 127.0.0.1: the staging one (started in the namespace, so its unix_socket login knows
 * the service user) and a target. Every process is stopped by its PID and waited for, on failure too.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { Flavor, PrivateVSwitch } from '../../lib';
import { MysqlReplication } from '../../lib/database/mysql-replication';
import {
  INGEST_AUTHORIZED_KEYS_DIR,
  INGEST_CONFIG_PATH,
  INGEST_DROP_GROUP,
  INGEST_DROP_ROOT,
  INGEST_INCOMING_DIR,
  INGEST_SERVICE_ACCOUNT,
  INGEST_STAGING_DATABASE,
  INGEST_STATE_DIR,
  INGEST_UPLOAD_UMASK,
  ingestStagingAccountSql,
  renderIngestScript,
  renderIngestSetupScript,
  renderIngestSysusers,
  renderSftpDropConfig,
} from '../../lib/ingest/ingest-config';
import { IngestServers } from '../../lib/ingest/ingest-servers';
import { DEBIAN_SSHD_CONFIG, requireBinary, run, scratch } from '../support/daemons';
import { freeLoopbackPort, LoopbackMariadb, startLoopbackMariadb } from '../support/loopback-mariadb';
import { hostFile, testStack } from '../support/synth';
import { OFFERS_FEED } from './fixtures';

const ACCOUNTS = ['acme', 'fonemart'];
const TARGET_PASSWORD = `tgt 'pw' "x" \\ $HOME ;`;
const SETTLE_SECONDS = 2;
const HEADER = 'sku;store;price;stock;picture_url';

const s = scratch('ingest-daemon');
const root = join(s.dir, 'root');
const etcSsh = join(s.dir, 'etc-ssh');
const srv = join(s.dir, 'srv');
const state = join(srv, 'ingest/.ingest');
const sysusers = join(s.dir, 'hosting-stacks-ingest.conf');
const setup = join(s.dir, 'setup.sh');
let sshd: ChildProcess | undefined;
let sshdLog = '';
let port = 0;
let staging: LoopbackMariadb | undefined;
let target: LoopbackMariadb | undefined;
let configFile = '';
let scriptFile = '';

/** Runs argv inside the test's mount namespace (the sshd's). */
function inNamespace(argv: string[], timeoutMs = 20000) {
  return run(['nsenter', '-t', String(sshd!.pid), '-m', '--', ...argv], { timeoutMs });
}

/** `sftp -b` as `account` with its key; the batch's commands, one a line. */
function sftp(account: string, commands: string[]) {
  const batch = s.write(`batch-${account}-${Date.now()}.txt`, `${commands.join('\n')}\n`);
  return run(['sftp', '-b', batch, ...sshOptions(account), `${account}@127.0.0.1`], { cwd: s.dir, timeoutMs: 20000 });
}

function sshOptions(account: string): string[] {
  return ['-i', join(s.dir, `key-${account}`), '-P', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR'];
}

/** One ingest run as the service unit runs it: the service user (and its groups), umask 0027, the credentials folder. */
function ingestRun() {
  return inNamespace(['setpriv', '--reuid', INGEST_SERVICE_ACCOUNT, '--regid', INGEST_SERVICE_ACCOUNT, '--init-groups', '--',
    'sh', '-c', 'umask 0027 && exec env CREDENTIALS_DIRECTORY="$0" /usr/bin/python3 "$1" "$2"', join(s.dir, 'credentials'), scriptFile, configFile], 60000);
}

function targetRows(): string {
  return target!.sql('SELECT retailer, sku, store, price, stock FROM catalog.offers ORDER BY retailer, sku, store').trim();
}

function upload(account: string, name: string, content: string, settled = true) {
  const local = s.write(`upload-${name}`, content);
  const r = sftp(account, [`put ${local} ${name}`]);
  expect(r.output).not.toMatch(/denied|failure|error/i);
  expect(r.ok).toBe(true);
  // Settled: as if the upload ended SETTLE_SECONDS ago (ctime too: the test waits for it).
  if (settled) utimesSync(join(srv, 'ingest', account, INGEST_INCOMING_DIR, name), new Date(Date.now() - 60000), new Date(Date.now() - 60000));
}

async function waitSettled(): Promise<void> {
  await new Promise((r) => setTimeout(r, (SETTLE_SECONDS + 1) * 1000));
}

function idOf(name: string): number {
  const line = readFileSync(join(root, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no user ${name} in the test's passwd`);
  return Number(line.split(':')[2]);
}

async function waitForPort(p: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${sshdLog}`);
    const open = await new Promise<boolean>((resolve) => {
      const c = createConnection({ host: '127.0.0.1', port: p }, () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${p}: ${sshdLog}`);
}

async function stopChild(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test makes a mount namespace and runs sshd and mariadbd: run it as root');
  for (const b of ['/usr/sbin/sshd', 'sftp', 'ssh', 'ssh-keygen', 'unshare', 'nsenter', 'setpriv', 'systemd-sysusers', '/usr/bin/python3', 'mariadb-dump']) requireBinary(b);
  chmodSync(s.dir, 0o755);

  // The users, as systemd-sysusers makes them from the rendered file, in copies of this machine's databases.
  mkdirSync(join(root, 'etc'), { recursive: true });
  for (const f of ['passwd', 'group', 'shadow', 'gshadow']) copyFileSync(join('/etc', f), join(root, 'etc', f));
  writeFileSync(sysusers, renderIngestSysusers({ serviceAccount: INGEST_SERVICE_ACCOUNT, dropGroup: INGEST_DROP_GROUP, stateDir: INGEST_STATE_DIR, accounts: ACCOUNTS }));
  const made = run(['systemd-sysusers', `--root=${root}`, sysusers]);
  if (!made.ok) throw new Error(`systemd-sysusers: ${made.output}`);

  // /etc/ssh as on a server: Debian's sshd_config, the rendered drop-in, a host key, the accounts' keys (root-owned).
  mkdirSync(join(etcSsh, 'sshd_config.d'), { recursive: true });
  mkdirSync(join(etcSsh, INGEST_AUTHORIZED_KEYS_DIR.replace('/etc/ssh/', '')), { recursive: true });
  copyFileSync(DEBIAN_SSHD_CONFIG, join(etcSsh, 'sshd_config'));
  writeFileSync(join(etcSsh, 'sshd_config.d/hosting-stacks-ingest.conf'), renderSftpDropConfig({
    group: INGEST_DROP_GROUP, chrootRoot: INGEST_DROP_ROOT, authorizedKeysDir: INGEST_AUTHORIZED_KEYS_DIR, startDir: INGEST_INCOMING_DIR, umask: INGEST_UPLOAD_UMASK,
  }));
  if (!run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(etcSsh, 'ssh_host_ed25519_key')]).ok) throw new Error('ssh-keygen failed');
  for (const account of ACCOUNTS) {
    if (!run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', account, '-f', join(s.dir, `key-${account}`)]).ok) throw new Error('ssh-keygen failed');
    writeFileSync(join(etcSsh, INGEST_AUTHORIZED_KEYS_DIR.replace('/etc/ssh/', ''), account), readFileSync(join(s.dir, `key-${account}.pub`)), { mode: 0o644 });
  }
  for (const d of [etcSsh, join(etcSsh, 'hosting-stacks-ingest'), join(etcSsh, INGEST_AUTHORIZED_KEYS_DIR.replace('/etc/ssh/', '')), join(etcSsh, 'sshd_config.d')]) chmodSync(d, 0o755);
  mkdirSync(srv, { mode: 0o755 });
  chmodSync(srv, 0o755);
  writeFileSync(setup, renderIngestSetupScript({ sysusersPath: sysusers, dropRoot: INGEST_DROP_ROOT, stateDir: INGEST_STATE_DIR, serviceAccount: INGEST_SERVICE_ACCOUNT, accounts: ACCOUNTS }), { mode: 0o700 });

  // The namespace: the copies bound over /etc's, /etc/ssh and /srv; /run a tmpfs (sshd's /run/sshd); the setup; sshd.
  port = await freeLoopbackPort();
  const script = [
    'set -e',
    'mount --make-rprivate /',
    ...['passwd', 'group', 'shadow', 'gshadow'].map((f) => `mount --bind "$1/etc/${f}" /etc/${f}`),
    'mount --bind "$2" /etc/ssh',
    'mount --bind "$3" /srv',
    'mount -t tmpfs hs-ingest-run /run',
    'mkdir -m 0755 /run/sshd',
    '"$4"',
    `exec /usr/sbin/sshd -D -e -o ListenAddress=127.0.0.1 -o Port=${port} -o PidFile=none`,
  ].join('\n');
  sshd = spawn('unshare', ['--mount', '--', 'bash', '-c', script, 'ingest-ns', root, etcSsh, srv, setup], { stdio: ['ignore', 'pipe', 'pipe'] });
  sshd.stdout!.on('data', (d) => { sshdLog += String(d); });
  sshd.stderr!.on('data', (d) => { sshdLog += String(d); });
  await waitForPort(port, sshd);

  // The staging server in the namespace (its unix_socket login resolves hs-ingest there), and a target.
  for (const d of ['staging', 'target']) mkdirSync(join(s.dir, d), { mode: 0o755 });
  staging = await startLoopbackMariadb(join(s.dir, 'staging'), { database: 'unused', user: 'unused', password: 'unused' }, { prefix: ['nsenter', '-t', String(sshd.pid), '-m', '--'] });
  staging.sql(ingestStagingAccountSql(INGEST_SERVICE_ACCOUNT, INGEST_STAGING_DATABASE));
  target = await startLoopbackMariadb(join(s.dir, 'target'), { database: 'catalog', user: 'app', password: TARGET_PASSWORD });

  // The run's config as the construct renders it, pointed at this test's state folder, staging socket and target.
  const stack = testStack();
  const data = new PrivateVSwitch(stack, 'Data', { cidr: '10.0.2.0/24' });
  const db = new MysqlReplication(stack, 'Db', { vswitch: data, flavor: Flavor.named('b3-16'), databaseName: 'catalog' });
  new IngestServers(stack, 'Ingest', { vswitch: data, flavor: Flavor.named('b3-32'), dropAccounts: ACCOUNTS.map((name) => ({ name, publicKeys: [readFileSync(join(s.dir, `key-${name}.pub`), 'utf8').trim()] })), feed: OFFERS_FEED, targets: [db], settleSeconds: 5 });
  const config = JSON.parse(hostFile(stack, 'ingest-1', INGEST_CONFIG_PATH));
  expect(config.dropRoot).toBe(INGEST_DROP_ROOT);
  expect(config.stateDir).toBe(INGEST_STATE_DIR);
  config.settleSeconds = SETTLE_SECONDS;
  config.staging.socket = staging.socket;
  config.targets[0].host = '127.0.0.1';
  config.targets[0].port = target.port;
  configFile = s.write('config.json', JSON.stringify(config));
  scriptFile = s.write('ingest.py', renderIngestScript());
  chmodSync(scriptFile, 0o755);
  // The credential as systemd hands it: a file of the service user's.
  mkdirSync(join(s.dir, 'credentials'), { mode: 0o700 });
  writeFileSync(join(s.dir, 'credentials', config.targets[0].credential), `${TARGET_PASSWORD}\n`, { mode: 0o400 });
  const service = idOf(INGEST_SERVICE_ACCOUNT);
  for (const p of [join(s.dir, 'credentials'), join(s.dir, 'credentials', config.targets[0].credential)]) chownSync(p, service, service);
}, 120000);

afterAll(async () => {
  await staging?.stop();
  await target?.stop();
  await stopChild(sshd);
  s.cleanup();
}, 60000);

describe('the SFTP drop accounts', () => {
  test('given the rendered setup, when run again, then nothing changes: the folders keep their owners and modes', () => {
    const before = inNamespace(['stat', '-c', '%n %U %G %a', ...ACCOUNTS.flatMap((a) => [`/srv/ingest/${a}`, `/srv/ingest/${a}/incoming`, `/srv/ingest/${a}/rejected`])]);
    const again = inNamespace([setup]);
    expect(again.output).toContain('2 drop accounts ready under /srv/ingest');
    expect(again.ok).toBe(true);
    const after = inNamespace(['stat', '-c', '%n %U %G %a', ...ACCOUNTS.flatMap((a) => [`/srv/ingest/${a}`, `/srv/ingest/${a}/incoming`, `/srv/ingest/${a}/rejected`])]);
    expect(after.output).toBe(before.output);
    expect(after.output).toContain('/srv/ingest/acme root root 755\n');
    expect(after.output).toContain('/srv/ingest/acme/incoming hs-ingest acme 2770\n');
    expect(after.output).toContain('/srv/ingest/acme/rejected hs-ingest acme 2750\n');
  });

  test('given an account, when it uploads with sftp -b, then the file lands in its incoming/, and its chroot holds only incoming/ and rejected/', () => {
    upload('acme', 'probe.csv', `${HEADER}\n`, false);
    expect(existsSync(join(srv, 'ingest/acme/incoming/probe.csv'))).toBe(true);
    const listing = sftp('acme', ['ls -1 /']);
    expect(listing.ok).toBe(true);
    expect(listing.output.split('\n').filter((l) => l.startsWith('/')).sort()).toEqual(['/incoming', '/rejected']);
    // Not taken by the run: it is taken once settled, so remove it for the tests below.
    expect(sftp('acme', ['rm probe.csv']).ok).toBe(true);
  });

  test('given an account, when it asks for a shell or a command, then it is refused', () => {
    const options = sshOptions('acme').map((o) => (o === '-P' ? '-p' : o));
    const command = run(['ssh', ...options, 'acme@127.0.0.1', 'id'], { timeoutMs: 20000 });
    expect(command.output).toContain('This service allows sftp connections only.');
    expect(command.output).not.toMatch(/uid=/);
    expect(command.ok).toBe(false);
    const tty = run(['ssh', '-tt', ...options, 'acme@127.0.0.1'], { timeoutMs: 20000 });
    expect(tty.output).not.toMatch(/uid=|\$ $/);
    expect(tty.ok).toBe(false);
  });

  test('given two accounts, then one cannot read nor write the other\'s files: not through its chroot, and not on the host either', () => {
    upload('acme', 'secret.csv', `${HEADER}\nA1;paris;1.00;1;\n`, false);
    const r = sftp('fonemart', ['get /../acme/incoming/secret.csv stolen.csv']);
    expect(r.ok).toBe(false);
    expect(existsSync(join(s.dir, 'stolen.csv'))).toBe(false);
    const host = inNamespace(['setpriv', '--reuid', 'fonemart', '--regid', 'fonemart', '--init-groups', '--', 'cat', '/srv/ingest/acme/incoming/secret.csv']);
    expect(host.output).toMatch(/Permission denied/);
    expect(host.ok).toBe(false);
    expect(sftp('acme', ['rm secret.csv']).ok).toBe(true);
  });
});

describe('the ingest run', () => {
  test('given a file still being written, then the run leaves it in incoming/ and nothing reaches the target', () => {
    upload('acme', 'offers-1.csv', `${HEADER}\nSM-A54;paris;349.90;12;https://img.example/a54.jpg\nSM-A54;lyon;339.00;3;\nIP-15;paris;969.00;0;https://img.example/ip15.jpg\n`, false);
    const r = ingestRun();
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
    expect(existsSync(join(srv, 'ingest/acme/incoming/offers-1.csv'))).toBe(true);
    expect(target!.sql("SHOW TABLES FROM catalog LIKE 'offers'").trim()).toBe('');
  });

  test('given the file settled, then its rows are in the target, the retailer column from the account, and the file archived', async () => {
    await waitSettled();
    const r = ingestRun();
    expect(r.output).toContain('acme: offers-1.csv: 3 rows upserted into offers of 1 databases');
    expect(r.ok).toBe(true);
    expect(targetRows()).toBe(['acme\tIP-15\tparis\t969.00\t0', 'acme\tSM-A54\tlyon\t339.00\t3', 'acme\tSM-A54\tparis\t349.90\t12'].join('\n'));
    expect(readdirSync(join(srv, 'ingest/acme/incoming'))).toEqual([]);
    expect(readdirSync(join(state, 'archive/acme'))).toEqual([expect.stringMatching(/^\d{8}T\d{6}Z-offers-1\.csv$/)]);
    // The table as the feed declares it: the retailer column first in the primary key.
    expect(target!.sql("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = 'catalog' AND TABLE_NAME = 'offers' AND CONSTRAINT_NAME = 'PRIMARY'").trim()).toBe('retailer,sku,store');
  });

  test('given a second file of the account and one of another account with the same skus, then the first upserts its own rows and the other adds its own', async () => {
    upload('acme', 'offers-2.csv', `${HEADER}\r\nSM-A54;paris;329.90;20;https://img.example/a54.jpg\r\nPX-8;paris;699.00;5;\r\n`);
    upload('fonemart', 'stock.csv', `${HEADER}\n"SM-A54";"paris";"359.00";"1";""\n`);
    await waitSettled();
    const r = ingestRun();
    expect(r.ok).toBe(true);
    expect(targetRows()).toBe([
      'acme\tIP-15\tparis\t969.00\t0',
      'acme\tPX-8\tparis\t699.00\t5',
      'acme\tSM-A54\tlyon\t339.00\t3',
      'acme\tSM-A54\tparis\t329.90\t20',
      'fonemart\tSM-A54\tparis\t359.00\t1',
    ].join('\n'));
  });

  test('given a file whose header names the retailer column, then it is rejected with a reason the account reads, and no row of another retailer changed', async () => {
    upload('fonemart', 'forged.csv', `retailer;${HEADER}\nacme;SM-A54;paris;1.00;999;\n`);
    await waitSettled();
    const r = ingestRun();
    expect(r.output).toContain("fonemart: forged.csv: rejected: the header is 'retailer;sku;store;price;stock;picture_url'");
    expect(r.ok).toBe(true);
    expect(targetRows()).toContain('acme\tSM-A54\tparis\t329.90\t20');
    const rejected = readdirSync(join(srv, 'ingest/fonemart/rejected')).sort();
    expect(rejected).toEqual([expect.stringMatching(/^\d{8}T\d{6}Z-forged\.csv$/), expect.stringMatching(/^\d{8}T\d{6}Z-forged\.csv\.reason\.txt$/)]);
    const got = sftp('fonemart', [`get /rejected/${rejected[1]} reason.txt`]);
    expect(got.ok).toBe(true);
    const reason = readFileSync(join(s.dir, 'reason.txt'), 'utf8');
    expect(reason).toContain("the header is 'retailer;sku;store;price;stock;picture_url'; it must be 'sku;store;price;stock;picture_url'");
    // Read-only: the account cannot remove or replace what the ingest put there.
    expect(sftp('fonemart', [`rm /rejected/${rejected[1]}`]).ok).toBe(false);
    expect(sftp('fonemart', [`put ${join(s.dir, 'reason.txt')} /rejected/mine.txt`]).ok).toBe(false);
  });

  test('given files with a duplicate key, an empty key, a value that does not fit its column, or no row, then each is rejected with its reason and the target is unchanged', async () => {
    const before = targetRows();
    upload('acme', 'dup.csv', `${HEADER}\nX1;paris;1.00;1;\nX1;paris;2.00;2;\n`);
    upload('acme', 'empty-key.csv', `${HEADER}\n;paris;1.00;1;\n`);
    upload('acme', 'bad-price.csv', `${HEADER}\nX2;paris;cheap;1;\n`);
    upload('acme', 'no-rows.csv', `${HEADER}\n`);
    await waitSettled();
    const r = ingestRun();
    expect(r.ok).toBe(true);
    expect(targetRows()).toBe(before);
    const reasons = Object.fromEntries(readdirSync(join(srv, 'ingest/acme/rejected'))
      .filter((f) => f.endsWith('.reason.txt'))
      .map((f) => [f.replace(/^\d{8}T\d{6}Z-/, '').replace(/\.reason\.txt$/, ''), readFileSync(join(srv, 'ingest/acme/rejected', f), 'utf8')]));
    expect(Object.keys(reasons).sort()).toEqual(['bad-price.csv', 'dup.csv', 'empty-key.csv', 'no-rows.csv']);
    expect(reasons['dup.csv']).toContain('1 keys (sku, store) are there more than once, e.g.:\n- X1 / paris (2 rows)');
    expect(reasons['empty-key.csv']).toContain('1 rows have an empty key (sku, store)');
    expect(reasons['bad-price.csv']).toMatch(/MariaDB could not load every row as declared:\n- .*price/);
    expect(reasons['no-rows.csv']).toContain('the file holds no row under its header');
  });

  test('given a target that refuses the connection, then the batch waits in pending/, the run fails, and it goes through at the next run once the target is back', async () => {
    target!.sql("ALTER USER 'app'@'127.0.0.1' ACCOUNT LOCK");
    upload('acme', 'offers-3.csv', `${HEADER}\nIP-15;paris;949.00;4;\n`);
    await waitSettled();
    const failed = ingestRun();
    expect(failed.output).toMatch(/target test\/Db \(127\.0\.0\.1:\d+\/catalog\): .*locked/i);
    expect(failed.ok).toBe(false);
    expect(readdirSync(join(state, 'pending'))).toHaveLength(1);
    expect(targetRows()).toContain('acme\tIP-15\tparis\t969.00\t0');
    target!.sql("ALTER USER 'app'@'127.0.0.1' ACCOUNT UNLOCK");
    const retried = ingestRun();
    expect(retried.output).toContain('acme: offers-3.csv: upserted on retry');
    expect(retried.ok).toBe(true);
    expect(readdirSync(join(state, 'pending'))).toEqual([]);
    expect(targetRows()).toContain('acme\tIP-15\tparis\t949.00\t4');
  });
});
