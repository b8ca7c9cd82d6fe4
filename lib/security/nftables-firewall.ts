import { renderTemplate } from '../config/template';
import { Connections, IngressRule, TrafficSourceKind } from '../core/connections';
import { HostingStacksError } from '../core/errors';
import { Port } from '../core/port';

/** nft limits a rule comment to 128 bytes (NFT_USERDATA_MAXLEN). */
export const NFT_COMMENT_MAX_LENGTH = 128;

/** One accepting rule of a chain. */
export interface NftablesRule {
  /** Protocol and ports matched. */
  readonly port: Port;
  /** Match the ports as source ports (replies of a forwarded service) instead of destination ports. @default false */
  readonly matchSourcePort?: boolean;
  /** Source addresses or CIDRs (`ip saddr`). @default - any source */
  readonly sources?: readonly string[];
  /** Destination addresses or CIDRs (`ip daddr`). @default - any destination */
  readonly destinations?: readonly string[];
  /** Why the rule exists; kept as the rule's comment. */
  readonly comment: string;
}

/** What `/etc/nftables.conf` of one host holds: `table inet filter` with input and forward drop policies. */
export interface NftablesModel {
  /** Host name, for the header comment. */
  readonly hostname: string;
  /** Accepted inbound flows, after established/related, loopback and ICMP. */
  readonly input: readonly NftablesRule[];
  /** Accepted forwarded flows, after established/related (a router or LVS-NAT director). @default - none: nothing is forwarded */
  readonly forward?: readonly NftablesRule[];
}

interface RuleView {
  readonly sources: readonly string[];
  readonly destinations: readonly string[];
  readonly protocol: string;
  readonly portKeyword: string;
  readonly ports: string;
  readonly comment: string;
}

/**
 * Renders an nftables ruleset: `flush ruleset`, then `table inet filter` whose input and forward
 * chains drop what no rule accepts and whose output chain accepts everything. Pure.
 *
 * There is deliberately no `ct state invalid drop`: an LVS director sees only the client's half of
 * a direct-routed connection, so conntrack marks its later packets invalid; the explicit port rules
 * accept them instead.
 */
export function renderNftablesRuleset(model: NftablesModel): string {
  return renderTemplate('nftables.conf.hbs', {
    hostname: model.hostname,
    input: model.input.map(view),
    forward: (model.forward ?? []).map(view),
  });
}

function view(rule: NftablesRule): RuleView {
  const { port } = rule;
  const ports = !port.hasPorts ? '' : port.fromPort === port.toPort ? String(port.fromPort) : `${port.fromPort}-${port.toPort}`;
  return {
    sources: rule.sources ?? [],
    destinations: rule.destinations ?? [],
    protocol: port.protocol,
    portKeyword: rule.matchSourcePort ? 'sport' : 'dport',
    ports,
    comment: nftComment(rule.comment),
  };
}

/** A comment nft accepts: no double quotes or newlines, at most {@link NFT_COMMENT_MAX_LENGTH} bytes. */
export function nftComment(text: string): string {
  let out = text.replace(/["\\]/g, "'").replace(/[\r\n\t]+/g, ' ');
  while (Buffer.byteLength(out, 'utf8') > NFT_COMMENT_MAX_LENGTH) out = out.slice(0, -1);
  return out;
}

/**
 * The input rules realising a {@link Connections}' declared ingress on the host itself, so the host
 * firewall and the security group follow from one intent: CIDR sources as given, internet sources
 * as any source, group sources resolved to the peers' planned addresses ({@link Connections.addresses}).
 * Throws when a group source has no planned address: the host firewall could not realise it.
 */
export function nftablesRulesFromConnections(connections: Connections): NftablesRule[] {
  return connections.ingressRules.map((rule) => ({ port: rule.port, sources: sourcesOf(connections, rule), comment: rule.description }));
}

function sourcesOf(connections: Connections, rule: IngressRule): readonly string[] | undefined {
  switch (rule.source.kind) {
    case TrafficSourceKind.CIDR:
      return [rule.source.cidr!];
    case TrafficSourceKind.INTERNET:
      return undefined;
    case TrafficSourceKind.GROUP: {
      const group = rule.source.connections!;
      const addresses = group.addresses;
      if (addresses.length === 0) {
        throw new HostingStacksError(connections.owner, 'ingressRules', rule.description,
          `allows ${rule.port.label} from ${group.owner.node.path}, which has no planned address; the host firewall can only name peers by address`);
      }
      return addresses;
    }
  }
}

/** The whole model of a host whose inbound rules follow its {@link Connections}. */
export function nftablesModelFromConnections(hostname: string, connections: Connections, forward: readonly NftablesRule[] = []): NftablesModel {
  return { hostname, input: nftablesRulesFromConnections(connections), forward };
}
