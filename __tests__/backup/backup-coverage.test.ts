import { Testing } from 'cdktf';
import { validateBackupCoverage } from '../../lib/backup/backup-coverage';
import { BackupSchedule } from '../../lib/backup/backup-schedule';
import { VeeamBackup } from '../../lib/backup/veeam-backup';
import { Flavor } from '../../lib/compute/flavor';
import { ServerCluster } from '../../lib/compute/server-cluster';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { PolicyPack } from '../../lib/policy/policy-pack';
import { HostingStack } from '../../lib/stack/hosting-stack';

function setup(stateful: boolean) {
  const stack = new HostingStack(Testing.app(), 'test');
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  const db = new ServerCluster(stack, 'Db', { vswitch, count: 1, flavor: Flavor.named('b3-8'), stateful });
  return { stack, vswitch, db };
}

const MESSAGE = "test/Db: 'stateful' (true) servers are in no backup policy; add them to a VeeamBackup policy or call exemptFromBackup(reason)";

describe('stateful servers must be backed up', () => {
  test('given a stateful cluster in no policy, then the stack fails validation and synth, naming it and what to do', () => {
    const { stack } = setup(true);
    expect(validateBackupCoverage(stack)).toEqual([MESSAGE]);
    // The default policy pack reports it as HS-BACKUP-1 (and the stack's own check then stands down).
    expect(stack.node.validate()).toContain(`[HS-BACKUP-1] ${MESSAGE}`);
    expect(() => Testing.synth(stack, true)).toThrow(/test\/Db: 'stateful' \(true\) servers are in no backup policy/);
  });

  test('given a policy pack without HS-BACKUP-1, then the stack still refuses an uncovered stateful cluster', () => {
    const stack = new HostingStack(Testing.app(), 'test', { policyPack: new PolicyPack() });
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    new ServerCluster(stack, 'Db', { vswitch, count: 1, flavor: Flavor.named('b3-8'), stateful: true });
    expect(stack.node.validate()).toEqual([MESSAGE]);
  });

  test('given a stateful cluster covered by a policy, then no error', () => {
    const { stack, vswitch, db } = setup(true);
    const backup = new VeeamBackup(stack, 'Backup', { vswitch, region: 'GRA11' });
    backup.addPolicy('vital', { servers: [db], schedule: BackupSchedule.daily('02:30'), rotation: 7 });
    expect(validateBackupCoverage(stack)).toEqual([]);
    expect(stack.node.validate()).toEqual([]);
  });

  test('given a stateful cluster exempted with a reason, then no error and the reason is kept', () => {
    const { stack, db } = setup(true);
    db.exemptFromBackup('rebuilt from the primary by replication');
    expect(validateBackupCoverage(stack)).toEqual([]);
    expect(db.backupExemption).toBe('rebuilt from the primary by replication');
  });

  test('an exemption without a reason is refused', () => {
    const { db } = setup(true);
    expect(() => db.exemptFromBackup(' ')).toThrow(/test\/Db: 'reason' \(' '\) must say why these stateful servers need no backup/);
  });

  test('given a cluster not marked stateful, then no backup is required', () => {
    const { stack } = setup(false);
    expect(validateBackupCoverage(stack)).toEqual([]);
  });
});
