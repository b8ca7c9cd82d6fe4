/**
 * A lab of real hosts for behaviour tests: each host is a network namespace (its planned addresses on
 * an interface named as in its configs), a PID namespace (so `killall -0 haproxy` sees only its own
 * processes, as on a VM) and a mount namespace in which some directories (`/run` always, others on
 * request, e.g. `/etc/keepalived`) are private folders of the lab, so the rendered files are written
 * at the paths the configs name and the daemons run them unmodified. The hosts are cabled to bridges
 * (one per vSwitch, or per segment name) inside a switch namespace of the lab: nothing is added to
 * the machine's own network, and a stack's planned addresses exist only inside the lab.
 *
 * The namespaces have no names (nothing in /run/netns): each belongs to an init process (PID 1 of
 * the host), and vanishes with it. Every init dies with the test process (parent-death signal) or
 * after HOST_LIFETIME_SECONDS, killing every process of its host: nothing of a lab outlives its run.
 * Everything else is bounded too: every wait has a timeout, every loop a count and a duration.
 * `close()` kills every process and init and removes the lab's folder; `useLab()` registers it
 * with `afterAll`.
 *
 * ```ts
 * const lab = useLab('vip');
 * const b1 = lab.addHost('balancer-1', plannedHost(stack, 'balancer-1', { privateDirs: ['/etc/keepalived'] }));
 * b1.writeFile('/etc/keepalived/keepalived.conf', hostFile(stack, 'balancer-1', '/etc/keepalived/keepalived.conf'));
 * const k = await lab.spawn(b1, ['keepalived', '-P', '-n', '-l'], { readyWhen: { output: /Entering BACKUP STATE/ } });
 * ```
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HostingStack, PrivateVSwitch } from '../../lib';
import { IPrivateVSwitch } from '../../lib/network/private-vswitch';
import { requireBinary } from './daemons';
import { Figure } from '../../lib/core/figures';
import { testFigures } from './figures';

/** One interface of a lab host. */
export interface LabInterface {
  /** Name inside the host, as the configs name it. @default 'eth0' */
  readonly name?: string;
  /** The segment (bridge) it is cabled to; hosts on one segment share an L2 network. */
  readonly segment: string;
  /** Addresses in CIDR form (`10.20.1.4/24`). */
  readonly addresses: readonly string[];
}

/** How a lab host is built. */
export interface LabHostOptions {
  /** Its interfaces. */
  readonly interfaces: readonly LabInterface[];
  /** Default gateway. @default - none: only the host's own segments are reachable */
  readonly gateway?: string;
  /** Forward IPv4 between its interfaces (a router). @default false */
  readonly forwarding?: boolean;
  /** Directories made private to the host (they must exist on the machine); `/run` always is. @default ['/run'] */
  readonly privateDirs?: readonly string[];
}

/** When a spawned daemon counts as ready. */
export type ReadyCondition =
  /** Its output (stdout or stderr) matches. */
  | { readonly output: RegExp }
  /** A TCP connection to this address (from inside its host) is accepted. */
  | { readonly tcp: { readonly address: string; readonly port: number } }
  /** A check of the test's own returns true. */
  | { readonly check: () => boolean | Promise<boolean> };

/** Options of {@link Lab.spawn}. */
export interface SpawnOptions {
  /** When the daemon is ready. @default - as soon as it runs */
  readonly readyWhen?: ReadyCondition;
  /** How long readiness may take. @default 15000 */
  readonly readyTimeoutMs?: number;
  /** Run as this user (setpriv, with its groups). @default - root */
  readonly user?: string;
  /** Extra environment. @default - the test's */
  readonly env?: NodeJS.ProcessEnv;
}

/** Result of a command run in a host. */
export interface ExecResult {
  /** Exit status 0. */
  readonly ok: boolean;
  /** Exit status (null when killed). */
  readonly status: number | null;
  /** stdout. */
  readonly stdout: string;
  /** stdout and stderr. */
  readonly output: string;
}

/** Result of {@link Lab.curl}. */
export interface CurlResult {
  /** A 2xx answer. */
  readonly ok: boolean;
  /** HTTP status (0 when none). */
  readonly status: number;
  /** Response body. */
  readonly body: string;
  /** Total time measured by curl, ms. */
  readonly ms: number;
  /** curl's error, if any. */
  readonly error?: string;
}

/** One request of a {@link RequestLoop}. */
export interface RequestSample {
  /** Sequence number. */
  readonly i: number;
  /** Start, ms after the loop started (the loop's clock). */
  readonly t: number;
  /** Start, epoch ms (the test's clock). */
  readonly at: number;
  /** Duration, ms. */
  readonly ms: number;
  /** HTTP status (0 when none). */
  readonly status: number;
  /** Error code when no answer came (ECONNRESET, timeout ...). */
  readonly error?: string;
  /** First line of the body (the tiny servers answer their host name). */
  readonly body: string;
}

