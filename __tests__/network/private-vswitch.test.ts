import { Construct } from 'constructs';
import { Connections, ExternalNetwork, PrivateVSwitch, Router } from '../../lib';
import { resourcesOf, synthJson, testStack } from '../support/synth';

describe('PrivateVSwitch', () => {
  test('given a /24, when created, then the gateway is .1, planned .2-.127 and the DHCP pool .128-.254', () => {
    const stack = testStack();
    const v = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    expect(v.gatewayIp).toBe('10.0.1.1');
    expect(v.plannedRange).toEqual({ first: '10.0.1.2', last: '10.0.1.127' });
    expect(v.dhcpPool).toEqual({ start: '10.0.1.128', end: '10.0.1.254' });
    const subnet = resourcesOf(synthJson(stack), 'openstack_networking_subnet_v2')[0];
    expect(subnet).toMatchObject({ cidr: '10.0.1.0/24', gateway_ip: '10.0.1.1', allocation_pool: [{ start: '10.0.1.128', end: '10.0.1.254' }] });
  });

  test('given plannedAddressCount, when created, then the DHCP pool starts right after the planned range', () => {
    const v = new PrivateVSwitch(testStack(), 'Net', { cidr: '10.0.1.0/24', plannedAddressCount: 20 });
    expect(v.plannedRange.last).toBe('10.0.1.21');
    expect(v.dhcpPool.start).toBe('10.0.1.22');
  });

  test('hands out planned addresses in order and deterministically', () => {
    const build = () => {
      const stack = testStack();
      const v = new PrivateVSwitch(stack, 'Net', { cidr: '192.168.10.0/28' });
      return [new Construct(stack, 'A'), new Construct(stack, 'B')].map((h) => v.allocateAddress(h));
    };
    expect(build()).toEqual(['192.168.10.2', '192.168.10.3']);
    expect(build()).toEqual(build());
  });

  test('hands out an explicit address and records the holder', () => {
    const stack = testStack();
    const v = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    v.allocateAddress(new Construct(stack, 'Vip'), '10.0.1.100');
    expect(v.allocations).toEqual([{ address: '10.0.1.100', holder: 'test/Vip' }]);
  });

  test('never plans an address inside the DHCP pool', () => {
    const stack = testStack();
    const v = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.0.0/28', plannedAddressCount: 3 });
    const got = [1, 2, 3].map((i) => v.allocateAddress(new Construct(stack, `H${i}`)));
    expect(got).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4']);
    expect(v.dhcpPool.start).toBe('10.0.0.5');
  });

  test('creates its own router with the external gateway', () => {
    const stack = testStack();
    new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
    const json = synthJson(stack);
    expect(resourcesOf(json, 'openstack_networking_router_v2')[0].external_network_id).toMatch(/data\.openstack_networking_network_v2\..*\.id/);
    expect(Object.values(json.data.openstack_networking_network_v2)[0]).toMatchObject({ name: 'Ext-Net', external: true });
  });

  test('shares a router between vSwitches', () => {
    const stack = testStack();
    const router = new Router(stack, 'Router', {});
    new PrivateVSwitch(stack, 'A', { cidr: '10.0.1.0/24', router });
    new PrivateVSwitch(stack, 'B', { cidr: '10.0.2.0/24', router });
    const json = synthJson(stack);
    expect(resourcesOf(json, 'openstack_networking_router_v2')).toHaveLength(1);
    expect(resourcesOf(json, 'openstack_networking_router_interface_v2')).toHaveLength(2);
  });

  describe('errors', () => {
    test.each([
      ['not a CIDR', '10.0.1/24', /Net: 'cidr' \('10\.0\.1\/24'\) must be an IPv4 CIDR/],
      ['host bits set', '10.0.1.7/24', /'cidr' \('10\.0\.1\.7\/24'\) must be an IPv4 CIDR with no host bits set/],
      ['too large', '10.0.0.0/8', /'cidr' \('10\.0\.0\.0\/8'\) must have a prefix length from \/16 to \/28/],
      ['too small', '10.0.0.0/29', /'cidr' \('10\.0\.0\.0\/29'\) must have a prefix length from \/16 to \/28/],
    ])('rejects a cidr that is %s', (_why, cidr, message) => {
      expect(() => new PrivateVSwitch(testStack(), 'Net', { cidr })).toThrow(message);
    });

    test('rejects overlapping CIDRs in one stack, naming both', () => {
      const stack = testStack();
      new PrivateVSwitch(stack, 'A', { cidr: '10.0.0.0/16' });
      expect(() => new PrivateVSwitch(stack, 'B', { cidr: '10.0.5.0/24' })).toThrow(/test\/B: 'cidr' \('10\.0\.5\.0\/24'\) overlaps 10\.0\.0\.0\/16 of test\/A/);
    });

    test('allows the same CIDR in two stacks', () => {
      new PrivateVSwitch(testStack('one'), 'A', { cidr: '10.0.0.0/24' });
      expect(() => new PrivateVSwitch(testStack('two'), 'A', { cidr: '10.0.0.0/24' })).not.toThrow();
    });

    test.each([0, -1, 1.5, 250])('rejects plannedAddressCount %p', (n) => {
      expect(() => new PrivateVSwitch(testStack(), 'Net', { cidr: '10.0.1.0/24', plannedAddressCount: n })).toThrow(/'plannedAddressCount' \(.*\) must be an integer from 1 to 248/);
    });

    test('reports an exhausted planned range, naming the holder', () => {
      const stack = testStack();
      const v = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.0.0/28', plannedAddressCount: 2 });
      v.allocateAddress(new Construct(stack, 'A'));
      v.allocateAddress(new Construct(stack, 'B'));
      expect(() => v.allocateAddress(new Construct(stack, 'C'))).toThrow(/test\/Net: 'plannedAddressCount' \(2\) is exhausted: no planned address left in 10\.0\.0\.2-10\.0\.0\.3 of 10\.0\.0\.0\/28 for test\/C/);
    });

    test.each([
      ['outside the subnet', '10.9.9.9', /test\/H: 'address' \('10\.9\.9\.9'\) is outside the subnet 10\.0\.1\.0\/24/],
      ['the gateway', '10.0.1.1', /'address' \('10\.0\.1\.1'\) is not in the planned range/],
      ['in the DHCP pool', '10.0.1.200', /'address' \('10\.0\.1\.200'\) is not in the planned range .* DHCP pool 10\.0\.1\.128-10\.0\.1\.254/],
      ['the broadcast address', '10.0.1.255', /'address' \('10\.0\.1\.255'\) is not in the planned range/],
      ['not an address', 'ten', /'address' \('ten'\) must be an IPv4 address/],
    ])('rejects an explicit address %s', (_why, address, message) => {
      const stack = testStack();
      const v = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
      expect(() => v.allocateAddress(new Construct(stack, 'H'), address)).toThrow(message);
    });

    test('rejects an address planned twice, naming the first holder', () => {
      const stack = testStack();
      const v = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
      v.allocateAddress(new Construct(stack, 'A'), '10.0.1.10');
      expect(() => v.allocateAddress(new Construct(stack, 'B'), '10.0.1.10')).toThrow(/test\/B: 'address' \('10\.0\.1\.10'\) is already planned for test\/A/);
    });
  });

  describe('port security', () => {
    function portFixture() {
      const stack = testStack();
      const v = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
      const holder = new Construct(stack, 'Host');
      const connections = new Connections(holder, 'Connections');
      const port = v.addPort(holder, 'Port', { connections: [connections], allowedAddressPairs: ['10.0.1.50'] });
      return { stack, v, port, connections };
    }

    test('given a port, when created, then port security is on with its group and address pairs', () => {
      const { stack, port } = portFixture();
      expect(port.portSecurityEnabled).toBe(true);
      expect(port.portSecurityDisabledReason).toBeUndefined();
      const body = resourcesOf(synthJson(stack), 'openstack_networking_port_v2')[0];
      expect(body.port_security_enabled).toBeUndefined();
      expect(body.security_group_ids).toHaveLength(1);
      expect(body.allowed_address_pairs).toEqual([{ ip_address: '10.0.1.50' }]);
    });

    test('given disablePortSecurity with a reason, when synthesized, then the port has port security off, no security group and no address pair', () => {
      const { stack, port, connections } = portFixture();
      port.disablePortSecurity('the host firewall filters it');
      port.addAllowedAddressPair('10.0.1.51');
      expect(port.portSecurityEnabled).toBe(false);
      expect(port.portSecurityDisabledReason).toBe('the host firewall filters it');
      expect(port.allowedAddressPairs).toEqual([]);
      const body = resourcesOf(synthJson(stack), 'openstack_networking_port_v2')[0];
      expect(body.port_security_enabled).toBe(false);
      expect(body.no_security_groups).toBe(true);
      expect(body.security_group_ids).toBeUndefined();
      expect(body.allowed_address_pairs).toBeUndefined();
      // Still a member of the intent (host firewalls name it), but not of the security group.
      expect(connections.addresses).toEqual([port.address]);
      expect(connections.addressesOutsideSecurityGroup).toEqual([port.address]);
    });

    test('given disablePortSecurity twice, then the first reason is kept', () => {
      const { port } = portFixture();
      port.disablePortSecurity('first');
      port.disablePortSecurity('second');
      expect(port.portSecurityDisabledReason).toBe('first');
    });

    test('given disablePortSecurity without a reason, then it throws', () => {
      const { port } = portFixture();
      expect(() => port.disablePortSecurity(' ')).toThrow(/test\/Host: 'reason' \(' '\) must say why port security is off on the port 10\.0\.1\.2/);
      expect(port.portSecurityEnabled).toBe(true);
    });
  });
});
