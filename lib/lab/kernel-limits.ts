/**
 * What the lab's kernel cannot do, and what the lab does instead. Every adaptation is said in the
 * report: a server is never silently changed, and nothing is skipped without a line saying so.
 *
 * - IPVS: the kernel has no `ip_vs` and cannot load modules. keepalived with `virtual_server`
 *   blocks exits at start; the lab runs its VRRP half only (`keepalived --vrrp`) through a systemd
 *   drop-in, and sends the entry's requests to the real servers directly (the next hop).
 * - NFS client and autofs: no `nfs` filesystem and no autofs in the kernel, and Manila is not
 *   realised: `*.automount` / `*.mount` units of NFS shares cannot start.
 * - Kernel modules: containers cannot load any; a unit that fails only because `modprobe` finds no
 *   module (nvme-fabrics for nvme-cli's nvmf-autoconnect) is reported as a limit, from its journal.
 * - WireGuard: no kernel module; the image carries `wireguard-go`, which `wg-quick` uses in its
 *   place (user space, same configuration): nothing is changed on the server.
 */
import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { LabServerModel } from './model';

/** A file the lab adds to a server's root before it boots, and why. */
export interface LabAdaptation {
  readonly path: string;
  readonly content: string;
  readonly reason: string;
}

/** A unit that fails on this kernel whatever the server's configuration, and why. */
export interface LabUnitLimit {
  readonly unit: string;
  readonly reason: string;
}

/** What the lab does differently on one server. */
export interface ServerLimits {
  readonly adaptations: readonly LabAdaptation[];
  readonly unitLimits: readonly LabUnitLimit[];
  /** TCP ports served by IPVS virtual servers (nothing listens on them in the lab), with their real servers. */
  readonly ipvsServices: readonly { readonly address: string; readonly port: number; readonly realServers: readonly { address: string; port: number }[] }[];
}

interface WriteFile { readonly path?: string; readonly content?: string; readonly encoding?: string }

/** The files a cloud-config's `write_files` writes (decoded), by path. */
export function writtenFiles(userData: string): Map<string, string> {
  const out = new Map<string, string>();
  let doc: unknown;
  try {
    doc = parseYaml(userData);
  } catch {
    return out;
  }
  const files = (doc as { write_files?: WriteFile[] } | null)?.write_files ?? [];
  for (const f of files) {
    if (!f.path || f.content === undefined) continue;
    const enc = (f.encoding ?? '').toLowerCase();
    // cloud-init's encodings: base64, and gzip then base64 (`gz+b64`, as large files are delivered).
    const gz = ['gz+b64', 'gzip+base64', 'gz+base64', 'gzip+b64'].includes(enc);
    const raw = gz || enc === 'b64' || enc === 'base64' ? Buffer.from(f.content, 'base64') : undefined;
    out.set(f.path, raw === undefined ? f.content : (gz ? gunzipSync(raw) : raw).toString('utf8'));
  }
  return out;
}

/** The lab's adaptations and known unit limits for one server, from its user_data. */
export function serverLimits(server: LabServerModel): ServerLimits {
  const files = writtenFiles(server.userData);
  const adaptations: LabAdaptation[] = [];
  const unitLimits: LabUnitLimit[] = [];
  const ipvsServices: { address: string; port: number; realServers: { address: string; port: number }[] }[] = [];
  const keepalived = files.get('/etc/keepalived/keepalived.conf');
  if (keepalived && /^\s*virtual_server\s/m.test(keepalived)) {
    adaptations.push({
      path: '/etc/systemd/system/keepalived.service.d/lab-no-ipvs.conf',
      content: '[Service]\nExecStart=\nExecStart=/usr/sbin/keepalived --dont-fork --vrrp $DAEMON_ARGS\n',
      reason: 'the kernel has no IPVS: keepalived runs its VRRP half only (--vrrp); requests go to the real servers directly',
    });
    ipvsServices.push(...parseVirtualServers(keepalived));
  }
  if (files.size && [...files.values()].some((c) => /Type=\s*nfs/.test(c))) {
    // nfs-common's rpc_pipefs mount needs a filesystem the kernel does not have either.
    unitLimits.push({ unit: 'run-rpc_pipefs.mount', reason: 'the kernel has no rpc_pipefs (NFS client)' });
  }
  for (const [path, content] of files) {
    const unit = path.split('/').pop() ?? '';
    if (/\.(auto)?mount$/.test(unit) && /Type=\s*nfs/.test(content + (files.get(path.replace(/\.automount$/, '.mount')) ?? ''))) {
      unitLimits.push({ unit, reason: 'the kernel has no NFS client or autofs, and Manila is not realised: the NFS share cannot be mounted' });
    }
  }
  return { adaptations, unitLimits, ipvsServices };
}

/** The module a failed unit's journal says modprobe could not load, if that is why it failed. */
export function missingModule(journal: string): string | undefined {
  return /modprobe: FATAL: Module (\S+) not found/.exec(journal)?.[1];
}

/** `virtual_server ADDR PORT { ... real_server ADDR PORT ... }` blocks of a keepalived config. */
export function parseVirtualServers(config: string): { address: string; port: number; realServers: { address: string; port: number }[] }[] {
  const out: { address: string; port: number; realServers: { address: string; port: number }[] }[] = [];
  const re = /^\s*virtual_server\s+(\S+)\s+(\d+)\s*\{/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(config)) !== null) {
    // The block ends where the braces balance.
    let depth = 0;
    let end = config.length;
    for (let i = config.indexOf('{', m.index); i < config.length; i++) {
      if (config[i] === '{') depth++;
      else if (config[i] === '}' && --depth === 0) { end = i; break; }
    }
    const block = config.slice(m.index, end);
    const realServers = [...block.matchAll(/real_server\s+(\S+)\s+(\d+)/g)].map((r) => ({ address: r[1], port: Number(r[2]) }));
    out.push({ address: m[1], port: Number(m[2]), realServers });
  }
  return out;
}
