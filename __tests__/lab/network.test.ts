/**
 * The lab's data plane enforces Neutron's rules: security groups (stateful, remote groups),
 * anti-spoofing with allowed address pairs, conntrack per port, floating IPs. Each test builds its
 * own lab from a tiny hand-written model, with traffic only between the lab's own namespaces.
 */
import { requireLabHost } from '../support/daemons';
import { LabNetwork } from '../../lib/lab/network';
import { LabMetadataService } from '../../lib/lab/metadata-service';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabStackModel } from '../../lib/lab/model';
import { addressOf, CLIENT_ADDRESS, group, groupKey, ingress, macOf, portKey, ROUTER, serverKey, stackModel, SUBNET_CIDR } from './lab-fixtures';
import { sendArpRequest, startTcpServer, startUdpServer, tcpRequest, udpSend, waitFor, type RunningServer } from './lab-traffic';

/** Fails (never skips) where the lab cannot run. */
function describeIfRoot(name: string, fn: () => void): void {
  describe(name, () => {
    beforeAll(() => requireLabHost(['ip', 'nft', 'python3', 'timeout', 'curl']));
    fn();
  });
}

const VIP = '10.77.1.100';
const FIP = '198.18.0.50';
/** Flows that must work are retried (a loaded machine can lose one exchange); blocked ones are tried once. */
const MUST_WORK = { attempts: 3 };
const tcp8080 = { protocol: 'tcp', portRangeMin: 8080, portRangeMax: 8080 };

/** Builds a lab for one test and always removes it, with every server started in it. */
async function withLab(labId: string, model: LabStackModel, body: (lab: LabNetwork, servers: RunningServer[]) => Promise<void>): Promise<void> {
  await LabNetwork.removeLabNamespaces(labId);
  const servers: RunningServer[] = [];
  let lab: LabNetwork | undefined;
  try {
    lab = await LabNetwork.create(model, { labId });
    await body(lab, servers);
  } finally {
    servers.forEach((s) => s.stop());
    await lab?.destroy();
    await LabNetwork.removeLabNamespaces(labId);
  }
}

const nsOf = (lab: LabNetwork, name: string): string => lab.namespaceOf(serverKey(name));

