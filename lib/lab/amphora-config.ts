/**
 * The haproxy configuration Octavia's amphora driver generates for a load balancer, rendered from a
 * `LabLoadBalancerModel` by a pure function.
 *
 * It follows Octavia's jinja templates
 * (`octavia/common/jinja/haproxy/combined_listeners/templates/{haproxy.cfg,base,macros}.j2`) and the
 * transformations of `octavia/common/jinja/haproxy/combined_listeners/jinja_cfg.py`:
 *
 * - `global` / `defaults` as in `base.j2` (`daemon`, `user nobody`, two `log` lines, a stats socket,
 *   `maxconn`; `retries 3`, `option redispatch`, `option splice-request|response`,
 *   `option http-keep-alive`);
 * - one `frontend <listener id>` per listener (`frontend_macro`): `maxconn` = connection_limit,
 *   `redirect scheme https if !{ ssl_fc }` on TERMINATED_HTTPS, `bind VIP:port [ssl crt <pem> ciphers
 *   .. no-tlsvXX .. alpn ..]`, `mode http|tcp`, the L7 policies in position order (their rules as
 *   named ACLs, then `http-request deny` / `redirect [code N] location|prefix` / `use_backend`),
 *   `default_backend <pool id>:<listener id>`, `timeout client`, `tcp-request inspect-delay`;
 * - one `backend <pool id>:<listener id>` per pool a listener uses (default pool and L7 targets)
 *   (`backend_macro`): `mode`, `balance`, persistence (stick tables / `cookie SRV insert indirect
 *   nocache`), the health monitor (`timeout check`, `option httpchk`, `http-check expect rstatus`,
 *   `option ssl-hello-chk`, external ping check), the inserted headers (`option forwardfor`,
 *   `X-Forwarded-Port`, `X-Forwarded-Proto`, `X-SSL-*`), `fullconn`, `option allbackups`,
 *   `timeout connect|server`, and a `server` line per member (`member_macro`).
 *
 * Differences from a real amphora, on purpose:
 * - identifiers are the lab's Terraform addresses made haproxy-safe (`[`, `]`, `#` ... become `_`),
 *   where Octavia uses UUIDs;
 * - `allowed_cidrs`: Octavia enforces them outside haproxy (rules on the VIP port's security group /
 *   the amphora's nftables); the lab puts `tcp-request connection reject unless { src -f <file> }` in
 *   the frontend, which has the same effect on TCP listeners;
 * - UDP and SCTP listeners (keepalived/LVS in a real amphora) are not rendered: listed in `skipped`;
 * - the stats socket, certificates, CIDR lists and the ping wrapper live under `paths.stateDir`
 *   (Octavia: `/var/lib/octavia/...`).
 */
import * as path from 'path';
import type { LabListenerModel, LabLoadBalancerModel, LabL7PolicyModel, LabL7RuleModel, LabMemberModel, LabMonitorModel, LabPoolModel } from './model';

/** Octavia's API defaults for a listener's timeouts (milliseconds). */
export const OCTAVIA_DEFAULT_TIMEOUT_CLIENT_DATA = 50000;
export const OCTAVIA_DEFAULT_TIMEOUT_MEMBER_CONNECT = 5000;
export const OCTAVIA_DEFAULT_TIMEOUT_MEMBER_DATA = 50000;
/** `constants.HAPROXY_DEFAULT_MAXCONN`: a listener's limit when connection_limit is unset or -1. */
export const HAPROXY_DEFAULT_MAXCONN = 50000;
/** `[haproxy_amphora] haproxy_stick_size` default. */
export const HAPROXY_STICK_SIZE = '10k';

export interface AmphoraConfigPaths {
  /** Directory holding the stats socket, the PEMs, the CIDR lists and the ping wrapper. */
  readonly stateDir: string;
  /**
   * haproxy `log` target of the two global `log` lines (Octavia: `/dev/log`).
   * @default '/dev/log'
   */
  readonly logTarget?: string;
  /**
   * Whether connections are logged (`log global` in `defaults`, Octavia's `connection_logging`),
   * otherwise `no log`.
   * @default true
   */
  readonly connectionLogging?: boolean;
  /**
   * Upper bound of the global `maxconn` (Octavia: the sum of the listeners' connection limits). The
   * lab sets it from the open-files limit haproxy can get (about 2.5 descriptors a connection with
   * splicing): haproxy refuses to start when it cannot raise RLIMIT_NOFILE for the `maxconn` asked.
   * A capped value is noted in a comment of the configuration.
   * @default - no bound
   */
  readonly maxconnCap?: number;
}

