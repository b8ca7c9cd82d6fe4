import { IConstruct } from 'constructs';
import { HostingStacksError } from './errors';
import { brand, hasBrand } from './peers';

/** IP protocols a {@link Port} can carry. Values are the names Neutron security-group rules accept. */
export enum IpProtocol {
  TCP = 'tcp',
  UDP = 'udp',
  ICMP = 'icmp',
  /** Virtual Router Redundancy Protocol, IP protocol 112 (keepalived). */
  VRRP = 'vrrp',
  /** IPsec encapsulated security payload, IP protocol 50. */
  ESP = 'esp',
}

/**
 * A protocol and port range that a connection allows. Use the static factories:
 * `Port.tcp(443)`, `Port.tcpRange(8000, 8010)`, `Port.udp(51820)`, `Port.vrrp()`, `Port.icmp()`.
 * Port numbers out of range are reported by the construct that receives the port
 * ({@link Port.validate}; `Connections` does it for every rule), so the error names its path.
 */
export class Port {
  /** True when `x` is a {@link Port} (a `Symbol.for` brand: look-alike objects are not). */
  public static isPort(x: unknown): x is Port {
    return hasBrand(x, 'Port');
  }

  /** One TCP port. */
  public static tcp(port: number): Port {
    return new Port(IpProtocol.TCP, port, port);
  }
  /** An inclusive range of TCP ports. */
  public static tcpRange(from: number, to: number): Port {
    return new Port(IpProtocol.TCP, from, to);
  }
  /** One UDP port. */
  public static udp(port: number): Port {
    return new Port(IpProtocol.UDP, port, port);
  }
  /** All ICMP (ping, path-MTU discovery). */
  public static icmp(): Port {
    return new Port(IpProtocol.ICMP);
  }
  /** VRRP (IP protocol 112), for keepalived peers. */
  public static vrrp(): Port {
    return new Port(IpProtocol.VRRP);
  }
  /** IPsec ESP (IP protocol 50). */
  public static esp(): Port {
    return new Port(IpProtocol.ESP);
  }

  /** Why the port numbers are not valid, reported by {@link Port.validate} with the receiving construct's path. */
  private readonly problem?: string;

  private constructor(
    /** The IP protocol. */
    public readonly protocol: IpProtocol,
    /** First port of the range; undefined for protocols without ports. */
    public readonly fromPort?: number,
    /** Last port of the range (inclusive); undefined for protocols without ports. */
    public readonly toPort?: number,
  ) {
    brand(this, 'Port');
    if (fromPort !== undefined || toPort !== undefined) {
      const ok = (p: number | undefined) => p !== undefined && Number.isInteger(p) && p >= 1 && p <= 65535;
      // Kept, not thrown: the factory has no construct path; the construct receiving the port reports it.
      if (!ok(fromPort) || !ok(toPort) || fromPort! > toPort!) this.problem = 'must be integers from 1 to 65535 with from <= to';
    }
  }

  /**
   * Throws a {@link HostingStacksError} naming `scope` and `prop` when the port numbers are out of
   * range (`'port' ('tcp 70000')`); returns this port otherwise.
   */
  public validate(scope: IConstruct, prop: string): Port {
    if (this.problem) {
      const ports = this.fromPort === this.toPort ? `${this.fromPort}` : `${this.fromPort}-${this.toPort}`;
      throw new HostingStacksError(scope, prop, `${this.protocol} ${ports}`, this.problem);
    }
    return this;
  }

  /** True for TCP and UDP, whose rules carry port numbers. */
  public get hasPorts(): boolean {
    return this.fromPort !== undefined;
  }

  /** A short stable label, e.g. `tcp-443`, `tcp-8000-8010`, `vrrp`; used in construct ids. */
  public get label(): string {
    if (!this.hasPorts) return this.protocol;
    return this.fromPort === this.toPort ? `${this.protocol}-${this.fromPort}` : `${this.protocol}-${this.fromPort}-${this.toPort}`;
  }
}
