import { ExternalNetwork, HostingStack, HostingStacksError, PrivateVSwitch, Secret } from '../../lib';
import { checkProviderSchema, checkTerraformTemplates, loadOpenstackProviderSchema } from '../../lib/testing';
import { BalancerKind, CountryEntrances, EntryBalancer } from '../../lib/balancing/country-entrances';
import { OctaviaBalancer, OctaviaCertificate, OctaviaTlsOptions } from '../../lib/balancing/octavia-balancer';
import { TLS_INTERMEDIATE_RULE_ID } from '../../lib/policy/rules/tls-intermediate';
import { intermediateCipherString } from '../../lib/security/tls-policy';
import { resourcesOf, synthJson, testStack, fakeTier } from '../support/synth';

const CERT = 'https://key-manager.gra.cloud.ovh.net/v1/secrets/6d1b1f64-1c43-4d5f-8a1e-3f6b0c9e2a71';
const TLS: OctaviaTlsOptions = { certificate: OctaviaCertificate.fromContainerRef(CERT), redirectPrefix: 'https://www.example.com' };
/** What a JavaScript caller can pass where TypeScript expects another type. */
const untyped = <T>(value: unknown): T => value as T;


function fixture(tls: OctaviaTlsOptions | undefined = TLS) {
  const stack = testStack();
  const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  const access = new PrivateVSwitch(stack, 'Access', { cidr: '10.0.2.0/24', router: dmz.router });
  const web = fakeTier(stack, 'Web', access);
  const lb = new OctaviaBalancer(stack, 'Lb', { vswitch: dmz, tls });
  lb.addTarget(web, { port: 80 });
  return { stack, lb, web, dmz, access };
}

const ref = (type: string, path: string, attr: string) => new RegExp(`^\\$\\{${type}\\.${path}_[0-9A-F]+\\.${attr}\\}$`);