export interface AmphoraConfig {
  /** The haproxy configuration text. */
  readonly config: string;
  /** Files the configuration refers to: absolute path (under `stateDir`) => content. */
  readonly files: Record<string, string>;
  /** Listeners not rendered (UDP, SCTP, TLS listener without PEM, ...), and why. */
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
  /** haproxy names given to the model's keys (listener/pool/member/rule key => haproxy name). */
  readonly names: Readonly<Record<string, string>>;
}

/** A key made a valid haproxy proxy/server/ACL name (letters, digits, `-_.:`). */
export function haproxyName(key: string): string {
  const s = key.replace(/[^A-Za-z0-9_.:-]/g, '_');
  return s.length > 0 ? s : '_';
}

/**
 * Octavia's `_expand_expected_codes`: `"200"`, `"200-204"`, `"200,202"` => the sorted set of codes;
 * the template joins them with `|` into an `rstatus` regex.
 */
export function expandExpectedCodes(codes: string): string[] {
  const out = new Set<string>();
  for (const raw of codes.split(',')) {
    const code = raw.trim();
    if (!code) continue;
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(code);
    if (range) {
      const lo = Number(range[1]);
      const hi = Number(range[2]);
      for (let i = lo; i <= hi; i++) out.add(String(i));
    } else {
      out.add(code);
    }
  }
  return [...out].sort();
}

/** Octavia's `_escape_haproxy_config_string`: backslashes doubled, spaces escaped. */
export function escapeHaproxyString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/ /g, '\\ ');
}

/** haproxy `mode` of a listener (`listener.protocol_mode`). */
export function listenerMode(protocol: string): 'http' | 'tcp' {
  const p = protocol.toUpperCase();
  return p === 'HTTP' || p === 'TERMINATED_HTTPS' ? 'http' : 'tcp';
}

/** jinja_cfg's map of pool protocols to haproxy modes (PROXY pools take the listener's mode). */
function poolMode(pool: LabPoolModel, listener: LabListenerModel): 'http' | 'tcp' {
  const p = pool.protocol.toUpperCase();
  if (p === 'HTTP') return 'http';
  if (p === 'PROXY' || p === 'PROXYV2') return listenerMode(listener.protocol);
  return 'tcp';
}

/** `constants.HAPROXY_BALANCE` equivalents of Octavia's lb_algorithm. */
export function balanceAlgorithm(lbMethod: string): string {
  switch (lbMethod.toUpperCase()) {
    case 'ROUND_ROBIN':
      return 'roundrobin';
    case 'LEAST_CONNECTIONS':
      return 'leastconn';
    case 'SOURCE_IP':
      return 'source';
    default:
      throw new Error(`amphora: unsupported lb_method ${lbMethod}`);
  }
}

/** `constants.TLS_VERSIONS` in order, with the haproxy option that disables each. */
const TLS_VERSION_OPTS: readonly [string, string][] = [
  ['SSLv3', 'no-sslv3'],
  ['TLSv1', 'no-tlsv10'],
  ['TLSv1.1', 'no-tlsv11'],
  ['TLSv1.2', 'no-tlsv12'],
  ['TLSv1.3', 'no-tlsv13'],
];

/** Octavia's ping wrapper (`/var/lib/octavia/ping-wrapper.sh`) for PING monitors. */
const PING_WRAPPER = `#!/bin/bash
if [[ $HAPROXY_SERVER_ADDR =~ ":" ]]; then
    /bin/ping6 -q -n -w 1 -c 1 $HAPROXY_SERVER_ADDR > /dev/null 2>&1
else
    /bin/ping -q -n -w 1 -c 1 $HAPROXY_SERVER_ADDR > /dev/null 2>&1
fi
`;

function isTrue(v: string | undefined): boolean {
  return (v ?? 'False').toLowerCase() === 'true';
}

