/**
 * Neutron's per-port firewall (the `iptables_hybrid` driver's rules) rendered as nftables text for
 * the lab's "compute host" namespace of one port: a pure function of a `LabStackModel`, so it can be
 * checked by `nft -c -f` without building anything.
 *
 * The host namespace of a port holds a bridge `qbr` with two ports: `tap` (towards the VM) and
 * `qvb` (towards the network). With br_netfilter, bridged IPv4 goes through the inet `forward`
 * hook, where the input interface is the bridge, not the port: so a bridge-family prerouting chain
 * marks each frame by the port it entered from (1: from the VM, 2: towards the VM) and the inet
 * forward chain filters on the mark. Anti-spoofing runs in the bridge family on `tap` (it needs no
 * conntrack, and this kernel's bridge family has no `ct state`).
 */
import type { LabSecurityGroupModel, LabSecurityGroupRuleModel, LabStackModel, LabPortModel } from './model';

/** Mark of a frame that entered the port's bridge from the VM (`tap`): the VM's egress. */
export const MARK_FROM_VM = 1;
/** Mark of a frame that entered from the network (`qvb`): the VM's ingress. */
export const MARK_TO_VM = 2;

/** Interface names inside a port's host namespace. */
export interface PortHostInterfaces {
  /** The port's end towards the VM. @default 'tap' */
  readonly tap?: string;
  /** The port's end towards the network's bridge. @default 'qvb' */
  readonly qvb?: string;
}

/** Name of the nftables tables the renderer owns (both families). */
export const PORT_TABLE = 'hs_port';

/** IP protocol numbers of the names Neutron accepts for `protocol`. */
const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  egp: 8,
  udp: 17,
  ipv6_encap: 41,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  ospf: 89,
  pgm: 113,
  vrrp: 112,
  sctp: 132,
  udplite: 136,
  dccp: 33,
};

/** Protocols whose rules may carry a port range (`th dport`). */
const PORTED = new Set([6, 17, 33, 132, 136]);

const isV6 = (address: string): boolean => address.includes(':');
const isAnyPrefix = (address: string): boolean => /^(0\.0\.0\.0|::)\/0$/.test(address);

/**
 * The addresses a `remote_group_id` rule matches, as Neutron computes them: every fixed IP and
 * every allowed-address-pair address (address or CIDR) of every port in the group.
 */
export function remoteGroupAddresses(model: LabStackModel, groupKey: string): string[] {
  const addresses = new Set<string>();
  for (const port of model.ports) {
    if (!port.securityGroupKeys.includes(groupKey)) continue;
    for (const ip of port.fixedIps) addresses.add(ip.ipAddress);
    for (const pair of port.allowedAddressPairs) addresses.add(pair.ipAddress);
  }
  return [...addresses];
}

function protocolNumber(rule: LabSecurityGroupRuleModel, portKey: string): number | undefined {
  const raw = rule.protocol?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'any' || raw === '0') return undefined;
  let n: number | undefined;
  if (/^\d+$/.test(raw)) n = Number(raw);
  else n = PROTOCOL_NUMBERS[raw];
  if (n === undefined || n < 0 || n > 255) {
    throw new Error(`${portKey}: rule ${rule.key}: 'protocol' (${rule.protocol}) is not a protocol name Neutron accepts nor a number 0-255`);
  }
  // Neutron takes `icmp` in an IPv6 rule as ICMPv6.
  if (n === 1 && rule.ethertype === 'IPv6') n = 58;
  return n;
}

/**
 * The nft match of one rule for its direction (without the verdict), or undefined when the rule can
 * match nothing (a remote group without any address of its family).
 */
