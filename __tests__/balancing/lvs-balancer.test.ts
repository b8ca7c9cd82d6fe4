import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSyntax, ExternalNetwork, Flavor, HealthCheck, Port, PrivateVSwitch, Router, ServerCluster } from '../../lib';
import { LvsForwarding, LvsScheduler } from '../../lib/balancing/keepalived-config';
import { DEFAULT_LVS_SIZING, LvsBalancer, LvsBalancerProps, lvsVipUnitName } from '../../lib/balancing/lvs-balancer';
import { checkKeepalived, checkKeepalivedAsOnServer, checkNftables, checkSystemdUnit, run, withNetns } from '../support/daemons';
import { resourcesOf, synthJson, testStack, hostFile as file, fakeTier, tierOf } from '../support/synth';
import { TrafficSourceKind } from '../../lib/core/connections';

const ADMIN = '203.0.113.0/24';

/** A stack with a vSwitch whose router has the OVHcloud gateway, and a small web tier to balance. */
function fixture(props: Partial<LvsBalancerProps> = {}) {
  const stack = testStack();
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  const lb = new LvsBalancer(stack, 'Lb', { vswitch, adminCidr: ADMIN, ...props });
  const web = fakeTier(stack, 'Web', vswitch);
  return { stack, vswitch, lb, web };
}

/** The smallest IServerTier: a ServerCluster and its connections. */


describe('LvsBalancer public address', () => {
  test('given a balancer, when synthesized, then one output named <path>_public_address holds its floating IP address', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const json = synthJson(stack);
    expect(Object.keys(json.output)).toEqual(['lb_public_address']);
    expect(json.output.lb_public_address.value).toMatch(/^\$\{openstack_networking_floatingip_v2\.Lb_FloatingIp_[0-9A-F]+\.address\}$/);
    expect(lb.publicAddressOutput.node.id).toBe('PublicAddress');
  });
});

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim());
}

/** The commands of a oneshot unit's ExecStartPre/ExecStart lines, and whether a failure is tolerated (`-`). */
function execLines(unit: string): { argv: string[]; mayFail: boolean }[] {
  return unit.split('\n').filter((l) => /^ExecStart(Pre)?=/.test(l)).map((l) => {
    const cmd = l.replace(/^ExecStart(Pre)?=/, '');
    return { argv: cmd.replace(/^-/, '').split(' '), mayFail: cmd.startsWith('-') };
  });
}

