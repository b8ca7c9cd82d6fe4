import { IConstruct } from 'constructs';
import { SynthPass } from '../../core/synth-pass';
import { ConfigSyntax } from '../../compute/cloud-config';
import { ServerInstance } from '../../compute/server-cluster';
import { tlsIntermediateProblems } from '../../security/tls-policy';
import { finding, IPolicyRule, PolicyContext, PolicyFinding } from '../policy-rule';
import { reviewedHostFiles } from '../stack-facts';
import { SynthesizedResource, synthesizedResourceOf } from '../terraform-facts';

/** Id of {@link TLS_INTERMEDIATE_RULE}. */
export const TLS_INTERMEDIATE_RULE_ID = 'HS-TLS-1';

/** Protocol versions in order, in OpenSSL's spelling. */
const VERSIONS = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;

/** A TLS endpoint found in a config, with the protocols and ciphers it would offer. */
export interface TlsEndpointSettings {
  /** Where it is (`server line 12`, `bind line 30`). */
  readonly where: string;
  /** Protocol versions enabled. */
  readonly protocols: string[];
  /** TLS 1.2 cipher list (OpenSSL names), or undefined when the daemon's default applies. */
  readonly ciphers?: string[];
  /** TLS 1.3 suites when set explicitly. */
  readonly ciphersuites?: string[];
}

/** Problems of one endpoint against Mozilla intermediate: protocols, ciphers, and defaults left unset. */
export function endpointProblems(e: TlsEndpointSettings, daemon: string): string[] {
  const problems = tlsIntermediateProblems(e.protocols, [...(e.ciphers ?? []), ...(e.ciphersuites ?? [])]);
  if (e.ciphers === undefined) problems.push(`no cipher list is set, so ${daemon}'s default (not Mozilla intermediate) applies`);
  return problems.map((p) => `${e.where}: ${p}`);
}

