/**
 * Case study 1: Sentinelo, store-inventory search for smartphones (seeds/000, 2014). About a dozen
 * servers in "appliance clusters", each with one task: if a machine fails, the rest of its cluster
 * takes over; each cluster grows in count and size without interruption; splitting the work lets
 * every machine live with 200 Mbit/s.
 *
 *            internet (apps: REST API)                 retailers (CSV over SFTP)
 *                 |  floating IP -> VIP                         |  floating IP each
 *   [HaproxyBalancer: 2 nodes, keepalived VRRP]         [IngestServers: 2 x "Smart Data Injection"]
 *      HTTPS to the API front-ends; TCP on the VIP:      staging MariaDB on each, then upserts
 *      3306/3307 public API database (writes/reads),     into both databases through the VIP
 *      3308/3309 partner database (writes/reads)
 *                 |                                       (front DMZ and ingest DMZ vSwitches)
 *   [AppTier: 12 x Tomcat, the REST APIs] + [CentralMonitoring + a probe]   (app vSwitch)
 *                 |
 *   [MysqlReplication: public API, 1 + 3]  [MysqlReplication: partner apps, 1 + 3]   (data vSwitch)
 */
import { Construct } from 'constructs';
import {
  AppTier,
  BackupSchedule,
  CentralMonitoring,
  CLOSED_DROP_CIDR,
  ExternalNetwork,
  Flavor,
  HaproxyBalancer,
  HaproxyDatabaseRoute,
  HealthCheck,
  HostingStack,
  HostingStackProps,
  IngestDelimiter,
  IngestFeed,
  IngestServers,
  MysqlReplication,
  NetworkZone,
  PolicyPack,
  Port,
  PrivateVSwitch,
  Router,
  Secret,
  SftpDropAccount,
  SqlType,
  TrafficBudget,
  TrafficEnd,
  TrafficShare,
  VeeamBackup,
} from '../lib';
import { requireIntegerInRange } from '../lib/core/errors';

/** 3.4 million users of the app (case study 1). */
export const SENTINELO_USERS = 3_400_000;
/** 50 retailers send their data (case study 1: E. Leclerc, Promod, Castorama, Bérénice, Renault, American Vintage...). */
export const SENTINELO_RETAILERS = 50;
/** About 30 million offers held (case study 1). */
export const SENTINELO_OFFERS = 30_000_000;
/** About 3 million offers updated a day (case study 1). */
export const SENTINELO_OFFERS_UPDATED_PER_DAY = 3_000_000;
/** Between 5,000 and 60,000 API requests a day (case study 1). */
export const SENTINELO_API_REQUESTS_PER_DAY = { low: 5_000, high: 60_000 } as const;
/** "CSV exports of several tens of thousands of lines" (case study 1): our reading, 50,000 lines a file. */
export const SENTINELO_CSV_LINES_PER_FILE = 50_000;
/** Two database clusters of four servers each (case study 1): a primary and three replicas. */
export const SENTINELO_DATABASE_SERVERS = 4;
/** Two ingest servers, the most powerful of the fleet (case study 1). */
export const SENTINELO_INGEST_COUNT = 2;
/** "About a dozen" smaller VMs as front-end application servers (case study 1). */
export const SENTINELO_FRONTEND_COUNT = 12;
/**
 * Planned addresses kept for the front-ends: room to double the dozen ("each cluster can grow in
 * count and size without interrupting service", case study 1) without moving any other address.
 */
export const SENTINELO_FRONTEND_ADDRESS_CAPACITY = 24;
/**
 * Connections of each front-end's pool per database endpoint. Our estimate: 60,000 requests a day at
 * 10x is ~7 a second over the whole pool of front-ends; 10 per server leaves a wide margin, and keeps
 * `max_connections` (derived from every pool at the address capacity) within what the databases hold.
 */
export const SENTINELO_POOL_PER_DATASOURCE = 10;
/** 200 Mbit/s of bandwidth per machine, which splitting the work lets each live with (case study 1). */
export const SENTINELO_MBPS_PER_SERVER = 200;
/** The partner apps the second database cluster answers (case study 1). */
export const SENTINELO_PARTNER_APPS: readonly string[] = ['SFR GPS', 'Orange Maps', 'Le Parisien', 'Urban Pulse (Veolia)'];

