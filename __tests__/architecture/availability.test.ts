import { ArchitectureModel, ArchitectureTier, RedundancyKind, TierRedundancy, TierRole } from '../../lib/architecture/architecture-model';
import { assessAvailability, atLeastKOfN, AvailabilityAssumptions, tierAvailability, toleratedLosses } from '../../lib/architecture/availability';

const A: AvailabilityAssumptions = { serverAvailability: 0.99, managedServiceAvailability: 0.999, failuresPerServerYear: 2, failoverSeconds: 3600 };
const YEAR = 365 * 24 * 3600;

const anyOf = (n: number): TierRedundancy => ({ kind: RedundancyKind.ANY_OF, members: n, required: 1, description: `${n} servers` });
function tier(id: string, redundancy: TierRedundancy, more: Partial<ArchitectureTier> = {}): ArchitectureTier {
  return { id, kind: 'X', role: TierRole.SERVICE, zone: 'Net', sites: [], count: redundancy.members, maxCount: redundancy.members, flavors: ['b3-8'], redundancy, entry: false, fallback: false, ...more };
}
function model(tiers: ArchitectureTier[], more: Partial<ArchitectureModel> = {}): ArchitectureModel {
  return { stack: 's', zones: [{ id: 'Net', cidr: '10.0.0.0/24' }], sites: [], siteFailover: false, tiers, externals: [], flows: [], internalPorts: {}, userFacing: tiers.map((t) => t.id), ...more };
}

describe('the availability model', () => {
  test('at least k of n: 2 of 3 members up at 0.9 each is 0.972', () => {
    expect(atLeastKOfN(2, 3, 0.9)).toBeCloseTo(3 * 0.81 * 0.1 + 0.729, 12);
    expect(atLeastKOfN(1, 1, 0.9)).toBeCloseTo(0.9, 12);
  });

  test('a pool of 2: both down, plus the failover seconds of each member\'s failures', () => {
    expect(tierAvailability(anyOf(2), A)).toBeCloseTo(1 - 0.01 ** 2 - (2 * 2 * 3600) / YEAR, 12);
  });

  test('one server, a single writer and a managed service: their own figure, no failover cost', () => {
    expect(tierAvailability(anyOf(1), A)).toBe(0.99);
    expect(tierAvailability({ kind: RedundancyKind.SINGLE_WRITER, members: 3, required: 1, description: '' }, A)).toBe(0.99);
    expect(tierAvailability({ kind: RedundancyKind.MANAGED, members: 1, required: 1, description: '' }, A)).toBe(0.999);
  });

  test('losses survived: a quorum of 3 survives one, a single writer none, a managed pair one', () => {
    expect(toleratedLosses({ kind: RedundancyKind.QUORUM, members: 3, required: 2, description: '' })).toBe(1);
    expect(toleratedLosses({ kind: RedundancyKind.SINGLE_WRITER, members: 2, required: 1, description: '' })).toBe(0);
    expect(toleratedLosses({ kind: RedundancyKind.MANAGED, members: 1, required: 1, description: '' })).toBe(1);
  });

  test('given tiers in series, then the stack is their product and the single server is the one SPOF, with its remedy\'s figure', () => {
    const r = assessAvailability(model([tier('web', anyOf(2)), tier('db', anyOf(1))]), A);
    const web = tierAvailability(anyOf(2), A);
    expect(r.availability).toBeCloseTo(web * 0.99, 12);
    expect(r.singlePointsOfFailure.map((s) => s.tier)).toEqual(['db']);
    expect(r.singlePointsOfFailure[0].availabilityWithRemedy).toBeCloseTo(web * web, 12);
  });

  test('given a fallback and a tier no user reaches, then neither counts', () => {
    const r = assessAvailability(model([tier('web', anyOf(2)), tier('mini', anyOf(1), { fallback: true }), tier('backup', anyOf(1))], { userFacing: ['web', 'mini'] }), A);
    expect(r.tiers.map((t) => t.tier)).toEqual(['web']);
    expect(r.singlePointsOfFailure).toEqual([]);
  });

  test('given sites that fail over, then a site\'s chain is in parallel with the others and its single server is no SPOF', () => {
    const sites = ['a', 'b'];
    const tiers = [
      ...sites.map((s) => tier(`${s}/app`, anyOf(1), { sites: [s] })),
      tier('db', { kind: RedundancyKind.QUORUM, members: 3, required: 2, description: '' }, { sites: ['a', 'b', 'c'] }),
    ];
    const r = assessAvailability(model(tiers, { sites, siteFailover: true }), A);
    const quorum = tierAvailability(tiers[2].redundancy, A);
    expect(r.availability).toBeCloseTo((1 - 0.01 ** 2) * quorum, 12);
    expect(r.parallelSites).toEqual(['a', 'b']);
    expect(r.singlePointsOfFailure).toEqual([]);
  });

  test('given the same sites without failover, then every single server is a SPOF', () => {
    const tiers = ['a', 'b'].map((s) => tier(`${s}/app`, anyOf(1), { sites: [s] }));
    const r = assessAvailability(model(tiers, { sites: ['a', 'b'], siteFailover: false }), A);
    expect(r.singlePointsOfFailure.map((s) => s.tier)).toEqual(['a/app', 'b/app']);
  });

  test('given no user-facing tier, then no figure and no SPOF', () => {
    const r = assessAvailability(model([tier('worker', anyOf(1))], { userFacing: [] }), A);
    expect(r.availability).toBeUndefined();
    expect(r.singlePointsOfFailure).toEqual([]);
  });

  test('given an availability above 1 or a negative failover time, then it says which assumption and what is allowed', () => {
    expect(() => assessAvailability(model([]), { ...A, serverAvailability: 1.5 })).toThrow(/assessAvailability: 'serverAvailability' \(1\.5\) must be a finite number from 0 to 1/);
    expect(() => assessAvailability(model([]), { ...A, failoverSeconds: -1 })).toThrow(/'failoverSeconds' \(-1\) must be a finite number of at least 0/);
  });
});
