import { Testing } from 'cdktf';
import {
  AppTier, BackupSchedule, ExternalNetwork, Flavor, HealthCheck, HostingStack, LvsBalancer, MysqlReplication, Peer, Port, PrivateVSwitch, Router, ServerCluster, VeeamBackup, WebTier,
} from '../../lib';
import { Construct } from 'constructs';
import { architectureOf, FlowPurpose, RedundancyKind, TierRole } from '../../lib/architecture/architecture-model';
import { IArchitectureIntent } from '../../lib/core/architecture-intent';

/** The README's shop: an LVS pair, a web and an application tier, a replicated database, a backup runner. */
function shop(webCount = 2) {
  const stack = new HostingStack(Testing.app(), 'shop');
  const router = new Router(stack, 'Router', { externalNetwork: ExternalNetwork.ovh() });
  const front = new PrivateVSwitch(stack, 'Front', { cidr: '10.0.1.0/24', router });
  const back = new PrivateVSwitch(stack, 'Back', { cidr: '10.0.2.0/24', router });
  const db = new MysqlReplication(stack, 'Db', { vswitch: back, flavor: Flavor.named('c3-8'), databaseName: 'shop' });
  const app = new AppTier(stack, 'App', { vswitch: back, count: 2, flavor: Flavor.named('b3-8'), database: db });
  const web = new WebTier(stack, 'Web', { vswitch: front, count: webCount, maxCount: 10, flavor: Flavor.named('c3-4'), upstream: app });
  const lb = new LvsBalancer(stack, 'Lb', { vswitch: front, adminCidr: '198.51.100.0/24' });
  lb.addTarget(web, { port: 80, healthCheck: HealthCheck.http({ path: web.healthCheckPath }) });
  const backup = new VeeamBackup(stack, 'Backup', { vswitch: back, region: 'GRA11' });
  backup.addPolicy('database', { servers: [db], schedule: BackupSchedule.daily('02:30', 'Europe/Paris'), rotation: 7 });
  for (const address of lb.nodes.addresses) web.connections.allowFrom(Peer.ipv4(`${address}/32`), Port.tcp(22), 'SSH from a jump host');
  return { stack, lb, web, app, db };
}

describe('architectureOf', () => {
  test('given the shop, then each construct owning servers is a tier, in its zone, with its kind and counts', () => {
    const m = architectureOf(shop().stack);
    expect(m.tiers.map((t) => [t.id, t.kind, t.zone, t.count, t.maxCount, t.flavors])).toEqual([
      ['Db', 'MysqlReplication', 'Back', 2, 2, ['c3-8']],
      ['App', 'AppTier', 'Back', 2, 2, ['b3-8']],
      ['Web', 'WebTier', 'Front', 2, 10, ['c3-4']],
      ['Lb', 'LvsBalancer', 'Front', 2, 2, ['c3-4']],
      ['Backup', 'VeeamBackup', 'Back', 1, 1, ['c3-4']],
    ]);
    expect(m.zones).toEqual([{ id: 'Front', cidr: '10.0.1.0/24' }, { id: 'Back', cidr: '10.0.2.0/24' }]);
  });

  test('given the shop, then redundancy follows the kind: a VIP pair, a pool, a single writer', () => {
    const m = architectureOf(shop().stack);
    const r = Object.fromEntries(m.tiers.map((t) => [t.id, [t.redundancy.kind, t.redundancy.members, t.redundancy.required]]));
    expect(r).toEqual({
      Db: [RedundancyKind.SINGLE_WRITER, 2, 1],
      App: [RedundancyKind.ANY_OF, 2, 1],
      Web: [RedundancyKind.ANY_OF, 2, 1],
      Lb: [RedundancyKind.VIP_PAIR, 2, 1],
      Backup: [RedundancyKind.ANY_OF, 1, 1],
    });
    expect(m.tiers.find((t) => t.id === 'Backup')!.role).toBe(TierRole.OPERATIONS);
  });

  test('given LVS direct routing, then the users\' flow runs internet -> Lb -> Web -> App -> Db, not internet -> Web', () => {
    const m = architectureOf(shop().stack);
    const service = m.flows.filter((f) => f.purpose === FlowPurpose.SERVICE).map((f) => `${f.from}>${f.to}:${f.ports.join(',')}`);
    expect(service).toEqual(expect.arrayContaining(['internet>Lb:tcp 80', 'Lb>Web:tcp 80', 'Web>App:tcp 8080', 'App>Db:tcp 3306']));
    expect(service.filter((s) => s.startsWith('internet>Web'))).toEqual([]);
    expect(m.tiers.filter((t) => t.entry).map((t) => t.id)).toEqual(['Lb']);
  });

  test('given SSH from the directors and backups, then those are administration and operations flows, and the runner is not user-facing', () => {
    const m = architectureOf(shop().stack);
    expect(m.flows).toContainEqual({ from: 'Lb', to: 'Web', ports: ['tcp 22'], purpose: FlowPurpose.ADMINISTRATION });
    expect(m.flows.filter((f) => f.from === 'Backup').every((f) => f.purpose === FlowPurpose.OPERATIONS)).toBe(true);
    expect(m.userFacing).toEqual(['Db', 'App', 'Web', 'Lb']);
  });

  test('given replication and VRRP, then they are flows inside their tier, not edges', () => {
    const m = architectureOf(shop().stack);
    expect(m.internalPorts).toEqual({ Db: ['tcp 3306'], Lb: ['vrrp'] });
    expect(m.flows.some((f) => f.from === f.to)).toBe(false);
  });

  test('given more web servers, then the tier counts them and the flows do not change', () => {
    const two = architectureOf(shop(2).stack);
    const four = architectureOf(shop(4).stack);
    expect(four.tiers.find((t) => t.id === 'Web')!.count).toBe(4);
    expect(four.flows).toEqual(two.flows);
  });

  test('given a reported availability above 100 % or without a source, then the stack refuses it, naming the prop and what is allowed', () => {
    expect(() => new HostingStack(Testing.app(), 'shop', { reportedAvailability: { percent: 120, source: 'ours' } }))
      .toThrow(/shop: 'reportedAvailability.percent' \(120\) must be a percentage above 0 and at most 100/);
    expect(() => new HostingStack(Testing.app(), 'shop', { reportedAvailability: { percent: 99.5, source: ' ' } }))
      .toThrow(/shop: 'reportedAvailability.source' \(' '\) must say where the figure comes from/);
  });
});

describe('a construct of your own', () => {
  test('given a construct declaring itself an operations tier, then its flows to others are operations and it is not user-facing', () => {
    const { stack, app } = shop();
    class Reporter extends Construct implements IArchitectureIntent {
      public readonly architectureIntent = { role: TierRole.OPERATIONS };
      public readonly cluster: ServerCluster;
      constructor(scope: Construct, id: string) {
        super(scope, id);
        this.cluster = new ServerCluster(this, 'Server', { vswitch: app.cluster.vswitch, count: 1, flavor: Flavor.named('c3-4') });
      }
    }
    const reporter = new Reporter(stack, 'Reporter');
    app.connections.allowFrom(reporter.cluster, Port.tcp(9100), 'reports');
    const m = architectureOf(stack);
    expect(m.tiers.find((t) => t.id === 'Reporter')).toMatchObject({ kind: 'Reporter', role: TierRole.OPERATIONS, redundancy: { kind: RedundancyKind.ANY_OF, members: 1 } });
    expect(m.flows).toContainEqual({ from: 'Reporter', to: 'App', ports: ['tcp 9100'], purpose: FlowPurpose.OPERATIONS });
    expect(m.userFacing).not.toContain('Reporter');
  });
});
