/**
 * The lab's flat apt repository: the packages a stack's servers install with cloud-init's
 * `packages:`, and every dependency (recommends included, as apt installs them on a real server) not
 * already in the image. Servers see it read-only at `/srv/lab-repo`, their only apt source, so
 * `package_update` and `packages` work without any network.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { labImageKey } from './image';
import {
  LabLog,
  defaultLabLog,
  hashOf,
  hostDebianSources,
  labCacheDir,
  removeTree,
  run,
  sourcesList,
  withLock,
} from './host-util';
import { createHash } from 'crypto';

const REPO_VERSION = 2;

export interface LabRepoOptions {
  /** @default env HOSTING_STACKS_LAB_CACHE or /var/cache/hosting-stacks-lab */
  readonly cacheDir?: string;
  readonly log?: LabLog;
}

/**
 * Returns a flat apt repository (a directory with `.deb` files, `Packages`, `Packages.gz` and
 * `Release`) holding `packages` (`name` or `name=version`) and their dependencies missing from
 * `image`, building and caching it (key: the image and the sorted list) if needed. An empty list
 * gives an empty repository, which servers still need for `apt-get update`.
 */
export async function ensureLabRepo(image: string, packages: readonly string[], options: LabRepoOptions = {}): Promise<string> {
  const log = options.log ?? defaultLabLog;
  const list = [...new Set(packages.map((p) => p.trim()).filter(Boolean))].sort();
  for (const p of list) {
    if (!/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9]+)?(=[A-Za-z0-9.+~:*-]+)?$/.test(p)) {
      throw new Error(`not a Debian package name: ${JSON.stringify(p)}`);
    }
  }
  const sources = hostDebianSources('bookworm');
  const imageKey = labImageKey(image);
  const key = `repo-${hashOf({ v: REPO_VERSION, imageKey, list, sources }).slice(0, 16)}`;
  const cache = path.join(labCacheDir(options.cacheDir), 'repos');
  const final = path.join(cache, key);
  if (fs.existsSync(path.join(final, 'Release'))) return final;
  fs.mkdirSync(cache, { recursive: true });
  return withLock(
    path.join(cache, `${key}.lock`),
    async () => {
      if (fs.existsSync(path.join(final, 'Release'))) return final;
      for (const entry of fs.readdirSync(cache)) {
        if (entry.startsWith(`.tmp-${key}-`)) await removeTree(path.join(cache, entry));
      }
      const tmp = path.join(cache, `.tmp-${key}-${process.pid}`);
      const started = Date.now();
      log(`repo ${key}: downloading ${list.length ? list.join(' ') : '(nothing)'} for image ${imageKey}`);
      try {
        fs.mkdirSync(path.join(tmp, 'repo'), { recursive: true });
        if (list.length) await download(image, list, sourcesList(sources), tmp, path.join(tmp, 'repo'), log);
        await index(path.join(tmp, 'repo'));
        fs.writeFileSync(path.join(tmp, 'repo', 'lab-packages.json'), `${JSON.stringify(list, null, 2)}\n`);
        await removeTree(path.join(tmp, 'overlay'));
        fs.renameSync(path.join(tmp, 'repo'), final);
        fs.rmSync(tmp, { recursive: true, force: true });
      } catch (err) {
        await removeTree(tmp);
        throw err;
      }
      const debs = fs.readdirSync(final).filter((f) => f.endsWith('.deb'));
      const bytes = debs.reduce((n, f) => n + fs.statSync(path.join(final, f)).size, 0);
      log(`repo ${key}: ${debs.length} packages, ${(bytes / 1e6).toFixed(1)} MB, in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      return final;
    },
    { log },
  );
}

/** Downloads `list` with its dependencies in a throwaway overlay of the image, into `repo`. */
async function download(image: string, list: readonly string[], sources: string, tmp: string, repo: string, log: LabLog): Promise<void> {
  const o = path.join(tmp, 'overlay');
  const [upper, work, root] = ['upper', 'work', 'root'].map((d) => path.join(o, d));
  for (const d of [upper, work, root]) fs.mkdirSync(d, { recursive: true });
  await run(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${image},upperdir=${upper},workdir=${work}`, root]);
  try {
    fs.writeFileSync(path.join(root, 'etc/apt/sources.list'), sources);
    fs.writeFileSync(path.join(root, 'etc/apt/apt.conf.d/99lab-build'), 'Acquire::Check-Valid-Until "false";\nAcquire::Languages "none";\n');
    fs.rmSync(path.join(root, 'etc/resolv.conf'), { force: true });
    fs.copyFileSync('/etc/resolv.conf', path.join(root, 'etc/resolv.conf'));
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', LANG: 'C.UTF-8', HOME: '/root' };
    await run(['chroot', root, 'apt-get', 'update'], { env, timeoutMs: 10 * 60_000 });
    // With recommends: cloud-init's `packages:` runs a plain `apt-get install`, as on a real server.
    const res = await run(['chroot', root, 'apt-get', 'install', '--download-only', '-y', ...list], { env, timeoutMs: 30 * 60_000 });
    const summary = /(\d+) newly installed/.exec(res.stdout);
    log(`apt: ${summary ? summary[0] : 'done'}`);
    const archives = path.join(root, 'var/cache/apt/archives');
    for (const f of fs.readdirSync(archives)) {
      if (f.endsWith('.deb')) fs.copyFileSync(path.join(archives, f), path.join(repo, f));
    }
  } finally {
    await run(['umount', root], { check: false });
  }
}

