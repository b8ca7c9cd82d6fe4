/**
 * Case study 5: Monsieur Déguisement, costume e-commerce for Spain and Europe (seeds/004). Moved from
 * two dedicated servers to a hosted private cloud (VMware + NSX + Veeam) to scale out for campaign
 * peaks: up to 4,250 orders and 240,000 visitors a day, 4,000 concurrent users (1,500 per country).
 *
 *            internet (a CDN pulls static content from the DMZ origin's floating IP, open to cdnCidrs only)
 *      |ES|  |FR|  |PT|  |IT|   one public entry per country (Octavia or keepalived+haproxy)
 *  ------------------------------------------------------------- DMZ vSwitch
 *     [StaticContentServer: NGINX origin for media, skin, js]
 *  ------------------------------------------------------------- access vSwitch
 *     [MagentoFrontends: Apache + PHP-FPM, Magento 1.9 (OpenMage), count .. maxCount]
 *  ------------------------------------------------------------- private data vSwitch
 *     [MysqlReplication]  [RedisServer: sessions + cache instance]  [SolrServer: search]
 *  ------------------------------------------------------------- office vSwitch
 *     [OfficeVpn gateway] -> [BackOffice]   [DeploymentServer (CI/CD)]   [backup runner]
 *     [SharedFiles: NFS for media, mounted by the DMZ, the front-ends and the back-office]
 */
import { TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import {
  BackOffice,
  BackupSchedule,
  CampaignCalendar,
  CapacityModel,
  BalancerKind,
  CountApplier,
  CountryEntrances,
  DeploymentServer,
  EntryBalancer,
  ExternalNetwork,
  Flavor,
  HostingStack,
  HostingStackProps,
  LoadShedding,
  MagentoCode,
  MagentoFrontends,
  MiniSite,
  MysqlReplication,
  NetworkZone,
  NfsBackend,
  OctaviaCertificate,
  OfficePeer,
  OfficeVpn,
  Port,
  PrivateVSwitch,
  PrometheusScaling,
  ReactiveRule,
  RedisInstance,
  RedisServer,
  Router,
  ScalingRules,
  Secret,
  SharedFiles,
  SolrServer,
  StaticContentServer,
  VeeamBackup,
  VpnKind,
} from '../lib';
import { brand, brandedKind, hasBrand, optionalPeer, PeerKind, requireFactoryOptions } from '../lib/core/peers';
import { MONSIEUR_DEGUISEMENT } from './case-study-figures';
import { MD_REFERENCE_YEAR, MD_TIME_ZONE, referenceCampaigns } from './reference-year';

/** Up to 4,250 orders a day at peak (case study 5). */
export const MD_PEAK_ORDERS_PER_DAY: number = MONSIEUR_DEGUISEMENT.peakOrdersPerDay;
/** 240,000 visitors a day in campaigns (case study 5). */
export const MD_CAMPAIGN_VISITORS_PER_DAY: number = MONSIEUR_DEGUISEMENT.campaignVisitorsPerDay;
/** Peaks of 1,500 concurrent users per channel (country) (case study 5). */
export const MD_CONCURRENT_USERS_PER_COUNTRY: number = MONSIEUR_DEGUISEMENT.concurrentUsersPerCountry;
/** 4,000 concurrent users in total (case study 5). */
export const MD_CONCURRENT_USERS_TOTAL: number = MONSIEUR_DEGUISEMENT.concurrentUsersTotal;
/** Four countries (case study 5); the document does not name them: Spain (home) and three neighbours. */
export const MD_COUNTRIES: readonly string[] = ['ES', 'FR', 'PT', 'IT'];

/**
 * Concurrent users one front-end serves. Not in the case study: a b3-8 runs 56 PHP-FPM children
 * (MagentoFrontends' RAM sizing); an uncached Magento 1 page takes about 1 s of a child and a
 * browsing user asks for a page about every 10 s, so one child serves ~10 users: ~500 per server.
 */
export const MD_USERS_PER_FRONTEND = 500;
/** Front-ends outside campaigns: two, so one can fail. */
export const MD_FRONTEND_BASELINE = 2;
/** Front-ends at the campaign peak: 4,000 users / 500 per server, plus 20 % headroom. */
export const MD_FRONTEND_MAX = Math.ceil((MD_CONCURRENT_USERS_TOTAL * 1.2) / MD_USERS_PER_FRONTEND);

/**
 * The Redis VM of the vital VMs ("Redis (sessions cache)", case study 5, which gives it no size).
 * It runs two redis-server processes, not one shared by sessions and Magento's cache: with
 * `noeviction` a growing cache would block logins, and with eviction it would log customers out.
 *
 * Two processes on one VM rather than a second VM: the case study names one Redis VM and its
 * result is -40 % yearly cost, and a second VM would double the Redis bill for a cache. What must
 * be isolated is memory, and each process has its own `maxmemory`: the cache evicts within its
 * share and never takes the sessions'. Redis runs commands on one thread, so two processes also
 * use both vCPUs and a cache flush does not stall session reads. Losing the VM loses both, as with
 * one process; the cache refills from the database, the sessions are in the VM's backups.
 */
export const MD_REDIS_SIZING = { vcpus: 2, ramGb: 4, diskGb: 20 } as const;
/**
 * The sessions' share of the Redis VM: 1 GB, `noeviction`, persisted. Our estimate, not the case
 * study's: 4,000 concurrent users (case study 5) of about 10-minute visits make ~24,000 sessions
 * live within Magento's one-hour cookie lifetime, at ~16 KB each (gzip above 2 KB) ~375 MB. Its
 * fork's copy while rewriting the append-only file takes up to as much again.
 */
export const MD_SESSIONS_MEMORY_FRACTION = 0.25;
/**
 * Magento's cache share: 1.5 GB, `allkeys-lru`, not persisted (it never forks). With the sessions'
 * 1 GB and its fork's copy, 3.5 GB of the 4 GB: 512 MB are left for the kernel and the page cache.
 */
export const MD_CACHE_MEMORY_FRACTION = 0.375;
/** TCP port of the cache instance (the sessions keep Redis's 6379). */
export const MD_CACHE_REDIS_PORT = 6380;

/** OVHcloud region: Gravelines (France), the nearest to Spain. */
export const MD_REGION = 'GRA11';

/** The most front-end addresses the default access network (a /24, beside the back-office and the deployment VM) holds. */
export const MD_ACCESS_SMALL_CAPACITY = 200;

/** The access network's CIDR for `frontendAddressCapacity` front-ends (see `accessCidr`). */
export function mdAccessCidr(frontendAddressCapacity: number | undefined): string {
  return (frontendAddressCapacity ?? 0) > MD_ACCESS_SMALL_CAPACITY ? '10.30.16.0/20' : '10.30.1.0/24';
}

/**
 * "Copies of the most important VMs, a VM restored in minutes" (case study 5): the vital VMs every
 * 4 hours (a day's orders are too many to lose), two days of snapshots, Cinder backups and an
 * off-site copy, a restore within 15 minutes.
 */
export const MD_BACKUP = { schedule: BackupSchedule.everyHours(4, 15, 'Europe/Madrid'), rotation: 12, rtoMinutes: 15 } as const;

/** The NFS server VM's media (when selected): nightly, a week kept, restored within 30 minutes (200 GB). */
export const MD_MEDIA_BACKUP = { schedule: BackupSchedule.daily('03:30', 'Europe/Madrid'), rotation: 7, rtoMinutes: 30 } as const;

/** The shop's address. */
export const MD_BASE_URL = 'https://www.monsieurdeguisement.com/';

/** The mini-site page browsing visitors get while the front-ends are saturated; the back-office publishes it on the media share. */
export const MD_MINI_SITE_PAGE = '/media/mini-site/index.html';

/** Shared media: 65,000+ products with pictures (case study 5); 200 GB leaves room to grow. */
export const MD_MEDIA_SHARE_GB = 200;

/**
 * The office nobody has (TEST-NET-2, RFC 5737) and a WireGuard key whose private half was thrown
 * away: until real offices are given, the VPN admits no one.
 */
export const CLOSED_OFFICE: OfficePeer = {
  name: 'unconfigured-office',
  allowedIps: ['198.51.100.0/24'],
  publicKey: 'vcHCHSbOmBUg3krasCemtI0PN/upWLit5Kd3qM+8NE8=',
};

/**
 * The CDN nobody runs (TEST-NET-1, RFC 5737): until the CDN's egress networks are given, the DMZ
 * origin's public entry answers no one. Case study 5 names a CDN but not its provider.
 */
export const CLOSED_CDN_CIDRS: readonly string[] = ['192.0.2.0/24'];

/** Options of {@link MdEntries.octavia}. */
export interface MdOctaviaEntriesOptions {
  /** Octavia flavor id of the region (`openstack loadbalancer flavor list`). @default - the cloud's default size */
  readonly flavorId?: string;
}

/** Options of {@link MdEntries.haproxyPairs}. */
export interface MdHaproxyEntriesOptions {
  /** Network SSH to the balancer nodes may come from. @default - the first office's network */
  readonly adminCidr?: string;
}

/**
 * How Monsieur Déguisement's per-country entries are realised: Octavia load balancers
 * (`MdEntries.octavia()`, the default: OVHcloud's Public Cloud Load Balancer), or a keepalived +
 * haproxy pair per country (`MdEntries.haproxyPairs()`), which also sheds browsing visitors to the
 * static mini-site when the front-ends are saturated. Each carries its own options only.
 */
export class MdEntries {
  /** True when `x` is an {@link MdEntries} (a `Symbol.for` brand: look-alike objects are not). */
  public static isMdEntries(x: unknown): x is MdEntries {
    return hasBrand(x, 'MdEntries');
  }

  /** Octavia load balancers, one per country. */
  public static octavia(options: MdOctaviaEntriesOptions = {}): MdEntries {
    const o = requireFactoryOptions<MdOctaviaEntriesOptions>('MdEntries.octavia', options, ['flavorId']);
    return new MdEntries(BalancerKind.OCTAVIA, o.flavorId, undefined);
  }

  /** Two keepalived + haproxy nodes per country, sharing a VRRP address. */
  public static haproxyPairs(options: MdHaproxyEntriesOptions = {}): MdEntries {
    const o = requireFactoryOptions<MdHaproxyEntriesOptions>('MdEntries.haproxyPairs', options, ['adminCidr']);
    return new MdEntries(BalancerKind.KEEPALIVED_HAPROXY, undefined, o.adminCidr);
  }

  private constructor(
    /** The realisation. */
    public readonly kind: BalancerKind,
    /** The Octavia flavor id (Octavia entries). */
    public readonly octaviaFlavorId: string | undefined,
    /** The network SSH to the nodes may come from (haproxy pairs). */
    public readonly adminCidr: string | undefined,
  ) {
    brand(this, 'MdEntries');
  }
}

/** The kind of the `entries` prop, for its error message. */
const MD_ENTRIES: PeerKind<MdEntries> = brandedKind<MdEntries>('MdEntries', 'an MdEntries (MdEntries.octavia({ flavorId }) or MdEntries.haproxyPairs({ adminCidr }))');

/** Props of {@link MonsieurDeguisementStack}; every figure defaults to the case study's. */
export interface MonsieurDeguisementStackProps extends HostingStackProps {
  /** OpenStack region. @default MD_REGION ('GRA11') */
  readonly region?: string;
  /** Countries with a public entry of their own. @default MD_COUNTRIES */
  readonly countries?: readonly string[];
  /**
   * How the per-country entries are realised, with the options of that realisation:
   * `MdEntries.octavia({ flavorId })` or `MdEntries.haproxyPairs({ adminCidr })`.
   * @default MdEntries.octavia()
   */
  readonly entries?: MdEntries;
  /** Offices reaching the back-office and the deployment VM through the VPN. @default [CLOSED_OFFICE] */
  readonly offices?: OfficePeer[];
  /** VPN realisation. @default VpnKind.WIREGUARD (OVHcloud has no VPNaaS) */
  readonly vpnKind?: VpnKind;
  /** NFS realisation. @default NfsBackend.MANILA */
  readonly nfsBackend?: NfsBackend;
  /** Where the search server downloads Solr at boot (your mirror or object storage). @default - the Apache archive's URL of DEFAULT_SOLR_VERSION */
  readonly solrTarballUrl?: string;
  /** SHA-512 of that archive. @default DEFAULT_SOLR_SHA512 */
  readonly solrSha512?: string;
  /**
   * Who applies the counts the scaling hook decides. @default CountApplier.githubWorkflow(): the
   * hook dispatches the stack's scaling workflow (variables `scaling_github_repository` and `scaling_dispatch_token`)
   */
  readonly scalingApplier?: CountApplier;
  /** Front-ends running now. @default MD_FRONTEND_BASELINE (2) */
  readonly frontendCount?: number;
  /** Front-ends at most (addresses are reserved up to it). @default MD_FRONTEND_MAX (10) */
  readonly frontendMaxCount?: number;
  /**
   * Addresses reserved for the front-ends on the access network (MagentoFrontends'
   * `addressCapacity`): at least `frontendMaxCount`. Raising it on a deployed stack moves the
   * addresses planned after the tier, once. @default - the library's default (10)
   */
  readonly frontendAddressCapacity?: number;
  /**
   * The access network (front-ends, back-office, deployment VM). It must hold `frontendAddressCapacity`
   * front-ends and the rest. @default - 10.30.1.0/24; 10.30.16.0/20 (about 4,000 addresses) when
   * `frontendAddressCapacity` is over {@link MD_ACCESS_SMALL_CAPACITY}
   */
  readonly accessCidr?: string;
  /**
   * Flavor of the two MariaDB servers. Every front-end's PHP-FPM children may hold a connection, so
   * many front-ends need a larger one (synth says how large). @default 4 vCPU, 16 GB (b3-16)
   */
  readonly databaseFlavor?: Flavor;
  /** Year whose campaigns (carnival, summer sales, Halloween, Black Friday, Christmas) the calendar holds. @default MD_REFERENCE_YEAR */
  readonly campaignYear?: number;
  /** Front-end flavor. @default Flavor.named('b3-8') */
  readonly frontendFlavor?: Flavor;
  /** Shop URL. @default 'https://www.monsieurdeguisement.com/' */
  readonly baseUrl?: string;
  /** Host names the CDN pulls static content with. @default ['static.monsieurdeguisement.com'] */
  readonly staticHostNames?: string[];
  /** The CDN's egress (pull) networks: the only sources the DMZ origin's public entry answers. @default CLOSED_CDN_CIDRS (no one) */
  readonly cdnCidrs?: string[];
  /** Public network of the router, balancers and VPN. @default ExternalNetwork.ovh() */
  readonly externalNetwork?: ExternalNetwork;
  /** Serve the shop and the static host names over HTTPS (Mozilla intermediate); certificates are Terraform variables. @default true */
  readonly https?: boolean;
}

/** The Monsieur Déguisement architecture on OpenStack. */
export class MonsieurDeguisementStack extends HostingStack {
  /** The public entry of each country. */
  public readonly entrances: CountryEntrances;
  /** The Magento front-ends. */
  public readonly frontends: MagentoFrontends;
  /** The DMZ content server. */
  public readonly staticContent: StaticContentServer;
  /** The vital VMs of the private data network. */
  public readonly database: MysqlReplication;
  /** The Redis VM; its own instance holds the sessions (`noeviction`, persisted). */
  public readonly redis: RedisServer;
  /** Magento's cache: a second redis-server on the Redis VM (`allkeys-lru`, not persisted). */
  public readonly redisCache: RedisInstance;
  /** Site search. */
  public readonly solr: SolrServer;
  /** Shared static files. */
  public readonly media: SharedFiles;
  /** The offices' VPN. */
  public readonly vpn: OfficeVpn;
  /** The back-office. */
  public readonly backOffice: BackOffice;
  /** The CI/CD deployment VM. */
  public readonly deployment: DeploymentServer;
  /** Backups of the vital VMs. */
  public readonly backup: VeeamBackup;
  /** The seasonal campaigns. */
  public readonly campaigns: CampaignCalendar;
  /** How the front-ends follow the campaigns and the load. */
  public readonly frontendScaling: ScalingRules;
  /** Prometheus, Alertmanager and the scaling hook (OVHcloud has no alarming service). */
  public readonly monitoring: PrometheusScaling;
  /** The vSwitches, by layer. */
  public readonly vswitches: { readonly dmz: PrivateVSwitch; readonly access: PrivateVSwitch; readonly data: PrivateVSwitch; readonly office: PrivateVSwitch };

  constructor(scope: Construct, id: string, props: MonsieurDeguisementStackProps = {}) {
    const region = props.region ?? MD_REGION;
    super(scope, id, { ...props, region });
    const externalNetwork = props.externalNetwork ?? ExternalNetwork.ovh();
    const https = props.https ?? true;
    const router = new Router(this, 'Router', { externalNetwork });
    const dmz = new PrivateVSwitch(this, 'Dmz', { cidr: '10.30.0.0/24', router, zone: NetworkZone.DMZ });
    const access = new PrivateVSwitch(this, 'Access', { cidr: props.accessCidr ?? mdAccessCidr(props.frontendAddressCapacity), router, zone: NetworkZone.APPLICATION });
    const data = new PrivateVSwitch(this, 'Data', { cidr: '10.30.2.0/24', router, zone: NetworkZone.DATA });
    const office = new PrivateVSwitch(this, 'Office', { cidr: '10.30.3.0/24', router, zone: NetworkZone.MANAGEMENT });
    this.vswitches = { dmz, access, data, office };
    const offices = props.offices ?? [CLOSED_OFFICE];

    // The vital VMs on the private data network, vital data isolated (case study 5).
    this.database = new MysqlReplication(this, 'Database', {
      vswitch: data,
      flavor: props.databaseFlavor ?? Flavor.fromSizing({ vcpus: 4, ramGb: 16, diskGb: 100 }),
      databaseName: 'magento',
    });
    this.redis = new RedisServer(this, 'Sessions', { vswitch: data, flavor: Flavor.fromSizing(MD_REDIS_SIZING), maxMemoryFraction: MD_SESSIONS_MEMORY_FRACTION });
    this.redisCache = this.redis.addInstance('Cache', { port: MD_CACHE_REDIS_PORT, maxMemoryFraction: MD_CACHE_MEMORY_FRACTION });
    this.solr = new SolrServer(this, 'Search', {
      vswitch: data,
      flavor: Flavor.fromSizing({ vcpus: 2, ramGb: 8, diskGb: 50 }),
      tarballUrl: props.solrTarballUrl,
      sha512: props.solrSha512,
    });
    this.media = new SharedFiles(this, 'Media', {
      backend: props.nfsBackend ?? NfsBackend.MANILA,
      sizeGb: MD_MEDIA_SHARE_GB,
      // The media are the shop's public static files (the DMZ origin and the CDN serve them), not vital
      // data: the share (Manila's share network, or an NFS server VM) sits on the access network, which
      // the DMZ origin may reach (policy HS-DATA-1).
      vswitch: access,
      ...((props.nfsBackend ?? NfsBackend.MANILA) === NfsBackend.NFS_SERVER_VM ? { flavor: Flavor.fromSizing({ vcpus: 2, ramGb: 4, diskGb: 20 }) } : {}),
    });

    // Office layer: the back-office and the deployment VM are reached only through the VPN.
    this.vpn = new OfficeVpn(this, 'Vpn', {
      vswitch: office,
      officeCidrs: offices.flatMap((o) => o.allowedIps),
      officePeers: offices,
      kind: props.vpnKind,
    });
    this.deployment = new DeploymentServer(this, 'Deployment', { vswitch: office, vpn: this.vpn });

    // Private access layer: the Magento front-ends, code pushed by the deployment VM (CI/CD).
    this.frontends = new MagentoFrontends(this, 'Frontends', {
      vswitch: access,
      count: props.frontendCount ?? MD_FRONTEND_BASELINE,
      maxCount: props.frontendMaxCount ?? MD_FRONTEND_MAX,
      addressCapacity: props.frontendAddressCapacity,
      flavor: props.frontendFlavor ?? Flavor.named('b3-8'),
      code: MagentoCode.fromPipeline(this.deployment),
      database: this.database,
      sessions: this.redis,
      cache: this.redisCache,
      search: this.solr,
      media: this.media,
      baseUrl: props.baseUrl ?? MD_BASE_URL,
    });
    // MagentoCode.fromPipeline made the front-ends the deployment server's target (SSH, key, recipe).

    // Campaign peaks: the front-ends follow a Terraform count variable, scheduled before each campaign
    // and nudged by a CPU rule in between; every balancer already lists all MD_FRONTEND_MAX of them.
    this.campaigns = new CampaignCalendar(this, 'Campaigns', { timeZone: MD_TIME_ZONE });
    for (const c of referenceCampaigns(props.campaignYear ?? MD_REFERENCE_YEAR)) {
      this.campaigns.addCampaign(c.name, { start: c.localStart, end: c.localEnd, peak: { concurrentUsers: c.peakConcurrentUsers, visitorsPerDay: c.peakVisitorsPerDay } });
    }
    this.frontendScaling = new ScalingRules(this, 'FrontendScaling', {
      tier: this.frontends,
      capacity: CapacityModel.forTier(this.frontends, { usersPerInstance: MD_USERS_PER_FRONTEND }),
      calendar: this.campaigns,
      reactive: [ReactiveRule.cpu()],
    });

    this.backOffice = new BackOffice(this, 'BackOffice', { vswitch: office, vpn: this.vpn, database: this.database, media: this.media });

    // DMZ: the content server and one public entry per country, round-robin, no persistence.
    this.staticContent = new StaticContentServer(this, 'StaticContent', {
      vswitch: dmz,
      flavor: Flavor.fromSizing({ vcpus: 2, ramGb: 4, diskGb: 50 }),
      hostNames: props.staticHostNames ?? ['static.monsieurdeguisement.com'],
      media: this.media,
      cdnCidrs: props.cdnCidrs ?? [...CLOSED_CDN_CIDRS],
      externalNetwork,
      tls: https
        ? {
            certificate: Secret.variable(this, 'static_tls_certificate', 'PEM certificate chain of the static host names (leaf first)'),
            privateKey: Secret.variable(this, 'static_tls_private_key', 'PEM private key of the static host names certificate'),
          }
        : undefined,
    });
    const entries = optionalPeer(this, 'entries', props.entries, MD_ENTRIES) ?? MdEntries.octavia();
    const shopUrl = new URL(props.baseUrl ?? MD_BASE_URL);
    // Veeam's managed VM backups, the OpenStack way (boot-volume snapshots, Cinder backups, object storage).
    this.backup = new VeeamBackup(this, 'Backup', { vswitch: office, region });
    this.backup.addPolicy('vital', { servers: [this.database, this.redis, this.solr, this.backOffice], ...MD_BACKUP, volumeBackups: true, offsiteCopy: true });
    if (this.media.server) {
      // The NFS server's large volume restores in about half an hour; media change with the catalogue, daily is enough.
      this.backup.addPolicy('media', { servers: [this.media.server], ...MD_MEDIA_BACKUP, volumeBackups: true, offsiteCopy: true });
    }
    // Restores are run from the runner by the offices' operators, through the VPN.
    this.vpn.allowOfficesTo(this.backup.runner, Port.tcp(22));

    // OVHcloud has no alarming service: Prometheus alerts call the scaling hook (ScalingEngine default).
    // Its UIs listen on loopback; operators reach them over an SSH tunnel through the VPN.
    // The hook has its counts applied by the stack's scaling workflow unless told otherwise.
    this.monitoring = new PrometheusScaling(this, 'Monitoring', { vswitch: office, rules: [this.frontendScaling], ...(props.scalingApplier ? { applier: props.scalingApplier } : {}) });
    this.vpn.allowOfficesTo(this.monitoring, Port.tcp(22));

    this.entrances = new CountryEntrances(this, 'Entrances', {
      vswitch: dmz,
      frontends: this.frontends,
      countries: props.countries ?? MD_COUNTRIES,
      concurrentUsersPerCountry: MD_CONCURRENT_USERS_PER_COUNTRY,
      concurrentUsersTotal: MD_CONCURRENT_USERS_TOTAL,
      externalNetwork,
      // HTTPS terminates at the entries: a Barbican certificate on Octavia, a PEM bundle on haproxy.
      entryBalancer: entries.kind === BalancerKind.KEEPALIVED_HAPROXY
        ? EntryBalancer.haproxyPair({
            adminCidr: entries.adminCidr ?? offices[0].allowedIps[0],
            tls: https ? { certificate: Secret.variable(this, 'entry_tls_pem', 'PEM bundle (certificate chain and private key) of the shop host names') } : undefined,
            // Délestage (case studies 3 and 5): when the front-ends are saturated, browsing visitors get the
            // static mini-site page from the DMZ origin while ordering visitors keep the front-ends, first
            // in the queue. Realised by the haproxy pairs (Octavia has no such rules).
            loadShedding: LoadShedding.toMiniSite({
              miniSite: MiniSite.fromBackend(this.staticContent, { hostHeader: this.staticContent.hostNames[0], page: MD_MINI_SITE_PAGE }),
              perServerCapacity: this.frontends.phpMaxChildren,
            }),
          })
        : EntryBalancer.octavia({
            flavorId: entries.octaviaFlavorId,
            tls: https ? { certificate: OctaviaCertificate.fromContainerRef(barbicanCertificateRef(this)), redirectPrefix: shopUrl.origin } : undefined,
          }),
    });
  }
}

/** The Barbican reference of the entries' certificate (PKCS#12, as OVHcloud's load balancers take it). */
function barbicanCertificateRef(scope: Construct): string {
  const variable = new TerraformVariable(scope, 'EntryCertificateRef', {
    type: 'string',
    description: "Barbican reference (https://.../v1/secrets/<uuid>) of the entries' PKCS#12 certificate",
  });
  variable.overrideLogicalId('entry_tls_container_ref');
  return variable.stringValue;
}
