import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { Flavor } from '../compute/flavor';
import { IServerTier } from '../compute/server-cluster';
import { HostingStacksError, requireIntegerInRange, requireUnique } from '../core/errors';
import { snakeCasePath } from '../core/naming';
import { stableOutput } from '../core/outputs';
import { ExternalNetwork } from '../network/external-network';
import type { IPrivateVSwitch } from '../network/private-vswitch';
import { HaproxyBalancer, HaproxyTlsOptions } from './haproxy-balancer';
import { HealthCheck } from './health-check';
import { DEFAULT_CONCURRENT_USERS_PER_COUNTRY, HttpTarget, IHttpEntryBalancer } from './http-balancer';
import { LoadShedding } from './load-shedding';
import { OctaviaBalancer, OctaviaTlsOptions } from './octavia-balancer';
import {
  brand, brandedKind, describeValue, hasBrand, Kinds, optionalPeer, PeerKind, requireFactoryOptions, requireOptions, requirePeer, requireProps,
} from '../core/peers';

/** Which balancer realises each country's entry. */
export enum BalancerKind {
  /** OpenStack-managed load balancer (Octavia; OVHcloud Public Cloud Load Balancer). */
  OCTAVIA = 'octavia',
  /** Two self-managed nodes per country: keepalived VRRP for the VIP, haproxy for HTTP. */
  KEEPALIVED_HAPROXY = 'keepalived-haproxy',
}

/**
 * Every ISO 3166-1 alpha-2 code officially assigned (249), as of the 2024 list (the last change,
 * the Netherlands Antilles' split into BQ, CW and SX, dates from 2010).
 */
export const ISO_3166_ALPHA2_CODES: ReadonlySet<string> = new Set((
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ '
  + 'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR '
  + 'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP '
  + 'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT '
  + 'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW '
  + 'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG '
  + 'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
).split(' '));

/** Options of {@link EntryBalancer.octavia}. */
export interface OctaviaEntryOptions {
  /** Octavia flavor id of every country's balancer (see OctaviaSize; `openstack loadbalancer flavor list` in the region). @default - the cloud's default flavor */
  readonly flavorId?: string;
  /** HTTPS on every country's balancer: the same Barbican certificate and redirect target. @default - HTTP only */
  readonly tls?: OctaviaTlsOptions;
}

/** Options of {@link EntryBalancer.haproxyPair}. */
export interface HaproxyPairEntryOptions {
  /** The only network SSH to the haproxy nodes is allowed from (an administrators', office or VPN network, /16 or narrower). */
  readonly adminCidr: string;
  /** Flavor of the haproxy nodes. @default Flavor.fromSizing(DEFAULT_VRRP_SIZING) */
  readonly flavor?: Flavor;
  /** Load shedding of every country's pair to the same mini-site. @default - none: every request queues for the members */
  readonly loadShedding?: LoadShedding;
  /** HTTPS on every country's pair, one certificate bundle naming every country's host names. @default - HTTP only */
  readonly tls?: HaproxyTlsOptions;
}

/** What every kind of entry balancer takes from the entrances it serves: {@link EntryBalancer.createBalancer}'s props. */
export interface EntryBalancerProps {
  /** The vSwitch of the VIP (the DMZ); its router needs an external gateway. */
  readonly vswitch: IPrivateVSwitch;
  /** Concurrent users the entry is sized for. @default DEFAULT_CONCURRENT_USERS_PER_COUNTRY (1,000) */
  readonly expectedConcurrentUsers?: number;
  /** Public network of the floating IP. @default ExternalNetwork.ovh() */
  readonly externalNetwork?: ExternalNetwork;
  /** Host name prefix of self-managed nodes (`<prefix>-1`, `<prefix>-2`); unused by Octavia. @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
}

/** The option keys of each factory: anything else is refused, an option of the other kind included. */
const OCTAVIA_ENTRY_OPTIONS: readonly (keyof OctaviaEntryOptions)[] = ['flavorId', 'tls'];
const HAPROXY_PAIR_ENTRY_OPTIONS: readonly (keyof HaproxyPairEntryOptions)[] = ['adminCidr', 'flavor', 'loadShedding', 'tls'];

/**
 * Which balancer realises a public entry, with the options only that balancer has: the choice of
 * {@link CountryEntrancesProps.entryBalancer}. `EntryBalancer.octavia({ flavorId, tls })` for an
 * OpenStack-managed load balancer, `EntryBalancer.haproxyPair({ adminCidr, flavor, loadShedding, tls })`
 * for two self-managed keepalived+haproxy nodes. An option of the other kind is refused by the
 * factory (unknown keys are errors), so no option can be given to a balancer that would ignore it.
 *
 * The factories check their own options (the keys, `adminCidr` given, the kinds of `flavor` and
 * `loadShedding`); values inside the nested `tls` options are checked by the balancer that
 * receives them, whose error names its path.
 */
export abstract class EntryBalancer {
  /** True when `x` is an {@link EntryBalancer} (a `Symbol.for` brand: look-alike objects are not). */
  public static isEntryBalancer(x: unknown): x is EntryBalancer {
    return hasBrand(x, 'EntryBalancer');
  }

