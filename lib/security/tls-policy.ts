/**
 * Mozilla's "intermediate" server-side TLS configuration (wiki.mozilla.org/Security/Server_Side_TLS,
 * guidelines v5.7): TLS 1.2 and 1.3 only, forward-secret AEAD cipher suites. Every TLS endpoint the
 * library renders (haproxy, NGINX, Apache, Octavia listeners) takes its settings from here, and the
 * policy pack checks rendered configs against it.
 */

/** Protocol versions allowed, in the spelling of OpenSSL / Octavia (`TLSv1.2`). */
export const MOZILLA_INTERMEDIATE_PROTOCOLS: readonly string[] = ['TLSv1.2', 'TLSv1.3'];

/** TLS 1.2 cipher suites in Mozilla's order (OpenSSL names). */
export const MOZILLA_INTERMEDIATE_CIPHERS: readonly string[] = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
];

/** TLS 1.3 cipher suites (all three are acceptable in intermediate). */
export const MOZILLA_INTERMEDIATE_CIPHERSUITES: readonly string[] = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** Protocol versions that must never be enabled. */
export const FORBIDDEN_TLS_PROTOCOLS: readonly string[] = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.0', 'TLSv1.1'];

/** The cipher list as OpenSSL takes it (`ssl_ciphers`, `ssl-default-bind-ciphers`, `SSLCipherSuite`). */
export function intermediateCipherString(): string {
  return MOZILLA_INTERMEDIATE_CIPHERS.join(':');
}

/** The TLS 1.3 suites as OpenSSL takes them (`ssl-default-bind-ciphersuites`). */
export function intermediateCiphersuiteString(): string {
  return MOZILLA_INTERMEDIATE_CIPHERSUITES.join(':');
}

/** Problems of a protocol/cipher selection against intermediate (empty when it complies). */
export function tlsIntermediateProblems(protocols: readonly string[], ciphers: readonly string[]): string[] {
  const problems: string[] = [];
  for (const p of protocols) if (FORBIDDEN_TLS_PROTOCOLS.includes(p)) problems.push(`protocol ${p} is enabled (intermediate allows ${MOZILLA_INTERMEDIATE_PROTOCOLS.join(', ')})`);
  if (!protocols.some((p) => MOZILLA_INTERMEDIATE_PROTOCOLS.includes(p))) problems.push('neither TLSv1.2 nor TLSv1.3 is enabled');
  const allowed = new Set([...MOZILLA_INTERMEDIATE_CIPHERS, ...MOZILLA_INTERMEDIATE_CIPHERSUITES]);
  for (const c of ciphers) if (!allowed.has(c)) problems.push(`cipher ${c} is not in Mozilla's intermediate list`);
  return problems;
}

/**
 * Mozilla's intermediate session settings for nginx (ssl-config.mozilla.org): a day of session
 * reuse in a 10 MB shared cache (about 40,000 sessions), no session tickets (their keys are never
 * rotated by nginx, which would void forward secrecy).
 */
export const NGINX_TLS_SESSION = { timeout: '1d', cache: 'shared:MozSSL:10m', tickets: false } as const;
