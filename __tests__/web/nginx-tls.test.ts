import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { request } from 'node:https';
import { Testing } from 'cdktf';
import { ExternalNetwork, Flavor, HostingStack, NetworkZone, PrivateVSwitch, Secret } from '../../lib';
import { apacheTlsEndpoints, nginxTlsEndpoints, TLS_INTERMEDIATE_RULE_ID } from '../../lib/policy/rules/tls-intermediate';
import { PLAIN_TEXT_SECRETS_RULE_ID } from '../../lib/policy/rules/plain-text-secrets';
import { intermediateCipherString, MOZILLA_INTERMEDIATE_CIPHERS, MOZILLA_INTERMEDIATE_PROTOCOLS } from '../../lib/security/tls-policy';
import { FONT_FILE_PATTERN, HSTS_TWO_YEARS_SECONDS, NGINX_GZIP_TYPES, NGINX_TLS_SESSION, NginxStaticConfigModel, NginxTlsModel, renderNginxConfig, VERSIONED_ASSET_PATTERNS } from '../../lib/web/nginx-config';
import { STATIC_TLS_PATHS, StaticContentServer } from '../../lib/web/static-content-server';
import { checkHostFile } from '../support/config-checks';
import { checkNginx, checkNginxWithTestCertificate, requireBinary, run, scratch } from '../support/daemons';
import { TrafficSourceKind } from '../../lib/core/connections';

const TLS: NginxTlsModel = {
  listen: '443',
  certificateFile: '/etc/nginx/tls/static.crt',
  certificateKeyFile: '/etc/nginx/tls/static.key',
  protocols: MOZILLA_INTERMEDIATE_PROTOCOLS,
  ciphers: intermediateCipherString(),
  sessionTimeout: NGINX_TLS_SESSION.timeout,
  sessionCache: NGINX_TLS_SESSION.cache,
  sessionTickets: NGINX_TLS_SESSION.tickets,
  hstsMaxAgeSeconds: HSTS_TWO_YEARS_SECONDS,
};

function model(overrides: Partial<NginxStaticConfigModel> = {}): NginxStaticConfigModel {
  return {
    hostname: 'content-1', user: 'www-data', pidFile: '@SCRATCH@/nginx.pid', errorLog: '@SCRATCH@/error.log', accessLog: '@SCRATCH@/access.log', tempDir: '@SCRATCH@/tmp',
    mimeTypesFile: '/etc/nginx/mime.types', workerConnections: 1024, workerRlimitNofile: 2048, listen: '80', serverNames: ['static.example.com'], root: '@SCRATCH@/www',
    servedPrefixes: ['/media/'], deniedPrefixes: ['/media/customer/'], healthCheckPath: '/healthz', versionedPatterns: VERSIONED_ASSET_PATTERNS,
    versionedCacheControl: 'public, max-age=31536000, immutable', defaultCacheControl: 'public, max-age=3600', corsPattern: FONT_FILE_PATTERN, gzipTypes: NGINX_GZIP_TYPES,
    gzipCompLevel: 5, gzipMinLength: 256, openFileCache: { max: 1000, inactiveSeconds: 60, validSeconds: 30, minUses: 2 }, keepaliveTimeoutSeconds: 65, keepaliveRequests: 1000,
    tls: TLS,
    ...overrides,
  };
}

const lines = (text: string) => text.split('\n').map((l) => l.trim());

