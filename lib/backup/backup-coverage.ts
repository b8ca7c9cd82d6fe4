import { IConstruct } from 'constructs';
import { findHosts, ServerCluster } from '../compute/server-cluster';

/**
 * The stateful-coverage rule: every cluster marked `stateful` under `scope` is covered by a backup
 * policy (`VeeamBackup.addPolicy`) or exempted with a reason (`exemptFromBackup`). Returns one
 * message per cluster that is neither, naming its path and what to do.
 */
export function validateBackupCoverage(scope: IConstruct): string[] {
  return uncoveredStatefulClusters(scope).map((c) => `${c.node.path}: ${backupCoverageProblem()}`);
}

/** Every cluster under `scope` that is stateful, in no backup policy and not exempted. */
export function uncoveredStatefulClusters(scope: IConstruct): ServerCluster[] {
  const clusters = new Set<ServerCluster>(findHosts(scope).map((h) => h.cluster));
  return [...clusters].filter(isUncoveredStatefulCluster);
}

/** True when `cluster` has servers, is stateful, is in no backup policy and is not exempted from backup. */
export function isUncoveredStatefulCluster(cluster: ServerCluster): boolean {
  return cluster.instances.length > 0 && cluster.stateful && cluster.backupPolicies.length === 0 && cluster.backupExemption === undefined;
}

/** What is wrong with an uncovered stateful cluster, and what to do. */
export function backupCoverageProblem(): string {
  return "'stateful' (true) servers are in no backup policy; add them to a VeeamBackup policy or call exemptFromBackup(reason)";
}
