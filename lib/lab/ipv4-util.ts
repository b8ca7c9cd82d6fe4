/** Small IPv4 helpers of the lab (CIDR membership), independent of the library's address planning. */

/** `10.20.1.4` as a 32-bit unsigned number; undefined when not a dotted quad. */
export function ipv4ToNumber(address: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

/** Whether `address` is inside `cidr` (`10.20.1.0/24`; a bare address counts as /32). */
export function cidrContains(cidr: string, address: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const b = ipv4ToNumber(base);
  const a = ipv4ToNumber(address);
  if (b === undefined || a === undefined || !(bits >= 0 && bits <= 32)) return false;
  if (bits === 0) return true;
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

/** Whether the string is a single address (not a CIDR of more than one). */
export function isSingleAddress(value: string): boolean {
  return ipv4ToNumber(value) !== undefined || /\/32$/.test(value);
}