describe('renderNginxConfig with TLS', () => {
  const text = renderNginxConfig(model());

  test('given a TLS model, then both servers listen with TLS and the Mozilla intermediate settings are set', () => {
    for (const line of [
      'ssl_certificate /etc/nginx/tls/static.crt;', 'ssl_certificate_key /etc/nginx/tls/static.key;', 'ssl_protocols TLSv1.2 TLSv1.3;',
      `ssl_ciphers ${intermediateCipherString()};`, 'ssl_prefer_server_ciphers off;', 'ssl_session_timeout 1d;', 'ssl_session_cache shared:MozSSL:10m;',
      'ssl_session_tickets off;', 'listen 443 ssl http2 default_server;', 'listen 443 ssl http2;', 'on "max-age=63072000";', 'add_header Strict-Transport-Security $static_hsts always;',
    ]) expect(lines(text)).toContain(line);
    expect(nginxTlsEndpoints(text).map((e) => [e.protocols, e.ciphers])).toEqual([
      [['TLSv1.2', 'TLSv1.3'], [...MOZILLA_INTERMEDIATE_CIPHERS]],
      [['TLSv1.2', 'TLSv1.3'], [...MOZILLA_INTERMEDIATE_CIPHERS]],
    ]);
    expect(apacheTlsEndpoints(text)).toEqual([]);
  });

  test('given no TLS model, then nothing of TLS is rendered', () => {
    expect(renderNginxConfig(model({ tls: undefined }))).not.toMatch(/ssl|443|Strict-Transport/);
  });

  test('given HSTS 0, then no HSTS value is set', () => {
    expect(renderNginxConfig(model({ tls: { ...TLS, hstsMaxAgeSeconds: 0 } }))).not.toMatch(/max-age=63072000/);
  });

  test('when checked by nginx -t with a self-signed certificate, then it is accepted', () => {
    const r = checkNginxWithTestCertificate(text, { 'tmp/.keep': '' });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('when checked by nginx -t without the certificate files, then it is refused (the check is real)', () => {
    expect(checkNginx(text, { 'tmp/.keep': '' }).ok).toBe(false);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function httpsGet(port: number, path: string, tls: { minVersion?: 'TLSv1.2' | 'TLSv1.1' | 'TLSv1'; maxVersion?: 'TLSv1.3' | 'TLSv1.2' | 'TLSv1.1' | 'TLSv1'; ciphers?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; protocol: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 3000, rejectUnauthorized: false, servername: 'static.example.com', headers: { Host: 'static.example.com' }, ...tls }, (res) => {
      const protocol = (res.socket as unknown as { getProtocol(): string }).getProtocol();
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, protocol }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('the TLS server of the rendered config, on a real nginx on 127.0.0.1', () => {
  const s = scratch('nginx-tls-run');
  let nginx: ChildProcess | undefined;
  let port = 0;

  beforeAll(async () => {
    requireBinary('nginx');
    requireBinary('openssl');
    port = await freePort();
    const made = run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=static.example.com', '-keyout', join(s.dir, 'key.pem'), '-out', join(s.dir, 'cert.pem')]);
    expect(made.ok).toBe(true);
    s.write('tmp/.keep', '');
    s.write('www/media/.keep', '');
    const text = renderNginxConfig(model({ listen: `127.0.0.1:${await freePort()}`, tls: { ...TLS, listen: `127.0.0.1:${port}`, certificateFile: '@SCRATCH@/cert.pem', certificateKeyFile: '@SCRATCH@/key.pem' } }));
    const conf = s.write('nginx.conf', text.split('@SCRATCH@').join(s.dir));
    nginx = spawn('nginx', ['-c', conf, '-p', `${s.dir}/`, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    nginx.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await httpsGet(port, '/healthz');
        break;
      } catch (e) {
        if (Date.now() > deadline || nginx.exitCode !== null) throw new Error(`nginx did not answer TLS on 127.0.0.1:${port}: ${String(e)} ${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }, 15000);

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx!.once('exit', r));
      nginx.kill('SIGTERM');
      await exited;
    }
    s.cleanup();
  });

  test('given a modern client, then TLS 1.3 answers 200 with HSTS', async () => {
    const r = await httpsGet(port, '/healthz');
    expect([r.status, r.protocol, r.headers['strict-transport-security']]).toEqual([200, 'TLSv1.3', 'max-age=63072000']);
  });

  test('given a TLS 1.2 client, then it is served', async () => {
    expect((await httpsGet(port, '/healthz', { maxVersion: 'TLSv1.2' })).protocol).toBe('TLSv1.2');
  });

  test('given a client limited to TLS 1.1, then nginx refuses the protocol version', async () => {
    // SECLEVEL=0 lets this client offer TLS 1.1, so the refusal is the server's (a protocol_version alert).
    await expect(httpsGet(port, '/healthz', { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow(/alert protocol version|tlsv1 alert protocol version/i);
  });
});

describe('StaticContentServer with tls', () => {
  function setup(tls = true) {
    const stack = new HostingStack(Testing.app(), 'test');
    const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.3.0/24', zone: NetworkZone.DMZ, externalNetwork: ExternalNetwork.ovh() });
    const certificate = Secret.variable(stack, 'static_tls_certificate', 'PEM chain');
    const privateKey = Secret.variable(stack, 'static_tls_private_key', 'PEM key');
    const content = new StaticContentServer(stack, 'Content', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: ['static.example.com'], cdnCidrs: ['198.51.100.0/24'], ...(tls ? { tls: { certificate, privateKey } } : {}) });
    return { stack, content, certificate, privateKey };
  }

  test('given tls, then 443 is opened like 80, to the CDN only, and the certificate and key are written root-only from their variables', () => {
    const { stack, content } = setup();
    expect(content.connections.ingressRules.map((r) => `${r.port.label} ${r.source.kind === TrafficSourceKind.CIDR ? r.source.cidr : r.source.kind}`)).toEqual(['tcp-80 198.51.100.0/24', 'tcp-443 198.51.100.0/24']);
    const host = content.cluster.instances[0].cloudConfig;
    const staged = host.hostFiles.filter((f) => f.path.startsWith('/etc/nginx/tls/'));
    expect(staged.map((f) => [f.path, f.permissions])).toEqual([[`${STATIC_TLS_PATHS.certificate}.b64`, '0600'], [`${STATIC_TLS_PATHS.privateKey}.b64`, '0600']]);
    const files = stack.renderHostFiles();
    expect(files.find((f) => f.path === `${STATIC_TLS_PATHS.privateKey}.b64`)!.content).toBe('${base64encode(var.static_tls_private_key)}\n');
    const runcmd = host.render();
    expect(runcmd).toContain(`umask 077 && base64 -d ${STATIC_TLS_PATHS.privateKey}.b64 > ${STATIC_TLS_PATHS.privateKey} && chmod 0600 ${STATIC_TLS_PATHS.privateKey} && chown root:root ${STATIC_TLS_PATHS.privateKey} && rm -f ${STATIC_TLS_PATHS.privateKey}.b64`);
  });

  test('given tls, then the rendered nginx.conf passes nginx -t, HS-TLS-1 and HS-SECRET-1', () => {
    const { stack } = setup();
    const conf = stack.renderHostFiles().find((f) => f.path === '/etc/nginx/nginx.conf')!;
    expect(conf.content).toContain(`ssl_certificate_key ${STATIC_TLS_PATHS.privateKey};`);
    const r = checkHostFile(conf)!;
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
    const findings = stack.policyPack.check(stack).findings.filter((f) => [TLS_INTERMEDIATE_RULE_ID, PLAIN_TEXT_SECRETS_RULE_ID].includes(f.ruleId));
    expect(findings).toEqual([]);
  });

  test('given tls with a non-Secret key or port 80, then it throws', () => {
    const { stack, certificate } = setup(false);
    const dmz = stack.node.findChild('Dmz') as PrivateVSwitch;
    const build = (id: string, tls: object) => () => new StaticContentServer(stack, id, { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: ['s.example.com'], cdnCidrs: ['198.51.100.0/24'], tls: tls as never });
    expect(build('A', { certificate, privateKey: '-----BEGIN PRIVATE KEY-----' })).toThrow(/test\/A: 'tls.privateKey' \('<a string of 27 characters>'\) must be a Secret/);
    expect(build('B', { certificate, privateKey: certificate, port: 80 })).toThrow(/test\/B: 'tls.port' \(80\) is the HTTP port; HTTPS needs another \(443\)/);
    expect(build('C', { certificate, privateKey: certificate, hstsMaxAgeSeconds: -1 })).toThrow(/test\/C: 'tls.hstsMaxAgeSeconds' \(-1\) must be an integer of at least 0/);
  });

  test('given no tls, then nginxTlsModel throws', () => {
    const { content } = setup(false);
    expect(() => content.nginxTlsModel('443')).toThrow(/test\/Content: 'tls' \(undefined\) is not set; this server has no TLS/);
  });
});
