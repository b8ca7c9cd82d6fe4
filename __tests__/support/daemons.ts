/**
 * Runs the real daemons' own config checks on rendered configs. A missing binary is a failure,
 * never a skip: `npm test` installs the Debian packages first (scripts/install-test-deps.sh).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * Throws unless this machine can run the lab (root, and each binary installed): a lab test fails,
 * never skips, where it cannot run. `npm test` installs what it needs (scripts/install-test-deps.sh).
 */
export function requireLabHost(binaries: readonly string[]): void {
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces, nftables, systemd-nspawn): run the tests as root');
  for (const b of binaries) requireBinary(b);
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

/** Evaluates an XPath expression over `xml` with xmllint (a real XML parser); its string result. */
export function xpath(xml: string, expression: string): string {
  requireBinary('xmllint');
  const s = scratch('xpath');
  try {
    const r = run(['xmllint', '--xpath', expression, s.write('doc.xml', xml)]);
    if (!r.ok) throw new Error(`xmllint --xpath ${expression}: ${r.output}`);
    return r.output.replace(/\n$/, '');
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

/**
 * `keepalived -t -f` inside a namespace that has the named interfaces. `includes` maps a path the
 * config includes (a file written at boot on the server) to the content it has there.
 */
export function checkKeepalived(config: string, interfaces: string[] = ['ens3'], includes: Record<string, string> = {}): CheckResult {
  requireBinary('keepalived');
  const s = scratch('keepalived');
  try {
    Object.entries(includes).forEach(([path, content], i) => {
      config = config.split(`include ${path}\n`).join(`include ${s.write(`include-${i}.conf`, content)}\n`);
    });
    const file = s.write('keepalived.conf', config);
    return withNetns(interfaces, (ns) => run(['ip', 'netns', 'exec', ns, 'keepalived', '-t', '-f', file]));
  } finally {
    s.cleanup();
  }
}

/**
 * `keepalived -t` on a config as the server runs it: where it includes the boot-time definition of
 * `$NIC` (hosting-stacks-nic), that include defines `$NIC` as `nic` and the namespace has that interface.
 */
export function checkKeepalivedAsOnServer(config: string, nic = 'ens3'): CheckResult {
  const include = '/run/hosting-stacks/keepalived-nic.conf';
  return config.includes(`include ${include}`) ? checkKeepalived(config, [nic], { [include]: `$NIC=${nic}\n` }) : checkKeepalived(config, [nic]);
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

/** Options of {@link checkNginx}. */
export interface NginxCheckOptions {
  /**
   * Run `nginx -t` (which binds every `listen`) in a fresh network namespace with
   * `net.ipv4.ip_nonlocal_bind=1`, as on a VRRP node whose nginx binds a VIP it may not hold.
   * @default false
   */
  readonly nonlocalBind?: boolean;
}

/** `nginx -t` with the prefix set to a scratch folder; `@SCRATCH@` in the config is replaced by it. */
export function checkNginx(config: string, extraFiles: Record<string, string> = {}, options: NginxCheckOptions = {}): CheckResult {
  requireBinary('nginx');
  const s = scratch('nginx');
  try {
    for (const [rel, content] of Object.entries(extraFiles)) s.write(rel, content.split('@SCRATCH@').join(s.dir));
    const file = s.write('nginx.conf', config.split('@SCRATCH@').join(s.dir));
    const argv = ['nginx', '-t', '-q', '-c', file, '-p', `${s.dir}/`];
    if (!options.nonlocalBind) return run(argv);
    return withNetns([], (ns) => {
      const sysctl = run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_nonlocal_bind=1']);
      if (!sysctl.ok) return sysctl;
      run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      return run(['ip', 'netns', 'exec', ns, ...argv]);
    });
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

/** `systemd-sysusers --dry-run` of a sysusers.d file in a scratch root (nothing of this machine's users is touched). */
export function checkSysusers(content: string): CheckResult {
  requireBinary('systemd-sysusers');
  const s = scratch('sysusers');
  try {
    mkdirSync(join(s.dir, 'etc'), { recursive: true });
    const r = run(['systemd-sysusers', '--dry-run', `--root=${s.dir}`, s.write('users.conf', content)]);
    // The dry run's own lines ("Creating user ...", "Would write ...") are not problems; a bad or ignored line is.
    const bad = !r.ok || /Failed|Invalid|ignoring/i.test(r.output);
    return { ok: !bad, output: bad ? r.output : '' };
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
    // A socket unit starts a service of its name (a template with Accept=yes), another host file
    // checked on its own: a stand-in takes its place here.
    const socket = /^(.+)\.socket$/.exec(name);
    if (socket && !/^\s*Service\s*=/m.test(unit)) {
      const accept = /^\s*Accept\s*=\s*(yes|true|1|on)\s*$/im.test(unit);
      s.write(`etc/systemd/system/${socket[1]}${accept ? '@' : ''}.service`, `[Service]\nExecStart=/bin/true\n${accept ? 'StandardInput=socket\n' : ''}`);
    }
    const r = run(['systemd-analyze', 'verify', `--root=${s.dir}`, `/etc/systemd/system/${name}`]);
    return { ok: r.ok && r.output.trim() === '', output: r.output };
  } finally {
    s.cleanup();
  }
}

/**
 * `systemd-analyze verify` of the stock unit `unit` (from /lib/systemd/system, its package must be
 * installed here) with the drop-in `name` in `/etc/systemd/system/<unit>.d/`: the drop-in's keys are
 * parsed in the section they are written in, as systemd would on the host.
 */
export function checkSystemdDropIn(content: string, unit: string, name: string): CheckResult {
  requireBinary('systemd-analyze');
  if (!existsSync(join('/lib/systemd/system', unit))) return { ok: false, output: `${unit} is not installed here: the drop-in ${name} cannot be checked against it` };
  const s = scratch('systemd-root');
  try {
    mkdirSync(join(s.dir, 'usr/lib/systemd'), { recursive: true });
    cpSync('/lib/systemd/system', join(s.dir, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    s.write(`etc/systemd/system/${unit}.d/${name}`, content);
    const r = run(['systemd-analyze', 'verify', `--root=${s.dir}`, unit]);
    // The stock unit's own programs are not in the scratch root: only lines naming the drop-in count.
    const problems = r.output.split('\n').filter((l) => l.includes(name) || /Unknown (key|section)|Invalid|Failed to parse/i.test(l));
    return { ok: problems.length === 0, output: problems.join('\n') };
  } finally {
    s.cleanup();
  }
}

/**
 * Starts `redis-server` on the config with `port 0` and a unix socket in a scratch folder (so no
 * TCP port is opened, whatever `bind`/`port` say), waits up to 2 s for the socket, then stops it
 * (kill + wait). Redis has no check flag: a bad file prints `FATAL CONFIG FILE ERROR` and exits.
 * `extraFiles` are written relative to the scratch folder and `@SCRATCH@` is replaced by it;
 * `include` lines naming other paths are dropped (each included file is checked on its own).
 */
export function checkRedis(config: string, extraFiles: Record<string, string> = {}): CheckResult {
  requireBinary('redis-server');
  const s = scratch('redis');
  try {
    for (const [rel, content] of Object.entries(extraFiles)) s.write(rel, content.split('@SCRATCH@').join(s.dir));
    const text = config.split('@SCRATCH@').join(s.dir).replace(/^\s*include\s+(\S+)\s*$/gm, (line, path: string) => (path.startsWith(s.dir) ? line : '# include dropped for the check'));
    const file = s.write('redis.conf', text);
    const script = [
      'redis-server "$1" --port 0 --unixsocket "$2/redis.sock" --dir "$2" --pidfile "$2/redis.pid" --logfile "" --daemonize no --supervised no &',
      'pid=$!',
      'for i in $(seq 1 40); do [ -S "$2/redis.sock" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done',
      'if [ -S "$2/redis.sock" ]; then kill "$pid"; wait "$pid" || true; exit 0; fi',
      'kill "$pid" 2>/dev/null || true; wait "$pid" || true; echo "redis-server did not open its socket within 2 s"; exit 1',
    ].join('\n');
    const r = run(['bash', '-c', script, 'check-redis', file, s.dir], { timeoutMs: 10000 });
    return { ok: r.ok && !/FATAL|Bad directive|wrong number of arguments/.test(r.output), output: r.output };
  } finally {
    s.cleanup();
  }
}

/**
 * A PHP ini file read by the CLI as a `conf.d` file next to the Debian extensions' own (so
 * `opcache.*` and `redis.*` keys are known): fails on a parse error (PHP prints it and still exits
 * 0) and on any key PHP does not know (PHP ignores those silently). `php -n -c FILE` alone would
 * load no extension and pass both.
 */
export function checkPhpIni(ini: string, phpVersion = '8.2'): CheckResult {
  requireBinary(`php${phpVersion}`);
  const s = scratch('phpini');
  try {
    const file = s.write('conf.d/99-check.ini', ini);
    const base = s.write('php.ini', '');
    const script = [
      '$f = $argv[1];',
      '$data = parse_ini_file($f, true, INI_SCANNER_RAW);',
      'if ($data === false) { fwrite(STDERR, "cannot parse $f\\n"); exit(1); }',
      '$bad = [];',
      'foreach ($data as $section => $values) { foreach ((is_array($values) ? $values : [$section => $values]) as $k => $v) { if (ini_get($k) === false) $bad[] = $k; } }',
      'if ($bad) { fwrite(STDERR, "unknown ini keys: " . implode(", ", $bad) . "\\n"); exit(1); }',
      'echo "ini OK\\n";',
    ].join(' ');
    const r = run([`php${phpVersion}`, '-c', base, '-d', 'display_startup_errors=1', '-r', script, file], {
      env: { ...process.env, PHP_INI_SCAN_DIR: `/etc/php/${phpVersion}/cli/conf.d:${join(s.dir, 'conf.d')}` },
    });
    const clean = r.output.trim() === 'ini OK';
    return { ok: r.ok && clean, output: r.output };
  } finally {
    s.cleanup();
  }
}

/** `php-fpm -t` on a pool file, inside a minimal global config that includes it. */
export function checkPhpFpmPool(pool: string, phpVersion = '8.2'): CheckResult {
  const main = `[global]\npid = @SCRATCH@/php-fpm.pid\nerror_log = @SCRATCH@/php-fpm.log\ninclude = @SCRATCH@/pool.conf\n`;
  return phpVersion === '8.2' ? checkPhpFpm(main, { 'pool.conf': pool }) : { ok: false, output: `no php-fpm${phpVersion} checker` };
}

/**
 * `php-fpm -t` on a main php-fpm.conf whose `include` lines are pointed at a minimal pool in the
 * scratch folder (the real pool files are checked on their own with {@link checkPhpFpmPool}).
 */
export function checkPhpFpmMain(config: string): CheckResult {
  const stubPool = '[check]\nuser = www-data\ngroup = www-data\nlisten = @SCRATCH@/check.sock\npm = static\npm.max_children = 1\n';
  const text = config.replace(/^(\s*include\s*=\s*).*$/gm, '$1@SCRATCH@/stub-pool.conf');
  return checkPhpFpm(text.includes('@SCRATCH@/stub-pool.conf') ? text : `${text}\ninclude = @SCRATCH@/stub-pool.conf\n`, { 'stub-pool.conf': stubPool });
}

/**
 * WireGuard's own parsers on a wg-quick file named `<iface>.conf`: `wg-quick strip` (file name,
 * wg-quick keys), then `wg setconf` on the result, which parses every key, public and private key
 * and AllowedIPs before it talks to the kernel. This kernel has no wireguard module, so a file that
 * parses ends in "Unable to modify interface"; a parse error ends in "Configuration parsing error".
 * Each `Address` is also added to a veth in a fresh namespace, as wg-quick would.
 */
export function checkWireguard(config: string, fileName = 'wg0.conf'): CheckResult {
  requireBinary('wg');
  requireBinary('wg-quick');
  if (!/^[a-zA-Z0-9_=+.-]{1,15}\.conf$/.test(fileName)) return { ok: false, output: `wg-quick needs a file named <interface>.conf, not ${fileName}` };
  const s = scratch('wireguard');
  try {
    const file = s.write(fileName, config);
    chmodSync(file, 0o600);
    const strip = run(['wg-quick', 'strip', file]);
    if (!strip.ok) return strip;
    const stripped = s.write('stripped.conf', strip.output.replace(/^Warning: .*\n/gm, ''));
    const set = run(['wg', 'setconf', `hs-check-${process.pid % 1000}`, stripped]);
    const parsed = set.ok || (/Unable to modify interface/.test(set.output) && !/parsing error|unrecognized|not the correct|Unable to parse/i.test(set.output));
    if (!parsed) return { ok: false, output: set.output };
    const addresses = [...config.matchAll(/^\s*Address\s*=\s*(.+)$/gim)].flatMap((m) => m[1].split(',').map((a) => a.trim()));
    const bad = withNetns(['wg0'], (ns) => addresses.map((a) => run(['ip', '-n', ns, 'addr', 'add', a, 'dev', 'wg0'])).filter((r) => !r.ok));
    return bad.length ? { ok: false, output: bad.map((r) => r.output).join('') } : { ok: true, output: '' };
  } finally {
    s.cleanup();
  }
}

/**
 * nfs-kernel-server's own parser on an `/etc/exports`: `exportfs -r -v` inside a private mount
 * namespace (unshare) where the file is bind-mounted over /etc/exports and /var/lib/nfs,
 * /etc/exports.d, /proc/fs/nfsd and /srv are empty tmpfs, so nothing of the host is read or
 * exported. Export paths must be under /srv (they are created in that tmpfs). Any warning fails
 * too: exportfs accepts `/srv/x 10.0.0.0/24 (rw)` (a world-writable export) with a warning only.
 */
export function checkNfsExports(exports: string): CheckResult {
  requireBinary('exportfs');
  requireBinary('unshare');
  const paths = [...new Set(exports.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/)[0]))];
  const outside = paths.filter((p) => !/^\/srv\/[A-Za-z0-9._/-]+$/.test(p) || p.split('/').includes('..'));
  if (outside.length) return { ok: false, output: `checkNfsExports: export paths must be under /srv for the check: ${outside.join(', ')}` };
  const s = scratch('exports');
  try {
    const file = s.write('exports', exports);
    const script = [
      'set -e',
      'mount --make-rprivate /',
      'mount -t tmpfs hs-check /srv',
      'for p in "${@:2}"; do mkdir -p "$p"; done',
      'mount --bind "$1" /etc/exports',
      'mount -t tmpfs hs-check /var/lib/nfs',
      'mkdir -p /etc/exports.d && mount -t tmpfs hs-check /etc/exports.d',
      'mount -t tmpfs hs-check /proc/fs/nfsd',
      'exportfs -r',
      'exportfs -s',
    ].join('\n');
    const r = run(['unshare', '--mount', '--', 'bash', '-c', script, 'check-exports', file, ...paths], { timeoutMs: 10000 });
    const warnings = r.output.split('\n').filter((l) => /^exportfs:|^\s+(Assuming|NOTE)/.test(l));
    return { ok: r.ok && warnings.length === 0, output: r.output };
  } finally {
    s.cleanup();
  }
}

/**
 * openstacksdk's own loader on a `clouds.yaml` (Debian's python3-openstackclient, as on the hosts):
 * parses the YAML, then builds every cloud's keystoneauth plugin, which fails on an unknown
 * `auth_type` or a missing required option. Environment variables are ignored; nothing is contacted.
 */
export function checkOpenstackClouds(content: string): CheckResult {
  requireBinary('openstack');
  const s = scratch('clouds');
  try {
    const file = s.write('clouds.yaml', content);
    const script = [
      'import sys',
      'import openstack.config',
      'config = openstack.config.OpenStackConfig(config_files=[sys.argv[1]], vendor_files=[], secure_files=[], load_envvars=False)',
      'names = config.get_cloud_names()',
      'if not names: sys.exit("no cloud is defined")',
      'for name in names: config.get_one(cloud=name).get_auth()',
    ].join('\n');
    return run(['/usr/bin/python3', '-c', script, file], { env: { PATH: process.env.PATH, HOME: s.dir } });
  } finally {
    s.cleanup();
  }
}

/**
 * Whether the real `openstack` CLI accepts `argv` (its words after `openstack`): it runs with
 * authentication off and an endpoint on a closed loopback port, so it parses the command line and
 * stops at the first API call. Parse errors exit 2 with `usage:`; an accepted line fails to reach the endpoint.
 * `localFiles` (relative paths) are created empty in its working folder for the commands that upload them.
 */
export function checkOpenstackCommandLine(argv: string[], localFiles: string[] = []): CheckResult {
  // Each run starts the whole client (seconds): a command line already checked in this test file is not run again.
  const key = JSON.stringify([argv, localFiles]);
  if (!openstackChecked.has(key)) openstackChecked.set(key, runOpenstackCommandLine(argv, localFiles));
  return openstackChecked.get(key)!;
}

const openstackChecked = new Map<string, CheckResult>();

function runOpenstackCommandLine(argv: string[], localFiles: string[]): CheckResult {
  requireBinary('openstack');
  const s = scratch('osc');
  try {
    // Files the command reads (uploads) are opened before any API call: give it empty ones.
    for (const f of localFiles) s.write(f, '');
    const r = run(['openstack', ...argv], { env: { PATH: process.env.PATH, HOME: s.dir, OS_AUTH_TYPE: 'none', OS_ENDPOINT: 'http://127.0.0.1:9' }, cwd: s.dir });
    // Past the parser, the first API call (or version discovery) fails on the closed port.
    const parsed = r.status !== 2 && !/^usage: /m.test(r.output) && /http:\/\/127\.0\.0\.1:9\b|Connection refused/.test(r.output);
    return { ok: parsed, output: `openstack ${argv.join(' ')}\n${r.output}` };
  } finally {
    s.cleanup();
  }
}

/** `promtool check rules` on an alerting/recording rules file. */
export function checkPrometheusRules(rules: string): CheckResult {
  requireBinary('promtool');
  const s = scratch('promrules');
  try {
    return run(['promtool', 'check', 'rules', s.write('rules.yml', rules)]);
  } finally {
    s.cleanup();
  }
}

/**
 * `promtool check config` on a `prometheus.yml`. Its `rule_files` are checked too, so they must
 * resolve: each listed path is rewritten into the scratch folder, holding the content given in
 * `ruleFiles` (by the path the config names) or an empty rule file (`groups: []`).
 */
export function checkPrometheusConfig(config: string, ruleFiles: Record<string, string> = {}): CheckResult {
  requireBinary('promtool');
  const s = scratch('promcfg');
  try {
    let n = 0;
    const rewritten = config.replace(/^(\s*-\s*)"?(\/[^"\s]+)"?\s*$/gm, (line, dash: string, path: string) => {
      if (!/\.ya?ml$/.test(path)) return line;
      const local = s.write(`rules-${n++}.yml`, ruleFiles[path] ?? 'groups: []\n');
      return `${dash}${JSON.stringify(local)}`;
    });
    return run(['promtool', 'check', 'config', s.write('prometheus.yml', rewritten)]);
  } finally {
    s.cleanup();
  }
}

/** `amtool check-config` on an `alertmanager.yml`. */
export function checkAlertmanager(config: string): CheckResult {
  requireBinary('amtool');
  const s = scratch('amcfg');
  try {
    return run(['amtool', 'check-config', s.write('alertmanager.yml', config)]);
  } finally {
    s.cleanup();
  }
}

/** `prometheus-blackbox-exporter --config.check` on a `blackbox.yml` (parses the modules, starts nothing). */
export function checkBlackbox(config: string): CheckResult {
  requireBinary('prometheus-blackbox-exporter');
  const s = scratch('blackbox');
  try {
    const r = run(['prometheus-blackbox-exporter', '--config.check', `--config.file=${s.write('blackbox.yml', config)}`]);
    return { ok: r.ok && /Config file is ok/.test(r.output), output: r.output };
  } finally {
    s.cleanup();
  }
}

/** `php -l` on a PHP script (syntax only; Debian's php8.2-cli). */
export function checkPhp(script: string): CheckResult {
  requireBinary('php');
  const s = scratch('php');
  try {
    return run(['php', '-l', s.write('script.php', script)]);
  } finally {
    s.cleanup();
  }
}

/** `python3 -m py_compile` on a Python 3 program (syntax only). */
export function checkPython(program: string): CheckResult {
  requireBinary('python3');
  const s = scratch('py');
  try {
    const file = s.write('program.py', program);
    return run(['python3', '-c', 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[1] + "c", doraise=True)', file]);
  } finally {
    s.cleanup();
  }
}

/**
 * `haproxy -c -q` on a config whose `crt` files do not exist here (the certificate bundle is a
 * sensitive variable written by cloud-init): a throw-away self-signed RSA certificate and key are
 * made by `openssl req -x509` in a scratch folder and every `crt <path>` points at that bundle.
 * With `warningsFail`, `-dW` makes any warning fail the check too.
 */
export function checkHaproxyWithTestCertificate(config: string, options: { warningsFail?: boolean } = {}): CheckResult {
  requireBinary('haproxy');
  requireBinary('openssl');
  const s = scratch('haproxy-tls');
  try {
    const key = join(s.dir, 'key.pem');
    const cert = join(s.dir, 'cert.pem');
    const made = run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=check.invalid', '-keyout', key, '-out', cert]);
    if (!made.ok) return { ok: false, output: `openssl could not make a test certificate: ${made.output}` };
    const bundle = s.write('bundle.pem', `${readFileSync(cert, 'utf8')}${readFileSync(key, 'utf8')}`);
    const text = config.replace(/(\scrt\s+)\S+/g, `$1${bundle}`);
    return run(['haproxy', '-c', '-q', ...(options.warningsFail ? ['-dW'] : []), '-f', s.write('haproxy.cfg', text)]);
  } finally {
    s.cleanup();
  }
}

/**
 * `nginx -t` (as {@link checkNginx}) on a config whose `ssl_certificate` and `ssl_certificate_key`
 * files do not exist here (they come from sensitive variables at boot): a throw-away self-signed
 * certificate and key are made by `openssl req -x509` in the scratch prefix and both directives
 * point at them.
 */
export function checkNginxWithTestCertificate(config: string, extraFiles: Record<string, string> = {}, options: NginxCheckOptions = {}): CheckResult {
  requireBinary('openssl');
  const s = scratch('nginx-tls-material');
  try {
    const key = join(s.dir, 'key.pem');
    const cert = join(s.dir, 'cert.pem');
    const made = run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=check.invalid', '-keyout', key, '-out', cert]);
    if (!made.ok) return { ok: false, output: `openssl could not make a test certificate: ${made.output}` };
    const text = config
      .replace(/^(\s*ssl_certificate\s+)\S+;/gm, '$1@SCRATCH@/tls/cert.pem;')
      .replace(/^(\s*ssl_certificate_key\s+)\S+;/gm, '$1@SCRATCH@/tls/key.pem;');
    return checkNginx(text, { ...extraFiles, 'tls/cert.pem': readFileSync(cert, 'utf8'), 'tls/key.pem': readFileSync(key, 'utf8') }, options);
  } finally {
    s.cleanup();
  }
}

/**
 * `apache2 -t` (as {@link checkApache}) on a config whose `SSLCertificateFile` and
 * `SSLCertificateKeyFile` do not exist here (they come from sensitive variables at boot): a
 * throw-away self-signed certificate and key are made by `openssl req -x509` and both directives
 * point at them. mod_ssl loads and checks the pair at `-t`, so a mismatched or unreadable pair fails.
 */
export function checkApacheWithTestCertificate(config: string, extraFiles: Record<string, string> = {}): CheckResult {
  requireBinary('openssl');
  const s = scratch('apache-tls-material');
  try {
    const key = join(s.dir, 'key.pem');
    const cert = join(s.dir, 'cert.pem');
    const made = run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=check.invalid', '-keyout', key, '-out', cert]);
    if (!made.ok) return { ok: false, output: `openssl could not make a test certificate: ${made.output}` };
    const text = config
      .replace(/^(\s*SSLCertificateFile\s+)\S+$/gm, '$1"@SCRATCH@/tls/cert.pem"')
      .replace(/^(\s*SSLCertificateKeyFile\s+)\S+$/gm, '$1"@SCRATCH@/tls/key.pem"');
    return checkApache(text, { ...extraFiles, 'tls/cert.pem': readFileSync(cert, 'utf8'), 'tls/key.pem': readFileSync(key, 'utf8') });
  } finally {
    s.cleanup();
  }
}

/** Debian's stock sshd_config (package openssh-server): it includes `/etc/ssh/sshd_config.d/*.conf` on its first line. */
export const DEBIAN_SSHD_CONFIG = '/etc/ssh/sshd_config';

/**
 * `sshd -t` on an sshd_config drop-in as a server reads it: Debian's own sshd_config with its
 * `Include` pointed at the drop-in (so a Match block that leaked past the file's end would swallow
 * Debian's lines and fail), a throw-away host key, and `/run/sshd` (the privilege separation
 * folder) on a tmpfs of a private mount namespace, so nothing of this machine is changed.
 */
export function checkSshd(dropIn: string): CheckResult {
  const sshd = requireBinary('/usr/sbin/sshd');
  requireBinary('ssh-keygen');
  requireBinary('unshare');
  const s = scratch('sshd');
  try {
    const stock = readFileSync(DEBIAN_SSHD_CONFIG, 'utf8');
    if (!/^Include \/etc\/ssh\/sshd_config\.d\/\*\.conf$/m.test(stock)) return { ok: false, output: `${DEBIAN_SSHD_CONFIG} does not include sshd_config.d/*.conf as Debian's does` };
    const file = s.write('drop-in.conf', dropIn);
    const main = s.write('sshd_config', stock.replace(/^Include \/etc\/ssh\/sshd_config\.d\/\*\.conf$/m, `Include ${file}`));
    const key = join(s.dir, 'host_ed25519');
    const made = run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', key]);
    if (!made.ok) return { ok: false, output: `ssh-keygen: ${made.output}` };
    const script = 'mount --make-rprivate / && mount -t tmpfs hs-check /run && mkdir -m 0755 /run/sshd && exec "$0" -t -f "$1" -h "$2"';
    return run(['unshare', '--mount', '--', 'sh', '-c', script, sshd, main, key]);
  } finally {
    s.cleanup();
  }
}

/**
 * Debian's `/etc/memcached.conf` as Debian's own wrapper (`systemd-memcached-wrapper`) reads it:
 * the wrapper starts memcached with the file's options, the listen addresses and port replaced by a
 * free loopback port and the pid file moved to a scratch folder; the check passes when memcached is
 * still running after 700 ms and `stats settings` shows the file's `-m`, `-c`, `-t`, `-I` and no UDP.
 * The daemon is stopped by its PID and waited for.
 */
export function checkMemcached(config: string): CheckResult {
  requireBinary('memcached');
  const wrapper = '/usr/share/memcached/scripts/systemd-memcached-wrapper';
  if (!existsSync(wrapper)) return { ok: false, output: `${wrapper} is missing (Debian's memcached package)` };
  const s = scratch('memcached');
  try {
    const port = run(['python3', '-c', "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]).output.trim();
    const local = config
      .replace(/^-l .*$/m, '-l 127.0.0.1')
      .replace(/^-p .*$/m, `-p ${port}`)
      .replace(/^-P .*$/m, `-P ${s.dir}/memcached.pid`)
      .replace(/^logfile .*$/m, `logfile ${s.dir}/memcached.log`);
    const file = s.write('memcached.conf', local);
    const script = [
      'set -u',
      `${wrapper} ${file} > ${s.dir}/out.log 2>&1 & pid=$!`,
      'sleep 0.7',
      'if ! kill -0 $pid 2>/dev/null; then echo "memcached exited:"; cat ' + `${s.dir}/out.log; exit 1; fi`,
      `exec 3<>/dev/tcp/127.0.0.1/${port}`,
      "printf 'stats settings\\r\\nquit\\r\\n' >&3",
      'timeout 2 cat <&3',
      'kill $pid; wait $pid 2>/dev/null',
      'exit 0',
    ].join('\n');
    const r = run(['bash', '-c', script], { timeoutMs: 10000 });
    const stat = (name: string) => new RegExp(`^STAT ${name} (\\S+)`, 'm').exec(r.output)?.[1];
    const option = (flag: string) => new RegExp(`^${flag} (\\S+)`, 'm').exec(config)?.[1];
    const expected: [string, string | undefined][] = [
      ['maxbytes', option('-m') && String(Number(option('-m')) * 1024 * 1024)],
      ['maxconns', option('-c')],
      ['num_threads', option('-t')],
      ['item_size_max', option('-I') && String(Number(option('-I')!.replace(/m$/, '')) * 1024 * 1024)],
      ['udpport', '0'],
    ];
    const wrong = expected.filter(([name, want]) => want === undefined || stat(name) !== want).map(([name, want]) => `${name}: ${stat(name)} (file: ${want})`);
    return { ok: r.ok && wrong.length === 0, output: wrong.length ? `${r.output}\nnot as the file says: ${wrong.join(', ')}` : r.output };
  } finally {
    s.cleanup();
  }
}