  /**
   * An OpenStack-managed load balancer per entry ({@link OctaviaBalancer}; OVHcloud Public Cloud Load
   * Balancer): no servers to run, no load shedding.
   */
  public static octavia(options: OctaviaEntryOptions = {}): EntryBalancer {
    return new OctaviaEntry(requireFactoryOptions<OctaviaEntryOptions>('EntryBalancer.octavia', options, [...OCTAVIA_ENTRY_OPTIONS]));
  }

  /**
   * Two self-managed nodes per entry ({@link HaproxyBalancer}): keepalived VRRP for the VIP, haproxy
   * for HTTP, with load shedding to a mini-site as an option. SSH to the nodes comes from `adminCidr` only.
   */
  public static haproxyPair(options: HaproxyPairEntryOptions): EntryBalancer {
    const factory = 'EntryBalancer.haproxyPair';
    const checked = requireFactoryOptions<HaproxyPairEntryOptions>(factory, options, [...HAPROXY_PAIR_ENTRY_OPTIONS]);
    if (typeof checked.adminCidr !== 'string') {
      throw HostingStacksError.ofFactory(factory, 'options.adminCidr', describeValue(checked.adminCidr),
        "is required: a CIDR string, e.g. '203.0.113.0/24', the only network SSH to the haproxy nodes is allowed from");
    }
    factoryPeer(factory, 'options.flavor', checked.flavor, Kinds.FLAVOR);
    factoryPeer(factory, 'options.loadShedding', checked.loadShedding, Kinds.LOAD_SHEDDING);
    return new HaproxyPairEntry(checked);
  }

  protected constructor() {
    brand(this, 'EntryBalancer');
  }

  /** The kind of balancer this choice makes. */
  public abstract get kind(): BalancerKind;

