import { Construct, IConstruct } from 'constructs';
import { NetworkingSecgroupRuleV2 } from '../../.gen/providers/openstack/networking-secgroup-rule-v2';
import { NetworkingSecgroupV2 } from '../../.gen/providers/openstack/networking-secgroup-v2';
import { HostingStacksError } from './errors';
import { TextKind, checkText, requireText } from './text';
import { IPV4_CIDR_RULE, requireAdminSource, requireIpv4Cidr, requireOpenstackName } from './choices';
import { parseCidr } from './ipv4';
import { Port } from './port';
import { resourceName } from './naming';
import { escapeTerraformText, requireTerraformLiteral } from './terraform-text';
import { brand, describeValue, hasBrand, Kinds, requirePeer, requireProps } from './peers';
import { regionKeyOf } from './region-scope';

/** Anything that owns a {@link Connections}: clusters, balancers, single servers. */
/**
 * Written in a rule's description when its port is one the server listens on only while it needs
 * it (Galera's IST and SST ports, opened by a member while it joins): nothing listens there in
 * between, by design. The lab reads it from the Terraform: it requires no listener on such a port,
 * and requires each admitted flow to reach the server (refused by its kernel, not dropped by a
 * firewall on the way).
 */
export const ON_DEMAND_LISTENER_NOTE = 'listened on only on demand';

export interface IConnectable {
  /** The network intent of this construct; security groups and firewall rules follow from it. */
  readonly connections: Connections;
}

/** The kinds of {@link TrafficSource}: what a rule's traffic is allowed from. */
export enum TrafficSourceKind {
  /** An IPv4 address block (`remote_ip_prefix`); {@link TrafficSource.cidr} holds it. */
  CIDR = 'cidr',
  /** The whole internet (`0.0.0.0/0`), opened with a reason; {@link TrafficSource.reason} holds it. */
  INTERNET = 'internet',
  /** The members of another construct's security group (`remote_group_id`); {@link TrafficSource.connections} holds it. */
  GROUP = 'group',
}

/**
 * Where allowed traffic may come from: the source of an {@link IngressRule}, read by host
 * firewalls, daemon allow-lists and the policy rules. {@link Connections} makes one for each rule
 * it records (`allowFrom`, `allowFromInternet`, `allowInternally`); the factories are public so that
 * a caller can name the source it compares a rule with. Read {@link TrafficSource.kind} first: each
 * kind sets its own member and leaves the others undefined.
 */
export class TrafficSource {
  /** True when `x` is a {@link TrafficSource} (a `Symbol.for` brand: look-alike objects are not). */
  public static isTrafficSource(x: unknown): x is TrafficSource {
    return hasBrand(x, 'TrafficSource');
  }

  /** An IPv4 block such as `198.51.100.0/24`, without host bits; `0.0.0.0/0` is {@link TrafficSource.internet}. */
  public static cidr(cidr: string): TrafficSource {
    const block = typeof cidr === 'string' ? parseCidr(cidr) : undefined;
    if (!block || block.prefix === 0) {
      throw HostingStacksError.ofFactory('TrafficSource.cidr', 'cidr', cidr, `${IPV4_CIDR_RULE}, other than 0.0.0.0/0 (that is TrafficSource.internet(reason)), e.g. '198.51.100.0/24'`);
    }
    return new TrafficSource(TrafficSourceKind.CIDR, { cidr: block.text });
  }

  /** The whole internet (`0.0.0.0/0`); `reason` says why the construct is reachable from it. */
  public static internet(reason: string): TrafficSource {
    const problem = checkText(reason, TextKind.FREE_TEXT);
    if (problem) throw HostingStacksError.ofFactory('TrafficSource.internet', 'reason', reason, `${problem}: why the construct is reachable from 0.0.0.0/0`);
    return new TrafficSource(TrafficSourceKind.INTERNET, { reason });
  }

  /** The members of `connections`' security group. */
  public static group(connections: Connections): TrafficSource {
    if (!Kinds.CONNECTIONS.is(connections)) {
      throw HostingStacksError.ofFactory('TrafficSource.group', 'connections', describeValue(connections), `must be ${Kinds.CONNECTIONS.allowed} (the connections of a construct)`);
    }
    return new TrafficSource(TrafficSourceKind.GROUP, { connections });
  }

  /** What the traffic is allowed from; says which of the other members is set. */
  public readonly kind: TrafficSourceKind;
  /** The IPv4 block, for {@link TrafficSourceKind.CIDR}; undefined for the other kinds. */
  public readonly cidr?: string;
  /** Why the construct is reachable from the internet, for {@link TrafficSourceKind.INTERNET}; undefined for the other kinds. */
  public readonly reason?: string;
  /** The group the traffic comes from, for {@link TrafficSourceKind.GROUP}; undefined for the other kinds. */
  public readonly connections?: Connections;