/** Applies a sysctl.d file inside namespace `ns` with `sysctl -p`. */
function applySysctlIn(ns: string, content: string): ReturnType<typeof run> {
  const dir = mkdtempSync(join(tmpdir(), 'hs-lvs-'));
  try {
    const path = join(dir, 'sysctl.conf');
    writeFileSync(path, content);
    return run(['ip', 'netns', 'exec', ns, 'sysctl', '-p', path]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a unit's start commands inside namespace `ns`, failing on the first that fails without `-`. */
function startUnitIn(ns: string, unit: string): void {
  for (const { argv, mayFail } of execLines(unit)) {
    const r = run(['ip', 'netns', 'exec', ns, ...argv]);
    if (!r.ok && !mayFail) throw new Error(`${argv.join(' ')}: ${r.output}`);
  }
}

describe('LvsBalancer: props and defaults', () => {
  test('given only vswitch and adminCidr, when created, then defaults are DR, wlc, the interface found at boot, a derived router id and advert 0.1 s', () => {
    const { lb } = fixture();
    expect(lb.forwarding).toBe(LvsForwarding.DIRECT_ROUTING);
    expect(lb.scheduler).toBe(LvsScheduler.WEIGHTED_LEAST_CONNECTION);
    expect(lb.interfaceName).toBeUndefined();
    expect(lb.advertIntervalSeconds).toBe(0.1);
    expect(lb.vipAddress).toBe('10.0.1.4');
    // 10.0.1.4 = 167772420; 167772420 mod 255 = 15; + 1
    expect(lb.virtualRouterId).toBe(16);
    expect(lb.externalNetwork.name).toBe('Ext-Net');
  });

  test('given no flavor, when created, then 2 anti-affine nodes of the default sizing exist', () => {
    const { stack, lb } = fixture();
    expect(lb.nodes.instances.map((i) => i.hostname)).toEqual(['lb-1', 'lb-2']);
    expect(lb.nodes.flavor.sizing).toEqual(DEFAULT_LVS_SIZING);
    expect(lb.nodes.flavor.name).toBe('c3-4');
    expect(resourcesOf(synthJson(stack), 'openstack_compute_servergroup_v2')[0].policies).toEqual(['anti-affinity']);
  });

  test('given explicit props, when created, then they are used', () => {
    const { lb } = fixture({ virtualRouterId: 42, vipAddress: '10.0.1.100', scheduler: LvsScheduler.ROUND_ROBIN, interfaceName: 'ens3', advertIntervalSeconds: 0.25, flavor: Flavor.named('b3-8') });
    expect([lb.virtualRouterId, lb.vipAddress, lb.scheduler, lb.interfaceName, lb.advertIntervalSeconds, lb.nodes.flavor.name]).toEqual([42, '10.0.1.100', 'rr', 'ens3', 0.25, 'b3-8']);
  });
});

describe('LvsBalancer: errors', () => {
  test.each([0, 256, 1.5])('given virtualRouterId %p, when created, then it throws', (id) => {
    expect(() => fixture({ virtualRouterId: id })).toThrow(/test\/Lb: 'virtualRouterId' \(.*\) must be an integer from 1 to 255/);
  });

  test('given a VIP outside the subnet, when created, then it throws naming vipAddress', () => {
    expect(() => fixture({ vipAddress: '10.0.2.5' })).toThrow(/test\/Lb: 'vipAddress' \('10.0.2.5'\) is outside the subnet 10.0.1.0\/24/);
  });

  test('given a VIP that is not an address, when created, then it throws', () => {
    expect(() => fixture({ vipAddress: '10.0.1' })).toThrow(/'vipAddress' \('10.0.1'\) must be an IPv4 address/);
  });

  test('given a VIP in the DHCP pool, when created, then the vSwitch refuses it', () => {
    expect(() => fixture({ vipAddress: '10.0.1.200' })).toThrow(/test\/Lb: 'vipAddress' \('10.0.1.200'\) is not in the planned range/);
  });

  test.each(['203.0.113.7/24', 'office'])('given adminCidr %p, when created, then it throws', (cidr) => {
    expect(() => fixture({ adminCidr: cidr })).toThrow(/'adminCidr' .* must be an IPv4 CIDR with no host bits set/);
  });

  test('given adminCidr 0.0.0.0/0, when created, then it throws', () => {
    expect(() => fixture({ adminCidr: '0.0.0.0/0' })).toThrow(/'adminCidr' \('0.0.0.0\/0'\) must not be the whole internet/);
  });

  test.each([0, 0.005, 41, Number.NaN])('given advertIntervalSeconds %p, when created, then it throws', (s) => {
    expect(() => fixture({ advertIntervalSeconds: s })).toThrow(/'advertIntervalSeconds' .* must be from 0.01 to 40.95 in steps of 0.01/);
  });

  test('given a bad interface name, when created, then it throws', () => {
    expect(() => fixture({ interfaceName: 'eth0; reboot' })).toThrow(/'interfaceName' \('eth0; reboot'\) must be a Linux interface name/);
  });

  test('given a vSwitch whose router has no gateway, when created, then it throws', () => {
    const stack = testStack();
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    expect(() => new LvsBalancer(stack, 'Lb', { vswitch, adminCidr: ADMIN })).toThrow(/'vswitch' \('test\/Net'\) has a router without an external gateway/);
  });

  test('given an external network other than the router gateway, when created, then it throws', () => {
    const stack = testStack();
    const router = new Router(stack, 'Router', { externalNetwork: ExternalNetwork.named('public') });
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24', router });
    expect(() => new LvsBalancer(stack, 'Lb', { vswitch, adminCidr: ADMIN })).toThrow(/'externalNetwork' \('Ext-Net'\) must be the gateway network of test\/Net's router \('public'\)/);
  });

  test('given two balancers with one router id on a vSwitch, when created, then the second throws', () => {
    const { stack, vswitch } = fixture({ virtualRouterId: 9 });
    expect(() => new LvsBalancer(stack, 'Lb2', { vswitch, adminCidr: ADMIN, virtualRouterId: 9 })).toThrow(/test\/Lb2: 'virtualRouterId' \(9\) is already used by test\/Lb/);
  });

  test('given no target, when validated, then the balancer reports it', () => {
    const { lb, web } = fixture();
    expect(lb.node.validate()).toEqual([expect.stringMatching(/test\/Lb: 'targets' \(\[\]\) must hold at least one target/)]);
    lb.addTarget(web, { port: 80 });
    expect(lb.node.validate()).toEqual([]);
  });

  test('given a port used twice, when added, then the second throws', () => {
    const { lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    expect(() => lb.addTarget(web, { port: 80 })).toThrow(/test\/Lb: 'port' \(80\) already has a virtual service on 10.0.1.4 \(to test\/Web\)/);
  });

  test.each([0, 65536, 80.5])('given port %p, when added, then it throws', (port) => {
    const { lb, web } = fixture();
    expect(() => lb.addTarget(web, { port })).toThrow(/'port' .* must be an integer from 1 to 65535/);
  });

  test.each([0, 65536])('given weight %p, when added, then it throws', (weight) => {
    const { lb, web } = fixture();
    expect(() => lb.addTarget(web, { port: 80, weight })).toThrow(/'weight' .* must be an integer from 1 to 65535/);
  });

  test('given a tier on another vSwitch, when added, then it throws', () => {
    const { stack, lb } = fixture();
    const other = new PrivateVSwitch(stack, 'Other', { cidr: '10.0.2.0/24' });
    expect(() => lb.addTarget(fakeTier(stack, 'Far', other), { port: 80 })).toThrow(/'tier' \('test\/Far'\) is on test\/Other; LVS real servers must be on the balancer's vSwitch test\/Net/);
  });

  test('given the balancer as its own target, when added, then it throws', () => {
    const { lb } = fixture();
    expect(() => lb.addTarget(tierOf(lb.nodes), { port: 80 })).toThrow(/'tier' \('test\/Lb\/Nodes'\) is the balancer itself/);
  });
});

describe('LvsBalancer: resources', () => {
  test('given direct routing (the default), when synthesized, then the directors\' ports have port security off, no security group and no address pair', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const ports = resourcesOf(synthJson(stack), 'openstack_networking_port_v2');
    for (const name of ['test-lb-nodes-instance1', 'test-lb-nodes-instance2']) {
      const port = ports.find((p) => p.name === name)!;
      expect(port.port_security_enabled).toBe(false);
      expect(port.no_security_groups).toBe(true);
      expect(port.security_group_ids).toBeUndefined();
      expect(port.allowed_address_pairs).toBeUndefined();
    }
    for (const host of lb.nodes.instances) {
      expect(host.port.portSecurityEnabled).toBe(false);
      expect(host.port.portSecurityDisabledReason).toMatch(/^LVS direct-routing director of test\/Lb: .*stateful security groups/);
    }
    const vip = ports.find((p) => p.name === 'test-lb-vip-port')!;
    expect(vip.fixed_ip).toEqual([expect.objectContaining({ ip_address: '10.0.1.4' })]);
    expect(vip.device_id).toBeUndefined();
  });

  test('given direct routing, when another group allows a port from the directors, then the rule also names each director\'s address, as they are in no group', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const rule = web.connections.allowFrom(lb, Port.tcp(22), 'SSH from the directors');
    expect(rule.addressResources.map((r) => r.friendlyUniqueId)).toHaveLength(2);
    const rules = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2').filter((r) => r.port_range_min === 22 && String(r.description).startsWith('SSH from the directors'));
    expect(rules.map((r) => r.remote_ip_prefix ?? r.remote_group_id).sort()).toEqual([
      expect.stringMatching(/^\$\{openstack_networking_secgroup_v2\.Lb_Nodes_Connections_\w+\.id\}$/), '10.0.1.2/32', '10.0.1.3/32',
    ]);
  });

  test('given NAT, when synthesized, then the directors\' ports keep port security and allow the VIP and forwarded client addresses', () => {
    const { stack, lb, web } = fixture({ forwarding: LvsForwarding.NAT });
    lb.addTarget(web, { port: 80 });
    const ports = resourcesOf(synthJson(stack), 'openstack_networking_port_v2');
    for (const name of ['test-lb-nodes-instance1', 'test-lb-nodes-instance2']) {
      const port = ports.find((p) => p.name === name)!;
      expect(port.port_security_enabled).toBeUndefined();
      expect(port.security_group_ids).toHaveLength(1);
      expect(port.allowed_address_pairs).toEqual([{ ip_address: '10.0.1.4' }, { ip_address: '0.0.0.0/0' }]);
    }
  });

  test('given a balancer, when synthesized, then a floating IP from Ext-Net is associated with the VIP port after the router interface', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const json = synthJson(stack);
    expect(resourcesOf(json, 'openstack_networking_floatingip_v2')).toEqual([expect.objectContaining({ pool: 'Ext-Net' })]);
    const [assoc] = resourcesOf(json, 'openstack_networking_floatingip_associate_v2');
    expect(assoc.floating_ip).toMatch(/^\$\{openstack_networking_floatingip_v2\.Lb_FloatingIp_[0-9A-F]+\.address\}$/);
    expect(assoc.port_id).toMatch(/^\$\{openstack_networking_port_v2\.Lb_VipPort_[0-9A-F]+\.id\}$/);
    expect(assoc.depends_on).toEqual([expect.stringMatching(/^openstack_networking_router_interface_v2\.Net_RouterInterface_/)]);
    expect(lb.node.defaultChild).toBe(lb.floatingIp);
  });

  test('given a balancer, when synthesized, then VRRP is allowed between the nodes and SSH only from the admin CIDR', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const rules = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2');
    const own = (r: Record<string, any>) => /Lb_Nodes_Connections_[0-9A-F]+\.id/.test(r.security_group_id);
    const vrrp = rules.filter((r) => own(r) && r.protocol === 'vrrp');
    expect(vrrp).toEqual([expect.objectContaining({ remote_group_id: vrrp[0].security_group_id, direction: 'ingress' })]);
    const ssh = rules.filter((r) => own(r) && r.port_range_min === 22);
    expect(ssh).toEqual([expect.objectContaining({ protocol: 'tcp', port_range_max: 22, remote_ip_prefix: ADMIN })]);
    expect(rules.filter((r) => own(r) && r.remote_ip_prefix === '0.0.0.0/0').map((r) => r.port_range_min)).toEqual([80]);
  });

  test('given a target, when added, then the tier allows the port from the internet with a reason', () => {
    const { lb, web } = fixture();
    const service = lb.addTarget(web, { port: 443, weight: 2 });
    expect(service.realServerRule.source).toEqual({ kind: TrafficSourceKind.INTERNET, reason: expect.stringMatching(/clients' source addresses reach it unchanged/) });
    expect(web.connections.ingressRules).toContain(service.realServerRule);
    expect(service.listenerRule.source.kind).toBe(TrafficSourceKind.INTERNET);
    expect([service.port, service.weight, service.realServers]).toEqual([443, 2, web.cluster.addresses]);
    expect(lb.services).toEqual([service]);
  });
});

describe('LvsBalancer: director configs', () => {
  test('given two nodes, when rendered, then each peers with the other by unicast with priorities 150/100 and nopreempt', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80, healthCheck: HealthCheck.http({ path: '/health', unhealthyThreshold: 3, intervalSeconds: 5, timeoutSeconds: 1 }) });
    const [a, b] = lb.nodes.addresses;
    const one = lines(file(stack, 'lb-1', '/etc/keepalived/keepalived.conf'));
    const two = lines(file(stack, 'lb-2', '/etc/keepalived/keepalived.conf'));
    expect(one).toEqual(expect.arrayContaining([`unicast_src_ip ${a}`, b, 'priority 150', 'state BACKUP', 'nopreempt', 'virtual_router_id 16', 'include /run/hosting-stacks/keepalived-nic.conf', 'interface $NIC', '10.0.1.4/32 dev $NIC']));
    expect(two).toEqual(expect.arrayContaining([`unicast_src_ip ${b}`, a, 'priority 100', 'state BACKUP', 'nopreempt', 'virtual_router_id 16']));
    expect(one).toEqual(expect.arrayContaining(['virtual_server 10.0.1.4 80 {', 'lvs_method DR', 'lvs_sched wlc', 'delay_loop 5', 'path /health', 'status_code 200', 'connect_timeout 1', 'retry 2', 'delay_before_retry 5']));
    for (const address of web.cluster.addresses) expect(one).toContain(`real_server ${address} 80 {`);
  });

  test('given both nodes configs, when checked by keepalived -t with $NIC defined as ens3, then both pass', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80, healthCheck: HealthCheck.http() });
    lb.addTarget(web, { port: 443 });
    for (const host of ['lb-1', 'lb-2']) {
      const r = checkKeepalivedAsOnServer(file(stack, host, '/etc/keepalived/keepalived.conf'));
      expect(r.output).toBe('');
      expect(r.ok).toBe(true);
    }
  });

  test('given interfaceName ens3, when checked by keepalived -t, then it passes with ens3 and fails with only eth0', () => {
    const { stack, lb, web } = fixture({ interfaceName: 'ens3' });
    lb.addTarget(web, { port: 80 });
    const config = file(stack, 'lb-1', '/etc/keepalived/keepalived.conf');
    expect(lines(config)).toContain('interface ens3');
    expect(checkKeepalived(config, ['ens3']).ok).toBe(true);
    expect(checkKeepalived(config, ['eth0']).ok).toBe(false);
  });

  test('given a balancer, when rendered, then the nftables ruleset follows its connections and passes nft -c', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const monitor = new ServerCluster(stack, 'Monitor', { vswitch: lb.vswitch, count: 1, flavor: Flavor.named('b3-8') });
    // Declared after construction: the ruleset is rendered at synth, so it is included.
    lb.connections.allowFrom(monitor, Port.tcp(9100), 'node exporter scrape');
    for (const host of ['lb-1', 'lb-2']) {
      const ruleset = file(stack, host, '/etc/nftables.conf');
      expect(lines(ruleset)).toEqual(expect.arrayContaining([
        'type filter hook input priority filter; policy drop;',
        'type filter hook forward priority filter; policy drop;',
        `ip saddr { ${[...lb.nodes.addresses, lb.vipAddress].join(', ')} } ip protocol vrrp accept comment "VRRP adverts between the LVS directors"`,
        `ip saddr { ${ADMIN} } tcp dport 22 accept comment "SSH from the admin network"`,
        `ip saddr { ${monitor.addresses[0]} } tcp dport 9100 accept comment "node exporter scrape"`,
      ]));
      // IPVS takes the VIP's packets in LOCAL_IN, after the input chain: accepted to the VIP only.
      expect(ruleset).toMatch(/^ {8}ip daddr \{ 10\.0\.1\.4 \} tcp dport 80 accept comment "internet: LVS virtual service 10.0.1.4:80/m);
      expect(ruleset).not.toMatch(/^ {8}tcp dport 80 accept/m);
      // A DR director routes nothing: its forward chain accepts only what it already let through.
      const forward = /chain forward \{([\s\S]*?)\n {4}\}/.exec(ruleset)![1];
      expect(forward.split('\n').filter((l) => /accept/.test(l)).map((l) => l.trim())).toEqual(['ct state established,related accept']);
      expect(ruleset).not.toMatch(/ct state invalid drop/);
      expect(ruleset).not.toMatch(/dport 22 accept comment "(?!SSH)/);
      const r = checkNftables(ruleset);
      expect(r.output).toBe('');
      expect(r.ok).toBe(true);
    }
  });

  test('given a balancer, when rendered, then the nodes install and enable nftables before keepalived', () => {
    const { lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    for (const host of lb.nodes.instances) {
      expect(host.cloudConfig.packages).toEqual(expect.arrayContaining(['ipvsadm', 'keepalived', 'nftables']));
      expect(host.cloudConfig.services).toEqual(['hosting-stacks-metadata-guard.service', 'hosting-stacks-nic.service', 'nftables', 'keepalived']);
      expect(host.cloudConfig.hostFiles.map((f) => [f.path, f.syntax])).toEqual([
        ['/etc/hosting-stacks/metadata-guard.nft', ConfigSyntax.NFTABLES],
        ['/etc/keepalived/keepalived.conf', ConfigSyntax.KEEPALIVED],
        ['/etc/nftables.conf', ConfigSyntax.NFTABLES],
        ['/etc/systemd/system/hosting-stacks-metadata-guard.service', ConfigSyntax.SYSTEMD_UNIT],
        ['/etc/systemd/system/hosting-stacks-nic.service', ConfigSyntax.SYSTEMD_UNIT],
        ['/etc/systemd/system/keepalived.service.d/hosting-stacks-firewall.conf', undefined],
        ['/etc/systemd/system/keepalived.service.d/hosting-stacks-nic.conf', undefined],
        ['/usr/local/sbin/hosting-stacks-nic', ConfigSyntax.SHELL],
      ]);
      // Fail closed: a director whose ruleset did not load never takes the VIP.
      const dropIn = host.cloudConfig.hostFiles.find((f) => f.path === '/etc/systemd/system/keepalived.service.d/hosting-stacks-firewall.conf')!.content;
      expect(lines(dropIn)).toEqual(expect.arrayContaining(['[Unit]', 'Requires=nftables.service', 'After=nftables.service']));
    }
  });
});

describe('LvsBalancer: direct-routing real servers', () => {
  test('given a DR target, when added, then each real server gets the VIP unit, the ARP sysctls and the VIP address pair', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    lb.addTarget(web, { port: 443 });
    const unit = lvsVipUnitName('10.0.1.4');
    expect(unit).toBe('lvs-vip-10-0-1-4.service');
    for (const host of web.cluster.instances) {
      expect(host.port.allowedAddressPairs).toEqual(['10.0.1.4']);
      expect(host.cloudConfig.services).toEqual(['hosting-stacks-metadata-guard.service', unit]);
      const paths = host.cloudConfig.hostFiles.map((f) => f.path);
      expect(paths).toEqual(['/etc/hosting-stacks/metadata-guard.nft', '/etc/sysctl.d/60-lvs-direct-routing.conf', '/etc/systemd/system/hosting-stacks-metadata-guard.service', `/etc/systemd/system/${unit}`]);
      const sysctl = lines(file(stack, host.hostname, '/etc/sysctl.d/60-lvs-direct-routing.conf'));
      expect(sysctl).toEqual(expect.arrayContaining(['net.ipv4.conf.all.arp_ignore = 1', 'net.ipv4.conf.all.arp_announce = 2']));
      expect(lines(file(stack, host.hostname, `/etc/systemd/system/${unit}`))).toContain('ExecStart=/usr/sbin/ip addr replace 10.0.1.4/32 dev lo');
      expect(host.cloudConfig.render()).toMatch(/- - sysctl\n {4}- -p\n {4}- \/etc\/sysctl.d\/60-lvs-direct-routing.conf/);
    }
    const ports = resourcesOf(synthJson(stack), 'openstack_networking_port_v2').filter((p) => /^test-web-/.test(p.name));
    expect(ports.map((p) => p.allowed_address_pairs)).toEqual([[{ ip_address: '10.0.1.4' }], [{ ip_address: '10.0.1.4' }]]);
  });

  test('given the DR unit, when verified by systemd-analyze, then it is clean', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const r = checkSystemdUnit(file(stack, 'web-1', '/etc/systemd/system/lvs-vip-10-0-1-4.service'), 'lvs-vip-10-0-1-4.service');
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given the DR files, when applied in a namespace, then the VIP sits on lo and ARP is restricted', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    const sysctl = file(stack, 'web-1', '/etc/sysctl.d/60-lvs-direct-routing.conf');
    const unit = file(stack, 'web-1', '/etc/systemd/system/lvs-vip-10-0-1-4.service');
    withNetns(['eth0'], (ns) => {
      expect(applySysctlIn(ns, sysctl).ok).toBe(true);
      expect(run(['ip', 'netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce']).output.split('\n').slice(0, 2)).toEqual(['1', '2']);
      startUnitIn(ns, unit);
      startUnitIn(ns, unit); // a restart must not fail
      expect(run(['ip', '-n', ns, '-4', '-o', 'addr', 'show', 'dev', 'lo']).output).toContain('inet 10.0.1.4/32');
    });
  });
});

