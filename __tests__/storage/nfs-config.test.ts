import { spawnSync } from 'node:child_process';
import {
  NFS_EXPORT_OPTIONS,
  NFS_MOUNT_OPTIONS,
  renderNfsAutomountUnit,
  renderNfsExports,
  renderNfsMountUnit,
  renderNfsServerConf,
  systemdUnitNameForPath,
} from '../../lib/storage/nfs-config';
import { checkNfsExports, checkSystemdUnit, requireBinary, run, scratch } from '../support/daemons';

const EXPORTS = renderNfsExports({
  hostname: 'nfs-1',
  exports: [{ path: '/srv/nfs/media', clients: [{ cidr: '10.0.2.0/24', options: NFS_EXPORT_OPTIONS }, { cidr: '10.0.3.0/24', options: NFS_EXPORT_OPTIONS }] }],
});

describe('renderNfsExports', () => {
  test('given two client networks, then one line lists both with the export options', () => {
    const lines = EXPORTS.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual(['/srv/nfs/media 10.0.2.0/24(rw,sync,no_subtree_check,root_squash) 10.0.3.0/24(rw,sync,no_subtree_check,root_squash)']);
  });

  test('when checked by exportfs, then nfs-kernel-server accepts it without a warning', () => {
    const r = checkNfsExports(EXPORTS);
    expect(r.output).toContain('10.0.2.0/24(');
    expect(r.ok).toBe(true);
  });

  test.each([
    ['an unknown option', '/srv/nfs/media 10.0.2.0/24(rw,sync,no_subtree_chek)\n'],
    ['a space before the options (exports to the world)', '/srv/nfs/media 10.0.2.0/24 (rw,sync,no_subtree_check)\n'],
    ['an invalid prefix', '/srv/nfs/media 10.0.2.0/33(rw,sync,no_subtree_check)\n'],
    ['a path outside /srv', '/etc 10.0.2.0/24(rw,sync,no_subtree_check)\n'],
  ])('given %s, then the exportfs check fails', (_name, text) => {
    expect(checkNfsExports(text).ok).toBe(false);
  });
});

describe('systemdUnitNameForPath', () => {
  test.each(['/var/www/static/media', '/srv/my-dir/a b', '/mnt/.hidden/x', '/var/www/média', '/a:b_c.d'])(
    'given %s, then the name is what systemd-escape --path prints',
    (path) => {
      requireBinary('systemd-escape');
      const real = spawnSync('systemd-escape', ['--path', '--suffix=mount', path], { encoding: 'utf8' });
      expect(real.status).toBe(0);
      expect(systemdUnitNameForPath(path, 'mount')).toBe(real.stdout.trim());
    },
  );

  test.each(['relative/path', '/trailing/', '/a//b', '/a/./b', '/a/../b'])('given %s, then it throws', (path) => {
    expect(() => systemdUnitNameForPath(path, 'mount')).toThrow(/^systemdUnitNameForPath: 'path' \(.*\) must be an absolute, normalised path$/);
  });
});

describe('NFS mount units', () => {
  const model = { what: '10.0.4.2:/srv/nfs/media', where: '/var/www/static/media', options: NFS_MOUNT_OPTIONS, timeoutSeconds: 30, share: 'Stack/Media' };

  test('given a share and mount point, then the mount unit names them with the NFSv4 options', () => {
    const unit = renderNfsMountUnit(model);
    expect(unit).toMatch(/^What=10\.0\.4\.2:\/srv\/nfs\/media$/m);
    expect(unit).toMatch(/^Where=\/var\/www\/static\/media$/m);
    expect(unit).toMatch(/^Type=nfs4$/m);
    expect(unit).toMatch(/^Options=_netdev,nofail,hard,noatime,vers=4\.2$/m);
    expect(unit).toMatch(/^TimeoutSec=30$/m);
  });

  test('when verified by systemd under the escaped name, then both units pass', () => {
    const mount = checkSystemdUnit(renderNfsMountUnit(model), 'var-www-static-media.mount');
    expect(mount.output).toBe('');
    expect(mount.ok).toBe(true);
    const automount = checkSystemdUnit(renderNfsAutomountUnit(model), 'var-www-static-media.automount');
    expect(automount.output).toBe('');
    expect(automount.ok).toBe(true);
  });

  test('when verified under a name that does not match Where=, then systemd refuses it', () => {
    const r = checkSystemdUnit(renderNfsMountUnit(model), 'var-www-media.mount');
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/Where= setting doesn't match unit name/);
  });
});

describe('renderNfsServerConf', () => {
  test('when read by nfsconf, then NFSv3 and UDP are off and the port and threads are set', () => {
    requireBinary('nfsconf');
    const s = scratch('nfsconf');
    try {
      const file = s.write('hosting-stacks.conf', renderNfsServerConf({ fileName: 'hosting-stacks.conf', port: 2049, threads: 32 }));
      const get = (tag: string) => run(['nfsconf', '--file', file, '--get', 'nfsd', tag]).output.trim();
      expect(get('vers3')).toBe('n');
      expect(get('vers4.2')).toBe('y');
      expect(get('udp')).toBe('n');
      expect(get('port')).toBe('2049');
      expect(get('threads')).toBe('32');
    } finally {
      s.cleanup();
    }
  });
});