/**
 * Bytes of one API answer: a page of nearby offers (shop, price, stock, a picture's URL) as JSON.
 * Our estimate, not the case study's.
 */
export const SENTINELO_API_ANSWER_BYTES = 20_000;
/** Bytes of one offer line in a retailer's CSV, and of its row sent to each database. Our estimate. */
export const SENTINELO_OFFER_LINE_BYTES = 200;
/**
 * The busiest minute of the API over its daily average: a phone app's evening peak. Our estimate:
 * 60,000 requests a day at 10x is about 7 requests a second.
 */
export const SENTINELO_API_PEAK_TO_AVERAGE = 10;
/** The retailers' exports arrive within about two hours at night: 24 / 2. Our estimate. */
export const SENTINELO_INGEST_PEAK_TO_AVERAGE = 12;

/**
 * What the retailers send: an offer of a product in a store (case study 1: stock, product pictures,
 * prices), keyed by the retailer's SKU and store; the retailer column comes from the account.
 */
export const SENTINELO_OFFERS_FEED: IngestFeed = {
  table: 'offers',
  columns: [
    { name: 'sku', sqlType: SqlType.varchar(64) },
    { name: 'store', sqlType: SqlType.varchar(32) },
    { name: 'price', sqlType: SqlType.decimal(10, 2) },
    { name: 'stock', sqlType: SqlType.int() },
    { name: 'picture_url', sqlType: SqlType.text() },
  ],
  key: ['sku', 'store'],
  delimiter: IngestDelimiter.SEMICOLON,
};

/**
 * The retailer nobody is: an account whose key's private half was thrown away. Until the retailers'
 * accounts are given, no one can drop a file.
 */
export const CLOSED_RETAILER: SftpDropAccount = {
  name: 'unconfigured-retailer',
  publicKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILIwWmNKYaxz5MX7tfjjLco19thAaxv6I2Bi72qUgYYe unconfigured-retailer (private half discarded)'],
};

/** The network nobody owns (TEST-NET-3, RFC 5737): until a real admin network is given, SSH is open to no one. */
export const SENTINELO_CLOSED_ADMIN_CIDR = '203.0.113.0/24';

/** OVHcloud region: Gravelines (France), where the French retailers and partners are. */
export const SENTINELO_REGION = 'GRA11';

/**
 * The databases and the ingest servers' uploads, nightly; a week kept, a restore within 30 minutes.
 * The case study names no backup figures: these are ours, well inside the 2-hour hardware repair
 * time (GTR) it found enough because every cluster carries on without one machine.
 */
export const SENTINELO_BACKUP = { schedule: BackupSchedule.daily('03:30', 'Europe/Paris'), rotation: 7, rtoMinutes: 30 } as const;

/** Props of {@link SentineloStack}; every count and size defaults to the case study's figure. */
export interface SentineloStackProps extends HostingStackProps {
  /** OpenStack region. @default SENTINELO_REGION ('GRA11') */
  readonly region?: string;
  /** The only network SSH is allowed from (to the balancer nodes, the jump hosts). @default SENTINELO_CLOSED_ADMIN_CIDR */
  readonly adminCidr?: string;
  /** The retailers' SFTP accounts. @default [CLOSED_RETAILER] (no one) */
  readonly retailers?: readonly SftpDropAccount[];
  /** The retailers' networks, the only sources SFTP answers. @default [CLOSED_DROP_CIDR] (no one) */
  readonly retailerCidrs?: readonly string[];
  /** API front-ends. @default SENTINELO_FRONTEND_COUNT (12) */
  readonly frontendCount?: number;
  /** Planned addresses kept for the front-ends (at least `frontendCount`). @default SENTINELO_FRONTEND_ADDRESS_CAPACITY (24) */
  readonly frontendAddressCapacity?: number;
  /** Front-end flavor ("smaller VMs"). @default Flavor.named('b3-8') */
  readonly frontendFlavor?: Flavor;
  /** Servers of each database cluster, the primary included (2 to 10). @default SENTINELO_DATABASE_SERVERS (4) */
  readonly databaseServers?: number;
  /** Database flavor: the 30 M offers and their indexes (~15 GB) fit in the buffer pool. @default Flavor.named('r3-32') */
  readonly databaseFlavor?: Flavor;
  /** Ingest servers. @default SENTINELO_INGEST_COUNT (2) */
  readonly ingestCount?: number;
  /** Seconds an upload must stay unchanged before the ingest takes it. @default - IngestServers' (120) */
  readonly ingestSettleSeconds?: number;
  /** Seconds between two ingest runs. @default - IngestServers' (60) */
  readonly ingestPollSeconds?: number;
  /** Ingest flavor ("the most powerful"). @default Flavor.named('b3-32') */
  readonly ingestFlavor?: Flavor;
  /** Public network of the router, the VIP and the ingest servers. @default ExternalNetwork.ovh() */
  readonly externalNetwork?: ExternalNetwork;
  /** Serve the API over HTTPS on the VIP (Mozilla intermediate), its PEM bundle a Terraform variable. @default true */
  readonly https?: boolean;
}

