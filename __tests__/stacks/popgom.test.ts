/**
 * POPGOM's public edge (case study 2): HTTPS on the LVS entry, terminated on the Apache web servers
 * (LVS is layer 4), HTTP redirected; read from the stack's constructs, Terraform JSON and configs.
 */
import { Testing } from 'cdktf';
import { HealthCheckKind } from '../../lib';
import { checkProviderSchema, loadOpenstackProviderSchema } from '../../lib/testing';
import { WEB_TLS_PATHS } from '../../lib/web/web-tier';
import { PopgomStack, PopgomStackProps } from '../../stacks/popgom';
import { checkHostFile } from '../support/config-checks';

type Json = Record<string, any>;

function build(props: PopgomStackProps = {}) {
  const stack = new PopgomStack(Testing.app(), 'popgom', props);
  return { stack, json: stack.toTerraform() as Json };
}

function hostFile(stack: PopgomStack, host: string, path: string) {
  const file = stack.renderHostFiles().find((f) => f.host === host && f.path === path);
  if (!file) throw new Error(`no ${path} on ${host}`);
  return file;
}

describe('POPGOM HTTPS', () => {
  const { stack, json } = build();

  test('given the defaults, then the LVS entry has virtual services on 80 (HTTP check) and 443 (TCP check), both to the web tier', () => {
    const services = stack.balancer.services.map((s) => [s.port, s.tier.cluster.node.path, s.healthCheck.kind]);
    expect(services).toEqual([[80, 'popgom/Web/Servers', HealthCheckKind.HTTP], [443, 'popgom/Web/Servers', HealthCheckKind.TCP]]);
    const keepalived = hostFile(stack, 'balancer-1', '/etc/keepalived/keepalived.conf').content;
    expect(keepalived).toContain(`virtual_server ${stack.balancer.vipAddress} 443 {`);
    expect(keepalived).toMatch(new RegExp(`real_server ${stack.web.cluster.addresses[0].replace(/\./g, '\\.')} 443 \\{\\s+weight 1\\s+TCP_CHECK \\{`));
  });

  test('given the defaults, then the web servers terminate TLS with the certificate from sensitive variables', () => {
    expect(stack.web.tls).toMatchObject({ port: 443 });
    expect(json.variable.web_tls_certificate).toMatchObject({ type: 'string', sensitive: true });
    expect(json.variable.web_tls_private_key).toMatchObject({ type: 'string', sensitive: true });
    const conf = hostFile(stack, 'web-1', '/etc/apache2/apache2.conf');
    expect(conf.content).toContain(`SSLCertificateKeyFile "${WEB_TLS_PATHS.privateKey}"`);
    expect(conf.content).toContain('RewriteRule "^" "https://%{SERVER_NAME}%{REQUEST_URI}" [R=301,L]');
    const r = checkHostFile(conf)!;
    expect(r.output).toContain('Syntax OK');
    expect(r.ok).toBe(true);
  });

  test('given the defaults, then 443 is open on the directors (to the VIP) and on the web servers (clients\' own addresses, DR)', () => {
    const rules = Object.values(json.resource.openstack_networking_secgroup_rule_v2 as Json) as Json[];
    const sg = (c: { securityGroup: unknown }) => `\${openstack_networking_secgroup_v2.${stack.getLogicalId(c.securityGroup as never)}.id}`;
    for (const owner of [stack.balancer.connections, stack.web.connections]) {
      expect(rules.filter((r) => r.security_group_id === sg(owner) && r.port_range_min === 443).map((r) => [r.protocol, r.port_range_max, r.remote_ip_prefix]))
        .toEqual([['tcp', 443, '0.0.0.0/0']]);
    }
  });

  test('given https false, then only HTTP is served: no 443 service, no TLS variables', () => {
    const plain = build({ https: false });
    expect(plain.stack.balancer.services.map((s) => s.port)).toEqual([80]);
    expect(plain.stack.web.tls).toBeUndefined();
    expect(Object.keys(plain.json.variable ?? {}).filter((v) => v.startsWith('web_tls'))).toEqual([]);
  });

  test('conforms to the provider schema', () => {
    expect(checkProviderSchema(json, schema())).toEqual([]);
  });
});

function schema() {
  return loadOpenstackProviderSchema();
}

describe('POPGOM: WildFly from your own mirror', () => {
  test('given a mirror URL and its sha256, then the order-tracking server downloads it there and checks that sum', () => {
    const url = 'https://objects.example.net/releases/wildfly-27.0.1.Final.tar.gz';
    const sha = 'ab'.repeat(32);
    const { stack } = build({ wildflyTarballUrl: url, wildflySha256: sha });
    expect(stack.orderTracking.wildflyTarballUrl).toBe(url);
    expect(stack.orderTracking.wildflySha256).toBe(sha);
    const files = stack.renderHostFiles().filter((f) => f.host === 'order-tracking-1').map((f) => f.content).join('\n');
    expect(files).toContain(url);
    expect(files).toContain(sha);
    expect(files).not.toContain('download.jboss.org');
  });

  test('given a mirror URL without its sha256, then it throws naming the order-tracking construct and the prop', () => {
    expect(() => build({ wildflyTarballUrl: 'https://objects.example.net/wildfly.tar.gz' }))
      .toThrow(/popgom\/OrderTracking: 'wildflySha256' \(undefined\) is required when 'wildflyVersion' or 'wildflyTarballUrl' is given/);
  });
});
