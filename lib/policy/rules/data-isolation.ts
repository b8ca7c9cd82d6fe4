import { IConstruct } from 'constructs';
import { Connections, IngressRule, TrafficSourceKind } from '../../core/connections';
import { dataKindOf, Kinds } from '../../core/peers';
import { IPrivateVSwitch, NetworkZone } from '../../network/private-vswitch';
import { finding, IPolicyRule, PolicyContext, PolicyFinding } from '../policy-rule';
import { addressesInZone, allConstructs, describePort, describeSource, groupAddressPairSources, stackConnections, stackVSwitches, zoneVSwitchesOverlapping } from '../stack-facts';
import { synthesizedResourceOf } from '../terraform-facts';

/** Id of {@link DATA_ISOLATION_RULE}. */
export const DATA_ISOLATION_RULE_ID = 'HS-DATA-1';

/** What a data target is, in findings: a declared data kind or 'server on a DATA vSwitch'. */
type DataKind = string;

interface DataTarget {
  readonly connections: Connections;
  /** The construct the findings are on: the data construct, or the owner of Connections on a DATA vSwitch. */
  readonly construct: IConstruct;
  readonly kind: DataKind;
}

/** An ingress rule of a data target from the internet or the DMZ, and why. */
interface ExposedRule {
  readonly rule: IngressRule;
  readonly why: string;
}

/** What HS-DATA-1 derives from the stack once per check. */
interface DataFacts {
  /** The data targets by the construct their findings are on. */
  readonly targetsByConstruct: ReadonlyMap<IConstruct, readonly DataTarget[]>;
  /** The declared ingress rules of each target that come from the internet or the DMZ. */
  readonly exposed: ReadonlyMap<DataTarget, readonly ExposedRule[]>;
  /** Logical ids of the security-group rules already reported through {@link Connections}. */
  readonly reported: ReadonlySet<string>;
  /** The data targets by the logical id of their security group. */
  readonly targetsByGroup: ReadonlyMap<string, DataTarget>;
  /** The Connections with a member on a DMZ vSwitch, by the logical id of their security group. */
  readonly dmzGroups: ReadonlyMap<string, Connections>;
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
 *
 * Visits each data construct (or owner of Connections on a DATA vSwitch), with the findings on it,
 * and each synthesized security-group rule, with the finding on that rule's resource.
 */
export const DATA_ISOLATION_RULE: IPolicyRule = {
  id: DATA_ISOLATION_RULE_ID,
  description: 'Databases, caches and search (and everything on a DATA vSwitch) are never reachable from the internet or the DMZ',
  visit(node: IConstruct, context: PolicyContext): PolicyFinding[] {
    const facts = dataFacts(context);
    const targets = facts.targetsByConstruct.get(node);
    if (targets) return targets.flatMap((t) => targetFindings(t, facts, context));
    const r = synthesizedResourceOf(node, context, 'openstack_networking_secgroup_rule_v2');
    return r ? synthesizedRuleFindings(r.name, r.path, r.body, facts, context) : [];
  },
};

/** The findings on a data target's own addresses and declared ingress rules. */
function targetFindings(t: DataTarget, facts: DataFacts, context: PolicyContext): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  const path = t.construct.node.path;
  const inDmz = addressesInZone(stackVSwitches(context), t.connections, NetworkZone.DMZ);
  if (inDmz.length) {
    findings.push(finding(DATA_ISOLATION_RULE, path, `${t.kind} has the address ${inDmz.join(', ')} on a DMZ vSwitch; data belongs on a DATA vSwitch behind the application tier`));
  }
  for (const { rule, why } of facts.exposed.get(t) ?? []) {
    findings.push(finding(DATA_ISOLATION_RULE, path, `${t.kind} lets ${describePort(rule.port)} in from ${describeSource(rule.source)}, ${why}; allow only the application tier (connections.allowFrom(appTier, port))`));
  }
  return findings;
}

/** The data targets, their exposed rules and the security groups by logical id: once per check. */
function dataFacts(context: PolicyContext): DataFacts {
  return context.memo(`${DATA_ISOLATION_RULE_ID}:facts`, () => {
    const vswitches = stackVSwitches(context);
    const targets = dataTargets(context, vswitches);
    const targetsByConstruct = new Map<IConstruct, DataTarget[]>();
    const exposed = new Map<DataTarget, ExposedRule[]>();
    const reported = new Set<string>();
    const targetsByGroup = new Map<string, DataTarget>();
    for (const t of targets) {
      targetsByConstruct.set(t.construct, [...(targetsByConstruct.get(t.construct) ?? []), t]);
      targetsByGroup.set(t.connections.securityGroup.friendlyUniqueId, t);
      const list: ExposedRule[] = [];
      for (const rule of t.connections.ingressRules) {
        // Between the construct's own members (replication): covered by the address check.
        if (rule.source.connections === t.connections) continue;
        const why = dmzOrInternetSource(context, rule, vswitches);
        if (!why) continue;
        reported.add(rule.resource.friendlyUniqueId);
        list.push({ rule, why });
      }
      exposed.set(t, list);
    }
    const dmzGroups = new Map<string, Connections>();
    for (const c of stackConnections(context)) {
      if (addressesInZone(vswitches, c, NetworkZone.DMZ).length) dmzGroups.set(c.securityGroup.friendlyUniqueId, c);
    }
    return { targetsByConstruct, exposed, reported, targetsByGroup, dmzGroups };
  });
}

