/**
 * The deployment server's deploy step, run with python3 and the real rsync, over a fake `ssh` on
 * PATH that runs the remote command locally in a directory of its own per server (and records the
 * sudo commands instead of running them): the build reaches every listed server, the excluded paths
 * are neither written nor deleted, the after-sync commands follow each sync, and the first failure
 * stops the rest. The sudoers entry a target gets is checked by visudo.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDeployScript, renderDeploySudoers } from '../../lib/app/deployment-server';
import { requireBinary, scratch } from '../support/daemons';

const s = scratch('deploy-script');
const remote = join(s.dir, 'remote');
const calls = join(s.dir, 'calls.txt');
let script = '';

const recipes = {
  'shop/Frontends': {
    directory: remote,
    excludes: ['/app/etc/local.xml', '/media/', '/var/'],
    afterSync: [['/usr/bin/systemctl', 'reload', 'php8.2-fpm'], ['/usr/bin/systemctl', 'restart', 'hosting-stacks-magento-install.service']],
  },
};
const group = (address: string, host: string, tier = 'shop/Frontends') => ({ targets: [address], labels: { host, tier } });
const rootOf = (address: string) => `${remote}-${address}`;

function deploy(args: string[], targets: object[]): { status: number | null; stdout: string; stderr: string; calls: string[] } {
  writeFileSync(calls, '');
  s.write('targets.json', JSON.stringify(targets));
  const r = spawnSync('python3', [script, ...args], { encoding: 'utf8', env: { ...process.env, PATH: `${join(s.dir, 'bin')}:${process.env.PATH}` }, timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) };
}

beforeAll(() => {
  requireBinary('python3');
  requireBinary('rsync');
  script = s.write('deploy.py', renderDeployScript({ deployUser: 'deploy', targetsFile: join(s.dir, 'targets.json'), recipesFile: join(s.dir, 'recipes.json'), stateDirectory: join(s.dir, 'state') }));
  s.write('recipes.json', JSON.stringify(recipes));
  s.write('build/app/Mage.php', '<?php // build 2\n');
  s.write('build/index.php', '<?php echo "shop";\n');
  s.write('build/var/cache/stale', 'from the build machine\n');
  for (const address of ['10.0.0.2', '10.0.0.3']) {
    s.write(`remote-${address}/app/etc/local.xml`, '<config>secrets</config>\n');
    s.write(`remote-${address}/var/log/system.log`, 'runtime\n');
    s.write(`remote-${address}/old.php`, '<?php // build 1\n');
  }
  // A fake ssh: `ssh [-o K=V | -l USER]... [user@]address COMMAND...`; runs COMMAND locally with the server's own
  // root in place of the recipe's directory; records sudo commands (and fails them for 10.0.0.9).
  s.write('bin/ssh', `#!/bin/sh
while [ "$1" = "-o" ] || [ "$1" = "-l" ]; do shift 2; done
dest="$1"; shift
address="\${dest#*@}"
echo "$address $*" >> '${calls}'
[ "$address" = 10.0.0.8 ] && { echo "ssh: connect to host 10.0.0.8 port 22: No route to host" >&2; exit 255; }
case "$1" in
  sudo) [ "$address" = 10.0.0.9 ] && exit 1; exit 0 ;;
esac
cmd=$(echo "$*" | sed "s|${remote}|${remote}-$address|g")
exec sh -c "$cmd"
`);
  chmodSync(join(s.dir, 'bin/ssh'), 0o755);
});
afterAll(() => s.cleanup());

describe('hosting-stacks-deploy', () => {
  test('syncs the build to every listed server in turn, keeps the excluded paths, deletes the rest, then runs the after-sync commands', () => {
    const r = deploy([join(s.dir, 'build')], [group('10.0.0.2', 'frontends-1'), group('10.0.0.3', 'frontends-2'), group('10.0.0.7', 'back-office-1', 'shop/BackOffice')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const address of ['10.0.0.2', '10.0.0.3']) {
      const root = rootOf(address);
      expect(readFileSync(join(root, 'app/Mage.php'), 'utf8')).toBe('<?php // build 2\n');
      expect(readFileSync(join(root, 'app/etc/local.xml'), 'utf8')).toBe('<config>secrets</config>\n');
      expect(readFileSync(join(root, 'var/log/system.log'), 'utf8')).toBe('runtime\n');
      expect(existsSync(join(root, 'var/cache/stale'))).toBe(false);
      expect(existsSync(join(root, 'old.php'))).toBe(false);
    }
    // A tier without a recipe is not deployed to; each server's commands follow its own sync, then its build mark.
    const id = readFileSync(join(rootOf('10.0.0.2'), '.hosting-stacks-build'), 'utf8');
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(r.calls.map((c) => c.replace(/ rsync --server.*/, ' rsync'))).toEqual([
      '10.0.0.2 rsync',
      '10.0.0.2 sudo -n /usr/bin/systemctl reload php8.2-fpm',
      '10.0.0.2 sudo -n /usr/bin/systemctl restart hosting-stacks-magento-install.service',
      `10.0.0.2 printf %s ${id} > ${remote}/.hosting-stacks-build`,
      '10.0.0.3 rsync',
      '10.0.0.3 sudo -n /usr/bin/systemctl reload php8.2-fpm',
      '10.0.0.3 sudo -n /usr/bin/systemctl restart hosting-stacks-magento-install.service',
      `10.0.0.3 printf %s ${id} > ${remote}/.hosting-stacks-build`,
    ]);
    expect(r.stdout).toContain(`2 server(s) deployed, build ${id}`);
    // The tier's current build is kept for the servers added later.
    expect(readFileSync(join(s.dir, 'state', 'shop_Frontends.id'), 'utf8')).toBe(id);
    expect(readFileSync(join(s.dir, 'state', 'shop_Frontends.build', 'app/Mage.php'), 'utf8')).toBe('<?php // build 2\n');
  });

  test('catch-up gives the current build to a new server only, leaves an unreachable one for the next run, and does nothing while a deploy runs', () => {
    expect(deploy([join(s.dir, 'build')], [group('10.0.0.2', 'frontends-1')]).status).toBe(0);
    const id = readFileSync(join(s.dir, 'state', 'shop_Frontends.id'), 'utf8');
    s.write('remote-10.0.0.4/app/etc/local.xml', '<config>secrets</config>\n');
    const targets = [group('10.0.0.2', 'frontends-1'), group('10.0.0.4', 'frontends-3'), group('10.0.0.8', 'frontends-7')];
    const r = deploy(['--catch-up'], targets);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(rootOf('10.0.0.4'), 'app/Mage.php'), 'utf8')).toBe('<?php // build 2\n');
    expect(readFileSync(join(rootOf('10.0.0.4'), '.hosting-stacks-build'), 'utf8')).toBe(id);
    expect(r.stdout).toContain('frontends-7 (10.0.0.8): not reachable yet');
    expect(r.stdout).toContain('catch-up: 1 server(s) deployed, 1 already current');
    expect(r.calls.filter((c) => c.startsWith('10.0.0.2 ')).map((c) => c.split(' ')[1])).toEqual(['cat']);
    // Run again: everything current.
    expect(deploy(['--catch-up'], targets.slice(0, 2)).stdout).toContain('catch-up: 0 server(s) deployed, 2 already current');
    // While a deploy holds the lock, catch-up waits for the next run.
    const holder = spawnSync('python3', ['-c', `import fcntl,subprocess,sys
f=open(sys.argv[1],'w'); fcntl.flock(f, fcntl.LOCK_EX)
r=subprocess.run([sys.argv[2], sys.argv[3], '--catch-up'], capture_output=True, text=True)
print(r.stdout)`, join(s.dir, 'state', 'lock'), 'python3', script], { encoding: 'utf8', env: { ...process.env, PATH: `${join(s.dir, 'bin')}:${process.env.PATH}` } });
    expect(holder.stdout).toContain('a deploy is running; nothing to catch up now');
  });

  test('stops at the first server that fails, naming it; the servers after it are not touched, and catch-up waits for a deploy that succeeds', () => {
    const r = deploy([join(s.dir, 'build')], [group('10.0.0.9', 'frontends-9'), group('10.0.0.2', 'frontends-1')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('frontends-9: ssh exited with 1; the servers after it were not deployed');
    expect(r.calls.every((c) => c.startsWith('10.0.0.9 '))).toBe(true);
    expect(existsSync(join(s.dir, 'state', 'shop_Frontends.id'))).toBe(false);
    const later = deploy(['--catch-up'], [group('10.0.0.2', 'frontends-1')]);
    expect(later.status).toBe(0);
    expect(later.calls).toEqual([]);
  });

  test('refuses a missing build, an unknown tier and an empty list before touching any server', () => {
    const none = deploy([join(s.dir, 'nothing')], [group('10.0.0.2', 'frontends-1')]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('is not a directory');
    const tier = deploy([join(s.dir, 'build'), 'shop/Nope'], [group('10.0.0.2', 'frontends-1')]);
    expect(tier.status).toBe(2);
    expect(tier.stderr).toContain('shop/Nope is not a tier this server deploys code to (those are: shop/Frontends)');
    const empty = deploy([join(s.dir, 'build')], []);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('no server to deploy to');
    expect([...none.calls, ...tier.calls, ...empty.calls]).toEqual([]);
  });

  test('the sudoers entry a target gets passes visudo and allows exactly the after-sync commands', () => {
    const visudo = requireBinary('visudo');
    const file = s.write('sudoers', renderDeploySudoers('deploy', recipes['shop/Frontends'].afterSync));
    chmodSync(file, 0o440);
    const r = spawnSync(visudo, ['-c', '-f', file], { encoding: 'utf8', timeout: 10000 });
    expect(r.stderr + r.stdout).toContain('parsed OK');
    expect(r.status).toBe(0);
    expect(readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      'deploy ALL=(root) NOPASSWD: /usr/bin/systemctl reload php8.2-fpm',
      'deploy ALL=(root) NOPASSWD: /usr/bin/systemctl restart hosting-stacks-magento-install.service',
    ]);
  });
});
