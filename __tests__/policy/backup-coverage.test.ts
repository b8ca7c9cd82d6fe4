import { BackupSchedule, VeeamBackup } from '../../lib';
import { BACKUP_COVERAGE_RULE, BACKUP_COVERAGE_RULE_ID } from '../../lib/policy/rules/backup-coverage';
import { cluster, findingsOf, zonedStack } from './fixtures';
import { runRule } from '../../lib/policy/policy-pack';

describe('HS-BACKUP-1: every stateful server in a backup policy', () => {
  test('compliant: a stateful cluster in a backup policy, a stateless one outside any', () => {
    const { stack, app, data, admin } = zonedStack();
    const db = cluster(stack, 'Db', data, 2, true);
    cluster(stack, 'Web', app, 2, false);
    new VeeamBackup(stack, 'Backup', { vswitch: admin, region: 'GRA11' })
      .addPolicy('db', { servers: [db], schedule: BackupSchedule.daily('02:30', 'Europe/Paris'), rotation: 7 });
    expect(runRule(BACKUP_COVERAGE_RULE, stack)).toEqual([]);
  });

  test('compliant: a stateful cluster exempted with a reason', () => {
    const { stack, data } = zonedStack();
    cluster(stack, 'Cache', data, 1, true).exemptFromBackup('a cache rebuilt from the database');
    expect(findingsOf(stack, BACKUP_COVERAGE_RULE_ID)).toEqual([]);
  });

  test('non-compliant: a stateful cluster in no policy', () => {
    const { stack, data } = zonedStack();
    cluster(stack, 'Db', data, 2, true);
    expect(findingsOf(stack, BACKUP_COVERAGE_RULE_ID).map((f) => [f.constructPath, f.message])).toEqual([
      ['test/Db', "'stateful' (true) servers are in no backup policy; add them to a VeeamBackup policy or call exemptFromBackup(reason)"],
    ]);
  });
});
