import { Construct, IConstruct } from 'constructs';
import { NetworkingSecgroupRuleV2 } from '../../.gen/providers/openstack/networking-secgroup-rule-v2';
import { NetworkingSecgroupV2 } from '../../.gen/providers/openstack/networking-secgroup-v2';
import { HostingStacksError } from './errors';
import { TextKind, requireText } from './text';
import { requireAdminSource, requireIpv4Cidr, requireOpenstackName } from './choices';
import { Port } from './port';
import { resourceName } from './naming';
import { escapeTerraformText, requireTerraformLiteral } from './terraform-text';
import { brand, hasBrand, Kinds, requirePeer, requireProps } from './peers';

/** Anything that owns a {@link Connections}: clusters, balancers, single servers. */
export interface IConnectable {
  /** The network intent of this construct; security groups and firewall rules follow from it. */
  readonly connections: Connections;
}

/** Where allowed traffic may come from. */
export type TrafficSource =
  | { readonly kind: 'cidr'; readonly cidr: string }
  | { readonly kind: 'internet'; readonly reason: string }
  | { readonly kind: 'group'; readonly connections: Connections };

/** A peer given by address rather than by construct. */
export class Peer {
  /** True when `x` is a {@link Peer} (a `Symbol.for` brand: look-alike objects are not). */
  public static isPeer(x: unknown): x is Peer {
    return hasBrand(x, 'Peer');
  }

  /** An IPv4 block such as an office or admin network. `0.0.0.0/0` is refused: use `allowFromInternet`. */
  public static ipv4(cidr: string): Peer {
    return new Peer(cidr);
  }
  private constructor(
    /** The CIDR as given. */
    public readonly cidr: string,
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
   * Declaring the same flow twice returns the first rule.
   */
  public allowFrom(peer: IConnectable | Peer, port: Port, description?: string): IngressRule {
    requirePeer(this.owner, 'peer', peer, Kinds.PEER_OR_CONNECTABLE);
    requirePeer(this.owner, 'port', port, Kinds.PORT);
    if (peer instanceof Peer) {
      const cidr = requireIpv4Cidr(this.owner, 'peer', peer.cidr, '198.51.100.0/24');
      if (cidr.prefix === 0) {
        throw new HostingStacksError(this.owner, 'peer', peer.cidr, "is the whole internet; only a construct public by nature may be opened to it, through 'allowFromInternet(port, reason)'");
      }
      // A source SSH (TCP 22) is opened to is an admin source, whoever declares it.
      if (portsOverlap(port, Port.tcp(22))) requireAdminSource(this.owner, 'peer', cidr);
      return this.addRule({ kind: 'cidr', cidr: cidr.text }, port, description ?? `from ${cidr.text}`);
    }
    return this.addRule({ kind: 'group', connections: peer.connections }, port, description ?? `from ${peer.connections.owner.node.path}`);
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
    return this.addRule({ kind: 'internet', reason }, port, `internet: ${reason}`);
  }

  /** Allows `port` out of this construct into `peer` (declared on the peer's side). */
  public allowTo(peer: IConnectable, port: Port, description?: string): IngressRule {
    requirePeer(this.owner, 'peer', peer, Kinds.CONNECTABLE);
    return peer.connections.allowFrom({ connections: this }, port, description);
  }

  /** Allows `port` between the members of this construct (cluster peers, VRRP). */
  public allowInternally(port: Port, description?: string): IngressRule {
    requirePeer(this.owner, 'port', port, Kinds.PORT);
    return this.addRule({ kind: 'group', connections: this }, port, description ?? 'between members');
  }

  /** True when some rule lets `source`-kind traffic in on a port overlapping `port`. */
  public allows(port: Port, source: (s: TrafficSource) => boolean): boolean {
    return this.ingressRules.some((r) => portsOverlap(r.port, port) && source(r.source));
  }

  private addRule(source: TrafficSource, port: Port, description: string): IngressRule {
    port.validate(this.owner, 'port');
    // The description is written into the security-group rule and the host firewall's rule comment.
    requireText(this.owner, 'description', description, TextKind.FREE_TEXT);
    const key = `${sourceLabel(source)}|${port.label}`;
    const existing = this.rules.get(key);
    if (existing) return existing;
    const id = `Ingress-${sourceLabel(source)}-${port.label}`;
    const resource = new NetworkingSecgroupRuleV2(this, id, {
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: port.protocol,
      portRangeMin: port.fromPort,
      portRangeMax: port.toPort,
      remoteIpPrefix: source.kind === 'cidr' ? source.cidr : source.kind === 'internet' ? '0.0.0.0/0' : undefined,
      remoteGroupId: source.kind === 'group' ? source.connections.securityGroup.id : undefined,
      securityGroupId: this.securityGroup.id,
      // Free text (a reason, a flow's purpose): escaped so Terraform reads it as written.
      description: escapeTerraformText(description.slice(0, 255)),
    });
    const addressResources: NetworkingSecgroupRuleV2[] = [];
    const rule: IngressRule = { port, source, description, resource, addressResources };
    this.rules.set(key, rule);
    // Between this group's own members the group binds only the ports it is on: nothing to add.
    if (source.kind === 'group' && source.connections !== this) {
      const realiseFor = (address: string): void => {
        addressResources.push(new NetworkingSecgroupRuleV2(this, `${id}-${address.replace(/\./g, '_')}`, {
          direction: 'ingress',
          ethertype: 'IPv4',
          protocol: port.protocol,
          portRangeMin: port.fromPort,
          portRangeMax: port.toPort,
          remoteIpPrefix: `${address}/32`,
          securityGroupId: this.securityGroup.id,
          description: escapeTerraformText(`${description} (member ${address}: port security off, outside the group)`.slice(0, 255)),
        }));
      };
      source.connections.sourcedRules.push({ rule, realiseFor });
      for (const address of source.connections.outsideAddresses) realiseFor(address);
    }
    return rule;
  }
}

function sourceLabel(source: TrafficSource): string {
  switch (source.kind) {
    case 'cidr':
      return source.cidr.replace(/[./]/g, '_');
    case 'internet':
      return 'internet';
    case 'group':
      return source.connections.owner.node.path.replace(/\//g, '_');
  }
}

function portsOverlap(a: Port, b: Port): boolean {
  if (a.protocol !== b.protocol) return false;
  if (!a.hasPorts || !b.hasPorts) return true;
  return a.fromPort! <= b.toPort! && b.fromPort! <= a.toPort!;
}
