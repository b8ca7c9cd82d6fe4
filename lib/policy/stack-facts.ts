import { IConstruct } from 'constructs';
import { ReviewedHostFile, ServerInstance } from '../compute/server-cluster';
import { Connections, IngressRule, TrafficSource, TrafficSourceKind } from '../core/connections';
import { cidrsOverlap, parseCidr, parseIpv4 } from '../core/ipv4';
import { IpProtocol, Port } from '../core/port';
import { IPrivateVSwitch, NetworkZone, PrivateVSwitch } from '../network/private-vswitch';
import { Kinds } from '../core/peers';
import type { PolicyContext } from './policy-rule';

/**
 * What the policy rules read from a stack's construct tree: its vSwitches and their zones, every
 * {@link Connections} and the addresses behind them, the hosts' files. Shared by the rules; not a
 * rule itself. The facts of a whole stack are kept in the check's {@link PolicyContext.memo}
 * (keys `facts:*`), so each is derived once per check whichever rules and nodes read it.
 */

/** The {@link PolicyContext.memo} key of every construct of the checked stack, in tree order (the pack's own walk). */
export const ALL_CONSTRUCTS_KEY = 'facts:constructs';

/** Every construct of the checked stack in tree order, the stack first (the list the pack walks). */
export function allConstructs(context: PolicyContext): readonly IConstruct[] {
  return context.memo(ALL_CONSTRUCTS_KEY, () => context.stack.node.findAll());
}

/** Every vSwitch of the checked stack, in tree order. */
export function stackVSwitches(context: PolicyContext): readonly IPrivateVSwitch[] {
  return context.memo('facts:vswitches', () => allConstructs(context).filter((c): c is PrivateVSwitch => PrivateVSwitch.isPrivateVSwitch(c)));
}

/** Every {@link Connections} of the checked stack, in tree order. */
export function stackConnections(context: PolicyContext): readonly Connections[] {
  return context.memo('facts:connections', () => allConstructs(context).filter((c): c is Connections => Kinds.CONNECTIONS.is(c)));
}

/** The {@link Connections} of the checked stack by their owner (the construct a rule about them visits). */
export function connectionsByOwner(context: PolicyContext): ReadonlyMap<IConstruct, readonly Connections[]> {
  return context.memo('facts:connectionsByOwner', () => {
    const byOwner = new Map<IConstruct, Connections[]>();
    for (const c of stackConnections(context)) {
      const list = byOwner.get(c.owner);
      if (list) list.push(c);
      else byOwner.set(c.owner, [c]);
    }
    return byOwner;
  });
}

/** Every host (ServerInstance) of the checked stack, in tree order. */
export function stackHosts(context: PolicyContext): readonly ServerInstance[] {
  return context.memo('facts:hosts', () => allConstructs(context).filter(ServerInstance.isServerInstance));
}

/**
 * The files cloud-init writes on `host`, sorted by path, with Terraform references resolved for
 * review (`${var.db_password}`), as HostingStack writes them under `configs/`
 * ({@link ServerInstance.reviewedHostFiles}: once per synth pass).
 */
export function reviewedHostFiles(host: ServerInstance, context: PolicyContext): readonly ReviewedHostFile[] {
  return context.memo(`facts:reviewedHostFiles:${host.node.path}`, () => host.reviewedHostFiles());
}

/** The vSwitch holding `address`, if any. */
export function vswitchOf(vswitches: readonly IPrivateVSwitch[], address: string): IPrivateVSwitch | undefined {
  return vswitches.find((v) => v.contains(address));
}

/** The vSwitches of `zone` whose subnet overlaps `cidr`. */
export function zoneVSwitchesOverlapping(vswitches: readonly IPrivateVSwitch[], zone: NetworkZone, cidr: string): IPrivateVSwitch[] {
  const block = parseCidr(cidr);
  if (!block) return [];
  return vswitches.filter((v) => v.zone === zone && cidrsOverlap(parseCidr(v.cidr)!, block));
}

/** The member addresses of `connections` that lie on a vSwitch of `zone`. */
export function addressesInZone(vswitches: readonly IPrivateVSwitch[], connections: Connections, zone: NetworkZone): string[] {
  return connections.addresses.filter((a) => vswitchOf(vswitches, a)?.zone === zone);
}

/** True when `rule` lets TCP `port` in (a TCP range containing it counts). */
export function ruleAllowsTcp(rule: IngressRule, port: number): boolean {
  return rule.port.protocol === IpProtocol.TCP && rule.port.fromPort! <= port && port <= rule.port.toPort!;
}

/** A source as a reader would name it: `the internet`, `198.51.100.0/24`, `the group of Stack/Web`. */
export function describeSource(source: TrafficSource): string {
  switch (source.kind) {
    case TrafficSourceKind.INTERNET:
      return `the internet (0.0.0.0/0: ${source.reason})`;
    case TrafficSourceKind.CIDR:
      return source.cidr!;
    case TrafficSourceKind.GROUP:
      return `the group of ${source.connections!.owner.node.path}`;
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
 * own addresses (`0.0.0.0/0` on LVS-NAT directors; direct-routing directors have port security
 * off and no pairs). Neutron counts them as members of the group where another group names it as
 * a remote group, so a rule "from the group" admits them too. Every group's are gathered once per check.
 */
export function groupAddressPairSources(context: PolicyContext, group: Connections): readonly string[] {
  return addressPairSourcesByGroup(context).get(group) ?? [];
}

function addressPairSourcesByGroup(context: PolicyContext): ReadonlyMap<Connections, string[]> {
  return context.memo('facts:addressPairSourcesByGroup', () => {
    const extra = new Map<Connections, Set<string>>();
    for (const host of stackHosts(context)) {
      const group = host.cluster.connections;
      const members = new Set(group.addresses);
      for (const pair of host.port.allowedAddressPairs) {
        const bare = pair.endsWith('/32') ? pair.slice(0, -3) : pair;
        if (members.has(bare)) continue;
        const set = extra.get(group) ?? new Set<string>();
        set.add(pair);
        extra.set(group, set);
      }
    }
    return new Map([...extra].map(([g, set]) => [g, [...set]]));
  });
}
