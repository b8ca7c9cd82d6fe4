import { Construct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor, Sizing } from '../compute/flavor';
import { IServerTier, ServerCluster } from '../compute/server-cluster';
import { Connections } from '../core/connections';
import { IMysqlDatabase } from '../core/endpoints';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { Port } from '../core/port';
import { OfficeVpn } from '../vpn/office-vpn';
import { IPrivateVSwitch } from '../network/private-vswitch';
import { nftablesModelFromConnections, renderNftablesRuleset } from '../security/nftables-firewall';
import { INfsShare } from '../storage/nfs';
import {
  BACK_OFFICE_PATHS,
  BACK_OFFICE_PHP_CHILD_MB,
  BACK_OFFICE_RESERVED_MB,
  backOfficePhpChildrenForRam,
  MAGENTO1_DENIED_PREFIXES,
  renderBackOfficeNginxConfig,
  renderBackOfficePhpFpmConfig,
} from './back-office-config';
import { kebabCase } from '../core/naming';
import { requireOptionalText, requireText, TextKind } from '../core/text';
import { Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';

/**
 * The back-office VM's sizing when none is given: the case study gives none; 2 vCPUs and 8 GB
 * run nginx and 14 admin PHP children of 512 MB, 50 GB hold the code, exports and uploads.
 */
export const DEFAULT_BACK_OFFICE_SIZING: Sizing = { vcpus: 2, ramGb: 8, diskGb: 50 };

/** Seconds an admin request may run (catalogue exports, imports, reindexing from the admin). */
export const BACK_OFFICE_REQUEST_TIMEOUT_SECONDS = 600;

/** Largest upload through the admin in MB (catalogue imports, product images). */
export const BACK_OFFICE_MAX_UPLOAD_MB = 64;

/** Props of {@link BackOffice}. */
export interface BackOfficeProps {
  /** The vSwitch the VM is on. */
  readonly vswitch: IPrivateVSwitch;
  /** The office VPN: the only way in (HTTP and SSH). */
  readonly vpn: OfficeVpn;
  /** Flavor; the PHP-FPM children are sized from its RAM. @default Flavor.fromSizing(DEFAULT_BACK_OFFICE_SIZING) */
  readonly flavor?: Flavor;
  /** The Magento database; opens its port to the back-office. @default - no database */
  readonly database?: IMysqlDatabase;
  /** The shared media files (NFS), mounted on `<documentRoot>/media`. @default - none: media stay on the VM */
  readonly media?: INfsShare;
  /** TCP port nginx listens on; plain HTTP, as the office VPN encrypts the traffic. @default 80 */
  readonly listenPort?: number;
  /** `server_name` of the admin site. @default - the VM's host name */
  readonly serverName?: string;
  /** Magento `MAGE_RUN_CODE` of the admin. @default 'admin' */
  readonly mageRunCode?: string;
  /** Host name prefix. @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
}

/**
 * The Magento back-office (case study 5: "on its own VM, reachable only through VPN from the
 * offices"): one stateful VM (uploads, exports) running nginx and PHP-FPM 8.2 over the Magento tree
 * in `/var/www/magento`, which the deployment server ships; Magento's `app/etc/local.xml` is the
 * application's and is not written here.
 *
 * Its only inbound rules are HTTP and SSH through {@link OfficeVpn.allowOfficesTo}; the host's
 * nftables input chain follows the same intent. nginx was chosen over Apache because the admin
 * needs only PHP through FastCGI and nginx's config for that is short.
 */
export class BackOffice extends Construct implements IServerTier {
  /** The VM (a one-instance cluster, stateful). */
  public readonly cluster: ServerCluster;
  /** The VM's network intent. */
  public readonly connections: Connections;
  /** TCP port of nginx. */
  public readonly listenPort: number;
  /** PHP-FPM children. */
  public readonly phpChildren: number;
  /** Where the Magento tree lives. */
  public readonly documentRoot: string;
  /** The database, when given. */
  public readonly database?: IMysqlDatabase;

  constructor(scope: Construct, id: string, props: BackOfficeProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'vpn', props.vpn, Kinds.OFFICE_VPN);
    optionalPeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    optionalPeer(this, 'database', props.database, Kinds.MYSQL_DATABASE);
    optionalPeer(this, 'media', props.media, Kinds.NFS_SHARE);
    this.listenPort = props.listenPort ?? 80;
    requireIntegerInRange(this, 'listenPort', this.listenPort, 1, 65535);
    if (this.listenPort === 22) throw new HostingStacksError(this, 'listenPort', 22, 'is SSH; choose another port for the admin site');
    requireOptionalText(this, 'serverName', props.serverName, TextKind.HOST_NAME, { allowed: "must be a DNS name such as 'admin.example.com'" });
    const mageRunCode = props.mageRunCode ?? 'admin';
    requireText(this, 'mageRunCode', mageRunCode, TextKind.IDENTIFIER, {
      pattern: /^[a-z][a-z0-9_]{0,31}$/,
      allowed: "must be a Magento store code: lower-case letters, digits and '_', starting with a letter",
    });
    this.documentRoot = BACK_OFFICE_PATHS.documentRoot;
    this.cluster = new ServerCluster(this, 'Server', {
      vswitch: props.vswitch,
      count: 1,
      flavor: props.flavor ?? Flavor.fromSizing(DEFAULT_BACK_OFFICE_SIZING),
      hostnamePrefix: props.hostnamePrefix ?? kebabCase(id),
      stateful: true,
    });
    this.connections = this.cluster.connections;
    const children = backOfficePhpChildrenForRam(this.cluster.flavor.ramGb);
    if (children === undefined) {
      throw new HostingStacksError(this, 'flavor', this.cluster.flavor.name,
        `has ${this.cluster.flavor.ramGb} GB of RAM: the back-office needs ${BACK_OFFICE_RESERVED_MB} MB for the system plus one PHP child of ${BACK_OFFICE_PHP_CHILD_MB} MB`);
    }
    this.phpChildren = children;

    props.vpn.allowOfficesTo(this, Port.tcp(this.listenPort));
    props.vpn.allowOfficesTo(this, Port.tcp(22));
    this.database = props.database;
    if (props.database) props.database.connections.allowFrom(this, Port.tcp(props.database.port), `${this.node.path} (Magento admin) to its database`);
    props.database?.addClient?.({ client: this, servers: 1, connectionsPerServer: this.phpChildren, bound: 'PHP-FPM pm.max_children' });
    if (props.media) props.media.allowClient(this, props.vswitch.cidr);

    this.cluster.configureHosts((host) => {
      const cc = host.cloudConfig;
      cc.addPackages('nginx', 'nftables', 'php8.2-fpm', 'php8.2-mysql', 'php8.2-gd', 'php8.2-curl', 'php8.2-xml', 'php8.2-mbstring', 'php8.2-intl', 'php8.2-soap', 'php8.2-zip', 'php8.2-bcmath');
      cc.addFile({
        path: BACK_OFFICE_PATHS.nginxConfig,
        syntax: ConfigSyntax.NGINX,
        content: renderBackOfficeNginxConfig({
          serverName: props.serverName ?? host.hostname,
          listenPort: this.listenPort,
          runUser: 'www-data',
          pidFile: BACK_OFFICE_PATHS.nginxPidFile,
          logDir: BACK_OFFICE_PATHS.nginxLogDir,
          mimeTypesFile: BACK_OFFICE_PATHS.mimeTypes,
          fastcgiParamsFile: BACK_OFFICE_PATHS.fastcgiParams,
          workerConnections: 1024,
          maxUploadMb: BACK_OFFICE_MAX_UPLOAD_MB,
          documentRoot: this.documentRoot,
          deniedPrefixes: MAGENTO1_DENIED_PREFIXES,
          phpFpmSocket: BACK_OFFICE_PATHS.phpFpmSocket,
          requestTimeoutSeconds: BACK_OFFICE_REQUEST_TIMEOUT_SECONDS,
          mageRunCode,
          mageRunType: 'store',
        }),
      });
      cc.addFile({
        path: BACK_OFFICE_PATHS.phpFpmPool,
        syntax: ConfigSyntax.PHP_FPM,
        content: renderBackOfficePhpFpmConfig({
          poolName: 'magento-admin',
          runUser: 'www-data',
          runGroup: 'www-data',
          socket: BACK_OFFICE_PATHS.phpFpmSocket,
          listenOwner: 'www-data',
          listenGroup: 'www-data',
          maxChildren: this.phpChildren,
          memoryLimitMb: BACK_OFFICE_PHP_CHILD_MB,
          requestTimeoutSeconds: BACK_OFFICE_REQUEST_TIMEOUT_SECONDS,
          maxUploadMb: BACK_OFFICE_MAX_UPLOAD_MB,
        }),
      });
      cc.addLazyFile('/etc/nftables.conf', ConfigSyntax.NFTABLES, () => renderNftablesRuleset(nftablesModelFromConnections(host.hostname, this.connections)));
      cc.addPreServiceCommand('install', '-d', '-o', 'www-data', '-g', 'www-data', '-m', '0755', this.documentRoot);
      if (props.media) props.media.mountOn(host, `${this.documentRoot}/media`);
      cc.addServices('nftables', 'php8.2-fpm', 'nginx');
    });
  }
}