/** What a request loop saw. */
export interface LoopReport {
  /** Requests sent. */
  readonly sent: number;
  /** 2xx answers. */
  readonly ok: number;
  /** Everything else (errors, timeouts, other statuses). */
  readonly failed: RequestSample[];
  /** Latency percentiles of all requests, ms. */
  readonly latency: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  /** Requests per answering body (which backend served them). */
  readonly byBody: Record<string, number>;
  /** Wall time of the loop, ms. */
  readonly durationMs: number;
  /** Every request. */
  readonly samples: RequestSample[];
}

/** Options of {@link Lab.requestLoop}; the loop stops at whichever bound comes first. */
export interface RequestLoopOptions {
  /** At most this many requests. */
  readonly count: number;
  /** At most this long, ms (no request starts later). */
  readonly durationMs: number;
  /** Requests in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Pace: requests per second over all workers. @default - as fast as answers come */
  readonly ratePerSecond?: number;
  /** One request's timeout, ms. @default 10000 */
  readonly timeoutMs?: number;
}

/** Options of {@link Lab.waitFor}. */
export interface WaitOptions {
  /** Give up (throw) after this long, ms. */
  readonly timeoutMs: number;
  /** Poll period, ms. @default 20 */
  readonly intervalMs?: number;
}

/** The default lifetime of a host (its init process): a lab outliving its test dies by then. */
const HOST_LIFETIME_SECONDS = 600;
/** Output kept per process (the tail). */
const LOG_LIMIT = 1 << 20;

const liveLabs = new Set<Lab>();
let exitHookInstalled = false;

/** Creates a lab and registers its `close()` with jest's `afterAll`. */
export function useLab(name: string): Lab {
  const lab = new Lab(name);
  afterAll(() => lab.close(), 30000);
  return lab;
}

/** A figure of two numbers, printed `part/whole` (`98/100`): `part` of `whole` requests answered. */
export interface FigureRatio {
  /** The part (`ok`). */
  readonly part: number;
  /** The whole it is part of (`sent`). */
  readonly whole: number;
}

/** A figure of several named numbers of one measure, printed `k=v,k=v` in the order given (`p50=3,p95=7,max=12`). */
export interface FigureSet {
  /** The numbers by name. */
  readonly values: Readonly<Record<string, number>>;
}

/** What {@link figure} prints after `name=`: one number, a {@link FigureRatio} or a {@link FigureSet}. */
export type FigureValue = number | FigureRatio | FigureSet;

/**
 * Prints a figure of the run in one grep-able format, `FIGURE name=value (detail)`, and appends its
 * numbers to the suite's figures file (support/figures.ts), its unit the name's last word (`-ms`:
 * `ms`, `-requests`: `requests`). A value of several numbers is a record per number: a
 * {@link FigureRatio} (`name` the part, `name total` the whole) or a {@link FigureSet} (`name k`
 * each). A string value is printed as given and parsed in the same two forms, `a/b` and `k=v,k=v`
 * (for the tests that still build the text); any other string throws.
 */
export function figure(name: string, value: FigureValue | string, detail: string): void {
  testFigures().print(figureLine(name, value, detail), figureRecords(name, value, detail));
}

/** The line {@link figure} prints. */
export function figureLine(name: string, value: FigureValue | string, detail: string): string {
  return `FIGURE ${name}=${typeof value === 'string' ? value : formatFigureValue(value)} (${detail})`;
}

/** The records of a {@link figure}: see there. */
export function figureRecords(name: string, value: FigureValue | string, detail: string): Figure[] {
  const unit = /-(ms|s|requests)$/.exec(name)?.[1] ?? 'count';
  const parsed = typeof value === 'string' ? parseFigureValue(name, value) : value;
  if (typeof parsed === 'number') return [{ name, value: parsed, unit, detail }];
  if ('values' in parsed) return Object.entries(parsed.values).map(([k, v]) => ({ name: `${name} ${k}`, value: v, unit, detail }));
  return [{ name, value: parsed.part, unit, detail: `of ${parsed.whole}; ${detail}` }, { name: `${name} total`, value: parsed.whole, unit, detail }];
}

function formatFigureValue(value: FigureValue): string {
  if (typeof value === 'number') return String(value);
  if ('values' in value) return Object.entries(value.values).map(([k, v]) => `${k}=${v}`).join(',');
  return `${value.part}/${value.whole}`;
}

