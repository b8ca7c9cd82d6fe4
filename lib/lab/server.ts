/**
 * One server of a stack, booted as a Debian 12 container under real systemd and cloud-init: an
 * overlay of the lab's read-only image as its root, its exact `user_data` in a NoCloud seed,
 * `systemd-nspawn -b` in the network namespace the lab made for its port (the port's address already
 * on `ens3`, as Neutron's DHCP would give it), the lab's package repository bound at /srv/lab-repo.
 *
 * Every resource a boot creates (the nspawn process, the overlay mount, the cgroups) is recorded in
 * `<workDir>/lab-server.json`, so `cleanupLabServer(workDir)` can release it after a crash.
 */
import { ChildProcess, spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { LabServerModel } from './model';
import { LabLog, RunResult, defaultLabLog, isMountPoint, removeTree, run } from './host-util';

export interface LabServerBootOptions {
  /** The image's root file system (`ensureLabImage()`). */
  readonly image: string;
  /** The flat apt repository (`ensureLabRepo()`), bound read-only at /srv/lab-repo. */
  readonly repo: string;
  readonly server: LabServerModel;
  /** Name of the network namespace under /run/netns holding the server's NIC(s). */
  readonly netns: string;
  /** A directory of this server's own: overlay upper/work dirs, root mount point, console log. */
  readonly workDir: string;
  /** Container name (a valid hostname, at most 64 characters), also names its cgroup: unique on the host. */
  readonly machineName: string;
  /**
   * Files written into the server's overlay before it boots (absolute path in the server -> content),
   * the lab's adaptations to this kernel (a systemd drop-in, ...). The user_data is never altered.
   */
  readonly extraFiles?: Readonly<Record<string, string>>;
  /**
   * Boot from the disk a previous boot in `workDir` left (its overlay's upper directory), as Nova
   * does when it replaces a server whose boot volume outlives it (`delete_on_termination = false`).
   * @default false: a fresh disk from the image
   */
  readonly keepDisk?: boolean;
  /**
   * cloud-init's instance id. A replaced server is a new instance: give a new id and cloud-init runs
   * its per-instance steps (the whole user_data) again on the kept disk. @default - derived from the server's key
   */
  readonly instanceId?: string;
  readonly log?: LabLog;
}

/** cloud-init's outcome. */
export interface CloudInitOutcome {
  /**
   * `done`; `error` when any stage or module reported an error (or `cloud-init status` says other
   * than done: `degraded done` of newer releases is reported as is); `timeout` when cloud-init had
   * not finished in time; `stopped` when the container stopped first.
   */
  readonly status: 'done' | 'error' | 'degraded done' | 'timeout' | 'stopped';
  /** Errors cloud-init recorded (result.json, every stage of status.json, `cloud-init status`), or why it timed out. */
  readonly errors: readonly string[];
  /** Seconds from starting systemd-nspawn to cloud-init's final stage finishing (undefined unless it finished). */
  readonly seconds?: number;
  /** `cloud-init status --long` output. */
  readonly detail: string;
}

/** A listening socket (`ss -ltnupH`). */
export interface LabListeningSocket {
  readonly protocol: 'tcp' | 'udp';
  /** `0.0.0.0`, `::`, `*`, `127.0.0.1`, ... */
  readonly address: string;
  readonly port: number;
  /** Process names holding it. */
  readonly processes: readonly string[];
}

/** What a boot recorded, for cleanup after a crash. */
export interface LabServerState {
  readonly machineName: string;
  readonly nspawnPid: number;
  readonly rootDir: string;
  readonly cgroups: readonly string[];
}

const STATE_FILE = 'lab-server.json';
const CGROUP_PARENT = 'hosting-stacks-lab';
const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The cgroup directories a container gets: one per hierarchy that tracks processes. */
function cgroupDirsFor(machineName: string): string[] {
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    return [path.join('/sys/fs/cgroup', CGROUP_PARENT, machineName)]; // unified (cgroup v2 only)
  }
  // Hybrid or legacy: systemd tracks processes in the name=systemd hierarchy (and unified if mounted).
  // The resource controllers' hierarchies (memory, pids, ...) are left alone.
  return ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified']
    .filter((h) => fs.existsSync(path.join(h, 'cgroup.procs')))
    .map((h) => path.join(h, CGROUP_PARENT, machineName));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every pid in a cgroup tree. */
function cgroupPids(dir: string): number[] {
  const pids: number[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const l of fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n')) {
        const pid = parseInt(l, 10);
        if (pid > 0) pids.push(pid);
      }
    } catch {
      /* gone */
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(dir);
  return [...new Set(pids)];
}

/** Removes a cgroup tree, children first. */
function removeCgroup(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) removeCgroup(path.join(dir, e.name));
  }
  try {
    fs.rmdirSync(dir);
  } catch {
    /* busy: reported by the caller's checks */
  }
}

