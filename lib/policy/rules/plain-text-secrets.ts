import { IConstruct } from 'constructs';
import { ServerInstance } from '../../compute/server-cluster';
import { finding, IPolicyRule, PolicyContext, PolicyFinding } from '../policy-rule';
import { reviewedHostFiles } from '../stack-facts';
import { synthesizedProviderOf, synthesizedResourceOf, synthesizedVariableOf, synthesizedVariables } from '../terraform-facts';

/** Id of {@link PLAIN_TEXT_SECRETS_RULE}. */
export const PLAIN_TEXT_SECRETS_RULE_ID = 'HS-SECRET-1';

/**
 * Names that hold secrets, matched against a key in snake case (`PrivateKey` -> `private_key`,
 * leading `-`, `@` and `$` dropped) at its end: `password`, `db_password`, `MYSQL_PWD`,
 * `requirepass`, `masterauth`, `PresharedKey`, `psk`, `secret`, `*_secret`, `token`, `api_key`,
 * `admin_pass`. `server_tokens`, `password_file` or `fastcgi_pass` are not secret names.
 */
export const SECRET_KEY_PATTERN = /(^|_)(password|passwd|pwd|passphrase|requirepass|masterauth|secret|psk|preshared_key|pre_shared_key|private_key|token|api_key|secret_key|access_key|admin_pass)$/;

/** Values that configure a secret setting rather than hold one (`token: true`). */
const SETTING_WORDS = new Set(['true', 'false', 'yes', 'no', 'on', 'off', 'none', 'null', 'required', 'optional']);

/** A literal secret found in a text. Its value is never repeated, only where it is. */
export interface SecretLeak {
  /** 1-based line of the text. */
  readonly line: number;
  /** The key, element or construct that holds the literal (`password`, `PrivateKey`, `PEM block`). */
  readonly key: string;
}

