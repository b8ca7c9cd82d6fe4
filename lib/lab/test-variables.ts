/**
 * Test values for a synthesized stack's Terraform variables, so the lab can evaluate every template
 * as `terraform apply` would with real inputs: a variable with a default keeps it; a required one
 * gets a value generated from what it is (its name, `description`, `type`), in the format the real
 * value has (an OpenSSH key, a PEM certificate and its key, a WireGuard key, a password...).
 *
 * Everything is derived from a seed (keys included), so a run is reproducible; only the X.509
 * certificates differ between processes (validity dates and ECDSA signatures; OpenSSL 3.0 has no
 * deterministic ECDSA), their keys do not. Within a process each certificate is made once.
 */
import { execFileSync } from 'node:child_process';
import { createECDH, createHash, createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TerraformValue } from './terraform-expressions';

/** How a variable's value was obtained. */
export enum TestVariableKind {
  DEFAULT = 'default',
  OVERRIDE = 'override',
  SSH_PUBLIC_KEY = 'ssh-public-key',
  SSH_PRIVATE_KEY = 'ssh-private-key',
  TLS_CERTIFICATE = 'tls-certificate',
  TLS_PRIVATE_KEY = 'tls-private-key',
  TLS_CONTAINER_REF = 'tls-container-ref',
  /** A PEM bundle: certificate chain then private key (haproxy's `crt`). */
  TLS_PEM_BUNDLE = 'tls-pem-bundle',
  WIREGUARD_PRIVATE_KEY = 'wireguard-private-key',
  PASSWORD = 'password',
  APPLICATION_CREDENTIAL_ID = 'application-credential-id',
  APPLICATION_CREDENTIAL_SECRET = 'application-credential-secret',
  SECRET_KEY = 'secret-key',
  UUID = 'uuid',
  /** A GitHub repository, `owner/name`. */
  GITHUB_REPOSITORY = 'github-repository',
}

