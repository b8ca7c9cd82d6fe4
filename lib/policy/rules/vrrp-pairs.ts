import { IConstruct } from 'constructs';
import { VrrpPair } from '../../balancing/vrrp-pair';
import { ServerInstance } from '../../compute/server-cluster';
import { Connections } from '../../core/connections';
import { IpProtocol } from '../../core/port';
import { finding, IPolicyRule, PolicyContext, PolicyFinding } from '../policy-rule';
import { allConstructs, cidrContainsAddress } from '../stack-facts';
import { NFTABLES_CONFIG_PATH } from './port-security';

/** Id of {@link VRRP_PAIRS_RULE}. */
export const VRRP_PAIRS_RULE_ID = 'HS-VRRP-1';

/** Where keepalived reads its configuration (Debian). */
export const KEEPALIVED_CONFIG_PATH = '/etc/keepalived/keepalived.conf';

/**
 * HS-VRRP-1: VRRP is allowed between the nodes of every keepalived pair, and the VIP is in every
 * node's `allowed_address_pairs`.
 *
 * - For every {@link VrrpPair} (LVS and haproxy balancers): the nodes' Connections let VRRP (IP
 *   protocol 112) in from the nodes themselves (`allowInternally(Port.vrrp())`), and each node's
 *   port lists the VIP as an allowed address pair (else Neutron drops the master's packets from it).
 *   A node whose port has port security off (LVS direct routing) needs no address pair (Neutron
 *   filters nothing there) and has no security group: its rendered `/etc/nftables.conf` is what must
 *   accept VRRP from every other node, so that is read instead.
 * - For every other host rendering `/etc/keepalived/keepalived.conf`: each `unicast_peer` must be
 *   let in on VRRP (by a group holding its address or a CIDR containing it; without unicast peers,
 *   by the host's own group), and each `virtual_ipaddress` must be an allowed address pair of the
 *   host's port.
 *
 * Visits each VrrpPair (the pair's VRRP rule, on the pair) and each ServerInstance (its address
 * pair or ruleset as a node of a pair, else its own keepalived.conf, on the host).
 */
export const VRRP_PAIRS_RULE: IPolicyRule = {
  id: VRRP_PAIRS_RULE_ID,
  description: 'VRRP is allowed between the nodes of every keepalived pair and the VIP is in each node port\'s allowed_address_pairs',
  visit(node: IConstruct, context: PolicyContext): PolicyFinding[] {
    if (node instanceof VrrpPair) {
      if (allowsVrrpFromGroup(node.connections, node.connections)) return [];
      return [finding(VRRP_PAIRS_RULE, node.node.path, `the nodes' connections do not let VRRP (IP protocol 112) in from the nodes themselves; keepalived adverts would be dropped and both nodes would hold the VIP ${node.vipAddress} (call connections.allowInternally(Port.vrrp()))`)];
    }
    if (!ServerInstance.isServerInstance(node)) return [];
    const pairs = pairsByNode(context).get(node);
    return pairs ? pairNodeFindings(node, pairs) : keepalivedFindings(node);
  },
};

/** The VrrpPairs of the checked stack by their nodes, found once per check. */
function pairsByNode(context: PolicyContext): ReadonlyMap<ServerInstance, readonly VrrpPair[]> {
  return context.memo(`${VRRP_PAIRS_RULE_ID}:pairsByNode`, () => {
    const byNode = new Map<ServerInstance, VrrpPair[]>();
    for (const pair of allConstructs(context).filter((c): c is VrrpPair => c instanceof VrrpPair)) {
      for (const host of pair.nodes.instances) byNode.set(host, [...(byNode.get(host) ?? []), pair]);
    }
    return byNode;
  });
}

/** A pair node's findings: its ruleset accepts VRRP from the other nodes (port security off), else its port holds the VIP pair. */
function pairNodeFindings(host: ServerInstance, pairs: readonly VrrpPair[]): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  for (const pair of pairs) {
    if (!host.port.portSecurityEnabled) {
      const peers = pair.nodes.addresses.filter((a) => a !== host.address);
      const missing = peers.filter((peer) => !nftablesAcceptsVrrpFrom(host, peer));
      if (missing.length) {
        findings.push(finding(VRRP_PAIRS_RULE, host.node.path, `the port of ${host.hostname} has port security off, so its host firewall is its only filter, but its ${NFTABLES_CONFIG_PATH} does not accept VRRP from ${missing.join(', ')}; keepalived adverts would be dropped and both nodes would hold the VIP ${pair.vipAddress}`));
      }
    } else if (!hasAddressPair(host, pair.vipAddress)) {
      findings.push(finding(VRRP_PAIRS_RULE, host.node.path, `the port of ${host.hostname} does not list the VIP ${pair.vipAddress} in allowed_address_pairs; Neutron would drop the master's packets from the VIP`));
    }
  }
  return findings;
}

