import { IConstruct } from 'constructs';
import { ServerInstance } from '../../compute/server-cluster';
import { nftComment } from '../../security/nftables-firewall';
import { finding, IPolicyRule, PolicyFinding } from '../policy-rule';

/** Id of {@link PORT_SECURITY_RULE}. */
export const PORT_SECURITY_RULE_ID = 'HS-PORTSEC-1';

/** Where nftables reads its ruleset (Debian). */
export const NFTABLES_CONFIG_PATH = '/etc/nftables.conf';

/** Accepts of the rendered ruleset's input chain that come before any declared rule (the template's own). */
const BASE_ACCEPTS = [/^ct state established,related accept$/, /^iif "lo" accept$/, /^ip protocol icmp accept$/, /^meta l4proto ipv6-icmp accept$/];

/**
 * HS-PORTSEC-1: a port without port security is filtered by its host's firewall, and that firewall
 * admits nothing its Connections do not declare.
 *
 * A port whose port security is off ({@link PlannedPort.disablePortSecurity}: LVS direct-routing
 * directors) has no security group and no anti-spoofing: only the host's nftables ruleset filters
 * it. The other rules (HS-SSH-1, HS-DATA-1, HS-VRRP-1) judge a host by its {@link Connections},
 * from which its security group and its ruleset are both rendered; so that such a port cannot
 * escape them, its host must enable `nftables` with `/etc/nftables.conf` whose input chain drops by
 * default and whose every accept beyond established/related, loopback and ICMP carries the
 * description of one of its Connections' ingress rules (the rules that
 * `nftablesRulesFromConnections` renders). Visits each ServerInstance; the finding is on the host.
 */
export const PORT_SECURITY_RULE: IPolicyRule = {
  id: PORT_SECURITY_RULE_ID,
  description: 'A port without port security is filtered by its host\'s nftables ruleset, which drops by default and accepts only what the host\'s Connections declare',
  visit(node: IConstruct): PolicyFinding[] {
    if (!ServerInstance.isServerInstance(node) || node.port.portSecurityEnabled) return [];
    const problem = hostFirewallProblem(node);
    if (!problem) return [];
    return [finding(PORT_SECURITY_RULE, node.node.path, `the port ${node.address} of ${node.hostname} has port security off ('${node.port.portSecurityDisabledReason}'), so only its host firewall filters it, but ${problem}`)];
  },
};

/** Why `host`'s nftables ruleset does not stand in for a security group, or undefined when it does. */
function hostFirewallProblem(host: ServerInstance): string | undefined {
  const file = host.cloudConfig.hostFiles.find((f) => f.path === NFTABLES_CONFIG_PATH);
  if (!file) return `it renders no ${NFTABLES_CONFIG_PATH}`;
  if (!host.cloudConfig.services.some((s) => s === 'nftables' || s === 'nftables.service')) return `it does not enable nftables.service, so ${NFTABLES_CONFIG_PATH} is never loaded`;
  const input = /chain input \{([\s\S]*?)\n\s*\}/.exec(file.content)?.[1];
  if (input === undefined) return `its ${NFTABLES_CONFIG_PATH} has no input chain`;
  if (!/type filter hook input priority \S+; policy drop;/.test(input)) return `the input chain of its ${NFTABLES_CONFIG_PATH} does not drop by default`;
  const declared = new Set(host.cluster.connections.ingressRules.map((r) => nftComment(r.description)));
  const undeclared = input.split('\n').map((l) => l.trim())
    .filter((l) => /\baccept\b/.test(l) && !BASE_ACCEPTS.some((re) => re.test(l)))
    .filter((l) => !declared.has(/comment "([^"]*)"$/.exec(l)?.[1] ?? '\u0000'));
  if (undeclared.length) return `its ${NFTABLES_CONFIG_PATH} accepts what its Connections do not declare (${undeclared.join('; ')}), which no policy rule sees`;
  return undefined;
}
