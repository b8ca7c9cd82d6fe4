/**
 * Case study 3: Runiso, SaaS hosting for luxury and e-commerce brands (seeds/002). Three Paris
 * datacenters linked by fibre run the large clients active-active; the databases replicate across
 * sites; "if a datacenter crashes, the application stays available, with a slight loss of
 * capacity". In front: CDN appliances, proxy farms and ADC controllers (cache, reverse proxy, load
 * balancer) whose fine rules shed load: ordering visitors keep the main site, the others are sent
 * to mini-sites that answer more slowly.
 *
 *                  CDN (origins: the three sites)      DNS: www -> the sites in service (outputs)
 *                         |                 |                  |
 *   site a (eu-west-par-a)        site b (eu-west-par-b)        site c (eu-west-par-c)
 *   [Adc: 2 x nginx cache +       [Adc ...]                     [Adc ...]          (front vSwitch,
 *     haproxy, VRRP VIP, FIP]                                                      regional: it spans
 *   [MiniSite: static origin]     [MiniSite]                    [MiniSite]          the three zones)
 *   [App: Tomcat x 2..5]          [App]                         [App]              (app vSwitch)
 *   [Database node a]  <------ Galera, over the data vSwitch only ------>  [node b]  [node c]
 *   [Backup runner: snapshots, volume backups, off-site copies in Gravelines] (app vSwitch)
 *
 * With `regions` each site is a region of its own (a provider alias each): its own router and
 * vSwitches, its own backup runner, and the Galera nodes replicate over a vRack VLAN present in
 * the three regions (a second NIC each), never over the internet.
 */
import { Construct } from 'constructs';
import {
  AppTier,
  BackupSchedule,
  CampaignCalendar,
  CapacityModel,
  ExternalNetwork,
  Flavor,
  GaleraCluster,
  HaproxyBalancer,
  HealthCheck,
  HostingStack,
  HostingStackProps,
  LoadShedding,
  MiniSite,
  NetworkZone,
  OVH_PARIS_3AZ_REGION,
  OVH_PARIS_3AZ_ZONES,
  Port,
  PrivateVSwitch,
  Router,
  ScalingRules,
  ServerCluster,
  Secret,
  Site,
  SiteDns,
  SiteInterconnect,
  SiteFailover,
  StaticContentServer,
  VeeamBackup,
} from '../lib';
import { HostingStacksError, requireIntegerInRange } from '../lib/core/errors';

/** Three datacenters linked by fibre (case study 3). */
export const RUNISO_DATACENTERS = 3;
/** Who runs them: two Equinix sites and Interxion in Saint-Denis (case study 3). */
export const RUNISO_DATACENTER_OPERATORS: readonly string[] = ['Equinix', 'Equinix', 'Interxion (Saint-Denis)'];
/** A young company of 25 employees (case study 3). */
export const RUNISO_EMPLOYEES = 25;
/** Clients named: luxury groups and e-commerce (case study 3). */
export const RUNISO_CLIENTS: readonly string[] = ['Dior', 'Sephora', 'Damart'];
/** Short projects the clients prepare (case study 3): sales, Mother's Day, back to school. */
export const RUNISO_SHORT_PROJECTS: readonly string[] = ['sales', "Mother's Day", 'back to school'];
/** Web-agency developers with 7 years of experience put the projects into production (case study 3). */
export const RUNISO_DEVELOPER_EXPERIENCE_YEARS = 7;

/** OVHcloud's Paris 3-AZ region: Paris, "the nerve centre of the internet in France" (case study 3). */
export const RUNISO_REGION = OVH_PARIS_3AZ_REGION;

/**
 * Concurrent users of a large client's campaign peak (the sales). Our estimate, not the case
 * study's (it gives no traffic figure): a luxury brand's sales opening on a rich-content site.
 */
export const RUNISO_PEAK_CONCURRENT_USERS = 3_000;
/**
 * Concurrent users one application server (b3-16, Tomcat) serves. Our estimate: a personalised,
 * uncached page holds a thread ~0.5 s and a user asks for one every ~10 s; 200 threads would carry
 * 4,000, but the rich pages' CPU, not the threads, is the bound: about 400 on 4 vCPUs.
 */