/** Why `rule`'s source is the internet or the DMZ, or undefined when it is neither. */
function dmzOrInternetSource(context: PolicyContext, rule: IngressRule, vswitches: readonly IPrivateVSwitch[]): string | undefined {
  const s = rule.source;
  if (s.kind === TrafficSourceKind.INTERNET) return 'which is the internet';
  if (s.kind === TrafficSourceKind.CIDR) {
    const dmz = zoneVSwitchesOverlapping(vswitches, NetworkZone.DMZ, s.cidr!);
    return dmz.length ? `which overlaps the DMZ vSwitch ${dmz.map((v) => `${v.node.path} (${v.cidr})`).join(', ')}` : undefined;
  }
  const group = s.connections!;
  const inDmz = addressesInZone(vswitches, group, NetworkZone.DMZ);
  if (inDmz.length) return `whose members ${inDmz.join(', ')} are in the DMZ`;
  // Neutron counts a port's allowed address pairs as members of its group (see groupAddressPairSources).
  const pairs = groupAddressPairSources(context, group);
  if (pairs.includes('0.0.0.0/0')) return "whose ports allow the address pair 0.0.0.0/0, which Neutron counts as a member of the group: any source, the internet's included";
  const dmzPairs = pairs.filter((p) => zoneVSwitchesOverlapping(vswitches, NetworkZone.DMZ, p.includes('/') ? p : `${p}/32`).length);
  return dmzPairs.length ? `whose ports allow the address pairs ${dmzPairs.join(', ')} on a DMZ vSwitch, which Neutron counts as members of the group` : undefined;
}

/** Every data construct of the stack, by its Connections (one entry per Connections). */
function dataTargets(context: PolicyContext, vswitches: readonly IPrivateVSwitch[]): DataTarget[] {
  const byConnections = new Map<Connections, DataTarget>();
  for (const c of allConstructs(context)) {
    const kind = dataEndpointKind(c);
    if (kind === undefined) continue;
    const connections = (c as unknown as { connections: Connections }).connections;
    if (!byConnections.has(connections)) byConnections.set(connections, { connections, construct: c, kind });
  }
  for (const connections of stackConnections(context)) {
    if (byConnections.has(connections)) continue;
    if (addressesInZone(vswitches, connections, NetworkZone.DATA).length) {
      byConnections.set(connections, { connections, construct: connections.owner, kind: 'server on a DATA vSwitch' });
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

/** The finding on a synthesized ingress rule (`name`, at `path`) of a data target's security group, if any. */
function synthesizedRuleFindings(name: string, path: string, body: Record<string, unknown>, facts: DataFacts, context: PolicyContext): PolicyFinding[] {
  if (facts.reported.has(name) || body.direction !== 'ingress') return [];
  const target = facts.targetsByGroup.get(securityGroupOf(body.security_group_id) ?? '');
  if (!target) return [];
  const prefix = typeof body.remote_ip_prefix === 'string' ? body.remote_ip_prefix : undefined;
  const remote = facts.dmzGroups.get(securityGroupOf(body.remote_group_id) ?? '');
  // A rule naming the construct's own group (replication) is covered by the address check.
  const remoteGroup = remote === target.connections ? undefined : remote;
  let why: string | undefined;
  if (prefix === '0.0.0.0/0') why = 'remote_ip_prefix 0.0.0.0/0 (the internet)';
  else if (prefix && zoneVSwitchesOverlapping(stackVSwitches(context), NetworkZone.DMZ, prefix).length) why = `remote_ip_prefix ${prefix}, which overlaps a DMZ vSwitch`;
  else if (remoteGroup) why = `remote_group_id of ${remoteGroup.owner.node.path}, whose members are in the DMZ`;
  return why ? [finding(DATA_ISOLATION_RULE, path, `the synthesized security-group rule of the ${target.kind} ${target.construct.node.path} has ${why}`)] : [];
}

/** `${openstack_networking_secgroup_v2.X.id}` -> `X`. */
function securityGroupOf(ref: unknown): string | undefined {
  if (typeof ref !== 'string') return undefined;
  return /^\$\{openstack_networking_secgroup_v2\.([A-Za-z0-9_-]+)\.id\}$/.exec(ref)?.[1];
}
