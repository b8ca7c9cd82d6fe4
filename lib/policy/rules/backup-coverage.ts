import { IConstruct } from 'constructs';
import { backupCoverageProblem, isUncoveredStatefulCluster } from '../../backup/backup-coverage';
import { ServerCluster } from '../../compute/server-cluster';
import { finding, IPolicyRule, PolicyFinding } from '../policy-rule';

/** Id of {@link BACKUP_COVERAGE_RULE}. */
export const BACKUP_COVERAGE_RULE_ID = 'HS-BACKUP-1';

/**
 * HS-BACKUP-1: every stateful server is in a backup policy. A {@link ServerCluster} created with
 * `stateful: true` (databases, session caches, search indexes, NFS servers, back-offices) must be
 * covered by a policy (`VeeamBackup.addPolicy`, which records itself in `backupPolicies`) or carry an
 * exemption with a reason (`exemptFromBackup(reason)`); an exemption counts as compliant.
 * Visits each ServerCluster; the finding is on the cluster.
 */
export const BACKUP_COVERAGE_RULE: IPolicyRule = {
  id: BACKUP_COVERAGE_RULE_ID,
  description: 'Every stateful server cluster is in a backup policy or exempted from backup with a reason',
  visit(node: IConstruct): PolicyFinding[] {
    if (!ServerCluster.isServerCluster(node) || !isUncoveredStatefulCluster(node)) return [];
    return [finding(BACKUP_COVERAGE_RULE, node.node.path, backupCoverageProblem())];
  },
};
