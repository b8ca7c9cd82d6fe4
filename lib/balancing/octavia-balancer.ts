import { IArchitectureIntent, RedundancyKind, TierIntent } from '../core/architecture-intent';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { LbL7PolicyV2 } from '../../.gen/providers/openstack/lb-l7policy-v2';
import { LbL7RuleV2 } from '../../.gen/providers/openstack/lb-l7rule-v2';
import { LbListenerV2 } from '../../.gen/providers/openstack/lb-listener-v2';
import { LbLoadbalancerV2 } from '../../.gen/providers/openstack/lb-loadbalancer-v2';
import { LbMemberV2 } from '../../.gen/providers/openstack/lb-member-v2';
import { LbMonitorV2 } from '../../.gen/providers/openstack/lb-monitor-v2';
import { LbPoolV2 } from '../../.gen/providers/openstack/lb-pool-v2';
import { NetworkingFloatingipAssociateV2 } from '../../.gen/providers/openstack/networking-floatingip-associate-v2';
import { NetworkingFloatingipV2 } from '../../.gen/providers/openstack/networking-floatingip-v2';
import { IServerTier } from '../compute/server-cluster';
import { Peer } from '../core/connections';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { requireIpv4Address } from '../core/choices';
import { resourceName } from '../core/naming';
import { escapeTerraformText } from '../core/terraform-text';
import { requireText, TextKind } from '../core/text';
import { Port } from '../core/port';
import { Secret } from '../core/secret';
import { intermediateCipherString, MOZILLA_INTERMEDIATE_PROTOCOLS } from '../security/tls-policy';
import { ExternalNetwork } from '../network/external-network';
import type { IPrivateVSwitch } from '../network/private-vswitch';
import { HealthCheck, HealthCheckKind } from './health-check';
import {
  connectionLimitFor, DEFAULT_CONCURRENT_USERS_PER_COUNTRY, dhcpPoolCidrs, ENTRY_TIMEOUTS, HttpTarget, HttpTargetOptions, IHttpEntryBalancer,
  requireConcurrentUsers, requireReachableTier, trustForwardedProto,
} from './http-balancer';
import { associateFloatingIp, requireGatewayRouter } from './vrrp-pair';
import {
  brand, brandedKind, describeValue, hasBrand, Kinds, optionalPeer, PeerKind, requireOptions, requirePeer, requireProps,
} from '../core/peers';

/**
 * The load-balancer sizes OVHcloud offers as Octavia flavors (`openstack loadbalancer flavor list`
 * in the region). OVHcloud prices them by bandwidth capacity and publishes each size's benchmark on
 * its Load Balancer product page; a size cannot be changed in place (a new balancer takes over the
 * floating IP). Octavia's API takes the flavor's id, not its name, so {@link OctaviaBalancerProps.flavorId}
 * takes the id listed next to the size in the project's region.
 *
 * Sizing 1,500 concurrent users (case study 5): the amphora is haproxy, so 1,500 users x 2
 * connections x 1.5 headroom = 4,500 connections is little for any size; the size is a bandwidth
 * choice. Static content goes to the CDN and the NGINX content server, so the entry carries pages
 * and AJAX: at one ~100 kB page per user every 10 s, 1,500 users need ~120 Mbit/s. Take the
 * smallest size whose published bandwidth covers that ({@link RECOMMENDED_OCTAVIA_SIZE}); the
 * per-size figures are on OVHcloud's product page and change over time, so check them there.
 */
export enum OctaviaSize {
  SMALL = 'small',
  MEDIUM = 'medium',
  LARGE = 'large',
}

/** The size expected to fit 1,500 concurrent users of documents and AJAX, ~120 Mbit/s (see {@link OctaviaSize}). */
export const RECOMMENDED_OCTAVIA_SIZE = OctaviaSize.SMALL;

/** Octavia counts monitor retries from 1 to 10 (`max_retries`, `max_retries_down`). */
const MAX_OCTAVIA_RETRIES = 10;

/** The port of HTTPS listeners. */
export const OCTAVIA_HTTPS_PORT = 443;

/** Status of the HTTP-to-HTTPS redirect: permanent, so browsers and search engines keep the HTTPS URL. */
export const HTTPS_REDIRECT_STATUS = 301;

