/**
 * The lab's server image: a read-only Debian 12 (bookworm) root file system like OVHcloud's Debian 12
 * cloud image (systemd, cloud-init with the NoCloud datasource, a kernel package so apt never pulls
 * one in at boot, openssh-server, curl, python3), built once with debootstrap from the Debian archive
 * the host's apt uses, and cached under a key that hashes the recipe.
 *
 * The image's only apt source is the lab's flat repository (`deb [trusted=yes] file:/srv/lab-repo ./`,
 * bound in read-only at boot, see package-repo.ts): servers install their `packages:` offline.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  DebianSources,
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

/** Bump to rebuild every cached image when the recipe's code changes. */
const RECIPE_VERSION = 3;
const RELEASE = 'bookworm';

/** Packages debootstrap installs (cloud-init cannot be among them: it configures too early). */
const BOOTSTRAP_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'iproute2', 'ca-certificates'];

/** Packages installed afterwards in a chroot, without recommends (a cloud image's base set). */
const IMAGE_PACKAGES = [
  'cloud-init',
  'locales',
  'linux-image-cloud-amd64',
  'openssh-server',
  'iputils-ping',
  'curl',
  'python3',
  'sudo',
  'procps',
  'netbase',
  // The lab's kernel has no WireGuard module: wg-quick uses this user-space implementation when it
  // is installed, with the same configuration (a limit the lab reports, not a change to the server).
  'wireguard-go',
];

/** Files written into the image (path in the image -> content). */
const IMAGE_FILES: Record<string, string> = {
  '/etc/cloud/cloud.cfg.d/90-lab-datasource.cfg': 'datasource_list: [ NoCloud, None ]\n',
  // Keep the lab repository as the only source: cloud-init would otherwise render Debian's mirror list.
  '/etc/cloud/cloud.cfg.d/91-lab-apt.cfg': 'apt:\n  preserve_sources_list: true\n',
  '/etc/apt/sources.list': 'deb [trusted=yes] file:/srv/lab-repo ./\n',
  '/etc/locale.gen': 'en_US.UTF-8 UTF-8\n',
  '/etc/hostname': 'localhost\n',
};

/** What the cache key hashes. */
function recipe(sources: DebianSources): unknown {
  return {
    version: RECIPE_VERSION,
    release: RELEASE,
    variant: 'minbase',
    bootstrap: BOOTSTRAP_PACKAGES,
    packages: IMAGE_PACKAGES,
    files: IMAGE_FILES,
    sources,
  };
}

export interface LabImageOptions {
  /** @default env HOSTING_STACKS_LAB_CACHE or /var/cache/hosting-stacks-lab */
  readonly cacheDir?: string;
  readonly log?: LabLog;
}

/** The cache key of an image (the name of the directory holding its `rootfs`). */
export function labImageKey(image: string): string {
  return path.basename(path.dirname(path.resolve(image)));
}

/**
 * Returns the root file system of the lab's Debian 12 image, building it first if the cache does
 * not hold it (about 2 to 3 minutes). Concurrent callers (jest workers) wait for one build.
 * Never modify the returned directory: servers mount it as the lower layer of an overlay.
 */
