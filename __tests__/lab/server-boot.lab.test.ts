/**
 * The lab boots a server from its user_data: a Debian 12 container under real systemd and cloud-init,
 * in a network namespace of its own, installing its packages from the lab's offline repository.
 * Needs root, debootstrap, systemd-nspawn and dpkg-dev (fails otherwise); the first run builds
 * the image (a few minutes), later runs reuse the cache.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureLabImage } from '../../lib/lab/image';
import { ensureLabRepo, packagesOfUserData } from '../../lib/lab/package-repo';
import { LabServer } from '../../lib/lab/server';
import { LabServerModel } from '../../lib/lab/model';
import { CloudConfig, ConfigSyntax, configDigestOf } from '../../lib/compute/cloud-config';
import { readinessOf } from '../../lib/rollout/rollout';
import { requireLabHost } from '../support/daemons';

/** Fails (never skips) where the lab cannot run. */
function describeLab(name: string, fn: () => void): void {
  describe(name, () => {
    beforeAll(() => requireLabHost(['debootstrap', 'systemd-nspawn', 'dpkg-scanpackages', 'ip', 'nsenter', 'curl']));
    fn();
  });
}

// Unique per run: other jest runs of __tests__/lab may be booting the same test at the same time.
const RUN = Math.random().toString(36).slice(2, 6).padEnd(4, '0');
const NS_S1 = `hs-tb${RUN}-s1`;
const NS_S2 = `hs-tb${RUN}-s2`;
const NS_C = `hs-tb${RUN}-c`;
const NS_R = `hs-tb${RUN}-r`;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function deleteNamespaces(): void {
  for (const ns of [NS_S1, NS_S2, NS_R, NS_C]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      /* absent */
    }
  }
}

