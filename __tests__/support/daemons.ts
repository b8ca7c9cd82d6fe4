/**
 * Runs the real daemons' own config checks on rendered configs. A missing binary is a failure,
 * never a skip: `npm test` installs the Debian packages first (scripts/install-test-deps.sh).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Outcome of a daemon's config check. */
export interface CheckResult {
  /** True when the daemon accepted the config. */
  readonly ok: boolean;
  /** What the check printed (stdout and stderr). */
  readonly output: string;
}

/** Throws unless `binary` is installed. */
export function requireBinary(binary: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${binary} is not installed: run scripts/install-test-deps.sh (npm test does)`);
  return r.stdout.trim();
}

/** Runs a command with a time bound and returns its result. */
export function run(argv: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): CheckResult & { status: number | null } {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', cwd: options.cwd, timeout: options.timeoutMs ?? 20000, env: options.env ?? process.env });
  return { ok: r.status === 0, status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** A scratch folder for one check; removed by the returned cleanup. */
export function scratch(prefix: string): { dir: string; write: (rel: string, content: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `hs-${prefix}-`));
  return {
    dir,
    write: (rel, content) => {
      const p = join(dir, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `haproxy -c -f` on a config. */
export function checkHaproxy(config: string): CheckResult {
  requireBinary('haproxy');
  const s = scratch('haproxy');
  try {
    return run(['haproxy', '-c', '-q', '-f', s.write('haproxy.cfg', config)]);
  } finally {
    s.cleanup();
  }
}

/** `nft -c -f` on a ruleset (checks without loading it). */
export function checkNftables(ruleset: string): CheckResult {
  requireBinary('nft');
  const s = scratch('nft');
  try {
    return run(['nft', '-c', '-f', s.write('nftables.conf', ruleset)]);
  } finally {
    s.cleanup();
  }
}

/** `xmllint --noout` on an XML document (well-formedness). */
export function checkXml(xml: string): CheckResult {
  requireBinary('xmllint');
  const s = scratch('xml');
  try {
    return run(['xmllint', '--noout', s.write('doc.xml', xml)]);
  } finally {
    s.cleanup();
  }
}

let nsCounter = 0;

/**
 * Runs `fn` inside a fresh network namespace whose interfaces are veth ends with the given names
 * (e.g. `eth0`), then deletes the namespace. The namespace is this test's own host.
 */
export function withNetns<T>(interfaces: string[], fn: (ns: string) => T): T {
  requireBinary('ip');
  const ns = `hs-${process.pid}-${nsCounter++}`;
  const add = run(['ip', 'netns', 'add', ns]);
  if (!add.ok) throw new Error(`cannot create network namespace ${ns}: ${add.output}`);
  try {
    interfaces.forEach((name, i) => {
      const r = run(['ip', '-n', ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `hsp${i}`]);
      if (!r.ok) throw new Error(`cannot create veth ${name} in ${ns}: ${r.output}`);
      run(['ip', '-n', ns, 'link', 'set', name, 'up']);
    });
    return fn(ns);
  } finally {
    run(['ip', 'netns', 'del', ns]);
  }
}

/** `keepalived -t -f` inside a namespace that has the named interfaces. */
export function checkKeepalived(config: string, interfaces: string[] = ['eth0']): CheckResult {
  requireBinary('keepalived');
  const s = scratch('keepalived');
  try {
    const file = s.write('keepalived.conf', config);
    return withNetns(interfaces, (ns) => run(['ip', 'netns', 'exec', ns, 'keepalived', '-t', '-f', file]));
  } finally {
    s.cleanup();
  }
}

/**
 * `apache2 -t -f` on a complete, self-contained apache2.conf (it loads its own modules).
 * `extraFiles` are written relative to the scratch folder and `@SCRATCH@` in the config is replaced by it.
 */
export function checkApache(config: string, extraFiles: Record<string, string> = {}): CheckResult {
  requireBinary('apache2');
  const s = scratch('apache');
  try {
    for (const [rel, content] of Object.entries(extraFiles)) s.write(rel, content.split('@SCRATCH@').join(s.dir));
    const file = s.write('apache2.conf', config.split('@SCRATCH@').join(s.dir));
    return run(['apache2', '-t', '-f', file], { env: { ...process.env, APACHE_RUN_DIR: s.dir, APACHE_LOCK_DIR: s.dir, APACHE_LOG_DIR: s.dir, APACHE_PID_FILE: join(s.dir, 'apache2.pid'), APACHE_RUN_USER: 'www-data', APACHE_RUN_GROUP: 'www-data' } });
  } finally {
    s.cleanup();
  }
}

/** `php-fpm8.2 -t -y` on a php-fpm.conf; `@SCRATCH@` is replaced by the scratch folder. */
export function checkPhpFpm(config: string, extraFiles: Record<string, string> = {}): CheckResult {
  requireBinary('php-fpm8.2');
  const s = scratch('phpfpm');
  try {
    for (const [rel, content] of Object.entries(extraFiles)) s.write(rel, content.split('@SCRATCH@').join(s.dir));
    return run(['php-fpm8.2', '-t', '-y', s.write('php-fpm.conf', config.split('@SCRATCH@').join(s.dir))]);
  } finally {
    s.cleanup();
  }
}

/** `nginx -t` with the prefix set to a scratch folder; `@SCRATCH@` in the config is replaced by it. */
export function checkNginx(config: string, extraFiles: Record<string, string> = {}): CheckResult {
  requireBinary('nginx');
  const s = scratch('nginx');
  try {
    for (const [rel, content] of Object.entries(extraFiles)) s.write(rel, content.split('@SCRATCH@').join(s.dir));
    const file = s.write('nginx.conf', config.split('@SCRATCH@').join(s.dir));
    return run(['nginx', '-t', '-q', '-c', file, '-p', `${s.dir}/`]);
  } finally {
    s.cleanup();
  }
}

/** MariaDB's own option parsing (`mariadbd --defaults-file=F --help --verbose`), as the daemon user. */
export function checkMariadb(config: string): CheckResult {
  requireBinary('mariadbd');
  const s = scratch('mariadb');
  try {
    const file = s.write('my.cnf', config);
    return run(['mariadbd', `--defaults-file=${file}`, '--user=mysql', '--help', '--verbose']);
  } finally {
    s.cleanup();
  }
}

/**
 * `systemd-analyze verify` of a unit inside a scratch root holding the stock units and a stub
 * executable at every absolute `Exec*=` path, so a unit whose program is installed later by
 * cloud-init (e.g. /opt/wildfly/bin/standalone.sh) is still verified. The command exits 0 on many
 * parse errors, so any output counts as a failure too.
 */
export function checkSystemdUnit(unit: string, name: string): CheckResult {
  requireBinary('systemd-analyze');
  const s = scratch('systemd-root');
  try {
    mkdirSync(join(s.dir, 'usr/lib/systemd'), { recursive: true });
    cpSync('/lib/systemd/system', join(s.dir, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    const executables = [...unit.matchAll(/^Exec[A-Za-z]*=[-@:+!]*(\/\S+)/gm)].map((m) => m[1]);
    for (const exe of executables) chmodSync(s.write(exe.slice(1), '#!/bin/sh\n'), 0o755);
    s.write(`etc/systemd/system/${name}`, unit);
    const r = run(['systemd-analyze', 'verify', `--root=${s.dir}`, `/etc/systemd/system/${name}`]);
    return { ok: r.ok && r.output.trim() === '', output: r.output };
  } finally {
    s.cleanup();
  }
}
