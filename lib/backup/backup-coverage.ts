import { IConstruct } from 'constructs';
import { findHosts, ServerCluster } from '../compute/server-cluster';

/**
 * The stateful-coverage rule: every cluster marked `stateful` under `scope` is covered by a backup
 * policy (`VeeamBackup.addPolicy`) or exempted with a reason (`exemptFromBackup`). Returns one
 * message per cluster that is neither, naming its path and what to do.
 */
export function validateBackupCoverage(scope: IConstruct): string[] {
  const clusters = new Set<ServerCluster>(findHosts(scope).map((h) => h.cluster));
  return [...clusters]
    .filter((c) => c.stateful && c.backupPolicies.length === 0 && c.backupExemption === undefined)
    .map((c) => `${c.node.path}: 'stateful' (true) servers are in no backup policy; add them to a VeeamBackup policy or call exemptFromBackup(reason)`);
}
