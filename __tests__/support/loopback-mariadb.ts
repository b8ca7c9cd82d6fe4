/**
 * A MariaDB of the test's own on 127.0.0.1: `mariadb-install-db` into a scratch folder, `mariadbd`
 * as the mysql user on a free port with its socket in that folder, one database and one account.
 * `stop()` ends it by its PID (SIGTERM, SIGKILL after 10 s) and waits; callers stop it on failure too.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { requireBinary, run } from './daemons';

export interface LoopbackMariadb {
  readonly port: number;
  /** The server's unix socket. */
  readonly socket: string;
  /** Runs SQL as root over the socket; throws with the client's output on failure. */
  sql(statement: string): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freeLoopbackPort(): Promise<number> {
  const s = createServer();
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => {
    const port = (s.address() as AddressInfo).port;
    s.close(() => resolve(port));
  }));
}

/** Options of {@link startLoopbackMariadb}. */
export interface LoopbackMariadbOptions {
  /**
   * Words run before `mariadbd` (e.g. `nsenter -t PID -m --`: the server then resolves the users of
   * that mount namespace, for unix_socket logins); the program must exec mariadbd, so its PID is the
   * server's. @default - none
   */
  readonly prefix?: readonly string[];
  /**
   * A rendered option file the server reads instead of none (`--defaults-file`): the deployed
   * durability settings (binary log, `sync_binlog`, flushes at commit). Its paths and address are
   * overridden to the test's own (`--bind-address`, `--port`, `--socket`, `--log-bin` in `dir`).
   * @default - none (`--no-defaults`, no binary log)
   */
  readonly optionFile?: string;
}

/** Starts MariaDB in `dir` (which must be traversable by mysql), with `database` and `user`@127.0.0.1 identified by `password`. */
export async function startLoopbackMariadb(dir: string, account: { readonly database: string; readonly user: string; readonly password: string }, options: LoopbackMariadbOptions = {}): Promise<LoopbackMariadb> {
  for (const b of ['mariadbd', 'mariadb-install-db', 'mariadb', 'mariadb-admin']) requireBinary(b);
  const data = join(dir, 'mariadb-data');
  mkdirSync(data);
  run(['chown', 'mysql:mysql', data]);
  const install = run(['mariadb-install-db', '--no-defaults', `--datadir=${data}`, '--user=mysql', '--skip-test-db'], { timeoutMs: 30000 });
  if (!install.ok) throw new Error(`mariadb-install-db: ${install.output}`);
  const port = await freeLoopbackPort();
  const socket = join(data, 'mysqld.sock');
  const argv = [...(options.prefix ?? []), 'mariadbd'];
  let defaults = ['--no-defaults'];
  let binlog = ['--skip-log-bin'];
  if (options.optionFile !== undefined) {
    const file = join(dir, 'my.cnf');
    writeFileSync(file, options.optionFile);
    chmodSync(file, 0o644);
    defaults = [`--defaults-file=${file}`];
    binlog = [`--log-bin=${join(data, 'mariadb-bin')}`, `--relay-log=${join(data, 'mariadb-relay')}`, `--log-error=${join(data, 'error.log')}`, `--pid-file=${join(data, 'mariadbd.pid')}`];
  }
  const child: ChildProcess = spawn(argv[0], [...argv.slice(1), ...defaults, `--datadir=${data}`, '--user=mysql', '--bind-address=127.0.0.1', `--port=${port}`, `--socket=${socket}`, ...binlog], { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  };
  const sql = (statement: string): string => {
    const r = run(['mariadb', '--protocol=socket', `--socket=${socket}`, '--user=root', '--batch', '--skip-column-names', '-e', statement], { timeoutMs: 10000 });
    if (!r.ok) throw new Error(`${statement}: ${r.output}`);
    return r.output;
  };
  try {
    const end = Date.now() + 20000;
    while (!run(['mariadb-admin', `--socket=${socket}`, '--user=root', 'ping']).ok) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`mariadbd did not start on 127.0.0.1:${port}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const quoted = account.password.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    sql(`CREATE DATABASE \`${account.database}\`; CREATE USER '${account.user}'@'127.0.0.1' IDENTIFIED BY '${quoted}'; GRANT ALL ON \`${account.database}\`.* TO '${account.user}'@'127.0.0.1';`);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, socket, sql, stop };
}
