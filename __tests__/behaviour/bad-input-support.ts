/**
 * What the bad-input table's rows share: the row type, where the error is raised, and small stacks a
 * row builds its one bad input into. The rows are in `bad-input.test.ts` and `bad-input-rows/`.
 */
import { ExternalNetwork, Flavor, HostingApp, HostingStack, IServerTier, LvsBalancer, MysqlReplication, PrivateVSwitch, Router, ServerCluster, VeeamBackup } from '../../lib';
import { tierOf } from '../support/synth';

/** Where a row's error is raised. */
export enum Phase {
  /** While the stack is built: a constructor or an addXxx() call throws a HostingStacksError. */
  BUILD = 'build',
  /** At `app.synth()`: a validation (`node.addValidation`) fails and the app writes nothing. */
  SYNTH = 'synth',
}

/** One kind of bad input. */
export interface BadInputRow {
  /** The kind, unique in the table. */
  readonly kind: string;
  /** Builds stacks in `app` with exactly this one bad input. */
  readonly build: (app: HostingApp) => void;
  /** The expected message: construct path, prop, value and what is allowed. */
  readonly error: RegExp;
  /** Where the error is raised. */
  readonly phase: Phase;
}

/** A small stack: a router with a gateway and one /24 vSwitch `Net` (planned .2-.127, DHCP .128-.254). */
export function shop(app: HostingApp) {
  const stack = new HostingStack(app, 'shop');
  const router = new Router(stack, 'Router', { externalNetwork: ExternalNetwork.ovh() });
  const net = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24', router });
  return { stack, router, net };
}

/** A tier of `count` plain servers on `net`, usable as a balancer target. */
export function tier(scope: HostingStack, net: PrivateVSwitch, id = 'Web', count = 2): IServerTier {
  const cluster = new ServerCluster(scope, id, { vswitch: net, count, flavor: Flavor.named('b3-8') });
  return tierOf(cluster);
}

/** An LVS pair on `net` with an admin network of its own. */
export function lvs(stack: HostingStack, net: PrivateVSwitch, id = 'Lb', props: { virtualRouterId?: number; vipAddress?: string } = {}): LvsBalancer {
  return new LvsBalancer(stack, id, { vswitch: net, adminCidr: '198.51.100.0/24', ...props });
}

/** A database on `net` (stateful), backed up by a policy `database`. */
export function backedUpDatabase(stack: HostingStack, net: PrivateVSwitch) {
  const db = new MysqlReplication(stack, 'Db', { vswitch: net, flavor: Flavor.named('b3-8'), databaseName: 'shop' });
  const backup = new VeeamBackup(stack, 'Backup', { vswitch: net, region: 'GRA11' });
  return { db, backup };
}