/** A key in snake case, lower-case, without leading `-`, `@`, `$` or quotes. */
export function normalizeSecretKey(key: string): string {
  return key
    .replace(/^[-@$"']+|["']+$/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[.-]/g, '_');
}

/** True when `key` names a secret (see {@link SECRET_KEY_PATTERN}). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY_PATTERN.test(normalizeSecretKey(key));
}

/**
 * True when `value` (unquoted) is a literal secret: not empty, not a setting word, and holding no
 * reference: no Terraform or shell interpolation (`${...}`, `$NAME`, `$(...)`) and no SQL user
 * variable (`@name`).
 */
export function isLiteralSecretValue(value: string): boolean {
  const v = value.trim().replace(/[;,]$/, '').trim();
  // A lone quote ends a string being concatenated (`'... PASSWORD=', QUOTE(@x)`): no value here.
  if (/^["']$/.test(v)) return false;
  const unquoted = v.replace(/^(["'])(.*)\1$/s, '$2').replace(/^<!\[CDATA\[(.*)\]\]>$/s, '$1').trim();
  if (!unquoted) return false;
  if (SETTING_WORDS.has(unquoted.toLowerCase())) return false;
  if (/\$\{|\$\(|\$[A-Za-z_]/.test(unquoted)) return false;
  if (/(^|[^\w])@[A-Za-z_]\w*/.test(unquoted)) return false;
  return true;
}

/**
 * The literal secrets in a config file, a script or a command line. Detectors:
 * - PEM private key blocks (`-----BEGIN ... PRIVATE KEY-----`);
 * - XML elements named like a secret (`<password>x</password>`, CDATA included) and Magento's
 *   `<crypt><key>...</key></crypt>`;
 * - `key=value`, `key: value`, `key = "value"` and XML attributes `key="value"` with a secret name;
 * - `key value` lines with a secret name (`requirepass x`, `masterauth x`);
 * - SQL `IDENTIFIED BY 'x'`, and `-p<password>` on mysql/mariadb command lines.
 * A value is a leak when {@link isLiteralSecretValue}. Comment lines (`#`, `;`, `//`, `<!--`, `*`) are skipped.
 */
export function findPlainTextSecrets(text: string): SecretLeak[] {
  const leaks: SecretLeak[] = [];
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/g)) leaks.push({ line: lineOf(m.index!), key: 'PEM private key block' });
  for (const m of text.matchAll(/<([A-Za-z_][\w.-]*)(\s[^>]*)?>\s*(<!\[CDATA\[[\s\S]*?\]\]>|[^<]*?)\s*<\/\1>/g)) {
    if (isSecretKey(m[1]) && isLiteralSecretValue(m[3])) leaks.push({ line: lineOf(m.index!), key: `<${m[1]}>` });
  }
  for (const m of text.matchAll(/<crypt>\s*<key>\s*(<!\[CDATA\[[\s\S]*?\]\]>|[^<]*?)\s*<\/key>/g)) {
    if (isLiteralSecretValue(m[1])) leaks.push({ line: lineOf(m.index!), key: '<crypt><key>' });
  }
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || /^(#|;|\/\/|<!--|\*)/.test(line)) return;
    const found = new Set<string>();
    for (const m of line.matchAll(/([A-Za-z_@$-][\w.@$-]*)["']?\s*(?:=|:(?!\/\/))\s*("[^"]*"|'[^']*'|[^\s,;&]*)/g)) {
      if (isSecretKey(m[1]) && isLiteralSecretValue(m[2]) && !found.has(m[1])) {
        found.add(m[1]);
        leaks.push({ line: i + 1, key: m[1] });
      }
    }
    const spaced = /^([A-Za-z_][\w.-]*)\s+([^=:\s].*)$/.exec(line);
    if (spaced && isSecretKey(spaced[1]) && !found.has(spaced[1]) && isLiteralSecretValue(spaced[2])) leaks.push({ line: i + 1, key: spaced[1] });
    for (const m of line.matchAll(/IDENTIFIED\s+BY\s+(?!PASSWORD\b)('[^']*'|"[^"]*")/gi)) {
      if (isLiteralSecretValue(m[1])) leaks.push({ line: i + 1, key: 'IDENTIFIED BY' });
    }
    if (/^(mysql|mariadb|mysqladmin|mariadb-admin|mysqldump|mariadb-dump)\b/.test(line)) {
      for (const m of line.matchAll(/(?:^|\s)-p(\S+)/g)) {
        if (isLiteralSecretValue(m[1])) leaks.push({ line: i + 1, key: '-p' });
      }
    }
  });
  return leaks;
}

/** What the findings of HS-SECRET-1 advise. */
const ADVICE = 'use Secret.variable(scope, name, description) and put secret.value in the file';

/**
 * HS-SECRET-1: no secret in plain text in the synthesized output.
 *
 * Scanned: every host's files as written for review and its cloud-init commands, with
 * {@link findPlainTextSecrets}; and the synthesized Terraform: resource and provider arguments
 * named like a secret must be references (`${var.x}`, `${random_password.x.result}`), no string may
 * hold a PEM private key, sensitive variables must have no `default`, variables named like a secret
 * must be `sensitive`, and a `${var.x}` standing for a secret in a host file must be a sensitive
 * variable. Use `Secret.variable(...)` and put `secret.value` in the file.
 *
 * Visits each ServerInstance (its files and commands), TerraformVariable, TerraformResource and
 * TerraformProvider; each finding is on the construct visited.
 */
export const PLAIN_TEXT_SECRETS_RULE: IPolicyRule = {
  id: PLAIN_TEXT_SECRETS_RULE_ID,
  description: 'No password, key, token or pre-shared key appears as a literal in the Terraform or in any rendered host file: secrets are sensitive variables or generated',
  visit(node: IConstruct, context: PolicyContext): PolicyFinding[] {
    if (ServerInstance.isServerInstance(node)) return hostFindings(node, context);
    const variable = synthesizedVariableOf(node, context);
    if (variable) return variableFindings(node.node.path, variable.name, variable.body);
    const resource = synthesizedResourceOf(node, context);
    if (resource) return blockFindings(resource.path, resource.body, `${resource.type}.${resource.name}`);
    const provider = synthesizedProviderOf(node, context);
    if (provider) return blockFindings(node.node.path, provider.blocks, `provider ${provider.type}`);
    return [];
  },
};

/** The literal secrets in `host`'s files and cloud-init commands, and secrets its files take from variables that are not sensitive. */
function hostFindings(host: ServerInstance, context: PolicyContext): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  const at = host.node.path;
  const variables = synthesizedVariables(context);
  const scanned = scannedTexts(context);
  for (const f of reviewedHostFiles(host, context)) {
    const scan = scanOf(scanned, f.content);
    for (const leak of scan.leaks) {
      findings.push(finding(PLAIN_TEXT_SECRETS_RULE, at, `${host.hostname}:${f.path} line ${leak.line}: ${leak.key} holds a literal secret; ${ADVICE}`));
    }
    for (const name of scan.secretVariables) {
      if (variables[name] && variables[name].sensitive !== true) {
        findings.push(finding(PLAIN_TEXT_SECRETS_RULE, at, `${host.hostname}:${f.path}: the secret comes from var.${name}, which is not sensitive; Terraform would print it in plans (declare it with Secret.variable)`));
      }
    }
  }
  host.cloudConfig.runCommands.forEach((cmd, i) => {
    const line = Array.isArray(cmd) ? cmd.map(String).join(' ') : String(cmd);
    for (const leak of scanOf(scanned, line).leaks) {
      findings.push(finding(PLAIN_TEXT_SECRETS_RULE, at, `${host.hostname}: cloud-init command ${i + 1}: ${leak.key} holds a literal secret; ${ADVICE}`));
    }
  });
  return findings;
}

/** What a scan of one text found: its literal secrets and the variables it takes secrets from. */
interface TextScan {
  readonly leaks: SecretLeak[];
  readonly secretVariables: string[];
}

/**
 * The scans of this check, by text: the servers of a tier carry the same files and commands, so a
 * text is scanned once however many hosts hold it (a hundred front-ends, one scan of each file).
 */
function scannedTexts(context: PolicyContext): Map<string, TextScan> {
  return context.memo(`${PLAIN_TEXT_SECRETS_RULE_ID}:scans`, () => new Map<string, TextScan>());
}

function scanOf(scanned: Map<string, TextScan>, text: string): TextScan {
  let scan = scanned.get(text);
  if (!scan) {
    scan = { leaks: findPlainTextSecrets(text), secretVariables: secretVariableReferences(text) };
    scanned.set(text, scan);
  }
  return scan;
}

/** A sensitive variable with a default, or a variable named like a secret that is not sensitive. */
function variableFindings(path: string, name: string, v: Record<string, unknown>): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  if (v.sensitive === true && 'default' in v) {
    findings.push(finding(PLAIN_TEXT_SECRETS_RULE, path, `the sensitive variable ${name} has a default, a literal secret in the Terraform; remove it and set the value at apply (TF_VAR_${name})`));
  }
  if (v.sensitive !== true && isSecretKey(name)) {
    findings.push(finding(PLAIN_TEXT_SECRETS_RULE, path, `the variable ${name} is named like a secret but is not sensitive; ${ADVICE}`));
  }
  return findings;
}

/** The PEM private keys and literal secret arguments in a synthesized resource or provider block (`what`). */
function blockFindings(path: string, body: unknown, what: string): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  walkStrings(body, [], (keyPath, value) => {
    const key = keyPath[keyPath.length - 1] ?? '';
    if (/-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/.test(value)) {
      findings.push(finding(PLAIN_TEXT_SECRETS_RULE, path, `${what}: ${keyPath.join('.')} holds a PEM private key block; ${ADVICE}`));
    } else if (key !== 'user_data' && isSecretKey(key) && !value.includes('${')) {
      findings.push(finding(PLAIN_TEXT_SECRETS_RULE, path, `${what}: ${keyPath.join('.')} is a literal secret; pass a sensitive variable or a generated secret (random_password)`));
    }
  });
  return findings;
}

/** The variables referenced where a secret is expected in `text` (`password = ${var.x}` -> `x`). */
function secretVariableReferences(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/([A-Za-z_@$-][\w.@$-]*)["'>]?\s*(?:=|:|\s)\s*["']?(?:<!\[CDATA\[)?\$\{[^}\n]*?\bvar\.([A-Za-z_][\w-]*)/g)) {
    if (isSecretKey(m[1])) names.add(m[2]);
  }
  return [...names];
}

/** Calls `visit` with the key path of every string in `value`, skipping cdktf's `//` metadata. */
function walkStrings(value: unknown, keyPath: string[], visit: (keyPath: string[], value: string) => void): void {
  if (typeof value === 'string') {
    visit(keyPath, value);
  } else if (Array.isArray(value)) {
    value.forEach((v) => walkStrings(v, keyPath, visit));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k === '//') continue;
      walkStrings(v, [...keyPath, k], visit);
    }
  }
}
