import { Fn, TerraformOutput, TerraformVariable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { DnsRecordsetV2 } from '../../.gen/providers/openstack/dns-recordset-v2';
import { HostingStacksError, requireIntegerInRange, requireUnique } from '../core/errors';
import { snakeCasePath } from '../core/naming';
import { stableOutput } from '../core/outputs';
import { brand, hasBrand, requireOptions } from '../core/peers';
import { requireText, requireTexts, TextKind } from '../core/text';
import { requireTerraformVariableName } from '../core/choices';
import { Site } from '../compute/site';

/** TTL of the records, in seconds: a client moves to the surviving sites within a minute of a record's removal. */
export const DEFAULT_FAILOVER_TTL_SECONDS = 60;

/** How the stack's DNS records are published. */
export enum SiteDnsKind {
  /** A DNS service outside OpenStack (OVHcloud has no Designate): the stack outputs the records to set there. */
  EXTERNAL = 'external',
  /** Designate recordsets in a zone of the project (`openstack_dns_recordset_v2`). */
  DESIGNATE = 'designate',
}

/** Where the records of a {@link SiteFailover} live. */
export class SiteDns {
  /** True when `x` is a {@link SiteDns}. */
  public static isSiteDns(x: unknown): x is SiteDns {
    return hasBrand(x, 'SiteDns');
  }

  /**
   * Records kept in a DNS service outside OpenStack, OVHcloud's default (no Designate there): the
   * stack outputs them (`<path>_dns_records`), and the operator or a pipeline copies them.
   */
  public static external(): SiteDns {
    return new SiteDns(SiteDnsKind.EXTERNAL);
  }

  /** Designate recordsets in the zone whose id is the Terraform variable `zoneIdVariable`. */
  public static designate(options: { readonly zoneIdVariable?: string } = {}): SiteDns {
    return new SiteDns(SiteDnsKind.DESIGNATE, options.zoneIdVariable ?? 'dns_zone_id');
  }

  private constructor(public readonly kind: SiteDnsKind, public readonly zoneIdVariable?: string) {
    brand(this, 'SiteDns');
  }
}

/** One site's public entry. */
export interface SiteEntry {
  /** The site. */
  readonly site: Site;
  /** Its public address (a floating IP's `address`, a Terraform reference). */
  readonly address: string;
}

/** Props of {@link SiteFailover}. */
export interface SiteFailoverProps {
  /** The public host name every site answers (`www.example.com`). */
  readonly hostName: string;
  /** The sites' entries, one per site. */
  readonly entries: readonly SiteEntry[];
  /** Where the records are published. @default SiteDns.external() */
  readonly dns?: SiteDns;
  /** TTL of the records in seconds (30 to 3600). @default DEFAULT_FAILOVER_TTL_SECONDS (60) */
  readonly ttlSeconds?: number;
  /** Path a health checker (the DNS service's, the CDN's) asks on each site; 200 means the site serves. */
  readonly healthCheckPath: string;
  /** Port and scheme the CDN pulls from. @default 443 and https */
  readonly originPort?: number;
  /** Cookies that mark a logged-in or cart session: the CDN must pass such requests to the origin uncached. @default - none */
  readonly bypassCookies?: readonly string[];
  /** Path prefixes the CDN must never cache (cart, checkout, account). @default - none */
  readonly bypassPaths?: readonly string[];
}

/**
 * How traffic reaches the surviving sites of an active-active stack when one fails, without a
 * global load balancer in OpenStack:
 *
 * - **DNS.** One round-robin `A` record of the public name holding every site in service, with a
 *   short TTL, and one `origin-<site>` record per site. A Terraform variable per site
 *   (`<path>_site_<name>_in_service`, default true) takes a site out of the round-robin record:
 *   `terraform apply -var <path>_site_a_in_service=false`. With Designate the stack owns the
 *   recordsets; elsewhere (OVHcloud) it outputs them (`<path>_dns_records`) for a DNS service
 *   that health-checks the sites and drops a failed one by itself.
 * - **CDN.** The CDN in front pulls from the three origins (`<path>_cdn_origins`): each site's
 *   address, the Host header the sites answer, the health check, and what it must not cache. A
 *   CDN with origin health checks fails over within its check interval, before any DNS TTL.
 *
 * Clients that already resolved a failed site's address retry another record (browsers try
 * every address of a name when a connection is refused or times out).
 */
export class SiteFailover extends Construct {
  /** The public host name. */
  public readonly hostName: string;
  /** TTL of the records. */
  public readonly ttlSeconds: number;
  /** Where the records are published. */
  public readonly dns: SiteDns;
  /** The per-site variables that keep a site in the round-robin record, by site name. */
  public readonly inService: Readonly<Record<string, TerraformVariable>>;
  /** The output of the records to publish (both kinds of DNS). */
  public readonly dnsRecordsOutput: TerraformOutput;
  /** The output of the CDN's origins. */
  public readonly cdnOriginsOutput: TerraformOutput;
  /** The Designate recordsets, with SiteDns.designate(). */
  public readonly recordsets: readonly DnsRecordsetV2[];

  constructor(scope: Construct, id: string, props: SiteFailoverProps) {
    super(scope, id);
    requireOptions<SiteFailoverProps>(this, 'props', props, ['hostName', 'entries', 'dns', 'ttlSeconds', 'healthCheckPath', 'originPort', 'bypassCookies', 'bypassPaths']);
    this.hostName = requireText(this, 'hostName', props.hostName, TextKind.HOST_NAME);
    if (!this.hostName.includes('.')) throw new HostingStacksError(this, 'hostName', props.hostName, 'must be a fully qualified name with a domain (www.example.com)');
    if (!Array.isArray(props.entries) || props.entries.length < 2) {
      throw new HostingStacksError(this, 'entries', props.entries, 'must list at least two sites: failover needs a site to fail over to');
    }
    props.entries.forEach((e, i) => {
      if (!Site.isSite(e?.site)) throw new HostingStacksError(this, `entries[${i}].site`, e?.site, 'must be a Site');
      if (typeof e.address !== 'string' || e.address.length === 0) throw new HostingStacksError(this, `entries[${i}].address`, e.address, "must be the site's public address (a floating IP's address)");
    });
    requireUnique(this, 'entries', props.entries, (e) => e.site.siteName);
    this.dns = props.dns ?? SiteDns.external();
    if (!SiteDns.isSiteDns(this.dns)) throw new HostingStacksError(this, 'dns', props.dns, 'must be SiteDns.external() or SiteDns.designate(...)');
    this.ttlSeconds = props.ttlSeconds ?? DEFAULT_FAILOVER_TTL_SECONDS;
    requireIntegerInRange(this, 'ttlSeconds', this.ttlSeconds, 30, 3600);
    const healthCheckPath = requireText(this, 'healthCheckPath', props.healthCheckPath, TextKind.URL_PATH);
    const originPort = props.originPort ?? 443;
    requireIntegerInRange(this, 'originPort', originPort, 1, 65535);
    const bypassCookies = requireTexts(this, 'bypassCookies', props.bypassCookies ?? [], TextKind.NAME);
    const bypassPaths = requireTexts(this, 'bypassPaths', props.bypassPaths ?? [], TextKind.URL_PATH);

    const base = snakeCasePath(this);
    const inService: Record<string, TerraformVariable> = {};
    for (const e of props.entries) {
      const name = `${base}_site_${e.site.siteName.replace(/-/g, '_')}_in_service`;
      const v = new TerraformVariable(this, `InService${e.site.siteName}`, {
        type: 'bool',
        default: true,
        nullable: false,
        description: `Whether site ${e.site.siteName} (${e.site.availabilityZone}) is in the round-robin record of ${this.hostName}; set false to send its share to the other sites`,
      });
      v.overrideLogicalId(name);
      inService[e.site.siteName] = v;
    }
    this.inService = inService;
    const serving = Token.asList(Fn.compact(props.entries.map((e) => Fn.conditional(inService[e.site.siteName].booleanValue, e.address, ''))));
    const domain = this.hostName.slice(this.hostName.indexOf('.') + 1);
    const originName = (e: SiteEntry) => `origin-${e.site.siteName}.${domain}`;
    const records = [
      { name: this.hostName, type: 'A', ttl: this.ttlSeconds, records: serving },
      ...props.entries.map((e) => ({ name: originName(e), type: 'A', ttl: this.ttlSeconds, records: [e.address] })),
    ];
    this.dnsRecordsOutput = stableOutput(this, 'DnsRecords', `${base}_dns_records`, {
      value: records,
      description: `DNS records of ${this.hostName}: the round-robin record of the sites in service and one origin record per site (${this.dns.kind === SiteDnsKind.DESIGNATE ? 'kept in Designate by this stack' : 'to set in the DNS service, with a health check of ' + healthCheckPath + ' per site'})`,
    });
    this.cdnOriginsOutput = stableOutput(this, 'CdnOrigins', `${base}_cdn_origins`, {
      value: {
        host_header: this.hostName,
        origins: props.entries.map((e) => ({ name: originName(e), address: e.address, port: originPort, protocol: originPort === 80 ? 'http' : 'https', in_service: inService[e.site.siteName].booleanValue })),
        health_check: { path: healthCheckPath, expect_status: 200, interval_seconds: 10, unhealthy_after: 3 },
        cache: { honour_cache_control: true, bypass_cookies: bypassCookies, bypass_paths: bypassPaths, forward_cookies_for_bypass: true },
      },
      description: `Origin settings of the CDN in front of ${this.hostName}: pull from every site in service, health-check each, never cache a request carrying a session cookie or to a bypassed path`,
    });
    const recordsets: DnsRecordsetV2[] = [];
    if (this.dns.kind === SiteDnsKind.DESIGNATE) {
      requireTerraformVariableName(this, 'dns.zoneIdVariable', this.dns.zoneIdVariable!);
      const zone = new TerraformVariable(this, 'ZoneId', { type: 'string', nullable: false, description: `Designate zone id of ${domain}.` });
      zone.overrideLogicalId(this.dns.zoneIdVariable!);
      records.forEach((r, i) => {
        recordsets.push(new DnsRecordsetV2(this, i === 0 ? 'Record' : `OriginRecord${i}`, { zoneId: zone.stringValue, name: `${r.name}.`, type: r.type, ttl: r.ttl, records: r.records }));
      });
    }
    this.recordsets = recordsets;
  }
}
