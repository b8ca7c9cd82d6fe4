import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  BackupScriptModel,
  BackupUnitModel,
  backupWaitSeconds,
  estimateOffsiteRestoreMinutes,
  estimateServerRunMinutes,
  estimateSnapshotRestoreMinutes,
  estimateVolumeBackupRestoreMinutes,
  renderBackupScript,
  renderBackupService,
  renderBackupTimer,
  renderOpenstackCloudsYaml,
  renderRestoreRunbook,
  RestoreRunbookModel,
} from '../../lib/backup/backup-config';
import { checkShell } from '../support/config-checks';
import { checkOpenstackClouds, checkOpenstackCommandLine, checkSystemdUnit } from '../support/daemons';
import { OpenstackStub, STUB_STAMP, StubCall } from './openstack-stub';

const CLOUDS = {
  cloud: 'hosting-stacks-backup',
  authUrl: 'https://auth.cloud.ovh.net/v3',
  region: 'GRA11',
  applicationCredentialId: '"a1b2c3"',
  applicationCredentialSecret: '"s3cr#t: with \\"quotes\\""',
};

const SCRIPT: BackupScriptModel = {
  policyId: 'vital',
  scheduleDescription: 'daily at 02:30 Europe/Madrid',
  cloud: 'hosting-stacks-backup',
  rotation: 3,
  pollSeconds: 10,
  volumeBackups: false,
  servers: [
    { hostname: 'db-1', bootVolume: 'shop-db-instance1-boot', bootVolumeGb: 50, waitSeconds: 600 },
    { hostname: 'db-2', bootVolume: 'shop-db-instance2-boot', bootVolumeGb: 50, waitSeconds: 600 },
  ],
};

// 7 daily copies and one run of at most an hour.
const OFFSITE = { container: 'shop-backup-offsite', region: 'SBG5', partMb: 1, deleteAfterSeconds: 608400 };

const UNIT: BackupUnitModel = {
  policyId: 'vital',
  scheduleDescription: 'daily at 02:30 Europe/Madrid',
  scriptPath: '/usr/local/sbin/hosting-stacks-backup-vital',
  timeoutSeconds: 3600,
  onCalendar: '*-*-* 02:30:00 Europe/Madrid',
  randomizedDelaySeconds: 300,
};

const RUNBOOK: RestoreRunbookModel = {
  policyId: 'vital',
  scheduleDescription: 'daily at 02:30 Europe/Madrid',
  rotation: 3,
  cloud: 'hosting-stacks-backup',
  runnerHost: 'backup-runner-1',
  hostname: 'db-1',
  serverPath: 'shop/Db/Servers/Instance1',
  address: '10.0.1.2',
  portName: 'shop-db-servers-instance1',
  serverGroupName: 'shop-db-servers',
  flavorName: 'b3-8',
  bootVolume: 'shop-db-instance1-boot',
  bootVolumeGb: 50,
  volumeTypeOption: '--type high-speed ',
  serverAddress: 'openstack_compute_instance_v2.Db_Servers_Instance1_ABCD',
  volumeAddress: 'openstack_blockstorage_volume_v3.Db_Servers_Instance1_BootVolume_ABCD',
  stateful: true,
  rtoMinutes: 15,
  snapshotRestoreMinutes: 10,
  volumeBackupRestoreMinutes: 55,
  offsiteRestoreMinutes: 155,
  offsite: OFFSITE,
};

/** Calls of the fake CLI as single strings, for readable expectations. */
function lines(calls: StubCall[]): string[] {
  return calls.map((c) => c.join(' '));
}

/** Every distinct recorded `openstack` command line must be accepted by the real openstack CLI's parser (the uploader is checked on its own). */
function expectRealCliAccepts(calls: StubCall[]): void {
  const openstack = calls.filter((c) => c[0] !== 'hosting-stacks-object-put');
  const distinct = [...new Map(openstack.map((c) => [c.join('\t'), c])).values()];
  for (const argv of distinct) {
    const words = argv[0] === '--os-region-name' ? argv.slice(2) : argv;
    const uploads = words[0] === 'object' && words[1] === 'create' ? [words[words.length - 1]] : [];
    if (words[0] === 'image' && words[1] === 'create' && words.includes('--file')) uploads.push(words[words.indexOf('--file') + 1]);
    const r = checkOpenstackCommandLine(argv, uploads);
    expect(r.ok ? 'accepted' : r.output).toBe('accepted');
  }
}