export function renderRuleMatch(model: LabStackModel, rule: LabSecurityGroupRuleModel, portKey: string): string | undefined {
  const v6 = rule.ethertype === 'IPv6';
  const ipWord = v6 ? 'ip6' : 'ip';
  const addrWord = rule.direction === 'ingress' ? 'saddr' : 'daddr';
  const parts: string[] = [`meta nfproto ${v6 ? 'ipv6' : 'ipv4'}`];

  if (rule.remoteIpPrefix !== undefined && rule.remoteGroupKey !== undefined) {
    throw new Error(`${portKey}: rule ${rule.key}: 'remote_ip_prefix' and 'remote_group_id' are mutually exclusive in Neutron`);
  }
  if (rule.remoteIpPrefix !== undefined) {
    if (isV6(rule.remoteIpPrefix) !== v6) {
      throw new Error(`${portKey}: rule ${rule.key}: 'remote_ip_prefix' (${rule.remoteIpPrefix}) does not match ethertype ${rule.ethertype}`);
    }
    if (!isAnyPrefix(rule.remoteIpPrefix)) parts.push(`${ipWord} ${addrWord} ${rule.remoteIpPrefix}`);
  }
  if (rule.remoteGroupKey !== undefined) {
    if (!model.securityGroups.some((g) => g.key === rule.remoteGroupKey)) {
      throw new Error(`${portKey}: rule ${rule.key}: 'remote_group_id' (${rule.remoteGroupKey}) is not a security group of the stack`);
    }
    const members = remoteGroupAddresses(model, rule.remoteGroupKey).filter((a) => isV6(a) === v6);
    if (members.length === 0) return undefined;
    // A 0.0.0.0/0 address pair in the group makes the group match every source, as in Neutron.
    if (!members.some(isAnyPrefix)) parts.push(`${ipWord} ${addrWord} { ${members.join(', ')} }`);
  }

  const proto = protocolNumber(rule, portKey);
  if (proto !== undefined) {
    parts.push(`meta l4proto ${proto}`);
    const { portRangeMin: min, portRangeMax: max } = rule;
    if (PORTED.has(proto)) {
      if (min !== undefined || max !== undefined) {
        const lo = min ?? 1;
        const hi = max ?? 65535;
        if (lo < 1 || hi > 65535 || lo > hi) {
          throw new Error(`${portKey}: rule ${rule.key}: port range ${min}-${max} is not within 1-65535 with min <= max`);
        }
        parts.push(`th dport ${lo === hi ? lo : `${lo}-${hi}`}`);
      }
    } else if (proto === 1 || proto === 58) {
      // For ICMP Neutron reads port_range_min as the type and port_range_max as the code.
      const word = proto === 1 ? 'icmp' : 'icmpv6';
      if (min !== undefined) parts.push(`${word} type ${min}`);
      if (max !== undefined) parts.push(`${word} code ${max}`);
    } else if (min !== undefined || max !== undefined) {
      throw new Error(`${portKey}: rule ${rule.key}: a port range needs protocol tcp, udp, sctp, dccp or udplite (got ${rule.protocol})`);
    }
  } else if (rule.portRangeMin !== undefined || rule.portRangeMax !== undefined) {
    throw new Error(`${portKey}: rule ${rule.key}: a port range needs a protocol`);
  }
  return parts.join(' ');
}

function directionRules(model: LabStackModel, port: LabPortModel, groups: readonly LabSecurityGroupModel[], direction: 'ingress' | 'egress'): string[] {
  const lines: string[] = [];
  for (const group of groups) {
    if (direction === 'egress' && group.defaultEgress) {
      lines.push(`meta nfproto ipv4 accept comment ${quote(`${group.key} default egress IPv4`)}`);
      lines.push(`meta nfproto ipv6 accept comment ${quote(`${group.key} default egress IPv6`)}`);
    }
    for (const rule of group.rules) {
      if (rule.direction !== direction) continue;
      const match = renderRuleMatch(model, rule, port.key);
      if (match === undefined) {
        lines.push(`# ${rule.key}: remote group without any ${rule.ethertype} address matches nothing`);
        continue;
      }
      lines.push(`${match} accept comment ${quote(rule.key)}`);
    }
  }
  return lines;
}