function parseFigureValue(name: string, value: string): FigureValue {
  const ratio = /^(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/.exec(value);
  if (ratio) return { part: Number(ratio[1]), whole: Number(ratio[2]) };
  const parts = value.split(',').map((p) => /^([a-z][\w-]*)=(-?\d+(?:\.\d+)?)$/.exec(p));
  if (parts.every((p) => p !== null)) return { values: Object.fromEntries(parts.map((p) => [p![1], Number(p![2])])) };
  throw new Error(`figure ${name}: value '${value}' is neither a number, 'a/b' nor 'k=v,k=v': give numbers`);
}

export { hostFile } from './synth';

/** The vSwitches of a stack. */
export function vswitchesOf(stack: HostingStack): PrivateVSwitch[] {
  return stack.node.findAll().filter((c): c is PrivateVSwitch => c instanceof PrivateVSwitch);
}

/** The prefix length of a CIDR. */
function prefixOf(cidr: string): number {
  return Number(cidr.split('/')[1]);
}

/**
 * A host as the stack plans it: one interface (`eth0` unless given) on its vSwitch's segment with
 * its planned address, the vSwitch's gateway as default route.
 */
export function plannedHost(stack: HostingStack, hostname: string, extra: { readonly interfaceName?: string; readonly privateDirs?: readonly string[] } = {}): LabHostOptions {
  const instance = stack.hosts.find((h) => h.hostname === hostname);
  if (!instance) throw new Error(`${stack.node.id} plans no host ${hostname}`);
  const vswitch = instance.cluster.vswitch;
  return {
    interfaces: [{ name: extra.interfaceName ?? 'ens3', segment: vswitch.cidr, addresses: [`${instance.address}/${prefixOf(vswitch.cidr)}`] }],
    gateway: vswitch.gatewayIp,
    privateDirs: extra.privateDirs,
  };
}

/** The stack's router: one interface per vSwitch with its gateway address, forwarding on. */
export function plannedRouter(stack: HostingStack): LabHostOptions {
  return {
    interfaces: vswitchesOf(stack).map((v, i) => ({ name: `eth${i}`, segment: v.cidr, addresses: [`${v.gatewayIp}/${prefixOf(v.cidr)}`] })),
    forwarding: true,
  };
}

/**
 * A visitor on a vSwitch: the last address of its DHCP pool (no server is planned there), its
 * gateway as default route.
 */
export function poolClient(vswitch: IPrivateVSwitch): LabHostOptions {
  return {
    interfaces: [{ name: 'eth0', segment: vswitch.cidr, addresses: [`${vswitch.dhcpPool.end}/${prefixOf(vswitch.cidr)}`] }],
    gateway: vswitch.gatewayIp,
  };
}

/** One host of a {@link Lab}. */
export class LabHost {
  /** Its private folders: the machine path each private directory is backed by. */
  private readonly privateRoots = new Map<string, string>();

  constructor(
    /** Host name. */
    public readonly name: string,
    /** Its folder in the lab's scratch folder. */
    public readonly root: string,
    /** Its options. */
    public readonly options: LabHostOptions,
    /** PID (in the machine's PID namespace) of the host's init: the target of `nsenter`. */
    public readonly initPid: number,
    privateDirs: readonly string[],
  ) {
    for (const d of privateDirs) this.privateRoots.set(d, join(root, 'fs', d));
  }

  /** The machine path of `path` inside the host; `path` must be under one of its private directories. */
  public path(path: string): string {
    for (const [dir, backing] of this.privateRoots) {
      if (path === dir || path.startsWith(`${dir}/`)) return join(backing, path.slice(dir.length));
    }
    throw new Error(`${this.name}: ${path} is not under a private directory of the host (${[...this.privateRoots.keys()].join(', ')})`);
  }

  /** Writes a file at `path` inside the host (under a private directory), creating its folders. */
  public writeFile(path: string, content: string, options: { readonly mode?: number; readonly owner?: string } = {}): string {
    const target = this.path(path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content, { mode: options.mode ?? 0o644 });
    if (options.owner) this.chown(path, options.owner);
    return target;
  }

  /** Creates a directory inside the host (under a private directory), owned by `owner` when given. */
  public mkdir(path: string, owner?: string, mode = 0o755): void {
    mkdirSync(this.path(path), { recursive: true });
    chmodSync(this.path(path), mode);
    if (owner) this.chown(path, owner);
  }

  /** Changes the owner (`user` or `user:group`) of a path inside the host. */
  public chown(path: string, owner: string): void {
    const [user, group] = owner.split(':');
    const uid = Number(runChecked(['id', '-u', user]).trim());
    const gid = Number(runChecked(group ? ['getent', 'group', group] : ['id', '-g', user]).trim().split(':').slice(group ? 2 : 0)[0]);
    chownSync(this.path(path), uid, gid);
  }

  /** Writes a file to the host's own folder (outside its file system view, e.g. a ruleset for `nft -f`); returns its path. */
  public stage(name: string, content: string): string {
    const target = join(this.root, 'staged', name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    return target;
  }

  /** The MAC address of one of its interfaces. */
  public mac(iface = 'eth0'): string {
    const r = runChecked(['nsenter', '-t', String(this.initPid), '-n', 'ip', '-o', 'link', 'show', iface]);
    const m = /link\/ether ([0-9a-f:]{17})/.exec(r);
    if (!m) throw new Error(`${this.name}: no MAC on ${iface}: ${r}`);
    return m[1];
  }
}

/** A daemon started by {@link Lab.spawn}: a child of the test, in its host's namespaces. */
export class LabProcess {
  /** Resolves when it has exited (code, or the signal that killed it). */
  public readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  private output = '';
  private exit?: { code: number | null; signal: NodeJS.Signals | null };

  constructor(
    /** The host it runs in. */
    public readonly host: LabHost,
    /** Its command line. */
    public readonly argv: readonly string[],
    private readonly child: ChildProcess,
    /** Its PID in the machine's PID namespace (the daemon itself, not nsenter). */
    public readonly pid: number,
  ) {
    const append = (b: Buffer) => {
      this.output = (this.output + b.toString('utf8')).slice(-LOG_LIMIT);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        this.exit = { code, signal };
        resolve(this.exit);
      };
      if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
      else child.once('exit', done);
    });
  }

  /** True while it runs. */
  public get running(): boolean {
    return this.exit === undefined;
  }

  /** What it printed so far (stdout and stderr, the last MiB). */
  public logs(): string {
    return this.output;
  }

  /** Its descendants' PIDs, deepest first (e.g. keepalived's VRRP child). */
  public descendants(): number[] {
    const walk = (pid: number): number[] => childrenOf(pid).flatMap((c) => [...walk(c), c]);
    return walk(this.pid);
  }

  /**
   * Sends `signal` to the daemon; with `tree`, to its descendants first (deepest first) then to
   * it, so a SIGKILL takes the whole daemon down at once as a crash would (no child left to
   * notice its parent's death and shut down cleanly).
   */
  public kill(signal: NodeJS.Signals, options: { readonly tree?: boolean } = {}): void {
    const pids = options.tree ? [...this.descendants(), this.pid] : [this.pid];
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
  }

  /** SIGTERM, then SIGKILL (with its descendants) after `timeoutMs`; resolves once it has exited. */
  public async stop(timeoutMs = 5000): Promise<void> {
    if (!this.running) return;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL', { tree: true }), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Waits until its output matches `pattern` (checked from `fromOffset` of the log). */
  public async waitForOutput(pattern: RegExp, timeoutMs: number, fromOffset = 0): Promise<number> {
    const started = Date.now();
    while (!pattern.test(this.output.slice(fromOffset))) {
      if (!this.running) throw new Error(`${this.host.name}: ${this.argv[0]} exited (${JSON.stringify(this.exit)}) before printing ${pattern}:\n${this.output}`);
      if (Date.now() - started > timeoutMs) throw new Error(`${this.host.name}: ${this.argv[0]} did not print ${pattern} within ${timeoutMs} ms:\n${this.output}`);
      await sleep(20);
    }
    return Date.now() - started;
  }

  /** Length of the log so far (an offset for {@link waitForOutput}). */
  public get logLength(): number {
    return this.output.length;
  }

  /** @internal */
  public get nodeChild(): ChildProcess {
    return this.child;
  }
}

/** A request loop running in a host (one node process). */
export class RequestLoop {
  /** Resolves with the report when the loop is over. */
  public readonly report: Promise<LoopReport>;
  private readonly samples: RequestSample[] = [];

  constructor(private readonly process: LabProcess, startedAt: number, hardLimitMs: number) {
    let buffer = '';
    const child = process.nodeChild;
    child.stdout?.on('data', (b: Buffer) => {
      buffer += b.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!line.startsWith('{"i"')) continue;
        const s = JSON.parse(line) as Omit<RequestSample, 'at'>;
        this.samples.push({ ...s, at: startedAt + s.t });
      }
    });
    const killer = setTimeout(() => process.kill('SIGKILL'), hardLimitMs);
    this.report = process.exited.then(({ code }) => {
      clearTimeout(killer);
      if (code !== 0) throw new Error(`request loop in ${process.host.name} ended with ${code}: ${process.logs().slice(-2000)}`);
      return summarize(this.samples);
    });
  }

  /** Requests answered (or failed) so far. */
  public get completed(): number {
    return this.samples.length;
  }

  /** Waits until `n` requests have completed. */
  public async whenCompleted(n: number, timeoutMs: number): Promise<void> {
    const started = Date.now();
    while (this.samples.length < n) {
      if (!this.process.running) throw new Error(`request loop ended after ${this.samples.length} requests, before ${n}`);
      if (Date.now() - started > timeoutMs) throw new Error(`request loop completed ${this.samples.length} requests in ${timeoutMs} ms, not ${n}`);
      await sleep(10);
    }
  }
}