/** The command of a call: `volume create`, or `volume snapshot create` for the resources named by two words. */
function kindOf(call: StubCall): string {
  const words = call[0] === '--os-region-name' ? call.slice(2) : call;
  return words.slice(0, ['snapshot', 'backup', 'group', 'log'].includes(words[1]) ? 3 : 2).join(' ');
}

/** The ```sh blocks of a Markdown runbook. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('estimates', () => {
  test('given a 50 GB boot volume, then the documented arithmetic gives 10, 55 and 155 min to restore', () => {
    expect(estimateSnapshotRestoreMinutes(50)).toBe(10);
    expect(estimateVolumeBackupRestoreMinutes(50)).toBe(55);
    expect(estimateOffsiteRestoreMinutes(50)).toBe(155);
  });

  test('a run costs a snapshot, plus a full backup and an export when asked', () => {
    expect(estimateServerRunMinutes(50, false, false)).toBe(1);
    expect(estimateServerRunMinutes(50, true, false)).toBe(51);
    expect(estimateServerRunMinutes(50, true, true)).toBe(156);
  });

  test('waits are four times the slowest transfer, at least 10 min', () => {
    expect(backupWaitSeconds(1)).toBe(600);
    expect(backupWaitSeconds(50)).toBe(12000);
  });
});

describe('renderOpenstackCloudsYaml', () => {
  test('given an application credential, then one v3applicationcredential cloud with the region and URL', () => {
    const doc = parse(renderOpenstackCloudsYaml(CLOUDS));
    expect(doc.clouds['hosting-stacks-backup']).toEqual({
      auth_type: 'v3applicationcredential',
      auth: { auth_url: 'https://auth.cloud.ovh.net/v3', application_credential_id: 'a1b2c3', application_credential_secret: 's3cr#t: with "quotes"' },
      region_name: 'GRA11',
      interface: 'public',
      identity_api_version: 3,
    });
  });

  test('the real openstacksdk loads it and builds the application-credential plugin', () => {
    const r = checkOpenstackClouds(renderOpenstackCloudsYaml(CLOUDS));
    expect(r.output).toBe(r.ok ? r.output : '(check passes)');
    expect(r.ok).toBe(true);
  });

  test('the check fails on a cloud whose credential has no secret', () => {
    const broken = renderOpenstackCloudsYaml(CLOUDS).replace(/^\s*application_credential_secret:.*\n/m, '');
    const r = checkOpenstackClouds(broken);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/secret/);
  });
});

describe('renderBackupService and renderBackupTimer', () => {
  test('the service is a oneshot running the script with a time limit', () => {
    const unit = renderBackupService(UNIT);
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/sbin\/hosting-stacks-backup-vital$/m);
    expect(unit).toMatch(/^TimeoutStartSec=3600$/m);
    const r = checkSystemdUnit(unit, 'hosting-stacks-backup-vital.service');
    expect(r.output).toBe(r.ok ? r.output : '(check passes)');
  });

  test('the timer fires on the calendar, catches up missed runs and spreads starts', () => {
    const timer = renderBackupTimer(UNIT);
    expect(timer).toMatch(/^OnCalendar=\*-\*-\* 02:30:00 Europe\/Madrid$/m);
    expect(timer).toMatch(/^Persistent=true$/m);
    expect(timer).toMatch(/^RandomizedDelaySec=300$/m);
    expect(timer).toMatch(/^WantedBy=timers.target$/m);
    const r = checkSystemdUnit(timer, 'hosting-stacks-backup-vital.timer');
    expect(r.output).toBe(r.ok ? r.output : '(check passes)');
  });

  test('systemd rejects a timer with a bad calendar expression (the check can fail)', () => {
    const r = checkSystemdUnit(renderBackupTimer({ ...UNIT, onCalendar: '*-*-* 25:30:00' }), 'bad.timer');
    expect(r.ok).toBe(false);
  });
});

describe('renderBackupScript', () => {
  let stub: OpenstackStub;
  beforeEach(() => {
    stub = new OpenstackStub();
  });
  afterEach(() => stub.cleanup());

  test.each([
    ['snapshots only', SCRIPT],
    ['volume backups and off-site copies', { ...SCRIPT, volumeBackups: true, offsite: OFFSITE }],
  ])('with %s, bash -n accepts it', (_name, model) => {
    const r = checkShell(renderBackupScript(model));
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given no earlier snapshot, when run, then each server gets one snapshot, waited for, then listed for rotation', () => {
    const r = stub.runScript(renderBackupScript(SCRIPT));
    expect(r.output).toMatch(/2 servers backed up/);
    expect(r.status).toBe(0);
    expect(lines(stub.calls)).toEqual([
      `volume snapshot create --volume shop-db-instance1-boot --force --property hosting-stacks-policy=vital --property hosting-stacks-host=db-1 -f value -c id vital-db-1-${STUB_STAMP}`,
      `volume snapshot show id-vital-db-1-${STUB_STAMP} -f value -c status`,
      'volume snapshot list --volume shop-db-instance1-boot --status available -f value -c ID -c Name',
      `volume snapshot create --volume shop-db-instance2-boot --force --property hosting-stacks-policy=vital --property hosting-stacks-host=db-2 -f value -c id vital-db-2-${STUB_STAMP}`,
      `volume snapshot show id-vital-db-2-${STUB_STAMP} -f value -c status`,
      'volume snapshot list --volume shop-db-instance2-boot --status available -f value -c ID -c Name',
    ]);
  });

  test('given more snapshots than the rotation, then the oldest of this policy and host are deleted, nothing else', () => {
    stub.write('snapshots-shop-db-instance1-boot', [
      `snap-new vital-db-1-${STUB_STAMP}`,
      'snap-3 vital-db-1-20261120T023000Z',
      'snap-2 vital-db-1-20261119T023000Z',
      'snap-1 vital-db-1-20261118T023000Z',
      'snap-0 vital-db-1-20261117T023000Z',
      'other-policy vital-x-db-1-20261101T023000Z',
      'manual my-own-snapshot',
    ].join('\n') + '\n');
    const r = stub.runScript(renderBackupScript({ ...SCRIPT, servers: [SCRIPT.servers[0]] }));
    expect(r.status).toBe(0);
    const deletes = lines(stub.calls).filter((c) => c.startsWith('volume snapshot delete'));
    expect(deletes).toEqual(['volume snapshot delete snap-0', 'volume snapshot delete snap-1']);
  });

  test('given a snapshot that fails for the first server, then the second is still backed up and the script exits 1', () => {
    const r = stub.runScript(renderBackupScript(SCRIPT), { STUB_FAIL: '^volume snapshot create .* vital-db-1-' });
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/db-1: FAILED/);
    expect(r.output).toMatch(/1 of 2 servers failed/);
    expect(lines(stub.calls).filter((c) => c.startsWith('volume snapshot create')).map((c) => c.split(' ').pop())).toEqual([
      `vital-db-1-${STUB_STAMP}`,
      `vital-db-2-${STUB_STAMP}`,
    ]);
  });

  test('given a snapshot in error, then the wait stops at once and the server fails', () => {
    const r = stub.runScript(renderBackupScript({ ...SCRIPT, servers: [SCRIPT.servers[0]] }), { STUB_STATUS: 'error' });
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/volume snapshot id-vital-db-1-\S+ is error/);
    expect(lines(stub.calls).filter((c) => c.includes(' show '))).toHaveLength(1);
  });

  test('given a snapshot that never becomes available, then the wait gives up after the limit', () => {
    const r = stub.runScript(renderBackupScript({ ...SCRIPT, servers: [{ ...SCRIPT.servers[0], waitSeconds: 30 }] }), { STUB_STATUS: 'creating' });
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/is still creating after 30 s/);
    // Polled at 0, 10, 20 and 30 s.
    expect(lines(stub.calls).filter((c) => c.includes(' show '))).toHaveLength(4);
  });

  describe('volume backups', () => {
    const model = { ...SCRIPT, volumeBackups: true, servers: [SCRIPT.servers[0]] };
    const backupCreates = () => lines(stub.calls).filter((c) => c.startsWith('volume backup create'));

    test('given no backup yet, then a full backup is made from the new snapshot', () => {
      expect(stub.runScript(renderBackupScript(model)).status).toBe(0);
      expect(backupCreates()).toEqual([
        `volume backup create --name vital-db-1-${STUB_STAMP}-full --snapshot id-vital-db-1-${STUB_STAMP} -f value -c id shop-db-instance1-boot`,
      ]);
    });

    test('given a chain shorter than the rotation, then an incremental backup', () => {
      stub.write('backups-shop-db-instance1-boot', 'b1 vital-db-1-20261119T023000Z-full\nb2 vital-db-1-20261120T023000Z-incr\n');
      expect(stub.runScript(renderBackupScript(model)).status).toBe(0);
      expect(backupCreates()).toEqual([
        `volume backup create --name vital-db-1-${STUB_STAMP}-incr --snapshot id-vital-db-1-${STUB_STAMP} --incremental -f value -c id shop-db-instance1-boot`,
      ]);
      expect(lines(stub.calls).filter((c) => c.startsWith('volume backup delete'))).toEqual([]);
    });

    test('given a full chain, then a new full backup and the chains before the previous one deleted, newest first', () => {
      stub.write('backups-shop-db-instance1-boot', [
        'a1 vital-db-1-20261112T023000Z-full',
        'a2 vital-db-1-20261113T023000Z-incr',
        'a3 vital-db-1-20261114T023000Z-incr',
        'b1 vital-db-1-20261115T023000Z-full',
        'b2 vital-db-1-20261116T023000Z-incr',
        'b3 vital-db-1-20261117T023000Z-incr',
        'other x-db-1-20261101T023000Z-full',
      ].join('\n') + '\n');
      expect(stub.runScript(renderBackupScript(model)).status).toBe(0);
      expect(backupCreates()[0]).toContain(`--name vital-db-1-${STUB_STAMP}-full`);
      expect(lines(stub.calls).filter((c) => c.startsWith('volume backup delete'))).toEqual([
        'volume backup delete a3',
        'volume backup delete a2',
        'volume backup delete a1',
      ]);
    });
  });

  describe('off-site copies', () => {
    const model = { ...SCRIPT, offsite: OFFSITE, servers: [SCRIPT.servers[0]] };
    // 2.5 MiB: three parts of 1 MiB.
    const image = randomBytes(2.5 * 1024 * 1024);

    test('when run, then the image is streamed into parts with their SHA256SUMS and the temporary volume and image are removed', () => {
      stub.write('image.bin', image);
      const r = stub.runScript(renderBackupScript(model));
      expect(r.output).toMatch(/off-site copy shop-backup-offsite\/db-1\/vital\/20261121T023000Z\/ is complete/);
      expect(r.status).toBe(0);
      const prefix = `db-1/vital/${STUB_STAMP}/`;
      const parts = ['0000', '0001', '0002'].map((n) => stub.object('shop-backup-offsite', `${prefix}image.qcow2.part-${n}`)!);
      expect(Buffer.concat(parts).equals(image)).toBe(true);
      const sums = stub.object('shop-backup-offsite', `${prefix}SHA256SUMS`)!.toString();
      expect(sums).toBe(parts.map((p, i) => `${createHash('sha256').update(p).digest('hex')}  image.qcow2.part-000${i}\n`).join(''));
      const calls = lines(stub.calls);
      const exportName = `vital-db-1-${STUB_STAMP}-export`;
      expect(calls).toEqual(expect.arrayContaining([
        `volume create --snapshot id-vital-db-1-${STUB_STAMP} --size 50 -f value -c id ${exportName}`,
        `image create --volume id-${exportName} --disk-format qcow2 --container-format bare -f value -c image_id ${exportName}`,
        `image save id-${exportName}`,
        `image delete id-${exportName}`,
        `volume delete id-${exportName}`,
      ]));
      expect(calls.filter((c) => c.startsWith('hosting-stacks-object-put '))).toEqual([
        ...['0000', '0001', '0002'].map((n) => `hosting-stacks-object-put SBG5 shop-backup-offsite ${prefix}image.qcow2.part-${n} image.qcow2.part-${n} 608400`),
        `hosting-stacks-object-put SBG5 shop-backup-offsite ${prefix}SHA256SUMS SHA256SUMS 608400`,
      ]);
    });

    test('given older copies than the rotation, then the script lists, reads and deletes no object: Swift expires them', () => {
      stub.write('image.bin', image);
      for (const stamp of ['20261117T023000Z', '20261118T023000Z', '20261119T023000Z', '20261120T023000Z']) {
        stub.write(`store/shop-backup-offsite/db-1/vital/${stamp}/image.qcow2.part-0000`, 'x');
      }
      expect(stub.runScript(renderBackupScript(model)).status).toBe(0);
      expect(lines(stub.calls).filter((c) => / object /.test(` ${c} `))).toEqual([]);
      expect(stub.object('shop-backup-offsite', 'db-1/vital/20261117T023000Z/image.qcow2.part-0000')).toBeDefined();
    });

    test('given an upload that fails, then the temporary image and volume are still removed and the script exits 1', () => {
      stub.write('image.bin', image);
      const r = stub.runScript(renderBackupScript(model), { STUB_FAIL: 'hosting-stacks-object-put' });
      expect(r.status).toBe(1);
      const calls = lines(stub.calls);
      expect(calls).toContain(`image delete id-vital-db-1-${STUB_STAMP}-export`);
      expect(calls).toContain(`volume delete id-vital-db-1-${STUB_STAMP}-export`);
    });
  });

  test('every command line the script runs is accepted by the real openstack CLI', () => {
    stub.write('image.bin', randomBytes(1024));
    stub.write('snapshots-shop-db-instance1-boot', 'old vital-db-1-20261101T023000Z\nn1 vital-db-1-20261102T023000Z\nn2 vital-db-1-20261103T023000Z\nn3 vital-db-1-20261104T023000Z\n');
    stub.write('backups-shop-db-instance1-boot', 'a1 vital-db-1-20261101T023000Z-full\nb1 vital-db-1-20261102T023000Z-full\nb2 vital-db-1-20261103T023000Z-incr\nb3 vital-db-1-20261104T023000Z-incr\n');
    stub.write('store/shop-backup-offsite/db-1/vital/20261101T023000Z/SHA256SUMS', 'x');
    stub.write('store/shop-backup-offsite/db-1/vital/20261102T023000Z/SHA256SUMS', 'x');
    stub.write('store/shop-backup-offsite/db-1/vital/20261103T023000Z/SHA256SUMS', 'x');
    expect(stub.runScript(renderBackupScript({ ...SCRIPT, volumeBackups: true, offsite: OFFSITE, servers: [SCRIPT.servers[0]] })).status).toBe(0);
    const kinds = new Set(stub.calls.map(kindOf));
    // Every kind of call was made, so every kind is checked.
    expect([...kinds].sort()).toEqual(expect.arrayContaining([
      'image create', 'image delete', 'image save', 'image show',
      'volume backup create', 'volume backup delete', 'volume backup list', 'volume backup show',
      'volume create', 'volume delete', 'volume show',
      'volume snapshot create', 'volume snapshot delete', 'volume snapshot list', 'volume snapshot show',
    ]));
    expect(stub.calls.filter((c) => c[0] === 'hosting-stacks-object-put')).not.toHaveLength(0);
    expectRealCliAccepts(stub.calls);
  });
});

describe('renderRestoreRunbook', () => {
  let stub: OpenstackStub;
  beforeEach(() => {
    stub = new OpenstackStub();
  });
  afterEach(() => stub.cleanup());

  test('names where the backups are, the estimates against the target and the Terraform addresses', () => {
    const md = renderRestoreRunbook(RUNBOOK);
    expect(md).toMatch(/^# Restore db-1 from backup policy vital$/m);
    expect(md).toContain('Target restore time (RTO): **15 min**');
    expect(md).toContain('| the newest snapshot | 10 |');
    expect(md).toContain('| the newest volume backup | 55 |');
    expect(md).toContain('| the newest off-site copy | 155 |');
    expect(md).toContain('`shop-backup-offsite` of region SBG5');
    expect(md).toContain("terraform state rm 'openstack_compute_instance_v2.Db_Servers_Instance1_ABCD' 'openstack_blockstorage_volume_v3.Db_Servers_Instance1_BootVolume_ABCD'");
  });

  test('without volume backups and off-site copies, only the snapshot way is written', () => {
    const md = renderRestoreRunbook({ ...RUNBOOK, volumeBackupRestoreMinutes: undefined, offsiteRestoreMinutes: undefined, offsite: undefined, stateful: false });
    expect(md).not.toMatch(/volume backup restore|object save/);
    expect(md).toContain('(not marked stateful)');
    expect(shellBlocks(md)).toHaveLength(6);
  });

  test('every shell block passes bash -n', () => {
    for (const block of shellBlocks(renderRestoreRunbook(RUNBOOK))) {
      const r = checkShell(block);
      expect(r.output).toBe('');
    }
  });

  test('followed from the newest snapshot, the commands pick it, rebuild the server on its port and rename the volumes; the real CLI accepts each', () => {
    stub.write('snapshots-shop-db-instance1-boot', 's2 vital-db-1-20261120T023000Z\ns3 vital-db-1-20261121T023000Z\ns1 vital-db-1-20261119T023000Z\nx other-20261122T023000Z\n');
    const blocks = shellBlocks(renderRestoreRunbook(RUNBOOK)).filter((b) => !/volume backup restore|object save|terraform/.test(b));
    const r = stub.runScript(['set -euo pipefail', ...blocks].join('\n'));
    expect(r.output).toBe(r.status === 0 ? r.output : '(runs)');
    const calls = lines(stub.calls);
    expect(calls).toContain('volume create --snapshot s3 --size 50 --bootable -f value -c id shop-db-instance1-boot-restored');
    expect(calls).toContain('server delete --wait db-1');
    expect(calls).toContain(
      'server create --flavor b3-8 --volume id-shop-db-instance1-boot-restored --port id-shop-db-servers-instance1 --hint group= --property hosting-stacks:path=shop/Db/Servers/Instance1 --wait db-1',
    );
    expect(calls).toContain(`volume set --name shop-db-instance1-boot-replaced-${STUB_STAMP} id-shop-db-instance1-boot`);
    expect(calls).toContain('volume set --name shop-db-instance1-boot id-shop-db-instance1-boot-restored');
    expectRealCliAccepts(stub.calls);
  });

  test('followed from the newest volume backup, the commands restore it to a new bootable volume', () => {
    stub.write('backups-', 'b1 vital-db-1-20261119T023000Z-full\nb2 vital-db-1-20261120T023000Z-incr\nz vital-db-10-20261121T023000Z-full\n');
    const md = renderRestoreRunbook(RUNBOOK);
    const block = shellBlocks(md).find((b) => b.includes('volume backup restore'))!;
    const r = stub.runScript(['set -euo pipefail', 'export OS_CLOUD=hosting-stacks-backup', block].join('\n'));
    expect(r.status).toBe(0);
    const calls = lines(stub.calls);
    expect(calls).toContain('volume backup restore b2 shop-db-instance1-boot-restored -f value -c volume_id');
    expect(calls).toContain('volume set --bootable id-shop-db-instance1-boot-restored');
    expectRealCliAccepts(stub.calls);
  });

  test('followed from the off-site copy a backup run uploaded, the commands get back the exact image', () => {
    const image = randomBytes(2.5 * 1024 * 1024);
    stub.write('image.bin', image);
    const backup = stub.runScript(renderBackupScript({ ...SCRIPT, offsite: OFFSITE, servers: [SCRIPT.servers[0]] }));
    expect(backup.status).toBe(0);
    const block = shellBlocks(renderRestoreRunbook(RUNBOOK)).find((b) => b.includes('object save'))!;
    const r = stub.runScript(['set -euo pipefail', 'export OS_CLOUD=hosting-stacks-backup', block].join('\n'));
    expect(r.output).toMatch(/image.qcow2.part-0002: OK/);
    expect(r.status).toBe(0);
    expect(readFileSync(join(stub.dir, 'restore-db-1', 'image.qcow2')).equals(image)).toBe(true);
    const calls = lines(stub.calls);
    expect(calls).toContain(`image create --disk-format qcow2 --container-format bare --file image.qcow2 -f value -c id db-1-restore-${STUB_STAMP}`);
    expect(calls).toContain(`volume create --image id-db-1-restore-${STUB_STAMP} --size 50 --type high-speed --bootable -f value -c id shop-db-instance1-boot-restored`);
    expectRealCliAccepts(stub.calls);
  });
});