async function unmount(dir: string): Promise<void> {
  for (let i = 0; i < 5 && isMountPoint(dir); i++) {
    await run(['umount', dir], { check: false });
    if (isMountPoint(dir)) await sleep(300);
  }
  if (isMountPoint(dir)) await run(['umount', '-l', dir], { check: false });
}

/** Releases what a (possibly crashed) boot in `workDir` left: processes, mount, cgroups. */
export async function cleanupLabServer(workDir: string, graceMs = 30_000): Promise<void> {
  const file = path.join(workDir, STATE_FILE);
  if (!fs.existsSync(file)) return;
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as LabServerState;
  await releaseResources(state, graceMs, undefined);
  fs.rmSync(file, { force: true });
}

async function releaseResources(state: LabServerState, graceMs: number, child: ChildProcess | undefined): Promise<void> {
  const exited = (): boolean => (child ? child.exitCode !== null || child.signalCode !== null : !pidAlive(state.nspawnPid));
  if (state.nspawnPid > 0 && !exited()) {
    try {
      process.kill(state.nspawnPid, 'SIGTERM'); // nspawn asks the container's systemd to power off
    } catch {
      /* gone */
    }
    const deadline = Date.now() + graceMs;
    while (!exited() && Date.now() < deadline) await sleep(200);
    if (!exited()) {
      try {
        process.kill(state.nspawnPid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  // Anything still in the container's cgroups (after a SIGKILL of nspawn) is killed too.
  for (let i = 0; i < 50; i++) {
    const left = state.cgroups.flatMap(cgroupPids);
    if (!left.length) break;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await sleep(100);
  }
  await unmount(state.rootDir);
  for (const c of state.cgroups) removeCgroup(c);
  // nspawn leaves its mount propagation directory behind ("Attempted to remove disk file system").
  await removeTree(path.join('/run/systemd/nspawn/propagate', state.machineName));
}

/** A Debian 12 server of the stack, running. */
export class LabServer {
  /** Boots a server; resolves once its systemd runs (not when cloud-init is done: `waitForCloudInit`). */
  static async boot(opts: LabServerBootOptions): Promise<LabServer> {
    const log = opts.log ?? defaultLabLog;
    const { workDir, machineName } = opts;
    if (!/^[a-zA-Z0-9][a-zA-Z0-9-]{0,63}$/.test(machineName)) throw new Error(`invalid machine name ${machineName}`);
    if (!fs.existsSync(path.join('/run/netns', opts.netns))) throw new Error(`no network namespace /run/netns/${opts.netns}`);
    fs.mkdirSync(workDir, { recursive: true });
    await cleanupLabServer(workDir); // a previous boot in the same directory
    const upper = path.join(workDir, 'upper');
    const work = path.join(workDir, 'work');
    const rootDir = path.join(fs.realpathSync(workDir), 'root');
    await unmount(rootDir);
    // overlayfs needs an empty work directory; the upper one is the server's disk.
    for (const d of opts.keepDisk ? [work] : [upper, work]) fs.rmSync(d, { recursive: true, force: true });
    for (const d of [upper, work, rootDir]) fs.mkdirSync(d, { recursive: true });
    await run(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${opts.image},upperdir=${upper},workdir=${work}`, rootDir]);

    const cgroups = cgroupDirsFor(machineName);
    if (cgroups.some((c) => cgroupPids(c).length > 0)) {
      await unmount(rootDir);
      throw new Error(`machine name ${machineName} is in use by a running container (cgroup ${cgroups[0]})`);
    }
    let child: ChildProcess | undefined;
    let state: LabServerState = { machineName, nspawnPid: 0, rootDir, cgroups };
    const saveState = (): void => fs.writeFileSync(path.join(workDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    saveState();
    try {
      // NoCloud seed: the user_data exactly as Nova would serve it.
      const seed = path.join(rootDir, 'var/lib/cloud/seed/nocloud');
      fs.mkdirSync(seed, { recursive: true });
      fs.writeFileSync(path.join(seed, 'user-data'), opts.server.userData);
      const instanceId = opts.instanceId ?? `lab-${createHash('sha256').update(opts.server.key).digest('hex').slice(0, 16)}`;
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(instanceId)) throw new Error(`invalid instance id ${JSON.stringify(instanceId)}`);
      fs.writeFileSync(
        path.join(seed, 'meta-data'),
        `instance-id: ${instanceId}\nlocal-hostname: ${JSON.stringify(opts.server.name)}\n`,
      );
      // The lab's namespace carries the port's address already, as Neutron's DHCP would give it.
      fs.writeFileSync(path.join(rootDir, 'etc/cloud/cloud.cfg.d/99-lab-network.cfg'), 'network: {config: disabled}\n');
      for (const [file, content] of Object.entries(opts.extraFiles ?? {})) {
        if (!path.isAbsolute(file) || file.split('/').includes('..')) throw new Error(`extra file path must be absolute: ${file}`);
        const target = path.join(rootDir, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        // An absolute symlink of the image (/var/run -> /run) would lead out to the host's files.
        const parent = fs.realpathSync(path.dirname(target));
        if (parent !== rootDir && !parent.startsWith(`${rootDir}/`)) throw new Error(`extra file ${file} resolves outside the server`);
        if (fs.lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink()) throw new Error(`extra file ${file} is a symlink in the image`);
        fs.writeFileSync(target, content);
      }

      for (const c of cgroups) fs.mkdirSync(c, { recursive: true });
      const consoleLog = path.join(workDir, 'console.log');
      const fd = fs.openSync(consoleLog, 'w');
      const nspawnArgs = [
        'systemd-nspawn',
        '-D',
        rootDir,
        '-b',
        '--register=no',
        '--keep-unit',
        '--settings=no',
        '--machine',
        machineName,
        `--network-namespace-path=/run/netns/${opts.netns}`,
        `--bind-ro=${opts.repo}:/srv/lab-repo`,
        '--capability=CAP_NET_ADMIN',
        '--link-journal=no',
        '--resolv-conf=off',
        '--console=read-only',
      ];
      // Into its own cgroups before exec, so each container is tracked (and killable) on its own.
      const script = 'for c in $HS_LAB_CGROUPS; do echo $$ > "$c/cgroup.procs" || exit 97; done; exec "$@"';
      child = spawn('sh', ['-c', script, 'sh', ...nspawnArgs], {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: {
          PATH: process.env.PATH ?? CONTAINER_PATH,
          HS_LAB_CGROUPS: cgroups.join(' '),
          SYSTEMD_NSPAWN_API_VFS_WRITABLE: 'network',
          TERM: 'dumb',
        },
      });
      fs.closeSync(fd);
      child.on('error', () => undefined);
      const startedAt = Date.now();
      state = { ...state, nspawnPid: child.pid ?? 0 };
      saveState();
      log(`${machineName}: systemd-nspawn pid ${child.pid} in netns ${opts.netns}`);

      const initPid = await findInit(child, consoleLog, 30_000);
      const server = new LabServer(opts, state, child, initPid, startedAt, consoleLog, log);
      return server;
    } catch (err) {
      await releaseResources(state, 10_000, child);
      fs.rmSync(path.join(workDir, STATE_FILE), { force: true });
      throw err;
    }
  }

  private stopping?: Promise<void>;

  private constructor(
    readonly options: LabServerBootOptions,
    /** pids, mount and cgroups to release. */
    readonly state: LabServerState,
    private readonly child: ChildProcess,
    /** The container's systemd (pid in the host's namespace). */
    readonly initPid: number,
    /** When systemd-nspawn was started (ms since epoch). */
    readonly startedAt: number,
    /** The container's console output (and nspawn's). */
    readonly consoleLog: string,
    private readonly log: LabLog,
  ) {}

  get machineName(): string {
    return this.state.machineName;
  }

  get nspawnPid(): number {
    return this.state.nspawnPid;
  }

  /** Whether systemd-nspawn still runs. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Runs `argv` inside the container (all its namespaces, its root), as root with a clean environment. */
  exec(argv: readonly string[], opts: { timeoutMs?: number; check?: boolean; input?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
    if (!this.running) return Promise.reject(new Error(`${this.machineName} is not running`));
    const env = Object.entries({ PATH: CONTAINER_PATH, LANG: 'C.UTF-8', HOME: '/root', TERM: 'dumb', ...opts.env }).map(
      ([k, v]) => `${k}=${v}`,
    );
    return run(['nsenter', '-t', String(this.initPid), '-a', '-r', '-w', '--', '/usr/bin/env', '-i', ...env, ...argv], {
      timeoutMs: opts.timeoutMs ?? 60_000,
      check: opts.check ?? true,
      input: opts.input,
    });
  }

  /** Reads a file of the container (through its root, as it sees it). */
  readFile(file: string): string | undefined {
    try {
      return fs.readFileSync(path.join(`/proc/${this.initPid}/root`, file), 'utf8');
    } catch {
      return undefined;
    }
  }

  /**
   * Waits until cloud-init has finished (its `result.json`), then reports its status and errors.
   * Never throws for the server's sake: a timeout or a stopped container is a status, with the
   * console's tail among the errors.
   */
  async waitForCloudInit(timeoutMs = 10 * 60_000): Promise<CloudInitOutcome> {
    const deadline = Date.now() + timeoutMs;
    while (!this.readFile('/run/cloud-init/result.json')) {
      if (!this.running) {
        const outcome: CloudInitOutcome = {
          status: 'stopped',
          errors: [`${this.machineName} stopped before cloud-init finished:\n${this.consoleTail()}`],
          detail: '',
        };
        this.log(`${this.machineName}: stopped before cloud-init finished`);
        return outcome;
      }
      if (Date.now() > deadline) {
        const st = await this.exec(['cloud-init', 'status', '--long'], { check: false }).catch((e: Error) => ({ stdout: e.message }));
        const running = await this.exec(['systemctl', 'list-jobs', '--no-pager'], { check: false }).catch((e: Error) => ({ stdout: e.message }));
        this.log(`${this.machineName}: cloud-init not finished after ${timeoutMs / 1000} s`);
        return {
          status: 'timeout',
          errors: [`cloud-init not finished after ${timeoutMs / 1000} s\n${st.stdout}\n${running.stdout}\n${this.consoleTail(20)}`],
          detail: st.stdout.trim(),
        };
      }
      await sleep(1000);
    }
    const errors: string[] = [];
    let finished = Date.now() / 1000;
    try {
      const result = JSON.parse(this.readFile('/run/cloud-init/result.json') ?? '{}');
      errors.push(...((result.v1?.errors ?? []) as string[]));
    } catch {
      errors.push('unreadable /run/cloud-init/result.json');
    }
    try {
      const status = JSON.parse(this.readFile('/run/cloud-init/status.json') ?? '{}').v1 ?? {};
      for (const stage of ['init-local', 'init', 'modules-config', 'modules-final']) {
        for (const e of (status[stage]?.errors ?? []) as string[]) if (!errors.includes(e)) errors.push(e);
      }
      if (typeof status['modules-final']?.finished === 'number') finished = status['modules-final'].finished;
    } catch {
      errors.push('unreadable /run/cloud-init/status.json');
    }
    // cloud-init's own verdict (exit code 1 on error, hence check: false).
    const res = await this.exec(['cloud-init', 'status', '--long', '--format', 'json'], { check: false });
    let reported = '';
    try {
      const st = JSON.parse(res.stdout) as { status?: string; errors?: string[] };
      reported = st.status ?? '';
      for (const e of st.errors ?? []) if (!errors.includes(e)) errors.push(e);
    } catch {
      errors.push(`cloud-init status: ${res.stdout.trim() || res.stderr.trim()}`);
    }
    const detail = (await this.exec(['cloud-init', 'status', '--long'], { check: false })).stdout.trim();
    const outcome: CloudInitOutcome = {
      status: reported === 'degraded done' ? 'degraded done' : errors.length || reported !== 'done' ? 'error' : 'done',
      errors,
      seconds: Math.round((finished - this.startedAt / 1000) * 10) / 10,
      detail,
    };
    this.log(`${this.machineName}: cloud-init ${outcome.status} after ${outcome.seconds} s${errors.length ? `: ${errors.join('; ')}` : ''}`);
    return outcome;
  }

  /** Units systemd reports failed (`systemctl --failed`). */
  async failedUnits(): Promise<string[]> {
    const res = await this.exec(['systemctl', '--failed', '--plain', '--no-legend', '--no-pager'], { check: false });
    return res.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((u) => !!u);
  }

  /** Whether systemd finished booting (`running`) or not (`degraded` means a unit failed). */
  async systemState(): Promise<string> {
    return (await this.exec(['systemctl', 'is-system-running'], { check: false })).stdout.trim();
  }

  /** Listening TCP and UDP sockets. */
  async listening(): Promise<LabListeningSocket[]> {
    const res = await this.exec(['ss', '-ltnupH']);
    const out: LabListeningSocket[] = [];
    for (const line of res.stdout.split('\n')) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 5) continue;
      const protocol = cols[0] === 'tcp' ? 'tcp' : cols[0] === 'udp' ? 'udp' : undefined;
      if (!protocol) continue;
      const local = cols[4];
      const i = local.lastIndexOf(':');
      const address = local.slice(0, i).replace(/^\[|\]$/g, '').replace(/%.*$/, '');
      const port = parseInt(local.slice(i + 1), 10);
      const processes = [...new Set([...line.matchAll(/\("([^"]+)",pid=/g)].map((m) => m[1]))];
      if (Number.isFinite(port)) out.push({ protocol, address, port, processes });
    }
    return out;
  }

  /** The journal of a unit (or the whole boot). */
  async journal(unit?: string, lines = 200): Promise<string> {
    const args = ['journalctl', '--no-pager', '-b', '-n', String(lines), '-o', 'short-precise'];
    if (unit) args.push('-u', unit);
    return (await this.exec(args, { check: false })).stdout;
  }

  /** Memory of the container's processes: the sum of their proportional set sizes (bytes). */
  memoryBytes(): number {
    let kb = 0;
    for (const pid of this.state.cgroups.length ? cgroupPids(this.state.cgroups[0]) : []) {
      try {
        const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
        if (m) kb += parseInt(m[1], 10);
      } catch {
        /* exited */
      }
    }
    return kb * 1024;
  }

  /** The console's last lines. */
  consoleTail(lines = 40): string {
    try {
      return fs.readFileSync(this.consoleLog, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /**
   * Shuts the container down cleanly (SIGTERM to nspawn), SIGKILL after `graceMs`, unmounts its root
   * and removes its cgroups. Idempotent.
   */
  stop(graceMs = 30_000): Promise<void> {
    this.stopping ??= (async () => {
      const t = Date.now();
      await releaseResources(this.state, graceMs, this.child);
      fs.rmSync(path.join(this.options.workDir, STATE_FILE), { force: true });
      this.log(`${this.machineName}: stopped in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    })();
    return this.stopping;
  }
}

/** Finds the container's systemd: the child of nspawn named `systemd`. */
async function findInit(child: ChildProcess, consoleLog: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const pid = child.pid!;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const text = fs.existsSync(consoleLog) ? fs.readFileSync(consoleLog, 'utf8') : '';
      throw new Error(`systemd-nspawn exited (${child.exitCode ?? child.signalCode}):\n${text.slice(-3000)}`);
    }
    try {
      for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
        const kids = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
        for (const k of kids) {
          const comm = fs.readFileSync(`/proc/${k}/comm`, 'utf8').trim();
          if (comm === 'systemd') return parseInt(k, 10);
        }
      }
    } catch {
      /* racing with process start */
    }
    if (Date.now() > deadline) throw new Error(`no systemd under systemd-nspawn pid ${pid} after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** A server to boot with `bootAll`. */
export type LabServerSpec = LabServerBootOptions;

/** A booted server and its cloud-init outcome (or why it failed). */
export interface LabBootResult {
  readonly spec: LabServerSpec;
  readonly server?: LabServer;
  readonly cloudInit?: CloudInitOutcome;
  readonly error?: Error;
}

/**
 * Boots `specs` at most `concurrency` at a time (a slot frees once the server's cloud-init finished),
 * never throwing: each result holds the server (to stop later) or the error. `onBooted` gets each
 * server as soon as it exists, so a caller can stop them all whatever happens.
 */
export async function bootAll(
  specs: readonly LabServerSpec[],
  options: { concurrency?: number; cloudInitTimeoutMs?: number; onBooted?: (s: LabServer) => void } = {},
): Promise<LabBootResult[]> {
  const results: LabBootResult[] = new Array(specs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < specs.length) {
      const i = next++;
      const spec = specs[i];
      let server: LabServer | undefined;
      try {
        server = await LabServer.boot(spec);
        options.onBooted?.(server);
        const cloudInit = await server.waitForCloudInit(options.cloudInitTimeoutMs ?? 10 * 60_000);
        results[i] = { spec, server, cloudInit };
      } catch (err) {
        results[i] = { spec, server, error: err as Error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, specs.length)) }, worker));
  return results;
}