/** The Sentinelo architecture on OpenStack. */
export class SentineloStack extends HostingStack {
  /** The load-balancing cluster: HTTP to the front-ends, database calls to the clusters. */
  public readonly balancer: HaproxyBalancer;
  /** The public app's REST API database (primary and replicas). */
  public readonly publicDatabase: MysqlReplication;
  /** The partner apps' database. */
  public readonly partnerDatabase: MysqlReplication;
  /** The public API database through the balancer: writes on 3306, reads on 3307. */
  public readonly publicRoute: HaproxyDatabaseRoute;
  /** The partner database through the balancer: writes on 3308, reads on 3309. */
  public readonly partnerRoute: HaproxyDatabaseRoute;
  /** The API front-ends. */
  public readonly frontends: AppTier;
  /** The ingest servers ("Smart Data Injection"). */
  public readonly ingest: IngestServers;
  /** Centralised monitoring with a second vantage point. */
  public readonly monitoring: CentralMonitoring;
  /** Backups of the databases and the ingest servers. */
  public readonly backup: VeeamBackup;
  /** Each server's bandwidth at the peak, against 200 Mbit/s. */
  public readonly traffic: TrafficBudget;
  /** The vSwitches, by role. */
  public readonly vswitches: { readonly front: PrivateVSwitch; readonly ingest: PrivateVSwitch; readonly app: PrivateVSwitch; readonly data: PrivateVSwitch };