/** Options of {@link generateTestVariables}. */
export interface TestVariablesOptions {
  /** Seed of every generated value. @default 1 */
  readonly seed?: number;
  /** Values given by the caller, used as they are (no generation, no default). @default - none */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

/** The variables' values and what the lab generated alongside them. */
export interface GeneratedTestVariables {
  /** Every declared variable's value. */
  readonly values: Readonly<Record<string, TerraformValue>>;
  /** How each value was obtained. */
  readonly kinds: Readonly<Record<string, TestVariableKind>>;
  /**
   * PEM (certificate + private key) for each Barbican container reference value, i.e. what the
   * amphora would fetch from Barbican: keyed by the reference (the variable's value).
   */
  readonly tlsContainers: Readonly<Record<string, string>>;
}

/** A self-signed certificate and its key, both PEM. */
export interface TestCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** Characters that must survive every escaping layer (XML, URLs, shell, YAML, JSON, SQL). */
const PASSWORD_SPECIALS = '&<>"\'%#+=;?$\\ ';
const ALPHANUMERIC = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
const PASSWORD_LENGTH = 24;

/** DER prefixes of PKCS#8 Ed25519 / X25519 private keys, followed by the 32-byte seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** A declared Terraform variable. */
interface VariableDeclaration {
  readonly default?: unknown;
  readonly description?: string;
  readonly type?: string;
  readonly sensitive?: boolean;
}

/**
 * Values for every variable declared in `terraformDoc` (a parsed `cdk.tf.json`): overrides first,
 * then defaults, then generated test values. Throws for a required variable it cannot classify,
 * naming it and saying that the caller can pass it in `variables`.
 */
export function generateTestVariables(terraformDoc: object, options: TestVariablesOptions = {}): GeneratedTestVariables {
  const seed = options.seed ?? 1;
  const overrides = options.overrides ?? {};
  const declared = objectOf((terraformDoc as Record<string, unknown>).variable) as Record<string, VariableDeclaration>;
  const values: Record<string, TerraformValue> = {};
  const kinds: Record<string, TestVariableKind> = {};
  const tlsContainers: Record<string, string> = {};
  const certificates = new Map<string, TestCertificate>();
  const certificateFor = (prefix: string): TestCertificate => {
    let c = certificates.get(prefix);
    if (!c) {
      c = selfSignedCertificate(`lab-${prefix.replace(/_/g, '-')}.test`, seededBytes(seed, `tls:${prefix}`, 32));
      certificates.set(prefix, c);
    }
    return c;
  };
  for (const [name, declaration] of Object.entries(declared)) {
    const kind = Object.prototype.hasOwnProperty.call(overrides, name)
      ? TestVariableKind.OVERRIDE
      : declaration.default !== undefined
        ? TestVariableKind.DEFAULT
        : classifyVariable(name, declaration);
    kinds[name] = kind;
    switch (kind) {
      case TestVariableKind.OVERRIDE:
        values[name] = convertVariableValue(name, declaration.type, overrides[name]);
        break;
      case TestVariableKind.DEFAULT:
        values[name] = declaration.default as TerraformValue;
        break;
      case TestVariableKind.SSH_PUBLIC_KEY:
        // Every SSH key variable of a stack shares one key pair, so a private key the stack installs
        // (a deployment server's) opens the servers authorized with the public one.
        values[name] = sshKeyPair(seededBytes(seed, 'ssh', 32)).publicKey;
        break;
      case TestVariableKind.SSH_PRIVATE_KEY:
        values[name] = sshKeyPair(seededBytes(seed, 'ssh', 32)).privateKey;
        break;
      case TestVariableKind.TLS_CERTIFICATE:
        values[name] = certificateFor(tlsPrefix(name)).certificatePem;
        break;
      case TestVariableKind.TLS_PRIVATE_KEY:
        values[name] = certificateFor(tlsPrefix(name)).privateKeyPem;
        break;
      case TestVariableKind.TLS_PEM_BUNDLE: {
        const c = certificateFor(name.replace(/_pem$/, ''));
        values[name] = c.certificatePem + c.privateKeyPem;
        break;
      }
      case TestVariableKind.TLS_CONTAINER_REF:
        values[name] = `https://barbican.lab.invalid/v1/secrets/${seededUuid(seed, name)}`;
        break;
      case TestVariableKind.WIREGUARD_PRIVATE_KEY:
        values[name] = wireguardPrivateKey(seededBytes(seed, `wireguard:${name}`, 32));
        break;
      case TestVariableKind.PASSWORD:
        values[name] = testPassword(seed, name);
        break;
      case TestVariableKind.APPLICATION_CREDENTIAL_ID:
      case TestVariableKind.SECRET_KEY:
        values[name] = seededBytes(seed, name, 16).toString('hex');
        break;
      case TestVariableKind.APPLICATION_CREDENTIAL_SECRET:
        values[name] = seededBytes(seed, name, 32).toString('hex');
        break;
      case TestVariableKind.UUID:
        values[name] = seededUuid(seed, name);
        break;
      case TestVariableKind.GITHUB_REPOSITORY:
        values[name] = `hosting-stacks-lab/stack-${seededBytes(seed, name, 4).toString('hex')}`;
        break;
    }
    // A container reference, given or generated, needs the certificate the amphora would fetch.
    if (/_tls_container_ref$|_container_ref$/.test(name) && typeof values[name] === 'string') {
      const c = certificateFor(name.replace(/_container_ref$/, ''));
      tlsContainers[values[name] as string] = c.certificatePem + c.privateKeyPem;
    }
  }
  for (const name of Object.keys(overrides)) {
    if (!Object.prototype.hasOwnProperty.call(declared, name)) {
      throw new Error(`variables: '${name}' is not a variable the stack declares (declared: ${Object.keys(declared).join(', ') || 'none'})`);
    }
  }
  return { values, kinds, tlsContainers };
}

/** What a required variable is, from its name, description and type; throws when it cannot tell. */
export function classifyVariable(name: string, declaration: { readonly description?: string; readonly type?: string }): TestVariableKind {
  const n = name.toLowerCase();
  const text = `${n.replace(/_/g, ' ')} ${(declaration.description ?? '').toLowerCase()}`;
  const type = declaration.type ?? 'string';
  if (type === 'string') {
    if (/\bssh\b/.test(text) && /public key/.test(text)) return TestVariableKind.SSH_PUBLIC_KEY;
    if (/\bssh\b/.test(text) && /private key/.test(text)) return TestVariableKind.SSH_PRIVATE_KEY;
    if (/wireguard|\bwg\b/.test(text) && /private key/.test(text)) return TestVariableKind.WIREGUARD_PRIVATE_KEY;
    if (/container_ref$/.test(n) || /barbican/.test(text)) return TestVariableKind.TLS_CONTAINER_REF;
    if (/_pem$/.test(n) && /\bbundle\b/.test(text) && /private key/.test(text)) return TestVariableKind.TLS_PEM_BUNDLE;
    if (/_(certificate|cert|certificate_chain)$/.test(n)) return TestVariableKind.TLS_CERTIFICATE;
    if (/_(private_key|key)$/.test(n) && /\b(tls|pem|certificate|x509)\b/.test(text)) return TestVariableKind.TLS_PRIVATE_KEY;
    if (/application credential/.test(text) && /(^|_)id$/.test(n)) return TestVariableKind.APPLICATION_CREDENTIAL_ID;
    if (/application credential/.test(text) && /secret$/.test(n)) return TestVariableKind.APPLICATION_CREDENTIAL_SECRET;
    if (/password|passphrase|passwd/.test(text)) return TestVariableKind.PASSWORD;
    if (/(crypt|encryption|secret|signing|api) key|\btoken\b|\bsecret\b/.test(text)) return TestVariableKind.SECRET_KEY;
    if (/(^|_)id$/.test(n)) return TestVariableKind.UUID;
    if (/\bgithub repository\b/.test(text)) return TestVariableKind.GITHUB_REPOSITORY;
  }
  const described = declaration.description ? ` ("${declaration.description}")` : '';
  throw new Error(
    `variable '${name}'${described} of type ${type} is required (no default) and the lab cannot generate a test value for it; pass one in \`variables\` (e.g. { variables: { ${name}: ... } })`,
  );
}

/** Converts a caller's value to the variable's declared primitive type, as Terraform would. */
export function convertVariableValue(name: string, type: string | undefined, value: unknown): TerraformValue {
  if (type === 'string') {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  } else if (type === 'number') {
    if (typeof value === 'number') return value;
    if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  } else if (type === 'bool') {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
  } else {
    return value as TerraformValue;
  }
  throw new Error(`variables: '${name}' must be a ${type}, got ${JSON.stringify(value)}`);
}

/** The common prefix of a certificate/key pair (`static_tls_certificate` and `static_tls_private_key` -> `static_tls`). */
function tlsPrefix(name: string): string {
  return name.replace(/_(certificate_chain|certificate|cert|private_key|key)$/, '');
}

/** `n` bytes derived from the seed and a label (SHA-256 in counter mode). */
export function seededBytes(seed: number, label: string, n: number): Buffer {
  const chunks: Buffer[] = [];
  for (let i = 0; chunks.length * 32 < n; i++) chunks.push(createHash('sha256').update(`hosting-stacks-lab:${seed}:${label}:${i}`).digest());
  return Buffer.concat(chunks).subarray(0, n);
}

/** A version-4 UUID derived from the seed and a label. */
export function seededUuid(seed: number, label: string): string {
  const b = Buffer.from(seededBytes(seed, `uuid:${label}`, 16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A 24-character password with every character that needs escaping somewhere
 * (`& < > " ' % # + = ; ? $ \` and a space) plus letters and digits, shuffled from the seed; never
 * starting or ending with the space, which tools legitimately trim.
 */
export function testPassword(seed: number, label: string): string {
  const random = seededBytes(seed, `password:${label}`, 64);
  const chars = [...PASSWORD_SPECIALS];
  for (let i = 0; chars.length < PASSWORD_LENGTH; i++) chars.push(ALPHANUMERIC[random[i] % ALPHANUMERIC.length]);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = random[32 + i] % (i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  // Keep the space inside: swap it with an alphanumeric in the middle when it lands at an end.
  for (const end of [0, chars.length - 1]) {
    if (chars[end] === ' ') {
      const k = chars.findIndex((c, i) => i > 0 && i < chars.length - 1 && /[A-Za-z0-9]/.test(c));
      [chars[end], chars[k]] = [chars[k], chars[end]];
    }
  }
  return chars.join('');
}

/** An Ed25519 key pair from a 32-byte seed, in OpenSSH formats (`ssh-ed25519 AAAA... comment` and `-----BEGIN OPENSSH PRIVATE KEY-----`). */
export function sshKeyPair(seed32: Buffer, comment = 'lab@hosting-stacks'): { readonly publicKey: string; readonly privateKey: string } {
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed32]), format: 'der', type: 'pkcs8' });
  const pub = rawPublicKey(privateKey);
  const sshString = (b: Buffer | string): Buffer => {
    const data = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([len, data]);
  };
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
  };
  const wirePublic = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = seed32.readUInt32BE(0);
  let secret = Buffer.concat([u32(check), u32(check), sshString('ssh-ed25519'), sshString(pub), sshString(Buffer.concat([seed32, pub])), sshString(comment)]);
  const padding: number[] = [];
  for (let i = 1; (secret.length + padding.length) % 8 !== 0; i++) padding.push(i);
  secret = Buffer.concat([secret, Buffer.from(padding)]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'binary'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    u32(1),
    sshString(wirePublic),
    sshString(secret),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g)!;
  return {
    publicKey: `ssh-ed25519 ${wirePublic.toString('base64')} ${comment}`,
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
  };
}

/** A WireGuard private key (X25519, clamped as `wg genkey` does, base64) from 32 bytes. */
export function wireguardPrivateKey(bytes32: Buffer): string {
  const k = Buffer.from(bytes32);
  k[0] &= 248;
  k[31] = (k[31] & 127) | 64;
  // Round-trip through node's X25519 to be sure it is a key the kernel accepts.
  const key = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, k]), format: 'der', type: 'pkcs8' });
  return Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url').toString('base64');
}

/**
 * A self-signed P-256 certificate for `commonName` (with it as DNS subjectAltName), valid 30 days,
 * and its private key (PKCS#8 PEM), made with `openssl req -x509`. The key is derived from
 * `keySeed32` when given (and then the certificate is cached for the process).
 */
export function selfSignedCertificate(commonName: string, keySeed32?: Buffer): TestCertificate {
  // Certificates from the same key are made once per process, so models built twice are equal.
  const cacheKey = keySeed32 ? `${commonName}|${keySeed32.toString('hex')}` : undefined;
  const cached = cacheKey !== undefined ? CERTIFICATE_CACHE.get(cacheKey) : undefined;
  if (cached) return cached;
  const made = makeSelfSignedCertificate(commonName, keySeed32);
  if (cacheKey !== undefined) CERTIFICATE_CACHE.set(cacheKey, made);
  return made;
}

const CERTIFICATE_CACHE = new Map<string, TestCertificate>();

function makeSelfSignedCertificate(commonName: string, keySeed32?: Buffer): TestCertificate {
  const privateKeyPem = p256PrivateKey(keySeed32 ?? seededBytes(Date.now(), commonName, 32)).export({ format: 'pem', type: 'pkcs8' }).toString();
  const dir = mkdtempSync(join(tmpdir(), 'lab-cert-'));
  try {
    writeFileSync(join(dir, 'key.pem'), privateKeyPem, { mode: 0o600 });
    try {
      execFileSync('openssl', ['req', '-x509', '-key', join(dir, 'key.pem'), '-days', '30', '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=DNS:${commonName}`, '-out', join(dir, 'cert.pem')], { stdio: 'pipe' });
    } catch (e) {
      const err = e as { code?: string; stderr?: Buffer };
      if (err.code === 'ENOENT') throw new Error('generating a test TLS certificate needs the openssl command (Debian package openssl)');
      throw new Error(`openssl req -x509 failed for CN=${commonName}: ${err.stderr?.toString() ?? String(e)}`);
    }
    return { certificatePem: readFileSync(join(dir, 'cert.pem'), 'utf8'), privateKeyPem };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A P-256 private key whose scalar is derived from 32 bytes. */
function p256PrivateKey(bytes32: Buffer): KeyObject {
  const ecdh = createECDH('prime256v1');
  // Reduce into the valid range [1, n-1] (a raw 32-byte value is out of range with probability ~2^-32).
  const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
  const d = (BigInt(`0x${bytes32.toString('hex')}`) % (n - 1n)) + 1n;
  const dBytes = Buffer.from(d.toString(16).padStart(64, '0'), 'hex');
  ecdh.setPrivateKey(dBytes);
  const pub = ecdh.getPublicKey();
  return createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', d: dBytes.toString('base64url'), x: pub.subarray(1, 33).toString('base64url'), y: pub.subarray(33, 65).toString('base64url') },
    format: 'jwk',
  });
}

function rawPublicKey(privateKey: KeyObject): Buffer {
  return Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url');
}

function objectOf(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
