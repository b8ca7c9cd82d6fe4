/**
 * The lab's stand-in for the internet's download servers and the APIs servers call. What a server
 * downloads at boot from outside the Debian archive (a release tarball) is a deploy risk, and
 * cannot be fetched here: the lab answers those URLs itself, over HTTPS with a certificate of its
 * own CA, from its public namespace, with a stand-in body. The body is not the release, so a server
 * that pins the release's checksum must refuse it and fail visibly; a server that carries on has a
 * defect. An API a server calls (the scaling hook's workflow dispatch) is answered too: every POST
 * is recorded, as the API would receive it, and accepted with 204.
 *
 * The servers find the stand-in through `/etc/hosts` (cloud-init's template, which it renders at
 * every boot) and trust the lab's CA through the system bundle: both are adaptations the report
 * names, made only on servers that download something.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabAdaptation, writtenFiles } from './kernel-limits';
import { LabServerModel } from './model';

/** `https://host/path` URLs a server's files fetch (lines that run curl, wget or a fetch helper), not addresses or `localhost`. */
export function downloadsOf(server: LabServerModel): string[] {
  const urls = new Set<string>();
  for (const content of writtenFiles(server.userData).values()) {
    for (const line of content.split('\n')) {
      if (/^\s*#/.test(line) || !/\b(curl|wget|fetch_verified)\b/.test(line)) continue;
      for (const m of line.matchAll(/https?:\/\/([A-Za-z0-9.-]+)(?::\d+)?\/[^\s'"]*/g)) {
        // Only names: an address is a server of the stack or nothing the lab should stand in for,
        // and `localhost` (a local health check, over a unix socket or loopback) never leaves the server.
        if (/[a-z]/i.test(m[1]) && !/^\d+(\.\d+){3}$/.test(m[1]) && !/(^|\.)localhost$/i.test(m[1])) urls.add(m[0]);
      }
    }
  }
  return [...urls];
}

/**
 * `https://host/path` URLs of the APIs a server calls: the `url` values of its JSON config files
 * (the scaling hook's `dispatch.url`), with a name for host (not an address or `localhost`).
 */
export function outboundApisOf(server: LabServerModel): string[] {
  const urls = new Set<string>();
  const visit = (value: unknown, key: string): void => {
    if (typeof value === 'string') {
      const m = /^https:\/\/([A-Za-z0-9.-]+)(?::\d+)?\//.exec(value);
      if (key === 'url' && m && /[a-z]/i.test(m[1]) && !/(^|\.)localhost$/i.test(m[1])) urls.add(value);
    } else if (Array.isArray(value)) {
      value.forEach((v) => visit(v, key));
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, k);
    }
  };
  for (const [path, content] of writtenFiles(server.userData)) {
    if (!path.endsWith('.json')) continue;
    try {
      visit(JSON.parse(content), '');
    } catch {
      // not JSON after all: nothing to call
    }
  }
  return [...urls];
}

/** A request a server POSTed to the stand-in, as the API would receive it. */
export interface LabInternetPost {
  /** The server's address. */
  readonly client: string;
  /** `Host` header. */
  readonly host: string;
  readonly path: string;
  /** The request's headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The host name of a URL. */
export function hostOf(url: string): string {
  return /^https?:\/\/([^/:]+)/.exec(url)![1];
}

const SERVER_PY = `
import http.server, json, ssl, sys
addr, cert, key, log, posts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0)).decode('utf-8', 'replace')
        with open(posts, 'a') as f:
            f.write(json.dumps({'client': self.client_address[0], 'host': self.headers.get('Host', ''), 'path': self.path,
                                'headers': {k.lower(): v for k, v in self.headers.items()}, 'body': body}) + '\\n')
        self.send_response(204)
        self.end_headers()
    def do_GET(self):
        body = ('hosting-stacks lab stand-in for https://%s%s: not the release\\n' % (self.headers.get('Host', ''), self.path)).encode()
        with open(log, 'a') as f:
            f.write('%s %s%s\\n' % (self.client_address[0], self.headers.get('Host', ''), self.path))
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer((addr, 443), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print('ready', flush=True)
s.serve_forever()
`;

/** The stand-in download server, in the lab's public namespace. */
export class LabInternet {
  /** Starts it on `address:443` in `namespace`, with a CA and a certificate for `hosts`. */
  public static async start(options: { readonly namespace: string; readonly address: string; readonly hosts: readonly string[]; readonly workDir: string }): Promise<LabInternet> {
    const dir = options.workDir;
    mkdirSync(dir, { recursive: true });
    const openssl = (args: string[]): void => {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0) throw new Error(`lab internet: openssl ${args[0]} failed: ${r.stderr}`);
    };
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=hosting-stacks lab CA', '-keyout', 'ca.key', '-out', 'ca.crt', '-addext', 'basicConstraints=critical,CA:TRUE']);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${options.hosts[0]}`, '-keyout', 'site.key', '-out', 'site.csr']);
    writeFileSync(join(dir, 'san.ext'), `subjectAltName=${options.hosts.map((h) => `DNS:${h}`).join(',')}\n`);
    openssl(['x509', '-req', '-in', 'site.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'site.crt']);
    writeFileSync(join(dir, 'server.py'), SERVER_PY);
    const log = join(dir, 'requests.log');
    const posts = join(dir, 'posts.jsonl');
    writeFileSync(log, '');
    writeFileSync(posts, '');
    const child = spawn('ip', ['netns', 'exec', options.namespace, 'python3', join(dir, 'server.py'), options.address, join(dir, 'site.crt'), join(dir, 'site.key'), log, posts],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    const internet = new LabInternet(child, readFileSync(join(dir, 'ca.crt'), 'utf8'), log, posts, options.address, options.hosts);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('lab internet: the stand-in server did not start within 10 s')), 10_000);
      let err = '';
      child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
      child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) { clearTimeout(timer); resolve(); } });
      child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`lab internet: the stand-in server exited (${code}): ${err}`)); });
    }).catch(async (e) => { await internet.stop(); throw e; });
    return internet;
  }

  private constructor(private readonly child: ChildProcess, public readonly caPem: string, private readonly logFile: string,
    private readonly postsFile: string, public readonly address: string, public readonly hosts: readonly string[]) {}

  /** `host/path` of every GET served so far. */
  public requests(): string[] {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[1]) : [];
  }

  /** Every POST received so far, in order. */
  public posts(): LabInternetPost[] {
    return existsSync(this.postsFile) ? readFileSync(this.postsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LabInternetPost) : [];
  }

  /** What a server that downloads from or calls `hosts` needs: their names resolving to the stand-in, and the lab's CA trusted. */
  public adaptations(image: string, hosts: readonly string[]): LabAdaptation[] {
    const template = '/etc/cloud/templates/hosts.debian.tmpl';
    const bundle = '/etc/ssl/certs/ca-certificates.crt';
    const reason = `what it reaches outside the stack (${hosts.join(', ')}: downloads from outside the Debian archive, APIs it calls) reaches the lab's stand-in server, whose CA is trusted`;
    return [
      { path: template, content: `${readFileSync(join(image, template), 'utf8').trimEnd()}\n# hosting-stacks lab: stand-in for the internet's download servers and APIs\n${this.address} ${hosts.join(' ')}\n`, reason },
      { path: '/usr/local/share/ca-certificates/hosting-stacks-lab.crt', content: this.caPem, reason },
      { path: bundle, content: `${readFileSync(join(image, bundle), 'utf8').trimEnd()}\n${this.caPem}`, reason },
    ];
  }

  /** Stops the server (SIGTERM, then SIGKILL) and waits for it. */
  public async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
