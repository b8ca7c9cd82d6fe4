/**
 * Small host-side helpers shared by the lab's image, package repository and server code: running a
 * command with its output captured, a cross-process lock (concurrent jest workers), hashing.
 */
import { spawn, SpawnOptions } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { HostingStacksToolError } from '../core/errors';

/** A progress logger: one line per call. */
export type LabLog = (line: string) => void;

/** The default logger: quiet unless `HOSTING_STACKS_LAB_VERBOSE` is set. */
export const defaultLabLog: LabLog = (line) => {
  if (process.env.HOSTING_STACKS_LAB_VERBOSE) {
    process.stderr.write(`[lab] ${line}\n`);
  }
};

/** Result of a finished command. */
export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Kill the command (SIGKILL) after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Standard input. */
  readonly input?: string;
  /** Throw unless the command exits 0 (default true). */
  readonly check?: boolean;
  /** Called with each complete line of stdout/stderr (progress of long commands). */
  readonly onLine?: (line: string) => void;
}

/** Error of a command that failed: carries its output. */
export class CommandError extends HostingStacksToolError {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    super(
      'command',
      argv[0] ?? '',
      `command failed (${result.signal ?? `exit ${result.code}`}): ${argv.join(' ')}\n` +
        `${tail(result.stderr, 3000)}${result.stderr.trim() ? '' : tail(result.stdout, 3000)}`,
    );
    this.name = 'CommandError';
  }
}

function tail(text: string, n: number): string {
  return text.length > n ? `...${text.slice(-n)}` : text;
}

/** Runs `argv` and captures its output. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const check = options.check ?? true;
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    };
    const child = spawn(argv[0], argv.slice(1), spawnOptions);
    let stdout = '';
    let stderr = '';
    const partial = { out: '', err: '' };
    const feed = (which: 'out' | 'err', chunk: string): void => {
      if (!options.onLine) return;
      const text = partial[which] + chunk;
      const lines = text.split('\n');
      partial[which] = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
    };
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      feed('out', d);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      feed('err', d);
    });
    let timer: NodeJS.Timeout | undefined;
    if (options.timeoutMs) {
      timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    }
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const result: RunResult = { code, signal, stdout, stderr };
      if (check && code !== 0) reject(new CommandError(argv, result));
      else resolve(result);
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.input ?? '');
  });
}

/** SHA-256 (hex) of the JSON of `value`. */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` holding an exclusive lock file (created with O_EXCL, holding `pid`): other processes
 * (jest workers) wait. A lock whose process no longer exists is stale and taken over.
 */
export async function withLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: { timeoutMs?: number; log?: LabLog } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const deadline = Date.now() + timeoutMs;
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = NaN;
      try {
        holder = parseInt(fs.readFileSync(lockPath, 'utf8'), 10);
      } catch {
        continue; // removed meanwhile
      }
      if (Number.isFinite(holder) && !pidAlive(holder)) {
        // Stale: its process is gone. Remove it only if it still names that process.
        try {
          if (parseInt(fs.readFileSync(lockPath, 'utf8'), 10) === holder) fs.unlinkSync(lockPath);
        } catch {
          /* raced with another waiter */
        }
        continue;
      }
      if (Number.isNaN(holder)) {
        // Being written right now, or garbage: give it a moment, then treat an old one as stale.
        const age = Date.now() - (fs.statSync(lockPath, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > 10_000) {
          try {
            fs.unlinkSync(lockPath);
          } catch {
            /* raced */
          }
          continue;
        }
      }
      if (!announced) {
        options.log?.(`waiting for lock ${lockPath} (held by pid ${holder})`);
        announced = true;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lockPath}`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    try {
      fs.unlinkSync(lockPath);
    } catch {
      /* already gone */
    }
  }
}

/** The Debian archive the host's apt uses: mirror URIs per suite, read from its sources. */
export interface DebianSources {
  /** `http://deb.debian.org/debian` */
  readonly mirror: string;
  /** `bookworm`, `bookworm-updates` on the mirror. */
  readonly suites: readonly string[];
  /** `http://deb.debian.org/debian-security` */
  readonly securityMirror?: string;
  /** `bookworm-security` */
  readonly securitySuite?: string;
}

/**
 * Reads the host's Debian sources (deb822 `.sources` files and one-line `.list` files), keeping only
 * `main` Debian archive entries for `release`.
 */