/**
 * The certificate of a TERMINATED_HTTPS listener: a Barbican reference of the certificate bundle
 * (PKCS#12 stored with `openstack secret store`, OVHcloud's way for TERMINATED_HTTPS listeners),
 * `https://<barbican endpoint>/v1/secrets/<uuid>` or `.../v1/containers/<uuid>`, given as it is
 * (`OctaviaCertificate.fromContainerRef(ref)`) or held by a sensitive variable
 * (`OctaviaCertificate.fromSecret(Secret.variable(...))`).
 *
 * The factories refuse a value of the wrong type (a reference that is no string, a look-alike
 * Secret); the balancer that receives the certificate checks the reference's form and the
 * Secret's stack, and its error names its path.
 */
export abstract class OctaviaCertificate {
  /** True when `x` is an {@link OctaviaCertificate} (a `Symbol.for` brand: look-alike objects are not). */
  public static isOctaviaCertificate(x: unknown): x is OctaviaCertificate {
    return hasBrand(x, 'OctaviaCertificate');
  }

  /** The Barbican reference itself (a string, or a token such as a Terraform variable's `stringValue`). */
  public static fromContainerRef(ref: string): OctaviaCertificate {
    if (typeof ref !== 'string') {
      throw HostingStacksError.ofFactory('OctaviaCertificate.fromContainerRef', 'ref', describeValue(ref),
        "must be a Barbican reference string, e.g. 'https://key-manager.gra.cloud.ovh.net/v1/secrets/<uuid>'; for a sensitive variable use OctaviaCertificate.fromSecret(secret)");
    }
    return new ContainerRefCertificate(ref);
  }

  /** A Secret (sensitive variable, made by `Secret.variable`) holding the Barbican reference. */
  public static fromSecret(secret: Secret): OctaviaCertificate {
    if (!Kinds.SECRET.is(secret)) {
      throw HostingStacksError.ofFactory('OctaviaCertificate.fromSecret', 'secret', describeValue(secret, true), `must be ${Kinds.SECRET.allowed}`);
    }
    return new SecretCertificate(secret);
  }

  protected constructor() {
    brand(this, 'OctaviaCertificate');
  }

  /** The reference as the listener's `default_tls_container_ref` takes it: the string, or the Secret's reference token. */
  public abstract get containerRef(): string;
  /** The Secret holding the reference, when made by {@link OctaviaCertificate.fromSecret}. */
  public abstract get secret(): Secret | undefined;
}

class ContainerRefCertificate extends OctaviaCertificate {
  constructor(private readonly ref: string) {
    super();
  }
  public get containerRef(): string {
    return this.ref;
  }
  public get secret(): Secret | undefined {
    return undefined;
  }
}

class SecretCertificate extends OctaviaCertificate {
  constructor(private readonly holder: Secret) {
    super();
  }
  public get containerRef(): string {
    return this.holder.value;
  }
  public get secret(): Secret | undefined {
    return this.holder;
  }
}

/** What `tls.certificate` takes. */
const OCTAVIA_CERTIFICATE: PeerKind<OctaviaCertificate> = brandedKind<OctaviaCertificate>('OctaviaCertificate',
  'an OctaviaCertificate (OctaviaCertificate.fromContainerRef(ref) or OctaviaCertificate.fromSecret(secret))');

/** HTTPS on an {@link OctaviaBalancer}: a TERMINATED_HTTPS listener, and HTTP redirected to it. */
export interface OctaviaTlsOptions {
  /** The certificate bundle in Barbican: `OctaviaCertificate.fromContainerRef(ref)` or `OctaviaCertificate.fromSecret(secret)`. */
  readonly certificate: OctaviaCertificate;
  /** The HTTPS origin HTTP requests are redirected to, path and query kept (`https://www.example.com`). */
  readonly redirectPrefix: string;
  /** Port of the HTTPS listener. @default OCTAVIA_HTTPS_PORT (443) */
  readonly port?: number;
}

