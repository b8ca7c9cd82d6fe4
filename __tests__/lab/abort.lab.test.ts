/**
 * A lab run stopped from outside (Ctrl-C in `npm run lab`) removes what it made: the server booting
 * when the signal came is stopped, the next never starts, and no container, namespace or cgroup of
 * the run is left. Boots one real container; fails (never skips) where the lab cannot run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExternalNetwork, Flavor, HostingApp, HostingStack, PrivateVSwitch, Router, ServerCluster } from '../../lib';
import { LabAbortedError, runLab } from '../../lib/lab';
import { requireLabHost } from '../support/daemons';

describe('a lab run aborted while its servers boot', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'hs-lab-abort-'));
  const workDir = mkdtempSync(join(tmpdir(), 'hs-lab-abort-work-'));

  beforeAll(() => {
    requireLabHost(['debootstrap', 'systemd-nspawn', 'dpkg-scanpackages', 'ip', 'nft', 'nsenter']);
    const app = new HostingApp({ outdir });
    const stack = new HostingStack(app, 'abort', { region: 'GRA11' });
    const router = new Router(stack, 'Router', { externalNetwork: ExternalNetwork.ovh() });
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.66.1.0/24', router });
    new ServerCluster(stack, 'Servers', { vswitch, count: 3, flavor: Flavor.named('b3-8') });
    app.synth();
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  test('stops the booting server, starts no other and removes everything', async () => {
    const abort = new AbortController();
    const lines: string[] = [];
    let labId = '';
    const run = runLab(join(outdir, 'stacks', 'abort'), {
      concurrency: 1,
      workDir,
      signal: abort.signal,
      log: (l) => {
        lines.push(l);
        labId ||= /network up \(lab (\w+)\)/.exec(l)?.[1] ?? '';
        // The signal comes while the first server's container starts.
        if (/\] boot /.test(l)) abort.abort();
      },
    });
    await expect(run).rejects.toThrow(LabAbortedError);
    await expect(run).rejects.toThrow(/^lab abort: stopped before \S+ booted; every server, amphora and namespace it had made is removed$/);
    expect(labId).toMatch(/^\w{4}$/);
    // One server started (its container stopped before cloud-init was done), the others never did.
    expect(lines.filter((l) => /\] boot /.test(l))).toHaveLength(1);
    expect(lines.some((l) => /stopped before cloud-init finished|: stopped in /.test(l))).toBe(true);
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(namespaces.split('\n').filter((n) => n.startsWith(`hs-${labId}-`))).toEqual([]);
    expect(execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(labId))).toEqual([]);
    const nspawn = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((a) => a.includes('systemd-nspawn') && a.includes(`hs-${labId}-`));
    expect(nspawn).toEqual([]);
    // The server's overlay is unmounted and its recorded state released.
    for (const d of readdirSync(workDir).filter((e) => e.startsWith('server-'))) {
      expect(existsSync(join(workDir, d, 'lab-server.json'))).toBe(false);
    }
  }, 10 * 60 * 1000);
});