export function hostDebianSources(release = 'bookworm'): DebianSources {
  const entries: { uri: string; suites: string[] }[] = [];
  const files: string[] = [];
  if (fs.existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  if (fs.existsSync('/etc/apt/sources.list.d')) {
    for (const f of fs.readdirSync('/etc/apt/sources.list.d').sort()) {
      if (f.endsWith('.sources') || f.endsWith('.list')) files.push(path.join('/etc/apt/sources.list.d', f));
    }
  }
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const fields: Record<string, string> = {};
        for (const line of stanza.split('\n')) {
          if (line.startsWith('#')) continue;
          const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
          if (m) fields[m[1].toLowerCase()] = m[2].trim();
        }
        if (!(fields.types ?? '').split(/\s+/).includes('deb')) continue;
        if (fields.enabled === 'no') continue;
        for (const uri of (fields.uris ?? '').split(/\s+/).filter(Boolean)) {
          entries.push({ uri, suites: (fields.suites ?? '').split(/\s+/).filter(Boolean) });
        }
      }
    } else {
      for (const raw of text.split('\n')) {
        const line = raw.replace(/#.*/, '').trim();
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m) entries.push({ uri: m[1], suites: [m[2]] });
      }
    }
  }
  let mirror: string | undefined;
  const suites = new Set<string>();
  let securityMirror: string | undefined;
  let securitySuite: string | undefined;
  for (const e of entries) {
    for (const s of e.suites) {
      if (s === `${release}-security` || s === `${release}/updates`) {
        securityMirror ??= e.uri.replace(/\/$/, '');
        securitySuite ??= s;
      } else if (s === release || s === `${release}-updates`) {
        if (!mirror) mirror = e.uri.replace(/\/$/, '');
        if (e.uri.replace(/\/$/, '') === mirror) suites.add(s);
      }
    }
  }
  if (!mirror) {
    // Debian's own archive: the only fallback.
    mirror = 'http://deb.debian.org/debian';
    suites.add(release).add(`${release}-updates`);
    securityMirror ??= 'http://deb.debian.org/debian-security';
    securitySuite ??= `${release}-security`;
  }
  return { mirror, suites: [...suites].sort(), securityMirror, securitySuite };
}

/** One-line apt sources for `sources`. */
export function sourcesList(sources: DebianSources): string {
  const lines = sources.suites.map((s) => `deb ${sources.mirror} ${s} main`);
  if (sources.securityMirror && sources.securitySuite) {
    lines.push(`deb ${sources.securityMirror} ${sources.securitySuite} main`);
  }
  return `${lines.join('\n')}\n`;
}

/** The lab's cache directory. */
export function labCacheDir(cacheDir?: string): string {
  return cacheDir ?? process.env.HOSTING_STACKS_LAB_CACHE ?? '/var/cache/hosting-stacks-lab';
}

/** Whether `dir` is a mount point (listed in /proc/self/mounts). */
export function isMountPoint(dir: string): boolean {
  const target = path.resolve(dir);
  const mounts = fs.readFileSync('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[1]?.replace(/\\040/g, ' ') === target);
}

/** Removes a directory tree, never following a mount point inside it (unmounts those first). */
export async function removeTree(dir: string): Promise<void> {
  if (!fs.existsSync(dir)) return;
  const target = path.resolve(dir);
  const mounts = fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && (m === target || m.startsWith(`${target}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    await run(['umount', m], { check: false });
    if (isMountPoint(m)) await run(['umount', '-l', m], { check: false });
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * inotify instances one booted server takes (systemd, journald, logind, cloud-init, the daemons):
 * about seven measured; room for twice that.
 */
export const INOTIFY_INSTANCES_PER_SERVER = 16;
const INOTIFY_INSTANCES = '/proc/sys/fs/inotify/max_user_instances';

/**
 * Makes room for `servers` containers' inotify instances. Every container runs as the host's root,
 * so all share root's `fs.inotify.max_user_instances` (128 by default): past about 18 servers,
 * systemd units fail in them with "Too many open files" (a limit of the lab's host, not of a VM,
 * which has a kernel of its own). Raises the limit when it is lower, never lowers it (other labs
 * may be running); returns what it did, for the report, or undefined when nothing was needed.
 */
export function ensureInotifyInstances(servers: number): string | undefined {
  const needed = 128 + servers * INOTIFY_INSTANCES_PER_SERVER;
  const current = Number(fs.readFileSync(INOTIFY_INSTANCES, 'utf8').trim());
  if (Number.isFinite(current) && current >= needed) return undefined;
  fs.writeFileSync(INOTIFY_INSTANCES, `${needed}\n`);
  return `host: fs.inotify.max_user_instances raised from ${current} to ${needed} (${servers} servers share root's inotify instances)`;
}

/** Servers of the labs running in this process now (labs run at once share root's instances). */
let labServersInProcess = 0;

/**
 * {@link ensureInotifyInstances} for `servers` more containers, counting those of every lab running
 * in this process; `release()` gives them back when the lab is removed.
 */
export function reserveInotifyInstances(servers: number): { readonly note?: string; release(): void } {
  labServersInProcess += servers;
  let released = false;
  const note = ensureInotifyInstances(labServersInProcess);
  return {
    note,
    release: () => {
      if (released) return;
      released = true;
      labServersInProcess -= servers;
    },
  };
}
