import { IConstruct } from 'constructs';
import catalog from '../../data/ovh-flavors.json';
import { HostingStacksError } from '../core/errors';
import { requireEnumValue, requireOpenstackName } from '../core/choices';
import { brand, hasBrand } from '../core/peers';
import { requireTerraformLiteral } from '../core/terraform-text';

/** What a server needs: the case studies give these per role. */
export interface Sizing {
  /** Virtual CPUs. */
  readonly vcpus: number;
  /** Memory in GB. */
  readonly ramGb: number;
  /** Boot disk in GB (realised as a boot volume, not the flavor's local disk). */
  readonly diskGb: number;
}

/**
 * GHz of one vCPU when a case study sizes CPU in GHz (POPGOM's table: "2 GHz", "4 GHz", "6 GHz").
 * OVHcloud gen3 vCPUs are hyper-threads of 2.1–3 GHz cores; 2 GHz per vCPU is the conservative
 * reading, so `cpuGhz: 6` asks for 3 vCPUs.
 */
export const GHZ_PER_VCPU = 2;

/** Converts a case study's "N GHz, R GB RAM, D GB disk" row into a {@link Sizing}. */
export function sizingFromGhz(cpuGhz: number, ramGb: number, diskGb: number): Sizing {
  return { vcpus: Math.max(1, Math.ceil(cpuGhz / GHZ_PER_VCPU)), ramGb, diskGb };
}

/** OVHcloud flavor families in the catalog (`data/ovh-flavors.json`). */
export enum FlavorFamily {
  GENERAL_PURPOSE_GEN3 = 'general-purpose-gen3',
  CPU_OPTIMISED_GEN3 = 'cpu-optimised-gen3',
  RAM_OPTIMISED_GEN3 = 'ram-optimised-gen3',
  GENERAL_PURPOSE_GEN2 = 'general-purpose-gen2',
  CPU_OPTIMISED_GEN2 = 'cpu-optimised-gen2',
  RAM_OPTIMISED_GEN2 = 'ram-optimised-gen2',
  /** Shared-resource d2 flavors: OVHcloud positions them for tests, not production. */
  DISCOVERY = 'discovery',
  IOPS = 'iops',
}

/** The families {@link Flavor.fromSizing} picks from by default: current generation, dedicated vCPUs. */
export const PRODUCTION_FAMILIES: readonly FlavorFamily[] = [
  FlavorFamily.GENERAL_PURPOSE_GEN3,
  FlavorFamily.CPU_OPTIMISED_GEN3,
  FlavorFamily.RAM_OPTIMISED_GEN3,
];

/** A flavor with its resources and price, after resolution. */
export interface FlavorSpec {
  /** The name the OpenStack API shows (`openstack flavor list`). */
  readonly name: string;
  /** Virtual CPUs. */
  readonly vcpus: number;
  /** Memory in GB. */
  readonly ramGb: number;
  /** The flavor's local disk in GB. */
  readonly diskGb: number;
  /** Hourly price in EUR excl. VAT from the dated catalog, when known. */
  readonly eurPerHour?: number;
  /** The sizing it was chosen for, when chosen from one. */
  readonly sizing?: Sizing;
}

interface CatalogFlavor {
  name: string;
  family: string;
  vcpus: number;
  ram_gb: number;
  disk_gb: number;
  eur_per_hour: number;
}

/** The OVHcloud flavor catalog shipped with the library, dated (`asOf`) and sourced in the file. */
export const OVH_FLAVOR_CATALOG: { readonly asOf: string; readonly currency: string; readonly flavors: readonly CatalogFlavor[] } = {
  asOf: catalog.as_of,
  currency: catalog.currency,
  flavors: catalog.flavors as CatalogFlavor[],
};

/**
 * A compute flavor: named, picked from a sizing, or described by hand for clouds other than OVHcloud.
 * Resolved against a construct so that errors name it.
 */
