/**
 * Case study 2: POPGOM by Tyredating, tyre e-commerce for France and Spain (seeds/001, 2009).
 * "Pure internet player": any outage is lost revenue, so every tier is redundant; 99.8 % average
 * availability was reported.
 *
 *                      internet
 *                         |  floating IP (Ext-Net) -> VIP, TCP 80 and 443
 *            [LvsBalancer: 2 directors, keepalived VRRP, IPVS DR, nftables]
 *                         |  (front vSwitch)
 *                 [WebTier: 2 x Apache, HTTPS ends here, HTTP redirected]
 *                         |  (router between vSwitches, security groups decide)
 *      [AppTier: 2 x Tomcat] + [OrderTracking: WildFly + Intalio BPM] (back vSwitch)
 *                         |
 *      [MysqlReplication: primary + replica] (data vSwitch)
 */
import { Construct } from 'constructs';
import {
  AppTier,
  BackupSchedule,
  BpmArchive,
  ExternalNetwork,
  Flavor,
  HealthCheck,
  HostingStack,
  HostingStackProps,
  LvsBalancer,
  LvsForwarding,
  MysqlReplication,
  NetworkZone,
  OrderTracking,
  Peer,
  PolicyPack,
  Port,
  PrivateVSwitch,
  Router,
  Secret,
  sizingFromGhz,
  VeeamBackup,
  WebTier,
} from '../lib';


/** 2 web servers (Apache): 2 GHz, 2 GB RAM, 40 GB disk (case study 2). */
export const POPGOM_WEB_COUNT = 2;
export const POPGOM_WEB_SIZING = sizingFromGhz(2, 2, 40);
/** 2 application servers (Tomcat, Java): 4 GHz, 8 GB RAM, 30 GB disk (case study 2). */
export const POPGOM_APP_COUNT = 2;
export const POPGOM_APP_SIZING = sizingFromGhz(4, 8, 30);
/** 2 database servers (MySQL): 6 GHz, 4 GB RAM, 50 GB disk (case study 2): a primary and 1 replica. */
export const POPGOM_DB_COUNT = 2;
export const POPGOM_DB_SIZING = sizingFromGhz(6, 4, 50);
/** 1 order-tracking server (JBoss + Intalio BPM): 2 GHz, 4 GB RAM, 70 GB disk (case study 2). */
export const POPGOM_ORDER_TRACKING_SIZING = sizingFromGhz(2, 4, 70);

/**
 * The network nobody owns (TEST-NET-3, RFC 5737): until a real admin CIDR is given, SSH is open to
 * no one. Set `adminCidr` (or `ADMIN_CIDR` for `npm run synth`).
 */
export const CLOSED_ADMIN_CIDR = '203.0.113.0/24';

/** "99.8 % average availability" (case study 2): shown beside the modelled figure in ARCHITECTURE.md. */
export const POPGOM_REPORTED_AVAILABILITY = { percent: 99.8, source: 'case study 2: average availability POPGOM reports' } as const;

/** OVHcloud region: Gravelines (France), close to France and Spain, where POPGOM sells. */
export const POPGOM_REGION = 'GRA11';

/**
 * Database backups: nightly at 02:30 Paris time, a week of snapshots, Cinder backups and an off-site
 * copy. Case study 2 names "tracking of backups" among the operations; figures are ours.
 */
export const POPGOM_BACKUP = { schedule: BackupSchedule.daily('02:30', 'Europe/Paris'), rotation: 7 } as const;

