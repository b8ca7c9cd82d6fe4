import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { Flavor } from '../../lib/compute/flavor';
import { ServerCluster } from '../../lib/compute/server-cluster';
import { OVH_PARIS_3AZ_ZONES, Site } from '../../lib/compute/site';
import { TrafficSource } from '../../lib/core/connections';
import { Port } from '../../lib/core/port';
import {
  GALERA_CONFIG_PATH,
  GALERA_HEALTH_SCRIPT_PATH,
  GALERA_HEALTH_SOCKET_UNIT,
  GALERA_INIT_PATH,
  GALERA_QUORUM,
  GALERA_SERVICE_DROP_IN,
  GALERA_START_PATH,
  GaleraCluster,
  GaleraClusterProps,
} from '../../lib/database/galera-cluster';
import { galeraFlowControl, galeraGcacheSizing } from '../../lib/database/galera-config';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { SiteInterconnect } from '../../lib/network/site-interconnect';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { checkProviderSchema, checkTerraformTemplates, loadOpenstackProviderSchema } from '../../lib/testing';
import { checkHostFile } from '../support/config-checks';
import { checkSystemdDropIn } from '../support/daemons';
import { mysqldOptions } from './mariadb-support';
import { Kinds } from '../../lib/core/peers';

const FLAVOR = Flavor.custom({ name: 'db-8gb', vcpus: 4, ramGb: 8, diskGb: 100 });

function setup(props: Partial<GaleraClusterProps> = {}, siteCount = 3) {
  const stack = new HostingStack(Testing.app(), 'test');
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  const sites = OVH_PARIS_3AZ_ZONES.concat(['eu-west-par-d']).slice(0, siteCount).map((zone, i) => new Site(stack, `Site${'ABCD'[i]}`, { availabilityZone: zone }));
  const db = new GaleraCluster(stack, 'Db', { vswitch, sites, flavor: FLAVOR, databaseName: 'runiso', writeMbPerHour: 400, peakWritesPerSecond: 300, ...props });
  return { stack, vswitch, sites, db };
}

function fileOf(stack: HostingStack, host: string, path: string): string {
  const file = stack.renderHostFiles().find((f) => f.host === host && f.path === path);
  if (!file) throw new Error(`no ${path} on ${host}`);
  return file.content;
}

/** The options inside `wsrep_provider_options = "a=1; b=2"`. */
function providerOptions(cnf: string): Record<string, string> {
  const raw = mysqldOptions(cnf).wsrep_provider_options.replace(/^"|"$/g, '');
  return Object.fromEntries(raw.split(';').map((o) => o.trim().split('=').map((x) => x.trim())));
}

describe('GaleraCluster sizing', () => {
  test('given 400 MB/h over 8 h, then gcache holds them with 25 % headroom, rounded up to 128 MB', () => {
    // 400 x 8 x 1.25 = 4,000 MB -> 32 steps of 128 = 4,096 MB
    expect(galeraGcacheSizing(400, 8).sizeMb).toBe(4096);
    expect(galeraGcacheSizing(1, 1).sizeMb).toBe(128);
  });

  test('given 300 writes/s, 3 nodes and 2 ms, then fc_limit is one second and one round trip of writes over sqrt(3)', () => {
    const fc = galeraFlowControl(3, 300, 2);
    // ceil(300 x 1.002) = 301; ceil(301 / 1.732) = 174
    expect(fc).toMatchObject({ queue: 301, fcLimit: 174, fcFactor: 0.8, effectiveLimit: 301 });
    expect(galeraFlowControl(6, 10, 2).fcLimit).toBe(16);
  });

  test('given the cluster, then every member\'s config holds the sizing and the evs timeouts', () => {
    const { stack, db } = setup();
    for (const host of db.members) {
      const options = providerOptions(fileOf(stack, host.hostname, GALERA_CONFIG_PATH));
      expect(options).toMatchObject({
        'gcache.size': '4096M',
        'gcs.fc_limit': '174',
        'gcs.fc_factor': '0.8',
        'pc.weight': '1',
        'evs.keepalive_period': 'PT1S',
        'evs.suspect_timeout': 'PT5S',
        'evs.inactive_timeout': 'PT15S',
        'evs.install_timeout': 'PT7.5S',
      });
    }
  });

  test('given a gcache larger than a quarter of the boot volume, then it throws naming the window and the volume', () => {
    expect(() => setup({ writeMbPerHour: 2000, istWindowHours: 24, bootVolumeGb: 50 }))
      .toThrow(/^test\/Db: 'istWindowHours' \(24\) needs a gcache of 60032 MB \(2000 MB\/h x 24 h x 1.25\), more than 25 % of the 50 GB boot volume \(12800 MB\)/);
  });
});

