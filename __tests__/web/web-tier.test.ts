import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { AppTier } from '../../lib/app/app-tier';
import { Flavor, sizingFromGhz } from '../../lib/compute/flavor';
import { Connections } from '../../lib/core/connections';
import { IHttpBackend } from '../../lib/core/endpoints';
import { HealthCheck } from '../../lib/balancing/health-check';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { Secret } from '../../lib/core/secret';
import { PLAIN_TEXT_SECRETS_RULE_ID } from '../../lib/policy/rules/plain-text-secrets';
import { apacheTlsEndpoints, TLS_INTERMEDIATE_RULE_ID } from '../../lib/policy/rules/tls-intermediate';
import { MOZILLA_INTERMEDIATE_CIPHERS } from '../../lib/security/tls-policy';
import { WEB_TLS_PATHS, WebTier } from '../../lib/web/web-tier';
import { checkHostFile } from '../support/config-checks';
import { checkTerraformTemplates, evaluateTerraformTemplate } from '../../lib/validation/terraform-template-check';
import { checkApache } from '../support/daemons';

// 2 web servers (Apache) 2 GHz, 2 GB RAM, 40 GB disk; 2 app servers (Tomcat) 4 GHz, 8 GB, 30 GB (case study 2)
const WEB_SIZING = sizingFromGhz(2, 2, 40);
const APP_SIZING = sizingFromGhz(4, 8, 30);

class FakeBackend extends Construct implements IHttpBackend {
  public readonly connections: Connections;
  public readonly backendPort = 9000;
  public readonly healthCheckPath = '/status';
  constructor(scope: Construct, id: string, public readonly backendAddresses: string[]) {
    super(scope, id);
    this.connections = new Connections(this, 'Connections');
  }
}

function setup() {
  const stack = new HostingStack(Testing.app(), 'test');
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  const app = new AppTier(stack, 'App', { vswitch, count: 2, flavor: Flavor.fromSizing(APP_SIZING) });
  return { stack, vswitch, app };
}

function apacheConf(web: WebTier, index = 0): string {
  const f = web.cluster.instances[index].cloudConfig.hostFiles.find((x) => x.path === '/etc/apache2/apache2.conf');
  return f!.content;
}

