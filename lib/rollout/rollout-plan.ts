import { IConstruct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { findHosts, ServerInstance } from '../compute/server-cluster';

/** The file synth writes next to a stack's Terraform: the servers in the order a rollout replaces them. */
export const ROLLOUT_PLAN_FILE = 'rollout.json';

/** One server of a {@link RolloutPlan}. */
export interface RolloutPlanServer {
  /** Terraform address of the server (`openstack_compute_instance_v2.<id>`, `[0]` when its count decides). */
  readonly address: string;
  readonly hostname: string;
  /** Construct path. */
  readonly path: string;
  /** The digest of the configuration synth rendered for it (instance metadata `hosting-stacks:config`). */
  readonly configDigest: string;
  /** True when the server holds data (a database, a cache of sessions, shared files): replaced last. */
  readonly stateful: boolean;
  /** Servers of the same cluster (a pair, a tier, a primary and its replicas). */
  readonly cluster: string;
}

/** What `rollout.json` holds. */
export interface RolloutPlan {
  readonly stack: string;
  /** In replacement order. */
  readonly servers: readonly RolloutPlanServer[];
}

/**
 * The rollout order of a stack's servers: clusters without data first (a failure there stops the
 * rollout before any database is touched), then the stateful ones; within a cluster from the last
 * server to the first, so a replica goes before its primary (index 0) and the second director before
 * the first. One server at a time: the others of its cluster carry its share meanwhile.
 */
export function rolloutPlanOf(stack: IConstruct): RolloutPlan {
  const hosts = findHosts(stack);
  const clusters: ServerInstance[][] = [];
  for (const h of hosts) {
    const group = clusters.find((c) => c[0].cluster === h.cluster);
    if (group) group.push(h);
    else clusters.push([h]);
  }
  const ordered = [...clusters.filter((c) => !c[0].cluster.stateful), ...clusters.filter((c) => c[0].cluster.stateful)];
  return {
    stack: TerraformStack.of(stack).node.id,
    servers: ordered.flatMap((c) =>
      [...c]
        .sort((a, b) => b.index - a.index)
        .map((h) => ({
          address: h.terraformAddress,
          hostname: h.hostname,
          path: h.node.path,
          configDigest: h.configDigest(),
          stateful: h.cluster.stateful,
          cluster: h.cluster.node.path,
        })),
    ),
  };
}

/** `rollout.json` of a stack. */
export function renderRolloutPlan(stack: IConstruct): string {
  return `${JSON.stringify(rolloutPlanOf(stack), null, 2)}\n`;
}