describe('GaleraCluster topology', () => {
  test('given three sites and two nodes per site, then six members, each site in its zone, segment = site index', () => {
    const { stack, db } = setup({ nodesPerSite: 2 });
    expect(db.memberHostnames).toEqual(['galera-a-1', 'galera-a-2', 'galera-b-1', 'galera-b-2', 'galera-c-1', 'galera-c-2']);
    expect(db.siteClusters.map((c) => c.site?.availabilityZone)).toEqual(OVH_PARIS_3AZ_ZONES);
    expect(db.siteClusters.every((c) => c.stateful)).toBe(true);
    const addresses = db.members.map((m) => m.address);
    db.members.forEach((host, i) => {
      const cnf = fileOf(stack, host.hostname, GALERA_CONFIG_PATH);
      const options = mysqldOptions(cnf);
      expect(options).toMatchObject({
        wsrep_on: 'ON',
        wsrep_provider: '/usr/lib/galera/libgalera_smm.so',
        wsrep_cluster_address: `gcomm://${addresses.join(',')}`,
        wsrep_node_address: host.address,
        'bind-address': host.address,
        binlog_format: 'ROW',
        innodb_autoinc_lock_mode: '2',
        default_storage_engine: 'InnoDB',
        wsrep_sst_method: 'mariabackup',
        wsrep_slave_threads: '4',
      });
      expect(providerOptions(cnf)['gmcast.segment']).toBe(String(Math.floor(i / 2)));
      // Joiners take their state from the bootstrap member first, never from each other at first boot.
      expect(options.wsrep_sst_donor).toBe(i === 0 ? undefined : 'galera-a-1,');
    });
  });

  test('given the cluster, then one site endpoint per site writes to its first node and reads from its others; the cluster writes to the bootstrap node', () => {
    const { sites, db } = setup({ nodesPerSite: 2 });
    const b = db.endpointFor(sites[1]);
    expect(b.writerAddress).toBe(db.siteClusters[1].instances[0].address);
    expect(b.readerAddresses).toEqual([db.siteClusters[1].instances[1].address]);
    expect(b).toMatchObject({ port: 3306, databaseName: 'runiso', applicationUser: 'app' });
    expect(b.applicationPassword).toBe(db.applicationPassword);
    expect(b.connections).toBe(db.connections);
    expect(db.writerAddress).toBe(db.bootstrapMember.address);
    expect(db.readerAddresses).toHaveLength(5);
    expect(db.node.defaultChild).toBe(db.bootstrapMember.resource);
    expect(Kinds.MYSQL_DATABASE.is(b)).toBe(true);
    expect(Kinds.MYSQL_DATABASE.is(db)).toBe(true);
  });

  test('given a site endpoint\'s clients, then every member counts them in max_connections', () => {
    const { stack, sites, db } = setup();
    db.endpointFor(sites[0]).addClient({ client: new Construct(stack, 'AppA'), servers: 4, connectionsPerServer: 50, bound: 'Tomcat pool maxTotal' });
    db.addClient({ client: new Construct(stack, 'AppB'), servers: 4, connectionsPerServer: 50, bound: 'Tomcat pool maxTotal' });
    expect(db.maxConnections).toBe(400 + 10);
    for (const host of db.members) expect(mysqldOptions(fileOf(stack, host.hostname, GALERA_CONFIG_PATH)).max_connections).toBe('410');
  });

  test('given clients the RAM cannot hold, then addClient throws and records nothing', () => {
    const { stack, db } = setup();
    expect(() => db.addClient({ client: new Construct(stack, 'Huge'), servers: 100, connectionsPerServer: 100, bound: 'x' }))
      .toThrow(/^test\/Db: 'maxConnections' \(10010\) \(derived: 10000 \(test\/Huge: 100 x 100 x\) \+ 10 \(administration\)\) must fit the flavor 'db-8gb'/);
    expect(db.maxConnections).toBe(10);
  });

  test('given a site the cluster does not span, then endpointFor throws naming it', () => {
    const { stack, db } = setup();
    const other = new Site(stack, 'SiteX', { availabilityZone: 'eu-west-par-x' });
    expect(() => db.endpointFor(other)).toThrow(/^test\/Db: 'site' \('test\/SiteX'\) must be one of the cluster's sites \(test\/SiteA, test\/SiteB, test\/SiteC\)/);
  });
});

describe('GaleraCluster boot', () => {
  test('given the members, then only the first of the first site bootstraps, once, and only it creates the schema and accounts', () => {
    const { stack, db } = setup();
    const [first, ...others] = db.members;
    const start = fileOf(stack, first.hostname, GALERA_START_PATH);
    expect(start).toContain('galera_new_cluster');
    expect(start).toContain("MARKER='/var/lib/hosting-stacks/galera-bootstrapped'");
    expect(start).toMatch(/if \[ -e "\$MARKER" \]; then[\s\S]*systemctl start --no-block mariadb[\s\S]*else[\s\S]*galera_new_cluster/);
    expect(fileOf(stack, first.hostname, GALERA_INIT_PATH)).toContain('CREATE DATABASE IF NOT EXISTS \\`runiso\\`');
    for (const host of others) {
      expect(fileOf(stack, host.hostname, GALERA_START_PATH)).not.toContain('galera_new_cluster\n');
      expect(fileOf(stack, host.hostname, GALERA_INIT_PATH)).not.toContain('CREATE');
      expect(host.cloudConfig.hostFiles.map((f) => f.path)).not.toContain('/etc/mysql/hosting-stacks/app.password');
    }
    for (const host of db.members) {
      expect(host.cloudConfig.packages).toEqual(expect.arrayContaining(['mariadb-server', 'galera-4', 'mariadb-backup', 'socat']));
      // mariadb is started by the start script, not restarted with the services
      expect(host.cloudConfig.services).not.toContain('mariadb');
      expect(host.cloudConfig.runCommands.at(-1)).toEqual([GALERA_START_PATH]);
      expect(fileOf(stack, host.hostname, GALERA_SERVICE_DROP_IN)).toMatch(/StartLimitIntervalSec=0[\s\S]*Restart=on-failure\nRestartSec=10/);
    }
  });

  test('given every rendered file of every member, then each passes its daemon\'s own check (mariadbd, bash -n, systemd-analyze, systemd-sysusers)', () => {
    const { stack, vswitch, db } = setup();
    db.addClient({ client: new ServerCluster(stack, 'App', { vswitch, count: 2, flavor: FLAVOR }), servers: 2, connectionsPerServer: 50, bound: 'Tomcat pool maxTotal' });
    const files = stack.renderHostFiles().filter((f) => db.memberHostnames.includes(f.host) && f.syntax !== undefined);
    expect(files.filter((f) => f.path === GALERA_CONFIG_PATH)).toHaveLength(3);
    for (const f of files) {
      const result = checkHostFile(f);
      expect(result).toBeDefined();
      expect(result!.output).not.toMatch(/unknown (variable|option)/i);
      expect({ file: `${f.host}:${f.path}`, ...result }).toMatchObject({ file: `${f.host}:${f.path}`, ok: true, output: expect.anything() });
    }
  });

  test('given a drop-in with a misspelt key, then the drop-in check refuses it (the check above can fail)', () => {
    const bad = checkSystemdDropIn('[Service]\nRestartt=on-failure\n', 'mariadb.service', 'bad.conf');
    expect(bad.ok).toBe(false);
    expect(bad.output).toMatch(/Restartt/);
  });

  test('given the synthesized stack, then Terraform parses the user data, the provider schema accepts every resource and the password is only a variable reference', () => {
    const { stack } = setup();
    const synthed = Testing.synth(stack);
    const json = JSON.parse(synthed);
    expect(checkTerraformTemplates(json)).toEqual([]);
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(json.variable.galera_app_password).toMatchObject({ sensitive: true, type: 'string' });
    const userData = Object.values(json.resource.openstack_compute_instance_v2).map((i) => (i as { user_data: string }).user_data).join('\n');
    expect(new Set([...userData.matchAll(/(?<!\$)\$\{([^}]*)\}/g)].map((m) => m[1]))).toEqual(new Set(['var.galera_app_password']));
    const zones = Object.values(json.resource.openstack_compute_instance_v2).map((i) => (i as { availability_zone: string }).availability_zone).sort();
    expect(zones).toEqual(OVH_PARIS_3AZ_ZONES);
  });
});

