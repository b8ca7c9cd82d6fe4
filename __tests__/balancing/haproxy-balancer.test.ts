import { ConfigSyntax, ExternalNetwork, Flavor, HealthCheck, HostingStack, PrivateVSwitch, Router, Secret } from '../../lib';
import {
  HAPROXY_CERTIFICATE_PATH, HAPROXY_TLS_BIND_OPTIONS, HAPROXY_TRACK_SCRIPT, HaproxyBalancer, HaproxyBalancerProps, HaproxyTlsOptions, HSTS_MAX_AGE_SECONDS, HTTPS_PORT,
} from '../../lib/balancing/haproxy-balancer';
import { LoadShedding, MAGENTO1_ORDERING_PATHS, MAGENTO1_SESSION_COOKIE, MiniSite } from '../../lib/balancing/load-shedding';
import { intermediateCiphersuiteString, intermediateCipherString, tlsIntermediateProblems } from '../../lib/security/tls-policy';
import { StaticContentServer } from '../../lib/web/static-content-server';
import { checkHaproxy, checkHaproxyWithTestCertificate, checkKeepalivedAsOnServer, checkNftables } from '../support/daemons';
import { checkSysctl } from '../support/config-checks';
import { resourcesOf, synthJson, testStack, hostFile as file, fakeTier, tierOf } from '../support/synth';
import { TrafficSource, TrafficSourceKind } from '../../lib/core/connections';
import { Port } from '../../lib/core/port';
import { renderHaproxyConfig } from '../../lib/balancing/haproxy-config';
import { MysqlReplication } from '../../lib/database/mysql-replication';

const ADMIN = '203.0.113.0/24';

/** A DMZ vSwitch with the gateway router, an access vSwitch on the same router, front-ends on it. */
function fixture(props: Partial<HaproxyBalancerProps> = {}, frontendCount = 3) {
  const stack = testStack();
  const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  const access = new PrivateVSwitch(stack, 'Access', { cidr: '10.0.2.0/24', router: dmz.router });
  const web = fakeTier(stack, 'Web', access, frontendCount);
  const lb = new HaproxyBalancer(stack, 'Lb', { vswitch: dmz, adminCidr: ADMIN, ...props });
  return { stack, dmz, access, web, lb };
}



function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim());
}

describe('HaproxyBalancer: props and defaults', () => {
  test('given only vswitch and adminCidr, when created, then it is sized for the generic 1,000 users on port 80', () => {
    const { lb } = fixture();
    expect(lb.expectedConcurrentUsers).toBe(1000);
    // 1,000 users x 2 connections x 1.5 headroom
    expect(lb.connectionLimit).toBe(3000);
    expect(lb.listenerPort).toBe(80);
    expect(lb.nodes.instances.map((i) => i.hostname)).toEqual(['lb-1', 'lb-2']);
    expect(lb.nodes.flavor.name).toBe('c3-4');
    expect(lb.target).toBeUndefined();
  });

  test('given expectedConcurrentUsers 1000 and port 8080, when created, then maxconn and the bind follow', () => {
    const { stack, lb, web } = fixture({ expectedConcurrentUsers: 1000, listenerPort: 8080 });
    lb.addTarget(web, { port: 80 });
    expect(lb.connectionLimit).toBe(3000);
    const config = lines(file(stack, 'lb-1', '/etc/haproxy/haproxy.cfg'));
    expect(config).toEqual(expect.arrayContaining([`bind ${lb.vipAddress}:8080`, 'maxconn 3000', 'maxconn 3100']));
  });
});