  constructor(scope: Construct, id: string, props: SentineloStackProps = {}) {
    const region = props.region ?? SENTINELO_REGION;
    super(scope, id, { ...props, region });
    const externalNetwork = props.externalNetwork ?? ExternalNetwork.ovh();
    const router = new Router(this, 'Router', { externalNetwork });
    // Both public entries (the API's VIP, the retailers' SFTP) sit in DMZs of their own; the API
    // servers and the monitoring on the application network; the databases alone on the data network.
    const front = new PrivateVSwitch(this, 'Front', { cidr: '10.40.1.0/24', router, zone: NetworkZone.DMZ });
    const ingestNet = new PrivateVSwitch(this, 'Ingest', { cidr: '10.40.2.0/24', router, zone: NetworkZone.DMZ });
    const app = new PrivateVSwitch(this, 'App', { cidr: '10.40.3.0/24', router, zone: NetworkZone.APPLICATION });
    const data = new PrivateVSwitch(this, 'Data', { cidr: '10.40.4.0/24', router, zone: NetworkZone.DATA });
    this.vswitches = { front, ingest: ingestNet, app, data };

    // Two clusters of four: a primary and three replicas each, asynchronous (GTID) replication.
    // Not Galera: four members split two against two with no quorum on either side (an arbitrator
    // would be a fifth machine), and every write of a nightly import of ~3 M rows would be certified
    // on all four; the API reads, and reads scale over replicas. The price is promotion: when a
    // primary dies, reads go on through the replicas while writes (the ingest) wait for an
    // operator to promote one (see the README).
    const databaseServers = props.databaseServers ?? SENTINELO_DATABASE_SERVERS;
    // A replica at least: the reads (and the API) must outlive one database server.
    requireIntegerInRange(this, 'databaseServers', databaseServers, 2, 10);
    const databaseFlavor = props.databaseFlavor ?? Flavor.named('r3-32');
    // Every call reaches MariaDB from a balancer node's own address: the application account admits the front vSwitch.
    const database = (dbId: string, name: string, hostnamePrefix: string) => new MysqlReplication(this, dbId, {
      vswitch: data, flavor: databaseFlavor, replicas: databaseServers - 1, databaseName: name, applicationClientCidr: front.cidr, hostnamePrefix,
    });
    this.publicDatabase = database('PublicApiDatabase', 'sentinelo_api', 'api-db');
    this.partnerDatabase = database('PartnerDatabase', 'sentinelo_partners', 'partner-db');

    this.balancer = new HaproxyBalancer(this, 'Balancer', {
      vswitch: front,
      adminCidr: props.adminCidr ?? SENTINELO_CLOSED_ADMIN_CIDR,
      externalNetwork,
      tls: (props.https ?? true) ? { certificate: Secret.variable(this, 'api_tls_pem', 'PEM bundle (certificate chain and private key) of the API host names') } : undefined,
    });
    this.publicRoute = this.balancer.addDatabase(this.publicDatabase, { writePort: 3306, readPort: 3307 });
    this.partnerRoute = this.balancer.addDatabase(this.partnerDatabase, { writePort: 3308, readPort: 3309 });

    // One pool of front-ends serves both APIs: each reads the public database as its own and the
    // partners' as `jdbc/partners` (both mostly on the read ports, over the replicas).
    this.frontends = new AppTier(this, 'Api', {
      vswitch: app,
      count: props.frontendCount ?? SENTINELO_FRONTEND_COUNT,
      addressCapacity: props.frontendAddressCapacity ?? SENTINELO_FRONTEND_ADDRESS_CAPACITY,
      flavor: props.frontendFlavor ?? Flavor.named('b3-8'),
      databasePoolSize: SENTINELO_POOL_PER_DATASOURCE,
      database: this.publicRoute,
      databases: { partners: this.partnerRoute },
      hostnamePrefix: 'api',
    });
    this.balancer.addTarget(this.frontends, { port: this.frontends.backendPort, healthCheck: HealthCheck.http({ path: this.frontends.healthCheckPath }) });

    this.ingest = new IngestServers(this, 'SmartDataInjection', {
      vswitch: ingestNet,
      count: props.ingestCount ?? SENTINELO_INGEST_COUNT,
      flavor: props.ingestFlavor ?? Flavor.named('b3-32'),
      dropAccounts: props.retailers ?? [CLOSED_RETAILER],
      dropFrom: props.retailerCidrs ?? [CLOSED_DROP_CIDR],
      feed: SENTINELO_OFFERS_FEED,
      targets: [this.publicRoute, this.partnerRoute],
      settleSeconds: props.ingestSettleSeconds,
      pollSeconds: props.ingestPollSeconds,
      externalNetwork,
      hostnamePrefix: 'ingest',
    });

    this.backup = new VeeamBackup(this, 'Backup', { vswitch: app, region });
    this.backup.addPolicy('databases', { servers: [this.publicDatabase, this.partnerDatabase], ...SENTINELO_BACKUP, volumeBackups: true, offsiteCopy: true });
    this.backup.addPolicy('ingest', { servers: [this.ingest], ...SENTINELO_BACKUP, volumeBackups: true });

    // Centralised monitoring "with several probes": the central server on the application network
    // and a probe in the front DMZ, where the apps' requests arrive, ask the API on the VIP (down from
    // both is critical, from one a network path); the central server asks each database server
    // whether it can take reads (the probe stays out of the data network).
    this.monitoring = new CentralMonitoring(this, 'Monitoring', {
      vswitch: app,
      tiers: [this.frontends, this.publicDatabase, this.partnerDatabase, this.ingest],
    });
    const probe = this.monitoring.addProbe('FrontProbe', { vswitch: front, vantageName: 'front' });
    this.monitoring.addHttpCheck(`http://${this.balancer.vipAddress}:${this.balancer.listenerPort}${this.frontends.healthCheckPath}`, {
      name: 'api-vip', expectStatus: this.balancer.tls ? 301 : 200,
    });
    for (const db of [this.publicDatabase, this.partnerDatabase]) {
      const check = db.allowRoleChecksFrom(this.monitoring);
      for (const server of db.cluster.instances) {
        this.monitoring.addHttpCheck(`http://${server.address}:${check.port}${check.readablePath}`, { name: `${server.hostname}-readable`, from: [this.monitoring.central] });
      }
    }

    // SSH: the balancer nodes are the jump hosts, reached from adminCidr only.
    for (const tier of [this.frontends, this.publicDatabase, this.partnerDatabase, this.ingest, this.monitoring, probe, this.backup.runner]) {
      tier.connections.allowFrom(this.balancer.nodes, Port.tcp(22), 'SSH from the jump hosts (balancer nodes)');
    }
    // Case study 1's load-balancing cluster "also spreads the calls to the databases": the databases
    // admit the balancer nodes, which face the internet on 80 and 443 only.
    for (const db of [this.publicDatabase, this.partnerDatabase]) {
      PolicyPack.suppress(db, 'HS-DATA-1',
        "case study 1's load-balancing cluster spreads the database calls: the databases admit the haproxy nodes (in the DMZ, which the internet reaches on 80 and 443 only; SSH from adminCidr) on 3306, the role check and SSH (they are the jump hosts), and the nodes' database ports on the VIP admit only the API front-ends and the ingest servers");
    }

    this.traffic = this.trafficBudget();
  }

