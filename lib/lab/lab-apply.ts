/**
 * What `terraform apply` of new variable values does to a running stack, as the lab realises it:
 * the model evaluated with the new values is compared with the running one. Servers whose count
 * index appears are created (their ports with them), those whose index disappears are deleted,
 * balancer members follow, security group membership follows the ports, and in-place metadata
 * updates reach the metadata service. What Terraform would leave alone (`lifecycle.ignore_changes`:
 * `user_data`, `metadata["key"]`) keeps its running value.
 *
 * Anything else (a network, subnet, router, floating IP, listener or pool that changes, a running
 * server's port or user_data that would replace it) is not a count change: the lab refuses the
 * apply and names every such change, as the stack's count-only apply path (count-apply.py) refuses
 * such a plan.
 */
import { LabLoadBalancerModel, LabServerModel, LabStackModel } from './model';
import { HostingStacksToolError } from '../core/errors';

/** What an apply changes in a running lab. */
export interface LabApplyPlan {
  /** The model the lab runs after the apply (ignored changes keep their running values). */
  readonly applied: LabStackModel;
  /** Servers to create, by key, in the order of the new model. */
  readonly added: readonly LabServerModel[];
  /** Servers to delete (their keys and names). */
  readonly removed: readonly LabServerModel[];
  /** Running servers whose metadata changes in place. */
  readonly metadataUpdated: readonly string[];
  /** Load balancers whose pools' members change (their amphora reloads). */
  readonly membersChanged: readonly string[];
}

/** An apply the lab cannot realise as a count change; `changes` lists each one. */
export class LabApplyError extends HostingStacksToolError {
  constructor(readonly changes: readonly string[]) {
    super('lab apply', 'changes', `the lab applies count changes only (servers created or deleted, their ports, members and metadata); this apply also changes:\n  ${changes.join('\n  ')}`);
    this.name = 'LabApplyError';
  }
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Whether `lifecycle.ignore_changes` of `server` covers `attribute` (`user_data`, `metadata["k"]`). */
function ignores(server: LabServerModel, attribute: string): boolean {
  return (server.ignoreChanges ?? []).some((i) => i === attribute || (attribute.startsWith('metadata[') && i === 'metadata'));
}

/** The load balancer without its members: what must not change in a count change. */
function withoutMembers(lb: LabLoadBalancerModel): unknown {
  return { ...lb, pools: lb.pools.map((p) => ({ ...p, members: undefined })) };
}

/** Compares `running` with `next` (the same stack evaluated with the new values). Throws {@link LabApplyError}. */
export function planLabApply(running: LabStackModel, next: LabStackModel): LabApplyPlan {
  const refused: string[] = [];
  const keyed = <T extends { key: string }>(items: readonly T[]): Map<string, T> => new Map(items.map((i) => [i.key, i]));
  for (const [what, a, b] of [
    ['network', running.networks, next.networks],
    ['subnet', running.subnets, next.subnets],
    ['router', running.routers, next.routers],
    ['floating IP', running.floatingIps, next.floatingIps],
  ] as const) {
    const before = keyed<{ key: string }>(a);
    const after = keyed<{ key: string }>(b);
    for (const [k] of before) if (!after.has(k)) refused.push(`${what} ${k}: delete`);
    for (const [k, v] of after) {
      const old = before.get(k);
      if (!old) refused.push(`${what} ${k}: create`);
      else if (!same(old, v)) refused.push(`${what} ${k}: update`);
    }
  }
  const lbsBefore = keyed(running.loadBalancers);
  const lbsAfter = keyed(next.loadBalancers);
  const membersChanged: string[] = [];
  for (const [k] of lbsBefore) if (!lbsAfter.has(k)) refused.push(`load balancer ${k}: delete`);
  for (const [k, lb] of lbsAfter) {
    const old = lbsBefore.get(k);
    if (!old) refused.push(`load balancer ${k}: create`);
    else if (!same(withoutMembers(old), withoutMembers(lb))) refused.push(`load balancer ${k}: its listeners, pools or monitors change`);
    else if (!same(old, lb)) membersChanged.push(k);
  }

  const serversBefore = keyed(running.servers);
  const serversAfter = keyed(next.servers);
  const added = next.servers.filter((s) => !serversBefore.has(s.key));
  const removed = running.servers.filter((s) => !serversAfter.has(s.key));
  const metadataUpdated: string[] = [];
  const appliedServers = next.servers.map((s) => {
    const old = serversBefore.get(s.key);
    if (!old) return s;
    let userData = s.userData;
    if (userData !== old.userData) {
      if (ignores(old, 'user_data')) userData = old.userData;
      else refused.push(`server ${s.name} (${s.key}): its user_data changes, which replaces it`);
    }
    if (!same(old.portKeys, s.portKeys)) refused.push(`server ${s.name} (${s.key}): its ports change, which replaces it`);
    const metadata: Record<string, string> = { ...(s.metadata ?? {}) };
    for (const k of new Set([...Object.keys(old.metadata ?? {}), ...Object.keys(s.metadata ?? {})])) {
      if (!ignores(old, `metadata["${k}"]`)) continue;
      if (old.metadata?.[k] === undefined) delete metadata[k];
      else metadata[k] = old.metadata[k];
    }
    if (!same(old.metadata ?? {}, metadata)) metadataUpdated.push(s.key);
    return { ...s, userData, metadata };
  });

  const portsBefore = keyed(running.ports);
  const portsAfter = keyed(next.ports);
  const ownerGone = (k: string): boolean => removed.some((s) => running.ports.find((p) => p.key === k)?.owner.kind === 'server' && s.portKeys.includes(k));
  const ownerNew = (k: string): boolean => added.some((s) => s.portKeys.includes(k));
  for (const [k] of portsBefore) if (!portsAfter.has(k) && !ownerGone(k)) refused.push(`port ${k}: delete`);
  for (const [k, p] of portsAfter) {
    const old = portsBefore.get(k);
    if (!old && !ownerNew(k)) refused.push(`port ${k}: create (no new server owns it)`);
    else if (old && !same(old, p)) refused.push(`port ${k}: update (addresses, groups or address pairs)`);
  }
  if (refused.length > 0) throw new LabApplyError(refused);
  return { applied: { ...next, servers: appliedServers }, added, removed, metadataUpdated, membersChanged };
}
