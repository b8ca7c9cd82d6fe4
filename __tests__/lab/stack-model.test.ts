/**
 * The lab's model of the two case-study stacks, built from their Terraform JSON as Terraform would
 * apply it: counts, evaluated user_data, resolved references, Octavia VIP ports and floating IPs.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { buildStackModel, LAB_CLIENT_ADDRESS, LAB_EXTERNAL_CIDR, readStackModel } from '../../lib/lab/stack-model';
import { cidrContains } from '../../lib/lab/ipv4-util';
import { LabStackModel } from '../../lib/lab/model';
import { buildAllStacks } from '../../stacks/all';
import { RunisoStack } from '../../stacks/runiso';

const docs = Object.fromEntries(buildAllStacks(Testing.app()).map((s) => [s.node.id, s.toTerraform() as Record<string, any>]));
const popgom = buildStackModel(docs.popgom, 'popgom');
const md = buildStackModel(docs['monsieur-deguisement'], 'monsieur-deguisement');

function rawUserData(doc: Record<string, any>, key: string): string {
  const [type, rest] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
  return doc.resource[type][rest.replace(/\[\d+\]$/, '')].user_data;
}

function count(text: string, what: string): number {
  return text.split(what).length - 1;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

describe.each([
  ['popgom', popgom, docs.popgom],
  ['monsieur-deguisement', md, docs['monsieur-deguisement']],
] as const)('stack %s', (_name, model: LabStackModel, doc) => {
  test('every user_data is evaluated: each ${ or %{ left is one the JSON escaped', () => {
    for (const server of model.servers) {
      const raw = rawUserData(doc, server.key);
      expect([server.key, count(server.userData, '${')]).toEqual([server.key, count(raw, '$${')]);
      expect([server.key, count(server.userData, '%{')]).toEqual([server.key, count(raw, '%%{')]);
      expect(server.userData).toMatch(/^#cloud-config\n/);
    }
  });

  test('every server port, port network and security group exists in the model', () => {
    const ports = new Set(model.ports.map((p) => p.key));
    const networks = new Set(model.networks.map((n) => n.key));
    const groups = new Set(model.securityGroups.map((g) => g.key));
    for (const s of model.servers) for (const p of s.portKeys) expect(ports).toContain(p);
    for (const p of model.ports) {
      expect(networks).toContain(p.networkKey);
      for (const g of p.securityGroupKeys) expect(groups).toContain(g);
      expect(p.macAddress).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
    }
    expect(new Set(model.ports.map((p) => p.macAddress)).size).toBe(model.ports.length);
  });

  test('security group rules name their remote groups by key', () => {
    const groups = new Set(model.securityGroups.map((g) => g.key));
    const remote = model.securityGroups.flatMap((g) => g.rules).filter((r) => r.remoteGroupKey !== undefined);
    expect(remote.length).toBeGreaterThan(0);
    for (const r of remote) expect(groups).toContain(r.remoteGroupKey);
  });

  test('routers take the subnets\' gateways and a gateway address on the external range', () => {
    const [router] = model.routers;
    expect(router.externalGateway).toBe(true);
    expect(router.externalAddress).toBe('198.18.0.3');
    for (const i of router.interfaces) expect(i.ipAddress).toBe(model.subnets.find((s) => s.key === i.subnetKey)!.gatewayIp);
    expect(model.external).toEqual({ cidr: LAB_EXTERNAL_CIDR, clientAddress: LAB_CLIENT_ADDRESS });
  });

  test('floating IPs map to ports of the model, from 198.18.0.100 up', () => {
    expect(model.floatingIps.length).toBeGreaterThan(0);
    model.floatingIps.forEach((f, i) => {
      expect(f.address).toBe(`198.18.0.${100 + i}`);
      const port = model.ports.find((p) => p.key === f.portKey)!;
      expect(port.fixedIps.map((x) => x.ipAddress)).toContain(f.fixedIp);
      expect(f.routerKey).toBe(model.routers[0].key);
    });
  });

  test('servers carry the key pair\'s public key, flavor and construct path', () => {
    for (const s of model.servers) {
      expect(s.keyPairPublicKey).toBe(model.variables.ssh_public_key);
      expect(s.flavorName).toBeTruthy();
      expect(s.constructPath).toMatch(new RegExp(`^${_name}/`));
    }
  });
});

describe('popgom', () => {
  test('has 10 servers', () => {
    expect(popgom.servers).toHaveLength(10);
  });

  test('a database server gets the generated password verbatim', () => {
    const db = popgom.servers.find((s) => s.name === 'db-1')!;
    expect(db.userData).toContain(popgom.variables.mysql_replication_password as string);
  });

  test('the LVS directors\' ports have port security off (direct routing), so no pairs or groups', () => {
    const port = popgom.ports.find((p) => p.key.includes('Balancer_Nodes_Instance1_Port'))!;
    expect(port.allowedAddressPairs).toEqual([]);
    expect(port.securityGroupKeys).toEqual([]);
    expect(port.portSecurity).toBe(false);
    expect(port.owner).toEqual({ kind: 'server', serverKey: popgom.servers.find((s) => s.name === 'balancer-1')!.key });
  });

  test('volumes, server groups, the backup credential and the object storage container are unrealised with a reason', () => {
    const kinds = new Set(popgom.unrealised.map((u) => u.key.split('.')[0]));
    expect([...kinds].sort()).toEqual(['openstack_blockstorage_volume_v3', 'openstack_compute_servergroup_v2', 'openstack_identity_application_credential_v3', 'openstack_objectstorage_container_v1']);
    for (const u of popgom.unrealised) expect(u.reason).toBeTruthy();
  });
});

describe('monsieur-deguisement', () => {
  const frontends = (m: LabStackModel) => m.servers.filter((s) => s.key.includes('Frontends_Servers'));

  test('has 2 front-ends with the default count; the others do not exist', () => {
    expect(frontends(md).map((s) => s.name)).toEqual(['frontends-1', 'frontends-2']);
    expect(md.ports.filter((p) => p.key.includes('Frontends_Servers'))).toHaveLength(2);
    expect(md.unrealised.filter((u) => u.key.includes('Frontends_Servers') && u.key.includes('BootVolume'))).toHaveLength(2);
  });

  test('a counted front-end is addressed with [0] and its port reference resolves', () => {
    const m = buildStackModel(docs['monsieur-deguisement'], 'monsieur-deguisement', { variables: { frontends_servers_count: 4 } });
    const names = frontends(m).map((s) => s.name);
    expect(names).toEqual(['frontends-1', 'frontends-2', 'frontends-3', 'frontends-4']);
    const third = frontends(m).find((s) => s.name === 'frontends-3')!;
    expect(third.key).toMatch(/^openstack_compute_instance_v2\.Frontends_Servers_Instance3_[0-9A-F]{8}\[0\]$/);
    expect(third.portKeys[0]).toMatch(/^openstack_networking_port_v2\.Frontends_Servers_Instance3_Port_[0-9A-F]{8}\[0\]$/);
    expect(m.ports.find((p) => p.key === third.portKeys[0])!.owner).toEqual({ kind: 'server', serverKey: third.key });
  });

  test('a count outside the variable\'s validation is rejected', () => {
    expect(() => buildStackModel(docs['monsieur-deguisement'], 'md', { variables: { frontends_servers_count: 11 } })).toThrow(/frontends_servers_count must be a whole number from 2 to 10/);
  });

  test('each load balancer has its VIP port, owned by it, with an Octavia security group open on each listener port', () => {
    expect(md.loadBalancers).toHaveLength(4);
    for (const lb of md.loadBalancers) {
      const port = md.ports.find((p) => p.key === `${lb.key}#vip`)!;
      expect(lb.vipPortKey).toBe(port.key);
      expect(port.owner).toEqual({ kind: 'loadbalancer', loadBalancerKey: lb.key });
      expect(port.fixedIps).toEqual([{ subnetKey: lb.vipSubnetKey, ipAddress: lb.vipAddress }]);
      expect(port.securityGroupKeys).toEqual([`${lb.key}#sg`]);
      const sg = md.securityGroups.find((g) => g.key === `${lb.key}#sg`)!;
      expect(sg.rules.map((r) => [r.direction, r.protocol, r.portRangeMin, r.remoteIpPrefix])).toEqual([
        ['ingress', 'tcp', 80, '0.0.0.0/0'],
        ['ingress', 'tcp', 443, '0.0.0.0/0'],
      ]);
    }
  });

  test('the entries\' floating IPs translate to the VIPs', () => {
    for (const lb of md.loadBalancers) {
      const fip = md.floatingIps.find((f) => f.portKey === lb.vipPortKey)!;
      expect(fip.fixedIp).toBe(lb.vipAddress);
      expect(cidrContains(LAB_EXTERNAL_CIDR, fip.address)).toBe(true);
    }
  });

  test('listeners: HTTP redirect policy, HTTPS with a default pool, a monitor and a certificate that pairs', () => {
    const lb = md.loadBalancers[0];
    const http = lb.listeners.find((l) => l.protocol === 'HTTP')!;
    const https = lb.listeners.find((l) => l.protocol === 'TERMINATED_HTTPS')!;
    expect(http.l7Policies[0]).toMatchObject({ action: 'REDIRECT_PREFIX', redirectHttpCode: 301, rules: [{ type: 'PATH', compareType: 'STARTS_WITH', value: '/', invert: false }] });
    expect(https.insertHeaders).toEqual({ 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' });
    const pool = lb.pools.find((p) => p.key === https.defaultPoolKey)!;
    expect(pool).toMatchObject({ protocol: 'HTTP', lbMethod: 'ROUND_ROBIN', monitor: { type: 'HTTP', urlPath: '/healthz', expectedCodes: '200' } });
    expect(pool.members.length).toBeGreaterThanOrEqual(2);
    const cert = new X509Certificate(https.tlsPem!);
    expect(cert.checkPrivateKey(createPrivateKey(https.tlsPem!))).toBe(true);
  });

  test('the Manila share is a stand-in export in user_data and unrealised', () => {
    const fe = frontends(md)[0];
    expect(fe.userData).toContain('198.51.100.1:/lab-unrealised/monsieur-deguisement-media');
    const share = md.unrealised.find((u) => u.key.startsWith('openstack_sharedfilesystem_share_v2.'))!;
    expect(share.reason).toBe('Manila is not realised by the lab; the kernel has no NFS client');
  });

  test('the static servers get the generated certificate and key base64-encoded', () => {
    const s = md.servers.find((x) => x.name === 'static-content-1')!;
    expect(s.userData).toContain(Buffer.from(md.variables.static_tls_certificate as string).toString('base64'));
    expect(s.userData).toContain(Buffer.from(md.variables.static_tls_private_key as string).toString('base64'));
  });

  test('the model is deterministic for a seed', () => {
    const again = buildStackModel(docs['monsieur-deguisement'], 'monsieur-deguisement');
    expect(again.servers).toEqual(md.servers);
    expect(again.ports).toEqual(md.ports);
  });
});

describe('errors', () => {
  test('an expression it cannot evaluate in user_data names the server and the expression', () => {
    const doc = clone(docs.popgom);
    const [name] = Object.keys(doc.resource.openstack_compute_instance_v2);
    doc.resource.openstack_compute_instance_v2[name].user_data = '#cloud-config\nx: ${file("secret.txt")}\n';
    expect(() => buildStackModel(doc, 'popgom')).toThrow(
      new RegExp(`openstack_compute_instance_v2\\.${name}: user_data: cannot evaluate \\$\\{file\\("secret\\.txt"\\)\\}: function 'file' is not supported`),
    );
  });

  test('a reference to an instance that count does not create is an error naming both', () => {
    const doc = clone(docs['monsieur-deguisement']);
    const ports = Object.keys(doc.resource.openstack_networking_port_v2);
    const counted = ports.find((p) => p.includes('Instance3_Port'))!;
    const [server] = Object.keys(doc.resource.openstack_compute_instance_v2).filter((s) => s.includes('BackOffice'));
    doc.resource.openstack_compute_instance_v2[server].user_data = `ip: \${openstack_networking_port_v2.${counted}[0].id}`;
    expect(() => buildStackModel(doc, 'md')).toThrow(new RegExp(`${server}: user_data: .*instance \\[0\\] does not exist \\(count = 0\\)`));
  });

  test('a required variable it cannot classify asks for `variables`', () => {
    const doc = clone(docs.popgom);
    doc.variable.colour = { type: 'string', description: 'Favourite colour' };
    expect(() => buildStackModel(doc, 'popgom')).toThrow(/variable 'colour'.*pass one in `variables`/);
    expect(() => buildStackModel(doc, 'popgom', { variables: { colour: 'blue' } })).not.toThrow();
  });
});

test('readStackModel reads cdk.tf.json from a stack directory named after the stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-stack-'));
  try {
    mkdirSync(join(dir, 'popgom'));
    writeFileSync(join(dir, 'popgom', 'cdk.tf.json'), JSON.stringify(docs.popgom));
    const m = readStackModel(join(dir, 'popgom'));
    expect(m.stackName).toBe('popgom');
    expect(m.servers.map((s) => s.key)).toEqual(popgom.servers.map((s) => s.key));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('runiso with its sites as regions', () => {
  const model = buildStackModel(new RunisoStack(Testing.app(), 'runiso-regions', { regions: ['GRA11', 'SBG5', 'RBX-A'] }).toTerraform() as Record<string, any>, 'runiso-regions');

  test('the vRack VLAN\'s network in each region is one segment; every other network is its own', () => {
    const segments = model.networks.map((n) => [n.name, n.segment]).filter(([, s]) => s !== undefined);
    expect(segments).toEqual(['a', 'b', 'c'].map((s) => [`runiso-regions-interconnect-${s}`, 'vrack:250']));
    expect(model.networks.filter((n) => n.segment === undefined)).toHaveLength(9);
  });

  test('each region has its router with a gateway, and each Galera node a second port on its region\'s part of the VLAN', () => {
    expect(model.routers.map((r) => r.externalGateway)).toEqual([true, true, true]);
    for (const name of ['db-a-1', 'db-b-1', 'db-c-1']) {
      const server = model.servers.find((s) => s.name === name)!;
      const [, link] = server.portKeys.map((k) => model.ports.find((p) => p.key === k)!);
      expect(model.networks.find((n) => n.key === link.networkKey)?.segment).toBe('vrack:250');
    }
  });
});
