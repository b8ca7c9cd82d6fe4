/**
 * Probes the lab sends between its own namespaces: a TCP connect and an HTTP request, each bounded
 * in time. They run host binaries (`bash`, `curl`) inside a namespace of the lab with
 * `ip netns exec`, so a probe starts exactly where the traffic would (the internet client, a
 * server's namespace) and can reach only what the lab built.
 */
import { spawn } from 'node:child_process';

/** What a command run in a namespace returned. */
export interface NamespaceExecResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `argv` in the named network namespace, killed after `timeoutMs`. */
export function execInNamespace(namespace: string, argv: readonly string[], timeoutMs = 10_000): Promise<NamespaceExecResult> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', namespace, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { if (stdout.length < 1_000_000) stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { if (stderr.length < 100_000) stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); resolve({ status: null, stdout, stderr: stderr + String(e) }); });
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

/** Whether a TCP connection from `namespace` to `address:port` is accepted within `timeoutSeconds`. */
export async function tcpConnects(namespace: string, address: string, port: number, timeoutSeconds = 3): Promise<boolean> {
  const r = await execInNamespace(namespace,
    ['timeout', String(timeoutSeconds), 'bash', '-c', `exec 3<>/dev/tcp/${address}/${port}`], (timeoutSeconds + 2) * 1000);
  return r.status === 0;
}

/**
 * Whether a TCP connection from `namespace` reaches `address:port`: `connected`, `refused` (the
 * server's kernel answered with a reset: nothing listens, but no firewall dropped the SYN), or
 * `silent` (no answer: dropped on the way, or no such host).
 */
export async function tcpReach(namespace: string, address: string, port: number, timeoutSeconds = 3): Promise<'connected' | 'refused' | 'silent'> {
  const r = await execInNamespace(namespace,
    ['timeout', String(timeoutSeconds), 'bash', '-c', `exec 3<>/dev/tcp/${address}/${port}`], (timeoutSeconds + 2) * 1000);
  if (r.status === 0) return 'connected';
  return /connection refused/i.test(r.stderr) ? 'refused' : 'silent';
}

/** One HTTP exchange seen from a namespace. */
export interface HttpProbe {
  readonly url: string;
  /** HTTP status, 0 when no response came. */
  readonly status: number;
  /** The first 2,000 characters of the body. */
  readonly body: string;
  readonly error?: string;
}

/** `curl` from `namespace` (TLS not verified: the lab's certificates are its own), bounded. */
export async function httpGet(namespace: string, url: string, timeoutSeconds = 10, headers: Record<string, string> = {}): Promise<HttpProbe> {
  const args = ['curl', '-sS', '-k', '--max-time', String(timeoutSeconds), '-o', '-', '-w', '\n%{http_code}'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  const r = await execInNamespace(namespace, args, (timeoutSeconds + 3) * 1000);
  const cut = r.stdout.lastIndexOf('\n');
  const status = Number(r.stdout.slice(cut + 1)) || 0;
  return { url, status, body: r.stdout.slice(0, Math.max(0, cut)).slice(0, 2000), error: status === 0 ? r.stderr.trim() || 'no response' : undefined };
}
