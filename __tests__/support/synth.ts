import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { Connections, Flavor, HostingStack, IServerTier, PrivateVSwitch, ServerCluster } from '../../lib';

/** A fresh stack in a fresh test app. */
export function testStack(id = 'test'): HostingStack {
  return new HostingStack(Testing.app(), id);
}

/** The synthesized Terraform JSON of a stack, parsed. */
export function synthJson(stack: HostingStack): Record<string, any> {
  return JSON.parse(Testing.synth(stack));
}

/** All resources of one type in synthesized JSON, as a list of configs. */
export function resourcesOf(json: Record<string, any>, type: string): Record<string, any>[] {
  return Object.values(json.resource?.[type] ?? {});
}

/** The rendered content of one host file of a stack, as written for review. */
export function hostFile(stack: HostingStack, host: string, path: string): string {
  const f = stack.renderHostFiles().find((x) => x.host === host && x.path === path);
  if (!f) throw new Error(`${stack.node.id} renders no ${path} on ${host}`);
  return f.content;
}

/** A minimal tier (a cluster of b3-8 servers) for balancers to target. */
export function fakeTier(scope: Construct, id: string, vswitch: PrivateVSwitch, count = 2): IServerTier {
  const cluster = new ServerCluster(scope, id, { vswitch, count, flavor: Flavor.named('b3-8') });
  return tierOf(cluster);
}

/** The smallest {@link IServerTier}: a construct that is nothing but a cluster (and its connections). */
class ClusterTier extends Construct implements IServerTier {
  public readonly connections: Connections;

  constructor(public readonly cluster: ServerCluster, id: string) {
    super(cluster, id);
    this.connections = cluster.connections;
  }
}

/**
 * `cluster` as a tier, for balancers, scaling and deployment to target a bare cluster: a construct
 * `<cluster path>/<id>` (a tier is a construct; a plain `{ cluster, connections }` is not).
 */
export function tierOf(cluster: ServerCluster, id = 'Tier'): IServerTier {
  return new ClusterTier(cluster, id);
}