describe('HaproxyBalancer: errors', () => {
  test.each([0, 1.5, -3])('given expectedConcurrentUsers %p, when created, then it throws', (users) => {
    expect(() => fixture({ expectedConcurrentUsers: users })).toThrow(/test\/Lb: 'expectedConcurrentUsers' \(.*\) must be an integer from 1 to 1000000/);
  });

  test.each([0, 70000])('given listenerPort %p, when created, then it throws', (port) => {
    expect(() => fixture({ listenerPort: port })).toThrow(/'listenerPort' \(.*\) must be an integer from 1 to 65535/);
  });

  test('given listenerPort 22, when created, then it throws', () => {
    expect(() => fixture({ listenerPort: 22 })).toThrow(/'listenerPort' \(22\) is the SSH port of the nodes/);
  });

  test('given a second target, when added, then it throws', () => {
    const { stack, lb, web, access } = fixture();
    lb.addTarget(web, { port: 80 });
    expect(() => lb.addTarget(fakeTier(stack, 'Other', access), { port: 80 })).toThrow(/test\/Lb: 'tier' \('test\/Other'\) cannot be added: test\/Lb already balances test\/Web/);
  });

  test('given a tier on a vSwitch with another router, when added, then it throws', () => {
    const { stack, lb } = fixture();
    const far = new PrivateVSwitch(stack, 'Far', { cidr: '10.0.9.0/24', router: new Router(stack, 'OtherRouter', {}) });
    expect(() => lb.addTarget(fakeTier(stack, 'FarWeb', far), { port: 80 })).toThrow(/'tier' \('test\/FarWeb'\) is on test\/Far, whose router is not the router of test\/Dmz/);
  });

  test('given the balancer as its own target, when added, then it throws', () => {
    const { lb } = fixture();
    expect(() => lb.addTarget(tierOf(lb.nodes), { port: 80 })).toThrow(/'tier' \('test\/Lb\/Nodes'\) is the balancer itself/);
  });

  test('given port 0, when added, then it throws', () => {
    const { lb, web } = fixture();
    expect(() => lb.addTarget(web, { port: 0 })).toThrow(/'port' \(0\) must be an integer from 1 to 65535/);
  });

  test('given no target, when validated, then the balancer reports it', () => {
    const { lb, web } = fixture();
    expect(lb.node.validate()).toEqual([expect.stringMatching(/test\/Lb: 'target' \(undefined\) must be set/)]);
    lb.addTarget(web, { port: 80 });
    expect(lb.node.validate()).toEqual([]);
  });

  test('given a VRRP pair error (adminCidr 0.0.0.0/0), when created, then the shared VRRP validation throws', () => {
    expect(() => fixture({ adminCidr: '0.0.0.0/0' })).toThrow(/test\/Lb: 'adminCidr' \('0.0.0.0\/0'\) must not be the whole internet/);
  });
});

describe('HaproxyBalancer: resources and rules', () => {
  test('given a balancer, when synthesized, then the VIP port, the node address pairs and the floating IP association exist', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const json = synthJson(stack);
    const ports = resourcesOf(json, 'openstack_networking_port_v2');
    for (const name of ['test-lb-nodes-instance1', 'test-lb-nodes-instance2']) {
      expect(ports.find((p) => p.name === name)!.allowed_address_pairs).toEqual([{ ip_address: lb.vipAddress }]);
    }
    expect(ports.find((p) => p.name === 'test-lb-vip-port')!.fixed_ip).toEqual([expect.objectContaining({ ip_address: lb.vipAddress })]);
    const [assoc] = resourcesOf(json, 'openstack_networking_floatingip_associate_v2');
    expect(assoc.port_id).toMatch(/^\$\{openstack_networking_port_v2\.Lb_VipPort_[0-9A-F]+\.id\}$/);
    expect(resourcesOf(json, 'openstack_networking_floatingip_v2')).toEqual([expect.objectContaining({ pool: 'Ext-Net' })]);
    expect(lb.node.defaultChild).toBe(lb.floatingIp);
  });

  test('given a target, when synthesized, then the nodes take port 80 from the internet, VRRP from each other, SSH from admin, and the front-ends take the member port from the nodes only', () => {
    const { stack, lb, web } = fixture();
    const target = lb.addTarget(web, { port: 8080 });
    const rules = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2');
    const nodes = (r: Record<string, any>) => /Lb_Nodes_Connections_[0-9A-F]+\.id/.test(r.security_group_id);
    expect(rules.filter((r) => nodes(r) && r.remote_ip_prefix === '0.0.0.0/0').map((r) => [r.protocol, r.port_range_min])).toEqual([['tcp', 80]]);
    expect(rules.filter((r) => nodes(r) && r.protocol === 'vrrp')).toHaveLength(1);
    expect(rules.filter((r) => nodes(r) && r.port_range_min === 22).map((r) => r.remote_ip_prefix)).toEqual([ADMIN]);
    const webRules = rules.filter((r) => /Web_Connections_[0-9A-F]+\.id/.test(r.security_group_id));
    expect(webRules).toEqual([expect.objectContaining({ protocol: 'tcp', port_range_min: 8080, port_range_max: 8080, remote_group_id: expect.stringMatching(/Lb_Nodes_Connections/) })]);
    expect(target.memberRules[0].source).toEqual(TrafficSource.group(lb.connections));
    expect(target.trustedProxies).toEqual(lb.nodes.addresses);
  });

  test('given a tier that believes X-Forwarded-Proto from its entries, when added, then it is told the two nodes\' addresses', () => {
    // Given
    const { lb, web } = fixture();
    const told: [readonly string[], string][] = [];
    const trusting = Object.assign(web, { trustForwardedProtoFrom: (sources: readonly string[], entry: { node: { path: string } }) => told.push([sources, entry.node.path]) });
    // When
    lb.addTarget(trusting, { port: 80 });
    // Then
    expect(told).toEqual([[lb.nodes.addresses, 'test/Lb']]);
    expect(lb.nodes.addresses).toHaveLength(2);
  });

  test('given three front-ends, when the target is added, then the members are the tier instances with maxconn for N-1 servers', () => {
    const { lb, web } = fixture();
    const target = lb.addTarget(web, { port: 80 });
    expect(target.memberAddresses).toEqual(web.cluster.addresses);
    // 3,000 connections over the 2 servers left when one of 3 is down
    expect(target.serverMaxconn).toBe(1500);
    expect(target.healthCheck.path).toBe('/healthz');
    expect(lb.target).toBe(target);
  });
});