/** nft comments are limited to 128 bytes and must not hold a double quote. */
function quote(text: string): string {
  const clean = text.replace(/["\\\n]/g, '_');
  return `"${clean.length > 120 ? `...${clean.slice(-117)}` : clean}"`;
}

function portGroups(model: LabStackModel, port: LabPortModel): LabSecurityGroupModel[] {
  return port.securityGroupKeys.map((key) => {
    const group = model.securityGroups.find((g) => g.key === key);
    if (group === undefined) throw new Error(`${port.key}: security group ${key} is not in the stack`);
    return group;
  });
}

/** Addresses (and MAC) a port may send from: its fixed IPs, then its allowed address pairs. */
export function allowedSources(port: LabPortModel): { mac: string; ip: string }[] {
  const sources = port.fixedIps.map((ip) => ({ mac: port.macAddress.toLowerCase(), ip: ip.ipAddress }));
  for (const pair of port.allowedAddressPairs) {
    sources.push({ mac: (pair.macAddress ?? port.macAddress).toLowerCase(), ip: pair.ipAddress });
  }
  return sources;
}

/**
 * The whole ruleset of one port's host namespace: a bridge table (marks, anti-spoofing) and, with
 * port security on, an inet table (security groups). Loading it replaces what a previous rendering
 * loaded (the tables are declared, deleted and declared again), so the same call updates a port.
 */
export function renderPortFirewall(model: LabStackModel, portKey: string, names: PortHostInterfaces = {}): string {
  const port = model.ports.find((p) => p.key === portKey);
  if (port === undefined) throw new Error(`renderPortFirewall: port ${portKey} is not in the stack`);
  if (!port.portSecurity && port.securityGroupKeys.length > 0) {
    throw new Error(`${port.key}: security groups (${port.securityGroupKeys.join(', ')}) on a port with port security disabled: Neutron refuses this (409 Conflict)`);
  }
  const tap = names.tap ?? 'tap';
  const qvb = names.qvb ?? 'qvb';
  const out: string[] = [`# Neutron port ${port.key} (${port.name})`];
  out.push(`table bridge ${PORT_TABLE}`, `delete table bridge ${PORT_TABLE}`);
  out.push(`table inet ${PORT_TABLE}`, `delete table inet ${PORT_TABLE}`);

  out.push(`table bridge ${PORT_TABLE} {`);
  out.push('  chain prerouting {');
  out.push('    type filter hook prerouting priority filter; policy accept;');
  out.push(`    iifname "${tap}" meta mark set ${MARK_FROM_VM}`);
  out.push(`    iifname "${qvb}" meta mark set ${MARK_TO_VM}`);
  if (port.portSecurity) out.push(`    iifname "${tap}" jump port_security`);
  out.push('  }');
  if (port.portSecurity) {
    out.push('  chain port_security {');
    for (const { mac, ip } of allowedSources(port)) {
      if (isV6(ip)) continue; // the lab gives no IPv6: IPv6 from the VM is dropped below
      const any = isAnyPrefix(ip);
      out.push(`    ether saddr ${mac} ether type ip ${any ? '' : `ip saddr ${ip} `}accept`);
      out.push(`    ether saddr ${mac} ether type arp arp htype 1 arp ptype ip arp saddr ether ${mac} ${any ? '' : `arp saddr ip ${ip} `}accept`);
    }
    out.push('    counter drop comment "spoofed source"');
    out.push('  }');
  }
  out.push('}');

  if (port.portSecurity) {
    const groups = portGroups(model, port);
    const stateful = groups.map((g) => g.stateful);
    if (stateful.includes(true) && stateful.includes(false)) {
      throw new Error(`${port.key}: stateful and stateless security groups on one port (${port.securityGroupKeys.join(', ')}): Neutron refuses this`);
    }
    const isStateful = groups.length === 0 || stateful[0];
    out.push(`table inet ${PORT_TABLE} {`);
    out.push('  chain forward {');
    out.push('    type filter hook forward priority filter; policy accept;');
    out.push(`    meta mark ${MARK_FROM_VM} jump egress`);
    out.push(`    meta mark ${MARK_TO_VM} jump ingress`);
    out.push('  }');
    for (const direction of ['ingress', 'egress'] as const) {
      out.push(`  chain ${direction} {`);
      if (isStateful) {
        out.push('    ct state established,related accept');
        out.push('    ct state invalid counter drop comment "conntrack invalid"');
      }
      for (const line of directionRules(model, port, groups, direction)) out.push(`    ${line}`);
      out.push(`    counter drop comment "no ${direction} rule"`);
      out.push('  }');
    }
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}
