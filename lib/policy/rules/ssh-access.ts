import { IConstruct } from 'constructs';
import { Connections, IngressRule, TrafficSource, TrafficSourceKind } from '../../core/connections';
import { ADMIN_SOURCE_MIN_PREFIX } from '../../core/choices';
import { formatIpv4, parseCidr } from '../../core/ipv4';
import { OfficeVpn } from '../../vpn/office-vpn';
import type { IPrivateVSwitch } from '../../network/private-vswitch';
import { finding, IPolicyRule, PolicyContext, PolicyFinding } from '../policy-rule';
import { allConstructs, connectionsByOwner, describeSource, groupAddressPairSources, ruleAllowsTcp, stackConnections, stackVSwitches } from '../stack-facts';

/** Id of {@link SSH_ACCESS_RULE}. */
export const SSH_ACCESS_RULE_ID = 'HS-SSH-1';

/** TCP port of SSH. */
export const SSH_PORT = 22;

/** The largest block inside the stack's vSwitches that an SSH rule may name address by address (/22). */
const MAX_INTERNAL_BLOCK = 1024;

/**
 * HS-SSH-1: SSH only from an admin or VPN network.
 *
 * Every ingress rule that lets TCP 22 in (a TCP range containing 22 counts) must come from:
 * - an **admin CIDR**: a CIDR of at most a /16 ({@link ADMIN_SOURCE_MIN_PREFIX}) that overlaps none of the stack's vSwitches
 *   (an administrators' or office network, reached through a floating IP or routed by the VPN);
 *   or a block inside the stack's vSwitches whose every address is a planned address of an
 *   access point (e.g. a jump host's `/32`), covering no DHCP-pool, gateway or other host address;
 * - or a **group that is an access point** and whose ports carry no allowed address pair beyond
 *   its members' addresses (Neutron counts every address of an allowed address pair as a member of
 *   the port's security group where another group names it as a remote group, so a group whose
 *   ports allow `0.0.0.0/0`, like LVS-NAT directors, admits any source).
 *
 * An **access point** is a group SSH can only reach through administrators:
 * - a **VPN gateway**: the Connections of an {@link OfficeVpn} gateway (WireGuard), which
 *   masquerades the offices' traffic and forwards only the flows declared with `allowOfficesTo`;
 * - a **jump host**: a group with at least one SSH ingress rule from outside itself, every one of
 *   them compliant (admin CIDRs, VPN gateways or other access points). A deployment VM reached
 *   only through the VPN, a backup runner reached only from jump hosts, and balancer nodes whose SSH
 *   comes only from `adminCidr` are access points by this definition.
 * Rules between a group's own members (`allowInternally`) add no way in and are ignored.
 *
 * Visits each construct that owns a {@link Connections}; the finding is on the owner.
 */
export const SSH_ACCESS_RULE: IPolicyRule = {
  id: SSH_ACCESS_RULE_ID,
  description: 'SSH (TCP 22) is only let in from admin or VPN networks, or from access points (jump hosts, VPN gateways) that are themselves reached only from them',
  visit(node: IConstruct, context: PolicyContext): PolicyFinding[] {
    const owned = connectionsByOwner(context).get(node);
    if (!owned) return [];
    const facts = context.memo(`${SSH_ACCESS_RULE_ID}:facts`, () => new SshFacts(context));
    const findings: PolicyFinding[] = [];
    for (const c of owned) {
      for (const rule of sshRules(c)) {
        const problem = facts.sourceProblem(rule.source, new Set([c]));
        if (problem) findings.push(finding(SSH_ACCESS_RULE, node.node.path, `lets SSH in from ${describeSource(rule.source)}: ${problem}`));
      }
    }
    return findings;
  },
};

/** The SSH ingress rules of `c` from outside itself. */
function sshRules(c: Connections): IngressRule[] {
  return c.ingressRules.filter((r) => ruleAllowsTcp(r, SSH_PORT) && r.source.connections !== c);
}