describe('GaleraCluster security groups', () => {
  test('given the cluster, then 4567, 4568 and 4444 are open between members only, and nothing else', () => {
    const { db } = setup();
    expect(db.connections.ingressRules.map((r) => [r.port.label, r.source])).toEqual([
      ['tcp-4567', TrafficSource.group(db.connections)],
      ['tcp-4568', TrafficSource.group(db.connections)],
      ['tcp-4444', TrafficSource.group(db.connections)],
    ]);
    expect(db.siteClusters.every((c) => c.connections === db.connections)).toBe(true);
  });

  test('given clients and a balancer, then 3306 from the clients and the health port from the balancer', () => {
    const { stack, vswitch, db } = setup();
    const app = new ServerCluster(stack, 'App', { vswitch, count: 1, flavor: FLAVOR });
    const lb = new ServerCluster(stack, 'Lb', { vswitch, count: 1, flavor: FLAVOR });
    db.connections.allowFrom(app, Port.tcp(db.port));
    expect(db.allowHealthChecksFrom(lb)).toEqual({ port: 9200, path: '/health' });
    const extra = db.connections.ingressRules.slice(3).map((r) => [r.port.label, r.source]);
    expect(extra).toEqual([['tcp-3306', TrafficSource.group(app.connections)], ['tcp-9200', TrafficSource.group(lb.connections)]]);
    for (const host of db.members) {
      expect(fileOf(stack, host.hostname, `/etc/systemd/system/${GALERA_HEALTH_SOCKET_UNIT}`)).toContain(`ListenStream=${host.address}:9200`);
      expect(fileOf(stack, host.hostname, GALERA_HEALTH_SCRIPT_PATH)).toContain("--user='hs-galera'");
    }
  });
});