function headerOn(listener: LabListenerModel, name: string): boolean {
  const found = Object.entries(listener.insertHeaders).find(([k]) => k.toLowerCase() === name.toLowerCase());
  return isTrue(found?.[1]);
}

function connectionLimit(listener: LabListenerModel): number {
  const c = listener.connectionLimit;
  return c === undefined || c < 0 ? HAPROXY_DEFAULT_MAXCONN : c;
}

/** Renders the amphora's haproxy configuration for `lb`. Pure: writes nothing. */
export function renderAmphoraConfig(lb: LabLoadBalancerModel, paths: AmphoraConfigPaths): AmphoraConfig {
  const stateDir = paths.stateDir;
  const logTarget = paths.logTarget ?? '/dev/log';
  const files: Record<string, string> = {};
  const skipped: { key: string; reason: string }[] = [];

  // Unique haproxy names for the model's keys.
  const names: Record<string, string> = {};
  const used = new Set<string>();
  const nameOf = (key: string): string => {
    const known = names[key];
    if (known !== undefined) return known;
    const base = haproxyName(key);
    let n = base;
    for (let i = 2; used.has(n); i++) n = `${base}-${i}`;
    used.add(n);
    names[key] = n;
    return n;
  };

  const poolsByKey = new Map(lb.pools.map((p) => [p.key, p]));
  const listeners: LabListenerModel[] = [];
  for (const l of lb.listeners) {
    const proto = l.protocol.toUpperCase();
    if (proto === 'UDP' || proto === 'SCTP') {
      skipped.push({ key: l.key, reason: `${proto} listeners are served by keepalived/LVS in an amphora, not haproxy` });
      continue;
    }
    if (proto === 'PROMETHEUS') {
      skipped.push({ key: l.key, reason: 'PROMETHEUS listeners are not rendered' });
      continue;
    }
    if (proto === 'TERMINATED_HTTPS' && !l.tlsPem) {
      skipped.push({ key: l.key, reason: 'TERMINATED_HTTPS listener without a certificate (tlsPem)' });
      continue;
    }
    listeners.push(l);
  }

  const pingUsed = listeners.some((l) => listenerPools(l, poolsByKey).some((p) => p.monitor?.type.toUpperCase() === 'PING'));
  const pingWrapperPath = path.join(stateDir, 'ping-wrapper.sh');
  if (pingUsed) files[pingWrapperPath] = PING_WRAPPER;

  const out: string[] = [];
  const w = (line: string) => out.push(line);
  const wantedMaxconn = listeners.reduce((s, l) => s + connectionLimit(l), 0);
  const globalMaxconn = paths.maxconnCap !== undefined ? Math.max(1, Math.min(wantedMaxconn, Math.floor(paths.maxconnCap))) : wantedMaxconn;

  // base.j2
  w(`# Configuration for loadbalancer ${lb.key}`);
  w('global');
  w('    daemon');
  w('    user nobody');
  w(`    log ${logTarget} local0`);
  w(`    log ${logTarget} local1 notice`);
  w(`    stats socket ${path.join(stateDir, 'haproxy.sock')} mode 0666 level user`);
  if (listeners.length > 0) {
    if (globalMaxconn < wantedMaxconn) w(`    # lab: maxconn capped from ${wantedMaxconn} to the open-files limit`);
    w(`    maxconn ${globalMaxconn}`);
  }
  if (pingUsed) {
    w('    external-check');
    // haproxy >= 2.2 refuses to fork for external checks without it.
    w('    insecure-fork-wanted');
  }
  w('');
  w('defaults');
  w(paths.connectionLogging === false ? '    no log' : '    log global');
  w('    retries 3');
  w('    option redispatch');
  w('    option splice-request');
  w('    option splice-response');
  w('    option http-keep-alive');
  w('');

  for (const listener of listeners) {
    const lid = nameOf(listener.key);
    const proto = listener.protocol.toUpperCase();
    const mode = listenerMode(proto);
    const pools = listenerPools(listener, poolsByKey);

    // frontend_macro
    w('');
    w(`frontend ${lid}`);
    w(`    maxconn ${connectionLimit(listener)}`);
    if (proto === 'TERMINATED_HTTPS') w('    redirect scheme https if !{ ssl_fc }');
    const bindOpts: string[] = [];
    if (proto === 'TERMINATED_HTTPS' && listener.tlsPem) {
      const pem = path.join(stateDir, 'certs', `${lid}.pem`);
      files[pem] = listener.tlsPem.endsWith('\n') ? listener.tlsPem : `${listener.tlsPem}\n`;
      bindOpts.push(`ssl crt ${pem}`);
      if (listener.tlsCiphers) bindOpts.push(`ciphers ${listener.tlsCiphers}`);
      if (listener.tlsVersions && listener.tlsVersions.length > 0) {
        const versions = new Set(listener.tlsVersions);
        for (const [v, opt] of TLS_VERSION_OPTS) if (!versions.has(v)) bindOpts.push(opt);
      }
      if (listener.alpnProtocols && listener.alpnProtocols.length > 0) bindOpts.push(`alpn ${listener.alpnProtocols.join(',')}`);
    }
    w(`    bind ${bindAddress(lb.vipAddress)}:${listener.protocolPort}${bindOpts.length ? ' ' + bindOpts.join(' ') : ''}`);
    w(`    mode ${mode}`);
    if (listener.allowedCidrs.length > 0) {
      const cidrFile = path.join(stateDir, `${lid}.cidrs`);
      files[cidrFile] = listener.allowedCidrs.map((c) => `${c}\n`).join('');
      w(`    tcp-request connection reject unless { src -f ${cidrFile} }`);
    }
    const policies = [...listener.l7Policies].filter((p) => p.rules.length > 0).sort((a, b) => a.position - b.position);
    for (const policy of policies) {
      for (const line of l7PolicyLines(policy, lid, nameOf, poolsByKey)) w(line);
    }
    if (listener.defaultPoolKey && poolsByKey.has(listener.defaultPoolKey)) {
      w(`    default_backend ${nameOf(listener.defaultPoolKey)}:${lid}`);
    }
    w(`    timeout client ${listener.timeoutClientData ?? OCTAVIA_DEFAULT_TIMEOUT_CLIENT_DATA}`);
    if (listener.timeoutTcpInspect) w(`    tcp-request inspect-delay ${listener.timeoutTcpInspect}`);

    // backend_macro, for each pool of the listener
    for (const pool of pools) {
      w('');
      for (const line of backendLines(pool, listener, lid, mode, nameOf, pingWrapperPath)) w(line);
    }
  }

  return { config: out.join('\n') + '\n', files, skipped, names };
}

