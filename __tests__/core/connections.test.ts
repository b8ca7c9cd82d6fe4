import { Construct } from 'constructs';
import { Testing } from 'cdktf';
import { Connections, HostingStack, HostingStacksError, Peer, Port, TrafficSource, TrafficSourceKind } from '../../lib';
import { resourcesOf, synthJson, testStack } from '../support/synth';

function twoGroups() {
  const stack = testStack();
  const app = { connections: new Connections(new Construct(stack, 'App'), 'Connections') };
  const db = { connections: new Connections(new Construct(stack, 'Db'), 'Connections') };
  return { stack, app, db };
}

describe('Connections', () => {
  test('given a peer construct, when allowFrom, then an ingress rule references the peer security group', () => {
    const { stack, app, db } = twoGroups();
    db.connections.allowFrom(app, Port.tcp(3306));
    const rules = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2');
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 3306, port_range_max: 3306 });
    expect(rules[0].remote_group_id).toMatch(/App_Connections/);
    expect(rules[0].security_group_id).toMatch(/Db_Connections/);
    expect(rules[0].remote_ip_prefix).toBeUndefined();
  });

  test('allowTo declares the rule on the peer side', () => {
    const { app, db } = twoGroups();
    app.connections.allowTo(db, Port.tcp(3306));
    expect(db.connections.ingressRules).toHaveLength(1);
    expect(db.connections.ingressRules[0].source).toEqual(TrafficSource.group(app.connections));
    expect(app.connections.ingressRules).toHaveLength(0);
  });

  test('declaring the same flow twice returns the first rule', () => {
    const { app, db } = twoGroups();
    const a = db.connections.allowFrom(app, Port.tcp(3306));
    const b = db.connections.allowFrom(app, Port.tcp(3306));
    expect(b).toBe(a);
    expect(db.connections.ingressRules).toHaveLength(1);
  });

  test('a CIDR peer becomes remote_ip_prefix', () => {
    const { stack, db } = twoGroups();
    db.connections.allowFrom(Peer.ipv4('198.51.100.0/24'), Port.tcp(22));
    expect(resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2')[0]).toMatchObject({ remote_ip_prefix: '198.51.100.0/24', port_range_min: 22 });
  });

  test('VRRP between members is protocol vrrp with the group as remote', () => {
    const { stack, db } = twoGroups();
    db.connections.allowInternally(Port.vrrp());
    const rule = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2')[0];
    expect(rule.protocol).toBe('vrrp');
    expect(rule.port_range_min).toBeUndefined();
    expect(rule.remote_group_id).toBe(rule.security_group_id);
  });

  test('allowFromInternet opens 0.0.0.0/0 and keeps the reason', () => {
    const { stack, db } = twoGroups();
    db.connections.allowFromInternet(Port.tcp(443), 'public VIP');
    expect(resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2')[0]).toMatchObject({ remote_ip_prefix: '0.0.0.0/0', description: 'internet: public VIP' });
  });

  test('no rule means no ingress: a new group has no rules', () => {
    const { stack } = twoGroups();
    expect(resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2')).toHaveLength(0);
    expect(resourcesOf(synthJson(stack), 'openstack_networking_secgroup_v2')).toHaveLength(2);
  });

  test('allows() answers from the declared rules', () => {
    const { app, db } = twoGroups();
    db.connections.allowFrom(app, Port.tcpRange(3300, 3310));
    expect(db.connections.allows(Port.tcp(3306), (s) => s.kind === TrafficSourceKind.GROUP)).toBe(true);
    expect(db.connections.allows(Port.tcp(22), () => true)).toBe(false);
    expect(db.connections.allows(Port.tcp(3306), (s) => s.kind === TrafficSourceKind.INTERNET)).toBe(false);
  });

  describe('errors', () => {
    test('refuses 0.0.0.0/0 through allowFrom', () => {
      const { db } = twoGroups();
      expect(() => db.connections.allowFrom(Peer.ipv4('0.0.0.0/0'), Port.tcp(80))).toThrow(/test\/Db: 'peer' \('0\.0\.0\.0\/0'\) is the whole internet.*allowFromInternet/);
    });
    test('refuses a bad CIDR peer', () => {
      const { db } = twoGroups();
      expect(() => db.connections.allowFrom(Peer.ipv4('10.0.0.1/8'), Port.tcp(80))).toThrow(/test\/Db: 'peer' \('10\.0\.0\.1\/8'\) must be an IPv4 CIDR/);
    });
    test('refuses allowFromInternet without a reason', () => {
      const { db } = twoGroups();
      expect(() => db.connections.allowFromInternet(Port.tcp(80), ' ')).toThrow(/test\/Db: 'reason' \(' '\) must say why/);
    });
    test.each([[0, 1], [1, 70000], [10, 5], [1.5, 2]])('refuses the port range %p-%p, naming the construct that receives it', (a, b) => {
      const { app, db } = twoGroups();
      expect(() => db.connections.allowFrom(app, Port.tcpRange(a, b)))
        .toThrow(new RegExp(`^test/Db: 'port' \\('tcp ${a}-${b}'\\) must be integers from 1 to 65535 with from <= to$`.replace(/\./g, '\\.')));
      expect(db.connections.ingressRules).toHaveLength(0);
    });
    test('refuses a single port out of range, naming the construct that receives it', () => {
      const { db } = twoGroups();
      expect(() => db.connections.allowFromInternet(Port.udp(70000), 'public by nature')).toThrow(/^test\/Db: 'port' \('udp 70000'\) must be integers from 1 to 65535/);
    });
    test('a valid port passes validate() unchanged', () => {
      const { db } = twoGroups();
      const port = Port.tcp(443);
      expect(port.validate(db.connections.owner, 'port')).toBe(port);
    });
  });

  describe('members outside the security group (ports with port security off)', () => {
    test('given a rule from a group, when a member of that group leaves the security group, then the rule also admits its address', () => {
      const { stack, app, db } = twoGroups();
      app.connections.addMemberAddress('10.0.0.5');
      const rule = db.connections.allowFrom(app, Port.tcp(3306), 'from the app');
      app.connections.addMemberOutsideSecurityGroup('10.0.0.6');
      expect(app.connections.addresses).toEqual(['10.0.0.5', '10.0.0.6']);
      expect(rule.addressResources).toHaveLength(1);
      const rules = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2');
      expect(rules.map((r) => r.remote_ip_prefix ?? 'group').sort()).toEqual(['10.0.0.6/32', 'group']);
      const byAddress = rules.find((r) => r.remote_ip_prefix === '10.0.0.6/32')!;
      expect(byAddress).toMatchObject({ protocol: 'tcp', port_range_min: 3306, port_range_max: 3306 });
      expect(byAddress.security_group_id).toMatch(/Db_Connections/);
      expect(byAddress.description).toBe('from the app (member 10.0.0.6: port security off, outside the group)');
    });

    test('given a member outside the security group, when a rule from its group is declared later, then it admits the address too', () => {
      const { stack, app, db } = twoGroups();
      app.connections.addMemberOutsideSecurityGroup('10.0.0.6');
      app.connections.addMemberOutsideSecurityGroup('10.0.0.6');
      db.connections.allowFrom(app, Port.tcp(3306));
      const rules = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2');
      expect(rules.map((r) => r.remote_ip_prefix ?? 'group').sort()).toEqual(['10.0.0.6/32', 'group']);
    });

    test('given a rule between a group\'s own members, then no address rule is added (the group binds only its ports)', () => {
      const { stack, app } = twoGroups();
      app.connections.addMemberOutsideSecurityGroup('10.0.0.6');
      app.connections.allowInternally(Port.vrrp());
      expect(resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2').map((r) => r.remote_ip_prefix ?? 'group')).toEqual(['group']);
    });
  });
});

describe('TrafficSource', () => {
  test('given a CIDR, when TrafficSource.cidr, then its kind is CIDR and only cidr is set', () => {
    const s = TrafficSource.cidr('198.51.100.0/24');
    expect(TrafficSource.isTrafficSource(s)).toBe(true);
    expect([s.kind, s.cidr, s.reason, s.connections]).toEqual([TrafficSourceKind.CIDR, '198.51.100.0/24', undefined, undefined]);
  });

  test('given a reason, when TrafficSource.internet, then its kind is INTERNET and only reason is set', () => {
    const s = TrafficSource.internet('public VIP');
    expect([s.kind, s.cidr, s.reason, s.connections]).toEqual([TrafficSourceKind.INTERNET, undefined, 'public VIP', undefined]);
  });

  test('given a Connections, when TrafficSource.group, then its kind is GROUP and only connections is set', () => {
    const { app } = twoGroups();
    const s = TrafficSource.group(app.connections);
    expect(s.kind).toBe(TrafficSourceKind.GROUP);
    expect(s.connections).toBe(app.connections);
    expect([s.cidr, s.reason]).toEqual([undefined, undefined]);
  });

  test('given rules of each kind, then their sources are the ones the factories make', () => {
    const { app, db } = twoGroups();
    db.connections.allowFrom(Peer.ipv4('198.51.100.0/24'), Port.tcp(443));
    db.connections.allowFromInternet(Port.tcp(80), 'public VIP');
    db.connections.allowFrom(app, Port.tcp(3306));
    db.connections.allowInternally(Port.vrrp());
    expect(db.connections.ingressRules.map((r) => r.source)).toEqual([
      TrafficSource.cidr('198.51.100.0/24'),
      TrafficSource.internet('public VIP'),
      TrafficSource.group(app.connections),
      TrafficSource.group(db.connections),
    ]);
    expect(db.connections.ingressRules.every((r) => TrafficSource.isTrafficSource(r.source))).toBe(true);
    expect(TrafficSource.isTrafficSource({ kind: TrafficSourceKind.CIDR, cidr: '198.51.100.0/24' })).toBe(false);
  });

  describe('errors', () => {
    const untyped = <T>(value: unknown): T => value as T;
    test.each([
      ['10.0.0.1/8', /^TrafficSource\.cidr: 'cidr' \('10\.0\.0\.1\/8'\) must be an IPv4 CIDR with no host bits set/],
      ['0.0.0.0/0', /^TrafficSource\.cidr: 'cidr' \('0\.0\.0\.0\/0'\) must be .*, other than 0\.0\.0\.0\/0 \(that is TrafficSource\.internet\(reason\)\)/],
      [undefined, /^TrafficSource\.cidr: 'cidr' \(undefined\) must be an IPv4 CIDR/],
    ])('refuses TrafficSource.cidr(%p)', (cidr, error) => {
      expect(() => TrafficSource.cidr(untyped(cidr))).toThrow(HostingStacksError);
      expect(() => TrafficSource.cidr(untyped(cidr))).toThrow(error);
    });
    test('refuses TrafficSource.internet without a reason', () => {
      expect(() => TrafficSource.internet(' ')).toThrow(/^TrafficSource\.internet: 'reason' \(' '\) must be one line of 1 to 1024 characters.*: why the construct is reachable from 0\.0\.0\.0\/0$/);
    });
    test('refuses TrafficSource.group of something that is not a Connections', () => {
      const { app } = twoGroups();
      expect(() => TrafficSource.group(untyped(app))).toThrow(HostingStacksError);
      expect(() => TrafficSource.group(untyped(app))).toThrow(/^TrafficSource\.group: 'connections' \('<an object \{connections\}>'\) must be a Connections/);
    });
  });
});

describe('Peer', () => {
  test('given a construct, when Peer.of, then allowFrom makes the same rule as the construct itself', () => {
    const { stack, app, db } = twoGroups();
    const peer = Peer.of(app);
    expect([Peer.isPeer(peer), peer.connectable, peer.cidr]).toEqual([true, app, undefined]);
    const rule = db.connections.allowFrom(peer, Port.tcp(3306));
    expect(rule.source).toEqual(TrafficSource.group(app.connections));
    expect(rule.description).toBe('from test/App');
    expect(db.connections.allowFrom(app, Port.tcp(3306))).toBe(rule);
    const rules = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2');
    expect(rules).toHaveLength(1);
    expect(rules[0].remote_group_id).toMatch(/App_Connections/);
  });

  test('given a CIDR, when Peer.ipv4, then only cidr is set', () => {
    const peer = Peer.ipv4('198.51.100.0/24');
    expect([peer.cidr, peer.connectable]).toEqual(['198.51.100.0/24', undefined]);
  });

  describe('errors', () => {
    const untyped = <T>(value: unknown): T => value as T;
    test.each([
      ['a string', '198.51.100.0/24', /^Peer\.of: 'connectable' \('198\.51\.100\.0\/24'\) must be a construct with connections \(IConnectable/],
      ['undefined', undefined, /^Peer\.of: 'connectable' \(undefined\) must be a construct with connections/],
      ['a look-alike', { connections: {} }, /^Peer\.of: 'connectable' \('<an object \{connections\}>'\) must be a construct with connections/],
    ])('refuses Peer.of(%s)', (_, value, error) => {
      expect(() => Peer.of(untyped(value))).toThrow(HostingStacksError);
      expect(() => Peer.of(untyped(value))).toThrow(error);
    });

    test("refuses Peer.of(a construct of another stack) where the rule is made, naming the receiving construct", () => {
      const app = Testing.app();
      const a = new HostingStack(app, 'a');
      const b = new HostingStack(app, 'b');
      const db = { connections: new Connections(new Construct(a, 'Db'), 'Connections') };
      const other = new Construct(b, 'Other');
      const otherConnectable = { connections: new Connections(other, 'Connections') };
      expect(() => db.connections.allowFrom(Peer.of(otherConnectable), Port.tcp(3306)))
        .toThrow(/^a\/Db: 'peer' \('<an object \{connections\}>'\) is in stack 'b'; it must be in the same stack 'a'/);
      expect(db.connections.ingressRules).toHaveLength(0);
    });
  });
});
