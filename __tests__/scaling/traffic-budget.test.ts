import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostingApp, HostingStack, PrivateVSwitch } from '../../lib';
import { MAX_PEAK_TO_AVERAGE, TrafficBudget, TrafficEnd, TrafficShare } from '../../lib/scaling/traffic-budget';
import { fakeTier, testStack } from '../support/synth';

/** 1 Mbit/s at the peak for a day's volume with a peak factor of 1: 10^6 / 8 x 86,400 bytes. */
const ONE_MBPS_DAY = (1e6 / 8) * 86_400;

function fixture(perServerMbps = 200) {
  const stack = testStack();
  const net = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  const web = fakeTier(stack, 'Web', net, 4);
  const db = fakeTier(stack, 'Db', net, 3);
  const budget = new TrafficBudget(stack, 'Traffic', { perServerMbps });
  return { stack, net, web, db, budget };
}

function validate(budget: TrafficBudget): string[] {
  return budget.node.validate();
}

/** A HostingApp writing into a scratch folder, stack 'shop' with two web servers and a budget of `perServerMbps`; removed after `use`. */
function inApp(perServerMbps: number, use: (s: { app: HostingApp; web: ReturnType<typeof fakeTier>; budget: TrafficBudget; outdir: string }) => void): void {
  const outdir = mkdtempSync(join(tmpdir(), 'hs-traffic-'));
  try {
    const app = new HostingApp({ outdir });
    const stack = new HostingStack(app, 'shop');
    const net = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    use({ app, web: fakeTier(stack, 'Web', net, 2), budget: new TrafficBudget(stack, 'Traffic', { perServerMbps }), outdir });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('TrafficBudget: peak rates', () => {
  test('given a daily volume and a peak factor, then the peak is bytes x 8 / 86,400 x factor in Mbit/s', () => {
    const { web, budget } = fixture();
    const flow = budget.addFlow({ description: 'API answers', from: TrafficEnd.tier(web), to: TrafficEnd.outside('internet'), bytesPerDay: 3 * ONE_MBPS_DAY, peakToAverage: 4 });
    expect(flow.peakMbps).toBeCloseTo(12, 9);
  });

  test('given a spread end, then each server carries its share; one: the first carries all; each: every server carries all', () => {
    const { web, db, budget } = fixture();
    budget.addFlow({ description: 'requests', from: TrafficEnd.outside('internet'), to: TrafficEnd.tier(web), bytesPerDay: 40 * ONE_MBPS_DAY, peakToAverage: 1 });
    budget.addFlow({ description: 'writes', from: TrafficEnd.tier(web), to: TrafficEnd.tier(db, TrafficShare.ONE), bytesPerDay: 8 * ONE_MBPS_DAY, peakToAverage: 1 });
    const [primary, ...replicas] = db.cluster.instances;
    budget.addFlow({ description: 'replication', from: TrafficEnd.servers('primary', [primary], TrafficShare.ONE), to: TrafficEnd.servers('replicas', replicas, TrafficShare.EACH), bytesPerDay: 8 * ONE_MBPS_DAY, peakToAverage: 1 });
    const byHost = new Map(budget.servers.map((t) => [t.server.hostname, t]));
    for (const w of web.cluster.instances) {
      expect(byHost.get(w.hostname)!.inMbps).toBeCloseTo(10, 9);
      expect(byHost.get(w.hostname)!.outMbps).toBeCloseTo(2, 9);
    }
    expect(byHost.get(primary.hostname)!.inMbps).toBeCloseTo(8, 9);
    // The primary sends the stream to each replica.
    expect(byHost.get(primary.hostname)!.outMbps).toBeCloseTo(8, 9);
    for (const r of replicas) expect(byHost.get(r.hostname)!.inMbps).toBeCloseTo(8, 9);
    expect(budget.servers[0].server.hostname).toBe('web-1');
  });
});

describe('TrafficBudget: the limit', () => {
  test('given every server within the limit, then it validates', () => {
    const { web, budget } = fixture(200);
    budget.addFlow({ description: 'API answers', from: TrafficEnd.tier(web), to: TrafficEnd.outside('apps'), bytesPerDay: 4 * 199 * ONE_MBPS_DAY, peakToAverage: 1 });
    expect(validate(budget)).toEqual([]);
  });

  test('given a server over the limit, then validation names the budget, the server, the direction, the flows and the limit', () => {
    const { web, db, budget } = fixture(200);
    budget.addFlow({ description: 'imports', from: TrafficEnd.outside('retailers'), to: TrafficEnd.tier(db, TrafficShare.ONE), bytesPerDay: 150 * ONE_MBPS_DAY, peakToAverage: 1 });
    budget.addFlow({ description: 'writes', from: TrafficEnd.tier(web), to: TrafficEnd.tier(db, TrafficShare.ONE), bytesPerDay: 60 * ONE_MBPS_DAY, peakToAverage: 1 });
    expect(validate(budget)).toEqual([
      "test/Traffic: server 'db-1' needs 210.0 Mbit/s in at the peak (imports 150.0 + writes 60.0); each server may use at most 200 Mbit/s each way: add servers to its tier or spread the flow",
    ]);
  });

  test('given a budget over the limit in a HostingApp, then synth fails and writes nothing', () => {
    inApp(100, ({ app, web, budget, outdir }) => {
      budget.addFlow({ description: 'answers', from: TrafficEnd.tier(web), to: TrafficEnd.outside('internet'), bytesPerDay: 300 * ONE_MBPS_DAY, peakToAverage: 1 });
      expect(() => app.synth()).toThrow(/shop\/Traffic: server 'web-1' needs 150.0 Mbit\/s out at the peak/);
      expect(() => readFileSync(join(outdir, 'stacks', 'shop', 'cdk.tf.json'))).toThrow();
    });
  });

  test('given a HostingStack, when synthesized, then the per-server table is written next to the Terraform', () => {
    inApp(200, ({ app, web, budget, outdir }) => {
      budget.addFlow({ description: 'answers | pages', from: TrafficEnd.tier(web), to: TrafficEnd.outside('internet'), bytesPerDay: 100 * ONE_MBPS_DAY, peakToAverage: 2 });
      app.synth();
      const report = readFileSync(join(outdir, 'stacks', 'shop', 'traffic', 'Traffic.md'), 'utf8');
      expect(report).toContain('Each server may use 200 Mbit/s each way.');
      expect(report).toContain('| web-1 | 0.0 | 100.0 | 50 % |');
      // A '|' of a description stays in its cell.
      expect(report).toContain('| answers \\| pages | shop/Web/Tier (spread) | internet (spread) | 1.08 TB | 2 | 200.0 |');
    });
  });
});

describe('TrafficBudget: bad input', () => {
  test.each([[0], [-5], [Number.NaN]])('given perServerMbps %p, then the constructor throws naming the prop', (mbps) => {
    expect(() => fixture(mbps)).toThrow(/test\/Traffic: 'perServerMbps' \(.*\) must be a number greater than 0/);
  });

  test.each([
    [{ bytesPerDay: -1 }, /'flow.bytesPerDay' \(-1\) must be a finite number of bytes, 0 or more/],
    [{ peakToAverage: 0.5 }, new RegExp(`'flow.peakToAverage' \\(0.5\\) must be from 1 \\(an even flow\\) to ${MAX_PEAK_TO_AVERAGE}`)],
    [{ peakToAverage: MAX_PEAK_TO_AVERAGE + 1 }, /'flow.peakToAverage' \(1441\) must be from 1/],
    [{ description: '' }, /'flow.description'/],
    [{ from: 'internet' }, /'flow.from' \('internet'\) must be a TrafficEnd/],
    [{ to: TrafficEnd.outside('apps') }, /'flow' \('x'\) runs from 'internet' to 'apps', both outside the stack/],
    [{ to: TrafficEnd.servers('x', [], 'sideways' as TrafficShare) }, /'flow.to.share' \('sideways'\) must be one of spread, one, each/],
  ])('given a flow with %p, then addFlow throws naming the budget and the prop', (bad, message) => {
    const { web, budget } = fixture();
    const good = { description: 'x', from: TrafficEnd.outside('internet'), to: TrafficEnd.tier(web), bytesPerDay: 1, peakToAverage: 1 };
    expect(() => budget.addFlow({ ...good, ...bad } as never)).toThrow(message);
    expect(() => budget.addFlow({ ...good, ...bad } as never)).toThrow(/test\/Traffic/);
  });

  test('given a tier of another stack, then addFlow throws naming the prop', () => {
    const { budget } = fixture();
    const other = testStack('other');
    const tier = fakeTier(other, 'Web', new PrivateVSwitch(other, 'Net', { cidr: '10.0.1.0/24' }), 1);
    expect(() => budget.addFlow({ description: 'x', from: TrafficEnd.tier(tier), to: TrafficEnd.outside('internet'), bytesPerDay: 1, peakToAverage: 1 })).toThrow(/test\/Traffic: 'flow.from'/);
  });
});
