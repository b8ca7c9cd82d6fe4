/**
 * The monthly cost of a stack from the dated price table: each figure below is worked out by hand
 * from data/ovh-flavors.json (b3-8 0.0512 EUR/h, c3-4 0.0457 EUR/h, classic 0.04 and high-speed
 * 0.09 EUR/GB-month, classic 0.000059 EUR/GB-h, floating IP 1.80, Octavia S 6.00, Gateway S 2.00
 * EUR/month, Swift 0.011 EUR/GB-month, gen3 public IPv4 0.0027 EUR/h, local NVMe 0.0001458 EUR/GB-h).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerraformVariable, Testing } from 'cdktf';
import { ComputeFlavorV2 } from '../../.gen/providers/openstack/compute-flavor-v2';
import { LbLoadbalancerV2 } from '../../.gen/providers/openstack/lb-loadbalancer-v2';
import { NetworkingFloatingipV2 } from '../../.gen/providers/openstack/networking-floatingip-v2';
import { NetworkingRouterV2 } from '../../.gen/providers/openstack/networking-router-v2';
import { ObjectstorageContainerV1 } from '../../.gen/providers/openstack/objectstorage-container-v1';
import { AppTier } from '../../lib/app/app-tier';
import { Flavor } from '../../lib/compute/flavor';
import { ServerCluster, ServerClusterProps } from '../../lib/compute/server-cluster';
import { CostCategory, stackCostOf } from '../../lib/cost/stack-cost';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { CampaignCalendar } from '../../lib/scaling/campaign-calendar';
import { CapacityModel } from '../../lib/scaling/capacity-model';
import { ScalingRules } from '../../lib/scaling/scaling-rules';
import { HostingApp, HostingStack, HostingStackProps } from '../../lib/stack/hosting-stack';

function shop(props: HostingStackProps = {}) {
  const stack = new HostingStack(Testing.app(), 'shop', props);
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  return { stack, vswitch };
}

function cluster(props: Partial<ServerClusterProps> = {}) {
  const s = shop();
  const web = new ServerCluster(s.stack, 'Web', { vswitch: s.vswitch, count: 2, flavor: Flavor.named('b3-8'), ...props });
  return { ...s, web };
}

describe('stackCostOf: a month at the baseline', () => {
  test('given 2 b3-8 servers with 50 GB boot volumes, then instances are 0.0512 x 730 each and volumes 0.04 per GB', () => {
    const { stack } = cluster({ bootVolumeGb: 50 });
    const cost = stackCostOf(stack);
    expect(cost.lines).toEqual([
      // 2 x 0.0512 x 730 = 74.752
      { category: CostCategory.INSTANCES, item: 'shop/Web', what: 'b3-8', quantity: 2, unit: 'instance', unitEurPerMonth: expect.closeTo(37.376, 9), monthlyEur: 74.75, basis: '0.0512/h x 730 h' },
      // 2 x 50 GB x 0.04 = 4.00
      { category: CostCategory.BLOCK_STORAGE, item: 'shop/Web', what: 'boot volumes, 50 GB each, classic', quantity: 100, unit: 'GB', unitEurPerMonth: 0.04, monthlyEur: 4, basis: '0.04/month/GB' },
    ]);
    expect(cost.monthlyEur).toBe(78.75);
    expect([cost.currency, cost.vat, cost.pricesAsOf, cost.hoursPerMonth]).toEqual(['EUR', 'excluded', '2026-08-14', 730]);
    expect(cost.notPriced).toEqual([]);
    expect(cost.campaigns).toEqual([]);
  });

  test('given high-speed boot volumes, then they cost 0.09 per GB-month', () => {
    const { stack } = cluster({ count: 1, flavor: Flavor.named('c3-4'), bootVolumeGb: 20, volumeType: 'high-speed' });
    const cost = stackCostOf(stack);
    // 0.0457 x 730 = 33.361; 20 x 0.09 = 1.80
    expect(cost.lines.map((l) => [l.what, l.monthlyEur])).toEqual([['c3-4', 33.36], ['boot volumes, 20 GB each, high-speed', 1.8]]);
    expect(cost.monthlyEur).toBe(35.16);
  });

  test('given a volume type the table does not price, then the boot volumes are listed as not priced, the servers still priced', () => {
    const { stack } = cluster({ count: 1, volumeType: 'ultra-fast' });
    const cost = stackCostOf(stack);
    expect(cost.lines.map((l) => l.what)).toEqual(['b3-8']);
    expect(cost.notPriced).toEqual([{ category: CostCategory.BLOCK_STORAGE, item: 'shop/Web', what: "1 boot volume(s) of 50 GB, type 'ultra-fast'", reason: "volume type 'ultra-fast' has no price in the table (priced: classic, high-speed, high-speed-gen2)" }]);
  });

  test('given a custom flavor, then its servers are listed as not priced with the reason and left out of the total', () => {
    const { stack } = cluster({ count: 1, flavor: Flavor.custom({ name: 'm1.large', vcpus: 4, ramGb: 8, diskGb: 40 }) });
    const cost = stackCostOf(stack);
    expect(cost.notPriced).toEqual([expect.objectContaining({ category: CostCategory.INSTANCES, item: 'shop/Web', what: '1 x m1.large', reason: expect.stringMatching(/flavor 'm1.large' has no price in the OVHcloud catalog of 2026-08-14/) })]);
    // only the 40 GB boot volume: 40 x 0.04
    expect(cost.monthlyEur).toBe(1.6);
  });

  test('given a floating IP, a router with an external gateway and a load balancer without a flavor, then 1.80 + 2.00 (Gateway S) + 6.00 (Octavia S)', () => {
    const { stack } = shop();
    new NetworkingFloatingipV2(stack, 'Ip', { pool: 'Ext-Net' });
    new NetworkingRouterV2(stack, 'Router', { name: 'r', externalNetworkId: 'ext' });
    new LbLoadbalancerV2(stack, 'Lb', { vipSubnetId: 'subnet' });
    const cost = stackCostOf(stack);
    const lines = cost.lines.map((l) => [l.category, l.item, l.what, l.monthlyEur]);
    expect(lines).toHaveLength(3);
    expect(lines).toEqual(expect.arrayContaining([
      [CostCategory.FLOATING_IPS, 'shop/Ip', 'floating IP', 1.8],
      [CostCategory.GATEWAYS, 'shop/Router', 'Gateway S', 2],
      [CostCategory.LOAD_BALANCERS, 'shop/Lb', 'Octavia S (small)', 6],
    ]));
    expect(cost.monthlyEur).toBe(9.8);
    expect(cost.assumptions).toEqual(expect.arrayContaining([expect.stringMatching(/without a flavor id is OVHcloud's default size, S \(small\)/), expect.stringMatching(/Gateway of size S/)]));
  });

  test('given a load balancer with a flavor id and a router without an external gateway, then the balancer is listed as not priced with the reason and the router costs nothing, as the assumptions say', () => {
    const { stack } = shop();
    new LbLoadbalancerV2(stack, 'Lb', { vipSubnetId: 'subnet', flavorId: '3b2f7a3c-0000-4000-8000-000000000001' });
    new NetworkingRouterV2(stack, 'Router', { name: 'r' });
    const cost = stackCostOf(stack);
    expect(cost.lines).toEqual([]);
    expect(cost.notPriced.map((n) => [n.item, n.reason])).toEqual([['shop/Lb', expect.stringMatching(/prices Octavia by size name/)]]);
    // The vSwitch's own router and this one: no external gateway, no Gateway.
    expect(cost.assumptions).toEqual(expect.arrayContaining([expect.stringMatching(/a router without one \(2 here\) is no Gateway and costs nothing/)]));
  });

  test('given a container and no size, then it is listed as not priced, never as 0', () => {
    const { stack } = shop();
    new ObjectstorageContainerV1(stack, 'Uploads', { name: 'uploads' });
    const cost = stackCostOf(stack);
    expect(cost.lines).toEqual([]);
    expect(cost.notPriced).toEqual([{ category: CostCategory.OBJECT_STORAGE, item: 'shop/Uploads', what: 'object-storage container', reason: "Terraform gives a container no size; give it in the stack's cost.objectStorageGb ('shop/Uploads')" }]);
  });

  test('given a container with a size in the cost prop, then it is priced at the Swift price: 250 GB x 0.011', () => {
    const { stack } = shop({ cost: { objectStorageGb: { 'shop/Uploads': 250 } } });
    new ObjectstorageContainerV1(stack, 'Uploads', { name: 'uploads' });
    expect(stack.cost.lines.map((l) => [l.what, l.quantity, l.monthlyEur])).toEqual([['container, 250 GB (given), swift-legacy', 250, 2.75]]);
  });

  test('given a resource with a count of 2, then it is priced twice', () => {
    const { stack } = shop();
    new NetworkingFloatingipV2(stack, 'Ip', { pool: 'Ext-Net', count: 2 });
    expect(stackCostOf(stack).lines.map((l) => [l.quantity, l.monthlyEur])).toEqual([[2, 3.6]]);
  });

  test('given a resource whose count an expression decides, then it is listed as not priced, decided at plan time', () => {
    const { stack } = shop();
    const wanted = new TerraformVariable(stack, 'wanted', { type: 'number', default: 1 });
    new NetworkingFloatingipV2(stack, 'Ip', { pool: 'Ext-Net', count: wanted.numberValue });
    const cost = stackCostOf(stack);
    expect(cost.lines).toEqual([]);
    expect(cost.notPriced).toEqual([{ category: CostCategory.FLOATING_IPS, item: 'shop/Ip', what: 'openstack_networking_floatingip_v2', reason: "its count ('${var.wanted}') is decided at plan time" }]);
  });

  test('given a resource type the table has no price for, then it is listed as not priced', () => {
    const { stack } = shop();
    new ComputeFlavorV2(stack, 'Flavor', { name: 'm1', ram: 1024, vcpus: 1, disk: 10 });
    const cost = stackCostOf(stack);
    expect(cost.lines).toEqual([]);
    expect(cost.notPriced).toEqual([{ category: CostCategory.OTHER, item: 'shop/Flavor', what: 'openstack_compute_flavor_v2', reason: 'the price table (2026-08-14) has no price for it' }]);
  });
});

describe('stackCostOf: the gen3 surcharges from 2026-10-01', () => {
  test('given gen3 servers on private ports booting from volumes, then no surcharge is added and the assumption says why', () => {
    const { stack } = cluster({ count: 1 });
    const cost = stackCostOf(stack);
    expect(cost.lines.map((l) => l.what)).toEqual(['b3-8', 'boot volumes, 50 GB each, classic']);
    // b3-8's 50 GB local disk: 50 x 0.0001458 x 730 = 5.3217
    expect(cost.assumptions).toEqual(expect.arrayContaining([expect.stringMatching(/a public IPv4 in 0 of 1 gen3 cluster\(s\).*the local disk in 0 .*add 5\.32 EUR a month/)]));
  });

  test('given gen3 servers with a network that is not a port, booting from the flavor\'s local disk, then the public IPv4 and local NVMe are priced', () => {
    const { stack, web } = cluster({ count: 2 });
    for (const h of web.instances) {
      h.resource.addOverride('network', [{ name: 'Ext-Net' }]);
      h.resource.addOverride('block_device.0.source_type', 'image');
      h.resource.addOverride('block_device.0.destination_type', 'local');
    }
    const cost = stackCostOf(stack);
    expect(cost.lines.filter((l) => l.what.startsWith('gen3')).map((l) => [l.what, l.quantity, l.monthlyEur])).toEqual([
      // 2 x 0.0027 x 730 = 3.942
      ['gen3 public IPv4 (from 2026-10-01)', 2, 3.94],
      // 2 x 50 GB x 0.0001458 x 730 = 10.6434
      ['gen3 local NVMe, 50 GB each (from 2026-10-01)', 100, 10.64],
    ]);
  });
});

describe('stackCostOf: campaigns', () => {
  function scaled() {
    const { stack, vswitch } = shop();
    const app = new AppTier(stack, 'App', { vswitch, flavor: Flavor.named('b3-8'), count: 2, minCount: 2, maxCount: 10 });
    // 60 min before each start: 50 min pre-warm + 10 min boot
    const calendar = new CampaignCalendar(stack, 'Campaigns', { timeZone: 'UTC', preWarmMinutes: 50 });
    new ScalingRules(stack, 'AppScaling', { tier: app, capacity: CapacityModel.forTier(app, { usersPerInstance: 500, headroom: 0.2, bootMinutes: 10 }), calendar });
    return { stack, calendar };
  }

  test('given a campaign of 3,000 users on a 2-instance b3-8 tier, then 6 extra instances for 49 h cost 15.92 over the baseline', () => {
    const { stack, calendar } = scaled();
    calendar.addCampaign('black-friday', { start: '2027-11-22T00:00', end: '2027-11-24T00:00', peak: { concurrentUsers: 3000 } });
    const cost = stackCostOf(stack);
    // 3,000 x 1.2 / 500 = 7.2 -> 8 instances; from 2027-11-21T23:00 to 2027-11-24T00:00 = 49 h;
    // an instance-hour: 0.0512 + 50 GB x 0.000059 = 0.05415; 6 x 49 x 0.05415 = 15.9201
    expect(cost.campaignTiers).toEqual([{
      campaign: 'black-friday', tier: 'shop/App', flavor: 'b3-8', baselineCount: 2, count: 8, extraInstances: 6,
      scaleOutAt: '2027-11-21T23:00:00.000Z', scaleInAt: '2027-11-24T00:00:00.000Z', hours: 49,
      eurPerInstanceHour: expect.closeTo(0.05415, 9), extraEur: 15.92,
    }]);
    // baseline: 2 x 0.0512 x 730 = 74.752 -> 74.75; 2 x 50 GB x 0.04 = 4.00
    expect(cost.monthlyEur).toBe(78.75);
    expect(cost.campaigns).toEqual([{ campaign: 'black-friday', month: '2027-11', hours: 49, extraInstances: 6, extraEur: 15.92, monthTotalEur: 94.67 }]);
  });

  test('given two campaigns starting in one month, then the month total adds both to the baseline', () => {
    const { stack, calendar } = scaled();
    calendar.addCampaign('black-friday', { start: '2027-11-22T00:00', end: '2027-11-24T00:00', peak: { concurrentUsers: 3000 } });
    // 1,000 x 1.2 / 500 = 2.4 -> 3: 1 extra for 25 h = 1.35375
    calendar.addCampaign('cyber-monday', { start: '2027-11-29T00:00', end: '2027-11-30T00:00', peak: { concurrentUsers: 1000 } });
    const cost = stackCostOf(stack);
    expect(cost.campaigns.map((c) => [c.campaign, c.hours, c.extraEur, c.monthTotalEur])).toEqual([
      ['black-friday', 49, 15.92, 96.02],
      ['cyber-monday', 25, 1.35, 96.02],
    ]);
  });

  test('given a campaign that needs no more than the baseline, then it adds nothing', () => {
    const { stack, calendar } = scaled();
    calendar.addCampaign('quiet', { start: '2027-03-01T00:00', end: '2027-03-02T00:00', peak: { concurrentUsers: 100 } });
    expect(stackCostOf(stack).campaigns).toEqual([]);
  });
});

describe('stackCostOf: errors', () => {
  test('given a negative container size in the cost prop, then the stack refuses it', () => {
    expect(() => shop({ cost: { objectStorageGb: { 'shop/Uploads': -1 } } })).toThrow(/^shop: 'cost.objectStorageGb\['shop\/Uploads'\]' \(-1\) must be a number of GB of 0 or more$/);
  });

  test('given a size for a container the stack does not have, then the estimate names the containers it has', () => {
    const { stack } = shop({ cost: { objectStorageGb: { 'shop/Upload': 10 } } });
    new ObjectstorageContainerV1(stack, 'Uploads', { name: 'uploads' });
    expect(() => stack.cost).toThrow(/^shop: 'cost.objectStorageGb\['shop\/Upload'\]' \(10\) names no object-storage container of the stack; containers: shop\/Uploads$/);
  });

  test('given a size for a container the stack does not have, then synth fails with the same message and writes nothing', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'hs-cost-'));
    try {
      const app = new HostingApp({ outdir });
      new HostingStack(app, 'shop', { cost: { objectStorageGb: { 'shop/Nothing': 1 } } });
      expect(() => app.synth()).toThrow(/'cost\.md'\) has a producer that threw at synth \(shop: 'cost.objectStorageGb\['shop\/Nothing'\]' \(1\) names no object-storage container of the stack; containers: none\)/);
      expect(existsSync(join(outdir, 'stacks', 'shop'))).toBe(false);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