describe('WebTier', () => {
  test('given only the required props, then port 80, /healthz, sticky sessions and MPM limits from the flavor RAM', () => {
    const { stack, vswitch, app } = setup();
    const web = new WebTier(stack, 'Web', { vswitch, count: 2, flavor: Flavor.fromSizing(WEB_SIZING), upstream: app });
    expect(web.listenPort).toBe(80);
    expect(web.healthCheckPath).toBe('/healthz');
    expect(web.healthCheck.path).toBe('/healthz');
    expect(web.stickySessions).toBe(true);
    expect(web.cluster.instances.map((i) => i.hostname)).toEqual(['web-1', 'web-2']);
    const ramMb = web.cluster.flavor.ramGb * 1024;
    expect(web.mpm.maxRequestWorkers).toBe(Math.floor((ramMb - 512) / 2 / 25) * 25);
    expect(apacheConf(web)).toContain(`MaxRequestWorkers ${web.mpm.maxRequestWorkers}`);
  });

  test('when built, then the app tier security group admits the web tier on 8080', () => {
    const { stack, vswitch, app } = setup();
    const web = new WebTier(stack, 'Web', { vswitch, count: 2, flavor: Flavor.fromSizing(WEB_SIZING), upstream: app });
    const synth = JSON.parse(Testing.synth(stack));
    const sg = (c: Connections) => `\${openstack_networking_secgroup_v2.${stack.getLogicalId(c.securityGroup)}.id}`;
    const rules = Object.values(synth.resource.openstack_networking_secgroup_rule_v2) as Record<string, unknown>[];
    const rule = rules.find((r) => r.port_range_min === 8080);
    expect(rule).toMatchObject({
      direction: 'ingress',
      protocol: 'tcp',
      port_range_max: 8080,
      remote_group_id: sg(web.connections),
      security_group_id: sg(app.connections),
    });
    expect(app.connections.ingressRules.map((r) => r.port.label)).toEqual(['tcp-8080']);
  });

  test('when built, then each server proxies to every upstream address with the upstream health path', () => {
    const { stack, vswitch, app } = setup();
    const web = new WebTier(stack, 'Web', { vswitch, count: 2, flavor: Flavor.fromSizing(WEB_SIZING), upstream: app });
    for (const i of [0, 1]) {
      const text = apacheConf(web, i);
      expect(text).toContain(`ServerName web-${i + 1}`);
      app.backendAddresses.forEach((a, n) => expect(text).toContain(`BalancerMember "http://${a}:8080" route=m${n + 1} `));
      expect(text).toContain('hcuri=/healthz');
    }
    const files = web.cluster.instances[0].cloudConfig;
    expect(files.packages).toEqual(['apache2', 'nftables']);
    expect(files.services).toEqual(['hosting-stacks-metadata-guard.service', 'apache2']);
    expect(files.hostFiles.map((f) => f.path)).toEqual([
      '/etc/apache2/apache2.conf', '/etc/hosting-stacks/metadata-guard.nft', '/etc/systemd/system/hosting-stacks-metadata-guard.service', '/var/www/health/healthz',
    ]);
  });

  test('given props, then they reach the config', () => {
    const stack = new HostingStack(Testing.app(), 'test');
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    const backend = new FakeBackend(stack, 'Backend', ['10.0.1.50']);
    const web = new WebTier(stack, 'Web', {
      vswitch, count: 1, flavor: Flavor.named('b3-8'), upstream: backend, listenPort: 8081, serverName: 'www.tyredating.fr',
      healthCheckPath: '/lb-check', maxRequestWorkers: 400, stickySessions: false, backendTimeoutSeconds: 30,
      backendConnectTimeoutSeconds: 3, backendRetrySeconds: 5, backendHealthCheck: HealthCheck.http({ path: '/deep', intervalSeconds: 5, unhealthyThreshold: 3 }),
    });
    const text = apacheConf(web);
    expect(text).toMatch(/^Listen \*:8081$/m);
    expect(text).toMatch(/^ServerName www\.tyredating\.fr$/m);
    expect(text).toContain('BalancerMember "http://10.0.1.50:9000" route=m1 retry=5 connectiontimeout=3 timeout=30 hcmethod=GET hcuri=/deep hcexpr=hs_ok2xx hcinterval=5 hcfails=3 hcpasses=2');
    expect(text).toContain('Alias "/lb-check" "/var/www/health/lb-check"');
    expect(text).toMatch(/^\s*MaxRequestWorkers 400$/m);
    expect(text).not.toContain('ROUTEID');
    expect(backend.connections.ingressRules[0].port.label).toBe('tcp-9000');
  });

  test('when the construct config is checked by apache2 -t, then the production config is accepted', () => {
    const { stack, vswitch, app } = setup();
    const web = new WebTier(stack, 'Web', { vswitch, count: 2, flavor: Flavor.fromSizing(WEB_SIZING), upstream: app });
    // Production paths, except where apache2 -t would need the Debian folders: pid and runtime dir in the scratch folder.
    const text = apacheConf(web).replace('PidFile "/var/run/apache2/apache2.pid"', 'PidFile "@SCRATCH@/apache2.pid"')
      .replace('DefaultRuntimeDir "/var/run/apache2"', 'DefaultRuntimeDir "@SCRATCH@"')
      .replace(/\/var\/log\/apache2/g, '@SCRATCH@');
    const r = checkApache(text);
    expect(r.output).toContain('Syntax OK');
    expect(r.ok).toBe(true);
  });

  test('when synthesized, then every Terraform string is a valid template and Apache\'s %{...} sequences come out of it unchanged', () => {
    const { stack, vswitch, app } = setup();
    new WebTier(stack, 'Web', { vswitch, count: 1, flavor: Flavor.fromSizing(WEB_SIZING), upstream: app });
    const synth = JSON.parse(Testing.synth(stack));
    const instances = synth.resource.openstack_compute_instance_v2 as Record<string, { user_data: string; name: string }>;
    const web = Object.values(instances).find((i) => i.name === 'web-1')!;
    expect(web.user_data).toContain('%%{REQUEST_SCHEME}');
    expect(checkTerraformTemplates(synth)).toEqual([]);
    expect(evaluateTerraformTemplate(web.user_data, {})).toContain('RequestHeader set X-Forwarded-Proto "expr=%{REQUEST_SCHEME}"');
  });

  describe('with tls', () => {
    function withTls(overrides: Record<string, unknown> = {}) {
      const { stack, vswitch, app } = setup();
      const certificate = Secret.variable(stack, 'web_tls_certificate', 'PEM chain');
      const privateKey = Secret.variable(stack, 'web_tls_private_key', 'PEM key');
      const web = new WebTier(stack, 'Web', { vswitch, count: 2, flavor: Flavor.fromSizing(WEB_SIZING), upstream: app, tls: { certificate, privateKey, ...overrides } });
      return { stack, web, certificate };
    }

    test('given tls, then 443 with HSTS two years, and the certificate and key are written root-only from their variables', () => {
      // Given / When
      const { stack, web } = withTls();
      // Then
      expect(web.tls).toMatchObject({ port: 443, hstsMaxAgeSeconds: 63072000 });
      const cc = web.cluster.instances[0].cloudConfig;
      const staged = cc.hostFiles.filter((f) => f.path.startsWith('/etc/apache2/tls/'));
      expect(staged.map((f) => [f.path, f.permissions])).toEqual([[`${WEB_TLS_PATHS.certificate}.b64`, '0600'], [`${WEB_TLS_PATHS.privateKey}.b64`, '0600']]);
      expect(stack.renderHostFiles().find((f) => f.host === 'web-1' && f.path === `${WEB_TLS_PATHS.privateKey}.b64`)!.content).toBe('${base64encode(var.web_tls_private_key)}\n');
      expect(cc.render()).toContain(`chmod 0600 ${WEB_TLS_PATHS.privateKey} && chown root:root ${WEB_TLS_PATHS.privateKey}`);
    });

    test('given tls, then apache2.conf serves HTTPS with Mozilla intermediate on the written files and redirects HTTP', () => {
      const { web } = withTls();
      const text = apacheConf(web);
      expect(text).toContain(`SSLCertificateFile "${WEB_TLS_PATHS.certificate}"`);
      expect(text).toContain(`SSLCertificateKeyFile "${WEB_TLS_PATHS.privateKey}"`);
      expect(text).toContain('RewriteRule "^" "https://%{SERVER_NAME}%{REQUEST_URI}" [R=301,L]');
      const [endpoint] = apacheTlsEndpoints(text);
      expect(endpoint.protocols.sort()).toEqual(['TLSv1.2', 'TLSv1.3']);
      expect(endpoint.ciphers).toEqual([...MOZILLA_INTERMEDIATE_CIPHERS]);
    });

    test('given tls, then the production config passes apache2 -t with a test certificate, HS-TLS-1 and HS-SECRET-1', () => {
      const { stack } = withTls();
      const conf = stack.renderHostFiles().find((f) => f.host === 'web-1' && f.path === '/etc/apache2/apache2.conf')!;
      const r = checkHostFile(conf)!;
      expect(r.output).toContain('Syntax OK');
      expect(r.ok).toBe(true);
      const findings = stack.policyPack.check(stack).findings.filter((f) => [TLS_INTERMEDIATE_RULE_ID, PLAIN_TEXT_SECRETS_RULE_ID].includes(f.ruleId));
      expect(findings).toEqual([]);
    });

    test('given a TLS port other than 443, then the redirect names it', () => {
      const { web } = withTls({ port: 8443 });
      expect(apacheConf(web)).toContain('RewriteRule "^" "https://%{SERVER_NAME}:8443%{REQUEST_URI}" [R=301,L]');
    });

    test.each([
      ['a key in plain text', { privateKey: '-----BEGIN PRIVATE KEY-----' }, /test\/Web: 'tls\.privateKey' \('<a string of 27 characters>'\) must be a Secret/],
      ['the HTTP port', { port: 80 }, /test\/Web: 'tls\.port' \(80\) is the HTTP port \('listenPort'\); HTTPS needs another \(443\)/],
      ['a negative HSTS max-age', { hstsMaxAgeSeconds: -1 }, /test\/Web: 'tls\.hstsMaxAgeSeconds' \(-1\) must be an integer of at least 0/],
    ])('given %s, then it throws', (_name, overrides, message) => {
      expect(() => withTls(overrides)).toThrow(message);
    });
  });

  describe('errors', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['count 0', { count: 0 }, /Web: 'count' \(0\) must be an integer from 1 to 1000/],
      ['listenPort 0', { listenPort: 0 }, /Web: 'listenPort' \(0\) must be an integer from 1 to 65535/],
      ['listenPort 70000', { listenPort: 70000 }, /Web: 'listenPort' \(70000\) must be an integer from 1 to 65535/],
      ['relative health path', { healthCheckPath: 'healthz' }, /Web: 'healthCheckPath' \('healthz'\) must be an absolute path/],
      ['health path on mod_status', { healthCheckPath: '/server-status' }, /'healthCheckPath' \('\/server-status'\) .* other than '\/server-status'/],
      ['bad server name', { serverName: 'www example' }, /Web: 'serverName' \('www example'\) must be a DNS name/],
      ['too few workers', { maxRequestWorkers: 10 }, /Web: 'maxRequestWorkers' \(10\) must be an integer from 25/],
      ['connect timeout 0', { backendConnectTimeoutSeconds: 0 }, /Web: 'backendConnectTimeoutSeconds' \(0\)/],
      ['TCP backend check', { backendHealthCheck: HealthCheck.tcp() }, /Web: 'backendHealthCheck' \('tcp'\) must be an HTTP check/],
      ['flavor too small', { flavor: Flavor.custom({ name: 'tiny', vcpus: 1, ramGb: 0.5, diskGb: 10 }) }, /Web: 'flavor' \('tiny'\) has 0.5 GB of RAM/],
    ];
    test.each(cases)('given %s, then it throws', (_name, overrides, message) => {
      const stack = new HostingStack(Testing.app(), 'test');
      const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
      const backend = new FakeBackend(stack, 'Backend', ['10.0.1.50']);
      expect(() => new WebTier(stack, 'Web', { vswitch, count: 1, flavor: Flavor.named('b3-8'), upstream: backend, ...overrides })).toThrow(message);
    });

    test('given an upstream without addresses, then it throws', () => {
      const stack = new HostingStack(Testing.app(), 'test');
      const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
      const backend = new FakeBackend(stack, 'Backend', []);
      expect(() => new WebTier(stack, 'Web', { vswitch, count: 1, flavor: Flavor.named('b3-8'), upstream: backend }))
        .toThrow(/Web: 'upstream' \('test\/Backend'\) has no backend addresses/);
    });
  });
});
