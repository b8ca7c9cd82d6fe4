import { IConstruct } from 'constructs';
import { Connections, IngressRule } from '../../core/connections';
import { dataKindOf, Kinds } from '../../core/peers';
import { NetworkZone, PrivateVSwitch } from '../../network/private-vswitch';
import type { HostingStack } from '../../stack/hosting-stack';
import { finding, IPolicyRule, PolicyFinding } from '../policy-rule';
import { addressesInZone, describePort, describeSource, findConnections, findVSwitches, groupAddressPairSources, zoneVSwitchesOverlapping } from '../stack-facts';
import { synthesizedResources } from '../terraform-facts';

/** Id of {@link DATA_ISOLATION_RULE}. */
export const DATA_ISOLATION_RULE_ID = 'HS-DATA-1';

/** What a data construct is, for messages. */
/** What a data target is, in findings: a declared data kind or 'server on a DATA vSwitch'. */
type DataKind = string;

interface DataTarget {
  readonly connections: Connections;
  readonly path: string;
  readonly kind: DataKind;
}

/**
 * HS-DATA-1: databases, caches and search are never reachable from the internet or the DMZ.
 *
 * Data constructs are those implementing IMysqlDatabase, IRedisEndpoint or ISolrEndpoint, and any
 * Connections with a member address on a vSwitch of zone {@link NetworkZone.DATA}. None of their
 * ingress rules may come from the internet, from a CIDR overlapping a {@link NetworkZone.DMZ}
 * vSwitch, or from a group whose member addresses lie on a DMZ vSwitch; and no data construct
 * may itself have an address on a DMZ vSwitch.
 *
 * The synthesized security groups must agree: every `openstack_networking_secgroup_rule_v2` of a
 * data construct's security group is checked too (its `remote_ip_prefix` and `remote_group_id`),
 * which catches rules added beside {@link Connections} or changed with `addOverride`.
 */
export const DATA_ISOLATION_RULE: IPolicyRule = {
  id: DATA_ISOLATION_RULE_ID,
  description: 'Databases, caches and search (and everything on a DATA vSwitch) are never reachable from the internet or the DMZ',
  evaluate(stack: HostingStack): PolicyFinding[] {
    const vswitches = findVSwitches(stack);
    const targets = dataTargets(stack, vswitches);
    const findings: PolicyFinding[] = [];
    const reported = new Set<string>();
    for (const t of targets) {
      const inDmz = addressesInZone(vswitches, t.connections, NetworkZone.DMZ);
      if (inDmz.length) {
        findings.push(finding(this, t.path, `${t.kind} has the address ${inDmz.join(', ')} on a DMZ vSwitch; data belongs on a DATA vSwitch behind the application tier`));
      }
      for (const rule of t.connections.ingressRules) {
        // Between the construct's own members (replication): covered by the address check above.
        if (rule.source.kind === 'group' && rule.source.connections === t.connections) continue;
        const why = dmzOrInternetSource(stack, rule, vswitches);
        if (!why) continue;
        reported.add(rule.resource.friendlyUniqueId);
        findings.push(finding(this, t.path, `${t.kind} lets ${describePort(rule.port)} in from ${describeSource(rule.source)}, ${why}; allow only the application tier (connections.allowFrom(appTier, port))`));
      }
    }
    findings.push(...synthesizedRuleFindings(stack, targets, vswitches, reported));
    return findings;
  },
};

/** Why `rule`'s source is the internet or the DMZ, or undefined when it is neither. */
function dmzOrInternetSource(stack: HostingStack, rule: IngressRule, vswitches: readonly PrivateVSwitch[]): string | undefined {
  const s = rule.source;
  if (s.kind === 'internet') return 'which is the internet';
  if (s.kind === 'cidr') {
    const dmz = zoneVSwitchesOverlapping(vswitches, NetworkZone.DMZ, s.cidr);
    return dmz.length ? `which overlaps the DMZ vSwitch ${dmz.map((v) => `${v.node.path} (${v.cidr})`).join(', ')}` : undefined;
  }
  const inDmz = addressesInZone(vswitches, s.connections, NetworkZone.DMZ);
  if (inDmz.length) return `whose members ${inDmz.join(', ')} are in the DMZ`;
  // Neutron counts a port's allowed address pairs as members of its group (see groupAddressPairSources).
  const pairs = groupAddressPairSources(stack, s.connections);
  if (pairs.includes('0.0.0.0/0')) return "whose ports allow the address pair 0.0.0.0/0, which Neutron counts as a member of the group: any source, the internet's included";
  const dmzPairs = pairs.filter((p) => zoneVSwitchesOverlapping(vswitches, NetworkZone.DMZ, p.includes('/') ? p : `${p}/32`).length);
  return dmzPairs.length ? `whose ports allow the address pairs ${dmzPairs.join(', ')} on a DMZ vSwitch, which Neutron counts as members of the group` : undefined;
}