/** Writes `Packages`, `Packages.gz` and an unsigned `Release` for a flat repository. */
async function index(repo: string): Promise<void> {
  const scan = await run(['dpkg-scanpackages', '-m', '.', '/dev/null'], { cwd: repo });
  fs.writeFileSync(path.join(repo, 'Packages'), scan.stdout);
  await run(['sh', '-c', 'gzip -9 -n -c Packages > Packages.gz'], { cwd: repo });
  const lines = ['Origin: hosting-stacks-lab', 'Label: hosting-stacks-lab', 'Architectures: amd64 all', 'SHA256:'];
  for (const f of ['Packages', 'Packages.gz']) {
    const data = fs.readFileSync(path.join(repo, f));
    lines.push(` ${createHash('sha256').update(data).digest('hex')} ${data.length} ${f}`);
  }
  fs.writeFileSync(path.join(repo, 'Release'), `${lines.join('\n')}\n`);
}

/**
 * The packages a `#cloud-config` user_data installs (`packages:`), as apt arguments: `name`, or
 * `name=version` for a `[name, version]` pair. Multi-part MIME user_data is searched part by part;
 * anything else (a shell script) installs nothing through cloud-init.
 */
export function packagesOfUserData(userData: string): string[] {
  const out: string[] = [];
  for (const part of cloudConfigParts(userData)) {
    let doc: unknown;
    try {
      doc = parseYaml(part);
    } catch {
      continue;
    }
    if (!doc || typeof doc !== 'object') continue;
    const pkgs = (doc as Record<string, unknown>).packages;
    if (!Array.isArray(pkgs)) continue;
    for (const p of pkgs) {
      if (typeof p === 'string') out.push(p.trim());
      else if (Array.isArray(p) && p.length >= 1 && typeof p[0] === 'string') {
        out.push(p.length >= 2 && p[1] !== undefined && p[1] !== null ? `${p[0]}=${String(p[1])}` : p[0]);
      }
    }
  }
  return [...new Set(out.filter(Boolean))];
}

function cloudConfigParts(userData: string): string[] {
  const text = userData.replace(/^\uFEFF/, '');
  if (/^#cloud-config\b/.test(text)) return [text];
  const boundary = /boundary="?([^"\s;]+)"?/i.exec(text.slice(0, 2000));
  if (/^(MIME-Version|Content-Type):/im.test(text.slice(0, 500)) && boundary) {
    const parts: string[] = [];
    for (const chunk of text.split(`--${boundary[1]}`)) {
      const sep = chunk.search(/\r?\n\r?\n/);
      if (sep < 0) continue;
      const headers = chunk.slice(0, sep);
      let body = chunk.slice(sep).replace(/^\r?\n\r?\n/, '');
      if (!/content-type:\s*text\/cloud-config/i.test(headers)) continue;
      if (/content-transfer-encoding:\s*base64/i.test(headers)) body = Buffer.from(body, 'base64').toString('utf8');
      parts.push(body);
    }
    return parts;
  }
  return [];
}