describe('LvsBalancer: NAT', () => {
  test('given NAT, when rendered, then directors forward, never redirect, and admit the real servers ports both ways', () => {
    const { stack, lb, web } = fixture({ forwarding: LvsForwarding.NAT });
    lb.addTarget(web, { port: 80 });
    const [a, b] = web.cluster.addresses;
    expect(lines(file(stack, 'lb-1', '/etc/sysctl.d/60-lvs-director.conf'))).toEqual(expect.arrayContaining([
      'net.ipv4.ip_forward = 1', 'net.ipv4.conf.all.send_redirects = 0', 'net.ipv4.conf.*.send_redirects = 0',
    ]));
    const ruleset = file(stack, 'lb-2', '/etc/nftables.conf');
    expect(lines(ruleset)).toEqual(expect.arrayContaining([
      expect.stringMatching(new RegExp(`^ip daddr \\{ ${a}, ${b} \\} tcp dport 80 accept`)),
      expect.stringMatching(new RegExp(`^ip saddr \\{ ${a}, ${b} \\} tcp sport 80 accept`)),
    ]));
    expect(checkNftables(ruleset).ok).toBe(true);
    expect(lines(file(stack, 'lb-1', '/etc/keepalived/keepalived.conf'))).toContain('lvs_method NAT');
    expect(checkKeepalivedAsOnServer(file(stack, 'lb-1', '/etc/keepalived/keepalived.conf')).ok).toBe(true);
    // NAT real servers keep no VIP: they never send from it.
    expect(web.cluster.instances[0].port.allowedAddressPairs).toEqual([]);
  });

  test('given DR, when rendered, then the directors have no sysctl file and forward nothing', () => {
    const { stack, lb, web } = fixture();
    lb.addTarget(web, { port: 80 });
    expect(lb.forwardRules()).toEqual([]);
    expect(stack.renderHostFiles().filter((f) => f.host === 'lb-1').map((f) => f.path)).not.toContain('/etc/sysctl.d/60-lvs-director.conf');
  });

  test('given the NAT director sysctls, when applied in a namespace whose NIC is ens3, then every key exists and ens3 sends no redirects', () => {
    const { stack, lb, web } = fixture({ forwarding: LvsForwarding.NAT });
    lb.addTarget(web, { port: 80 });
    const content = file(stack, 'lb-1', '/etc/sysctl.d/60-lvs-director.conf');
    withNetns(['ens3'], (ns) => {
      const r = applySysctlIn(ns, content);
      expect(r.output).not.toMatch(/cannot stat|Invalid/);
      expect(r.ok).toBe(true);
      expect(run(['ip', 'netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.conf.ens3.send_redirects']).output.trim()).toBe('0');
    });
  });

  test('given the NAT reply-route unit, when started in a namespace, then only the balanced ports replies go via the VIP', () => {
    const { stack, lb, web } = fixture({ forwarding: LvsForwarding.NAT });
    lb.addTarget(web, { port: 80 });
    lb.addTarget(web, { port: 443 });
    const host = web.cluster.instances[0];
    const unitName = `lvs-nat-reply-${lb.virtualRouterId}.service`;
    expect(host.cloudConfig.services).toEqual(['hosting-stacks-metadata-guard.service', unitName]);
    const unit = file(stack, host.hostname, `/etc/systemd/system/${unitName}`);
    expect(checkSystemdUnit(unit, unitName).ok).toBe(true);
    withNetns(['eth0'], (ns) => {
      expect(run(['ip', '-n', ns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']).ok).toBe(true);
      expect(run(['ip', '-n', ns, 'route', 'add', 'default', 'via', lb.vswitch.gatewayIp]).ok).toBe(true);
      startUnitIn(ns, unit);
      startUnitIn(ns, unit); // a restart must not fail or duplicate rules
      const routeGet = (...args: string[]) => run(['ip', '-n', ns, 'route', 'get', ...args]).output;
      const client = '198.51.100.7';
      expect(routeGet(client, 'from', host.address, 'ipproto', 'tcp', 'sport', '80')).toContain(`via ${lb.vipAddress}`);
      expect(routeGet(client, 'from', host.address, 'ipproto', 'tcp', 'sport', '443')).toContain(`via ${lb.vipAddress}`);
      expect(routeGet(client, 'from', host.address, 'ipproto', 'tcp', 'sport', '22')).toContain(`via ${lb.vswitch.gatewayIp}`);
      // Health-check replies to a director stay on the vSwitch.
      expect(routeGet(lb.nodes.addresses[1], 'from', host.address, 'ipproto', 'tcp', 'sport', '80')).not.toContain('via');
      expect(run(['ip', '-n', ns, 'rule', 'show']).output.match(/sport 80/g)).toHaveLength(1);
    });
  });
});