/** IPv4 as is; IPv6 too (haproxy takes the last colon as the port separator). */
function bindAddress(vip: string): string {
  return vip;
}

/** A listener's pools as Octavia lists them: the default pool, then the L7 redirect targets. */
function listenerPools(listener: LabListenerModel, poolsByKey: Map<string, LabPoolModel>): LabPoolModel[] {
  const keys: string[] = [];
  if (listener.defaultPoolKey) keys.push(listener.defaultPoolKey);
  for (const p of [...listener.l7Policies].sort((a, b) => a.position - b.position)) {
    if (p.action.toUpperCase() === 'REDIRECT_TO_POOL' && p.redirectPoolKey) keys.push(p.redirectPoolKey);
  }
  const seen = new Set<string>();
  const pools: LabPoolModel[] = [];
  for (const k of keys) {
    const pool = poolsByKey.get(k);
    if (pool && !seen.has(k)) {
      seen.add(k);
      pools.push(pool);
    }
  }
  return pools;
}

/** `l7rule_compare_type_macro`. */
function compareTypeFlag(compareType: string): string {
  switch (compareType.toUpperCase()) {
    case 'REGEX':
      return '-m reg';
    case 'STARTS_WITH':
      return '-m beg';
    case 'ENDS_WITH':
      return '-m end';
    case 'CONTAINS':
      return '-m sub';
    case 'EQUAL_TO':
      return '-m str';
    default:
      throw new Error(`amphora: unsupported L7 rule compare_type ${compareType}`);
  }
}

