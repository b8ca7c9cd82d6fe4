/**
 * Generated test values of Terraform variables: real key formats, pairs that match, reproducible
 * from a seed, and an error for what cannot be classified.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyVariable, generateTestVariables, TestVariableKind } from '../../lib/lab/test-variables';

const hasSshKeygen = spawnSync('ssh-keygen', ['-?']).error === undefined;

/** The variables monsieur-deguisement declares (abridged from its cdk.tf.json). */
const DOC = {
  variable: {
    ssh_public_key: { description: 'OpenSSH public key installed for the login user of every server', type: 'string' },
    deploy_ssh_private_key: { description: 'SSH private key (OpenSSH format) the deployment server logs in to the front-ends with', sensitive: true, type: 'string' },
    static_tls_certificate: { description: 'PEM certificate chain of the static host names (leaf first)', sensitive: true, type: 'string' },
    static_tls_private_key: { description: 'PEM private key of the static host names certificate', sensitive: true, type: 'string' },
    entry_tls_container_ref: { description: "Barbican reference (https://.../v1/secrets/<uuid>) of the entries' PKCS#12 certificate", type: 'string' },
    wireguard_private_key: { description: 'WireGuard private key of the office VPN gateway (wg genkey)', sensitive: true, type: 'string' },
    mysql_app_password: { description: 'Password of the application account of the MariaDB databases', sensitive: true, type: 'string' },
    backup_os_application_credential_id: { description: 'Id of the OpenStack application credential the backup runner uses', sensitive: true, type: 'string' },
    backup_os_application_credential_secret: { description: 'Secret of the OpenStack application credential the backup runner uses', sensitive: true, type: 'string' },
    magento_crypt_key: { description: "Magento's encryption key (app/etc/local.xml global/crypt/key), the same on every node", sensitive: true, type: 'string' },
    media_share_network_id: { description: 'Id of the Manila share network that serves the share media', type: 'string' },
    frontends_servers_count: { default: 2, description: 'Instances of Frontends', type: 'number' },
  },
};