export abstract class Flavor {
  /** True when `x` is a {@link Flavor} (a `Symbol.for` brand: look-alike objects are not). */
  public static isFlavor(x: unknown): x is Flavor {
    return hasBrand(x, 'Flavor');
  }

  protected constructor() {
    brand(this, 'Flavor');
  }

  /** An OVHcloud flavor by name (`b3-8`). */
  public static named(name: string): Flavor {
    return new NamedFlavor(name);
  }
  /** The cheapest catalog flavor with at least the sizing's vCPUs and RAM, from `families`. */
  public static fromSizing(sizing: Sizing, families: readonly FlavorFamily[] = PRODUCTION_FAMILIES): Flavor {
    return new SizedFlavor(sizing, families);
  }
  /** A flavor of another cloud, described by hand. */
  public static custom(spec: FlavorSpec): Flavor {
    return new CustomFlavor(spec);
  }
  /** Resolves the flavor; throws a {@link HostingStacksError} naming `scope` when it cannot. */
  public abstract resolve(scope: IConstruct): FlavorSpec;
}

function toSpec(f: CatalogFlavor, sizing?: Sizing): FlavorSpec {
  return { name: f.name, vcpus: f.vcpus, ramGb: f.ram_gb, diskGb: f.disk_gb, eurPerHour: f.eur_per_hour, sizing };
}

class NamedFlavor extends Flavor {
  constructor(private readonly name: string) {
    super();
  }
  public resolve(scope: IConstruct): FlavorSpec {
    const f = OVH_FLAVOR_CATALOG.flavors.find((x) => x.name === this.name);
    if (!f) {
      throw new HostingStacksError(scope, 'flavor', this.name,
        `is not in the OVHcloud catalog of ${OVH_FLAVOR_CATALOG.asOf} (e.g. b3-8, c3-4, r3-16); use Flavor.custom() for another cloud`);
    }
    return toSpec(f);
  }
}

class SizedFlavor extends Flavor {
  constructor(private readonly sizing: Sizing, private readonly families: readonly FlavorFamily[]) {
    super();
  }
  public resolve(scope: IConstruct): FlavorSpec {
    const s = this.sizing;
    for (const family of this.families) requireEnumValue(scope, 'flavor.families', family, FlavorFamily, 'FlavorFamily');
    for (const [prop, v] of [['vcpus', s.vcpus], ['ramGb', s.ramGb], ['diskGb', s.diskGb]] as const) {
      if (!Number.isFinite(v) || v <= 0) throw new HostingStacksError(scope, `sizing.${prop}`, v, 'must be a number greater than 0');
    }
    const fits = OVH_FLAVOR_CATALOG.flavors
      .filter((f) => this.families.includes(f.family as FlavorFamily) && f.vcpus >= s.vcpus && f.ram_gb >= s.ramGb)
      .sort((a, b) => a.eur_per_hour - b.eur_per_hour || a.vcpus - b.vcpus || a.name.localeCompare(b.name));
    if (fits.length === 0) {
      throw new HostingStacksError(scope, 'sizing', s, `fits no flavor of the families ${this.families.join(', ')}`);
    }
    return toSpec(fits[0], s);
  }
}

class CustomFlavor extends Flavor {
  constructor(private readonly spec: FlavorSpec) {
    super();
  }
  public resolve(scope: IConstruct): FlavorSpec {
    if (!this.spec.name) throw new HostingStacksError(scope, 'flavor.name', this.spec.name, 'must not be empty');
    requireOpenstackName(scope, 'flavor.name', this.spec.name, 'a Nova flavor name');
    requireTerraformLiteral(scope, 'flavor.name', this.spec.name);
    for (const [prop, v] of [['vcpus', this.spec.vcpus], ['ramGb', this.spec.ramGb]] as const) {
      if (!Number.isFinite(v) || v <= 0) throw new HostingStacksError(scope, `flavor.${prop}`, v, 'must be a number greater than 0');
    }
    return this.spec;
  }
}