/** Splits an OpenSSL cipher string (`A:B:C`, quotes removed). */
function cipherList(value: string): string[] {
  return value.replace(/^["']|["']$/g, '').split(':').map((c) => c.trim()).filter(Boolean);
}

/** Strips `#` comments and the trailing `;` of nginx directives. */
function directives(text: string): { line: number; words: string[] }[] {
  return text.split('\n').map((raw, i) => ({ line: i + 1, words: raw.replace(/#.*$/, '').trim().replace(/;$/, '').split(/\s+/).filter(Boolean) })).filter((d) => d.words.length > 0);
}

/**
 * The TLS endpoints of an nginx.conf: when any `listen ... ssl` exists, the effective
 * `ssl_protocols` and `ssl_ciphers` (the last at `http` or `server` level; nginx 1.22 defaults to
 * TLSv1 TLSv1.1 TLSv1.2 TLSv1.3 and `HIGH:!aNULL:!MD5` when unset).
 */
export function nginxTlsEndpoints(text: string): TlsEndpointSettings[] {
  const ds = directives(text);
  const listens = ds.filter((d) => d.words[0] === 'listen' && d.words.includes('ssl'));
  if (listens.length === 0) return [];
  const protocols = ds.filter((d) => d.words[0] === 'ssl_protocols').map((d) => d.words.slice(1));
  const ciphers = ds.filter((d) => d.words[0] === 'ssl_ciphers').map((d) => cipherList(d.words.slice(1).join('')));
  const allProtocols = protocols.length ? [...new Set(protocols.flat())] : ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  const allCiphers = ciphers.length ? [...new Set(ciphers.flat())] : undefined;
  return listens.map((l) => ({ where: `listen line ${l.line} (${l.words.slice(1).join(' ')})`, protocols: allProtocols, ciphers: allCiphers }));
}

/**
 * The TLS endpoints of a haproxy.cfg: every `bind ... ssl` with its own `ssl-min-ver`,
 * `ssl-max-ver`, `no-tlsv1x`, `force-tlsv1x`, `ciphers` and `ciphersuites`, else the global
 * `ssl-default-bind-options`, `ssl-default-bind-ciphers` and `ssl-default-bind-ciphersuites`
 * (haproxy 2.2+ defaults to TLSv1.2 as the lowest version; ciphers default to OpenSSL's list).
 */
export function haproxyTlsEndpoints(text: string): TlsEndpointSettings[] {
  const ds = directives(text);
  const global = (key: string) => ds.filter((d) => d.words[0] === key).map((d) => d.words.slice(1)).pop();
  const defaultOptions = global('ssl-default-bind-options') ?? [];
  const defaultCiphers = global('ssl-default-bind-ciphers');
  const defaultSuites = global('ssl-default-bind-ciphersuites');
  return ds.filter((d) => d.words[0] === 'bind' && d.words.includes('ssl')).map((d) => {
    const opts = [...defaultOptions, ...d.words.slice(2)];
    const arg = (name: string) => {
      const i = d.words.lastIndexOf(name);
      return i >= 0 ? d.words[i + 1] : undefined;
    };
    const optArg = (name: string) => {
      const i = opts.lastIndexOf(name);
      return i >= 0 ? opts[i + 1] : undefined;
    };
    let min: string = optArg('ssl-min-ver') ?? 'TLSv1.2';
    let max: string = optArg('ssl-max-ver') ?? 'TLSv1.3';
    const forced = VERSIONS.find((v) => opts.includes(`force-${v.toLowerCase().replace('.', '')}`));
    if (forced) min = max = forced;
    const disabled = new Set(VERSIONS.filter((v) => opts.includes(`no-${v.toLowerCase().replace('.', '')}`)));
    const lo = VERSIONS.indexOf(min as (typeof VERSIONS)[number]);
    const hi = VERSIONS.indexOf(max as (typeof VERSIONS)[number]);
    const protocols = VERSIONS.slice(Math.max(lo, 0), hi < 0 ? VERSIONS.length : hi + 1).filter((v) => !disabled.has(v));
    const ciphers = arg('ciphers') ?? defaultCiphers?.join('');
    const suites = arg('ciphersuites') ?? defaultSuites?.join('');
    return {
      where: `bind line ${d.line} (${d.words[1]})`,
      protocols: lo < 0 ? [min] : protocols,
      ciphers: ciphers === undefined ? undefined : cipherList(ciphers),
      ciphersuites: suites === undefined ? undefined : cipherList(suites),
    };
  });
}

/**
 * The TLS endpoints of an Apache config: when `SSLEngine on` appears, the effective `SSLProtocol`
 * (`all`, `+X`, `-X`; Apache 2.4's default is `all -SSLv3`) and `SSLCipherSuite` (a `TLSv1.3`
 * first argument sets the 1.3 suites).
 */
export function apacheTlsEndpoints(text: string): TlsEndpointSettings[] {
  const ds = directives(text).map((d) => ({ ...d, key: d.words[0].toLowerCase() }));
  const engines = ds.filter((d) => d.key === 'sslengine' && d.words[1]?.toLowerCase() === 'on');
  if (engines.length === 0) return [];
  const protocolLine = ds.filter((d) => d.key === 'sslprotocol').pop();
  const protocols = new Set<string>();
  for (const w of protocolLine ? protocolLine.words.slice(1) : ['all', '-SSLv3']) {
    const sign = w.startsWith('-') ? '-' : '+';
    const name = w.replace(/^[+-]/, '');
    const names = name.toLowerCase() === 'all' ? ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] : [name];
    for (const n of names) {
      if (sign === '+') protocols.add(n);
      else protocols.delete(n);
    }
  }
  const suites = ds.filter((d) => d.key === 'sslciphersuite');
  const tls12 = suites.filter((d) => !/^TLSv1\.3$/i.test(d.words[1] ?? '')).pop();
  const tls13 = suites.filter((d) => /^TLSv1\.3$/i.test(d.words[1] ?? '')).pop();
  return engines.map((e) => ({
    where: `SSLEngine line ${e.line}`,
    protocols: [...protocols],
    ciphers: tls12 ? cipherList(tls12.words.slice(1).join('')) : undefined,
    ciphersuites: tls13 ? cipherList(tls13.words.slice(2).join('')) : undefined,
  }));
}

/**
 * HS-TLS-1: every TLS endpoint offers at least Mozilla's "intermediate" configuration (TLS 1.2
 * and 1.3 only, the intermediate cipher list; see lib/security/tls-policy.ts).
 *
 * Checked from what is rendered and synthesized, so endpoints added later are covered as they land:
 * nginx (`listen ... ssl`, `ssl_protocols`, `ssl_ciphers`), haproxy (`bind ... ssl`, its options
 * or `ssl-default-bind-*`), Apache (`SSLEngine on`, `SSLProtocol`, `SSLCipherSuite`) in every host
 * file, and every Octavia `TERMINATED_HTTPS` listener's `tls_versions` and `tls_ciphers` (both must
 * be set: the cloud's defaults are not known at synth). A setting left to the daemon's default is
 * a finding: no daemon here defaults to the intermediate cipher list.
 *
 * Visits each ServerInstance (its files as written for review, the findings on the host) and each
 * `openstack_lb_listener_v2` resource (the findings on the listener).
 */
export const TLS_INTERMEDIATE_RULE: IPolicyRule = {
  id: TLS_INTERMEDIATE_RULE_ID,
  description: 'Every TLS endpoint (nginx, haproxy, Apache, Octavia listeners) offers at least Mozilla intermediate: TLS 1.2/1.3 and its cipher list',
  visit(node: IConstruct, context: PolicyContext): PolicyFinding[] {
    if (ServerInstance.isServerInstance(node)) return hostFindings(node, context);
    const listener = synthesizedResourceOf(node, context, 'openstack_lb_listener_v2');
    return listener ? listenerFindings(listener) : [];
  },
};

/** The TLS endpoints of `host`'s files (nginx, haproxy, Apache) below Mozilla intermediate. */
function hostFindings(host: ServerInstance, context: PolicyContext): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  for (const f of reviewedHostFiles(host, context)) {
    const kinds: [string, TlsEndpointSettings[]][] = [];
    // Servers of a tier share their configs: each text is read once per synth.
    const endpoints = (daemon: string, parse: (text: string) => TlsEndpointSettings[]) => SynthPass.memoTextInStack(host, `tls endpoints ${daemon}`, f.content, () => parse(f.content));
    if (f.syntax === ConfigSyntax.NGINX || /nginx.*\.conf$/.test(f.path)) kinds.push(['nginx', endpoints('nginx', nginxTlsEndpoints)]);
    if (f.syntax === ConfigSyntax.HAPROXY || /haproxy.*\.cfg$/.test(f.path)) kinds.push(['haproxy', endpoints('haproxy', haproxyTlsEndpoints)]);
    if (f.syntax === ConfigSyntax.APACHE || /apache2|httpd/.test(f.path)) kinds.push(['Apache', endpoints('Apache', apacheTlsEndpoints)]);
    for (const [daemon, endpoints] of kinds) {
      for (const e of endpoints) {
        for (const p of endpointProblems(e, daemon)) findings.push(finding(TLS_INTERMEDIATE_RULE, host.node.path, `${host.hostname}:${f.path} ${p}`));
      }
    }
  }
  return findings;
}

/** What a synthesized Octavia listener lacks, when it terminates HTTPS. */
function listenerFindings(r: SynthesizedResource): PolicyFinding[] {
  if (r.body.protocol !== 'TERMINATED_HTTPS') return [];
  const findings: PolicyFinding[] = [];
  const versions = Array.isArray(r.body.tls_versions) ? r.body.tls_versions.map(String) : undefined;
  const ciphers = typeof r.body.tls_ciphers === 'string' ? cipherList(r.body.tls_ciphers) : undefined;
  if (!versions) findings.push(finding(TLS_INTERMEDIATE_RULE, r.path, 'the TERMINATED_HTTPS listener sets no tls_versions, so the cloud\'s default applies; set [\'TLSv1.2\', \'TLSv1.3\']'));
  if (!ciphers) findings.push(finding(TLS_INTERMEDIATE_RULE, r.path, 'the TERMINATED_HTTPS listener sets no tls_ciphers, so the cloud\'s default applies; set intermediateCipherString()'));
  for (const p of tlsIntermediateProblems(versions ?? ['TLSv1.2'], ciphers ?? [])) findings.push(finding(TLS_INTERMEDIATE_RULE, r.path, `the TERMINATED_HTTPS listener: ${p}`));
  return findings;
}
