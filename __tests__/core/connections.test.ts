import { Construct } from 'constructs';
import { Connections, Peer, Port } from '../../lib';
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
    expect(db.connections.ingressRules[0].source).toEqual({ kind: 'group', connections: app.connections });
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
    expect(db.connections.allows(Port.tcp(3306), (s) => s.kind === 'group')).toBe(true);
    expect(db.connections.allows(Port.tcp(22), () => true)).toBe(false);
    expect(db.connections.allows(Port.tcp(3306), (s) => s.kind === 'internet')).toBe(false);
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