  /**
   * Creates one entry balancer in `scope` with id `id` (a country code, for {@link CountryEntrances}),
   * from the props every kind takes and this choice's own options.
   */
  public abstract createBalancer(scope: Construct, id: string, props: EntryBalancerProps): IHttpEntryBalancer;
}

/** `value` when it is undefined or of `kind`; a {@link HostingStacksError} naming `factory` otherwise. */
function factoryPeer<T>(factory: string, prop: string, value: unknown, kind: PeerKind<T>): void {
  if (value !== undefined && !kind.is(value)) {
    throw HostingStacksError.ofFactory(factory, prop, describeValue(value, kind.secret), `must be ${kind.allowed}`);
  }
}

class OctaviaEntry extends EntryBalancer {
  constructor(private readonly options: OctaviaEntryOptions) {
    super();
  }
  public get kind(): BalancerKind {
    return BalancerKind.OCTAVIA;
  }
  public createBalancer(scope: Construct, id: string, props: EntryBalancerProps): IHttpEntryBalancer {
    return new OctaviaBalancer(scope, id, {
      vswitch: props.vswitch,
      expectedConcurrentUsers: props.expectedConcurrentUsers,
      flavorId: this.options.flavorId,
      externalNetwork: props.externalNetwork,
      tls: this.options.tls,
    });
  }
}

class HaproxyPairEntry extends EntryBalancer {
  constructor(private readonly options: HaproxyPairEntryOptions) {
    super();
  }
  public get kind(): BalancerKind {
    return BalancerKind.KEEPALIVED_HAPROXY;
  }
  public createBalancer(scope: Construct, id: string, props: EntryBalancerProps): IHttpEntryBalancer {
    return new HaproxyBalancer(scope, id, {
      vswitch: props.vswitch,
      adminCidr: this.options.adminCidr,
      expectedConcurrentUsers: props.expectedConcurrentUsers,
      flavor: this.options.flavor,
      externalNetwork: props.externalNetwork,
      hostnamePrefix: props.hostnamePrefix,
      loadShedding: this.options.loadShedding,
      tls: this.options.tls,
    });
  }
}

/** What `entryBalancer` takes. */
const ENTRY_BALANCER: PeerKind<EntryBalancer> = brandedKind<EntryBalancer>('EntryBalancer',
  'an EntryBalancer (EntryBalancer.octavia({ flavorId, tls }) or EntryBalancer.haproxyPair({ adminCidr, flavor, loadShedding, tls }))');

/** The keys of {@link CountryEntrancesProps}: anything else (a prop of another construct, a misspelling) is refused. */
const COUNTRY_ENTRANCES_PROPS: readonly (keyof CountryEntrancesProps)[] = [
  'vswitch', 'frontends', 'port', 'healthCheck', 'countries', 'entryBalancer', 'concurrentUsersPerCountry', 'concurrentUsersTotal', 'externalNetwork',
];

/** Props of {@link CountryEntrances}. */
export interface CountryEntrancesProps {
  /** The public-facing vSwitch (DMZ) of the balancers' VIPs; its router needs an external gateway. */
  readonly vswitch: IPrivateVSwitch;
  /** The front-end tier every country's balancer targets (members follow its instances). */
  readonly frontends: IServerTier;
  /** HTTP port of the front-ends. @default 80 */
  readonly port?: number;
  /** How the balancers check a front-end. @default HealthCheck.http() (GET /healthz, 200) */
  readonly healthCheck?: HealthCheck;
  /** ISO 3166-1 alpha-2 codes, upper case, one entry per country (a shop's channels: no default). */
  readonly countries: readonly string[];
  /** Which balancer each country gets, with that balancer's own options. @default EntryBalancer.octavia() */
  readonly entryBalancer?: EntryBalancer;
  /** Peak concurrent users of one country; each balancer is sized for it. @default DEFAULT_CONCURRENT_USERS_PER_COUNTRY (1,000) */
  readonly concurrentUsersPerCountry?: number;
  /** Peak concurrent users of all countries together; at least one country's peak, at most all countries at their peak. @default - every country at its peak at once (concurrentUsersPerCountry x countries) */
  readonly concurrentUsersTotal?: number;
  /** Public network of the floating IPs. @default ExternalNetwork.ovh() */
  readonly externalNetwork?: ExternalNetwork;
}

/** One country's public entry. */
export interface CountryEntrance {
  /** ISO 3166-1 alpha-2 code. */
  readonly country: string;
  /** The balancer (construct id: the country code). */
  readonly balancer: IHttpEntryBalancer;
  /** The front-end tier behind it. */
  readonly target: HttpTarget;
  /** The public address (the floating IP's `address`, known at apply). */
  readonly publicAddress: string;
  /** The Terraform output holding the public address (construct id `PublicAddress-<code>`, named `<path>_<code>_public_address`: `entrances_es_public_address`). */
  readonly output: TerraformOutput;
}

/**
 * One public entry per country (case study 5: "one load balancer per country, round-robin, no
 * session persistence"): a balancer with a floating IP on the DMZ vSwitch for each country code,
 * each sized for one country's peak and targeting the same front-end tier, whose instances are the
 * members. Octavia by default (`EntryBalancer.octavia()`); a keepalived+haproxy pair per country
 * with `entryBalancer: EntryBalancer.haproxyPair({ adminCidr, ... })` as the alternative.
 *
 * Users: each balancer is sized for `concurrentUsersPerCountry`. The total must lie between one
 * country's peak and all countries at their peak at once (`perCountry <= total <= perCountry x
 * countries`): below, a single country's peak would exceed the whole; above, the entries together
 * could not carry it.
 *
 * Construct ids: one child per country code (`ES`, `FR` ...), and `PublicAddress-<code>` outputs,
 * named `<path in snake case>_<code>_public_address` in Terraform (`entrances_es_public_address`).
 */
export class CountryEntrances extends Construct {
  /** The country codes, in order. */
  public readonly countries: readonly string[];
  /** The kind of balancer, that of `entryBalancer`. */
  public readonly kind: BalancerKind;
  /** Which balancer each country gets, with its options (`EntryBalancer.octavia()` when none was given). */
  public readonly entryBalancer: EntryBalancer;
  /** Peak concurrent users per country. */
  public readonly concurrentUsersPerCountry: number;
  /** Peak concurrent users in total. */
  public readonly concurrentUsersTotal: number;
  /** The entries, in the order of `countries`. */
  public readonly entrances: readonly CountryEntrance[];