/** A lab of hosts; see the file's comment. */
export class Lab {
  private readonly name: string;
  private scratchDir?: string;
  private readonly segments = new Map<string, string>();
  private readonly inits: ChildProcess[] = [];
  private switchInit?: Promise<number>;
  private readonly hosts = new Map<string, LabHost>();
  private readonly processes: LabProcess[] = [];
  private vethCounter = 0;
  private closed = false;

  constructor(name: string) {
    for (const b of ['ip', 'nsenter', 'unshare', 'setpriv', 'mount']) requireBinary(b);
    if (process.getuid?.() !== 0) throw new Error('the lab creates network namespaces and must run as root');
    this.name = name;
    liveLabs.add(this);
    installExitHook();
  }

  /** The lab's scratch folder (created on first use). */
  public get dir(): string {
    this.scratchDir ??= mkdtempSync(join(tmpdir(), `hs-lab-${this.name}-`));
    return this.scratchDir;
  }

  /** A host by name. */
  public host(name: string): LabHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`the lab has no host ${name}`);
    return h;
  }

  /**
   * Creates a host: its init process (new network, PID and mount namespaces, its private
   * directories bound over the machine's), its interfaces cabled to their segments (created on
   * first use), addresses, gateway and forwarding.
   */
  public async addHost(name: string, options: LabHostOptions): Promise<LabHost> {
    if (this.closed) throw new Error('the lab is closed');
    if (this.hosts.has(name)) throw new Error(`the lab already has a host ${name}`);
    if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(name)) throw new Error(`lab host name ${name}: letters, digits and '-' only`);
    const root = join(this.dir, 'hosts', name);
    const privateDirs = [...new Set(['/run', ...(options.privateDirs ?? [])])];
    const binds: string[] = [];
    for (const d of privateDirs) {
      if (!d.startsWith('/') || d.split('/').includes('..')) throw new Error(`${name}: private directory ${d} must be an absolute path`);
      if (!existsSync(d)) throw new Error(`${name}: private directory ${d} does not exist on this machine (a bind mount needs it)`);
      const backing = join(root, 'fs', d);
      mkdirSync(backing, { recursive: true });
      binds.push(backing, d);
    }
    const init = await this.startInit(name, binds);
    const host = new LabHost(name, root, options, init.pid, privateDirs);
    this.hosts.set(name, host);
    const inHost = (...argv: string[]) => runChecked(['nsenter', '-t', String(init.pid), '-n', ...argv]);
    inHost('ip', 'link', 'set', 'lo', 'up');
    for (const itf of options.interfaces) {
      const sw = await this.segment(itf.segment);
      const outer = `v${this.vethCounter++}`;
      const inner = itf.name ?? 'eth0';
      runChecked(['nsenter', '-t', String(sw.pid), '-n', 'ip', 'link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', String(init.pid)]);
      runChecked(['nsenter', '-t', String(sw.pid), '-n', 'ip', 'link', 'set', outer, 'master', sw.bridge, 'up']);
      inHost('ip', 'link', 'set', inner, 'up');
      for (const a of itf.addresses) inHost('ip', 'addr', 'add', a, 'dev', inner);
    }
    if (options.gateway) inHost('ip', 'route', 'add', 'default', 'via', options.gateway);
    inHost('sysctl', '-q', '-w', `net.ipv4.ip_forward=${options.forwarding ? 1 : 0}`);
    return host;
  }

  /**
   * Starts an init: PID 1 of new network, PID and mount namespaces (own /proc and /sys, `binds`
   * mounted: backing, target, ...). The namespaces have no name: they vanish with their processes,
   * which die with the init, which dies with the test process (parent-death signal) or after
   * HOST_LIFETIME_SECONDS; nothing of a lab outlives its test run.
   */
  private async startInit(label: string, binds: readonly string[]): Promise<{ child: ChildProcess; pid: number }> {
    const script = 'set -e; life=$1; shift; mount -t sysfs lab-sysfs /sys; while [ $# -gt 0 ]; do mount --bind "$1" "$2"; shift 2; done; echo lab-init-ready; exec sleep "$life"';
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '--net', '--pid', '--fork', '--mount-proc', '--kill-child', '--', 'sh', '-c', script, 'lab-init', String(HOST_LIFETIME_SECONDS), ...binds], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.inits.push(child);
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    const started = Date.now();
    while (!out.includes('lab-init-ready')) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() - started > 5000) {
        child.kill('SIGKILL');
        throw new Error(`${label}: the init did not start: ${out}`);
      }
      await sleep(10);
    }
    return { child, pid: await waitForChild(child.pid!, 5000) };
  }

  /** Starts a daemon in `host` (a child of the test) and waits until it is ready. */
  public async spawn(host: LabHost, argv: readonly string[], options: SpawnOptions = {}): Promise<LabProcess> {
    requireBinary(argv[0]);
    const command = options.user ? ['setpriv', `--reuid=${options.user}`, `--regid=${options.user}`, '--init-groups', '--', ...argv] : [...argv];
    const child = spawn('nsenter', ['-t', String(host.initPid), '-n', '-m', '-p', '--', ...command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(options.env ?? {}) },
    });
    let pid: number;
    try {
      pid = await waitForChild(child.pid!, 5000);
    } catch (e) {
      child.kill('SIGKILL');
      throw new Error(`${host.name}: ${argv.join(' ')} did not start: ${(e as Error).message}`);
    }
    const p = new LabProcess(host, argv, child, pid);
    this.processes.push(p);
    const timeoutMs = options.readyTimeoutMs ?? 15000;
    const ready = options.readyWhen;
    if (ready && 'output' in ready) {
      await p.waitForOutput(ready.output, timeoutMs);
    } else if (ready) {
      const check = 'tcp' in ready ? () => this.tcpOpen(host, ready.tcp.address, ready.tcp.port) : ready.check;
      const started = Date.now();
      while (!(await check())) {
        if (!p.running) throw new Error(`${host.name}: ${argv[0]} exited before it was ready:\n${p.logs()}`);
        if (Date.now() - started > timeoutMs) throw new Error(`${host.name}: ${argv[0]} not ready within ${timeoutMs} ms:\n${p.logs()}`);
        await sleep(50);
      }
    }
    return p;
  }

  /** Runs a command in `host` and waits for it (bounded). */
  public exec(host: LabHost, argv: readonly string[], options: { readonly timeoutMs?: number; readonly input?: string; readonly env?: NodeJS.ProcessEnv } = {}): ExecResult {
    const r = spawnSync('nsenter', ['-t', String(host.initPid), '-n', '-m', '-p', '--', ...argv], {
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 20000,
      input: options.input,
      env: { ...process.env, ...(options.env ?? {}) },
    });
    return { ok: r.status === 0, status: r.status, stdout: r.stdout ?? '', output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
  }

  /** Runs a command in `host` without blocking the test's event loop (bounded). */
  public execAsync(host: LabHost, argv: readonly string[], options: { readonly timeoutMs?: number } = {}): Promise<ExecResult> {
    return new Promise((resolve) => {
      const child = spawn('nsenter', ['-t', String(host.initPid), '-n', '-m', '-p', '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20000);
      child.once('close', (status) => {
        clearTimeout(timer);
        resolve({ ok: status === 0, status, stdout, output: stdout + stderr });
      });
    });
  }

  /**
   * One HTTP GET with curl from `from` (bounded by `timeoutMs`). An https URL is fetched without
   * verifying the certificate: the lab's servers carry generated test pairs.
   */
  public async curl(from: LabHost, url: string, timeoutMs = 2000): Promise<CurlResult> {
    requireBinary('curl');
    const marker = '\n__lab_curl__';
    const r = await this.execAsync(from, ['curl', '-sS', ...(url.startsWith('https:') ? ['--insecure'] : []), '--max-time', (timeoutMs / 1000).toFixed(3), '-w', `${marker} %{http_code} %{time_total}`, url], { timeoutMs: timeoutMs + 2000 });
    const at = r.stdout.lastIndexOf(marker);
    const [status, total] = at >= 0 ? r.stdout.slice(at + marker.length).trim().split(' ').map(Number) : [0, 0];
    const ok = r.ok && status >= 200 && status < 300;
    return { ok, status, body: at >= 0 ? r.stdout.slice(0, at) : r.stdout, ms: Math.round(total * 1000), error: r.ok ? undefined : r.output.trim() };
  }

  /**
   * Starts a bounded HTTP request loop in `from` (one node process, a new connection per request)
   * and returns at once; `loop.report` resolves when it is over.
   */
  public async requestLoop(from: LabHost, url: string, options: RequestLoopOptions): Promise<RequestLoop> {
    if (!(options.count > 0) || !(options.durationMs > 0)) throw new Error('a request loop needs a positive count and duration');
    const timeoutMs = options.timeoutMs ?? 10000;
    const params = { url, count: options.count, durationMs: options.durationMs, concurrency: options.concurrency ?? 4, rate: options.ratePerSecond ?? 0, timeoutMs };
    const startedAt = Date.now();
    const p = await this.spawn(from, [process.execPath, '-e', LOOP_SCRIPT, JSON.stringify(params)]);
    return new RequestLoop(p, startedAt, options.durationMs + timeoutMs + 5000);
  }

  /**
   * Starts the lab's tiny HTTP server in `host`: `/healthz` answers `ok`, every other path the
   * server's name, each answer closing its connection. SIGUSR2 makes it crash (SIGKILL itself) at
   * the first instant it has no request in progress, connections the kernel completed but it had not
   * accepted yet included: a member dying between two requests.
   */
  public async startHttpServer(host: LabHost, options: { readonly address?: string; readonly port: number; readonly name?: string }): Promise<LabProcess> {
    requireBinary('python3');
    const address = options.address ?? '0.0.0.0';
    return this.spawn(host, ['python3', '-u', '-c', HTTP_SERVER_SCRIPT, address, String(options.port), options.name ?? host.name], { readyWhen: { output: /^listening/m }, readyTimeoutMs: 10000 });
  }

  /** True when `host` has `ip` on one of its interfaces. */
  public hasAddress(host: LabHost, ip: string): boolean {
    const r = spawnSync('nsenter', ['-t', String(host.initPid), '-n', 'ip', '-o', '-4', 'addr', 'show'], { encoding: 'utf8', timeout: 5000 });
    return (r.stdout ?? '').split('\n').some((l) => l.includes(` inet ${ip}/`));
  }

  /** The MAC `from` has in its neighbour table for `ip` (what its packets to `ip` go to). */
  public neighbourMac(from: LabHost, ip: string): string | undefined {
    const r = spawnSync('nsenter', ['-t', String(from.initPid), '-n', 'ip', 'neigh', 'show', ip], { encoding: 'utf8', timeout: 5000 });
    return /lladdr ([0-9a-f:]{17})/.exec(r.stdout ?? '')?.[1];
  }

  /** True when a TCP connection from `host` to address:port is accepted. */
  public async tcpOpen(host: LabHost, address: string, port: number): Promise<boolean> {
    const r = await this.execAsync(host, ['bash', '-c', `exec 3<>/dev/tcp/${address}/${port}`], { timeoutMs: 2000 });
    return r.ok;
  }

  /** Polls `predicate` until true; returns the ms it took, throws after `timeoutMs`. */
  public async waitFor(what: string, predicate: () => boolean | Promise<boolean>, options: WaitOptions): Promise<number> {
    const started = Date.now();
    for (;;) {
      if (await predicate()) return Date.now() - started;
      if (Date.now() - started > options.timeoutMs) throw new Error(`${what}: not within ${options.timeoutMs} ms`);
      await sleep(options.intervalMs ?? 20);
    }
  }

  /** Kills every process and init (their namespaces vanish with them), removes the lab's folder. Safe to call twice. */
  public async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.processes) if (p.running) p.kill('SIGKILL', { tree: true });
    await Promise.all(this.processes.map((p) => bounded(p.exited, 5000)));
    for (const init of this.inits) init.kill('SIGKILL');
    await Promise.all(this.inits.map((init) => (init.exitCode !== null || init.signalCode !== null ? undefined : bounded(new Promise((r) => init.once('exit', r)), 5000))));
    if (this.scratchDir) rmSync(this.scratchDir, { recursive: true, force: true });
    liveLabs.delete(this);
  }

  /** Synchronous last-resort cleanup (process exit). */
  public closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.processes) if (p.running) p.kill('SIGKILL', { tree: true });
    for (const init of this.inits) init.kill('SIGKILL');
    if (this.scratchDir) rmSync(this.scratchDir, { recursive: true, force: true });
  }

  /** The switch (an init of its own holding the bridges) and the bridge of a segment, created on first use. */
  private async segment(name: string): Promise<{ pid: number; bridge: string }> {
    this.switchInit ??= this.startInit('switch', []).then(({ pid }) => {
      runChecked(['nsenter', '-t', String(pid), '-n', 'ip', 'link', 'set', 'lo', 'up']);
      return pid;
    });
    const pid = await this.switchInit;
    let bridge = this.segments.get(name);
    if (!bridge) {
      bridge = `br${this.segments.size}`;
      this.segments.set(name, bridge);
      runChecked(['nsenter', '-t', String(pid), '-n', 'ip', 'link', 'add', bridge, 'type', 'bridge']);
      runChecked(['nsenter', '-t', String(pid), '-n', 'ip', 'link', 'set', bridge, 'up']);
    }
    return { pid, bridge };
  }
}

