/**
 * IPv4 arithmetic used by the address planner. Pure functions over numbers; no construct logic.
 */

/** An IPv4 CIDR block parsed into numbers. */
export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit number. */
  readonly network: number;
  /** The prefix length (0-32). */
  readonly prefix: number;
  /** The number of addresses in the block, network and broadcast included. */
  readonly size: number;
  /** The CIDR in canonical text form (`10.0.1.0/24`). */
  readonly text: string;
}

/** One octet in decimal without leading zeros: `010` is refused, since inet_aton and others read it as octal (8). */
const OCTET = '(0|[1-9][0-9]{0,2})';
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/**
 * Parses a dotted-quad address; returns undefined when the text is not one. Octets with leading
 * zeros (`10.0.01.5`) are refused: other tools (inet_aton, ping, some firewalls) read them as octal.
 */
export function parseIpv4(text: string): number | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
}

/** Formats an unsigned 32-bit number as a dotted quad. */
export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/**
 * Parses `a.b.c.d/n`. Returns undefined when the text is not a CIDR or has host bits set
 * (`10.0.1.5/24` is rejected: it is ambiguous whether the network or the host was meant), or has
 * leading zeros in an octet or the prefix length (`010.0.1.0/24`, `10.0.1.0/024`: read as octal elsewhere).
 */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  const parts = text.split('/');
  if (parts.length !== 2 || !/^(0|[1-9][0-9]?)$/.test(parts[1])) return undefined;
  const address = parseIpv4(parts[0]);
  const prefix = Number(parts[1]);
  if (address === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) return undefined;
  return { network: address, prefix, size, text: `${formatIpv4(address)}/${prefix}` };
}

/** True when the two blocks share at least one address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network < b.network + b.size && b.network < a.network + a.size;
}

/** True when the address lies inside the block. */
export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  return address >= cidr.network && address < cidr.network + cidr.size;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContainsCidr(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.network >= outer.network && inner.network + inner.size <= outer.network + outer.size;
}