describe('generateTestVariables', () => {
  const generated = generateTestVariables(DOC, { seed: 7 });
  const v = generated.values as Record<string, string>;

  test('a variable with a default keeps it', () => {
    expect(generated.values.frontends_servers_count).toBe(2);
    expect(generated.kinds.frontends_servers_count).toBe(TestVariableKind.DEFAULT);
  });

  test('the SSH public key is an ssh-ed25519 key whose wire format parses', () => {
    const [type, blob] = v.ssh_public_key.split(' ');
    expect(type).toBe('ssh-ed25519');
    const wire = Buffer.from(blob, 'base64');
    const typeLength = wire.readUInt32BE(0);
    expect(wire.subarray(4, 4 + typeLength).toString()).toBe('ssh-ed25519');
    expect(wire.readUInt32BE(4 + typeLength)).toBe(32);
    expect(wire.length).toBe(4 + typeLength + 4 + 32);
  });

  (hasSshKeygen ? test : test.skip)('ssh-keygen reads both keys, and the private key is the public key\'s pair', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-ssh-test-'));
    try {
      writeFileSync(join(dir, 'id'), v.deploy_ssh_private_key, { mode: 0o600 });
      writeFileSync(join(dir, 'id.pub'), `${v.ssh_public_key}\n`);
      const derived = execFileSync('ssh-keygen', ['-y', '-f', join(dir, 'id')]).toString().trim();
      expect(derived.split(' ').slice(0, 2)).toEqual(v.ssh_public_key.split(' ').slice(0, 2));
      expect(execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'id.pub')]).toString()).toMatch(/ED25519/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the TLS certificate and private key variables pair', () => {
    const cert = new X509Certificate(v.static_tls_certificate);
    expect(cert.checkPrivateKey(createPrivateKey(v.static_tls_private_key))).toBe(true);
    expect(cert.subject).toMatch(/CN=lab-static-tls/);
  });

  test('a PEM bundle variable gets a certificate followed by its private key (haproxy\'s crt)', () => {
    const g = generateTestVariables({ variable: { api_tls_pem: { description: 'PEM bundle (certificate chain and private key) of the API host names', type: 'string' } } });
    const pem = g.values.api_tls_pem as string;
    expect(pem.indexOf('BEGIN CERTIFICATE')).toBeLessThan(pem.indexOf('PRIVATE KEY'));
    expect(new X509Certificate(pem).checkPrivateKey(createPrivateKey(pem))).toBe(true);
  });

  test('a TLS container reference gets a PEM certificate and key the amphora can use', () => {
    expect(v.entry_tls_container_ref).toMatch(/^https:\/\/barbican\.lab\.invalid\/v1\/secrets\/[0-9a-f-]{36}$/);
    const pem = generated.tlsContainers[v.entry_tls_container_ref];
    const cert = new X509Certificate(pem);
    expect(cert.checkPrivateKey(createPrivateKey(pem))).toBe(true);
  });

  test('the WireGuard key is 32 base64 bytes, clamped, and a valid X25519 key', () => {
    const raw = Buffer.from(v.wireguard_private_key, 'base64');
    expect(raw.length).toBe(32);
    expect(raw[0] & 7).toBe(0);
    expect(raw[31] & 0xc0).toBe(0x40);
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), raw]);
    const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    expect(createPublicKey(key).asymmetricKeyType).toBe('x25519');
  });

  test('passwords are 24 characters with every character that needs escaping', () => {
    expect(v.mysql_app_password).toHaveLength(24);
    for (const c of '&<>"\'%#+=;?$\\ ') expect(v.mysql_app_password).toContain(c);
    expect(v.mysql_app_password).not.toMatch(/^ | $/);
  });

  test('application credentials, secret keys and ids', () => {
    expect(v.backup_os_application_credential_id).toMatch(/^[0-9a-f]{32}$/);
    expect(v.backup_os_application_credential_secret).toMatch(/^[0-9a-f]{64}$/);
    expect(v.magento_crypt_key).toMatch(/^[0-9a-f]{32}$/);
    expect(v.media_share_network_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('the same seed gives the same values (certificates aside), another seed others', () => {
    const again = generateTestVariables(DOC, { seed: 7 }).values as Record<string, string>;
    const other = generateTestVariables(DOC, { seed: 8 }).values as Record<string, string>;
    for (const name of ['mysql_app_password', 'ssh_public_key', 'deploy_ssh_private_key', 'wireguard_private_key', 'static_tls_private_key', 'entry_tls_container_ref']) {
      expect(again[name]).toBe(v[name]);
      expect(other[name]).not.toBe(v[name]);
    }
  });

  test('overrides replace defaults and generated values, converted to the declared type', () => {
    const g = generateTestVariables(DOC, { overrides: { frontends_servers_count: '4', mysql_app_password: 'given' } });
    expect(g.values.frontends_servers_count).toBe(4);
    expect(g.values.mysql_app_password).toBe('given');
    expect(g.kinds.mysql_app_password).toBe(TestVariableKind.OVERRIDE);
  });

  test('an overridden container reference still gets a certificate', () => {
    const g = generateTestVariables(DOC, { overrides: { entry_tls_container_ref: 'https://kms/v1/secrets/x' } });
    expect(g.tlsContainers['https://kms/v1/secrets/x']).toMatch(/BEGIN CERTIFICATE[\s\S]*BEGIN PRIVATE KEY/);
  });

  test('an override of an undeclared variable is an error', () => {
    expect(() => generateTestVariables(DOC, { overrides: { nope: 1 } })).toThrow(/'nope' is not a variable the stack declares/);
  });

  test('an override of the wrong type is an error', () => {
    expect(() => generateTestVariables(DOC, { overrides: { frontends_servers_count: 'many' } })).toThrow(/'frontends_servers_count' must be a number/);
  });

  test('a required variable it cannot classify is an error naming it and `variables`', () => {
    expect(() => generateTestVariables({ variable: { colour: { description: 'Favourite colour', type: 'string' } } })).toThrow(
      /variable 'colour' \("Favourite colour"\).*cannot generate.*pass one in `variables`/,
    );
  });
});

describe('classifyVariable', () => {
  test.each([
    ['ssh_public_key', 'OpenSSH public key', TestVariableKind.SSH_PUBLIC_KEY],
    ['deploy_ssh_private_key', 'SSH private key', TestVariableKind.SSH_PRIVATE_KEY],
    ['site_tls_certificate', 'PEM certificate', TestVariableKind.TLS_CERTIFICATE],
    ['site_tls_private_key', 'PEM private key', TestVariableKind.TLS_PRIVATE_KEY],
    ['api_tls_container_ref', 'Barbican container', TestVariableKind.TLS_CONTAINER_REF],
    ['api_tls_pem', 'PEM bundle (certificate chain and private key) of the API host names', TestVariableKind.TLS_PEM_BUNDLE],
    ['wg_key', 'WireGuard private key', TestVariableKind.WIREGUARD_PRIVATE_KEY],
    ['redis_password', 'Password of Redis', TestVariableKind.PASSWORD],
    ['thing_id', 'Id of a thing', TestVariableKind.UUID],
    ['scaling_github_repository', 'GitHub repository (owner/name) whose scaling workflow the scaling hook dispatches', TestVariableKind.GITHUB_REPOSITORY],
    ['scaling_dispatch_token', 'GitHub token the scaling hook dispatches the scaling workflow with', TestVariableKind.SECRET_KEY],
  ])('%s (%s) is %s', (name, description, kind) => {
    expect(classifyVariable(name, { description, type: 'string' })).toBe(kind);
  });

  test('a GitHub repository is generated as owner/name, the same for the same seed', () => {
    const doc = { variable: { scaling_github_repository: { description: 'GitHub repository (owner/name) of the workflow', type: 'string' } } };
    const a = generateTestVariables(doc).values.scaling_github_repository as string;
    expect(a).toMatch(/^hosting-stacks-lab\/stack-[0-9a-f]{8}$/);
    expect(generateTestVariables(doc).values.scaling_github_repository).toBe(a);
  });

  test('a required number cannot be generated', () => {
    expect(() => classifyVariable('replicas', { type: 'number' })).toThrow(/'replicas'.*type number/);
  });
});