export const RUNISO_USERS_PER_APP_SERVER = 400;
/** Application servers per site outside campaigns: two, so a site outlives one server. */
export const RUNISO_APP_BASELINE_PER_SITE = 2;
/** Galera nodes per site: one; three sites make the three votes of the quorum. */
export const RUNISO_DATABASE_NODES_PER_SITE = 1;
/**
 * Write transactions a second at the peak, the whole cluster. Our estimate: 3,000 users asking a
 * page every 10 s, one in three a write (cart, loyalty points, campaign tracking): 100.
 */
export const RUNISO_PEAK_WRITES_PER_SECOND = 100;
/** Write-set volume at the peak: 100 writes a second of ~2 KB each, ~720 MB an hour. Our estimate. */
export const RUNISO_WRITE_MB_PER_HOUR = 720;

/**
 * The clients' campaigns over a year (case study 3's short projects), as Paris wall-clock dates,
 * with the peak each must carry. French sales start on dates set by decree (the second Wednesday of
 * January, the last Wednesday of June), Mother's Day is the last Sunday of May (the first of June
 * when Pentecost falls on it), back to school is the first days of September. Peaks are ours.
 */
export function runisoCampaigns(year: number, peak: number = RUNISO_PEAK_CONCURRENT_USERS): readonly { readonly name: string; readonly start: string; readonly end: string; readonly concurrentUsers: number }[] {
  if (!Number.isInteger(year) || year < 2000 || year > 2100) {
    throw HostingStacksError.ofFactory('runisoCampaigns', 'year', year, 'must be a whole year from 2000 to 2100');
  }
  if (!Number.isInteger(peak) || peak < 1) throw HostingStacksError.ofFactory('runisoCampaigns', 'peak', peak, 'must be a whole number of users, 1 or more');
  const day = (month: number, d: number) => new Date(Date.UTC(year, month, d));
  const iso = (d: Date) => `${d.toISOString().slice(0, 10)}T00:00`;
  const plus = (d: Date, days: number) => new Date(d.getTime() + days * 86_400_000);
  const nthWeekday = (month: number, weekday: number, n: number) => {
    const first = day(month, 1);
    return plus(first, ((weekday - first.getUTCDay() + 7) % 7) + 7 * (n - 1));
  };
  const lastWeekday = (month: number, weekday: number) => {
    const last = day(month + 1, 0);
    return plus(last, -((last.getUTCDay() - weekday + 7) % 7));
  };
  const winterSales = nthWeekday(0, 3, 2);
  const summerSales = lastWeekday(5, 3);
  let mothersDay = lastWeekday(4, 0);
  if (mothersDay.getTime() === pentecost(year).getTime()) mothersDay = plus(mothersDay, 7);
  const backToSchool = day(8, 1);
  return [
    // A sale's rush is its opening week (the peak); a gift day's the ten days before it (two thirds
    // of it); back to school spreads over three weeks (half of it). The shares are ours.
    { name: 'winter-sales', start: iso(winterSales), end: iso(plus(winterSales, 7)), concurrentUsers: peak },
    { name: 'mothers-day', start: iso(plus(mothersDay, -10)), end: iso(plus(mothersDay, 1)), concurrentUsers: Math.ceil((peak * 2) / 3) },
    { name: 'summer-sales', start: iso(summerSales), end: iso(plus(summerSales, 7)), concurrentUsers: peak },
    { name: 'back-to-school', start: iso(plus(backToSchool, -14)), end: iso(plus(backToSchool, 7)), concurrentUsers: Math.ceil(peak / 2) },
  ];
}

/** Pentecost Sunday of `year` (Easter + 49 days; Easter by the anonymous Gregorian algorithm). */
function pentecost(year: number): Date {
  const a = year % 19, b = Math.floor(year / 100), c = year % 100, d = Math.floor(b / 4), e = b % 4;
  const f = Math.floor((b + 8) / 25), g = Math.floor((b - f + 1) / 3), h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4), k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7, m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31) - 1, dayOfMonth = ((h + l - 7 * m + 114) % 31) + 1;
  return new Date(Date.UTC(year, month, dayOfMonth + 49));
}

/** The year whose campaigns the stack plans by default. */
export const RUNISO_CAMPAIGN_YEAR = 2027;

/** Cookies that mark a session the cache must never answer: the shop's session (logged in) and its cart. */
export const RUNISO_SESSION_COOKIES: readonly string[] = ['JSESSIONID', 'cart'];
/** Paths that are the visitor's own (cart, checkout, account): never cached, never shed. */
export const RUNISO_ORDERING_PATHS: readonly string[] = ['/cart', '/checkout', '/account'];
/** The mini-site page shed visitors get, from the site's static origin. */
export const RUNISO_MINI_SITE_PAGE = '/mini-site/index.html';