/** hs-tbRUN-s1 (ens3 10.99.0.2/24), hs-tbRUN-s2 (ens3 10.99.1.2/24) and hs-tbRUN-r (ens3 10.99.2.2/24), all wired to hs-tbRUN-c only. */
function createNamespaces(): void {
  deleteNamespaces();
  for (const ns of [NS_S1, NS_S2, NS_R, NS_C]) ip('netns', 'add', ns);
  const wire = (ns: string, peer: string, serverIp: string, clientIp: string): void => {
    // Created inside the namespaces: nothing ever touches the host's own network namespace.
    ip('-n', ns, 'link', 'add', 'ens3', 'type', 'veth', 'peer', 'name', peer, 'netns', NS_C);
    ip('-n', ns, 'addr', 'add', serverIp, 'dev', 'ens3');
    ip('-n', ns, 'link', 'set', 'ens3', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', NS_C, 'addr', 'add', clientIp, 'dev', peer);
    ip('-n', NS_C, 'link', 'set', peer, 'up');
  };
  wire(NS_S1, 'c-s1', '10.99.0.2/24', '10.99.0.1/24');
  wire(NS_S2, 'c-s2', '10.99.1.2/24', '10.99.1.1/24');
  wire(NS_R, 'c-r', '10.99.2.2/24', '10.99.2.1/24');
  ip('-n', NS_C, 'link', 'set', 'lo', 'up');
}

const WEB_USER_DATA = `#cloud-config
packages:
  - nginx
write_files:
  - path: /var/www/html/index.html
    content: |
      hello from the lab
runcmd:
  - systemctl restart nginx
`;

const FAILING_USER_DATA = `#cloud-config
write_files:
  - path: /etc/lab-marker
    content: "before the failure\\n"
runcmd:
  - 'false'
`;

const log = (line: string): void => {
  process.stderr.write(`[lab ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

describeLab('lab: a server boots from its user_data', () => {
  let image = '';
  let repo = '';
  const servers: LabServer[] = [];
  let workRoot = '';
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-lab-test-'));
    createNamespaces();
    let t = Date.now();
    image = await ensureLabImage({ log });
    timings.imageSeconds = (Date.now() - t) / 1000;
    t = Date.now();
    repo = await ensureLabRepo(image, packagesOfUserData(WEB_USER_DATA), { log });
    timings.repoSeconds = (Date.now() - t) / 1000;
  }, 30 * 60_000);

  afterAll(async () => {
    try {
      await Promise.all(servers.map((s) => s.stop()));
    } finally {
      deleteNamespaces();
      if (workRoot) fs.rmSync(workRoot, { recursive: true, force: true });
      log(`timings: ${JSON.stringify(timings)}`);
    }
  }, 5 * 60_000);

  it('reads the packages of a #cloud-config user_data', () => {
    expect(packagesOfUserData(WEB_USER_DATA)).toEqual(['nginx']);
    expect(packagesOfUserData('#cloud-config\npackages:\n  - curl\n  - [nginx, "1.22.1-9"]\n')).toEqual(['curl', 'nginx=1.22.1-9']);
    expect(packagesOfUserData('#!/bin/sh\napt-get install -y nginx\n')).toEqual([]);
  });

  it('installs nginx offline, serves the page on its port address, no failed unit', async () => {
    const model: LabServerModel = {
      key: 'openstack_compute_instance_v2.Web_Instance1',
      name: 'lab-web-1',
      portKeys: ['openstack_networking_port_v2.Web_Instance1_Port'],
      userData: WEB_USER_DATA,
    };
    const server = await LabServer.boot({
      image,
      repo,
      server: model,
      netns: NS_S1,
      workDir: path.join(workRoot, 's1'),
      machineName: `hs-tb${RUN}-s1`,
      extraFiles: { '/etc/systemd/system/nginx.service.d/lab.conf': '[Unit]\nDescription=nginx (lab drop-in)\n' },
      log,
    });
    servers.push(server);
    const outcome = await server.waitForCloudInit(10 * 60_000);
    timings.bootToCloudInitDoneSeconds = outcome.seconds ?? NaN;
    timings.memoryMiB = Math.round(server.memoryBytes() / 2 ** 20);
    log(`s1 cloud-init: ${outcome.detail.replace(/\n/g, ' | ')}`);
    expect(outcome.errors).toEqual([]);
    expect(outcome.status).toBe('done');

    // The user_data seeded is exactly the model's.
    expect(server.readFile('/var/lib/cloud/seed/nocloud/user-data')).toBe(WEB_USER_DATA);
    expect((await server.exec(['hostname'])).stdout.trim()).toBe('lab-web-1');

    const failed = await server.failedUnits();
    if (failed.length) log(`failed units: ${failed.join(' ')}\n${await server.journal(failed[0], 50)}`);
    expect(failed).toEqual([]);

    const links = (await server.exec(['ip', '-o', 'link', 'show'])).stdout;
    expect(links).toMatch(/^\d+: ens3@/m);
    expect((await server.exec(['ip', '-o', '-4', 'addr', 'show', 'dev', 'ens3'])).stdout).toContain('10.99.0.2/24');

    // The lab's adaptation reached systemd; the user_data itself is untouched.
    expect((await server.exec(['systemctl', 'show', '-P', 'Description', 'nginx'])).stdout.trim()).toBe('nginx (lab drop-in)');

    const listening = await server.listening();
    expect(listening).toEqual(
      expect.arrayContaining([expect.objectContaining({ protocol: 'tcp', port: 80, processes: expect.arrayContaining(['nginx']) })]),
    );

    const page = execFileSync('ip', ['netns', 'exec', NS_C, 'curl', '-sS', '--max-time', '10', 'http://10.99.0.2/'], {
      encoding: 'utf8',
    });
    expect(page).toBe('hello from the lab\n');
  }, 15 * 60_000);

  it('refuses an extra file that would land outside the server, leaving nothing behind', async () => {
    const workDir = path.join(workRoot, 's3');
    await expect(
      LabServer.boot({
        image,
        repo,
        server: { key: 'openstack_compute_instance_v2.Escape', name: 'escape', portKeys: [], userData: '#cloud-config\n' },
        netns: NS_S2,
        workDir,
        machineName: `hs-tb${RUN}-s3`,
        extraFiles: { '/var/run/hs-lab-escape-test': 'x\n' }, // /var/run -> /run in the image
      }),
    ).rejects.toThrow(/outside the server/);
    expect(fs.existsSync('/run/hs-lab-escape-test')).toBe(false);
    expect(fs.readFileSync('/proc/self/mounts', 'utf8')).not.toContain(workDir);
  });

  it('reports a failing runcmd as a cloud-init error', async () => {
    const model: LabServerModel = {
      key: 'openstack_compute_instance_v2.Broken[0]',
      name: 'lab-broken-0',
      portKeys: [],
      userData: FAILING_USER_DATA,
    };
    const server = await LabServer.boot({
      image,
      repo,
      server: model,
      netns: NS_S2,
      workDir: path.join(workRoot, 's2'),
      machineName: `hs-tb${RUN}-s2`,
      log,
    });
    servers.push(server);
    const outcome = await server.waitForCloudInit(5 * 60_000);
    log(`s2 cloud-init: ${outcome.detail.replace(/\n/g, ' | ')}`);
    expect(outcome.status).toBe('error');
    expect(outcome.errors.join('\n')).toMatch(/scripts[-_]user/);
    expect(server.readFile('/etc/lab-marker')).toBe('before the failure\n');
    await server.stop();
    expect(server.running).toBe(false);
  }, 10 * 60_000);
  it('a server replaced from its boot volume applies its new configuration, keeps its data and says so on its console', async () => {
    // The library's own cloud-config, as a rollout replaces a server: same disk, new user_data, new instance id.
    const version = (page: string, broken = false) => {
      const cc = new CloudConfig('lab-rollout-1', { metadataGuard: false });
      cc.addPackages('nginx');
      cc.addFile({ path: '/var/www/html/index.html', content: `${page}\n` });
      cc.addServices('nginx');
      if (broken) {
        // Starts, then fails a second later: only the readiness step can tell.
        cc.addFile({ path: '/etc/systemd/system/hs-broken.service', syntax: ConfigSyntax.SYSTEMD_UNIT, content: '[Service]\nExecStart=/bin/sh -c \'sleep 1; exit 3\'\n' });
        cc.addServices('hs-broken.service');
        cc.addCommand('sleep', '4');
      }
      const digest = configDigestOf(cc.render());
      return { digest, userData: cc.renderWithinLimit({ configDigest: digest }) };
    };
    const workDir = path.join(workRoot, 'rollout');
    const boot = async (userData: string, generation: number): Promise<LabServer> => {
      const server = await LabServer.boot({
        image,
        repo,
        server: { key: 'openstack_compute_instance_v2.Rollout', name: 'lab-rollout-1', portKeys: [], userData },
        netns: NS_R,
        workDir,
        machineName: `hs-tb${RUN}-r${generation}`,
        keepDisk: generation > 1,
        instanceId: `lab-rollout-${generation}`,
        log,
      });
      servers.push(server);
      return server;
    };
    const consoleOf = (s: LabServer) => fs.readFileSync(s.consoleLog, 'utf8');

    const v1 = version('version 1');
    let server = await boot(v1.userData, 1);
    const first = await server.waitForCloudInit(10 * 60_000);
    if (first.status !== 'done') log(`first boot: ${first.errors.join(' | ')}\n${server.consoleTail(30)}`);
    expect(first.status).toBe('done');
    expect(readinessOf(consoleOf(server), 'lab-rollout-1', v1.digest)).toEqual({ state: 'ready' });
    await server.exec(['sh', '-c', 'mkdir -p /var/lib/shop && echo "order 1001" > /var/lib/shop/orders']);
    await server.stop();

    const v2 = version('version 2');
    expect(v2.digest).not.toBe(v1.digest);
    server = await boot(v2.userData, 2);
    const second = await server.waitForCloudInit(10 * 60_000);
    log(`replaced: cloud-init ${second.status} in ${second.seconds} s`);
    expect(second.errors).toEqual([]);
    expect(readinessOf(consoleOf(server), 'lab-rollout-1', v2.digest)).toEqual({ state: 'ready' });
    // Not ready for a digest it does not run.
    expect(readinessOf(consoleOf(server), 'lab-rollout-1', v1.digest).state).not.toBe('ready');
    expect(server.readFile('/var/lib/shop/orders')).toBe('order 1001\n');
    expect(server.readFile('/var/lib/cloud/data/instance-id')?.trim()).toBe('lab-rollout-2');
    const page = execFileSync('ip', ['netns', 'exec', NS_C, 'curl', '-sS', '--max-time', '10', 'http://10.99.2.2/'], { encoding: 'utf8' });
    expect(page).toBe('version 2\n');
    await server.stop();

    const v3 = version('version 3', true);
    server = await boot(v3.userData, 3);
    expect((await server.waitForCloudInit(10 * 60_000)).status).toBe('error');
    const verdict = readinessOf(consoleOf(server), 'lab-rollout-1', v3.digest);
    expect(verdict.state).toBe('failed');
    expect(verdict.detail).toMatch(/^hosting-stacks-failed lab-rollout-1 [0-9a-f]{64}: hs-broken\.service/);
    expect(server.readFile('/var/lib/shop/orders')).toBe('order 1001\n');
    await server.stop();
  }, 20 * 60_000);
});