/** haproxy's `show stat` on a stats socket (a machine path: `host.path('/run/haproxy/admin.sock')`). */
export async function haproxyStat(socketPath: string, timeoutMs = 2000): Promise<Record<string, string>[]> {
  const text = await new Promise<string>((resolve, reject) => {
    let out = '';
    const s = connect(socketPath);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer on ${socketPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('connect', () => s.write('show stat\n'));
    s.on('data', (b) => (out += b.toString('utf8')));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0].replace(/^# /, '').split(',');
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));
}

/** Reads a file of the machine (for logs the daemons write in private directories). */
export function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Percentile (nearest rank) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summarize(samples: RequestSample[]): LoopReport {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const failed = samples.filter((s) => s.error !== undefined || s.status < 200 || s.status >= 300);
  const byBody: Record<string, number> = {};
  for (const s of samples) if (!s.error) byBody[s.body] = (byBody[s.body] ?? 0) + 1;
  const first = samples.reduce((m, s) => Math.min(m, s.t), Infinity);
  const last = samples.reduce((m, s) => Math.max(m, s.t + s.ms), 0);
  return {
    sent: samples.length,
    ok: samples.length - failed.length,
    failed,
    latency: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? 0 },
    byBody,
    durationMs: samples.length ? last - first : 0,
    samples,
  };
}