/** What the SSH rule needs to know about a stack, computed once per check. */
class SshFacts {
  private readonly vswitches: readonly IPrivateVSwitch[];
  private readonly vpnGateways: Set<Connections>;
  private readonly connections: readonly Connections[];
  private readonly context: PolicyContext;

  constructor(context: PolicyContext) {
    this.context = context;
    this.vswitches = stackVSwitches(context);
    this.connections = stackConnections(context);
    this.vpnGateways = new Set(allConstructs(context)
      .filter((c): c is OfficeVpn => c instanceof OfficeVpn)
      .flatMap((v) => (v.connections ? [v.connections] : [])));
  }

  /** Why `source` may not open SSH, or undefined when it may. `visiting` breaks cycles. */
  public sourceProblem(source: TrafficSource, visiting: Set<Connections>): string | undefined {
    switch (source.kind) {
      case TrafficSourceKind.INTERNET:
        return 'the internet is not an admin network; allow an admin CIDR, a VPN or a jump host';
      case TrafficSourceKind.CIDR:
        return this.cidrProblem(source.cidr!, visiting);
      case TrafficSourceKind.GROUP: {
        const g = source.connections!;
        const pairs = groupAddressPairSources(this.context, g);
        if (pairs.length) {
          return `its ports allow the address pairs ${pairs.join(', ')}, which Neutron counts as members of its security group: any of those sources could connect; name the hosts' addresses instead`;
        }
        return this.accessPointProblem(g, visiting);
      }
    }
  }

  /** Why `g` is not an access point, or undefined when it is. */
  public accessPointProblem(g: Connections, visiting: Set<Connections>): string | undefined {
    if (this.vpnGateways.has(g)) return undefined;
    if (visiting.has(g)) return `it is reached through a cycle of groups (${g.owner.node.path}) with no admin entry`;
    const rules = sshRules(g);
    if (rules.length === 0) return `${g.owner.node.path} is not an access point: no admin network, VPN or jump host reaches it by SSH`;
    const next = new Set([...visiting, g]);
    for (const r of rules) {
      const problem = this.sourceProblem(r.source, next);
      if (problem) return `${g.owner.node.path} is not an access point: it lets SSH in from ${describeSource(r.source)} (${problem})`;
    }
    return undefined;
  }

  private cidrProblem(text: string, visiting: Set<Connections>): string | undefined {
    const block = parseCidr(text)!;
    if (block.prefix === 0) return 'the internet is not an admin network';
    if (block.prefix < ADMIN_SOURCE_MIN_PREFIX) return `it is wider than /${ADMIN_SOURCE_MIN_PREFIX}; an admin network is at most a /${ADMIN_SOURCE_MIN_PREFIX}`;
    const inside = this.vswitches.filter((v) => overlaps(v, block));
    if (inside.length === 0) return undefined;
    if (block.size > MAX_INTERNAL_BLOCK) {
      return `it covers more than ${MAX_INTERNAL_BLOCK} addresses of ${inside.map((v) => v.node.path).join(', ')}; inside the stack's networks only access points' addresses may open SSH`;
    }
    for (let a = block.network; a < block.network + block.size; a++) {
      const address = formatIpv4(a);
      if (!inside.some((v) => v.contains(address))) continue;
      const holder = this.connections.find((c) => c.addresses.includes(address));
      if (!holder) return `${address} in it is no planned address of an access point (a DHCP-pool, gateway or unplanned address); inside the stack's networks only access points' addresses may open SSH`;
      const problem = this.accessPointProblem(holder, visiting);
      if (problem) return `${address} in it belongs to ${holder.owner.node.path}, and ${problem}`;
    }
    return undefined;
  }
}

function overlaps(v: IPrivateVSwitch, block: { network: number; size: number }): boolean {
  const own = parseCidr(v.cidr)!;
  return own.network < block.network + block.size && block.network < own.network + own.size;
}
