import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { Flavor } from '../compute/flavor';
import { IServerTier } from '../compute/server-cluster';
import { HostingStacksError, requireIntegerInRange, requireUnique } from '../core/errors';
import { requireEnumValue } from '../core/choices';
import { snakeCasePath } from '../core/naming';
import { stableOutput } from '../core/outputs';
import { ExternalNetwork } from '../network/external-network';
import { PrivateVSwitch } from '../network/private-vswitch';
import { HaproxyBalancer, HaproxyTlsOptions } from './haproxy-balancer';
import { HealthCheck } from './health-check';
import { DEFAULT_CONCURRENT_USERS_PER_COUNTRY, HttpTarget, IHttpEntryBalancer } from './http-balancer';
import { LoadShedding } from './load-shedding';
import { OctaviaBalancer, OctaviaTlsOptions } from './octavia-balancer';
import { Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';

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

/** Props of {@link CountryEntrances}. */
export interface CountryEntrancesProps {
  /** The public-facing vSwitch (DMZ) of the balancers' VIPs; its router needs an external gateway. */
  readonly vswitch: PrivateVSwitch;
  /** The front-end tier every country's balancer targets (members follow its instances). */
  readonly frontends: IServerTier;
  /** HTTP port of the front-ends. @default 80 */
  readonly port?: number;
  /** How the balancers check a front-end. @default HealthCheck.http() (GET /healthz, 200) */
  readonly healthCheck?: HealthCheck;
  /** ISO 3166-1 alpha-2 codes, upper case, one entry per country (a shop's channels: no default). */
  readonly countries: readonly string[];
  /** Which balancer each country gets. @default BalancerKind.OCTAVIA */
  readonly kind?: BalancerKind;
  /** Peak concurrent users of one country; each balancer is sized for it. @default DEFAULT_CONCURRENT_USERS_PER_COUNTRY (1,000) */
  readonly concurrentUsersPerCountry?: number;
  /** Peak concurrent users of all countries together; at least one country's peak, at most all countries at their peak. @default - every country at its peak at once (concurrentUsersPerCountry x countries) */
  readonly concurrentUsersTotal?: number;
  /** The only network SSH to the haproxy nodes is allowed from. Required with KEEPALIVED_HAPROXY, unused with OCTAVIA. @default - none */
  readonly adminCidr?: string;
  /** Octavia flavor id of every country's balancer (OCTAVIA only; see OctaviaSize). @default - the cloud's default flavor */
  readonly octaviaFlavorId?: string;
  /** Flavor of the haproxy nodes (KEEPALIVED_HAPROXY only). @default Flavor.fromSizing(DEFAULT_VRRP_SIZING) */
  readonly haproxyFlavor?: Flavor;
  /** Public network of the floating IPs. @default ExternalNetwork.ovh() */
  readonly externalNetwork?: ExternalNetwork;
  /** Load shedding of every country's haproxy pair to the same mini-site (KEEPALIVED_HAPROXY only). @default - none */
  readonly loadShedding?: LoadShedding;
  /** HTTPS on every country's haproxy pair, one certificate bundle naming every country's host names (KEEPALIVED_HAPROXY only). @default - HTTP only */
  readonly tls?: HaproxyTlsOptions;
  /** HTTPS on every country's Octavia balancer, the same Barbican certificate and redirect target (OCTAVIA only). @default - HTTP only */
  readonly octaviaTls?: OctaviaTlsOptions;
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
 * members. Octavia by default; a keepalived+haproxy pair per country as the alternative.
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
  /** The kind of balancer. */
  public readonly kind: BalancerKind;
  /** Peak concurrent users per country. */
  public readonly concurrentUsersPerCountry: number;
  /** Peak concurrent users in total. */
  public readonly concurrentUsersTotal: number;
  /** The entries, in the order of `countries`. */
  public readonly entrances: readonly CountryEntrance[];

  constructor(scope: Construct, id: string, props: CountryEntrancesProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'frontends', props.frontends, Kinds.SERVER_TIER);
    optionalPeer(this, 'healthCheck', props.healthCheck, Kinds.HEALTH_CHECK);
    optionalPeer(this, 'haproxyFlavor', props.haproxyFlavor, Kinds.FLAVOR);
    optionalPeer(this, 'externalNetwork', props.externalNetwork, Kinds.EXTERNAL_NETWORK);
    optionalPeer(this, 'loadShedding', props.loadShedding, Kinds.LOAD_SHEDDING);
    optionalPeer(this, 'tls.certificate', props.tls?.certificate, Kinds.SECRET);
    this.kind = requireEnumValue(this, 'kind', props.kind ?? BalancerKind.OCTAVIA, BalancerKind, 'BalancerKind');
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
    if (this.kind === BalancerKind.OCTAVIA) {
      for (const [name, value] of [['loadShedding', props.loadShedding], ['tls', props.tls]] as const) {
        if (value !== undefined) throw new HostingStacksError(this, name, 'given', 'is realised by the haproxy pairs only: use it with BalancerKind.KEEPALIVED_HAPROXY');
      }
    }
    if (this.kind === BalancerKind.KEEPALIVED_HAPROXY && props.octaviaTls !== undefined) {
      throw new HostingStacksError(this, 'octaviaTls', 'given', "is realised by the Octavia balancers only: use 'tls' with BalancerKind.KEEPALIVED_HAPROXY");
    }
    if (this.kind === BalancerKind.KEEPALIVED_HAPROXY && props.adminCidr === undefined) {
      throw new HostingStacksError(this, 'adminCidr', undefined, "is required with BalancerKind.KEEPALIVED_HAPROXY: SSH to the haproxy nodes is only allowed from it");
    }

    const port = props.port ?? 80;
    const healthCheck = (props.healthCheck ?? HealthCheck.http()).validate(this, 'healthCheck');
    this.entrances = this.countries.map((country) => {
      const balancer = this.createBalancer(country, props);
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

  private createBalancer(country: string, props: CountryEntrancesProps): IHttpEntryBalancer {
    if (this.kind === BalancerKind.OCTAVIA) {
      return new OctaviaBalancer(this, country, {
        vswitch: props.vswitch,
        expectedConcurrentUsers: this.concurrentUsersPerCountry,
        flavorId: props.octaviaFlavorId,
        externalNetwork: props.externalNetwork,
        tls: props.octaviaTls,
      });
    }
    return new HaproxyBalancer(this, country, {
      vswitch: props.vswitch,
      adminCidr: props.adminCidr!,
      expectedConcurrentUsers: this.concurrentUsersPerCountry,
      flavor: props.haproxyFlavor,
      externalNetwork: props.externalNetwork,
      hostnamePrefix: `${hostnamePrefix(this.node.id)}-${country.toLowerCase()}`,
      loadShedding: props.loadShedding,
      tls: props.tls,
    });
  }
}

/** `PublicEntry` -> `public-entry`: a construct id as the start of the haproxy nodes' host names. */
function hostnamePrefix(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9-]+/g, '-');
}
