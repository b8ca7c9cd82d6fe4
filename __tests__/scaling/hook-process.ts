/**
 * The real scaling hook (python3) started for a test: on 127.0.0.1, a free port, its output kept,
 * stopped by PID (SIGTERM, then SIGKILL after 5 s) and waited for.
 */
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

export interface HookProcess {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Everything it printed so far. */
  output(): string;
  /** Waits until `ok()` holds, polling every 50 ms; throws with the hook's output after `ms`. */
  waitFor(what: string, ok: () => boolean, ms?: number): Promise<void>;
  /** Stops it and waits for it to exit. */
  stop(): Promise<void>;
}

async function waitUntil(what: string, ok: () => boolean, ms: number, output: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; hook output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `python3 -u script config` with `env` (default: this process's) and waits until it listens. */
export async function startHook(script: string, configPath: string, env: NodeJS.ProcessEnv = process.env): Promise<HookProcess> {
  let text = '';
  const hook: ChildProcessWithoutNullStreams = spawn('python3', ['-u', script, configPath], { stdio: 'pipe', env });
  const exited = new Promise<number | null>((resolve) => hook.on('exit', (code) => resolve(code)));
  hook.stdout.on('data', (d: Buffer) => (text += d.toString()));
  hook.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const output = () => text;
  const stop = async (): Promise<void> => {
    if (hook.exitCode !== null || hook.signalCode !== null) return;
    hook.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    if (hook.exitCode === null && hook.signalCode === null) {
      hook.kill('SIGKILL');
      await exited;
    }
  };
  try {
    await waitUntil('the hook to listen', () => /listening on 127\.0\.0\.1:\d+/.test(text), 10000, output);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url: `http://127.0.0.1:${/listening on 127\.0\.0\.1:(\d+)/.exec(text)![1]}`,
    output,
    waitFor: (what, ok, ms = 10000) => waitUntil(what, ok, ms, output),
    stop,
  };
}
