import { ExternalNetwork, HealthCheck, PrivateVSwitch, Router } from '../../lib';
import { checkProviderSchema, checkTerraformTemplates, loadOpenstackProviderSchema } from '../../lib/testing';
import { dhcpPoolCidrs } from '../../lib/balancing/http-balancer';
import { OctaviaBalancer, OctaviaBalancerProps, RECOMMENDED_OCTAVIA_SIZE } from '../../lib/balancing/octavia-balancer';
import { resourcesOf, synthJson, testStack, fakeTier } from '../support/synth';

const FLAVOR = '3a4b8c1d-0e2f-4a5b-9c6d-7e8f9a0b1c2d';

/** A DMZ vSwitch with the gateway router, an access vSwitch on the same router, front-ends on it. */
function fixture(props: Partial<OctaviaBalancerProps> = {}, frontendCount = 3) {
  const stack = testStack();
  const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  const access = new PrivateVSwitch(stack, 'Access', { cidr: '10.0.2.0/24', router: dmz.router });
  const web = fakeTier(stack, 'Web', access, frontendCount);
  const lb = new OctaviaBalancer(stack, 'Lb', { vswitch: dmz, ...props });
  return { stack, dmz, access, web, lb };
}


const ref = (type: string, path: string, attr: string) => new RegExp(`^\\$\\{${type}\\.${path}_[0-9A-F]+\\.${attr}\\}$`);

describe('OctaviaBalancer: props and defaults', () => {
  test('given only the vSwitch, when created, then it is sized for the generic 1,000 users on port 80 with a planned VIP and no flavor', () => {
    const { stack, lb, dmz } = fixture();
    expect([lb.expectedConcurrentUsers, lb.connectionLimit, lb.listenerPort, lb.flavorId]).toEqual([1000, 3000, 80, undefined]);
    expect(lb.vipAddress).toBe('10.0.1.2');
    expect(dmz.allocations).toContainEqual({ address: '10.0.1.2', holder: 'test/Lb' });
    const [res] = resourcesOf(synthJson(stack), 'openstack_lb_loadbalancer_v2');
    expect(res.vip_address).toBe('10.0.1.2');
    expect(res.vip_subnet_id).toMatch(ref('openstack_networking_subnet_v2', 'Dmz_Subnet', 'id'));
    expect(res.flavor_id).toBeUndefined();
    expect(lb.node.defaultChild).toBe(lb.resource);
    expect(RECOMMENDED_OCTAVIA_SIZE).toBe('small');
  });

  test('given a flavor id, a VIP and 2,000 users, when created, then they are used', () => {
    const { stack, lb } = fixture({ flavorId: FLAVOR, vipAddress: '10.0.1.50', expectedConcurrentUsers: 2000 });
    const json = synthJson(stack);
    expect(resourcesOf(json, 'openstack_lb_loadbalancer_v2')[0]).toEqual(expect.objectContaining({ flavor_id: FLAVOR, vip_address: '10.0.1.50' }));
    expect(resourcesOf(json, 'openstack_lb_listener_v2')[0].connection_limit).toBe(6000);
    expect(lb.connectionLimit).toBe(6000);
  });
});

