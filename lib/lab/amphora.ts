/**
 * The lab's amphora: haproxy running Octavia's configuration for a load balancer inside the network
 * namespace that holds its VIP (the network code creates the namespace and configures the address).
 *
 * `Amphora.start()` renders the configuration (amphora-config.ts), writes it and its files under
 * `workDir`, checks it with `haproxy -c -f`, runs `ip netns exec <ns> haproxy -W -db -f <cfg>`
 * (master-worker, foreground) as a child process, and waits (bounded) until every listener listens on
 * VIP:port in that namespace. `stop()` ends it by its PID: SIGTERM, then SIGKILL to its process group
 * after a bound. A failed start stops what it started.
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { LabLoadBalancerModel } from './model';
import { AmphoraConfig, renderAmphoraConfig } from './amphora-config';

export { renderAmphoraConfig } from './amphora-config';
export type { AmphoraConfig, AmphoraConfigPaths } from './amphora-config';

export interface AmphoraOptions {
  /** A named network namespace (under /run/netns) where the VIP address is already configured. */
  readonly namespace: string;
  /** Directory for the configuration, the certificates, the CIDR lists and the stats socket. */
  readonly workDir: string;
  /** @default 'haproxy' (from PATH) */
  readonly haproxyBinary?: string;
  /** Bound on the wait for the listeners to listen. @default 10000 */
  readonly startTimeoutMs?: number;
  /** Bound on the wait after SIGTERM before SIGKILL. @default 5000 */
  readonly stopTimeoutMs?: number;
}

/** Bytes of haproxy's stdout/stderr kept for reports. */
const OUTPUT_KEEP = 64 * 1024;

function run(file: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout: String(stdout), stderr: String(stderr) });
      const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code?: unknown }).code as number) : -1;
      resolve({ code, stdout: String(stdout), stderr: `${String(stderr)}${code === -1 ? err.message : ''}` });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `p` settled within `ms` (the timer is cleared either way). */
function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** `10.0.0.3` => the little-endian hex `/proc/net/tcp` shows (`0300000A`). */
function procHexIpv4(addr: string): string {
  return addr
    .split('.')
    .map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0'))
    .reverse()
    .join('');
}

/** An IPv6 address => the `/proc/net/tcp6` form (four 32-bit words, each in host (little-endian) order). */
function procHexIpv6(addr: string): string {
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const bytes = groups.flatMap((g) => {
    const v = parseInt(g || '0', 16);
    return [(v >> 8) & 0xff, v & 0xff];
  });
  let out = '';
  for (let i = 0; i < 16; i += 4) {
    out += bytes
      .slice(i, i + 4)
      .reverse()
      .map((b) => b.toString(16).toUpperCase().padStart(2, '0'))
      .join('');
  }
  return out;
}

/** The `addr:port` entries in LISTEN state in the network namespace of process `pid`. */
export function listeningSockets(pid: number): Set<string> {
  const out = new Set<string>();
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue;
      out.add(cols[1].toUpperCase());
    }
  }
  return out;
}

function procSocketKey(addr: string, port: number): string {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return `${addr.includes(':') ? procHexIpv6(addr) : procHexIpv4(addr)}:${hexPort}`;
}