/** The network nobody owns (TEST-NET-3, RFC 5737): until a real admin network is given, SSH is open to no one. */
export const RUNISO_CLOSED_ADMIN_CIDR = '203.0.113.0/24';
/** The CDN nobody runs (TEST-NET-2): until the CDN's pull ranges are given, no one pulls the static origins. */
export const RUNISO_CLOSED_CDN_CIDRS: readonly string[] = ['198.51.100.0/24'];

/**
 * The vRack VLAN joining the sites when they are regions of their own (`regions`). Ours: any VLAN
 * the project's vRack does not use yet (1 to 4000).
 */
export const RUNISO_INTERCONNECT_VLAN_ID = 250;
/** The interconnect's subnet, the same in every region, cut into one slice per site. */
export const RUNISO_INTERCONNECT_CIDR = '10.50.250.0/24';

/** The database nodes, nightly; a week kept; a restore within an hour. Ours: the case study names no backup figure. */
export const RUNISO_BACKUP = { schedule: BackupSchedule.daily('02:30', 'Europe/Paris'), rotation: 7, rtoMinutes: 60 } as const;

/** Props of {@link RunisoStack}; every count and size defaults to the case study's figure or our estimate. */
export interface RunisoStackProps extends HostingStackProps {
  /** OpenStack region of the sites' zones. Not with `regions`. @default RUNISO_REGION ('EU-WEST-PAR') */
  readonly region?: string;
  /** The sites' availability zones, one per datacenter (3 or more). Not with `regions`. @default OVH_PARIS_3AZ_ZONES */
  readonly availabilityZones?: readonly string[];
  /**
   * The sites as regions of their own instead of zones of one region (3 or more, e.g.
   * `['GRA11', 'SBG5', 'RBX-A']`): each site gets a provider alias for its region and its own
   * router and networks; the Galera members replicate over a vRack VLAN present in every region
   * (`interconnectVlanId`), each site backs its node up itself. @default - the zones of `region`
   */
  readonly regions?: readonly string[];
  /** The vRack VLAN joining the regions (with `regions` only). @default RUNISO_INTERCONNECT_VLAN_ID (250) */
  readonly interconnectVlanId?: number;
  /** The public host name of the client's site. @default 'www.runiso-client.example' */
  readonly hostName?: string;
  /** Where the DNS records live. @default SiteDns.external() (OVHcloud has no Designate) */
  readonly dns?: SiteDns;
  /** The only network SSH is allowed from (to the ADC nodes, the jump hosts). @default RUNISO_CLOSED_ADMIN_CIDR */
  readonly adminCidr?: string;
  /** The CDN's pull ranges, the only sources of the static origins. @default RUNISO_CLOSED_CDN_CIDRS (no one) */
  readonly cdnCidrs?: readonly string[];
  /** Concurrent users of the largest campaign's peak. @default RUNISO_PEAK_CONCURRENT_USERS (3,000) */
  readonly peakConcurrentUsers?: number;
  /** Concurrent users one application server serves. @default RUNISO_USERS_PER_APP_SERVER (400) */
  readonly usersPerAppServer?: number;
  /** Application servers per site outside campaigns (1 or more). @default RUNISO_APP_BASELINE_PER_SITE (2) */
  readonly appBaselinePerSite?: number;
  /** Application server flavor. @default Flavor.named('b3-16') */
  readonly appFlavor?: Flavor;
  /** Galera nodes per site. @default RUNISO_DATABASE_NODES_PER_SITE (1) */
  readonly databaseNodesPerSite?: number;
  /** Database flavor. @default Flavor.named('r3-32') */
  readonly databaseFlavor?: Flavor;
  /** The year whose campaigns are planned. @default RUNISO_CAMPAIGN_YEAR (2027) */
  readonly campaignYear?: number;
  /** Public network of the router and the entries. @default ExternalNetwork.ovh() */
  readonly externalNetwork?: ExternalNetwork;
  /** HTTPS on the entries (Mozilla intermediate), its PEM bundle a Terraform variable. @default true */
  readonly https?: boolean;
}