describe('OctaviaBalancer: errors', () => {
  test('given a flavor name instead of an id, when created, then it throws', () => {
    expect(() => fixture({ flavorId: 'small' })).toThrow(/test\/Lb: 'flavorId' \('small'\) must be the id \(a UUID\) of an Octavia flavor, not its name/);
  });

  test.each([0, 2.5])('given expectedConcurrentUsers %p, when created, then it throws', (users) => {
    expect(() => fixture({ expectedConcurrentUsers: users })).toThrow(/'expectedConcurrentUsers' \(.*\) must be an integer from 1 to 1000000/);
  });

  test('given listenerPort 0, when created, then it throws', () => {
    expect(() => fixture({ listenerPort: 0 })).toThrow(/'listenerPort' \(0\) must be an integer from 1 to 65535/);
  });

  test('given a VIP that is not an address, when created, then it throws', () => {
    expect(() => fixture({ vipAddress: 'vip' })).toThrow(/'vipAddress' \('vip'\) must be an IPv4 address/);
  });

  test('given a VIP in the DHCP pool, when created, then the vSwitch refuses it', () => {
    expect(() => fixture({ vipAddress: '10.0.1.200' })).toThrow(/test\/Lb: 'vipAddress' \('10.0.1.200'\) is not in the planned range/);
  });

  test('given a vSwitch whose router has no gateway, when created, then it throws', () => {
    const stack = testStack();
    const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24' });
    expect(() => new OctaviaBalancer(stack, 'Lb', { vswitch: dmz })).toThrow(/'vswitch' \('test\/Dmz'\) has a router without an external gateway/);
  });

  test('given an external network other than the router gateway, when created, then it throws', () => {
    expect(() => fixture({ externalNetwork: ExternalNetwork.named('public') })).toThrow(/'externalNetwork' \('public'\) must be the gateway network of test\/Dmz's router \('Ext-Net'\)/);
  });

  test('given a second target, when added, then it throws', () => {
    const { stack, lb, web, access } = fixture();
    lb.addTarget(web, { port: 80 });
    expect(() => lb.addTarget(fakeTier(stack, 'Other', access), { port: 80 })).toThrow(/'tier' \('test\/Other'\) cannot be added: test\/Lb already balances test\/Web/);
  });

  test('given a tier behind another router, when added, then it throws', () => {
    const { stack, lb } = fixture();
    const far = new PrivateVSwitch(stack, 'Far', { cidr: '10.0.9.0/24', router: new Router(stack, 'OtherRouter', {}) });
    expect(() => lb.addTarget(fakeTier(stack, 'FarWeb', far), { port: 80 })).toThrow(/'tier' \('test\/FarWeb'\) is on test\/Far, whose router is not the router of test\/Dmz/);
  });

  test('given port 65536, when added, then it throws', () => {
    const { lb, web } = fixture();
    expect(() => lb.addTarget(web, { port: 65536 })).toThrow(/'port' \(65536\) must be an integer from 1 to 65535/);
  });

  test.each([
    [HealthCheck.http({ intervalSeconds: 0.5, timeoutSeconds: 0.5 }), /'healthCheck.intervalSeconds' \(0.5\) must be a whole number of seconds/],
    [HealthCheck.http({ intervalSeconds: 2, timeoutSeconds: 3 }), /'healthCheck.timeoutSeconds' \(3\) must be a whole number of seconds from 1 to the interval \(2\)/],
    [HealthCheck.http({ intervalSeconds: 2, timeoutSeconds: 1.5 }), /'healthCheck.timeoutSeconds' \(1.5\)/],
    [HealthCheck.http({ healthyThreshold: 2.5 }), /'healthCheck.healthyThreshold' \(2.5\) must be an integer from 1 to 10/],
    [HealthCheck.http({ unhealthyThreshold: 1.5 }), /'healthCheck.unhealthyThreshold' \(1.5\) must be an integer from 1 to 10/],
  ])('given a health check Octavia cannot express (%#), when added, then it throws', (healthCheck, error) => {
    const { lb, web } = fixture();
    expect(() => lb.addTarget(web, { port: 80, healthCheck })).toThrow(error);
  });

  test('given no target, when validated, then the balancer reports it', () => {
    const { lb, web } = fixture();
    expect(lb.node.validate()).toEqual([expect.stringMatching(/test\/Lb: 'target' \(undefined\) must be set/)]);
    lb.addTarget(web, { port: 80 });
    expect(lb.node.validate()).toEqual([]);
  });
});

describe('OctaviaBalancer: resources', () => {
  test('given a balancer, when synthesized, then an HTTP listener on 80 adds X-Forwarded-For and replaces X-Forwarded-Proto, with the connection limit and timeouts', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const [listener] = resourcesOf(synthJson(stack), 'openstack_lb_listener_v2');
    expect(listener).toEqual(expect.objectContaining({
      protocol: 'HTTP', protocol_port: 80, connection_limit: 3000,
      // X-Forwarded-Proto: the amphora sets 'http', so a client's own 'https' never reaches the members
      insert_headers: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' },
      timeout_client_data: 30000, timeout_member_connect: 5000, timeout_member_data: 60000,
    }));
    expect(listener.loadbalancer_id).toMatch(ref('openstack_lb_loadbalancer_v2', 'Lb', 'id'));
  });

  test('given a target, when synthesized, then the pool is ROUND_ROBIN HTTP with no persistence block', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const pools = resourcesOf(synthJson(stack), 'openstack_lb_pool_v2');
    expect(pools).toEqual([expect.objectContaining({ protocol: 'HTTP', lb_method: 'ROUND_ROBIN', listener_id: expect.stringMatching(ref('openstack_lb_listener_v2', 'Lb_Listener', 'id')) })]);
    expect(pools[0]).not.toHaveProperty('persistence');
    expect(pools[0]).not.toHaveProperty('session_persistence');
  });

  test('given an HTTP health check, when synthesized, then the monitor is HTTP GET /healthz with delay, timeout and retries from it', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80, healthCheck: HealthCheck.http({ intervalSeconds: 5, timeoutSeconds: 3, unhealthyThreshold: 3, healthyThreshold: 2 }) });
    const [monitor] = resourcesOf(synthJson(stack), 'openstack_lb_monitor_v2');
    expect(monitor).toEqual(expect.objectContaining({
      type: 'HTTP', http_method: 'GET', url_path: '/healthz', expected_codes: '200', delay: 5, timeout: 3, max_retries: 2, max_retries_down: 3,
      pool_id: expect.stringMatching(ref('openstack_lb_pool_v2', 'Lb_Pool', 'id')),
    }));
  });

  test('given a TCP health check, when synthesized, then the monitor is TCP without HTTP fields', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80, healthCheck: HealthCheck.tcp() });
    const [monitor] = resourcesOf(synthJson(stack), 'openstack_lb_monitor_v2');
    expect(monitor.type).toBe('TCP');
    expect(monitor).not.toHaveProperty('url_path');
    expect(monitor).not.toHaveProperty('http_method');
  });

  test.each([1, 3, 5])('given %p front-ends, when synthesized, then there is one member per instance on the tier subnet', (count) => {
    const { stack, lb, web } = fixture({}, count);
    const target = lb.addTarget(web, { port: 8080 });
    const members = resourcesOf(synthJson(stack), 'openstack_lb_member_v2');
    expect(members).toHaveLength(count);
    expect(target.members).toHaveLength(count);
    expect(members.map((m) => m.address).sort()).toEqual([...web.cluster.addresses].sort());
    for (const m of members) {
      expect(m).toEqual(expect.objectContaining({ protocol_port: 8080, subnet_id: expect.stringMatching(ref('openstack_networking_subnet_v2', 'Access_Subnet', 'id')) }));
    }
    expect(target.members.map((m) => m.node.id)).toEqual(web.cluster.instances.map((i) => `Member-${i.node.id}`));
  });

  test('given a balancer, when synthesized, then a floating IP from Ext-Net is associated with the VIP port after the router interface', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const json = synthJson(stack);
    expect(resourcesOf(json, 'openstack_networking_floatingip_v2')).toEqual([expect.objectContaining({ pool: 'Ext-Net' })]);
    const [assoc] = resourcesOf(json, 'openstack_networking_floatingip_associate_v2');
    expect(assoc.port_id).toMatch(ref('openstack_lb_loadbalancer_v2', 'Lb', 'vip_port_id'));
    expect(assoc.floating_ip).toMatch(ref('openstack_networking_floatingip_v2', 'Lb_FloatingIp', 'address'));
    expect(assoc.depends_on).toEqual([expect.stringMatching(/^openstack_networking_router_interface_v2\.Dmz_RouterInterface_/)]);
  });

  test('given a target, when synthesized, then the front-ends allow the member port only from the member subnet DHCP pool, with the reason', () => {
    const { stack, lb, web, access } = fixture();
    const target = lb.addTarget(web, { port: 80 });
    expect(dhcpPoolCidrs(access)).toEqual(['10.0.2.128/25']);
    const rules = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2').filter((r) => /Web_Connections_[0-9A-F]+\.id/.test(r.security_group_id));
    expect(rules).toEqual([expect.objectContaining({ protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_ip_prefix: '10.0.2.128/25' })]);
    expect(rules[0].description).toMatch(/Octavia amphorae: plugged into test\/Access \(member subnet_id\), they take addresses from its DHCP pool 10.0.2.128-10.0.2.254/);
    expect(target.memberRules.map((r) => r.source)).toEqual([{ kind: 'cidr', cidr: '10.0.2.128/25' }]);
    expect(target.trustedProxies).toEqual(['10.0.2.128/25']);
  });

  test('given a tier that believes X-Forwarded-Proto from its entries, when added, then it is told the amphorae sources', () => {
    // Given
    const { lb, web } = fixture();
    const told: [readonly string[], string][] = [];
    const trusting = Object.assign(web, { trustForwardedProtoFrom: (sources: readonly string[], entry: { node: { path: string } }) => told.push([sources, entry.node.path]) });
    // When
    lb.addTarget(trusting, { port: 80 });
    // Then
    expect(told).toEqual([[['10.0.2.128/25'], 'test/Lb']]);
  });

  test('given a stack with an Octavia entry, when checked against the provider schema and template rules, then there is no violation', () => {
    const { stack, lb, web } = fixture({ flavorId: FLAVOR });
    lb.addTarget(web, { port: 80 });
    const json = synthJson(stack);
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
  });
});

describe('dhcpPoolCidrs', () => {
  test.each([
    ['10.0.3.0/24', 100, ['10.0.3.102/31', '10.0.3.104/29', '10.0.3.112/28', '10.0.3.128/25']],
    ['10.0.4.0/28', 6, ['10.0.4.8/29']],
    ['10.8.0.0/16', undefined, ['10.8.128.0/17']],
  ])('given %s with %p planned addresses, when covered, then the blocks are exactly the pool up to the broadcast', (cidr, planned, expected) => {
    const stack = testStack();
    const v = new PrivateVSwitch(stack, 'V', { cidr, plannedAddressCount: planned });
    expect(dhcpPoolCidrs(v)).toEqual(expected);
  });
});