  private constructor(kind: TrafficSourceKind, fields: { readonly cidr?: string; readonly reason?: string; readonly connections?: Connections }) {
    brand(this, 'TrafficSource');
    this.kind = kind;
    this.cidr = fields.cidr;
    this.reason = fields.reason;
    this.connections = fields.connections;
  }
}

/**
 * A peer given where a construct takes one: an address block ({@link Peer.ipv4}) or a construct
 * with connections ({@link Peer.of}), so that a prop such as `adminPeer` has one type. Each factory
 * sets its own member and leaves the other undefined.
 */
export class Peer {
  /** True when `x` is a {@link Peer} (a `Symbol.for` brand: look-alike objects are not). */
  public static isPeer(x: unknown): x is Peer {
    return hasBrand(x, 'Peer');
  }

  /** An IPv4 block such as an office or admin network. `0.0.0.0/0` is refused: use `allowFromInternet`. */
  public static ipv4(cidr: string): Peer {
    // Kept as given: the construct receiving the peer checks it and reports the error with its path.
    return new Peer(cidr, undefined);
  }

  /**
   * A construct with connections (a tier, a cluster, a server, a VPN gateway): traffic is allowed
   * from its security group, as `connections.allowFrom(connectable, port)` does. Throws a
   * {@link HostingStacksError} when `connectable` has no {@link Connections}.
   */
  public static of(connectable: IConnectable): Peer {
    if (!Kinds.CONNECTABLE.is(connectable)) {
      throw HostingStacksError.ofFactory('Peer.of', 'connectable', describeValue(connectable), `must be ${Kinds.CONNECTABLE.allowed}`);
    }
    return new Peer(undefined, connectable);
  }

  private constructor(
    /** The CIDR as given, for {@link Peer.ipv4}; undefined for {@link Peer.of}. */
    public readonly cidr: string | undefined,
    /** The construct, for {@link Peer.of}; undefined for {@link Peer.ipv4}. */
    public readonly connectable: IConnectable | undefined,
  ) {
    brand(this, 'Peer');
  }
}

/** One allowed inbound flow, as declared; the security-group rule is its realisation. */
export interface IngressRule {
  /** Protocol and ports. */
  readonly port: Port;
  /** Where the traffic may come from. */
  readonly source: TrafficSource;
  /** Why the flow exists (goes into the rule's description). */
  readonly description: string;
  /** The Neutron security-group rule realising it. */
  readonly resource: NetworkingSecgroupRuleV2;
  /**
   * For a group source with members outside its security group (ports with port security off): one
   * rule per such member, by `remote_ip_prefix` `<address>/32`, since `remote_group_id` admits only
   * the group's ports. Grows when such a member joins later.
   */
  readonly addressResources: readonly NetworkingSecgroupRuleV2[];
}

/** A rule of another Connections naming this one as its source, and how to realise it for one more address. */
interface SourcedRule {
  readonly rule: IngressRule;
  readonly realiseFor: (address: string) => void;
}

/** Props of {@link Connections}. */
export interface ConnectionsProps {
  /** Security group name. @default - derived from the construct path */
  readonly name?: string;
  /** Security group description (free text; `${` and `%{` are escaped for Terraform). @default - the construct path */
  readonly description?: string;
}

/**
 * The network intent of one construct, declared once between constructs
 * (`db.connections.allowFrom(app, Port.tcp(3306))`). It owns a Neutron security group: ingress is
 * denied unless a rule allows it, egress is left open (package mirrors, peers). Nothing is opened to
 * 0.0.0.0/0 except through {@link Connections.allowFromInternet}, which must say why.
 *
 * The declared rules are public ({@link Connections.ingressRules}), so host firewalls (nftables) and
 * daemon configs can be rendered from the same intent instead of repeating addresses.
 */
export class Connections extends Construct {
  /** True when `x` is a {@link Connections} (a `Symbol.for` brand: look-alike objects are not). */
  public static isConnections(x: unknown): x is Connections {
    return hasBrand(x, 'Connections');
  }

  /** The security group; its construct id is `Resource`. */
  public readonly securityGroup: NetworkingSecgroupV2;
  /** The security group's id (a reference, made once: ports and rules of every member share it). */
  public readonly securityGroupId: string;
  private readonly rules = new Map<string, IngressRule>();
  private readonly memberAddresses: string[] = [];
  private readonly outsideAddresses: string[] = [];
  private readonly sourcedRules: SourcedRule[] = [];

