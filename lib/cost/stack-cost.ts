import { TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { VeeamBackup } from '../backup/veeam-backup';
import { OVH_FLAVOR_CATALOG } from '../compute/flavor';
import { ServerCluster } from '../compute/server-cluster';
import { formatValue, HostingStacksError } from '../core/errors';
import { Kinds } from '../core/peers';
import { IScalingRules } from '../scaling/scaling-model';
import { OVH_PRICE_TABLE, OvhSize, UnitPrice } from './price-table';

/** Hours in a month of the estimate: 365 x 24 / 12, OVHcloud's own basis for a month of an hourly price. */
export const HOURS_PER_MONTH = 730;
/** The Markdown cost table synth writes next to a stack's Terraform. */
export const COST_TABLE_FILE = 'cost.md';
/** The machine-readable cost estimate synth writes next to a stack's Terraform. */
export const COST_JSON_FILE = 'cost.json';
/** The Cinder volume type a volume without `volume_type` gets on OVHcloud (the project's default type). */
export const DEFAULT_VOLUME_TYPE = 'classic';
/** The Octavia size a load balancer without `flavor_id` gets on OVHcloud. */
export const DEFAULT_OCTAVIA_SIZE: OvhSize = 'S';
/** The Gateway size of a router with an external gateway made through the OpenStack API. */
export const DEFAULT_GATEWAY_SIZE: OvhSize = 'S';
/** The object-storage class of a container made with the Swift API (`openstack_objectstorage_container_v1`). */
export const SWIFT_CONTAINER_STORAGE_CLASS = 'swift-legacy';

/** What a line of the estimate is for. */
export enum CostCategory {
  INSTANCES = 'instances',
  BLOCK_STORAGE = 'block-storage',
  SNAPSHOTS = 'snapshots',
  LOAD_BALANCERS = 'load-balancers',
  FLOATING_IPS = 'floating-ips',
  GATEWAYS = 'gateways',
  OBJECT_STORAGE = 'object-storage',
  OTHER = 'other',
}

/** Options of {@link stackCostOf} (a {@link HostingStack}'s `cost` prop). */
export interface StackCostOptions {
  /**
   * GB expected in object-storage containers, by the container's construct path
   * (`shop/Uploads/Resource`): Terraform gives a container no size.
   * @default - a backup's off-site container: estimated from its policies; any other container: listed as not priced
   */
  readonly objectStorageGb?: Readonly<Record<string, number>>;
}

/** One priced line of a month at the baseline. */
export interface CostLine {
  /** What it is for. */
  readonly category: CostCategory;
  /** Construct path of what is priced. */
  readonly item: string;
  /** What is counted (`b3-8`, `boot volumes, classic`). */
  readonly what: string;
  /** How many units. */
  readonly quantity: number;
  /** The unit (`instance`, `GB`, `IP`). */
  readonly unit: string;
  /** EUR excl. VAT per unit and month (not rounded). */
  readonly unitEurPerMonth: number;
  /** `quantity x unitEurPerMonth`, rounded to the cent. */
  readonly monthlyEur: number;
  /** Which price of the table, and any assumption the line rests on. */
  readonly basis: string;
}

/** Something the stack pays for that the estimate cannot price, and why. */
export interface NotPricedItem {
  /** What it would be. */
  readonly category: CostCategory;
  /** Construct path (or Terraform address when no construct is known). */
  readonly item: string;
  /** What it is. */
  readonly what: string;
  /** Why it has no price. */
  readonly reason: string;
}

/** What one campaign window adds on one scaled tier. */
export interface CampaignTierCost {
  /** The campaign (campaigns whose windows overlap on the tier are joined by '+'). */
  readonly campaign: string;
  /** Construct path of the tier. */
  readonly tier: string;
  /** Flavor of its instances. */
  readonly flavor: string;
  /** Instances outside campaigns. */
  readonly baselineCount: number;
  /** Instances during the window. */
  readonly count: number;
  /** `count - baselineCount`. */
  readonly extraInstances: number;
  /** Scale-out (UTC, ISO 8601). */
  readonly scaleOutAt: string;
  /** Scale-in (UTC, ISO 8601). */
  readonly scaleInAt: string;
  /** Hours scaled out. */
  readonly hours: number;
  /** EUR an extra instance costs an hour: flavor, boot volume and any gen3 surcharge (not rounded). */
  readonly eurPerInstanceHour: number;
  /** `extraInstances x hours x eurPerInstanceHour`, rounded to the cent. */
  readonly extraEur: number;
}

/** What one campaign costs over the baseline, all tiers together. */
export interface CampaignCost {
  /** The campaign. */
  readonly campaign: string;
  /** Month of its start (UTC), `YYYY-MM`. */
  readonly month: string;
  /** The longest time one of its tiers is scaled out, hours. */
  readonly hours: number;
  /** Extra instances at its peak, all tiers. */
  readonly extraInstances: number;
  /** Cost over the baseline (sum of its tiers' rounded figures). */
  readonly extraEur: number;
  /** That month's total: the baseline month plus every campaign starting in that month. */
  readonly monthTotalEur: number;
}

/** A stack's monthly cost at the baseline and what each campaign adds, from the dated price table. */
export interface StackCost {
  /** Stack id. */
  readonly stack: string;
  /** Currency of every figure. */
  readonly currency: string;
  /** `'excluded'`: every figure is excl. VAT. */
  readonly vat: string;
  /** Date of the price table. */
  readonly pricesAsOf: string;
  /** Hours in a month. */
  readonly hoursPerMonth: number;
  /** A month at the baseline, line by line. */
  readonly lines: readonly CostLine[];
  /** Sum of the lines' `monthlyEur`. */
  readonly monthlyEur: number;
  /** What the stack runs that the table does not price (not in `monthlyEur`). */
  readonly notPriced: readonly NotPricedItem[];
  /** Each campaign's extra over the baseline, by start. */
  readonly campaigns: readonly CampaignCost[];
  /** Each campaign window of each scaled tier. */
  readonly campaignTiers: readonly CampaignTierCost[];
  /** What the figures assume. */
  readonly assumptions: readonly string[];
}

/** The tag every output of the estimate carries: currency, VAT and the price table's date. */
export function costBasisLabel(cost: Pick<StackCost, 'currency' | 'pricesAsOf'>): string {
  return `${cost.currency} excl. VAT, prices as of ${cost.pricesAsOf}`;
}

interface TfResource {
  readonly count?: unknown;
  readonly '//'?: { readonly metadata?: { readonly path?: string } };
  readonly [key: string]: unknown;
}

/** Resource types that cost nothing by themselves (or are priced with another resource), with why. */
const INCLUDED_TYPES: Readonly<Record<string, string>> = {
  openstack_networking_network_v2: 'private networks are free',
  openstack_networking_subnet_v2: 'part of a private network',
  openstack_networking_router_interface_v2: 'part of the router',
  openstack_networking_port_v2: 'ports are free',
  openstack_networking_secgroup_v2: 'security groups are free',
  openstack_networking_secgroup_rule_v2: 'security groups are free',
  openstack_networking_floatingip_associate_v2: 'part of the floating IP',
  openstack_compute_servergroup_v2: 'server groups are free',
  openstack_compute_keypair_v2: 'key pairs are free',
  openstack_identity_application_credential_v3: 'credentials are free',
  openstack_lb_listener_v2: 'part of the load balancer',
  openstack_lb_pool_v2: 'part of the load balancer',
  openstack_lb_member_v2: 'part of the load balancer',
  openstack_lb_monitor_v2: 'part of the load balancer',
  openstack_lb_l7policy_v2: 'part of the load balancer',
  openstack_lb_l7rule_v2: 'part of the load balancer',
  openstack_sharedfilesystem_sharenetwork_v2: 'part of the share',
  openstack_sharedfilesystem_share_access_v2: 'part of the share',
};

const round2 = (x: number): number => Math.round((x + Number.EPSILON) * 100) / 100;
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const eur = (x: number): string => x.toFixed(4).replace(/0{1,2}$/, '');

/** A price for a whole month: the table's monthly price when it has one, else its hourly price x 730 h. */
function perMonth(p: UnitPrice): { eur: number; basis: string } | undefined {
  if (p.eurPerMonth !== undefined) return { eur: p.eurPerMonth, basis: `${eur(p.eurPerMonth)}/month` };
  if (p.eurPerHour !== undefined) return { eur: p.eurPerHour * HOURS_PER_MONTH, basis: `${eur(p.eurPerHour)}/h x ${HOURS_PER_MONTH} h` };
  return undefined;
}

/** A price for one hour: the table's hourly price when it has one, else its monthly price / 730 h. */
function perHour(p: UnitPrice): number | undefined {
  return p.eurPerHour ?? (p.eurPerMonth === undefined ? undefined : p.eurPerMonth / HOURS_PER_MONTH);
}

/** The count of a Terraform resource: a number, or undefined when an expression decides it at plan time. */
function literalCount(r: TfResource): number | undefined {
  if (r.count === undefined) return 1;
  return typeof r.count === 'number' ? r.count : undefined;
}

const pathOf = (type: string, id: string, r: TfResource): string => r['//']?.metadata?.path ?? `${type}.${id}`;

/**
 * The monthly cost of `stack` at its baseline and what each campaign adds, from the dated OVHcloud
 * price table (`data/ovh-flavors.json`): instances of every {@link ServerCluster} at their baseline
 * count, their boot volumes and every other volume by type, Octavia load balancers by size, floating
 * IPs, gateways (routers with an external gateway), object storage and the backups' snapshots. The
 * counts come from the stack's Terraform (`toTerraform()`), the servers from its clusters, the
 * campaigns from the scaling rules of its clusters. What has no price is listed in `notPriced`
 * with the reason, never counted as 0.
 *
 * Throws a {@link HostingStacksError} naming the stack when `options.objectStorageGb` names no
 * container of the stack or gives a size that is not a number of GB of 0 or more.
 */
export function stackCostOf(stack: TerraformStack, options: StackCostOptions = {}): StackCost {
  requireObjectStorageSizes(stack, options);
  const terraform = stack.toTerraform() as { resource?: Record<string, Record<string, TfResource>> };
  const resources = terraform.resource ?? {};
  const lines: CostLine[] = [];
  const notPriced: NotPricedItem[] = [];
  const assumptions: string[] = [];
  const add = (line: Omit<CostLine, 'monthlyEur'>): void => {
    if (line.quantity > 0) lines.push({ ...line, monthlyEur: round2(line.quantity * line.unitEurPerMonth) });
  };
  const all = stack.node.findAll();
  const clusters = all.filter(ServerCluster.isServerCluster);
  const clusterResources = new Set<string>();
  for (const c of clusters) for (const h of c.instances) clusterResources.add(h.resource.friendlyUniqueId).add(h.bootVolume.friendlyUniqueId);
  const instancesTf = resources.openstack_compute_instance_v2 ?? {};

  // Instances and their boot volumes, at the baseline count.
  const surcharges = gen3Surcharges(clusters, instancesTf);
  for (const c of clusters) {
    const price = c.flavor.eurPerHour;
    if (price === undefined) {
      notPriced.push({ category: CostCategory.INSTANCES, item: c.node.path, what: `${c.count} x ${c.flavor.name}`, reason: `flavor '${c.flavor.name}' has no price in the OVHcloud catalog of ${OVH_FLAVOR_CATALOG.asOf} (a custom flavor)` });
    } else {
      add({ category: CostCategory.INSTANCES, item: c.node.path, what: c.flavor.name, quantity: c.count, unit: 'instance', unitEurPerMonth: price * HOURS_PER_MONTH, basis: `${eur(price)}/h x ${HOURS_PER_MONTH} h` });
    }
    const s = surcharges.get(c);
    if (s?.publicIpv4) {
      const p = OVH_PRICE_TABLE.gen3PublicIpv4;
      add({ category: CostCategory.INSTANCES, item: c.node.path, what: `gen3 public IPv4 (from ${p.from})`, quantity: c.count, unit: 'IP', unitEurPerMonth: p.eurPerHour! * HOURS_PER_MONTH, basis: `${eur(p.eurPerHour!)}/h x ${HOURS_PER_MONTH} h` });
    }
    if (s?.localDisk) {
      const p = OVH_PRICE_TABLE.gen3LocalNvme;
      add({ category: CostCategory.INSTANCES, item: c.node.path, what: `gen3 local NVMe, ${c.flavor.diskGb} GB each (from ${p.from})`, quantity: c.count * c.flavor.diskGb, unit: 'GB', unitEurPerMonth: p.eurPerHour! * HOURS_PER_MONTH, basis: `${eur(p.eurPerHour!)}/GB/h x ${HOURS_PER_MONTH} h` });
    }
    const volumeType = c.instances[0].bootVolume.volumeTypeInput ?? DEFAULT_VOLUME_TYPE;
    const vp = OVH_PRICE_TABLE.blockStorage[volumeType];
    if (vp === undefined || perMonth(vp) === undefined) {
      notPriced.push({ category: CostCategory.BLOCK_STORAGE, item: c.node.path, what: `${c.count} boot volume(s) of ${c.bootVolumeGb} GB, type '${volumeType}'`, reason: `volume type '${volumeType}' has no price in the table (priced: ${Object.keys(OVH_PRICE_TABLE.blockStorage).join(', ')})` });
    } else {
      const m = perMonth(vp)!;
      add({ category: CostCategory.BLOCK_STORAGE, item: c.node.path, what: `boot volumes, ${c.bootVolumeGb} GB each, ${volumeType}`, quantity: c.count * c.bootVolumeGb, unit: 'GB', unitEurPerMonth: m.eur, basis: `${m.basis}/GB` });
    }
  }

  // Everything else the Terraform declares.
  const containerPaths: string[] = [];
  let privateRouters = 0;
  const estimates = backupStorageEstimates(all);
  for (const [type, byId] of Object.entries(resources)) {
    for (const [id, r] of Object.entries(byId)) {
      if (clusterResources.has(id) && (type === 'openstack_compute_instance_v2' || type === 'openstack_blockstorage_volume_v3')) continue;
      const item = pathOf(type, id, r);
      const count = literalCount(r);
      if (INCLUDED_TYPES[type] !== undefined) continue;
      if (count === undefined) {
        notPriced.push({ category: categoryOf(type), item, what: type, reason: `its count (${formatValue(r.count)}) is decided at plan time` });
        continue;
      }
      if (count === 0) continue;
      switch (type) {
        case 'openstack_blockstorage_volume_v3': {
          const vt = typeof r.volume_type === 'string' ? r.volume_type : DEFAULT_VOLUME_TYPE;
          const vp = OVH_PRICE_TABLE.blockStorage[vt];
          const m = vp && perMonth(vp);
          if (m && typeof r.size === 'number') add({ category: CostCategory.BLOCK_STORAGE, item, what: `volume, ${vt}`, quantity: count * r.size, unit: 'GB', unitEurPerMonth: m.eur, basis: `${m.basis}/GB` });
          else notPriced.push({ category: CostCategory.BLOCK_STORAGE, item, what: `volume of ${formatValue(r.size)} GB, type '${vt}'`, reason: m ? 'its size is decided at plan time' : `volume type '${vt}' has no price in the table` });
          break;
        }
        case 'openstack_compute_instance_v2':
          notPriced.push({ category: CostCategory.INSTANCES, item, what: `instance of flavor ${formatValue(r.flavor_name ?? r.flavor_id)}`, reason: 'not made by a ServerCluster: the estimate prices the servers of clusters' });
          break;
        case 'openstack_lb_loadbalancer_v2': {
          const size = octaviaSizeOf(r.flavor_id);
          const p = size && OVH_PRICE_TABLE.loadBalancers[size];
          const m = p && perMonth(p);
          if (m) add({ category: CostCategory.LOAD_BALANCERS, item, what: `Octavia ${size} (${p.flavor})`, quantity: count, unit: 'load balancer', unitEurPerMonth: m.eur, basis: m.basis });
          else notPriced.push({ category: CostCategory.LOAD_BALANCERS, item, what: `Octavia load balancer, flavor id ${formatValue(r.flavor_id)}`, reason: 'the table prices Octavia by size name (small, medium, large, xl); a flavor id is the region\'s own' });
          break;
        }
        case 'openstack_networking_floatingip_v2': {
          const m = perMonth(OVH_PRICE_TABLE.floatingIp)!;
          add({ category: CostCategory.FLOATING_IPS, item, what: 'floating IP', quantity: count, unit: 'IP', unitEurPerMonth: m.eur, basis: m.basis });
          break;
        }
        case 'openstack_networking_router_v2': {
          if (r.external_network_id === undefined && r.external_gateway === undefined) {
            privateRouters++;
            break;
          }
          const m = perMonth(OVH_PRICE_TABLE.gateways[DEFAULT_GATEWAY_SIZE]!)!;
          add({ category: CostCategory.GATEWAYS, item, what: `Gateway ${DEFAULT_GATEWAY_SIZE}`, quantity: count, unit: 'gateway', unitEurPerMonth: m.eur, basis: m.basis });
          break;
        }
        case 'openstack_objectstorage_container_v1': {
          containerPaths.push(item);
          const given = options.objectStorageGb?.[item];
          const estimate = estimates.get(item);
          const p = OVH_PRICE_TABLE.objectStorage[SWIFT_CONTAINER_STORAGE_CLASS];
          const m = perMonth(p)!;
          if (given !== undefined) add({ category: CostCategory.OBJECT_STORAGE, item, what: `container, ${given} GB (given), ${SWIFT_CONTAINER_STORAGE_CLASS}`, quantity: count * given, unit: 'GB', unitEurPerMonth: m.eur, basis: `${m.basis}/GB` });
          else if (estimate) add({ category: CostCategory.OBJECT_STORAGE, item, what: `container, ${estimate.gb} GB (estimated), ${SWIFT_CONTAINER_STORAGE_CLASS}`, quantity: count * estimate.gb, unit: 'GB', unitEurPerMonth: m.eur, basis: `${m.basis}/GB; ${estimate.how}` });
          else notPriced.push({ category: CostCategory.OBJECT_STORAGE, item, what: 'object-storage container', reason: `Terraform gives a container no size; give it in the stack's cost.objectStorageGb ('${item}')` });
          break;
        }
        case 'openstack_sharedfilesystem_share_v2':
          notPriced.push({ category: CostCategory.OTHER, item, what: `File Storage (Manila) share of ${formatValue(r.size)} GB, type ${formatValue(r.share_type)}`, reason: `the price table (${OVH_PRICE_TABLE.asOf}) has no File Storage price` });
          break;
        default:
          notPriced.push({ category: categoryOf(type), item, what: type, reason: `the price table (${OVH_PRICE_TABLE.asOf}) has no price for it` });
      }
    }
  }
  for (const path of Object.keys(options.objectStorageGb ?? {})) {
    if (!containerPaths.includes(path)) {
      throw new HostingStacksError(stack, `cost.objectStorageGb['${path}']`, options.objectStorageGb![path],
        `names no object-storage container of the stack; containers: ${containerPaths.length ? containerPaths.join(', ') : 'none'}`);
    }
  }

  // Backups the runner makes at run time: snapshots estimated, Cinder backups not priced.
  for (const b of all.filter((c): c is VeeamBackup => c instanceof VeeamBackup)) {
    for (const policy of b.policies) {
      const hosts = policy.hosts.filter((h) => h.index < h.cluster.count);
      const gb = sum(hosts.map((h) => h.cluster.bootVolumeGb));
      const m = perMonth(OVH_PRICE_TABLE.volumeSnapshot)!;
      add({ category: CostCategory.SNAPSHOTS, item: policy.node.path, what: `boot-volume snapshots, ${policy.rotation} kept of ${gb} GB`, quantity: policy.rotation * gb, unit: 'GB', unitEurPerMonth: m.eur, basis: `${m.basis}/GB; a snapshot billed at its volume's size` });
      if (policy.volumeBackups) {
        notPriced.push({ category: CostCategory.SNAPSHOTS, item: policy.node.path, what: `Cinder volume backups of ${gb} GB of boot volumes`, reason: 'incremental: their size follows the data changed; the table\'s volume-backup price comes from one unverified source (S4)' });
      }
    }
  }

  const monthlyEur = round2(sum(lines.map((l) => l.monthlyEur)));
  const { campaigns, campaignTiers } = campaignCosts(clusters, surcharges, monthlyEur, notPriced);

  assumptions.push(
    `Prices: ${costBasisLabel({ currency: OVH_PRICE_TABLE.currency, pricesAsOf: OVH_PRICE_TABLE.asOf })}, OVHcloud public catalog (data/ovh-flavors.json), hourly plans of 1-AZ regions; 3-AZ and Local Zone regions may be priced differently.`,
    `A month is ${HOURS_PER_MONTH} h. Instances cost their hourly price x ${HOURS_PER_MONTH} h (gen3 has no monthly plan); what the table prices by the month (volumes, snapshots, floating IPs, load balancers, gateways, object storage) costs its monthly price; what a campaign adds costs hourly prices x the hours it is scaled out.`,
    `Servers run at their baseline count (the count variables' defaults); reactive scale-outs between campaigns are not estimated.`,
    `A volume without a type is OVHcloud's default type, ${DEFAULT_VOLUME_TYPE}.`,
    surchargeAssumption(clusters, surcharges),
  );
  if (resources.openstack_lb_loadbalancer_v2) assumptions.push(`A load balancer without a flavor id is OVHcloud's default size, ${DEFAULT_OCTAVIA_SIZE} (${OVH_PRICE_TABLE.loadBalancers[DEFAULT_OCTAVIA_SIZE]!.flavor}).`);
  if (resources.openstack_networking_router_v2) {
    assumptions.push(`A router with an external gateway is billed as a Gateway of size ${DEFAULT_GATEWAY_SIZE}, the size the OpenStack API creates${privateRouters ? `; a router without one (${privateRouters} here) is no Gateway and costs nothing` : ''}.`);
  }
  if (resources.openstack_objectstorage_container_v1) assumptions.push(`A container made with the Swift API is in the ${SWIFT_CONTAINER_STORAGE_CLASS} object storage class; egress is free (S7).`);
  if (campaignTiers.length) assumptions.push('A campaign adds its extra instances and their boot volumes from its scale-out to its scale-in (the scheduled windows); its month is the UTC month of its start, and the month total adds every campaign starting that month to the baseline.');

  return {
    stack: stack.node.id,
    currency: OVH_PRICE_TABLE.currency,
    vat: OVH_PRICE_TABLE.vat,
    pricesAsOf: OVH_PRICE_TABLE.asOf,
    hoursPerMonth: HOURS_PER_MONTH,
    lines,
    monthlyEur,
    notPriced,
    campaigns,
    campaignTiers,
    assumptions,
  };
}

function requireObjectStorageSizes(scope: IConstruct, options: StackCostOptions): void {
  for (const [path, gb] of Object.entries(options.objectStorageGb ?? {})) {
    if (typeof gb !== 'number' || !Number.isFinite(gb) || gb < 0) {
      throw new HostingStacksError(scope, `cost.objectStorageGb['${path}']`, gb, 'must be a number of GB of 0 or more');
    }
  }
}

/** Checks `options` as far as a stack without resources can: each size a number of GB of 0 or more. */
export function validateStackCostOptions(scope: IConstruct, options: StackCostOptions): void {
  requireObjectStorageSizes(scope, options);
}

function categoryOf(type: string): CostCategory {
  if (type.startsWith('openstack_compute_instance')) return CostCategory.INSTANCES;
  if (type.startsWith('openstack_blockstorage')) return CostCategory.BLOCK_STORAGE;
  if (type.startsWith('openstack_lb_')) return CostCategory.LOAD_BALANCERS;
  if (type.startsWith('openstack_networking_floatingip')) return CostCategory.FLOATING_IPS;
  if (type.startsWith('openstack_networking_router')) return CostCategory.GATEWAYS;
  if (type.startsWith('openstack_objectstorage')) return CostCategory.OBJECT_STORAGE;
  return CostCategory.OTHER;
}

/** The size of an Octavia flavor: the default when none is given, a size name when given by name, else unknown. */
function octaviaSizeOf(flavorId: unknown): OvhSize | undefined {
  if (flavorId === undefined) return DEFAULT_OCTAVIA_SIZE;
  const sizes = Object.entries(OVH_PRICE_TABLE.loadBalancers) as [OvhSize, { flavor: string }][];
  return sizes.find(([size, p]) => flavorId === p.flavor || flavorId === size)?.[0];
}

interface Surcharge {
  readonly publicIpv4: boolean;
  readonly localDisk: boolean;
}

/**
 * Which gen3 clusters owe the 2026-10-01 surcharges, from their servers' Terraform: a public IPv4
 * when a server has a network that is not a port (a port of this library is on a private network),
 * the local NVMe disk when it boots from something other than a Cinder volume.
 */
function gen3Surcharges(clusters: readonly ServerCluster[], instances: Record<string, TfResource>): Map<ServerCluster, Surcharge> {
  const out = new Map<ServerCluster, Surcharge>();
  for (const c of clusters) {
    if (!/^[bcr]3-/.test(c.flavor.name)) continue;
    const r = instances[c.instances[0].resource.friendlyUniqueId];
    const networks = (Array.isArray(r?.network) ? r.network : []) as { port?: unknown }[];
    const devices = (Array.isArray(r?.block_device) ? r.block_device : []) as { boot_index?: unknown; destination_type?: unknown }[];
    out.set(c, {
      publicIpv4: networks.some((n) => n.port === undefined),
      localDisk: !devices.some((d) => d.boot_index === 0 && d.destination_type === 'volume'),
    });
  }
  return out;
}

function surchargeAssumption(clusters: readonly ServerCluster[], surcharges: Map<ServerCluster, Surcharge>): string {
  const ip = OVH_PRICE_TABLE.gen3PublicIpv4;
  const disk = OVH_PRICE_TABLE.gen3LocalNvme;
  const gen3 = [...surcharges.keys()];
  const servers = sum(gen3.map((c) => c.count));
  const withIp = gen3.filter((c) => surcharges.get(c)!.publicIpv4).length;
  const withDisk = gen3.filter((c) => surcharges.get(c)!.localDisk).length;
  const prices = `${eur(ip.eurPerHour!)} EUR/h per public IPv4, ${disk.eurPerHour} EUR/GB/h of local NVMe`;
  if (servers === 0) return `No gen3 (b3, c3, r3) server: the gen3 surcharges from ${ip.from} (${prices}) do not apply.`;
  const unused = gen3.filter((c) => !surcharges.get(c)!.localDisk);
  const ifBilled = round2(sum(unused.map((c) => c.count * c.flavor.diskGb * disk.eurPerHour! * HOURS_PER_MONTH)));
  const parts = [`Gen3 surcharges from ${ip.from} (${prices}) are added where a server has them: a public IPv4 in ${withIp} of ${gen3.length} gen3 cluster(s) (the others have only ports on private networks), the local disk in ${withDisk} (the others boot from a Cinder volume).`];
  if (clusters.length && ifBilled > 0) parts.push(`If OVHcloud bills a gen3 flavor's local disk even when the server boots from a volume, add ${ifBilled.toFixed(2)} EUR a month.`);
  return parts.join(' ');
}

interface StorageEstimate {
  readonly gb: number;
  readonly how: string;
}

/**
 * The GB a backup's off-site container holds at most: per policy with off-site copies, each server's
 * boot volume (a qcow2 export is at most the volume's size) times the copies kept (the copies'
 * retention over the interval between runs).
 */
function backupStorageEstimates(all: readonly IConstruct[]): Map<string, StorageEstimate> {
  const out = new Map<string, StorageEstimate>();
  for (const b of all.filter((c): c is VeeamBackup => c instanceof VeeamBackup)) {
    if (!b.container) continue;
    let gb = 0;
    const how: string[] = [];
    for (const p of b.policies.filter((x) => x.offsiteCopy)) {
      const copies = Math.ceil(p.offsiteRetentionSeconds / (p.schedule.intervalHours * 3600));
      const volumes = sum(p.hosts.filter((h) => h.index < h.cluster.count).map((h) => h.cluster.bootVolumeGb));
      gb += copies * volumes;
      how.push(`${p.node.id}: ${copies} copies of ${volumes} GB`);
    }
    out.set(b.container.node.path, { gb, how: `off-site backup copies at most (${how.join(', ')})` });
  }
  return out;
}

function campaignCosts(clusters: readonly ServerCluster[], surcharges: Map<ServerCluster, Surcharge>, baseline: number, notPriced: NotPricedItem[]): { campaigns: CampaignCost[]; campaignTiers: CampaignTierCost[] } {
  const tiers: CampaignTierCost[] = [];
  const starts = new Map<string, string>();
  for (const c of clusters) {
    const rules = c.scalingRules;
    if (!Kinds.SCALING_RULES.is(rules)) continue;
    const plan = (rules as IScalingRules).plan;
    const volumeType = c.instances[0].bootVolume.volumeTypeInput ?? DEFAULT_VOLUME_TYPE;
    const volumeHour = OVH_PRICE_TABLE.blockStorage[volumeType] && perHour(OVH_PRICE_TABLE.blockStorage[volumeType]);
    const s = surcharges.get(c);
    for (const w of plan.scheduled) {
      const extra = w.count - plan.baselineCount;
      if (extra <= 0) continue;
      const start = w.start.toISOString();
      if (!starts.has(w.campaign) || start < starts.get(w.campaign)!) starts.set(w.campaign, start);
      if (plan.flavor.eurPerHour === undefined || volumeHour === undefined) {
        notPriced.push({ category: CostCategory.INSTANCES, item: plan.tier, what: `campaign '${w.campaign}': ${extra} extra x ${plan.flavor.name}`, reason: plan.flavor.eurPerHour === undefined ? `flavor '${plan.flavor.name}' has no price in the catalog` : `volume type '${volumeType}' has no price in the table` });
        continue;
      }
      const perInstance = plan.flavor.eurPerHour + c.bootVolumeGb * volumeHour
        + (s?.publicIpv4 ? OVH_PRICE_TABLE.gen3PublicIpv4.eurPerHour! : 0)
        + (s?.localDisk ? c.flavor.diskGb * OVH_PRICE_TABLE.gen3LocalNvme.eurPerHour! : 0);
      const hours = (w.scaleInAt.getTime() - w.scaleOutAt.getTime()) / 3_600_000;
      tiers.push({
        campaign: w.campaign,
        tier: plan.tier,
        flavor: plan.flavor.name,
        baselineCount: plan.baselineCount,
        count: w.count,
        extraInstances: extra,
        scaleOutAt: w.scaleOutAt.toISOString(),
        scaleInAt: w.scaleInAt.toISOString(),
        hours,
        eurPerInstanceHour: perInstance,
        extraEur: round2(extra * hours * perInstance),
      });
    }
  }
  const names = [...new Set([...tiers].sort((a, b) => a.scaleOutAt.localeCompare(b.scaleOutAt)).map((t) => t.campaign))];
  const summaries = names.map((campaign) => {
    const ts = tiers.filter((t) => t.campaign === campaign);
    return {
      campaign,
      month: starts.get(campaign)!.slice(0, 7),
      hours: Math.max(...ts.map((t) => t.hours)),
      extraInstances: sum(ts.map((t) => t.extraInstances)),
      extraEur: round2(sum(ts.map((t) => t.extraEur))),
    };
  });
  const campaigns = summaries.map((s) => ({
    ...s,
    monthTotalEur: round2(baseline + sum(summaries.filter((o) => o.month === s.month).map((o) => o.extraEur))),
  }));
  return { campaigns, campaignTiers: tiers };
}