describe('OctaviaBalancer with TLS', () => {
  test('given tls, when synthesized, then a TERMINATED_HTTPS listener on 443 offers Mozilla intermediate with the Barbican certificate', () => {
    const { stack, lb } = fixture();
    const listeners = resourcesOf(synthJson(stack), 'openstack_lb_listener_v2');
    const https = listeners.find((l) => l.protocol === 'TERMINATED_HTTPS')!;
    expect(https).toEqual(expect.objectContaining({
      protocol_port: 443,
      default_tls_container_ref: CERT,
      tls_versions: ['TLSv1.2', 'TLSv1.3'],
      tls_ciphers: intermediateCipherString(),
      connection_limit: lb.connectionLimit,
      insert_headers: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' },
    }));
    expect(https.loadbalancer_id).toMatch(ref('openstack_lb_loadbalancer_v2', 'Lb', 'id'));
    expect(lb.tls!.port).toBe(443);
    expect([lb.tls!.certificate, lb.tls!.certificateContainerRef]).toEqual([TLS.certificate, CERT]);
  });

  test('given tls, when synthesized, then HTTP answers every path with a 301 to the HTTPS origin and the pool hangs off the HTTPS listener', () => {
    const { stack } = fixture();
    const json = synthJson(stack);
    const [policy] = resourcesOf(json, 'openstack_lb_l7policy_v2');
    expect(policy).toEqual(expect.objectContaining({ action: 'REDIRECT_PREFIX', redirect_prefix: 'https://www.example.com', redirect_http_code: 301, position: 1 }));
    expect(policy.listener_id).toMatch(ref('openstack_lb_listener_v2', 'Lb_Listener', 'id'));
    expect(resourcesOf(json, 'openstack_lb_l7rule_v2')).toEqual([expect.objectContaining({ type: 'PATH', compare_type: 'STARTS_WITH', value: '/' })]);
    expect(resourcesOf(json, 'openstack_lb_pool_v2')[0].listener_id).toMatch(ref('openstack_lb_listener_v2', 'Lb_TlsListener', 'id'));
  });

  test('given tls, then the members\' rules are those of plain HTTP (TLS ends at the balancer)', () => {
    const withTls = fixture();
    const without = fixture(undefined);
    const rules = (f: ReturnType<typeof fixture>) => f.web.connections.ingressRules.map((r) => `${r.port.label} ${r.source.kind === 'cidr' ? r.source.cidr : r.source.kind}`);
    expect(rules(withTls)).toEqual(rules(without));
    expect(rules(withTls)).toEqual(['tcp-80 10.0.2.128/25']);
  });

  test('given tls, then the Terraform conforms to the provider schema and passes HS-TLS-1', () => {
    const { stack } = fixture();
    const terraform = stack.toTerraform();
    expect(checkProviderSchema(terraform, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(terraform)).toEqual([]);
    expect(stack.policyPack.check(stack).findings.filter((f) => f.ruleId === TLS_INTERMEDIATE_RULE_ID)).toEqual([]);
  });

  test('given a Secret holding the reference, then the listener takes the sensitive variable', () => {
    const stack = testStack();
    const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
    new OctaviaBalancer(stack, 'Lb', { vswitch: dmz, tls: { ...TLS, certificate: OctaviaCertificate.fromSecret(Secret.variable(stack, 'tls_container_ref', 'Barbican reference')) } });
    const https = resourcesOf(synthJson(stack), 'openstack_lb_listener_v2').find((l) => l.protocol === 'TERMINATED_HTTPS')!;
    expect(https.default_tls_container_ref).toBe('${var.tls_container_ref}');
  });

  test.each([
    [{ ...TLS, certificate: OctaviaCertificate.fromContainerRef('my-cert') }, /test\/Lb: 'tls.certificate' \('my-cert'\) must be a Barbican secret or container reference/],
    [{ ...TLS, certificate: untyped<OctaviaCertificate>(CERT) }, /test\/Lb: 'tls.certificate' \('https:.*'\) must be an OctaviaCertificate \(OctaviaCertificate\.fromContainerRef\(ref\) or OctaviaCertificate\.fromSecret\(secret\)\)/],
    [untyped<OctaviaTlsOptions>({ ...TLS, certificateContainerRef: CERT }), /test\/Lb: 'tls\.certificateContainerRef' \('https:.*'\) is not an option here; the options are certificate, redirectPrefix, port/],
    [{ ...TLS, redirectPrefix: 'http://www.example.com' }, /test\/Lb: 'tls.redirectPrefix' \('http:\/\/www.example.com'\) must be an https origin without path or trailing slash/],
    [{ ...TLS, redirectPrefix: 'https://www.example.com/' }, /'tls.redirectPrefix' \('https:\/\/www.example.com\/'\) must be an https origin/],
    [{ ...TLS, port: 80 }, /test\/Lb: 'tls.port' \(80\) is the HTTP listener's port; HTTPS needs another \(443\)/],
    [{ ...TLS, port: 70000 }, /test\/Lb: 'tls.port' \(70000\) must be an integer from 1 to 65535/],
  ] as [OctaviaTlsOptions, RegExp][])('given bad tls %#, when created, then it throws', (tls, error) => {
    expect(() => fixture(tls)).toThrow(error);
  });
});

describe('OctaviaCertificate', () => {
  test('given a reference or a Secret, when made, then each gives the reference the listener takes', () => {
    const stack = testStack();
    const secret = Secret.variable(stack, 'tls_container_ref', 'Barbican reference');
    expect([OctaviaCertificate.fromContainerRef(CERT).containerRef, OctaviaCertificate.fromContainerRef(CERT).secret]).toEqual([CERT, undefined]);
    expect([OctaviaCertificate.fromSecret(secret).containerRef, OctaviaCertificate.fromSecret(secret).secret]).toEqual([secret.value, secret]);
    expect(OctaviaCertificate.isOctaviaCertificate(OctaviaCertificate.fromSecret(secret))).toBe(true);
    expect(OctaviaCertificate.isOctaviaCertificate({ containerRef: CERT })).toBe(false);
  });

  test.each([
    ['a reference that is no string', () => OctaviaCertificate.fromContainerRef(untyped(42)),
      /^OctaviaCertificate\.fromContainerRef: 'ref' \(42\) must be a Barbican reference string, e\.g\. .*; for a sensitive variable use OctaviaCertificate\.fromSecret\(secret\)$/],
    ['a look-alike Secret', () => OctaviaCertificate.fromSecret(untyped({ variableName: 'tls_ref', value: CERT })),
      /^OctaviaCertificate\.fromSecret: 'secret' \('<an object \{variableName, value\}>'\) must be a Secret made by Secret\.variable/],
    ['a reference string where a Secret is taken', () => OctaviaCertificate.fromSecret(untyped(CERT)),
      /^OctaviaCertificate\.fromSecret: 'secret' \('<a string of \d+ characters>'\) must be a Secret made by Secret\.variable/],
  ] as [string, () => unknown, RegExp][])('given %s, when made, then it throws', (_what, make, error) => {
    expect(make).toThrow(HostingStacksError);
    expect(make).toThrow(error);
  });

  test("given a Secret of another stack's variable, when a balancer takes it, then it throws", () => {
    const stack = testStack();
    const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
    const other = new HostingStack(stack.node.scope!, 'other');
    const certificate = OctaviaCertificate.fromSecret(Secret.variable(other, 'tls_container_ref', 'elsewhere'));
    expect(() => new OctaviaBalancer(stack, 'Lb', { vswitch: dmz, tls: { ...TLS, certificate } }))
      .toThrow(/test\/Lb: 'tls\.certificate' \('<Secret var\.tls_container_ref>'\) is in stack 'other'; it must be in the same stack 'test'/);
  });
});

describe('CountryEntrances with EntryBalancer.octavia({ tls })', () => {
  function entrances(entryBalancer: EntryBalancer) {
    const stack = testStack();
    const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
    const access = new PrivateVSwitch(stack, 'Access', { cidr: '10.0.2.0/24', router: dmz.router });
    const frontends = fakeTier(stack, 'Web', access);
    return { stack, build: () => new CountryEntrances(stack, 'Entrances', { vswitch: dmz, frontends, entryBalancer, countries: ['ES', 'FR'], concurrentUsersTotal: 2000 }) };
  }

  test('given Octavia entries with tls, then every country gets its HTTPS listener and redirect', () => {
    const { stack, build } = entrances(EntryBalancer.octavia({ tls: TLS }));
    const e = build();
    expect(e.kind).toBe(BalancerKind.OCTAVIA);
    expect(e.entrances.map((x) => (x.balancer as OctaviaBalancer).tls?.port)).toEqual([443, 443]);
    expect(resourcesOf(synthJson(stack), 'openstack_lb_l7policy_v2')).toHaveLength(2);
  });

  test('given Octavia tls to the haproxy pairs, when made, then the haproxy TLS options refuse its keys', () => {
    const { build } = entrances(EntryBalancer.haproxyPair({ adminCidr: '203.0.113.0/24', tls: untyped(TLS) }));
    expect(build).toThrow(/test\/Entrances\/ES: 'tls\.redirectPrefix' \('https:\/\/www\.example\.com'\) is not an option here; the options are certificate, port, hstsMaxAgeSeconds/);
  });
});