describe('HaproxyBalancer: node configs', () => {
  test('given a target with a health check, when rendered, then haproxy balances round-robin over every instance, checked with inter/fall/rise', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80, healthCheck: HealthCheck.http({ path: '/healthz', intervalSeconds: 3, timeoutSeconds: 1, unhealthyThreshold: 3, healthyThreshold: 2 }) });
    for (const host of ['lb-1', 'lb-2']) {
      const config = lines(file(stack, host, '/etc/haproxy/haproxy.cfg'));
      expect(config).toEqual(expect.arrayContaining([
        `bind ${lb.vipAddress}:80`, 'maxconn 3000', 'balance roundrobin', 'option httpchk GET /healthz', 'http-check expect status 200',
        'default-server check inter 3000ms fall 3 rise 2', 'timeout check 1000ms', 'option forwardfor', 'option redispatch', 'retries 3',
        'stats socket /run/haproxy/admin.sock mode 660 level admin',
      ]));
      const servers = config.filter((l) => l.startsWith('server '));
      expect(servers).toEqual(web.cluster.instances.map((i) => `server ${i.hostname} ${i.address}:80 maxconn 1500`));
      expect(config.join('\n')).not.toMatch(/^(cookie|stick|stick-table)\b/m);
    }
  });

  test('given the rendered haproxy.cfg, when checked by haproxy -c, then it passes', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const r = checkHaproxy(file(stack, 'lb-1', '/etc/haproxy/haproxy.cfg'));
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given two nodes, when rendered, then keepalived tracks chk_haproxy with script security, has no IPVS and peers by unicast', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const [a, b] = lb.nodes.addresses;
    const one = file(stack, 'lb-1', '/etc/keepalived/keepalived.conf');
    const two = file(stack, 'lb-2', '/etc/keepalived/keepalived.conf');
    expect(lines(one)).toEqual(expect.arrayContaining([
      'script_user root', 'enable_script_security', `vrrp_script ${HAPROXY_TRACK_SCRIPT} {`, 'script "/usr/bin/killall -0 haproxy"',
      'track_script {', HAPROXY_TRACK_SCRIPT, `unicast_src_ip ${a}`, b, 'priority 150', 'nopreempt', `${lb.vipAddress}/32 dev $NIC`, 'interface $NIC', 'include /run/hosting-stacks/keepalived-nic.conf',
    ]));
    expect(lines(two)).toEqual(expect.arrayContaining([`unicast_src_ip ${b}`, a, 'priority 100']));
    expect(one).not.toMatch(/virtual_server|IPVS/);
  });

  test('given both keepalived configs, when checked by keepalived -t with $NIC defined as ens3, then both pass', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    for (const host of ['lb-1', 'lb-2']) {
      const r = checkKeepalivedAsOnServer(file(stack, host, '/etc/keepalived/keepalived.conf'));
      expect(r.output).toBe('');
      expect(r.ok).toBe(true);
    }
  });

  test('given the nonlocal-bind sysctl, when applied in a namespace, then it passes and sets ip_nonlocal_bind', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const sysctl = file(stack, 'lb-1', '/etc/sysctl.d/60-haproxy-nonlocal-bind.conf');
    expect(lines(sysctl)).toContain('net.ipv4.ip_nonlocal_bind = 1');
    const r = checkSysctl(sysctl);
    expect(r.output).toContain('net.ipv4.ip_nonlocal_bind = 1');
    expect(r.ok).toBe(true);
  });

  test('given the nodes, when rendered, then nftables follows the connections and passes nft -c', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const ruleset = file(stack, 'lb-2', '/etc/nftables.conf');
    expect(lines(ruleset)).toEqual(expect.arrayContaining([
      `ip saddr { ${ADMIN} } tcp dport 22 accept comment "SSH from the admin network"`,
      `ip saddr { ${[...lb.nodes.addresses, lb.vipAddress].join(', ')} } ip protocol vrrp accept comment "VRRP adverts between the haproxy nodes"`,
    ]));
    expect(ruleset).toMatch(/tcp dport 80 accept comment "internet: HTTP entry/);
    const r = checkNftables(ruleset);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given a balancer, when rendered, then the nodes install psmisc for killall and start nftables, haproxy, keepalived', () => {
    const { lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    for (const host of lb.nodes.instances) {
      expect(host.cloudConfig.packages).toEqual(['haproxy', 'keepalived', 'nftables', 'psmisc']);
      expect(host.cloudConfig.services).toEqual(['hosting-stacks-metadata-guard.service', 'hosting-stacks-nic.service', 'nftables', 'haproxy', 'keepalived']);
      expect(host.cloudConfig.hostFiles.map((f) => [f.path, f.syntax])).toEqual([
        ['/etc/haproxy/haproxy.cfg', ConfigSyntax.HAPROXY],
        ['/etc/hosting-stacks/metadata-guard.nft', ConfigSyntax.NFTABLES],
        ['/etc/keepalived/keepalived.conf', ConfigSyntax.KEEPALIVED],
        ['/etc/nftables.conf', ConfigSyntax.NFTABLES],
        ['/etc/sysctl.d/60-haproxy-nonlocal-bind.conf', ConfigSyntax.SYSCTL],
        ['/etc/systemd/system/hosting-stacks-metadata-guard.service', ConfigSyntax.SYSTEMD_UNIT],
        ['/etc/systemd/system/hosting-stacks-nic.service', ConfigSyntax.SYSTEMD_UNIT],
        ['/etc/systemd/system/keepalived.service.d/hosting-stacks-nic.conf', undefined],
        ['/usr/local/sbin/hosting-stacks-nic', ConfigSyntax.SHELL],
      ]);
      expect(host.cloudConfig.render()).toMatch(/- - sysctl\n {4}- -p\n {4}- \/etc\/sysctl.d\/60-haproxy-nonlocal-bind.conf/);
    }
  });

  test('given index 2, when a model is asked for, then it throws', () => {
    const { lb } = fixture();
    expect(() => lb.haproxyModel(2)).toThrow(/'index' \(2\) must be from 0 to 1/);
    expect(() => lb.keepalivedModel(2)).toThrow(/'index' \(2\) must be from 0 to 1/);
  });
});