/** Props of {@link PopgomStack}; every count and size defaults to the case study's figure. */
export interface PopgomStackProps extends HostingStackProps {
  /** OpenStack region. @default POPGOM_REGION ('GRA11') */
  readonly region?: string;
  /** The only network SSH is allowed from (to the directors, which are the jump hosts). @default CLOSED_ADMIN_CIDR */
  readonly adminCidr?: string;
  /** Front vSwitch (directors, VIP, web servers: LVS direct routing needs one L2 segment). @default '10.20.1.0/24' */
  readonly frontCidr?: string;
  /** Back vSwitch (application, order tracking, backup runner). @default '10.20.2.0/24' */
  readonly backCidr?: string;
  /** Data vSwitch (the databases). @default '10.20.3.0/24' */
  readonly dataCidr?: string;
  /** Web servers. @default POPGOM_WEB_COUNT (2) */
  readonly webCount?: number;
  /** Web server flavor. @default Flavor.fromSizing(POPGOM_WEB_SIZING) */
  readonly webFlavor?: Flavor;
  /** Application servers. @default POPGOM_APP_COUNT (2) */
  readonly appCount?: number;
  /** Application server flavor. @default Flavor.fromSizing(POPGOM_APP_SIZING) */
  readonly appFlavor?: Flavor;
  /** Database servers, primary included. @default POPGOM_DB_COUNT (2) */
  readonly databaseCount?: number;
  /** Database server flavor. @default Flavor.fromSizing(POPGOM_DB_SIZING) */
  readonly databaseFlavor?: Flavor;
  /** Order-tracking server flavor. @default Flavor.fromSizing(POPGOM_ORDER_TRACKING_SIZING) */
  readonly orderTrackingFlavor?: Flavor;
  /** The Intalio BPM archive deployed on the order-tracking server. @default - none: WildFly runs with the datasource only */
  readonly bpmArchive?: BpmArchive;
  /** Where the order-tracking server downloads WildFly at boot (your mirror or object storage); give `wildflySha256` with it. @default DEFAULT_WILDFLY_TARBALL_URL */
  readonly wildflyTarballUrl?: string;
  /** sha256 of that tarball. @default DEFAULT_WILDFLY_SHA256 */
  readonly wildflySha256?: string;
  /** LVS forwarding method. @default LvsForwarding.DIRECT_ROUTING */
  readonly forwarding?: LvsForwarding;
  /** Public network of the router and the floating IP. @default ExternalNetwork.ovh() */
  readonly externalNetwork?: ExternalNetwork;
  /**
   * Serve the shop over HTTPS (Mozilla intermediate), terminated on the web servers (LVS is layer 4),
   * HTTP redirected; the certificate chain and key are Terraform variables. @default true
   */
  readonly https?: boolean;
}

/** The POPGOM architecture on OpenStack. */
export class PopgomStack extends HostingStack {
  /** The LVS directors. */
  public readonly balancer: LvsBalancer;
  /** The Apache web servers. */
  public readonly web: WebTier;
  /** The Tomcat application servers. */
  public readonly app: AppTier;
  /** The MySQL (MariaDB) primary and replica. */
  public readonly database: MysqlReplication;
  /** The order-tracking server. */
  public readonly orderTracking: OrderTracking;
  /** Backups of the stateful servers. */
  public readonly backup: VeeamBackup;