/** Every data construct of the stack, by its Connections (one entry per Connections). */
function dataTargets(stack: HostingStack, vswitches: readonly PrivateVSwitch[]): DataTarget[] {
  const byConnections = new Map<Connections, DataTarget>();
  for (const c of stack.node.findAll()) {
    const kind = dataEndpointKind(c);
    if (kind === undefined) continue;
    const connections = (c as unknown as { connections: Connections }).connections;
    if (!byConnections.has(connections)) byConnections.set(connections, { connections, path: c.node.path, kind });
  }
  for (const connections of findConnections(stack)) {
    if (byConnections.has(connections)) continue;
    if (addressesInZone(vswitches, connections, NetworkZone.DATA).length) {
      byConnections.set(connections, { connections, path: connections.owner.node.path, kind: 'server on a DATA vSwitch' });
    }
  }
  return [...byConnections.values()];
}

/**
 * The kind of data `c` serves, as it declared it ({@link declareDataKind}: MysqlReplication,
 * RedisServer, RedisInstance, SolrServer, or a user's own data construct), when it has connections
 * to check; undefined otherwise. Nothing is guessed from a construct's members.
 */
export function dataEndpointKind(c: IConstruct): DataKind | undefined {
  const kind = dataKindOf(c);
  if (kind === undefined || !Kinds.CONNECTIONS.is((c as unknown as { connections?: unknown }).connections)) return undefined;
  return kind;
}

/** Findings on the synthesized ingress rules of the data constructs' security groups. */
function synthesizedRuleFindings(stack: HostingStack, targets: readonly DataTarget[], vswitches: readonly PrivateVSwitch[], reported: Set<string>): PolicyFinding[] {
  const dataGroups = new Map<string, DataTarget>();
  for (const t of targets) dataGroups.set(t.connections.securityGroup.friendlyUniqueId, t);
  const dmzGroups = new Map<string, Connections>();
  for (const c of findConnections(stack)) {
    if (addressesInZone(vswitches, c, NetworkZone.DMZ).length) dmzGroups.set(c.securityGroup.friendlyUniqueId, c);
  }
  const findings: PolicyFinding[] = [];
  for (const r of synthesizedResources(stack, 'openstack_networking_secgroup_rule_v2')) {
    if (reported.has(r.name) || r.body.direction !== 'ingress') continue;
    const target = dataGroups.get(securityGroupOf(r.body.security_group_id) ?? '');
    if (!target) continue;
    const prefix = typeof r.body.remote_ip_prefix === 'string' ? r.body.remote_ip_prefix : undefined;
    const remote = dmzGroups.get(securityGroupOf(r.body.remote_group_id) ?? '');
    // A rule naming the construct's own group (replication) is covered by the address check.
    const remoteGroup = remote === target.connections ? undefined : remote;
    let why: string | undefined;
    if (prefix === '0.0.0.0/0') why = 'remote_ip_prefix 0.0.0.0/0 (the internet)';
    else if (prefix && zoneVSwitchesOverlapping(vswitches, NetworkZone.DMZ, prefix).length) why = `remote_ip_prefix ${prefix}, which overlaps a DMZ vSwitch`;
    else if (remoteGroup) why = `remote_group_id of ${remoteGroup.owner.node.path}, whose members are in the DMZ`;
    if (why) findings.push(finding(DATA_ISOLATION_RULE, r.path, `the synthesized security-group rule of the ${target.kind} ${target.path} has ${why}`));
  }
  return findings;
}

/** `${openstack_networking_secgroup_v2.X.id}` -> `X`. */
function securityGroupOf(ref: unknown): string | undefined {
  if (typeof ref !== 'string') return undefined;
  return /^\$\{openstack_networking_secgroup_v2\.([A-Za-z0-9_-]+)\.id\}$/.exec(ref)?.[1];
}