  /** The flows of the case study's figures, against 200 Mbit/s a server. */
  private trafficBudget(): TrafficBudget {
    const budget = new TrafficBudget(this, 'Traffic', { perServerMbps: SENTINELO_MBPS_PER_SERVER });
    const vipHolder = TrafficEnd.servers(`${this.balancer.node.path} (VIP holder)`, this.balancer.nodes.instances, TrafficShare.ONE);
    const apps = TrafficEnd.outside('the apps (public and partners)');
    const apiBytes = SENTINELO_API_REQUESTS_PER_DAY.high * SENTINELO_API_ANSWER_BYTES;
    budget.addFlow({ description: 'API answers, front-ends to the VIP', from: TrafficEnd.tier(this.frontends), to: vipHolder, bytesPerDay: apiBytes, peakToAverage: SENTINELO_API_PEAK_TO_AVERAGE });
    budget.addFlow({ description: 'API answers, VIP to the apps', from: vipHolder, to: apps, bytesPerDay: apiBytes, peakToAverage: SENTINELO_API_PEAK_TO_AVERAGE });
    // What an answer holds was read from a database first: from the replicas, through the VIP.
    for (const db of [this.publicDatabase, this.partnerDatabase]) {
      const replicas = TrafficEnd.servers(`${db.node.path} replicas`, db.cluster.instances.slice(1), TrafficShare.SPREAD);
      budget.addFlow({ description: `reads of ${db.databaseName}, replicas to the VIP`, from: replicas, to: vipHolder, bytesPerDay: apiBytes, peakToAverage: SENTINELO_API_PEAK_TO_AVERAGE });
      budget.addFlow({ description: `reads of ${db.databaseName}, VIP to the front-ends`, from: vipHolder, to: TrafficEnd.tier(this.frontends), bytesPerDay: apiBytes, peakToAverage: SENTINELO_API_PEAK_TO_AVERAGE });
    }
    const importBytes = SENTINELO_OFFERS_UPDATED_PER_DAY * SENTINELO_OFFER_LINE_BYTES;
    budget.addFlow({ description: 'retailers\' CSV exports over SFTP', from: TrafficEnd.outside('the retailers'), to: TrafficEnd.tier(this.ingest), bytesPerDay: importBytes, peakToAverage: SENTINELO_INGEST_PEAK_TO_AVERAGE });
    for (const db of [this.publicDatabase, this.partnerDatabase]) {
      const primary = TrafficEnd.servers(`${db.node.path} primary`, db.cluster.instances.slice(0, 1), TrafficShare.ONE);
      budget.addFlow({ description: `upserts into ${db.databaseName}, ingest to the VIP`, from: TrafficEnd.tier(this.ingest), to: vipHolder, bytesPerDay: importBytes, peakToAverage: SENTINELO_INGEST_PEAK_TO_AVERAGE });
      budget.addFlow({ description: `upserts into ${db.databaseName}, VIP to the primary`, from: vipHolder, to: primary, bytesPerDay: importBytes, peakToAverage: SENTINELO_INGEST_PEAK_TO_AVERAGE });
      budget.addFlow({ description: `replication of ${db.databaseName} to each replica`, from: primary, to: TrafficEnd.servers(`${db.node.path} replicas`, db.cluster.instances.slice(1), TrafficShare.EACH), bytesPerDay: importBytes, peakToAverage: SENTINELO_INGEST_PEAK_TO_AVERAGE });
    }
    return budget;
  }
}
