import { Construct } from 'constructs';
import { Flavor, FlavorFamily, OVH_FLAVOR_CATALOG, sizingFromGhz } from '../../lib';
import { testStack } from '../support/synth';

const scope = () => new Construct(testStack(), 'Web');

describe('Flavor', () => {
  test('sizingFromGhz reads 2 GHz per vCPU', () => {
    expect(sizingFromGhz(6, 4, 50)).toEqual({ vcpus: 3, ramGb: 4, diskGb: 50 });
    expect(sizingFromGhz(1, 1, 10).vcpus).toBe(1);
  });

  test('fromSizing picks the cheapest production flavor that fits', () => {
    const f = Flavor.fromSizing({ vcpus: 3, ramGb: 4, diskGb: 50 }).resolve(scope());
    const fitting = OVH_FLAVOR_CATALOG.flavors.filter((x) => x.family.endsWith('gen3') && x.vcpus >= 3 && x.ram_gb >= 4);
    expect(f.eurPerHour).toBe(Math.min(...fitting.map((x) => x.eur_per_hour)));
    expect(f.vcpus).toBeGreaterThanOrEqual(3);
    expect(f.sizing).toEqual({ vcpus: 3, ramGb: 4, diskGb: 50 });
  });

  test('fromSizing honours the families asked for', () => {
    const f = Flavor.fromSizing({ vcpus: 1, ramGb: 2, diskGb: 20 }, [FlavorFamily.DISCOVERY]).resolve(scope());
    expect(f.name).toBe('d2-2');
  });

  test('named resolves catalog specs', () => {
    expect(Flavor.named('b3-8').resolve(scope())).toMatchObject({ name: 'b3-8', vcpus: 2, ramGb: 8 });
  });

  test('custom passes through', () => {
    expect(Flavor.custom({ name: 'm1.small', vcpus: 1, ramGb: 2, diskGb: 20 }).resolve(scope()).name).toBe('m1.small');
  });

  test('errors name the construct, prop and value', () => {
    expect(() => Flavor.named('x9-1').resolve(scope())).toThrow(/test\/Web: 'flavor' \('x9-1'\) is not in the OVHcloud catalog/);
    expect(() => Flavor.fromSizing({ vcpus: 0, ramGb: 2, diskGb: 20 }).resolve(scope())).toThrow(/test\/Web: 'sizing.vcpus' \(0\) must be a number greater than 0/);
    expect(() => Flavor.fromSizing({ vcpus: 1000, ramGb: 2, diskGb: 20 }).resolve(scope())).toThrow(/test\/Web: 'sizing' .* fits no flavor/);
    expect(() => Flavor.custom({ name: '', vcpus: 1, ramGb: 1, diskGb: 1 }).resolve(scope())).toThrow(/'flavor.name' \(''\) must not be empty/);
    expect(() => Flavor.custom({ name: 'a', vcpus: -1, ramGb: 1, diskGb: 1 }).resolve(scope())).toThrow(/'flavor.vcpus' \(-1\)/);
  });
});