  constructor(scope: Construct, id: string, props: CountryEntrancesProps) {
    super(scope, id);
    requireProps(this, props);
    requireOptions<CountryEntrancesProps>(this, 'props', props, [...COUNTRY_ENTRANCES_PROPS]);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'frontends', props.frontends, Kinds.SERVER_TIER);
    optionalPeer(this, 'healthCheck', props.healthCheck, Kinds.HEALTH_CHECK);
    optionalPeer(this, 'externalNetwork', props.externalNetwork, Kinds.EXTERNAL_NETWORK);
    this.entryBalancer = optionalPeer(this, 'entryBalancer', props.entryBalancer, ENTRY_BALANCER) ?? EntryBalancer.octavia();
    this.kind = this.entryBalancer.kind;
    if (!Array.isArray(props.countries) || props.countries.length === 0) {
      throw new HostingStacksError(this, 'countries', props.countries ?? [], "must name at least one country (ISO 3166-1 alpha-2 codes in upper case, e.g. ['ES', 'FR'])");
    }
    this.countries = [...props.countries];
    for (const code of this.countries) {
      if (!ISO_3166_ALPHA2_CODES.has(code)) {
        const hint = ISO_3166_ALPHA2_CODES.has(String(code).toUpperCase()) ? ` (write '${String(code).toUpperCase()}')` : '';
        throw new HostingStacksError(this, 'countries', code, `is not an ISO 3166-1 alpha-2 country code in upper case${hint}, e.g. 'ES', 'FR', 'GB'`);
      }
    }
    requireUnique(this, 'countries', this.countries);

    this.concurrentUsersPerCountry = props.concurrentUsersPerCountry ?? DEFAULT_CONCURRENT_USERS_PER_COUNTRY;
    requireIntegerInRange(this, 'concurrentUsersPerCountry', this.concurrentUsersPerCountry, 1, 1_000_000);
    this.concurrentUsersTotal = props.concurrentUsersTotal ?? this.concurrentUsersPerCountry * this.countries.length;
    requireIntegerInRange(this, 'concurrentUsersTotal', this.concurrentUsersTotal, 1, 1_000_000 * this.countries.length);
    if (this.concurrentUsersTotal < this.concurrentUsersPerCountry) {
      throw new HostingStacksError(this, 'concurrentUsersTotal', this.concurrentUsersTotal,
        `must be at least 'concurrentUsersPerCountry' (${this.concurrentUsersPerCountry}): one country's peak is part of the total`);
    }
    const capacity = this.concurrentUsersPerCountry * this.countries.length;
    if (this.concurrentUsersTotal > capacity) {
      throw new HostingStacksError(this, 'concurrentUsersTotal', this.concurrentUsersTotal,
        `must not exceed 'concurrentUsersPerCountry' x countries (${this.concurrentUsersPerCountry} x ${this.countries.length} = ${capacity}): the entries together could not carry it`);
    }
    const port = props.port ?? 80;
    const healthCheck = (props.healthCheck ?? HealthCheck.http()).validate(this, 'healthCheck');
    this.entrances = this.countries.map((country) => {
      const balancer = this.entryBalancer.createBalancer(this, country, {
        vswitch: props.vswitch,
        expectedConcurrentUsers: this.concurrentUsersPerCountry,
        externalNetwork: props.externalNetwork,
        hostnamePrefix: `${hostnamePrefix(this.node.id)}-${country.toLowerCase()}`,
      });
      const target = balancer.addTarget(props.frontends, { port, healthCheck });
      const output = stableOutput(this, `PublicAddress-${country}`, `${snakeCasePath(this)}_${country.toLowerCase()}_public_address`, {
        value: balancer.floatingIp.address,
        description: `Public address of the ${country} entry (${balancer.node.path}): point the country's DNS name or CDN origin at it`,
      });
      return { country, balancer, target, publicAddress: balancer.floatingIp.address, output };
    });
  }

  /** The entry of `country`; throws for a country this construct does not serve. */
  public entranceOf(country: string): CountryEntrance {
    const entrance = this.entrances.find((e) => e.country === country);
    if (!entrance) throw new HostingStacksError(this, 'country', country, `has no entry; the countries are ${this.countries.join(', ')}`);
    return entrance;
  }
}

/** `PublicEntry` -> `public-entry`: a construct id as the start of the haproxy nodes' host names. */
function hostnamePrefix(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9-]+/g, '-');
}