/** The resolved HTTPS side of an {@link OctaviaBalancer}. */
export interface OctaviaTls {
  /** The certificate given. */
  readonly certificate: OctaviaCertificate;
  /** The Barbican reference (or the Secret's reference token), as the listener takes it. */
  readonly certificateContainerRef: string;
  /** The redirect target. */
  readonly redirectPrefix: string;
  /** HTTPS port. */
  readonly port: number;
  /** The TERMINATED_HTTPS listener (construct id `TlsListener`); the pool is on it. */
  readonly listener: LbListenerV2;
  /** The HTTP listener's REDIRECT_PREFIX policy (`HttpsRedirect`). */
  readonly redirectPolicy: LbL7PolicyV2;
  /** Its rule matching every path (`HttpsRedirectRule`). */
  readonly redirectRule: LbL7RuleV2;
}

/** A Barbican secret or container reference. */
const BARBICAN_REF = /^https?:\/\/[^\s/]+(\/[^\s/]+)*\/v1\/(secrets|containers)\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Props of {@link OctaviaBalancer}. */
export interface OctaviaBalancerProps {
  /** The vSwitch of the VIP (the DMZ). Its router needs an external gateway (floating IP). */
  readonly vswitch: IPrivateVSwitch;
  /** Concurrent users the entry is sized for; the listener's `connection_limit` follows ({@link connectionLimitFor}). @default DEFAULT_CONCURRENT_USERS_PER_COUNTRY (1,000) */
  readonly expectedConcurrentUsers?: number;
  /** TCP port of the HTTP listener. @default 80 */
  readonly listenerPort?: number;
  /** Id of the Octavia flavor (an {@link OctaviaSize} of the region: `openstack loadbalancer flavor list`). @default - the cloud's default flavor */
  readonly flavorId?: string;
  /** Planned address of the VIP on the vSwitch. @default - the next free planned address */
  readonly vipAddress?: string;
  /** Public network of the floating IP; must be the vSwitch router's gateway network. @default ExternalNetwork.ovh() */
  readonly externalNetwork?: ExternalNetwork;
  /** HTTPS: a TERMINATED_HTTPS listener with Mozilla intermediate settings, and the HTTP listener redirecting to it. @default - HTTP only */
  readonly tls?: OctaviaTlsOptions;
}