  constructor(scope: Construct, id: string, props: ConnectionsProps = {}) {
    super(scope, id);
    brand(this, 'Connections');
    requireProps(this, props);
    if (props.name !== undefined) requireOpenstackName(scope, 'name', props.name, 'a Neutron security group name');
    this.securityGroup = new NetworkingSecgroupV2(this, 'Resource', {
      name: requireTerraformLiteral(this, 'name', props.name, true) ?? resourceName(scope),
      description: escapeTerraformText(props.description ?? `hosting-stacks: ${scope.node.path}`),
    });
    this.securityGroupId = this.securityGroup.id;
  }

  /** The construct this intent belongs to. */
  public get owner(): IConstruct {
    return this.node.scope!;
  }

  /** Every inbound flow declared so far, in declaration order. */
  public get ingressRules(): readonly IngressRule[] {
    return [...this.rules.values()];
  }

  /** The planned fixed addresses of the members behind this intent (instances, VIP holders). */
  public get addresses(): readonly string[] {
    return [...this.memberAddresses];
  }

  /** Records a planned member address; called by the construct that plans the address. */
  public addMemberAddress(address: string): void {
    if (!this.memberAddresses.includes(address)) this.memberAddresses.push(address);
  }

  /** The member addresses whose ports have port security off, so are not in the security group. */
  public get addressesOutsideSecurityGroup(): readonly string[] {
    return [...this.outsideAddresses];
  }

  /**
   * Records that member `address` sits on a port without port security (no security group; see
   * {@link PlannedPort.disablePortSecurity}): it stays a member of this intent, but every rule
   * elsewhere naming this group as its source, declared before or after, also gets a
   * `remote_ip_prefix <address>/32` rule, since Neutron's `remote_group_id` admits only the group's ports.
   */
  public addMemberOutsideSecurityGroup(address: string): void {
    this.addMemberAddress(address);
    if (this.outsideAddresses.includes(address)) return;
    this.outsideAddresses.push(address);
    for (const s of this.sourcedRules) s.realiseFor(address);
  }

  /**
   * Allows `port` in from another construct (by security group) or from an address block.
   * `peer` is the construct itself or a {@link Peer}: `Peer.ipv4(cidr)`, or `Peer.of(construct)`,
   * which is the same as the construct. Declaring the same flow twice returns the first rule.
   */
  public allowFrom(peer: IConnectable | Peer, port: Port, description?: string): IngressRule {
    requirePeer(this.owner, 'peer', peer, Kinds.PEER_OR_CONNECTABLE);
    requirePeer(this.owner, 'port', port, Kinds.PORT);
    if (Peer.isPeer(peer) && peer.connectable !== undefined) {
      // Peer.of(construct): checked by the factory; its stack is checked here, where the rule is made.
      const connectable = requirePeer(this.owner, 'peer', peer.connectable, Kinds.CONNECTABLE);
      return this.allowFromGroup(connectable, port, description);
    }
    if (Peer.isPeer(peer)) {
      const cidr = requireIpv4Cidr(this.owner, 'peer', peer.cidr, '198.51.100.0/24');
      if (cidr.prefix === 0) {
        throw new HostingStacksError(this.owner, 'peer', peer.cidr, "is the whole internet; only a construct public by nature may be opened to it, through 'allowFromInternet(port, reason)'");
      }
      // A source SSH (TCP 22) is opened to is an admin source, whoever declares it.
      if (portsOverlap(port, Port.tcp(22))) requireAdminSource(this.owner, 'peer', cidr);
      return this.addRule(TrafficSource.cidr(cidr.text), port, description ?? `from ${cidr.text}`);
    }
    return this.allowFromGroup(peer, port, description);
  }

  /**
   * Opens `port` to 0.0.0.0/0. Only for constructs public by nature (a balancer's VIP, a real server
   * that answers LVS-forwarded clients); `reason` is required and kept in the rule's description.
   */
  public allowFromInternet(port: Port, reason: string): IngressRule {
    if (!reason || !reason.trim()) {
      throw new HostingStacksError(this.owner, 'reason', reason, 'must say why this construct is reachable from 0.0.0.0/0');
    }
    // The reason is kept in the security-group rule and the host firewall's comment.
    requireText(this.owner, 'reason', reason, TextKind.FREE_TEXT);
    return this.addRule(TrafficSource.internet(reason), port, `internet: ${reason}`);
  }