describe('GaleraCluster quorum', () => {
  test('the quorum rule is written down: one site lost keeps 2/3, a lone site refuses, graceful leave vs crash', () => {
    expect(GALERA_QUORUM).toMatch(/2\/3 > 1\/2/);
    expect(GALERA_QUORUM).toMatch(/1\/3 < 1\/2, becomes non-primary and refuses reads\s+and writes \(wsrep_ready=OFF/);
    expect(GALERA_QUORUM).toMatch(/graceful shutdown[\s\S]*A crash or a partition does not/);
    expect(GALERA_QUORUM).toMatch(/safe_to_bootstrap: 1/);
  });
});

describe('GaleraCluster bad input', () => {
  test.each([
    [{ nodesPerSite: 0 }, /^test\/Db: 'nodesPerSite' \(0\) must be an integer from 1 to 5/],
    [{ nodesPerSite: 1.5 }, /'nodesPerSite' \(1.5\) must be an integer from 1 to 5/],
    [{ port: 4567 }, /'port' \(4567\) must differ from Galera's member ports \(4567, 4568, 4444\) and the health check's \(9200\)/],
    [{ writeMbPerHour: 0 }, /'writeMbPerHour' \(0\) must be a number from 1 to 1000000 \(MB of write-sets per hour at peak\)/],
    [{ istWindowHours: 200 }, /'istWindowHours' \(200\) must be a number from 1 to 168 \(hours\)/],
    [{ peakWritesPerSecond: Number.NaN }, /'peakWritesPerSecond' \(NaN\) must be a number from 1 to 100000/],
    [{ crossSiteRttMs: 80 }, /'crossSiteRttMs' \(80\) must be a number from 0.1 to 50 \(ms; beyond 50 ms/],
    [{ databaseName: 'run-iso' }, /'databaseName' \('run-iso'\) must be 1 to 64 letters, digits or underscores/],
    [{ applicationUser: "a'b" }, /'applicationUser' \('a'b'\) must be 1 to 80 letters/],
    [{ applicationClientCidr: '10.0.2.5/24' }, /'applicationClientCidr' \('10.0.2.5\/24'\) must be an IPv4 CIDR with no host bits set/],
    [{ bufferPoolFraction: 0.9 }, /'bufferPoolFraction' \(0.9\) must be a share of RAM from 0.1 to 0.8/],
    [{ hostnamePrefix: 'Galera' }, /'hostnamePrefix' \('Galera'\) must be lower-case letters/],
    [{ maxConnections: 5 }, /'maxConnections' \(5\) must be an integer from 10 to 10000/],
    [{ applicationPassword: 'secret' as never }, /'applicationPassword' .* must be a Secret made by Secret.variable/],
  ] as [Partial<GaleraClusterProps>, RegExp][])('given %j, then it throws and writes nothing', (props, message) => {
    const stack = new HostingStack(Testing.app(), 'test');
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    const sites = OVH_PARIS_3AZ_ZONES.map((zone, i) => new Site(stack, `Site${'ABC'[i]}`, { availabilityZone: zone }));
    expect(() => new GaleraCluster(stack, 'Db', { vswitch, sites, flavor: FLAVOR, databaseName: 'runiso', writeMbPerHour: 400, peakWritesPerSecond: 300, ...props })).toThrow(message);
    // Nothing half-written: no servers, no variable
    expect(stack.node.findAll().filter(ServerCluster.isServerCluster)).toHaveLength(0);
  });

  test('given two sites, then it throws explaining quorum', () => {
    expect(() => setup({}, 2)).toThrow(/^test\/Db: 'sites' \(\["test\/SiteA","test\/SiteB"\]\) must be 3 to 16 sites: quorum is a strict majority, and with 2 sites losing either leaves half/);
  });

  test('given the same site twice or two sites in one zone, then it throws naming the duplicate', () => {
    const stack = new HostingStack(Testing.app(), 'test');
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    const a = new Site(stack, 'SiteA', { availabilityZone: 'eu-west-par-a' });
    const b = new Site(stack, 'SiteB', { availabilityZone: 'eu-west-par-b' });
    const a2 = new Site(stack, 'SiteA2', { availabilityZone: 'eu-west-par-a', siteName: 'a2' });
    const base = { vswitch, flavor: FLAVOR, databaseName: 'runiso', writeMbPerHour: 400, peakWritesPerSecond: 300 };
    expect(() => new GaleraCluster(stack, 'Db1', { ...base, sites: [a, b, a] })).toThrow(/'sites' .* must be distinct sites: the site 'test\/SiteA' appears twice/);
    expect(() => new GaleraCluster(stack, 'Db2', { ...base, sites: [a, b, a2] })).toThrow(/must be distinct sites: the availability zone 'eu-west-par-a' appears twice/);
    expect(() => new GaleraCluster(stack, 'Db3', { ...base, sites: [a, b, {} as Site] })).toThrow(/^test\/Db3: 'sites\[2\]' \({}\) must be a Site/);
  });
});

describe('GaleraCluster across sites that are regions of their own', () => {
  function regions(props: Partial<GaleraClusterProps> = {}) {
    const stack = new HostingStack(Testing.app(), 'test');
    const sites = ['GRA11', 'SBG5', 'RBX-A'].map((region, i) => new Site(stack, `Site${'ABC'[i]}`, { region, siteName: 'abc'[i] }));
    const nets = sites.map((site, i) => new PrivateVSwitch(site, 'Net', { cidr: `10.0.${i + 1}.0/24` }));
    const interconnect = new SiteInterconnect(stack, 'Link', { cidr: '10.9.0.0/24', vlanId: 9, sites });
    const db = new GaleraCluster(stack, 'Db', { siteVswitches: nets, interconnect, sites, flavor: FLAVOR, databaseName: 'runiso', writeMbPerHour: 400, peakWritesPerSecond: 300, ...props });
    return { stack, sites, nets, interconnect, db };
  }

  test('given three regions, then each site\'s member is made in its site, replicates over the interconnect and serves its applications on its own network', () => {
    const { stack, sites, db } = regions();
    expect(db.siteClusters.map((c) => c.node.path)).toEqual(['test/SiteA/Db', 'test/SiteB/Db', 'test/SiteC/Db']);
    expect(db.members.map((m) => [m.address, m.interconnectAddress])).toEqual([['10.0.1.2', '10.9.0.1'], ['10.0.2.2', '10.9.0.85'], ['10.0.3.2', '10.9.0.169']]);
    const cnf = mysqldOptions(fileOf(stack, 'galera-b-1', GALERA_CONFIG_PATH));
    expect([cnf['bind-address'], cnf.wsrep_node_address, cnf.wsrep_cluster_address]).toEqual(['10.0.2.2', '10.9.0.85', 'gcomm://10.9.0.1,10.9.0.85,10.9.0.169']);
    expect(db.endpointFor(sites[1]).writerAddress).toBe('10.0.2.2');
    expect(db.endpointFor(sites[1]).connections).toBe(db.siteClusters[1].connections);
  });

  test('given three regions, then every member\'s rendered config passes its daemon\'s check', () => {
    const { stack } = regions();
    const files = stack.renderHostFiles().filter((f) => f.syntax !== undefined && f.host.startsWith('galera-'));
    expect(files.filter((f) => f.path === GALERA_CONFIG_PATH)).toHaveLength(3);
    for (const f of files) {
      const result = checkHostFile(f);
      expect(result!.output).not.toMatch(/unknown (variable|option)/i);
      expect({ file: `${f.host}:${f.path}`, ...result }).toMatchObject({ file: `${f.host}:${f.path}`, ok: true, output: expect.anything() });
    }
  });

  test('given two sites in one region, then it throws naming the region', () => {
    const stack = new HostingStack(Testing.app(), 'test');
    const sites = [['GRA11', 'a'], ['GRA11', 'b'], ['SBG5', 'c']].map(([region, siteName]) => new Site(stack, `Site${siteName}`, { region, siteName }));
    expect(() => new GaleraCluster(stack, 'Db', { sites, siteVswitches: [], flavor: FLAVOR, databaseName: 'x', writeMbPerHour: 400, peakWritesPerSecond: 300 }))
      .toThrow("must be distinct sites: the region 'GRA11' appears twice");
  });

  test('given three regions, then each site\'s group admits the other sites\' members by their interconnect addresses only, on the three member ports', () => {
    const { db } = regions();
    const rules = db.siteClusters[0].connections.ingressRules.filter((r) => Object.values({ a: 4567, b: 4568, c: 4444 }).includes(r.port.fromPort!));
    expect(rules.map((r) => `${r.source.cidr} ${r.port.label}`).sort()).toEqual(['10.9.0.169/32 tcp-4444', '10.9.0.169/32 tcp-4567', '10.9.0.169/32 tcp-4568', '10.9.0.85/32 tcp-4444', '10.9.0.85/32 tcp-4567', '10.9.0.85/32 tcp-4568']);
    expect(rules.every((r) => r.source.connections === undefined)).toBe(true);
  });

  test('given three regions, then the Terraform passes the provider schema, each resource naming its site\'s provider', () => {
    const { stack } = regions();
    const json = stack.toTerraform() as Record<string, any>;
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    const servers = Object.values<any>(json.resource.openstack_compute_instance_v2);
    expect(servers.map((s) => [s.name, s.provider, s.network.length])).toEqual([['galera-a-1', 'openstack.site-a', 2], ['galera-b-1', 'openstack.site-b', 2], ['galera-c-1', 'openstack.site-c', 2]]);
  });

  test('bad input names the construct, the prop and the value', () => {
    const { stack, sites, nets, interconnect } = regions();
    const base = { sites, flavor: FLAVOR, databaseName: 'x', writeMbPerHour: 400, peakWritesPerSecond: 300 };
    expect(() => new GaleraCluster(stack, 'NoLink', { ...base, siteVswitches: nets })).toThrow("test/NoLink: 'interconnect' (undefined) must be a SiteInterconnect joining the sites");
    expect(() => new GaleraCluster(stack, 'OneNet', { ...base, vswitch: nets[0], interconnect })).toThrow("test/OneNet: 'vswitch' ('test/SiteA/Net') must not be given when the sites are regions of their own");
    expect(() => new GaleraCluster(stack, 'TwoNets', { ...base, siteVswitches: nets.slice(0, 2), interconnect })).toThrow("must give one vSwitch per site (3), in the order of 'sites'");
    expect(() => new GaleraCluster(stack, 'Swapped', { ...base, siteVswitches: [nets[1], nets[0], nets[2]], interconnect })).toThrow("'vswitch' ('test/SiteB/Net') is in another region than the cluster");
    const zone = new Site(stack, 'Zone', { availabilityZone: 'eu-west-par-a' });
    expect(() => new GaleraCluster(stack, 'Mixed', { ...base, sites: [sites[0], sites[1], zone], siteVswitches: nets, interconnect })).toThrow("test/Mixed: 'sites' ([\"test/SiteA\",\"test/SiteB\",\"test/Zone\"]) must all be zones of the stack's region or all regions of their own");
    const zoned = setup();
    expect(() => new GaleraCluster(zoned.stack, 'ZoneLink', { ...base, sites: zoned.sites, vswitch: zoned.vswitch, siteVswitches: [zoned.vswitch] })).toThrow("test/ZoneLink: 'siteVswitches' ('(given)') is for sites that are regions of their own");
  });
});