/** `l7rule_macro`: the ACL line of a rule. */
function l7RuleAcl(rule: LabL7RuleModel, aclName: string): string {
  const type = rule.type.toUpperCase();
  const value = escapeHaproxyString(rule.value);
  switch (type) {
    case 'HOST_NAME':
      return `    acl ${aclName} req.hdr(host) -i ${compareTypeFlag(rule.compareType)} ${value}`;
    case 'PATH':
      return `    acl ${aclName} path ${compareTypeFlag(rule.compareType)} ${value}`;
    case 'FILE_TYPE':
      return `    acl ${aclName} path_end ${compareTypeFlag(rule.compareType)} ${value}`;
    case 'HEADER':
      return `    acl ${aclName} req.hdr(${rule.key2 ?? ''}) ${compareTypeFlag(rule.compareType)} ${value}`;
    case 'COOKIE':
      return `    acl ${aclName} req.cook(${rule.key2 ?? ''}) ${compareTypeFlag(rule.compareType)} ${value}`;
    case 'SSL_CONN_HAS_CERT':
      return `    acl ${aclName} ssl_c_used`;
    case 'SSL_VERIFY_RESULT':
      return `    acl ${aclName} ssl_c_verify eq ${value}`;
    case 'SSL_DN_FIELD':
      return `    acl ${aclName} ssl_c_s_dn(${rule.key2 ?? ''}) ${compareTypeFlag(rule.compareType)} ${value}`;
    default:
      throw new Error(`amphora: unsupported L7 rule type ${rule.type}`);
  }
}

/** `l7policy_macro`: the rules' ACLs then the action. */
function l7PolicyLines(policy: LabL7PolicyModel, lid: string, nameOf: (k: string) => string, poolsByKey: Map<string, LabPoolModel>): string[] {
  const lines: string[] = [];
  const conds: string[] = [];
  for (const rule of policy.rules) {
    const acl = nameOf(rule.key);
    lines.push(l7RuleAcl(rule, acl));
    conds.push(`${rule.invert ? '!' : ''}${acl}`);
  }
  const cond = conds.join(' ');
  const code = policy.redirectHttpCode ? ` code ${policy.redirectHttpCode}` : '';
  switch (policy.action.toUpperCase()) {
    case 'REJECT':
      lines.push(`    http-request deny if ${cond}`);
      break;
    case 'REDIRECT_TO_URL':
      lines.push(`    redirect${code} location ${escapeHaproxyString(policy.redirectUrl ?? '')} if ${cond}`);
      break;
    case 'REDIRECT_PREFIX':
      lines.push(`    redirect${code} prefix ${escapeHaproxyString(policy.redirectPrefix ?? '')} if ${cond}`);
      break;
    case 'REDIRECT_TO_POOL':
      if (policy.redirectPoolKey && poolsByKey.has(policy.redirectPoolKey)) {
        lines.push(`    use_backend ${nameOf(policy.redirectPoolKey)}:${lid} if ${cond}`);
      }
      break;
    default:
      throw new Error(`amphora: unsupported L7 policy action ${policy.action}`);
  }
  return lines;
}

