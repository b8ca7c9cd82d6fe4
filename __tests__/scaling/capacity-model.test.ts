import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { Connections } from '../../lib/core/connections';
import { Flavor } from '../../lib/compute/flavor';
import { IServerTier, ServerCluster, TierWorkers } from '../../lib/compute/server-cluster';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { CapacityModel, DEFAULT_BOOT_MINUTES, DEFAULT_HEADROOM, DEFAULT_REQUESTS_PER_USER_PER_SECOND, instancesFor } from '../../lib/scaling/capacity-model';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { MonsieurDeguisementStack } from '../../stacks/monsieur-deguisement';
import { scalableStack } from './scaling-fixtures';

describe('CapacityModel', () => {
  test('given a Magento front-end on a b3-8, then usersPerInstance is its PHP-FPM children x 10 users each', () => {
    const md = new MonsieurDeguisementStack(Testing.app(), 'md');
    // b3-8: (8,192 MB - 768 reserved - 256 OPcache) / 128 MB per child = 56 children; a page every 10 s
    // holding a child 1 s: 10 users per child.
    expect(md.frontends.phpMaxChildren).toBe(56);
    const model = CapacityModel.forTier(md.frontends);
    expect(model.usersPerInstance).toBe(560);
    expect(model.usersPerInstanceSource).toBe('56 PHP-FPM children x 10 users each (a request every 10 s holding a worker 1 s)');
    expect(model.plan).toEqual({ usersPerInstance: 560, headroom: DEFAULT_HEADROOM, bootMinutes: DEFAULT_BOOT_MINUTES, requestsPerUserPerSecond: DEFAULT_REQUESTS_PER_USER_PER_SECOND });
  });

  test('the web tier is derived from its Apache workers, the app tier from its Tomcat threads', () => {
    const { web, appTier } = scalableStack();
    const webModel = CapacityModel.forTier(web, { requestSeconds: 2 });
    expect(webModel.usersPerInstance).toBe(Math.floor(web.mpm.maxRequestWorkers * 5));
    expect(webModel.usersPerInstanceSource).toMatch(/Apache workers x 5 users each/);
    // 200 threads, a request every 5 s holding a thread 1 s: 5 users per thread.
    expect(CapacityModel.forTier(appTier, { requestsPerUserPerSecond: 0.2 }).usersPerInstance).toBe(1000);
  });

  test('a given usersPerInstance wins over the derivation', () => {
    const { appTier } = scalableStack();
    const model = CapacityModel.forTier(appTier, { usersPerInstance: 500, headroom: 0.25, bootMinutes: 6 });
    expect(model.usersPerInstance).toBe(500);
    expect(model.usersPerInstanceSource).toBe('given');
    expect(model.plan).toEqual({ usersPerInstance: 500, headroom: 0.25, bootMinutes: 6, requestsPerUserPerSecond: 0.1 });
  });

  test('instancesFor is ceil(users x (1 + headroom) / usersPerInstance), ignoring float dust', () => {
    const { appTier } = scalableStack();
    const model = CapacityModel.forTier(appTier, { usersPerInstance: 500 });
    expect(model.instancesFor(4000)).toBe(10); // 4,000 x 1.2 / 500 = 9.6
    expect(model.instancesFor(2500)).toBe(6); // 2,500 x 1.2 / 500 = 6.000000000000001 in floating point
    expect(model.instancesFor(2501)).toBe(7);
    expect(instancesFor({ usersPerInstance: 100, headroom: 0, bootMinutes: 0, requestsPerUserPerSecond: 1 }, 100)).toBe(1);
  });

  test('given a site carrying half of the demand, then each instance counts for twice its users of the whole', () => {
    const { appTier } = scalableStack();
    const model = CapacityModel.forTier(appTier, { usersPerInstance: 400, demandShare: 0.5 });
    expect(model.usersPerInstance).toBe(400);
    expect(model.plan.usersPerInstance).toBe(800);
    expect(model.instancesFor(3000)).toBe(5); // 3,000 x 0.5 x 1.2 / 400 = 4.5
    expect(() => CapacityModel.forTier(appTier, { demandShare: 0 })).toThrow("shop/App: 'capacity.demandShare' (0) must be a fraction over 0 up to 1");
    expect(() => CapacityModel.forTier(appTier, { demandShare: 1.5 })).toThrow(/'capacity.demandShare' \(1.5\)/);
  });

  test('figures out of range are errors naming the tier', () => {
    const { appTier } = scalableStack();
    expect(() => CapacityModel.forTier(appTier, { headroom: 1.5 })).toThrow("shop/App: 'capacity.headroom' (1.5) must be a fraction from 0 to 1");
    expect(() => CapacityModel.forTier(appTier, { headroom: -0.1 })).toThrow(/'capacity.headroom' \(-0.1\)/);
    expect(() => CapacityModel.forTier(appTier, { bootMinutes: 2.5 })).toThrow("shop/App: 'capacity.bootMinutes' (2.5) must be an integer from 0 to 240");
    expect(() => CapacityModel.forTier(appTier, { requestsPerUserPerSecond: 0 })).toThrow("shop/App: 'capacity.requestsPerUserPerSecond' (0) must be a number greater than 0");
    expect(() => CapacityModel.forTier(appTier, { requestSeconds: -1 })).toThrow(/'capacity.requestSeconds' \(-1\)/);
    expect(() => CapacityModel.forTier(appTier, { usersPerInstance: 0 })).toThrow("shop/App: 'capacity.usersPerInstance' (0) must be an integer of at least 1");
    expect(() => CapacityModel.forTier(appTier, { requestsPerUserPerSecond: 10, requestSeconds: 100 })).toThrow(/derived as 200 Tomcat threads .* is below 1; give it/);
  });

  test('a tier of another kind must give usersPerInstance', () => {
    const stack = new HostingStack(Testing.app(), 'shop');
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    const tier = new WorkersTier(stack, 'Workers', vswitch);
    expect(() => CapacityModel.forTier(tier)).toThrow("shop/Workers: 'capacity.usersPerInstance' (undefined) must be given: it is derived only for a tier that declares its workers per server (MagentoFrontends, WebTier, AppTier)");
    expect(CapacityModel.forTier(tier, { usersPerInstance: 300 }).usersPerInstance).toBe(300);
  });

  test('a tier of its own that declares its workers gets its capacity derived, as the library\'s tiers do', () => {
    const stack = new HostingStack(Testing.app(), 'shop');
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    const tier = new WorkersTier(stack, 'Workers', vswitch, { perServer: 64, what: 'gunicorn workers' });
    const model = CapacityModel.forTier(tier, { requestsPerUserPerSecond: 0.1, requestSeconds: 0.5 });
    // 64 workers x 1 / (0.1 x 0.5) = 1,280 users.
    expect(model.usersPerInstance).toBe(1280);
    expect(model.usersPerInstanceSource).toMatch(/^64 gunicorn workers x 20 users each/);
  });
});

/** A tier of the user's own (not one of the library's): scalable c3-4 servers, with or without declared workers. */
class WorkersTier extends Construct implements IServerTier {
  public readonly cluster: ServerCluster;
  public readonly connections: Connections;

  constructor(scope: Construct, id: string, vswitch: PrivateVSwitch, public readonly workers?: TierWorkers) {
    super(scope, id);
    this.cluster = new ServerCluster(this, 'Servers', { vswitch, count: 1, maxCount: 3, flavor: Flavor.named('c3-4') });
    this.connections = this.cluster.connections;
  }
}
