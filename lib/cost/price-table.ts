import catalog from '../../data/ovh-flavors.json';

/**
 * A price of the dated OVHcloud table (`data/ovh-flavors.json`, `other_prices`): what one unit costs
 * an hour and, when OVHcloud publishes one, a month.
 */
export interface UnitPrice {
  /** EUR excl. VAT per unit-hour (per GB-hour for storage). */
  readonly eurPerHour?: number;
  /** EUR excl. VAT per unit-month (per GB-month for storage), when the table gives a monthly price. */
  readonly eurPerMonth?: number;
  /** Where the table took it from (its `sources` ids). */
  readonly source: string;
}

/** OVHcloud Octavia and Gateway sizes, as the price table keys them. */
export type OvhSize = 'S' | 'M' | 'L' | 'XL' | '2XL';

/** The prices (besides instances, in `OVH_FLAVOR_CATALOG`) that the cost estimate reads, from the dated table. */
export interface OvhPriceTable {
  /** Date of the table (`as_of`). */
  readonly asOf: string;
  /** Currency of every price. */
  readonly currency: string;
  /** `'excluded'`: prices are excl. VAT. */
  readonly vat: string;
  /** Block storage per GB, by Cinder volume type name (`classic`, `high-speed`, `high-speed-gen2`). */
  readonly blockStorage: Readonly<Record<string, UnitPrice>>;
  /** Volume snapshots per GB. */
  readonly volumeSnapshot: UnitPrice;
  /** Object storage per GB, by storage class (`swift-legacy`, `s3-standard`, ...). */
  readonly objectStorage: Readonly<Record<string, UnitPrice>>;
  /** One floating IP. */
  readonly floatingIp: UnitPrice;
  /** Octavia load balancers by size, with their Octavia flavor name. */
  readonly loadBalancers: Readonly<Partial<Record<OvhSize, UnitPrice & { readonly flavor: string }>>>;
  /** Gateways (a router with an external gateway) by size. */
  readonly gateways: Readonly<Partial<Record<OvhSize, UnitPrice>>>;
  /** The public IPv4 of a gen3 instance, billed on top of the instance from 2026-10-01. */
  readonly gen3PublicIpv4: UnitPrice & { readonly from: string };
  /** The local NVMe disk of a gen3 instance per GB, billed on top of the instance from 2026-10-01. */
  readonly gen3LocalNvme: UnitPrice & { readonly from: string };
}

interface RawPrice {
  eur_per_hour?: number | null;
  eur_per_month?: number | null;
  eur_per_gb_hour?: number | null;
  eur_per_gb_month?: number | null;
  source?: string;
  flavor?: string;
}

const raw = catalog.other_prices as unknown as Record<string, RawPrice & Record<string, RawPrice>>;

function price(p: RawPrice, source = p.source ?? ''): UnitPrice {
  const hour = p.eur_per_hour ?? p.eur_per_gb_hour ?? undefined;
  const month = p.eur_per_month ?? p.eur_per_gb_month ?? undefined;
  return { ...(hour !== undefined ? { eurPerHour: hour } : {}), ...(month !== undefined ? { eurPerMonth: month } : {}), source };
}

function sized<T>(group: Record<string, RawPrice>, make: (p: RawPrice, source: string) => T): Partial<Record<OvhSize, T>> {
  const out: Partial<Record<OvhSize, T>> = {};
  for (const [size, p] of Object.entries(group)) if (size !== 'source') out[size as OvhSize] = make(p, String(group.source));
  return out;
}

/** The dated OVHcloud price table shipped with the library (`data/ovh-flavors.json`), as the cost estimate reads it. */
export const OVH_PRICE_TABLE: OvhPriceTable = {
  asOf: catalog.as_of,
  currency: catalog.currency,
  vat: catalog.vat,
  blockStorage: {
    'classic': price(raw.block_storage_classic),
    'high-speed': price(raw.block_storage_high_speed),
    'high-speed-gen2': price(raw.block_storage_high_speed_gen2),
  },
  volumeSnapshot: price(raw.volume_snapshot),
  objectStorage: {
    'swift-legacy': price(raw.object_storage_swift_legacy),
    's3-standard': price(raw.object_storage_s3_standard),
    's3-high-performance': price(raw.object_storage_s3_high_performance),
    'cold-archive': price(raw.object_storage_cold_archive),
  },
  floatingIp: price(raw.floating_ip),
  loadBalancers: sized(raw.load_balancer_octavia, (p, source) => ({ ...price(p, source), flavor: String(p.flavor) })),
  gateways: sized(raw.gateway_router, (p, source) => price(p, source)),
  gen3PublicIpv4: { ...price(raw.instance_public_ipv4_gen3_from_2026_10_01), from: '2026-10-01' },
  gen3LocalNvme: { ...price(raw.instance_local_nvme_gen3_from_2026_10_01), from: '2026-10-01' },
};