/** `backend_macro`. */
function backendLines(
  pool: LabPoolModel,
  listener: LabListenerModel,
  lid: string,
  listenerModeValue: 'http' | 'tcp',
  nameOf: (k: string) => string,
  pingWrapperPath: string,
): string[] {
  const l: string[] = [];
  const proto = listener.protocol.toUpperCase();
  const poolProto = pool.protocol.toUpperCase();
  l.push(`backend ${nameOf(pool.key)}:${lid}`);
  l.push(`    mode ${poolProto === 'PROXY' || poolProto === 'PROXYV2' ? listenerModeValue : poolMode(pool, listener)}`);
  l.push(`    balance ${balanceAlgorithm(pool.lbMethod)}`);
  const persistence = pool.persistence?.type.toUpperCase();
  if (persistence === 'SOURCE_IP') {
    l.push(`    stick-table type ip size ${HAPROXY_STICK_SIZE}`);
    l.push('    stick on src');
  } else if (persistence === 'APP_COOKIE') {
    const cookie = pool.persistence?.cookieName ?? '';
    l.push(`    stick-table type string len 64 size ${HAPROXY_STICK_SIZE}`);
    l.push(`    stick store-response res.cook(${cookie})`);
    l.push(`    stick match req.cook(${cookie})`);
  } else if (persistence === 'HTTP_COOKIE') {
    l.push('    cookie SRV insert indirect nocache');
  }
  const monitor = pool.monitor;
  const mtype = monitor?.type.toUpperCase();
  if (monitor) {
    l.push(`    timeout check ${monitor.timeout}s`);
    if (mtype === 'HTTP' || mtype === 'HTTPS') {
      const method = monitor.httpMethod ?? 'GET';
      const urlPath = monitor.urlPath ?? '/';
      if (monitor.httpVersion === 1.1 && monitor.domainName) {
        l.push(`    option httpchk ${method} ${urlPath} HTTP/1.1\\r\\nHost:\\ ${monitor.domainName}`);
      } else if (monitor.httpVersion) {
        l.push(`    option httpchk ${method} ${urlPath} HTTP/${monitor.httpVersion.toFixed(1)}\\r\\n`);
      } else {
        l.push(`    option httpchk ${method} ${urlPath}`);
      }
      l.push(`    http-check expect rstatus ${expandExpectedCodes(monitor.expectedCodes ?? '200').join('|')}`);
    }
    if (mtype === 'TLS-HELLO') l.push('    option ssl-hello-chk');
    if (mtype === 'PING') {
      l.push('    option external-check');
      l.push(`    external-check command ${pingWrapperPath}`);
    }
  }
  if (poolProto === 'HTTP') {
    if (headerOn(listener, 'X-Forwarded-For')) l.push('    option forwardfor');
    if (headerOn(listener, 'X-Forwarded-Port')) l.push('    http-request set-header X-Forwarded-Port %[dst_port]');
  }
  if (headerOn(listener, 'X-Forwarded-Proto')) {
    if (proto === 'HTTP') l.push('    http-request set-header X-Forwarded-Proto http');
    else if (proto === 'TERMINATED_HTTPS') l.push('    http-request set-header X-Forwarded-Proto https');
  }
  if (proto === 'TERMINATED_HTTPS') {
    const sslHeaders: [string, string][] = [
      ['X-SSL-Client-Verify', '%[ssl_c_verify]'],
      ['X-SSL-Client-Has-Cert', '%[ssl_c_used]'],
      ['X-SSL-Client-DN', '%{+Q}[ssl_c_s_dn]'],
      ['X-SSL-Client-CN', '%{+Q}[ssl_c_s_dn(cn)]'],
      ['X-SSL-Issuer', '%{+Q}[ssl_c_i_dn]'],
      ['X-SSL-Client-SHA1', '%{+Q}[ssl_c_sha1,hex]'],
      ['X-SSL-Client-Not-Before', '%{+Q}[ssl_c_notbefore]'],
      ['X-SSL-Client-Not-After', '%{+Q}[ssl_c_notafter]'],
    ];
    for (const [h, v] of sslHeaders) if (headerOn(listener, h)) l.push(`    http-request set-header ${h} ${v}`);
  }
  l.push(`    fullconn ${connectionLimit(listener)}`);
  l.push('    option allbackups');
  l.push(`    timeout connect ${listener.timeoutMemberConnect ?? OCTAVIA_DEFAULT_TIMEOUT_MEMBER_CONNECT}`);
  l.push(`    timeout server ${listener.timeoutMemberData ?? OCTAVIA_DEFAULT_TIMEOUT_MEMBER_DATA}`);
  for (const member of pool.members) l.push(memberLine(pool, member, monitor, nameOf));
  return l;
}

/** `member_macro`. */
function memberLine(pool: LabPoolModel, member: LabMemberModel, monitor: LabMonitorModel | undefined, nameOf: (k: string) => string): string {
  const mtype = monitor?.type.toUpperCase();
  let opts = '';
  if (monitor) {
    const ssl = mtype === 'HTTPS' ? ' check-ssl verify none' : '';
    opts += ` check${ssl} inter ${monitor.delay}s fall ${monitor.maxRetriesDown} rise ${monitor.maxRetries}`;
  }
  const sid = nameOf(member.key);
  if (pool.persistence?.type.toUpperCase() === 'HTTP_COOKIE') opts += ` cookie ${sid}`;
  const poolProto = pool.protocol.toUpperCase();
  if (poolProto === 'PROXY') opts += ' send-proxy';
  if (poolProto === 'PROXYV2') opts += ' send-proxy-v2';
  if (member.backup) opts += ' backup';
  if (!member.adminStateUp) opts += ' disabled';
  return `    server ${sid} ${member.address}:${member.protocolPort} weight ${member.weight}${opts}`;
}