/** `promise`, or undefined after `ms` (the timer does not outlive it). */
function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function runChecked(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 10000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`);
  return r.stdout;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The PID of the single child `pid` forks (nsenter's and unshare's), once it exists. */
async function waitForChild(pid: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const c = childrenOf(pid);
    if (c.length > 0) return c[0];
    if (!existsSync(`/proc/${pid}`) || Date.now() - started > timeoutMs) throw new Error(`process ${pid} forked no child within ${timeoutMs} ms`);
    await sleep(5);
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lab of liveLabs) lab.closeNow();
  });
}

/** The request loop, run by node inside the client host. Prints one JSON line per request. */
const LOOP_SCRIPT = `
const p = JSON.parse(process.argv[1]);
const http = require(p.url.startsWith('https:') ? 'https' : 'http');
const t0 = Date.now();
let next = 0;
function one(i) {
  return new Promise((resolve) => {
    const start = Date.now();
    let done = false;
    const finish = (status, error, body) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const line = { i, t: start - t0, ms: Date.now() - start, status, body: (body || '').split('\\n')[0].slice(0, 64) };
      if (error) line.error = error;
      process.stdout.write(JSON.stringify(line) + '\\n');
      resolve();
    };
    // Test certificates: an https URL is fetched without verifying the chain.
    const req = http.get(p.url, { agent: false, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { if (body.length < 256) body += c; });
      res.on('end', () => finish(res.statusCode, undefined, body));
      res.on('error', (e) => finish(res.statusCode, String(e.code || e.message), body));
    });
    const timer = setTimeout(() => { req.destroy(new Error('timeout')); }, p.timeoutMs);
    req.on('error', (e) => finish(0, String(e.code || e.message), ''));
  });
}
async function worker() {
  for (;;) {
    if (next >= p.count || Date.now() - t0 >= p.durationMs) return;
    const i = next++;
    if (p.rate > 0) {
      const due = t0 + (i * 1000) / p.rate;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      if (Date.now() - t0 >= p.durationMs) return;
    }
    await one(i);
  }
}
Promise.all(Array.from({ length: p.concurrency }, worker)).then(() => process.exit(0));
`;

/** The tiny HTTP server of {@link Lab.startHttpServer}. */
const HTTP_SERVER_SCRIPT = `
import os, signal, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
address, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# Re-entrant: the SIGUSR2 handler runs in the main thread, which may hold it (accepting a connection).
lock = threading.RLock()
state = {'active': 0, 'dying': False}
def crash_if_idle():
    with lock:
        if state['dying'] and state['active'] == 0:
            os.kill(os.getpid(), signal.SIGKILL)