function withStatic(props: Partial<HaproxyBalancerProps> | ((s: StaticContentServer, stack: HostingStack) => Partial<HaproxyBalancerProps>), cdnCidrs?: string[]) {
  const stack = testStack();
  const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  const access = new PrivateVSwitch(stack, 'Access', { cidr: '10.0.2.0/24', router: dmz.router });
  const web = fakeTier(stack, 'Web', access, 3);
  const staticContent = new StaticContentServer(stack, 'StaticContent', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: ['static.example.com'], cdnCidrs: cdnCidrs ?? ['198.51.100.0/24'] });
  const extra = typeof props === 'function' ? props(staticContent, stack) : props;
  const lb = new HaproxyBalancer(stack, 'Lb', { vswitch: dmz, adminCidr: ADMIN, ...extra });
  return { stack, dmz, web, staticContent, lb };
}

const toStaticPage = (s: StaticContentServer) => ({
  loadShedding: LoadShedding.toMiniSite({
    miniSite: MiniSite.fromBackend(s, { hostHeader: 'static.example.com', page: '/media/mini-site/index.html' }),
    perServerCapacity: 24,
    orderingCookie: MAGENTO1_SESSION_COOKIE,
  }),
});

describe('HaproxyBalancer: load shedding', () => {
  test('given load shedding to a static server, when the target is added, then each server takes perServerCapacity and the model carries the rules', () => {
    const { lb, web, staticContent } = withStatic(toStaticPage);
    const target = lb.addTarget(web, { port: 80 });
    expect(target.serverMaxconn).toBe(24);
    const model = lb.haproxyModel(0);
    expect(model.backend.servers.map((s) => s.maxconn)).toEqual([24, 24, 24]);
    expect(model.loadShedding).toEqual(expect.objectContaining({ perServerCapacity: 24, orderingCookie: 'frontend', orderingPaths: MAGENTO1_ORDERING_PATHS, queueThreshold: 0 }));
    expect(model.loadShedding!.miniSite).toEqual(expect.objectContaining({ kind: 'backend', servers: [{ name: 'mini-site-1', address: staticContent.backendAddresses[0], port: 80 }] }));
    expect(lb.loadShedding).toBeDefined();
  });

  test('given load shedding, when rendered on the node, then haproxy.cfg sheds browsing to the static page and passes haproxy -c -dW', () => {
    const { stack, lb, web, staticContent } = withStatic(toStaticPage);
    lb.addTarget(web, { port: 80 });
    const config = file(stack, 'lb-2', '/etc/haproxy/haproxy.cfg');
    expect(lines(config)).toEqual(expect.arrayContaining([
      `acl ordering path -m beg ${MAGENTO1_ORDERING_PATHS.join(' ')}`,
      'acl ordering req.cook(frontend) -m found',
      'http-request set-var(txn.pool_shed_at) nbsrv(members),mul(24),add(0)',
      'use_backend mini_site if pool_saturated !ordering',
      'http-request set-header Host static.example.com',
      'http-request set-path /media/mini-site/index.html',
      `server mini-site-1 ${staticContent.backendAddresses[0]}:80`,
    ]));
    const r = checkHaproxyWithTestCertificate(config, { warningsFail: true });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given a static server open to CDN networks only, when it is the mini-site, then it lets the haproxy nodes in on its port', () => {
    const { stack, staticContent } = withStatic(toStaticPage, ['198.51.100.0/24']);
    const rule = staticContent.connections.ingressRules.find((r) => r.source.kind === TrafficSourceKind.GROUP);
    expect(rule).toEqual(expect.objectContaining({ description: 'mini-site of load shedding, from haproxy test/Lb' }));
    const rules = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2').filter((r) => /StaticContent_Servers_Connections/.test(r.security_group_id));
    expect(rules.map((r) => [r.port_range_min, r.remote_ip_prefix ?? 'group'])).toEqual([[80, '198.51.100.0/24'], [80, 'group']]);
  });

  test('given the built-in page, when rendered, then haproxy answers the busy page itself and passes haproxy -c', () => {
    const { stack, lb, web } = withStatic({ loadShedding: LoadShedding.toMiniSite({ miniSite: MiniSite.builtinPage(), perServerCapacity: 16 }) });
    lb.addTarget(web, { port: 80 });
    const config = file(stack, 'lb-1', '/etc/haproxy/haproxy.cfg');
    expect(config).toMatch(/^ {4}http-request return status 503 content-type "text\/html; charset=utf-8" hdr Retry-After 30 /m);
    expect(checkHaproxy(config).ok).toBe(true);
  });

  test('given no load shedding, when rendered, then there is no mini-site and servers keep the N-1 share', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    expect(lb.loadShedding).toBeUndefined();
    expect(file(stack, 'lb-1', '/etc/haproxy/haproxy.cfg')).not.toMatch(/mini_site|ordering|set-priority/);
  });

  test('given a bad load shedding option, when the balancer is created, then it throws naming the balancer', () => {
    expect(() => withStatic((s) => ({ loadShedding: LoadShedding.toMiniSite({ miniSite: MiniSite.fromBackend(s), perServerCapacity: 0 }) })))
      .toThrow(/test\/Lb: 'loadShedding\.perServerCapacity' \(0\) must be an integer from 1 to 100000/);
  });

  test('given the target tier is also the mini-site, when added, then it throws', () => {
    const { lb, staticContent } = withStatic(toStaticPage);
    expect(() => lb.addTarget(staticContent, { port: 80 })).toThrow(/test\/Lb: 'tier' \('test\/StaticContent\/Servers'\) is also the load shedding mini-site/);
  });
});