  /** Allows `port` out of this construct into `peer` (declared on the peer's side). */
  public allowTo(peer: IConnectable, port: Port, description?: string): IngressRule {
    requirePeer(this.owner, 'peer', peer, Kinds.CONNECTABLE);
    return peer.connections.allowFrom({ connections: this }, port, description);
  }

  /** Allows `port` between the members of this construct (cluster peers, VRRP). */
  public allowInternally(port: Port, description?: string): IngressRule {
    requirePeer(this.owner, 'port', port, Kinds.PORT);
    return this.addRule(TrafficSource.group(this), port, description ?? 'between members');
  }

  /** True when some rule lets `source`-kind traffic in on a port overlapping `port`. */
  public allows(port: Port, source: (s: TrafficSource) => boolean): boolean {
    return this.ingressRules.some((r) => portsOverlap(r.port, port) && source(r.source));
  }

  private allowFromGroup(peer: IConnectable, port: Port, description: string | undefined): IngressRule {
    return this.addRule(TrafficSource.group(peer.connections), port, description ?? `from ${peer.connections.owner.node.path}`);
  }

  private addRule(source: TrafficSource, port: Port, description: string): IngressRule {
    port.validate(this.owner, 'port');
    // The description is written into the security-group rule and the host firewall's rule comment.
    requireText(this.owner, 'description', description, TextKind.FREE_TEXT);
    const key = `${sourceLabel(source)}|${port.label}`;
    const existing = this.rules.get(key);
    if (existing) return existing;
    const sourceGroup = source.connections;
    if (sourceGroup !== undefined && regionKeyOf(sourceGroup) !== regionKeyOf(this)) {
      // Security groups are regional: remote_group_id of another region's group fails at apply.
      throw new HostingStacksError(this.owner, 'peer', sourceGroup.owner.node.path,
        `is in another region (${regionLabel(sourceGroup)}, this is in ${regionLabel(this)}): a security group rule cannot name another region's group; allow its addresses on the link between the sites instead (Peer.ipv4('<address>/32'))`);
    }
    const id = `Ingress-${sourceLabel(source)}-${port.label}`;
    const resource = new NetworkingSecgroupRuleV2(this, id, {
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: port.protocol,
      portRangeMin: port.fromPort,
      portRangeMax: port.toPort,
      remoteIpPrefix: source.kind === TrafficSourceKind.CIDR ? source.cidr : source.kind === TrafficSourceKind.INTERNET ? '0.0.0.0/0' : undefined,
      remoteGroupId: source.connections?.securityGroupId,
      securityGroupId: this.securityGroupId,
      // Free text (a reason, a flow's purpose): escaped so Terraform reads it as written.
      description: escapeTerraformText(description.slice(0, 255)),
    });
    const addressResources: NetworkingSecgroupRuleV2[] = [];
    const rule: IngressRule = { port, source, description, resource, addressResources };
    this.rules.set(key, rule);
    // Between this group's own members the group binds only the ports it is on: nothing to add.
    const group = source.connections;
    if (group !== undefined && group !== this) {
      const realiseFor = (address: string): void => {
        addressResources.push(new NetworkingSecgroupRuleV2(this, `${id}-${address.replace(/\./g, '_')}`, {
          direction: 'ingress',
          ethertype: 'IPv4',
          protocol: port.protocol,
          portRangeMin: port.fromPort,
          portRangeMax: port.toPort,
          remoteIpPrefix: `${address}/32`,
          securityGroupId: this.securityGroupId,
          description: escapeTerraformText(`${description} (member ${address}: port security off, outside the group)`.slice(0, 255)),
        }));
      };
      group.sourcedRules.push({ rule, realiseFor });
      for (const address of group.outsideAddresses) realiseFor(address);
    }
    return rule;
  }
}

/** Where `c` is made, in words: its regional Site, or the stack's region. */
function regionLabel(c: IConstruct): string {
  const key = regionKeyOf(c);
  return key === '' ? "the stack's region" : `the region of site ${key}`;
}

function sourceLabel(source: TrafficSource): string {
  switch (source.kind) {
    case TrafficSourceKind.CIDR:
      return source.cidr!.replace(/[./]/g, '_');
    case TrafficSourceKind.INTERNET:
      return 'internet';
    case TrafficSourceKind.GROUP:
      return source.connections!.owner.node.path.replace(/\//g, '_');
  }
}

function portsOverlap(a: Port, b: Port): boolean {
  if (a.protocol !== b.protocol) return false;
  if (!a.hasPorts || !b.hasPorts) return true;
  return a.fromPort! <= b.toPort! && b.fromPort! <= a.toPort!;
}