  constructor(scope: Construct, id: string, props: PopgomStackProps = {}) {
    const region = props.region ?? POPGOM_REGION;
    super(scope, id, { reportedAvailability: POPGOM_REPORTED_AVAILABILITY, ...props, region });
    const externalNetwork = props.externalNetwork ?? ExternalNetwork.ovh();
    const router = new Router(this, 'Router', { externalNetwork });
    // The front vSwitch carries the public VIP, so it is the DMZ. The application servers, which the
    // DMZ's web tier calls, and the databases, which nothing in the DMZ may reach, have a vSwitch each.
    const front = new PrivateVSwitch(this, 'Front', { cidr: props.frontCidr ?? '10.20.1.0/24', router, zone: NetworkZone.DMZ });
    const back = new PrivateVSwitch(this, 'Back', { cidr: props.backCidr ?? '10.20.2.0/24', router, zone: NetworkZone.APPLICATION });
    const data = new PrivateVSwitch(this, 'Data', { cidr: props.dataCidr ?? '10.20.3.0/24', router, zone: NetworkZone.DATA });

    this.database = new MysqlReplication(this, 'Database', {
      vswitch: data,
      flavor: props.databaseFlavor ?? Flavor.fromSizing(POPGOM_DB_SIZING),
      replicas: (props.databaseCount ?? POPGOM_DB_COUNT) - 1,
      databaseName: 'popgom',
    });
    this.app = new AppTier(this, 'App', {
      vswitch: back,
      count: props.appCount ?? POPGOM_APP_COUNT,
      flavor: props.appFlavor ?? Flavor.fromSizing(POPGOM_APP_SIZING),
      database: this.database,
    });
    this.orderTracking = new OrderTracking(this, 'OrderTracking', {
      vswitch: back,
      flavor: props.orderTrackingFlavor ?? Flavor.fromSizing(POPGOM_ORDER_TRACKING_SIZING),
      database: this.database,
      bpmArchive: props.bpmArchive,
      wildflyTarballUrl: props.wildflyTarballUrl,
      wildflySha256: props.wildflySha256,
    });
    // The shop hands orders to the order-tracking workflow over HTTP.
    this.orderTracking.connections.allowFrom(this.app, Port.tcp(this.orderTracking.httpPort));

    this.web = new WebTier(this, 'Web', {
      vswitch: front,
      count: props.webCount ?? POPGOM_WEB_COUNT,
      flavor: props.webFlavor ?? Flavor.fromSizing(POPGOM_WEB_SIZING),
      upstream: this.app,
      // LVS forwards TCP: TLS can only end on the web servers.
      tls: (props.https ?? true)
        ? {
            certificate: Secret.variable(this, 'web_tls_certificate', 'PEM certificate chain of the shop host names (leaf first)'),
            privateKey: Secret.variable(this, 'web_tls_private_key', 'PEM private key of the shop host names certificate'),
          }
        : undefined,
    });
    this.balancer = new LvsBalancer(this, 'Balancer', {
      vswitch: front,
      adminCidr: props.adminCidr ?? CLOSED_ADMIN_CIDR,
      forwarding: props.forwarding,
      externalNetwork,
    });
    this.balancer.addTarget(this.web, { port: this.web.listenPort, healthCheck: HealthCheck.http({ path: this.web.healthCheckPath }) });
    // keepalived's HTTP_GET speaks plain HTTP: the TLS port is checked by a TCP connect, Apache by the HTTP check above.
    if (this.web.tls) this.balancer.addTarget(this.web, { port: this.web.tls.port, healthCheck: HealthCheck.tcp() });

    this.backup = new VeeamBackup(this, 'Backup', { vswitch: back, region });
    this.backup.addPolicy('database', { servers: [this.database], ...POPGOM_BACKUP, volumeBackups: true, offsiteCopy: true });

    // The directors are the jump hosts: SSH reaches every other server only from them, named by
    // their addresses. With direct routing (the default) their ports have port security off and sit
    // in no security group: their nftables rulesets alone keep SSH to them for adminCidr (policy
    // HS-PORTSEC-1 checks the rulesets follow their Connections), and a rule naming their group would
    // be realised by these same addresses anyway. With NAT their ports allow 0.0.0.0/0 as an address
    // pair, which Neutron counts as a member of their group: a rule naming the group would admit any
    // source (policy HS-SSH-1). The addresses are right in both modes.
    const jumpHosts = this.balancer.nodes.addresses.map((address) => Peer.ipv4(`${address}/32`));
    for (const tier of [this.web, this.app, this.database, this.orderTracking, this.backup.runner]) {
      for (const jumpHost of jumpHosts) tier.connections.allowFrom(jumpHost, Port.tcp(22), `SSH from the jump host ${jumpHost.cidr} (LVS director)`);
    }
    // Case study 2 names no admin network of its own: the LVS directors, in the DMZ, are the jump hosts.
    // Their own filter is their nftables ruleset (no security group with direct routing), and their
    // ports may send from any address (no anti-spoofing; with NAT the 0.0.0.0/0 pair does the same):
    // a compromised director could send as another host, though the answers would go to that host
    // (no TCP session follows). What protects the databases is that the directors are hard to
    // compromise: SSH from adminCidr only, nothing else open but the virtual service on the VIP.
    PolicyPack.suppress(this.database, 'HS-DATA-1',
      'SSH from the two LVS directors (the jump hosts, in the DMZ, themselves reached by SSH only from adminCidr, enforced by their nftables rulesets) is the administrators\' only way to the databases; no other flow from the DMZ reaches them');
  }
}