describe('HaproxyBalancer: TLS', () => {
  const withTls = (tls: Partial<HaproxyTlsOptions> = {}) => withStatic((_, stack) => ({ tls: { certificate: Secret.variable(stack, 'entry_tls_pem', 'PEM bundle of the entry'), ...tls } }));

  test('given a certificate, when created, then HTTPS is on 443 with two-year HSTS', () => {
    const { lb } = withTls();
    expect([lb.tls!.port, lb.tls!.hstsMaxAgeSeconds]).toEqual([443, 63072000]);
    expect([HTTPS_PORT, HSTS_MAX_AGE_SECONDS, HAPROXY_TLS_BIND_OPTIONS]).toEqual([443, 63072000, 'ssl-min-ver TLSv1.2 no-tls-tickets']);
  });

  test('given TLS, when rendered, then haproxy binds 443 with the bundle and Mozilla intermediate settings, redirects HTTP, sends HSTS, and passes haproxy -c -dW with a test certificate', () => {
    const { stack, lb, web } = withTls();
    lb.addTarget(web, { port: 80 });
    const config = file(stack, 'lb-1', '/etc/haproxy/haproxy.cfg');
    expect(lines(config)).toEqual(expect.arrayContaining([
      `bind ${lb.vipAddress}:443 ssl crt ${HAPROXY_CERTIFICATE_PATH} alpn h2,http/1.1`,
      `ssl-default-bind-ciphers ${intermediateCipherString()}`,
      `ssl-default-bind-ciphersuites ${intermediateCiphersuiteString()}`,
      'ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets',
      'http-request redirect scheme https code 301 unless { ssl_fc }',
      'http-response set-header Strict-Transport-Security "max-age=63072000" if { ssl_fc }',
    ]));
    expect(tlsIntermediateProblems(['TLSv1.2', 'TLSv1.3'], intermediateCipherString().split(':'))).toEqual([]);
    const r = checkHaproxyWithTestCertificate(config, { warningsFail: true });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given TLS, when rendered, then cloud-init writes the bundle from the sensitive variable, root only, mode 0600', () => {
    const { stack, lb } = withTls();
    for (const host of lb.nodes.instances) {
      // The multi-line bundle travels base64 on one line (CloudConfig.addSecretFile) and is decoded 0600 at boot.
      const staged = host.cloudConfig.hostFiles.find((f) => f.path === `${HAPROXY_CERTIFICATE_PATH}.b64`)!;
      expect([staged.permissions, staged.syntax]).toEqual(['0600', undefined]);
      expect(host.cloudConfig.render()).toContain(`base64 -d ${HAPROXY_CERTIFICATE_PATH}.b64 > ${HAPROXY_CERTIFICATE_PATH} && chmod 0600 ${HAPROXY_CERTIFICATE_PATH} && chown root:root ${HAPROXY_CERTIFICATE_PATH}`);
    }
    expect(file(stack, 'lb-1', `${HAPROXY_CERTIFICATE_PATH}.b64`)).toBe('${base64encode(var.entry_tls_pem)}\n');
    expect(synthJson(stack).variable.entry_tls_pem).toEqual(expect.objectContaining({ sensitive: true }));
  });

  test('given TLS, when synthesized, then 443 is open to the internet next to 80, in the security group and nftables', () => {
    const { stack, lb, web } = withTls({ port: 8443 });
    lb.addTarget(web, { port: 80 });
    const rules = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2');
    const nodes = (r: Record<string, unknown>) => /Lb_Nodes_Connections_[0-9A-F]+\.id/.test(String(r.security_group_id));
    expect(rules.filter((r) => nodes(r) && r.remote_ip_prefix === '0.0.0.0/0').map((r) => r.port_range_min)).toEqual([80, 8443]);
    expect(file(stack, 'lb-1', '/etc/nftables.conf')).toMatch(/tcp dport 8443 accept comment "internet: HTTPS entry/);
    expect(checkNftables(file(stack, 'lb-1', '/etc/nftables.conf')).ok).toBe(true);
  });

  test('given hstsMaxAgeSeconds 0, when rendered, then no HSTS header is sent', () => {
    const { stack, lb, web } = withTls({ hstsMaxAgeSeconds: 0 });
    lb.addTarget(web, { port: 80 });
    expect(file(stack, 'lb-1', '/etc/haproxy/haproxy.cfg')).not.toMatch(/Strict-Transport-Security/);
  });

  test.each([
    ['port 0', { port: 0 }, /'tls\.port' \(0\) must be an integer from 1 to 65535/],
    ['port 80 (the HTTP listener)', { port: 80 }, /'tls\.port' \(80\) must differ from the SSH port \(22\) and the HTTP 'listenerPort' \(80\)/],
    ['port 22', { port: 22 }, /'tls\.port' \(22\) must differ from the SSH port/],
    ['a negative HSTS max-age', { hstsMaxAgeSeconds: -1 }, /'tls\.hstsMaxAgeSeconds' \(-1\) must be an integer from 0 to 2147483647/],
    ['a PEM in plain text', { certificate: '-----BEGIN CERTIFICATE-----' as unknown as Secret }, /test\/Lb: 'tls\.certificate' \('<a string of 27 characters>'\) must be a Secret/],
  ] as [string, Partial<HaproxyTlsOptions>, RegExp][])('given %s, when created, then it throws', (_, tls, message) => {
    expect(() => withTls(tls)).toThrow(message);
  });
});

describe('HaproxyBalancer: databases', () => {
  /** The fixture with a primary and three replicas on the access vSwitch, and an app tier that calls them. */
  function withDatabase(props: Partial<HaproxyBalancerProps> = {}) {
    const f = fixture(props);
    const db = new MysqlReplication(f.stack, 'Db', { vswitch: f.access, flavor: Flavor.named('b3-16'), databaseName: 'offers', replicas: 3 });
    f.lb.addTarget(f.web, { port: 80 });
    return { ...f, db };
  }

  test('given a replicated database, when added, then writes and reads listen on the VIP and the route is the database the tiers take', () => {
    const { lb, db } = withDatabase();
    const route = lb.addDatabase(db);
    expect(route).toMatchObject({ writerAddress: lb.vipAddress, readerAddress: lb.vipAddress, port: 3306, readPort: 3307, databaseName: 'offers', applicationUser: 'app' });
    expect(route.applicationPassword).toBe(db.applicationPassword);
    expect(route.connections).toBe(lb.connections);
    expect(lb.databases).toEqual([route]);
  });

  test('given a database, when rendered, then writes go to the server answering /primary and reads over the replicas answering /readable, the primary a backup', () => {
    const { stack, lb, db } = withDatabase();
    lb.addDatabase(db, { writePort: 3310, readPort: 3311 });
    const config = file(stack, 'lb-1', '/etc/haproxy/haproxy.cfg');
    const write = lines(config.slice(config.indexOf('listen database_1_write'), config.indexOf('listen database_1_read')));
    const read = lines(config.slice(config.indexOf('listen database_1_read')));
    const servers = db.cluster.instances.map((i) => `server ${i.hostname} ${i.address}:3306 check port 9200`);
    expect(write).toEqual(expect.arrayContaining([`bind ${lb.vipAddress}:3310`, 'balance first', 'option httpchk GET /primary', 'http-check expect status 200', ...servers]));
    expect(read).toEqual(expect.arrayContaining([`bind ${lb.vipAddress}:3311`, 'balance leastconn', 'option httpchk GET /readable', `${servers[0]} backup`, ...servers.slice(1)]));
    expect(lines(config)).toEqual(expect.arrayContaining(['mode tcp', 'default-server inter 2000ms fall 2 rise 2 on-marked-down shutdown-sessions', 'timeout client 1800000ms']));
    // Each listener takes what one server accepts; global maxconn makes room for both.
    expect(write).toContain(`maxconn ${db.maxConnections}`);
    expect(lines(config)).toContain(`maxconn ${lb.connectionLimit + 100 + 2 * db.maxConnections}`);
  });

  test('given a database, when rendered, then haproxy -c -dW passes: no warning from the HTTP defaults on the TCP listeners', () => {
    const { stack, lb, db } = withDatabase();
    lb.addDatabase(db);
    const r = checkHaproxyWithTestCertificate(file(stack, 'lb-2', '/etc/haproxy/haproxy.cfg'), { warningsFail: true });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given an app tier given the route, when synthesized, then only it reaches the VIP\'s database ports, and only the nodes reach the servers\' database and role check ports', () => {
    const { stack, access, lb, db } = withDatabase();
    const route = lb.addDatabase(db);
    const app = fakeTier(stack, 'App', access, 2);
    route.connections.allowFrom(app, Port.tcp(route.port));
    route.allowReadsFrom(app);
    const rules = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2');
    const nodes = (r: Record<string, any>) => /Lb_Nodes_Connections_[0-9A-F]+\.id/.test(r.security_group_id);
    const onVip = rules.filter((r) => nodes(r) && [3306, 3307].includes(r.port_range_min));
    expect(onVip.map((r) => [r.port_range_min, String(r.remote_group_id).match(/\.([A-Za-z]+)_Connections_/)?.[1]])).toEqual([[3306, 'App'], [3307, 'App']]);
    expect(rules.filter((r) => nodes(r) && r.remote_ip_prefix === '0.0.0.0/0').map((r) => r.port_range_min)).toEqual([80]);
    const dbFromNodes = rules.filter((r) => /Db_Servers_Connections_[0-9A-F]+\.id/.test(r.security_group_id) && /Lb_Nodes_Connections/.test(String(r.remote_group_id)));
    expect(dbFromNodes.map((r) => r.port_range_min).sort()).toEqual([3306, 9200]);
    const ruleset = file(stack, 'lb-1', '/etc/nftables.conf');
    expect(ruleset).toMatch(/tcp dport 3306 accept/);
    expect(ruleset).toMatch(/tcp dport 3307 accept/);
    expect(checkNftables(ruleset).ok).toBe(true);
  });

  test('given a client declared on the route, then the database behind it counts its connections', () => {
    const { lb, db } = withDatabase();
    const route = lb.addDatabase(db);
    const before = db.maxConnections;
    route.addClient({ client: lb, servers: 12, connectionsPerServer: 20, bound: 'test pool' });
    expect(db.maxConnections).toBe(before + 240);
  });

  test.each([
    [{ writePort: 80 }, /'writePort' \(80\) is already the HTTP 'listenerPort'; pick another/],
    [{ writePort: 22 }, /'writePort' \(22\) is already the SSH port of the nodes/],
    [{ readPort: 3306 }, /'readPort' \(3306\) must differ from 'writePort'/],
    [{ readPort: 0 }, /'readPort' \(0\) must be an integer from 1 to 65535/],
  ])('given options %p, when the database is added, then it throws naming the balancer and the prop', (options, message) => {
    const { lb, db } = withDatabase();
    expect(() => lb.addDatabase(db, options)).toThrow(message);
    expect(() => lb.addDatabase(db, options)).toThrow(/test\/Lb/);
  });

  test('given the same database twice, or a second one on taken ports, when added, then it throws', () => {
    const { stack, access, lb, db } = withDatabase();
    lb.addDatabase(db);
    expect(() => lb.addDatabase(db, { writePort: 4000 })).toThrow(/test\/Lb: 'database' \('offers'\) is already balanced by test\/Lb/);
    const other = new MysqlReplication(stack, 'Partners', { vswitch: access, flavor: Flavor.named('b3-16'), databaseName: 'partners', hostnamePrefix: 'pdb' });
    expect(() => lb.addDatabase(other)).toThrow(/'writePort' \(3306\) is already the write port of offers/);
    expect(lb.addDatabase(other, { writePort: 3316 }).readPort).toBe(3317);
  });

  test('given a database whose application account logs in from the app network only, when added, then it throws: the nodes connect from theirs', () => {
    const { stack, access, lb } = withDatabase();
    const narrow = new MysqlReplication(stack, 'Narrow', { vswitch: access, flavor: Flavor.named('b3-16'), databaseName: 'narrow', hostnamePrefix: 'ndb', applicationClientCidr: '10.0.2.0/24' });
    expect(() => lb.addDatabase(narrow)).toThrow(new RegExp(`test/Lb: 'database' \\('narrow'\\) does not let its application account log in from the haproxy nodes \\(${lb.nodes.addresses.join(', ')}\\), which connect from their own addresses; widen its applicationClientCidr`));
    const wide = new MysqlReplication(stack, 'Wide', { vswitch: access, flavor: Flavor.named('b3-16'), databaseName: 'wide', hostnamePrefix: 'wdb', applicationClientCidr: '10.0.0.0/16' });
    expect(lb.addDatabase(wide).databaseName).toBe('wide');
  });

  test('given a route, when something without connections is to read, then allowReadsFrom throws naming the route', () => {
    const { lb, db } = withDatabase();
    const route = lb.addDatabase(db);
    expect(() => route.allowReadsFrom('10.0.2.0/24' as never)).toThrow(/test\/Lb\/Database1: 'peer' .* must be a construct with connections/);
  });

  test('given a database model without its timeouts, when rendered, then renderHaproxyConfig throws naming the prop', () => {
    const { lb, db } = withDatabase();
    lb.addDatabase(db);
    const model = { ...lb.haproxyModel(0), databaseTimeouts: undefined };
    expect(() => renderHaproxyConfig(model)).toThrow(/renderHaproxyConfig: 'databaseTimeouts' \(undefined\) must be given with databases \(haproxy model of lb-1\)/);
  });

  test('given something that is not a replicated database, when added, then it throws saying what is allowed', () => {
    const { lb, web } = withDatabase();
    expect(() => lb.addDatabase(web as never)).toThrow(/'database' .* must be a replicated MySQL database whose servers answer a role check/);
  });
});
