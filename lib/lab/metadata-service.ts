/**
 * The lab's Nova metadata service, realised as Neutron realises it for routed networks: in each
 * router's namespace, a rule redirects `169.254.169.254:80` to a proxy on port 9697, which
 * identifies the instance by the request's source address and answers its
 * `/openstack/latest/meta_data.json` (`uuid`, `name`, `hostname`, `meta`: the instance's metadata
 * as Terraform evaluates it). A server on a network without a router gets no answer, as on Neutron
 * without the isolated-metadata option. What a running server reads from it follows Terraform's
 * in-place metadata updates: {@link LabMetadataService.update} serves a new model's values.
 *
 * Each proxy is a Python standard-library process started with `ip netns exec`, stopped by its PID
 * and waited for.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './host-util';
import { LabStackModel } from './model';

/** The address Nova's metadata service answers on. */
export const METADATA_ADDRESS = '169.254.169.254';
/** Port of Neutron's metadata proxy in a router namespace. */
export const METADATA_PROXY_PORT = 9697;

const PROXY_PY = `
import http.server, json, sys
port, table = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(table, encoding='utf-8') as f:
            docs = json.load(f)
        doc = docs.get(self.client_address[0])
        if doc is None or self.path.split('?')[0] not in ('/openstack/latest/meta_data.json', '/openstack/2013-10-17/meta_data.json'):
            self.send_response(404)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        body = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(('0.0.0.0', port), H)
print('ready', flush=True)
s.serve_forever()
`;

/** `meta_data.json` of every server, by each of its fixed addresses. */
export function metadataDocuments(model: LabStackModel): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const server of model.servers) {
    const doc = { uuid: server.key, name: server.name, hostname: server.name, meta: { ...(server.metadata ?? {}) } };
    for (const key of server.portKeys) {
      const port = model.ports.find((p) => p.key === key);
      for (const ip of port?.fixedIps ?? []) out[ip.ipAddress] = doc;
    }
  }
  return out;
}

/** The nft table of a router namespace that sends metadata requests to its proxy. */
export function renderMetadataRedirect(): string {
  return [
    'table ip hs-metadata {',
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    `    ip daddr ${METADATA_ADDRESS} tcp dport 80 redirect to :${METADATA_PROXY_PORT}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The metadata proxies of a lab, one per router namespace. */
export class LabMetadataService {
  /** Starts a proxy in each of `routerNamespaces`, serving `model`'s servers. A failed start stops what it started. */
  public static async start(model: LabStackModel, options: { readonly routerNamespaces: readonly string[]; readonly workDir: string }): Promise<LabMetadataService> {
    mkdirSync(options.workDir, { recursive: true });
    writeFileSync(join(options.workDir, 'proxy.py'), PROXY_PY);
    const service = new LabMetadataService(join(options.workDir, 'meta_data.json'));
    service.update(model);
    try {
      for (const ns of options.routerNamespaces) {
        await run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], { input: renderMetadataRedirect(), timeoutMs: 10_000 });
        const child = spawn('ip', ['netns', 'exec', ns, 'python3', join(options.workDir, 'proxy.py'), String(METADATA_PROXY_PORT), service.table], { stdio: ['ignore', 'pipe', 'pipe'] });
        service.children.push(child);
        await new Promise<void>((resolve, reject) => {
          let err = '';
          const timer = setTimeout(() => reject(new Error(`lab metadata service in ${ns}: the proxy did not start within 10 s: ${err}`)), 10_000);
          child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
          child.stdout!.on('data', (d: Buffer) => {
            if (d.toString().includes('ready')) {
              clearTimeout(timer);
              resolve();
            }
          });
          child.on('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`lab metadata service in ${ns}: the proxy exited (${code}): ${err}`));
          });
        });
      }
    } catch (e) {
      await service.stop();
      throw e;
    }
    return service;
  }

  private readonly children: ChildProcess[] = [];

  private constructor(private readonly table: string) {}

  /** Serves `model`'s metadata from now on (what an in-place metadata update does on Nova). */
  public update(model: LabStackModel): void {
    writeFileSync(`${this.table}.tmp`, JSON.stringify(metadataDocuments(model)));
    // Renamed into place: a request never reads half a table.
    renameSync(`${this.table}.tmp`, this.table);
  }

  /** Stops every proxy by its PID (SIGTERM, then SIGKILL) and waits for it. Idempotent. */
  public async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