/** One site of the stack: an availability zone running the whole application. */
export interface RunisoSite {
  /** The site (its zone). */
  readonly site: Site;
  /** The ADC pair: nginx cache, haproxy balancing and load shedding, on a VIP with a floating IP. */
  readonly adc: HaproxyBalancer;
  /** The static origin of the CDN and the mini-site shed visitors get. */
  readonly miniSite: StaticContentServer;
  /** The application servers. */
  readonly app: AppTier;
  /** Their campaign scaling. */
  readonly scaling: ScalingRules;
  /** The site's networks: shared by every site when they are zones of one region, its own when it is a region. */
  readonly vswitches: { readonly front: PrivateVSwitch; readonly app: PrivateVSwitch; readonly data: PrivateVSwitch };
  /** The backup of the site's database node: the stack's one, or the site's own when it is a region. */
  readonly backup: VeeamBackup;
}

/** The Runiso architecture on OpenStack: three sites active-active. */
export class RunisoStack extends HostingStack {
  /** The sites, in zone order. */
  public readonly sites: readonly RunisoSite[];
  /** The database, replicated across the sites. */
  public readonly database: GaleraCluster;
  /** The campaigns (the clients' short projects). */
  public readonly campaigns: CampaignCalendar;
  /** DNS records and CDN origins that move traffic to the surviving sites. */
  public readonly failover: SiteFailover;
  /** Backups of the database nodes (the first site's when the sites are regions: each has its own, in {@link RunisoSite.backup}). */
  public readonly backup: VeeamBackup;
  /** The link between the sites when they are regions of their own. */
  public readonly interconnect?: SiteInterconnect;
  /** Application servers each site needs at the largest peak, with one site lost. */
  public readonly appServersPerSiteAtPeak: number;
  /** The vSwitches, by role (each spans the region's zones; the first site's when the sites are regions). */
  public readonly vswitches: { readonly front: PrivateVSwitch; readonly app: PrivateVSwitch; readonly data: PrivateVSwitch };

