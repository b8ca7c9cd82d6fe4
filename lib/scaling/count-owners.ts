import type { ServerCluster } from '../compute/server-cluster';

/**
 * The clusters whose count a scaling hook (PrometheusScaling) changes for the load, with the hook's
 * construct path. A campaign's scheduled steps only raise those counts (`count-apply.py
 * --keep-raised`): lowering them is the hook's, which scales in as the load falls and never below
 * an open campaign window, so the schedule never takes back what the hook added.
 */
const HOOK_OWNERS = new WeakMap<ServerCluster, string>();

/** Records that the hook at `hookPath` scales `cluster`. */
export function setHookOwner(cluster: ServerCluster, hookPath: string): void {
  HOOK_OWNERS.set(cluster, hookPath);
}

/** The construct path of the hook scaling `cluster`, if any. */
export function hookOwnerOf(cluster: ServerCluster): string | undefined {
  return HOOK_OWNERS.get(cluster);
}