export async function ensureLabImage(options: LabImageOptions = {}): Promise<string> {
  const log = options.log ?? defaultLabLog;
  const cache = path.join(labCacheDir(options.cacheDir), 'images');
  const sources = hostDebianSources(RELEASE);
  const key = `debian12-${hashOf(recipe(sources)).slice(0, 16)}`;
  const final = path.join(cache, key);
  const rootfs = path.join(final, 'rootfs');
  if (fs.existsSync(path.join(final, 'recipe.json'))) return rootfs;
  fs.mkdirSync(cache, { recursive: true });
  return withLock(
    path.join(cache, `${key}.lock`),
    async () => {
      if (fs.existsSync(path.join(final, 'recipe.json'))) return rootfs;
      // Builds only run under the lock: any temporary directory left is from a crashed build.
      for (const entry of fs.readdirSync(cache)) {
        if (entry.startsWith(`.tmp-${key}-`)) await removeTree(path.join(cache, entry));
      }
      const tmp = path.join(cache, `.tmp-${key}-${process.pid}`);
      const started = Date.now();
      log(`image ${key}: building from ${sources.mirror} (${RELEASE})`);
      try {
        await buildImage(path.join(tmp, 'rootfs'), sources, log);
        fs.writeFileSync(path.join(tmp, 'recipe.json'), `${JSON.stringify(recipe(sources), null, 2)}\n`);
        fs.renameSync(tmp, final);
      } catch (err) {
        await removeTree(tmp);
        throw err;
      }
      log(`image ${key}: built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      return rootfs;
    },
    { log },
  );
}

async function buildImage(root: string, sources: DebianSources, log: LabLog): Promise<void> {
  fs.mkdirSync(path.dirname(root), { recursive: true });
  const t0 = Date.now();
  const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
  log(`debootstrap --variant=minbase ${RELEASE} (${BOOTSTRAP_PACKAGES.join(',')})`);
  await run(
    [
      'debootstrap',
      '--variant=minbase',
      `--include=${BOOTSTRAP_PACKAGES.join(',')}`,
      RELEASE,
      root,
      sources.mirror,
    ],
    { timeoutMs: 20 * 60_000 },
  );
  log(`debootstrap done (${elapsed()})`);

  const chroot = (argv: string[], timeoutMs = 20 * 60_000) =>
    run(['chroot', root, ...argv], {
      timeoutMs,
      env: {
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        DEBIAN_FRONTEND: 'noninteractive',
        LANG: 'C.UTF-8',
        HOME: '/root',
      },
    });

  // Real Debian sources while building; no service starts in the chroot.
  fs.writeFileSync(path.join(root, 'etc/apt/sources.list'), sourcesList(sources));
  fs.writeFileSync(
    path.join(root, 'etc/apt/apt.conf.d/99lab-build'),
    'Acquire::Check-Valid-Until "false";\nAcquire::Languages "none";\n',
  );
  fs.writeFileSync(path.join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  fs.copyFileSync('/etc/resolv.conf', path.join(root, 'etc/resolv.conf'));
  await run(['mount', '-t', 'proc', 'proc', path.join(root, 'proc')]);
  try {
    await chroot(['apt-get', 'update']);
    log(`installing ${IMAGE_PACKAGES.join(' ')} (${elapsed()})`);
    await chroot(['apt-get', 'install', '-y', '--no-install-recommends', ...IMAGE_PACKAGES]);
    log(`packages installed (${elapsed()})`);
    for (const [file, content] of Object.entries(IMAGE_FILES)) {
      const target = path.join(root, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
    }
    await chroot(['locale-gen']);
    await chroot(['apt-get', 'clean']);
  } finally {
    await run(['umount', path.join(root, 'proc')], { check: false });
  }

  // Like a cloud image: no machine identity, no host keys, no package lists, no build leftovers.
  fs.rmSync(path.join(root, 'usr/sbin/policy-rc.d'), { force: true });
  fs.rmSync(path.join(root, 'etc/apt/apt.conf.d/99lab-build'), { force: true });
  fs.rmSync(path.join(root, 'etc/apt/sources.list.d'), { recursive: true, force: true });
  fs.mkdirSync(path.join(root, 'etc/apt/sources.list.d'));
  for (const d of ['var/lib/apt/lists']) {
    for (const f of fs.readdirSync(path.join(root, d))) {
      if (f !== 'partial' && f !== 'lock') fs.rmSync(path.join(root, d, f), { recursive: true, force: true });
    }
  }
  for (const f of fs.readdirSync(path.join(root, 'etc/ssh'))) {
    if (f.startsWith('ssh_host_')) fs.rmSync(path.join(root, 'etc/ssh', f));
  }
  fs.writeFileSync(path.join(root, 'etc/machine-id'), '');
  fs.rmSync(path.join(root, 'var/lib/dbus/machine-id'), { force: true });
  fs.writeFileSync(path.join(root, 'etc/resolv.conf'), '');
  fs.mkdirSync(path.join(root, 'srv/lab-repo'), { recursive: true });
  for (const d of ['var/log/apt', 'tmp']) {
    for (const f of fs.readdirSync(path.join(root, d))) fs.rmSync(path.join(root, d, f), { recursive: true, force: true });
  }
  log(`image ready (${elapsed()})`);
}