describeIfRoot('LabNetwork enforces Neutron rules', () => {
  const usedIds = ['t1', 't2', 't3', 't4a', 't4b', 't5', 't6', 't7', 't8', 't9'];
  afterAll(async () => {
    for (const id of usedIds) await LabNetwork.removeLabNamespaces(id);
  });

  test('builds named namespaces, short interface names, and destroy removes them all (idempotent)', async () => {
    let model = stackModel([{ name: 'a', index: 1, groups: ['web'] }], [group('web', [])], [{ server: 'a', address: FIP }]);
    const lbKey = 'openstack_lb_loadbalancer_v2.Lb';
    model = {
      ...model,
      ports: [
        ...model.ports,
        {
          key: `${lbKey}#vip`,
          name: 'lb-vip',
          networkKey: model.networks[0].key,
          fixedIps: [{ subnetKey: model.subnets[0].key, ipAddress: VIP }],
          macAddress: 'fa:16:3e:00:00:99',
          portSecurity: true,
          securityGroupKeys: [groupKey('web')],
          allowedAddressPairs: [],
          owner: { kind: 'loadbalancer', loadBalancerKey: lbKey },
        },
      ],
      loadBalancers: [{ key: lbKey, name: 'lb', vipAddress: VIP, vipSubnetKey: model.subnets[0].key, vipPortKey: `${lbKey}#vip`, listeners: [], pools: [] }],
    };
    await LabNetwork.removeLabNamespaces('t6');
    const lab = await LabNetwork.create(model, { labId: 't6' });
    try {
      expect(lab.namespaces).toEqual(['hs-t6-fab', 'hs-t6-net', 'hs-t6-r0', 'hs-t6-s0', 'hs-t6-p0', 'hs-t6-a0', 'hs-t6-p1']);
      expect(lab.namespaceOf(lbKey)).toBe('hs-t6-a0');
      expect(lab.nicOf(`${lbKey}#vip`)).toBe('eth1');
      expect((await lab.exec('hs-t6-a0', ['ip', '-o', 'address', 'show', 'eth1'])).stdout).toContain(`inet ${VIP}/24`);
      expect(lab.routers.get(ROUTER)?.gatewayAddress).toBe('198.18.0.3');
      expect(lab.namespaceOf(serverKey('a'))).toBe('hs-t6-s0');
      expect(lab.nicOf(portKey('a'))).toBe('ens3');
      const link = await lab.exec('hs-t6-s0', ['ip', '-o', 'link', 'show', 'ens3']);
      expect(link.stdout).toContain(macOf(1));
      const route = await lab.exec('hs-t6-s0', ['ip', 'route', 'show', 'default']);
      expect(route.stdout).toMatch(/default via 10\.77\.1\.1 dev ens3/);
      const clientRoutes = await lab.exec(lab.clientNamespace, ['ip', 'route', 'show']);
      expect(clientRoutes.stdout).not.toMatch(/default/);
      await expect(lab.exec('hs-other-x', ['true'])).rejects.toThrow(/not a namespace of this lab/);
      await expect(LabNetwork.create(model, { labId: 't6' })).rejects.toThrow(/already has namespaces/);
    } finally {
      await lab.destroy();
      await lab.destroy();
    }
    expect(await LabNetwork.listLabNamespaces('t6')).toEqual([]);
  });

  test('rejects a bad labId', async () => {
    await expect(LabNetwork.create(stackModel([], []), { labId: 'TooLong' })).rejects.toThrow(/'labId' \(TooLong\) must be 1-4 characters/);
  });

  test('an ingress rule lets a flow in; once the rule is removed from the model the same flow is blocked', async () => {
    const withRule = stackModel(
      [{ name: 'client', index: 1, groups: ['plain'] }, { name: 'web', index: 2, groups: ['web'] }],
      [group('plain', []), group('web', [ingress('web8080', { ...tcp8080, remoteIpPrefix: SUBNET_CIDR })])],
    );
    const withoutRule = stackModel(
      [{ name: 'client', index: 1, groups: ['plain'] }, { name: 'web', index: 2, groups: ['web'] }],
      [group('plain', []), group('web', [])],
    );
    await withLab('t1', withRule, async (lab, servers) => {
      servers.push(await startTcpServer(lab, nsOf(lab, 'web'), 8080));
      expect(await tcpRequest(lab, nsOf(lab, 'client'), addressOf(2), 8080, MUST_WORK)).toContain(`reply ok ${addressOf(1)}`);
      await lab.updateFirewalls(withoutRule);
      const blocked = await tcpRequest(lab, nsOf(lab, 'client'), addressOf(2), 8080);
      expect(blocked).toMatch(/error (TimeoutError|timeout)/);
    });
  });

  test('remote_group: a member of the group may connect, a non-member may not', async () => {
    const model = stackModel(
      [
        { name: 'member', index: 1, groups: ['app'] },
        { name: 'stranger', index: 2, groups: ['plain'] },
        { name: 'db', index: 3, groups: ['db'] },
      ],
      [group('app', []), group('plain', []), group('db', [ingress('fromApp', { ...tcp8080, remoteGroupKey: 'openstack_networking_secgroup_v2.app' })])],
    );
    await withLab('t2', model, async (lab, servers) => {
      servers.push(await startTcpServer(lab, nsOf(lab, 'db'), 8080));
      expect(await tcpRequest(lab, nsOf(lab, 'member'), addressOf(3), 8080, MUST_WORK)).toContain('reply ok');
      expect(await tcpRequest(lab, nsOf(lab, 'stranger'), addressOf(3), 8080)).toMatch(/error/);
    });
  });

  test('a count change: a new member of a remote group is admitted, a removed server leaves no namespace behind', async () => {
    const groups = [group('app', []), group('db', [ingress('fromApp', { ...tcp8080, remoteGroupKey: 'openstack_networking_secgroup_v2.app' })])];
    const before = stackModel([{ name: 'db', index: 1, groups: ['db'] }, { name: 'app1', index: 2, groups: ['app'] }], groups);
    const after = stackModel([{ name: 'db', index: 1, groups: ['db'] }, { name: 'app2', index: 3, groups: ['app'] }], groups);
    await withLab('t9', before, async (lab, servers) => {
      const app1Ns = nsOf(lab, 'app1');
      servers.push(await startTcpServer(lab, nsOf(lab, 'db'), 8080, 60));
      expect(await tcpRequest(lab, app1Ns, addressOf(1), 8080, MUST_WORK)).toContain('reply ok');
      await lab.applyServers(after, [serverKey('app2')], [serverKey('app1')]);
      expect(lab.namespaces).not.toContain(app1Ns);
      expect(() => lab.namespaceOf(serverKey('app1'))).toThrow(/no server or load balancer/);
      // New namespaces and interfaces never reuse a running one's name.
      expect(nsOf(lab, 'app2')).toBe('hs-t9-s2');
      expect(lab.hostNamespaceOf(portKey('app2'))).toBe('hs-t9-p2');
      expect((await lab.exec(nsOf(lab, 'app2'), ['ip', '-o', 'address', 'show', 'ens3'])).stdout).toContain(`inet ${addressOf(3)}/24`);
      // db's rules now count app2 as a member of 'app' (and app1's address no longer).
      expect(await tcpRequest(lab, nsOf(lab, 'app2'), addressOf(1), 8080, MUST_WORK)).toContain('reply ok');
      const dbRules = (await lab.exec(lab.hostNamespaceOf(portKey('db')), ['nft', 'list', 'ruleset'])).stdout;
      expect(dbRules).toContain(addressOf(3));
      expect(dbRules).not.toContain(addressOf(2));
    });
  });

  test('anti-spoofing: only a port with the VIP in its allowed_address_pairs can send from it', async () => {
    const model = stackModel(
      [
        { name: 'holder', index: 1, groups: ['plain'], pairs: [{ ipAddress: VIP }] },
        { name: 'spoofer', index: 2, groups: ['plain'] },
        { name: 'sink', index: 3, groups: ['udp'] },
      ],
      [group('plain', []), group('udp', [ingress('udp9999', { protocol: 'udp', portRangeMin: 9999, portRangeMax: 9999, remoteIpPrefix: SUBNET_CIDR })])],
    );
    await withLab('t3', model, async (lab, servers) => {
      const sink = await startUdpServer(lab, nsOf(lab, 'sink'), 9999);
      servers.push(sink);
      for (const name of ['spoofer', 'holder']) {
        const ns = nsOf(lab, name);
        // A static neighbour: the test is about the IP source check, not ARP.
        await lab.exec(ns, ['ip', 'neigh', 'replace', addressOf(3), 'lladdr', macOf(3), 'dev', 'ens3']);
        await lab.exec(ns, ['ip', 'address', 'add', `${VIP}/32`, 'dev', 'ens3']);
      }
      await udpSend(lab, nsOf(lab, 'spoofer'), addressOf(3), 9999, VIP);
      await new Promise((r) => setTimeout(r, 500));
      expect(sink.lines().filter((l) => l.startsWith('from'))).toEqual([]);
      // The spoofer's own address still gets through: only the VIP source is refused.
      await udpSend(lab, nsOf(lab, 'spoofer'), addressOf(3), 9999, addressOf(2));
      expect(await waitFor(() => sink.lines().some((l) => l.startsWith(`from ${addressOf(2)}`)))).toBe(true);
      await udpSend(lab, nsOf(lab, 'holder'), addressOf(3), 9999, VIP);
      expect(await waitFor(() => sink.lines().some((l) => l.startsWith(`from ${VIP}`)))).toBe(true);
    });
  });

  test('ARP anti-spoofing: only a port with the VIP in its allowed_address_pairs can claim it in ARP', async () => {
    const model = stackModel(
      [
        { name: 'holder', index: 1, groups: ['plain'], pairs: [{ ipAddress: VIP }] },
        { name: 'spoofer', index: 2, groups: ['plain'] },
        { name: 'victim', index: 3, groups: ['plain'] },
      ],
      [group('plain', [])],
    );
    await withLab('t7', model, async (lab) => {
      const victimNeighbour = async (): Promise<string> => (await lab.exec(nsOf(lab, 'victim'), ['ip', 'neigh', 'show', VIP])).stdout.trim();
      // "Who has <victim>? Tell <VIP>": the victim learns VIP -> sender MAC if the frame reaches it.
      await sendArpRequest(lab, nsOf(lab, 'spoofer'), 'ens3', macOf(2), VIP, addressOf(3));
      await new Promise((r) => setTimeout(r, 500));
      expect(await victimNeighbour()).toBe('');
      await sendArpRequest(lab, nsOf(lab, 'holder'), 'ens3', macOf(1), VIP, addressOf(3));
      await new Promise((r) => setTimeout(r, 500));
      expect(await victimNeighbour()).toContain(macOf(1));
    });
  });

  describe('an asymmetric flow through a director port (LVS direct routing on Neutron)', () => {
    // A -> VIP (which resolves to D's MAC, as keepalived's gratuitous ARP would make it) -> D routes it
    // to W ; W holds the VIP on lo and answers A directly, bypassing D. (Proxy ARP cannot answer for
    // an address routed back out the same interface, so A's neighbour entry is set statically.)
    const model = (directorPortSecurity: boolean): LabStackModel =>
      stackModel(
        [
          { name: 'a', index: 1, groups: ['plain'] },
          { name: 'd', index: 2, groups: ['web'], portSecurity: directorPortSecurity, pairs: [{ ipAddress: VIP }, { ipAddress: SUBNET_CIDR }] },
          { name: 'w', index: 3, groups: ['web'], pairs: [{ ipAddress: VIP }] },
        ],
        [group('plain', []), group('web', [ingress('web8080', { ...tcp8080, remoteIpPrefix: SUBNET_CIDR })])],
      );

    async function setUpDirectRouting(lab: LabNetwork): Promise<void> {
      const d = nsOf(lab, 'd');
      const w = nsOf(lab, 'w');
      const steps: [string, string[]][] = [
        [d, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']],
        [d, ['ip', 'route', 'add', `${VIP}/32`, 'via', addressOf(3)]],
        [nsOf(lab, 'a'), ['ip', 'neigh', 'replace', VIP, 'lladdr', macOf(2), 'dev', 'ens3']],
        [w, ['ip', 'address', 'add', `${VIP}/32`, 'dev', 'lo']],
        [w, ['sysctl', '-q', '-w', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2']],
      ];
      for (const [ns, argv] of steps) {
        const r = await lab.exec(ns, argv);
        expect(r.stderr).toBe('');
      }
    }

    test('is dropped as conntrack-invalid on the director port: it never saw the SYN-ACK', async () => {
      await withLab('t4a', model(true), async (lab, servers) => {
        await setUpDirectRouting(lab);
        servers.push(await startTcpServer(lab, nsOf(lab, 'w'), 8080));
        const out = await tcpRequest(lab, nsOf(lab, 'a'), VIP, 8080);
        // The SYN went A -> D -> W and W's SYN-ACK reached A directly, so A thinks it is connected...
        expect(out).toContain('connected');
        // ...but A's ACK and data hit D's port, whose conntrack is still in SYN_SENT: invalid, dropped.
        expect(out).not.toContain('reply');
        const chain = await lab.exec(lab.hostNamespaceOf(portKey('d')), ['nft', 'list', 'chain', 'inet', 'hs_port', 'ingress']);
        const invalid = /counter packets (\d+) bytes \d+ drop comment "conntrack invalid"/.exec(chain.stdout);
        expect(Number(invalid?.[1])).toBeGreaterThan(0);
      });
    });

    test('works when port security is disabled on the director port', async () => {
      await withLab('t4b', model(false), async (lab, servers) => {
        await setUpDirectRouting(lab);
        servers.push(await startTcpServer(lab, nsOf(lab, 'w'), 8080));
        expect(await tcpRequest(lab, nsOf(lab, 'a'), VIP, 8080, MUST_WORK)).toContain(`reply ok ${addressOf(1)}`);
      });
    });
  });

  test('a floating IP reaches its server, which sees the client address; a server without one is unreachable', async () => {
    const model = stackModel(
      [{ name: 'pub', index: 1, groups: ['web'] }, { name: 'priv', index: 2, groups: ['web'] }],
      [group('web', [ingress('any8080', { ...tcp8080, remoteIpPrefix: '0.0.0.0/0' })])],
      [{ server: 'pub', address: FIP }],
    );
    await withLab('t5', model, async (lab, servers) => {
      servers.push(await startTcpServer(lab, nsOf(lab, 'pub'), 8080));
      servers.push(await startTcpServer(lab, nsOf(lab, 'priv'), 8080));
      expect(await tcpRequest(lab, lab.clientNamespace, FIP, 8080, MUST_WORK)).toContain(`reply ok ${CLIENT_ADDRESS}`);
      expect(await tcpRequest(lab, lab.clientNamespace, addressOf(2), 8080)).toMatch(/error .*(unreachable|OSError|TimeoutError)/i);
      // Outbound: the FIP server leaves as its FIP, the other one as the router's gateway address.
      const internet = await startTcpServer(lab, lab.clientNamespace, 8080);
      servers.push(internet);
      expect(await tcpRequest(lab, nsOf(lab, 'pub'), CLIENT_ADDRESS, 8080, MUST_WORK)).toContain(`reply ok ${FIP}`);
      const gateway = lab.routers.get(ROUTER)?.gatewayAddress;
      expect(await tcpRequest(lab, nsOf(lab, 'priv'), CLIENT_ADDRESS, 8080, MUST_WORK)).toContain(`reply ok ${gateway}`);
      // Hairpin: an instance reaching a floating IP of its own network goes through the router, SNATed to its gateway.
      expect(await tcpRequest(lab, nsOf(lab, 'priv'), FIP, 8080, MUST_WORK)).toContain(`reply ok ${gateway}`);
    });
  });

  test('the metadata service answers each server its own metadata through its router, and serves an in-place update', async () => {
    const base = stackModel([{ name: 'a', index: 1, groups: ['web'] }, { name: 'b', index: 2, groups: ['web'] }], [group('web', [])]);
    const withMeta = (count: string): LabStackModel => ({
      ...base,
      servers: base.servers.map((sv) => ({ ...sv, metadata: { 'hosting-stacks:path': `stack/${sv.name}`, 'hosting-stacks:count:web': count } })),
    });
    const dir = mkdtempSync(join(tmpdir(), 'hs-lab-metadata-'));
    let service: LabMetadataService | undefined;
    try {
      await withLab('t8', withMeta('2'), async (lab) => {
        service = await LabMetadataService.start(withMeta('2'), { routerNamespaces: [...lab.routers.values()].map((r) => r.namespace), workDir: dir });
        const ask = async (name: string) => {
          const r = await lab.exec(nsOf(lab, name), ['curl', '-s', '--max-time', '5', 'http://169.254.169.254/openstack/latest/meta_data.json']);
          return JSON.parse(r.stdout || '{}') as { name?: string; meta?: Record<string, string> };
        };
        expect(await ask('a')).toMatchObject({ name: 'a', meta: { 'hosting-stacks:path': 'stack/a', 'hosting-stacks:count:web': '2' } });
        expect(await ask('b')).toMatchObject({ name: 'b', meta: { 'hosting-stacks:path': 'stack/b' } });
        service.update(withMeta('3'));
        expect((await ask('a')).meta?.['hosting-stacks:count:web']).toBe('3');
        // Only the metadata document: another path is not found.
        const other = await lab.exec(nsOf(lab, 'a'), ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', 'http://169.254.169.254/openstack/latest/user_data']);
        expect(other.stdout).toBe('404');
        await service.stop();
        const gone = await lab.exec(nsOf(lab, 'a'), ['curl', '-s', '--max-time', '3', 'http://169.254.169.254/openstack/latest/meta_data.json']);
        expect(gone.status).not.toBe(0);
      });
    } finally {
      await service?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