/** A host outside every VrrpPair: what its own keepalived.conf needs (VRRP from its peers, the VIPs as address pairs). */
function keepalivedFindings(host: ServerInstance): PolicyFinding[] {
  const file = host.cloudConfig.hostFiles.find((f) => f.path === KEEPALIVED_CONFIG_PATH);
  if (!file) return [];
  const findings: PolicyFinding[] = [];
  const model = parseKeepalivedVrrp(file.content);
  const group = host.cluster.connections;
  if (model.unicastPeers.length === 0 && model.virtualIpAddresses.length > 0 && !allowsVrrpFromGroup(group, group)) {
    findings.push(finding(VRRP_PAIRS_RULE, host.node.path, `keepalived on ${host.hostname} sends VRRP adverts by multicast, but its connections do not let VRRP in from its own group`));
  }
  for (const peer of model.unicastPeers) {
    if (!allowsVrrpFromAddress(group, peer)) {
      findings.push(finding(VRRP_PAIRS_RULE, host.node.path, `keepalived on ${host.hostname} has the unicast peer ${peer}, but its connections do not let VRRP (IP protocol 112) in from it`));
    }
  }
  for (const vip of model.virtualIpAddresses) {
    if (!hasAddressPair(host, vip)) {
      findings.push(finding(VRRP_PAIRS_RULE, host.node.path, `keepalived on ${host.hostname} holds the VIP ${vip}, which is not in its port's allowed_address_pairs`));
    }
  }
  return findings;
}

/** The VRRP facts of a keepalived.conf: unicast peers and virtual addresses (without prefix). */
export interface KeepalivedVrrpFacts {
  /** Addresses listed in `unicast_peer` blocks. */
  readonly unicastPeers: string[];
  /** Addresses listed in `virtual_ipaddress` blocks, without `/prefix` or `dev`. */
  readonly virtualIpAddresses: string[];
}

/** Reads the `unicast_peer` and `virtual_ipaddress` blocks of a keepalived.conf. */
export function parseKeepalivedVrrp(text: string): KeepalivedVrrpFacts {
  const facts: KeepalivedVrrpFacts = { unicastPeers: [], virtualIpAddresses: [] };
  const block = (name: string): string[] => {
    const out: string[] = [];
    const re = new RegExp(`\\b${name}\\s*\\{([^}]*)\\}`, 'g');
    for (const m of text.matchAll(re)) {
      for (const line of m[1].split('\n')) {
        const first = line.replace(/#.*$/, '').trim().split(/\s+/)[0];
        if (first) out.push(first.replace(/\/\d+$/, ''));
      }
    }
    return out;
  };
  facts.unicastPeers.push(...block('unicast_peer'));
  facts.virtualIpAddresses.push(...block('virtual_ipaddress'));
  return facts;
}

function allowsVrrpFromGroup(target: Connections, group: Connections): boolean {
  return target.ingressRules.some((r) => r.port.protocol === IpProtocol.VRRP && r.source.connections === group);
}

function allowsVrrpFromAddress(target: Connections, address: string): boolean {
  return target.ingressRules.some((r) => r.port.protocol === IpProtocol.VRRP && (
    (r.source.connections?.addresses.includes(address) ?? false)
    || (r.source.cidr !== undefined && cidrContainsAddress(r.source.cidr, address))));
}

/**
 * True when the host's rendered nftables ruleset has an input rule accepting IP protocol VRRP from
 * `address` (any source, or a source set naming it or a CIDR containing it).
 */
export function nftablesAcceptsVrrpFrom(host: ServerInstance, address: string): boolean {
  const file = host.cloudConfig.hostFiles.find((f) => f.path === NFTABLES_CONFIG_PATH);
  if (!file) return false;
  const input = /chain input \{([\s\S]*?)\n\s*\}/.exec(file.content)?.[1] ?? '';
  return input.split('\n').some((line) => {
    if (!/\bip protocol vrrp accept\b/.test(line.replace(/comment ".*"$/, ''))) return false;
    const saddr = /ip saddr \{([^}]*)\}/.exec(line)?.[1] ?? /ip saddr (\S+)/.exec(line)?.[1];
    if (saddr === undefined) return true;
    return saddr.split(',').map((x) => x.trim()).some((s) => s === address || (s.includes('/') && cidrContainsAddress(s, address)));
  });
}

function hasAddressPair(host: ServerInstance, address: string): boolean {
  return host.port.allowedAddressPairs.some((p) => p === address || (p.includes('/') && cidrContainsAddress(p, address)));
}