class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'
    def do_GET(self):
        body = (b'ok\\n' if self.path == '/healthz' else (name + '\\n').encode())
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Connection', 'close')
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class Server(ThreadingHTTPServer):
    daemon_threads = True
    # A connection counts from its accept to its close, so a crash never cuts one short.
    def process_request(self, request, client_address):
        with lock:
            state['active'] += 1
        super().process_request(request, client_address)
    def shutdown_request(self, request):
        super().shutdown_request(request)
        with lock:
            state['active'] -= 1
        crash_if_idle()
def on_usr2(signum, frame):
    state['dying'] = True
signal.signal(signal.SIGUSR2, on_usr2)
server = Server((address, port), Handler)
server.timeout = 0.05
print('listening %s:%d' % (address, port), flush=True)
while not state['dying']:
    server.handle_request()
# Dying: a connection the kernel completed but nobody accepted yet is a request in progress too
# (its client has sent or is sending it). Take every one of those, stop listening (new connections
# are refused, so a balancer fails over before sending), then die once the taken ones are answered.
server.socket.setblocking(False)
while True:
    try:
        request, client_address = server.socket.accept()
    except (BlockingIOError, InterruptedError):
        break
    request.setblocking(True)
    server.process_request(request, client_address)
server.socket.close()
crash_if_idle()
threading.Event().wait()
`;