  constructor(scope: Construct, id: string, props: RunisoStackProps = {}) {
    const regions = props.regions;
    // The stack's own provider takes the first site's region when the sites are regions.
    const region = Array.isArray(regions) && typeof regions[0] === 'string' ? regions[0] : props.region ?? RUNISO_REGION;
    super(scope, id, { ...props, region });
    const externalNetwork = props.externalNetwork ?? ExternalNetwork.ovh();
    const hostName = props.hostName ?? 'www.runiso-client.example';
    let sites: Site[];
    let networks: { front: PrivateVSwitch; app: PrivateVSwitch; data: PrivateVSwitch }[];
    if (regions === undefined) {
      if (props.interconnectVlanId !== undefined) throw new HostingStacksError(this, 'interconnectVlanId', props.interconnectVlanId, "is for sites that are regions of their own: give 'regions' too");
      const zones = props.availabilityZones ?? OVH_PARIS_3AZ_ZONES;
      if (!Array.isArray(zones) || zones.length < 3) {
        throw new HostingStacksError(this, 'availabilityZones', zones, 'must list 3 or more zones: with two, losing one leaves no majority for the database');
      }
      const router = new Router(this, 'Router', { externalNetwork });
      // In a 3-AZ region networks are regional: one vSwitch per role spans the three zones, so the
      // sites replicate over the private network (the fibre between the datacenters), never the internet.
      const front = new PrivateVSwitch(this, 'Front', { cidr: '10.50.1.0/24', router, zone: NetworkZone.DMZ });
      const app = new PrivateVSwitch(this, 'App', { cidr: '10.50.2.0/24', router, zone: NetworkZone.APPLICATION });
      const data = new PrivateVSwitch(this, 'Data', { cidr: '10.50.3.0/24', router, zone: NetworkZone.DATA });
      sites = zones.map((zone, i) => new Site(this, `Site${String.fromCharCode(65 + i)}`, { availabilityZone: zone }));
      networks = sites.map(() => ({ front, app, data }));
    } else {
      for (const [prop, given] of [['region', props.region], ['availabilityZones', props.availabilityZones]] as const) {
        if (given !== undefined) throw new HostingStacksError(this, prop, given, "must not be given with 'regions': each site is a region of its own");
      }
      if (!Array.isArray(regions) || regions.length < 3 || new Set(regions).size !== regions.length) {
        throw new HostingStacksError(this, 'regions', regions, 'must list 3 or more distinct regions: with two, losing one leaves no majority for the database');
      }
      if (regions.length > 8) throw new HostingStacksError(this, 'regions', regions, 'must list at most 8 regions: each role\'s networks are /24s side by side in one /21 (10.50.8.0, 10.50.16.0, 10.50.24.0), eight at most');
      sites = regions.map((r, i) => new Site(this, `Site${String.fromCharCode(65 + i)}`, { region: r, siteName: String.fromCharCode(97 + i) }));
      // Each region its own router and networks (a region's networks are its own); the roles' blocks
      // side by side, so one /21 per role names every site's (the database account's client block).
      networks = sites.map((site, i) => {
        const router = new Router(site, 'Router', { externalNetwork });
        return {
          front: new PrivateVSwitch(site, 'FrontNet', { cidr: `10.50.${8 + i}.0/24`, router, zone: NetworkZone.DMZ }),
          app: new PrivateVSwitch(site, 'AppNet', { cidr: `10.50.${16 + i}.0/24`, router, zone: NetworkZone.APPLICATION }),
          data: new PrivateVSwitch(site, 'DataNet', { cidr: `10.50.${24 + i}.0/24`, router, zone: NetworkZone.DATA }),
        };
      });
      this.interconnect = new SiteInterconnect(this, 'Interconnect', {
        cidr: RUNISO_INTERCONNECT_CIDR,
        vlanId: props.interconnectVlanId ?? RUNISO_INTERCONNECT_VLAN_ID,
        sites,
      });
    }
    this.vswitches = networks[0];
    const { app } = networks[0];

    this.database = new GaleraCluster(this, 'Database', {
      ...(this.interconnect
        ? { siteVswitches: networks.map((n) => n.data), interconnect: this.interconnect }
        : { vswitch: networks[0].data }),
      sites,
      nodesPerSite: props.databaseNodesPerSite ?? RUNISO_DATABASE_NODES_PER_SITE,
      flavor: props.databaseFlavor ?? Flavor.named('r3-32'),
      databaseName: 'runiso',
      applicationClientCidr: this.interconnect ? '10.50.16.0/21' : app.cidr,
      hostnamePrefix: 'db',
      writeMbPerHour: RUNISO_WRITE_MB_PER_HOUR,
      peakWritesPerSecond: RUNISO_PEAK_WRITES_PER_SECOND,
    });

    // Sized so that the sites but one carry the peak: each site takes 1 / (sites - 1) of the users.
    const peak = props.peakConcurrentUsers ?? RUNISO_PEAK_CONCURRENT_USERS;
    requireIntegerInRange(this, 'peakConcurrentUsers', peak, 1, 10_000_000);
    const usersPerAppServer = props.usersPerAppServer ?? RUNISO_USERS_PER_APP_SERVER;
    requireIntegerInRange(this, 'usersPerAppServer', usersPerAppServer, 1, 100_000);
    const baseline = props.appBaselinePerSite ?? RUNISO_APP_BASELINE_PER_SITE;
    requireIntegerInRange(this, 'appBaselinePerSite', baseline, 1, 100);
    const year = props.campaignYear ?? RUNISO_CAMPAIGN_YEAR;
    const demandShare = 1 / (sites.length - 1);
    // The peak x the site's share x 20 % headroom (CapacityModel's default), in servers.
    this.appServersPerSiteAtPeak = Math.max(baseline, Math.ceil((peak * demandShare * 1.2) / usersPerAppServer - 1e-9));
    this.campaigns = new CampaignCalendar(this, 'Campaigns', { timeZone: 'Europe/Paris' });
    for (const c of runisoCampaigns(year, peak)) this.campaigns.addCampaign(c.name, { start: c.start, end: c.end, peak: { concurrentUsers: c.concurrentUsers } });

    const tls = (props.https ?? true) ? { certificate: Secret.variable(this, 'site_tls_pem', 'PEM bundle (certificate chain and private key) of the client site host names') } : undefined;
    const adminCidr = props.adminCidr ?? RUNISO_CLOSED_ADMIN_CIDR;
    const built = sites.map((site, i) => {
      const s = site.siteName;
      const { front, app } = networks[i];
      const miniSite = new StaticContentServer(site, 'MiniSite', {
        vswitch: front,
        flavor: Flavor.named('b3-8'),
        hostNames: [hostName],
        cdnCidrs: [...(props.cdnCidrs ?? RUNISO_CLOSED_CDN_CIDRS)],
        externalNetwork,
        hostnamePrefix: `static-${s}`,
      });
      const tier = new AppTier(site, 'App', {
        vswitch: app,
        count: baseline,
        minCount: baseline,
        maxCount: this.appServersPerSiteAtPeak,
        flavor: props.appFlavor ?? Flavor.named('b3-16'),
        database: this.database.endpointFor(site),
        hostnamePrefix: `app-${s}`,
      });
      const scaling = new ScalingRules(site, 'Scaling', {
        tier,
        capacity: CapacityModel.forTier(tier, { usersPerInstance: usersPerAppServer, demandShare }),
        calendar: this.campaigns,
      });
      const adc = new HaproxyBalancer(site, 'Adc', {
        vswitch: front,
        adminCidr,
        externalNetwork,
        hostnamePrefix: `adc-${s}`,
        expectedConcurrentUsers: Math.ceil(peak * demandShare),
        tls,
        // Délestage (case study 3): when the site's servers are saturated, visitors who are ordering
        // stay on them, served first; the others get the mini-site from the static origin.
        loadShedding: LoadShedding.toMiniSite({
          miniSite: MiniSite.fromBackend(miniSite, { hostHeader: hostName, page: RUNISO_MINI_SITE_PAGE }),
          perServerCapacity: tier.maxThreads,
          orderingPaths: RUNISO_ORDERING_PATHS,
          orderingCookie: 'cart',
        }),
        // The ADC's cache for the most requested parts of the site: never for a session or a cart.
        cache: { bypassCookies: RUNISO_SESSION_COOKIES, bypassPaths: RUNISO_ORDERING_PATHS },
      });
      adc.addTarget(tier, { port: tier.backendPort, healthCheck: HealthCheck.http({ path: tier.healthCheckPath }) });
      // SSH: each site's ADC nodes are its jump hosts, reached from adminCidr only.
      for (const t of [tier, miniSite]) t.connections.allowFrom(adc.nodes, Port.tcp(22), `SSH from the jump hosts of site ${s}`);
      // A site that is a region backs its own node up (its runner uses its region's API).
      const backup = this.interconnect ? this.siteBackup(site, site.region!, app, adc, [this.database.siteClusters[i]], `the jump hosts of site ${s}`) : undefined;
      return { site, adc, miniSite, app: tier, scaling, vswitches: networks[i], backup };
    });
    // Zones of one region share one backup runner, made after the sites (its address follows theirs).
    this.backup = built[0].backup ?? this.siteBackup(this, region, app, built[0].adc, [...this.database.siteClusters], 'the jump hosts of the first site');
    this.sites = built.map((x) => ({ ...x, backup: x.backup ?? this.backup }));

    this.failover = new SiteFailover(this, 'Failover', {
      hostName,
      entries: this.sites.map((x) => ({ site: x.site, address: x.adc.floatingIp.address })),
      dns: props.dns,
      healthCheckPath: this.sites[0].app.healthCheckPath,
      originPort: tls ? 443 : 80,
      bypassCookies: RUNISO_SESSION_COOKIES,
      bypassPaths: RUNISO_ORDERING_PATHS,
    });
  }

  /**
   * A backup runner in `scope` (the stack, or a site that is a region) for the database nodes of
   * `servers`. The runner (on the application network) is the data network's jump host: the
   * databases admit SSH from it only, never from the DMZ; operators reach it through `adc`'s nodes.
   */
  private siteBackup(scope: Construct, region: string, app: PrivateVSwitch, adc: HaproxyBalancer, servers: ServerCluster[], jumpHosts: string): VeeamBackup {
    const site = Site.of(scope);
    const backup = new VeeamBackup(scope, 'Backup', { vswitch: app, region, ...(site ? { hostnamePrefix: `backup-runner-${site.siteName}` } : {}) });
    backup.addPolicy('database', { servers, ...RUNISO_BACKUP, volumeBackups: true, offsiteCopy: true });
    backup.runner.connections.allowFrom(adc.nodes, Port.tcp(22), `SSH from ${jumpHosts} (restores)`);
    for (const cluster of servers) {
      this.database.endpointFor(this.database.sites[this.database.siteClusters.indexOf(cluster)]).connections.allowFrom(backup.runner, Port.tcp(22), 'SSH from the backup runner (restores, administration)');
    }
    return backup;
  }
}