/** The hard RLIMIT_NOFILE of this process (which haproxy inherits), undefined if unlimited/unknown. */
export function hardNofileLimit(): number | undefined {
  try {
    const line = fs
      .readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s+/)[4];
    return hard && /^\d+$/.test(hard) ? Number(hard) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The largest global maxconn haproxy can start with under `fdLimit` open files: it wants
 * 2 descriptors a connection plus 2 a pipe (maxpipes = maxconn / 4 with `option splice-*`), plus
 * listeners, checks and its own; a margin of 1024 covers those.
 */
export function maxconnForFdLimit(fdLimit: number | undefined): number | undefined {
  return fdLimit === undefined ? undefined : Math.max(1, Math.floor((fdLimit - 1024) / 2.5));
}

export class Amphora {
  /**
   * Starts the amphora of `lb` in `options.namespace`. Resolves once haproxy listens on every
   * rendered listener's VIP:port; rejects (after stopping haproxy) if the configuration does not
   * check, haproxy exits, or the listeners are not up within `startTimeoutMs`.
   */
  static async start(lb: LabLoadBalancerModel, options: AmphoraOptions): Promise<Amphora> {
    const haproxy = options.haproxyBinary ?? 'haproxy';
    const workDir = path.resolve(options.workDir);
    if (Buffer.byteLength(path.join(workDir, 'haproxy.sock')) > 107) {
      throw new Error(`amphora ${lb.key}: workDir ${workDir} is too long for the stats socket's path (108 bytes at most)`);
    }
    fs.mkdirSync(workDir, { recursive: true });
    const configPath = path.join(workDir, 'haproxy.cfg');
    const rendered = await Amphora.writeConfig(lb, workDir, haproxy);

    const child = spawn('ip', ['netns', 'exec', options.namespace, haproxy, '-W', '-db', '-f', configPath], {
      cwd: workDir,
      detached: true, // its own process group, so stop() can reach the workers too
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const amphora = new Amphora(lb, rendered, configPath, child, options.stopTimeoutMs ?? 5000, options.namespace, haproxy);
    try {
      await amphora.waitListening(options.startTimeoutMs ?? 10000);
    } catch (e) {
      await amphora.stop();
      throw e;
    }
    return amphora;
  }

  /** Renders `lb`'s configuration and files into `workDir` and checks it with `haproxy -c`. */
  private static async writeConfig(lb: LabLoadBalancerModel, workDir: string, haproxy: string): Promise<AmphoraConfig> {
    const rendered = renderAmphoraConfig(lb, { stateDir: workDir, logTarget: 'stderr format short', maxconnCap: maxconnForFdLimit(hardNofileLimit()) });
    for (const [file, content] of Object.entries(rendered.files)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const secret = file.endsWith('.pem');
      fs.writeFileSync(file, content, { mode: file.endsWith('.sh') ? 0o755 : secret ? 0o600 : 0o644 });
      if (file.endsWith('.sh')) fs.chmodSync(file, 0o755);
    }
    const configPath = path.join(workDir, 'haproxy.cfg');
    fs.writeFileSync(`${configPath}.new`, rendered.config);
    const check = await run(haproxy, ['-c', '-f', `${configPath}.new`], 30000);
    if (check.code !== 0) {
      throw new Error(`amphora ${lb.key}: haproxy -c -f ${configPath}.new failed (${check.code}):\n${check.stdout}${check.stderr}`);
    }
    fs.renameSync(`${configPath}.new`, configPath);
    return rendered;
  }

  /**
   * Applies a changed load balancer (its pools' members, as Octavia does when a member is created or
   * deleted): renders and checks the new configuration, then reloads haproxy's master (SIGUSR2),
   * which starts new workers on it while the old ones finish their connections. Resolves when the
   * master reports the new workers loaded; rejects (the old configuration keeps serving) otherwise.
   */
  async reload(lb: LabLoadBalancerModel, timeoutMs = 10_000): Promise<void> {
    if (lb.key !== this.lb.key) throw new Error(`amphora ${this.lb.key}: cannot reload as ${lb.key}`);
    if (this.exit) throw new Error(`amphora ${this.lb.key}: haproxy is not running:\n${this.output}`);
    const rendered = await Amphora.writeConfig(lb, path.dirname(this.configPath), this.haproxy);
    const mark = this.reloads;
    process.kill(this.pid, 'SIGUSR2');
    const deadline = Date.now() + timeoutMs;
    while (this.reloads === mark) {
      if (this.exit) throw new Error(`amphora ${this.lb.key}: haproxy exited while reloading:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`amphora ${this.lb.key}: haproxy did not report a reload within ${timeoutMs} ms:\n${this.output.slice(-2000)}`);
      await sleep(50);
    }
    if (this.reloadFailed) throw new Error(`amphora ${this.lb.key}: haproxy could not load the new configuration:\n${this.output.slice(-2000)}`);
    this.lb = lb;
    this.rendered = rendered;
  }

  /** PID of the haproxy master (`ip netns exec` execs it). */
  readonly pid: number;
  /** The rendered configuration and files. */
  rendered: AmphoraConfig;
  /** Reload outcomes the master has reported (`Loading success` / `Loading failure`). */
  private reloads = 0;
  private reloadFailed = false;
  private output = '';
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exited: Promise<void>;

  private constructor(
    /** The load balancer it serves (as last applied). */
    public lb: LabLoadBalancerModel,
    rendered: AmphoraConfig,
    /** Path of the written haproxy.cfg. */
    readonly configPath: string,
    child: ChildProcess,
    private readonly stopTimeoutMs: number,
    /** The network namespace it runs in. */
    readonly namespace: string,
    private readonly haproxy: string,
  ) {
    this.rendered = rendered;
    const keep = (b: Buffer) => {
      const text = b.toString();
      this.output = (this.output + text).slice(-OUTPUT_KEEP);
      // The master's words after a reload (SIGUSR2); the first load counts too, reload() waits for a new one.
      for (const m of text.matchAll(/Loading (success|failure)/g)) {
        this.reloads++;
        this.reloadFailed = m[1] === 'failure';
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
      child.on('error', (err) => {
        this.output += `\nspawn error: ${err.message}`;
        this.exit = this.exit ?? { code: -1, signal: null };
        resolve();
      });
    });
    if (child.pid === undefined) throw new Error(`amphora ${lb.key}: could not spawn ip netns exec haproxy`);
    this.pid = child.pid;
  }

  /** The last 64 KiB haproxy wrote (alerts, warnings, logs). */
  get logs(): string {
    return this.output;
  }

  /** Whether haproxy is still running. */
  get running(): boolean {
    return this.exit === undefined;
  }

  /** VIP:port of every rendered listener. */
  get endpoints(): string[] {
    const skipped = new Set(this.rendered.skipped.map((s) => s.key));
    return this.lb.listeners.filter((l) => !skipped.has(l.key)).map((l) => `${this.lb.vipAddress}:${l.protocolPort}`);
  }

  private async waitListening(timeoutMs: number): Promise<void> {
    const skipped = new Set(this.rendered.skipped.map((s) => s.key));
    const wanted = this.lb.listeners.filter((l) => !skipped.has(l.key)).map((l) => procSocketKey(this.lb.vipAddress, l.protocolPort));
    const deadline = Date.now() + timeoutMs;
    let missing = wanted;
    for (;;) {
      if (this.exit) {
        throw new Error(`amphora ${this.lb.key}: haproxy exited (code ${this.exit.code}, signal ${this.exit.signal}) before listening:\n${this.output}`);
      }
      // Until `ip netns exec` has entered the namespace, /proc/<pid>/net shows the host's sockets.
      const listening = this.inNamespace() ? listeningSockets(this.pid) : new Set<string>();
      missing = wanted.filter((w) => !listening.has(w));
      if (missing.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`amphora ${this.lb.key}: not listening on ${this.endpoints.join(', ')} after ${timeoutMs} ms:\n${this.output}`);
      }
      await sleep(50);
    }
  }

  /** Whether the process is in its namespace yet (same nsfs inode as /run/netns/<namespace>). */
  private inNamespace(): boolean {
    try {
      return fs.statSync(`/proc/${this.pid}/ns/net`).ino === fs.statSync(`/run/netns/${this.namespace}`).ino;
    } catch {
      return false;
    }
  }

  /** Stops haproxy: SIGTERM to its PID, then SIGKILL to its process group after the bound. Idempotent. */
  async stop(): Promise<void> {
    if (this.exit) return;
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    if (await settlesWithin(this.exited, this.stopTimeoutMs)) return;
    // Still there after the bound: SIGKILL its process group (the master and its workers).
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
    await settlesWithin(this.exited, this.stopTimeoutMs);
  }
}
