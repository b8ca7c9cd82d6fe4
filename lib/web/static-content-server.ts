import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { NetworkingFloatingipAssociateV2 } from '../../.gen/providers/openstack/networking-floatingip-associate-v2';
import { NetworkingFloatingipV2 } from '../../.gen/providers/openstack/networking-floatingip-v2';
import { HealthCheck } from '../balancing/health-check';
import { associateFloatingIp, requireGatewayRouter } from '../balancing/vrrp-pair';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor } from '../compute/flavor';
import { IServerTier, ServerCluster, ServerInstance, scalableTierAddressCapacity } from '../compute/server-cluster';
import { Connections, Peer } from '../core/connections';
import { IHttpBackend } from '../core/endpoints';
import { HostingStacksError, requireIntegerInRange, requireUnique } from '../core/errors';
import { requireIpv4Cidr } from '../core/choices';
import { stableOutput } from '../core/outputs';
import { Port } from '../core/port';
import { Secret } from '../core/secret';
import { intermediateCipherString, MOZILLA_INTERMEDIATE_PROTOCOLS } from '../security/tls-policy';
import { ExternalNetwork } from '../network/external-network';
import { IPrivateVSwitch } from '../network/private-vswitch';
import { INfsShare } from '../storage/nfs';
import {
  FONT_FILE_PATTERN,
  HSTS_TWO_YEARS_SECONDS,
  NGINX_GZIP_TYPES,
  NGINX_PATHS,
  NGINX_TLS_SESSION,
  NginxStaticConfigModel,
  NginxTlsModel,
  ONE_YEAR_SECONDS,
  renderNginxConfig,
  VERSIONED_ASSET_PATTERNS,
} from './nginx-config';
import { kebabCase, snakeCasePath } from '../core/naming';
import { escapeTerraformText } from '../core/terraform-text';
import { healthCheckPathRule, requireText, requireTextRule, TextKind } from '../core/text';
import { Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';

/** The static root: Magento 1's `media/` (shared over NFS), `skin/` and `js/` (deployed) below it. */
export const STATIC_ROOT = '/var/www/static';

/** Where the shared media are mounted on the content server. */
export const STATIC_MEDIA_MOUNT_POINT = `${STATIC_ROOT}/media`;

/** Magento 1's public static folders, served under the same paths as on the shop's own host. */
export const MAGENTO1_STATIC_PREFIXES: readonly string[] = ['/media/', '/skin/', '/js/'];

/**
 * Magento 1 media folders that its `.htaccess` files deny (paid downloadable products, customer
 * uploads, import files, temporary files): never served by the origin.
 */
export const MAGENTO1_PRIVATE_MEDIA_PREFIXES: readonly string[] = ['/media/downloadable/', '/media/customer/', '/media/import/', '/media/tmp/'];

/** Default lifetime of unversioned assets: an hour, so a replaced image shows within one. */
export const DEFAULT_UNVERSIONED_MAX_AGE_SECONDS = 3600;

/** Where the TLS certificate chain and key are written (root only, mode 0600; nginx reads them as root). */
export const STATIC_TLS_PATHS = { certificate: '/etc/nginx/tls/static.crt', privateKey: '/etc/nginx/tls/static.key' } as const;

/** The HTTPS port of the origin. */
export const STATIC_TLS_PORT = 443;

/** HTTPS on a {@link StaticContentServer}. */
export interface StaticContentTlsOptions {
  /** PEM certificate chain (leaf first) as a sensitive variable. A Secret made by Secret.variable only; a string or a look-alike object is refused. */
  readonly certificate: Secret;
  /** PEM private key as a sensitive variable. A Secret made by Secret.variable only; a string or a look-alike object is refused. */
  readonly privateKey: Secret;
  /** HTTPS port. @default STATIC_TLS_PORT (443) */
  readonly port?: number;
  /** `Strict-Transport-Security` max-age on HTTPS answers; 0 sends none. @default HSTS_TWO_YEARS_SECONDS (Mozilla's two years) */
  readonly hstsMaxAgeSeconds?: number;
}

/** The resolved TLS settings of a {@link StaticContentServer}: nginx's (production paths) and the sources. */
export interface StaticContentTls extends Omit<NginxTlsModel, 'listen'> {
  /** HTTPS port. */
  readonly port: number;
  /** The certificate chain's variable. */
  readonly certificate: Secret;
  /** The private key's variable. */
  readonly privateKey: Secret;
}

/** The public entry of one origin server: a floating IP on its port. */
export interface StaticOriginEntry {
  /** The server. */
  readonly instance: ServerInstance;
  /** Its floating IP (construct id `PublicEntry-<instance id>/FloatingIp`). */
  readonly floatingIp: NetworkingFloatingipV2;
  /** The association with the server's port, after the vSwitch's router interface. */
  readonly association: NetworkingFloatingipAssociateV2;
  /** The public address the CDN pulls from (a Terraform reference). */
  readonly address: string;
}

/** Props of {@link StaticContentServer}. */
export interface StaticContentServerProps {
  /** The DMZ vSwitch the servers are on. */
  readonly vswitch: IPrivateVSwitch;
  /** Flavor of the servers. */
  readonly flavor: Flavor;
  /** Host names of the static site: its public names and the Host header the CDN pulls with (`static.example.com`). */
  readonly hostNames: string[];
  /** Number of servers. @default 1 (case study 5: "a content server"; the CDN in front absorbs the load and keeps serving cached objects) */
  readonly count?: number;
  /**
   * Planned addresses kept for the servers on the vSwitch: growing up to it moves no other server's
   * address (see ServerCluster's `addressCapacity`). @default SCALABLE_TIER_ADDRESS_CAPACITY (10)
   */
  readonly addressCapacity?: number;
  /** Shared media, mounted at /var/www/static/media and opened to the vSwitch's network. @default - no mount: media are deployed like skin/ and js/ */
  readonly media?: INfsShare;
  /**
   * The CDN's egress (pull, origin shield) networks: the only sources the origin's public entry
   * answers on TCP 80 (and 443 with `tls`). Required: no CDN's networks can be guessed, and an
   * origin open to the internet lets anyone bypass the CDN. Until the CDN is chosen, give a closed
   * documentation network (RFC 5737, e.g. `192.0.2.0/24`).
   */
  readonly cdnCidrs: string[];
  /** Public network of the origin's floating IPs; must be the vSwitch router's gateway network. @default ExternalNetwork.ovh() */
  readonly externalNetwork?: ExternalNetwork;
  /** Connections per nginx worker. @default 4096 */
  readonly workerConnections?: number;
  /** Seconds browsers and the CDN keep unversioned assets. @default DEFAULT_UNVERSIONED_MAX_AGE_SECONDS (3600) */
  readonly unversionedMaxAgeSeconds?: number;
  /** Path answered 200 for health checks. @default '/healthz' */
  readonly healthCheckPath?: string;
  /** Host name prefix; hosts are `<prefix>-1`, `<prefix>-2`, ... @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
  /** HTTPS next to HTTP, Mozilla intermediate, opened to the same sources as HTTP. @default - HTTP only */
  readonly tls?: StaticContentTlsOptions;
}

/**
 * The DMZ content server of a shop: nginx (Debian 12) serving Magento 1's static content (`/media/`,
 * `/skin/`, `/js/` under /var/www/static) as the origin of a CDN. Media come from an NFS share
 * mounted at /var/www/static/media; skin/ and js/ are put there by the deployment. The rendered
 * `/etc/nginx/nginx.conf` is complete (see {@link renderNginxConfig}); the origin listens on TCP 80,
 * and with `tls` on TCP 443 too (Mozilla intermediate; the certificate chain and key come from
 * sensitive variables and are written root-only, 0600).
 *
 * The CDN reaches each server through a floating IP on its port (`PublicEntry-<instance id>`),
 * associated once the vSwitch is on its router; the security group admits those ports from
 * `cdnCidrs` only. The public addresses are the Terraform output `<path>_public_addresses`.
 */
export class StaticContentServer extends Construct implements IServerTier, IHttpBackend {
  /** The servers. */
  public readonly cluster: ServerCluster;
  /** The network intent of the servers. */
  public readonly connections: Connections;
  /** Host names served. */
  public readonly hostNames: readonly string[];
  /** The CDN pull networks: the only sources of the public ports. */
  public readonly cdnCidrs: readonly string[];
  /** The external network of the floating IPs. */
  public readonly externalNetwork: ExternalNetwork;
  /** One public entry (floating IP) per server, in order. */
  public readonly publicEntries: readonly StaticOriginEntry[];
  /** The output listing the servers' public addresses (`<path>_public_addresses`). */
  public readonly publicAddressesOutput: TerraformOutput;
  /** Connections per worker. */
  public readonly workerConnections: number;
  /** Cache-Control of versioned assets. */
  public readonly versionedCacheControl: string;
  /** Cache-Control of unversioned assets. */
  public readonly defaultCacheControl: string;
  /** Path answered 200 for health checks. */
  public readonly healthCheckPath: string;
  /** The health check a balancer in front should use. */
  public readonly healthCheck: HealthCheck;
  /** TCP port nginx listens on. */
  public readonly backendPort = 80;
  /** The shared media, when mounted. */
  public readonly media?: INfsShare;
  /** The resolved TLS settings, when `tls` was given. */
  public readonly tls?: StaticContentTls;

  constructor(scope: Construct, id: string, props: StaticContentServerProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    optionalPeer(this, 'media', props.media, Kinds.NFS_SHARE);
    optionalPeer(this, 'externalNetwork', props.externalNetwork, Kinds.EXTERNAL_NETWORK);
    const count = props.count ?? 1;
    requireIntegerInRange(this, 'count', count, 1, 20);
    if (props.hostNames.length === 0) throw new HostingStacksError(this, 'hostNames', props.hostNames, 'must name at least one host name');
    for (const name of props.hostNames) {
      requireText(this, 'hostNames', name, TextKind.HOST_NAME, { allowed: "must be DNS names such as 'static.example.com'" });
    }
    requireUnique(this, 'hostNames', props.hostNames, (n) => n.toLowerCase());
    this.hostNames = [...props.hostNames];
    this.workerConnections = props.workerConnections ?? 4096;
    requireIntegerInRange(this, 'workerConnections', this.workerConnections, 64, 65536);
    const maxAge = props.unversionedMaxAgeSeconds ?? DEFAULT_UNVERSIONED_MAX_AGE_SECONDS;
    requireIntegerInRange(this, 'unversionedMaxAgeSeconds', maxAge, 0, ONE_YEAR_SECONDS);
    this.healthCheckPath = props.healthCheckPath ?? '/healthz';
    requireTextRule(this, 'healthCheckPath', this.healthCheckPath, healthCheckPathRule([], 'visible-segments', MAGENTO1_STATIC_PREFIXES));
    if (!Array.isArray(props.cdnCidrs) || props.cdnCidrs.length === 0) {
      throw new HostingStacksError(this, 'cdnCidrs', props.cdnCidrs,
        "must name at least one network: the CDN's egress networks, the only sources the public origin answers (until the CDN is chosen, a closed documentation network such as '192.0.2.0/24')");
    }
    for (const c of props.cdnCidrs) {
      requireIpv4Cidr(this, 'cdnCidrs', c, '198.51.100.0/24', true);
    }
    requireUnique(this, 'cdnCidrs', props.cdnCidrs);
    this.cdnCidrs = [...props.cdnCidrs];
    this.externalNetwork = props.externalNetwork ?? ExternalNetwork.ovh();
    requireGatewayRouter(this, props.vswitch, this.externalNetwork);
    this.versionedCacheControl = `public, max-age=${ONE_YEAR_SECONDS}, immutable`;
    this.defaultCacheControl = `public, max-age=${maxAge}`;
    this.healthCheck = HealthCheck.http({ path: this.healthCheckPath });
    if (props.tls) this.tls = this.resolveTls(props.tls);

    this.cluster = new ServerCluster(this, 'Servers', {
      vswitch: props.vswitch,
      count,
      addressCapacity: scalableTierAddressCapacity(this, props.addressCapacity, count, 'count'),
      flavor: props.flavor,
      hostnamePrefix: props.hostnamePrefix ?? kebabCase(id),
    });
    this.connections = this.cluster.connections;
    for (const port of [this.backendPort, ...(this.tls ? [this.tls.port] : [])].map((p) => Port.tcp(p))) {
      for (const c of this.cdnCidrs) this.connections.allowFrom(Peer.ipv4(c), port, `CDN pull from ${c}`);
    }
    this.publicEntries = this.cluster.instances.map((instance) => {
      const entry = new Construct(this, `PublicEntry-${instance.node.id}`);
      const floatingIp = new NetworkingFloatingipV2(entry, 'FloatingIp', {
        pool: this.externalNetwork.name,
        description: escapeTerraformText(`hosting-stacks: ${this.node.path} CDN origin ${instance.hostname}`),
      });
      const association = associateFloatingIp(entry, floatingIp, instance.port.resource.id, props.vswitch);
      return { instance, floatingIp, association, address: floatingIp.address };
    });
    this.publicAddressesOutput = stableOutput(this, 'PublicAddresses', `${snakeCasePath(this)}_public_addresses`, {
      value: this.publicEntries.map((e) => e.address),
      description: `Public addresses of ${this.node.path} (the CDN's origin; open to cdnCidrs only)`,
    });

    this.media = props.media;
    if (props.media) props.media.allowClient(this, props.vswitch.cidr);
    this.cluster.configureHosts((host) => {
      const cc = host.cloudConfig;
      cc.addPackages('nginx');
      if (this.tls) {
        cc.addSecretFile(STATIC_TLS_PATHS.certificate, this.tls.certificate);
        cc.addSecretFile(STATIC_TLS_PATHS.privateKey, this.tls.privateKey);
      }
      cc.addFile({ path: NGINX_PATHS.config, syntax: ConfigSyntax.NGINX, content: renderNginxConfig(this.nginxModel(host.hostname)) });
      for (const p of MAGENTO1_STATIC_PREFIXES) cc.addPreServiceCommand('install', '-d', '-m', '0755', `${STATIC_ROOT}${p.replace(/\/$/, '')}`);
      if (props.media) props.media.mountOn(host, STATIC_MEDIA_MOUNT_POINT);
      cc.addServices('nginx');
    });
  }

  /** The servers' planned addresses. */
  public get backendAddresses(): readonly string[] {
    return this.cluster.addresses;
  }

  /** The nginx model of one host (production paths). */
  public nginxModel(hostname: string): NginxStaticConfigModel {
    return {
      hostname,
      user: 'www-data',
      pidFile: NGINX_PATHS.pidFile,
      errorLog: `${NGINX_PATHS.logDir}/error.log`,
      accessLog: `${NGINX_PATHS.logDir}/access.log`,
      tempDir: NGINX_PATHS.tempDir,
      mimeTypesFile: NGINX_PATHS.mimeTypes,
      workerConnections: this.workerConnections,
      workerRlimitNofile: this.workerConnections * 2,
      listen: String(this.backendPort),
      serverNames: this.hostNames,
      root: STATIC_ROOT,
      servedPrefixes: MAGENTO1_STATIC_PREFIXES,
      deniedPrefixes: MAGENTO1_PRIVATE_MEDIA_PREFIXES,
      healthCheckPath: this.healthCheckPath,
      versionedPatterns: VERSIONED_ASSET_PATTERNS,
      versionedCacheControl: this.versionedCacheControl,
      defaultCacheControl: this.defaultCacheControl,
      corsPattern: FONT_FILE_PATTERN,
      gzipTypes: NGINX_GZIP_TYPES,
      gzipCompLevel: 5,
      gzipMinLength: 256,
      openFileCache: { max: 20000, inactiveSeconds: 60, validSeconds: 30, minUses: 2 },
      keepaliveTimeoutSeconds: 65,
      keepaliveRequests: 1000,
      ...(this.tls ? { tls: this.nginxTlsModel(String(this.tls.port)) } : {}),
    };
  }

  /** The TLS part of the nginx model with `listen`; production paths. */
  public nginxTlsModel(listen: string): NginxTlsModel {
    if (!this.tls) throw new HostingStacksError(this, 'tls', undefined, 'is not set; this server has no TLS');
    const { port: _port, certificate: _certificate, privateKey: _privateKey, ...settings } = this.tls;
    return { ...settings, listen };
  }

  private resolveTls(options: StaticContentTlsOptions): StaticContentTls {
    for (const prop of ['certificate', 'privateKey'] as const) requirePeer(this, `tls.${prop}`, options[prop], Kinds.SECRET);
    const port = options.port ?? STATIC_TLS_PORT;
    requireIntegerInRange(this, 'tls.port', port, 1, 65535);
    if (port === this.backendPort) throw new HostingStacksError(this, 'tls.port', port, `is the HTTP port; HTTPS needs another (${STATIC_TLS_PORT})`);
    const hstsMaxAgeSeconds = options.hstsMaxAgeSeconds ?? HSTS_TWO_YEARS_SECONDS;
    requireIntegerInRange(this, 'tls.hstsMaxAgeSeconds', hstsMaxAgeSeconds, 0);
    return {
      port,
      certificate: options.certificate,
      privateKey: options.privateKey,
      certificateFile: STATIC_TLS_PATHS.certificate,
      certificateKeyFile: STATIC_TLS_PATHS.privateKey,
      protocols: MOZILLA_INTERMEDIATE_PROTOCOLS,
      ciphers: intermediateCipherString(),
      sessionTimeout: NGINX_TLS_SESSION.timeout,
      sessionCache: NGINX_TLS_SESSION.cache,
      sessionTickets: NGINX_TLS_SESSION.tickets,
      hstsMaxAgeSeconds,
    };
  }
}