/** The tier behind an {@link OctaviaBalancer}. */
export interface OctaviaTarget extends HttpTarget {
  /** The pool (ROUND_ROBIN, no persistence). */
  readonly pool: LbPoolV2;
  /** The health monitor. */
  readonly monitor: LbMonitorV2;
  /** One member per instance of the tier, in order. */
  readonly members: readonly LbMemberV2[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A public HTTP entry managed by OpenStack (Octavia, OVHcloud's Public Cloud Load Balancer): the
 * load balancer with its VIP planned on the vSwitch (`Resource`, `node.defaultChild`), an HTTP
 * listener (`Listener`) whose `connection_limit` is sized from the expected users and which adds
 * X-Forwarded-For, a floating IP on the VIP port (`FloatingIp`, `FloatingIpAssociation`), and, once
 * a target is added, a ROUND_ROBIN pool without session persistence (`Pool`), an HTTP monitor
 * (`Monitor`) and one member per instance of the tier (`Member-<instance id>`).
 *
 * Members give `subnet_id` = the tier's subnet. Octavia then plugs each amphora into that subnet
 * with an address from its DHCP pool, and requests and health checks reach the members from there.
 * So the tier's connections allow the members' port from the tier vSwitch's DHCP pool (as CIDRs):
 * the only addresses the amphorae can have there, and none of the planned (fixed) ones.
 *
 * With `tls`, a TERMINATED_HTTPS listener (`TlsListener`, port 443) takes the certificate from
 * Barbican and offers Mozilla intermediate (`tls_versions` TLSv1.2/TLSv1.3, `tls_ciphers` from
 * lib/security/tls-policy.ts), the pool hangs off it, and the HTTP listener answers every request
 * with a 301 to `redirectPrefix` (`HttpsRedirect` policy, `HttpsRedirectRule`). TLS ends at the
 * balancer: the members' rules are unchanged.
 */
export class OctaviaBalancer extends Construct implements IArchitectureIntent, IHttpEntryBalancer {
  /** Octavia's active/standby amphorae, run by the cloud. (architecture notes) */
  public readonly architectureIntent: TierIntent = { redundancy: RedundancyKind.MANAGED };
  /** The Octavia load balancer. */
  public readonly resource: LbLoadbalancerV2;
  /** The HTTP listener. */
  public readonly listener: LbListenerV2;
  /** The floating IP; the entry's public address is `floatingIp.address`. */
  public readonly floatingIp: NetworkingFloatingipV2;
  /** The floating IP's association with the VIP port. */
  public readonly floatingIpAssociation: NetworkingFloatingipAssociateV2;
  /** The VIP's planned address. */
  public readonly vipAddress: string;
  /** TCP port of the listener. */
  public readonly listenerPort: number;
  /** Concurrent users the entry is sized for. */
  public readonly expectedConcurrentUsers: number;
  /** The listener's `connection_limit`. */
  public readonly connectionLimit: number;
  /** The Octavia flavor id, when one was given. */
  public readonly flavorId: string | undefined;
  /** The vSwitch of the VIP. */
  public readonly vswitch: IPrivateVSwitch;
  /** The external network of the floating IP. */
  public readonly externalNetwork: ExternalNetwork;
  /** The HTTPS side, when `tls` was given. */
  public readonly tls?: OctaviaTls;
  private targetValue?: OctaviaTarget;

  constructor(scope: Construct, id: string, props: OctaviaBalancerProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    optionalPeer(this, 'externalNetwork', props.externalNetwork, Kinds.EXTERNAL_NETWORK);
    this.vswitch = props.vswitch;
    this.externalNetwork = props.externalNetwork ?? ExternalNetwork.ovh();
    this.expectedConcurrentUsers = requireConcurrentUsers(this, 'expectedConcurrentUsers', props.expectedConcurrentUsers ?? DEFAULT_CONCURRENT_USERS_PER_COUNTRY);
    this.connectionLimit = connectionLimitFor(this.expectedConcurrentUsers);
    this.listenerPort = props.listenerPort ?? 80;
    requireIntegerInRange(this, 'listenerPort', this.listenerPort, 1, 65535);
    if (props.flavorId !== undefined && !Token.isUnresolved(props.flavorId)) {
      requireText(this, 'flavorId', props.flavorId, TextKind.NAME, {
        pattern: UUID,
        allowed: "must be the id (a UUID) of an Octavia flavor, not its name: take it from 'openstack loadbalancer flavor list' in the region",
      });
    }
    this.flavorId = props.flavorId;
    requireGatewayRouter(this, this.vswitch, this.externalNetwork);
    if (props.vipAddress !== undefined) requireIpv4Address(this, 'vipAddress', props.vipAddress, this.vswitch.plannedRange.first);
    this.vipAddress = this.vswitch.allocateAddress(this, props.vipAddress, 'vipAddress');

    this.resource = new LbLoadbalancerV2(this, 'Resource', {
      name: resourceName(this),
      description: escapeTerraformText(`hosting-stacks: ${this.node.path}`),
      vipSubnetId: this.vswitch.subnetId,
      vipAddress: this.vipAddress,
      flavorId: this.flavorId,
    });
    this.node.defaultChild = this.resource;
    this.listener = new LbListenerV2(this, 'Listener', {
      name: resourceName(this, 'http'),
      loadbalancerId: this.resource.id,
      protocol: 'HTTP',
      protocolPort: this.listenerPort,
      connectionLimit: this.connectionLimit,
      // X-Forwarded-Proto too ('http' here): the amphora replaces whatever a client sent.
      insertHeaders: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' },
      timeoutClientData: ENTRY_TIMEOUTS.clientMs,
      timeoutMemberConnect: ENTRY_TIMEOUTS.connectMs,
      timeoutMemberData: ENTRY_TIMEOUTS.serverMs,
    });
    if (props.tls) this.tls = this.createTls(props.tls);
    this.floatingIp = new NetworkingFloatingipV2(this, 'FloatingIp', {
      pool: this.externalNetwork.name,
      description: escapeTerraformText(`hosting-stacks: ${this.node.path} VIP ${this.vipAddress}`),
    });
    this.floatingIpAssociation = associateFloatingIp(this, this.floatingIp, this.resource.vipPortId, this.vswitch);

    this.node.addValidation({
      validate: () => this.targetValue ? [] : [`${this.node.path}: 'target' (undefined) must be set; call addTarget(tier, { port })`],
    });
  }

  /** The tier behind the entry, once added. */
  public get target(): OctaviaTarget | undefined {
    return this.targetValue;
  }

  /**
   * Creates the ROUND_ROBIN pool, its monitor and one member per instance of `tier`, and lets the
   * amphorae in on `options.port` in the tier's connections. One tier per balancer.
   */
  public addTarget(tier: IServerTier, options: HttpTargetOptions): OctaviaTarget {
    requirePeer(this, 'tier', tier, Kinds.SERVER_TIER);
    requireOptions<HttpTargetOptions>(this, 'options', options, ['port', 'healthCheck']);
    optionalPeer(this, 'healthCheck', options.healthCheck, Kinds.HEALTH_CHECK);
    if (this.targetValue) {
      throw new HostingStacksError(this, 'tier', tier.cluster.node.path, `cannot be added: ${this.node.path} already balances ${this.targetValue.tier.cluster.node.path}; one tier per entry`);
    }
    requireIntegerInRange(this, 'port', options.port, 1, 65535);
    requireReachableTier(this, this.vswitch, tier);
    const healthCheck = (options.healthCheck ?? HealthCheck.http()).validate(this, 'healthCheck');
    this.requireOctaviaHealthCheck(healthCheck);

    const memberVswitch = tier.cluster.vswitch;
    const pool = new LbPoolV2(this, 'Pool', {
      name: resourceName(this, 'members'),
      // With TLS the HTTP listener only redirects: the members are behind the HTTPS listener.
      listenerId: (this.tls?.listener ?? this.listener).id,
      protocol: 'HTTP',
      lbMethod: 'ROUND_ROBIN',
    });
    // One reference for the monitor and every member (each read of an attribute makes a token).
    const poolId = pool.id;
    const http = healthCheck.kind === HealthCheckKind.HTTP;
    const monitor = new LbMonitorV2(this, 'Monitor', {
      name: resourceName(this, 'health'),
      poolId,
      type: http ? 'HTTP' : 'TCP',
      delay: healthCheck.intervalSeconds,
      timeout: healthCheck.timeoutSeconds,
      maxRetries: healthCheck.healthyThreshold,
      maxRetriesDown: healthCheck.unhealthyThreshold,
      httpMethod: http ? 'GET' : undefined,
      urlPath: http ? healthCheck.path : undefined,
      expectedCodes: http ? String(healthCheck.expectedStatus) : undefined,
    });
    const members = tier.cluster.instances.map((instance) => new LbMemberV2(this, `Member-${instance.node.id}`, {
      name: instance.hostname,
      poolId,
      address: instance.address,
      protocolPort: options.port,
      subnetId: memberVswitch.subnetId,
      // A member of a front-end the count variable does not ask for would be an ERROR member naming no server.
      count: instance.existence,
    }));
    const pool0 = memberVswitch.dhcpPool;
    const amphoraSources = dhcpPoolCidrs(memberVswitch);
    const memberRules = amphoraSources.map((cidr) => tier.connections.allowFrom(Peer.ipv4(cidr), Port.tcp(options.port),
      `Octavia amphorae: plugged into ${memberVswitch.node.path} (member subnet_id), they take addresses from its DHCP pool ${pool0.start}-${pool0.end} and send requests and health checks from there`));
    this.targetValue = {
      tier,
      port: options.port,
      healthCheck,
      memberAddresses: tier.cluster.instances.map((i) => i.address),
      memberRules,
      trustedProxies: amphoraSources,
      pool,
      monitor,
      members,
    };
    // Both listeners set X-Forwarded-Proto (http or https); the tier believes it from the amphorae only.
    trustForwardedProto(tier, amphoraSources, this);
    return this.targetValue;
  }

  /**
   * The TERMINATED_HTTPS listener (TLS 1.2/1.3, Mozilla intermediate ciphers, the certificate from
   * Barbican) and an L7 policy on the HTTP listener that redirects every path to `redirectPrefix`
   * with a 301 (Octavia's L7 cookbook: a REDIRECT_PREFIX policy with a rule matching all requests).
   */
  private createTls(options: OctaviaTlsOptions): OctaviaTls {
    requireOptions<OctaviaTlsOptions>(this, 'tls', options, ['certificate', 'redirectPrefix', 'port']);
    const port = options.port ?? OCTAVIA_HTTPS_PORT;
    requireIntegerInRange(this, 'tls.port', port, 1, 65535);
    if (port === this.listenerPort) throw new HostingStacksError(this, 'tls.port', port, `is the HTTP listener's port; HTTPS needs another (${OCTAVIA_HTTPS_PORT})`);
    const certificate = requirePeer(this, 'tls.certificate', options.certificate, OCTAVIA_CERTIFICATE);
    // The variable must be one this stack declares.
    if (certificate.secret) requirePeer(this, 'tls.certificate', certificate.secret, Kinds.SECRET);
    const ref = certificate.containerRef;
    if (!Token.isUnresolved(ref)) {
      requireText(this, 'tls.certificate', ref, TextKind.HTTP_URL, {
        pattern: BARBICAN_REF,
        allowed: "must be a Barbican secret or container reference, e.g. 'https://key-manager.gra.cloud.ovh.net/v1/secrets/<uuid>' (openstack secret store / secret list)",
      });
    }
    if (!Token.isUnresolved(options.redirectPrefix)) {
      requireText(this, 'tls.redirectPrefix', options.redirectPrefix, TextKind.HTTP_URL, {
        pattern: /^https:\/\/[A-Za-z0-9.-]+(:\d+)?$/,
        allowed: "must be an https origin without path or trailing slash, e.g. 'https://www.example.com'",
      });
    }
    const listener = new LbListenerV2(this, 'TlsListener', {
      name: resourceName(this, 'https'),
      loadbalancerId: this.resource.id,
      protocol: 'TERMINATED_HTTPS',
      protocolPort: port,
      defaultTlsContainerRef: ref,
      tlsVersions: [...MOZILLA_INTERMEDIATE_PROTOCOLS],
      tlsCiphers: intermediateCipherString(),
      connectionLimit: this.connectionLimit,
      insertHeaders: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' },
      timeoutClientData: ENTRY_TIMEOUTS.clientMs,
      timeoutMemberConnect: ENTRY_TIMEOUTS.connectMs,
      timeoutMemberData: ENTRY_TIMEOUTS.serverMs,
    });
    const redirectPolicy = new LbL7PolicyV2(this, 'HttpsRedirect', {
      name: resourceName(this, 'https-redirect'),
      listenerId: this.listener.id,
      action: 'REDIRECT_PREFIX',
      redirectPrefix: options.redirectPrefix,
      redirectHttpCode: HTTPS_REDIRECT_STATUS,
      position: 1,
    });
    const redirectRule = new LbL7RuleV2(this, 'HttpsRedirectRule', { l7PolicyId: redirectPolicy.id, type: 'PATH', compareType: 'STARTS_WITH', value: '/' });
    return { certificate, certificateContainerRef: ref, redirectPrefix: options.redirectPrefix, port, listener, redirectPolicy, redirectRule };
  }

  /** Octavia monitors count whole seconds, need timeout <= delay and 1-10 retries. */
  private requireOctaviaHealthCheck(hc: HealthCheck): void {
    if (!Number.isInteger(hc.intervalSeconds) || hc.intervalSeconds < 1) {
      throw new HostingStacksError(this, 'healthCheck.intervalSeconds', hc.intervalSeconds, 'must be a whole number of seconds, at least 1 (Octavia monitor delay)');
    }
    if (!Number.isInteger(hc.timeoutSeconds) || hc.timeoutSeconds < 1 || hc.timeoutSeconds > hc.intervalSeconds) {
      throw new HostingStacksError(this, 'healthCheck.timeoutSeconds', hc.timeoutSeconds,
        `must be a whole number of seconds from 1 to the interval (${hc.intervalSeconds}); Octavia refuses a monitor timeout above its delay`);
    }
    requireIntegerInRange(this, 'healthCheck.healthyThreshold', hc.healthyThreshold, 1, MAX_OCTAVIA_RETRIES);
    requireIntegerInRange(this, 'healthCheck.unhealthyThreshold', hc.unhealthyThreshold, 1, MAX_OCTAVIA_RETRIES);
  }
}
