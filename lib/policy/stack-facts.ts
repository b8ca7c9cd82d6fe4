import { IConstruct } from 'constructs';
import { findHosts } from '../compute/server-cluster';
import { Connections, IngressRule, TrafficSource } from '../core/connections';
import { cidrsOverlap, parseCidr, parseIpv4 } from '../core/ipv4';
import { IpProtocol, Port } from '../core/port';
import { NetworkZone, PrivateVSwitch } from '../network/private-vswitch';
import { Kinds } from '../core/peers';

/**
 * What the policy rules read from a stack's construct tree: its vSwitches and their zones, every
 * {@link Connections} and the addresses behind them. Shared by the rules; not a rule itself.
 */

/** Every vSwitch below `scope`, in tree order. */
export function findVSwitches(scope: IConstruct): PrivateVSwitch[] {
  return scope.node.findAll().filter((c): c is PrivateVSwitch => PrivateVSwitch.isPrivateVSwitch(c));
}

/** Every {@link Connections} below `scope`, in tree order. */
export function findConnections(scope: IConstruct): Connections[] {
  return scope.node.findAll().filter((c): c is Connections => Kinds.CONNECTIONS.is(c));
}

/** The vSwitch holding `address`, if any. */
export function vswitchOf(vswitches: readonly PrivateVSwitch[], address: string): PrivateVSwitch | undefined {
  return vswitches.find((v) => v.contains(address));
}

/** The vSwitches of `zone` whose subnet overlaps `cidr`. */
export function zoneVSwitchesOverlapping(vswitches: readonly PrivateVSwitch[], zone: NetworkZone, cidr: string): PrivateVSwitch[] {
  const block = parseCidr(cidr);
  if (!block) return [];
  return vswitches.filter((v) => v.zone === zone && cidrsOverlap(parseCidr(v.cidr)!, block));
}

/** The member addresses of `connections` that lie on a vSwitch of `zone`. */
export function addressesInZone(vswitches: readonly PrivateVSwitch[], connections: Connections, zone: NetworkZone): string[] {
  return connections.addresses.filter((a) => vswitchOf(vswitches, a)?.zone === zone);
}

/** True when `rule` lets TCP `port` in (a TCP range containing it counts). */
export function ruleAllowsTcp(rule: IngressRule, port: number): boolean {
  return rule.port.protocol === IpProtocol.TCP && rule.port.fromPort! <= port && port <= rule.port.toPort!;
}

/** A source as a reader would name it: `the internet`, `198.51.100.0/24`, `the group of Stack/Web`. */
export function describeSource(source: TrafficSource): string {
  switch (source.kind) {
    case 'internet':
      return `the internet (0.0.0.0/0: ${source.reason})`;
    case 'cidr':
      return source.cidr;
    case 'group':
      return `the group of ${source.connections.owner.node.path}`;
  }
}

/** `tcp 22`, `vrrp`, `tcp 8000-8010`: a port for messages. */
export function describePort(port: Port): string {
  if (!port.hasPorts) return port.protocol;
  return port.fromPort === port.toPort ? `${port.protocol} ${port.fromPort}` : `${port.protocol} ${port.fromPort}-${port.toPort}`;
}

/** True when `cidr` contains `address`. */
export function cidrContainsAddress(cidr: string, address: string): boolean {
  const block = parseCidr(cidr);
  const a = parseIpv4(address);
  return block !== undefined && a !== undefined && a >= block.network && a < block.network + block.size;
}

/**
 * The allowed address pairs of the ports in `group`'s security group that are not its members'
 * own addresses (`0.0.0.0/0` on LVS-NAT directors; direct-routing directors have port security off and no pairs). Neutron counts them as members of the group where
 * another group names it as a remote group, so a rule "from the group" admits them too.
 */
export function groupAddressPairSources(scope: IConstruct, group: Connections): string[] {
  const members = new Set(group.addresses);
  const extra = new Set<string>();
  for (const host of findHosts(scope)) {
    if (host.cluster.connections !== group) continue;
    for (const pair of host.port.allowedAddressPairs) {
      const bare = pair.endsWith('/32') ? pair.slice(0, -3) : pair;
      if (!members.has(bare)) extra.add(pair);
    }
  }
  return [...extra];
}
