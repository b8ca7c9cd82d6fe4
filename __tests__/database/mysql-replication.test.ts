import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { Flavor, sizingFromGhz } from '../../lib/compute/flavor';
import { ServerCluster } from '../../lib/compute/server-cluster';
import { Port } from '../../lib/core/port';
import { Secret } from '../../lib/core/secret';
import {
  MARIADB_BOOTSTRAP_PATH,
  MARIADB_CONFIG_PATH,
  MysqlReplication,
  MysqlReplicationProps,
} from '../../lib/database/mysql-replication';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { checkTerraformTemplates } from '../../lib/validation/terraform-template-check';
import { checkMariadb } from '../support/daemons';
import { checkShellSyntax, mysqldOptions } from './mariadb-support';
import { checkHostFile } from '../support/config-checks';
import { HostingStacksError } from '../../lib/core/errors';
import {
  MARIADB_ROLE_CHECK_ACCOUNT,
  MARIADB_ROLE_CHECK_SCRIPT_PATH,
  MARIADB_ROLE_CHECK_SERVICE_UNIT,
  MARIADB_ROLE_CHECK_SOCKET_UNIT,
  MARIADB_ROLE_CHECK_SYSUSERS_PATH,
} from '../../lib/database/mariadb-role-check';
import { TrafficSource } from '../../lib/core/connections';

// Database servers: 2 x (6 GHz, 4 GB RAM, 50 GB disk) (case study 2)
const DB_SIZING = sizingFromGhz(6, 4, 50);
const DB_FLAVOR_4GB = Flavor.custom({ name: 'db-4gb', vcpus: 3, ramGb: 4, diskGb: 50 });

function setup(props: Partial<MysqlReplicationProps> = {}) {
  const stack = new HostingStack(Testing.app(), 'test');
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  const db = new MysqlReplication(stack, 'Db', { vswitch, flavor: DB_FLAVOR_4GB, databaseName: 'popgom', ...props });
  return { stack, vswitch, db };
}

function fileOf(stack: HostingStack, host: string, path: string): string {
  const file = stack.renderHostFiles().find((f) => f.host === host && f.path === path);
  if (!file) throw new Error(`no ${path} on ${host}`);
  return file.content;
}

describe('MysqlReplication defaults', () => {
  test('given only the required props, then one primary and one replica on port 3306 with the documented defaults', () => {
    const { db } = setup();
    expect(db.cluster.instances).toHaveLength(2);
    expect(db.primary.hostname).toBe('db-1');
    expect(db.replicas.map((r) => r.hostname)).toEqual(['db-2']);
    expect(db.port).toBe(3306);
    expect(db.applicationUser).toBe('app');
    expect(db.replicationUser).toBe('replicator');
    expect(db.bufferPoolFraction).toBe(0.6);
    expect(db.bufferPoolMb).toBe(2432);
    expect(db.binlogRetentionDays).toBe(7);
    // No client declared yet: a replication connection for each replica the address capacity (10
    // servers) allows, at most MAX_MYSQL_REPLICAS (8), and the admin reserve.
    expect(db.cluster.addressCapacity).toBe(10);
    expect(db.maxConnections).toBe(8 + 10);
    expect(db.applicationHost).toBe('%');
  });

  test('given the vSwitch plans addresses, then the writer is the primary and the readers are the replicas', () => {
    const { db } = setup({ replicas: 2 });
    expect(db.writerAddress).toBe('10.0.1.2');
    expect(db.readerAddresses).toEqual(['10.0.1.3', '10.0.1.4']);
    expect(db.writerAddress).toBe(db.primary.address);
  });

  test('given no passwords, then sensitive variables mysql_app_password and mysql_replication_password', () => {
    const { stack, db } = setup();
    const json = JSON.parse(Testing.synth(stack));
    expect(json.variable.mysql_app_password).toMatchObject({ sensitive: true, type: 'string' });
    expect(json.variable.mysql_replication_password).toMatchObject({ sensitive: true, type: 'string' });
    expect(db.applicationPassword.variableName).toBe('mysql_app_password');
  });

  test('given passwords, then they are used', () => {
    const stack = new HostingStack(Testing.app(), 'test');
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    const applicationPassword = Secret.variable(stack, 'orders_db_password', 'app');
    const db = new MysqlReplication(stack, 'Db', { vswitch, flavor: DB_FLAVOR_4GB, databaseName: 'popgom', applicationPassword });
    expect(db.applicationPassword).toBe(applicationPassword);
    expect(fileOf(stack, 'db-1', '/etc/mysql/hosting-stacks/app.password')).toBe('${var.orders_db_password}\n');
  });

  test('given the construct, then its default child is the primary server (for addOverride)', () => {
    const { db } = setup();
    expect(db.node.defaultChild).toBe(db.primary.resource);
  });

  test('given a flavor picked from the case-study sizing, then the buffer pool follows that flavor\'s RAM', () => {
    const { db } = setup({ flavor: Flavor.fromSizing(DB_SIZING) });
    expect(db.bufferPoolMb).toBe(Math.floor((db.cluster.flavor.ramGb * 1024 * 0.6) / 128) * 128);
  });
});

describe('MysqlReplication errors', () => {
  test.each([
    [{ replicas: 0 }, /'replicas' \(0\) must be an integer from 1 to 8/],
    [{ replicas: 9 }, /'replicas' \(9\) must be an integer from 1 to 8/],
    [{ replicas: 1.5 }, /'replicas' \(1.5\) must be an integer from 1 to 8/],
    [{ bufferPoolFraction: 0.95 }, /'bufferPoolFraction' \(0.95\) must be a share of RAM from 0.1 to 0.8/],
    [{ bufferPoolFraction: 0.05 }, /'bufferPoolFraction' \(0.05\) must be a share of RAM from 0.1 to 0.8/],
    [{ port: 70000 }, /'port' \(70000\) must be an integer from 1 to 65535/],
    [{ binlogRetentionDays: 100 }, /'binlogRetentionDays' \(100\) must be an integer from 1 to 99/],
    [{ maxConnections: 5 }, /'maxConnections' \(5\) must be an integer from 10 to 10000/],
    [{ primaryWaitSeconds: 1 }, /'primaryWaitSeconds' \(1\) must be an integer from 10 to 86400/],
    [{ databaseName: 'pop-gom' }, /test\/Db: 'databaseName' \('pop-gom'\) must be 1 to 64 letters, digits or underscores/],
    [{ applicationUser: "app'--" }, /'applicationUser' \('app'--'\) must be 1 to 80 letters, digits or underscores/],
    [{ replicationUser: 'repl@x' }, /'replicationUser' \('repl@x'\) must be 1 to 80 letters, digits or underscores/],
    [{ applicationUser: 'same', replicationUser: 'same' }, /'replicationUser' \('same'\) must differ from 'applicationUser'/],
    [{ applicationClientCidr: '10.0.2.5/24' }, /'applicationClientCidr' \('10.0.2.5\/24'\) must be an IPv4 CIDR with no host bits set/],
  ] as [Partial<MysqlReplicationProps>, RegExp][])('given %j, then it throws', (props, message) => {
    expect(() => setup(props)).toThrow(message);
  });
});

describe('MysqlReplication max_connections', () => {
  function client(stack: HostingStack, id: string) {
    return new Construct(stack, id);
  }

  test('given clients declared after the database, then max_connections is their sum plus the replicas and the admin reserve, in every server\'s config', () => {
    const { stack, db } = setup({ replicas: 2, flavor: Flavor.custom({ name: 'db-16gb', vcpus: 4, ramGb: 16, diskGb: 100 }) });
    db.addClient({ client: client(stack, 'Frontends'), servers: 10, connectionsPerServer: 56, bound: 'PHP-FPM pm.max_children' });
    db.addClient({ client: client(stack, 'BackOffice'), servers: 1, connectionsPerServer: 14, bound: 'PHP-FPM pm.max_children' });
    expect(db.maxConnections).toBe(560 + 14 + 8 + 10);
    for (const host of db.cluster.instances) {
      const config = fileOf(stack, host.hostname, MARIADB_CONFIG_PATH);
      expect(mysqldOptions(config).max_connections).toBe('592');
      expect(config).toContain('#   560 = 10 x 56 (PHP-FPM pm.max_children): test/Frontends\n');
      expect(config).toContain('#   8 = 8 x 1 (replication I/O thread per replica, up to the address capacity): test/Db\n');
      expect(config).toContain('#   sum: 592\n');
    }
  });

  test('given one more client or a client with more servers, then max_connections rises by its connections', () => {
    const { stack, db } = setup();
    db.addClient({ client: client(stack, 'App'), servers: 2, connectionsPerServer: 50, bound: 'Tomcat pool maxTotal' });
    const before = db.maxConnections;
    db.addClient({ client: client(stack, 'OrderTracking'), servers: 1, connectionsPerServer: 20, bound: 'WildFly max-pool-size' });
    expect(db.maxConnections).toBe(before + 20);
    const { stack: stack3, db: db3 } = setup();
    db3.addClient({ client: client(stack3, 'App'), servers: 3, connectionsPerServer: 50, bound: 'Tomcat pool maxTotal' });
    expect(db3.maxConnections).toBe(before - 100 + 150);
  });

  test('given every server with its clients, then mariadbd accepts the config', () => {
    const { stack, db } = setup();
    db.addClient({ client: client(stack, 'App'), servers: 2, connectionsPerServer: 50, bound: 'Tomcat pool maxTotal' });
    for (const host of db.cluster.instances) {
      const result = checkMariadb(fileOf(stack, host.hostname, MARIADB_CONFIG_PATH));
      expect(result.output).not.toMatch(/unknown variable/i);
      expect(result.ok).toBe(true);
    }
  });

  test('given clients the flavor\'s RAM cannot hold, then addClient throws naming the database, the count and the limit', () => {
    const { stack, db } = setup();
    // 4 GB, 2,432 MB pool: (4096 - 2432 - 784) / 3 = 293 connections.
    expect(() => db.addClient({ client: client(stack, 'Frontends'), servers: 10, connectionsPerServer: 56, bound: 'PHP-FPM pm.max_children' }))
      .toThrow(/^test\/Db: 'maxConnections' \(578\) \(derived: 8 \(test\/Db: 8 x 1 replication I\/O thread per replica, up to the address capacity\) \+ 560 \(test\/Frontends: 10 x 56 PHP-FPM pm.max_children\) \+ 10 \(administration\)\) must fit the flavor 'db-4gb': its 4 GB hold at most 293 connections of 3 MB after the 2432 MB buffer pool/);
  });

  test('given a max_connections the RAM cannot hold, then the constructor throws', () => {
    expect(() => setup({ maxConnections: 1000 })).toThrow(/^test\/Db: 'maxConnections' \(1000\) must fit the flavor 'db-4gb': its 4 GB hold at most 293 connections/);
  });

  test('given a max_connections below what the clients declare, then addClient throws', () => {
    const { stack, db } = setup({ maxConnections: 100 });
    expect(() => db.addClient({ client: client(stack, 'App'), servers: 2, connectionsPerServer: 50, bound: 'Tomcat pool maxTotal' }))
      .toThrow(/^test\/Db: 'maxConnections' \(100\) must be at least what the clients can open at once \(118: 8 \(test\/Db: 8 x 1 replication I\/O thread per replica, up to the address capacity\) \+ 100 \(test\/App: 2 x 50 Tomcat pool maxTotal\) \+ 10 \(administration\)\)/);
  });

  test.each([
    [{ servers: 0 }, /'addClient.servers' \(0\) must be an integer from 1 to 10000/],
    [{ connectionsPerServer: 0 }, /'addClient.connectionsPerServer' \(0\) must be an integer from 1 to 10000/],
  ])('given a demand of %j, then addClient throws', (bad, message) => {
    const { stack, db } = setup();
    expect(() => db.addClient({ client: client(stack, 'App'), servers: 1, connectionsPerServer: 1, bound: 'x', ...bad })).toThrow(message);
  });
});

describe('MysqlReplication resources', () => {
  test('given 1 + 2 servers, then one anti-affinity server group and three instances of the flavor', () => {
    const { stack } = setup({ replicas: 2 });
    const synthed = Testing.synth(stack);
    expect(synthed).toHaveResourceWithProperties({ tfResourceType: 'openstack_compute_servergroup_v2' }, { policies: ['anti-affinity'] });
    const json = JSON.parse(synthed);
    const instances = Object.values(json.resource.openstack_compute_instance_v2) as { name: string; flavor_name: string }[];
    expect(instances.map((i) => i.name).sort()).toEqual(['db-1', 'db-2', 'db-3']);
    expect(instances.every((i) => i.flavor_name === 'db-4gb')).toBe(true);
  });

  test('given replication, then the members may reach each other on 3306 and nothing else is opened', () => {
    const { db } = setup();
    expect(db.connections.ingressRules).toHaveLength(1);
    const [rule] = db.connections.ingressRules;
    expect(rule.port.label).toBe('tcp-3306');
    expect(rule.source).toEqual(TrafficSource.group(db.connections));
  });

  test('given an application tier that declares access, then a rule from its security group on the database port', () => {
    const { stack, vswitch, db } = setup({ port: 3307 });
    const app = new ServerCluster(stack, 'App', { vswitch, count: 1, flavor: DB_FLAVOR_4GB });
    db.connections.allowFrom(app, Port.tcp(db.port));
    const rules = Object.values(JSON.parse(Testing.synth(stack)).resource.openstack_networking_secgroup_rule_v2) as Record<string, unknown>[];
    const fromApp = rules.filter((r) => String(r.remote_group_id).includes('.App_Connections_'));
    expect(fromApp).toHaveLength(1);
    expect(fromApp[0]).toMatchObject({ port_range_min: 3307, port_range_max: 3307, protocol: 'tcp' });
    expect(String(fromApp[0].security_group_id)).toContain('.Db_Servers_Connections_');
  });

  test('given a host, then MariaDB is installed, restarted with the config and bootstrapped once', () => {
    const { db } = setup();
    for (const host of db.cluster.instances) {
      expect(host.cloudConfig.packages).toEqual(expect.arrayContaining(['mariadb-server', 'mariadb-client']));
      expect(host.cloudConfig.services).toContain('mariadb');
      const rendered = host.cloudConfig.render();
      expect(rendered).toContain(`- - ${MARIADB_BOOTSTRAP_PATH}`);
    }
  });
});

describe('MysqlReplication rendered files', () => {
  test('given 1 + 3 servers, then each server_id is unique and each binds its planned address', () => {
    const { stack, db } = setup({ replicas: 3 });
    const options = db.cluster.instances.map((h) => mysqldOptions(fileOf(stack, h.hostname, MARIADB_CONFIG_PATH)));
    expect(options.map((o) => o.server_id)).toEqual(['1', '2', '3', '4']);
    expect(options.map((o) => o['bind-address'])).toEqual(db.cluster.addresses);
  });

  test('given a primary and replicas, then read_only is ON on the replicas only', () => {
    const { stack, db } = setup({ replicas: 2 });
    const readOnly = db.cluster.instances.map((h) => mysqldOptions(fileOf(stack, h.hostname, MARIADB_CONFIG_PATH)).read_only);
    expect(readOnly).toEqual([undefined, 'ON', 'ON']);
  });

  test('given 4 GB of RAM at 0.7 and 14 days, then the buffer pool and the binlog expiry follow', () => {
    const { stack } = setup({ bufferPoolFraction: 0.7, binlogRetentionDays: 14, maxConnections: 150 });
    const options = mysqldOptions(fileOf(stack, 'db-2', MARIADB_CONFIG_PATH));
    expect(options).toMatchObject({
      innodb_buffer_pool_size: `${Math.floor((4096 * 0.7) / 128) * 128}M`,
      binlog_expire_logs_seconds: String(14 * 86400),
      max_connections: '150',
      gtid_strict_mode: 'ON',
      log_slave_updates: 'ON',
      binlog_format: 'ROW',
      sync_binlog: '1',
      innodb_flush_log_at_trx_commit: '1',
    });
  });

  test('given every host, then its rendered MariaDB config passes mariadbd\'s own option check', () => {
    const { stack, db } = setup({ replicas: 2 });
    for (const host of db.cluster.instances) {
      const result = checkMariadb(fileOf(stack, host.hostname, MARIADB_CONFIG_PATH));
      expect(result.output).not.toMatch(/unknown variable/i);
      expect(result.ok).toBe(true);
    }
  });

  test('given every host, then its bootstrap script passes bash -n and sh -n', () => {
    const { stack, db } = setup();
    for (const host of db.cluster.instances) {
      const result = checkShellSyntax(fileOf(stack, host.hostname, MARIADB_BOOTSTRAP_PATH));
      expect(result.ok).toBe(true);
    }
  });

  test('given the replica, then its script waits for the primary\'s planned address and follows it by GTID', () => {
    const { stack, db } = setup();
    const script = fileOf(stack, 'db-2', MARIADB_BOOTSTRAP_PATH);
    expect(script).toContain(`MASTER_HOST=''${db.writerAddress}'', MASTER_PORT=3306, MASTER_USER=''replicator''`);
    expect(script).toContain('MASTER_USE_GTID=slave_pos');
    expect(script).toContain(`--host='${db.writerAddress}' --port=3306`);
  });

  test('given the primary, then the replication account may log in from the vSwitch only', () => {
    const { stack } = setup({ applicationClientCidr: '10.0.0.0/16' });
    const script = fileOf(stack, 'db-1', MARIADB_BOOTSTRAP_PATH);
    expect(script).toContain("TO 'replicator'@'10.0.1.0/255.255.255.0'");
    expect(script).toContain("TO 'app'@'10.0.0.0/255.255.0.0'");
  });

  test('given the password files, then they are root-only and hold only the variable references', () => {
    const { db } = setup();
    const files = db.cluster.instances.flatMap((h) => h.cloudConfig.hostFiles.filter((f) => f.path.endsWith('.password')).map((f) => ({ host: h.hostname, ...f })));
    expect(files.map((f) => `${f.host}:${f.path}`)).toEqual([
      'db-1:/etc/mysql/hosting-stacks/app.password',
      'db-1:/etc/mysql/hosting-stacks/replication.password',
      'db-2:/etc/mysql/hosting-stacks/replication.password',
    ]);
    expect(files.every((f) => f.permissions === '0600' && (f.owner ?? 'root:root') === 'root:root')).toBe(true);
  });

  test('given the synthesized stack, then the only ${...} in any output are the variable references, and no password literal appears', () => {
    const { stack } = setup({ replicas: 2 });
    const synthed = Testing.synth(stack);
    const json = JSON.parse(synthed);
    const userData = Object.values(json.resource.openstack_compute_instance_v2).map((i) => (i as { user_data: string }).user_data).join('\n');
    const references = [...userData.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]);
    expect(new Set(references)).toEqual(new Set(['var.mysql_app_password', 'var.mysql_replication_password']));
    expect(userData).toContain('content: |\n      ${var.mysql_replication_password}\n');
    // No statement or option carries a quoted password: they are read from the files at run time.
    expect(synthed).not.toMatch(/IDENTIFIED BY (?!PASSWORD ', QUOTE\(PASSWORD\(@)/);
    expect(synthed).not.toMatch(/MASTER_PASSWORD=(?!', QUOTE\(@replication_password\))/);
    expect(synthed).not.toMatch(/password\s*=(?!\s*CONVERT\(UNHEX\('\$)(?!', QUOTE\(@)/i);
  });
});

describe('MysqlReplication user data in Terraform', () => {
  test('given the synthesized user data of every server, then Terraform parses it with the two password variables', () => {
    const { stack } = setup();
    const json = JSON.parse(Testing.synth(stack));
    expect(checkTerraformTemplates(json)).toEqual([]);
  });
});

describe('MysqlReplication role check', () => {
  const ROLE_CHECK_FILES = [
    MARIADB_ROLE_CHECK_SCRIPT_PATH,
    MARIADB_ROLE_CHECK_SYSUSERS_PATH,
    `/etc/systemd/system/${MARIADB_ROLE_CHECK_SERVICE_UNIT}`,
    `/etc/systemd/system/${MARIADB_ROLE_CHECK_SOCKET_UNIT}`,
  ];

  test('given no balancer asked, then no server has the check and nothing listens on 9200', () => {
    const { stack, db } = setup({ replicas: 2 });
    const paths = stack.renderHostFiles().map((f) => f.path);
    for (const path of ROLE_CHECK_FILES) expect(paths).not.toContain(path);
    expect(db.connections.ingressRules.map((r) => r.port.label)).toEqual(['tcp-3306']);
  });

  test('given two balancers asking, then every server gets the check once, on its own address, and only they may reach it', () => {
    const { stack, vswitch, db } = setup({ replicas: 2, maxReplicaLagSeconds: 10 });
    const a = new ServerCluster(stack, 'BalancersA', { vswitch, count: 1, flavor: DB_FLAVOR_4GB });
    const b = new ServerCluster(stack, 'BalancersB', { vswitch, count: 1, flavor: DB_FLAVOR_4GB });
    const check = db.allowRoleChecksFrom(a);
    expect(db.allowRoleChecksFrom(b)).toBe(check);
    expect(check).toEqual({ port: 9200, primaryPath: '/primary', replicaPath: '/replica', readablePath: '/readable', maxLagSeconds: 10 });

    const files = stack.renderHostFiles();
    for (const host of db.cluster.instances) {
      const mine = files.filter((f) => f.host === host.hostname);
      for (const path of ROLE_CHECK_FILES) expect(mine.filter((f) => f.path === path)).toHaveLength(1);
      expect(fileOf(stack, host.hostname, `/etc/systemd/system/${MARIADB_ROLE_CHECK_SOCKET_UNIT}`)).toContain(`ListenStream=${host.address}:9200`);
      expect(fileOf(stack, host.hostname, MARIADB_ROLE_CHECK_SCRIPT_PATH)).toContain('[ "$lag" -le 10 ]');
      expect(host.cloudConfig.services).toContain(MARIADB_ROLE_CHECK_SOCKET_UNIT);
      // The user exists before the socket starts a check as it.
      const commands = host.cloudConfig.runCommands.map((c) => (Array.isArray(c) ? c.join(' ') : c));
      const sysusers = commands.indexOf(`systemd-sysusers ${MARIADB_ROLE_CHECK_SYSUSERS_PATH}`);
      expect(sysusers).toBeGreaterThanOrEqual(0);
      expect(sysusers).toBeLessThan(commands.indexOf(`systemctl restart ${MARIADB_ROLE_CHECK_SOCKET_UNIT}`));
    }
    // The account is made on the primary only, after its bootstrap; the replicas get it by replication.
    const grants = db.cluster.instances.map((h) => h.cloudConfig.render().includes(`'${MARIADB_ROLE_CHECK_ACCOUNT}'@'localhost' IDENTIFIED VIA unix_socket`));
    expect(grants).toEqual([true, false, false]);
    const primaryCommands = db.primary.cloudConfig.runCommands.map((c) => (Array.isArray(c) ? c.join(' ') : c));
    const bootstrap = primaryCommands.indexOf(MARIADB_BOOTSTRAP_PATH);
    expect(bootstrap).toBeGreaterThanOrEqual(0);
    expect(bootstrap).toBeLessThan(primaryCommands.findIndex((c) => c.includes('IDENTIFIED VIA unix_socket')));

    const checkRules = db.connections.ingressRules.filter((r) => r.port.label === 'tcp-9200');
    expect(checkRules.map((r) => r.source)).toEqual([TrafficSource.group(a.connections), TrafficSource.group(b.connections)]);
  });

  test('given the check on every server, then each of its files passes its own daemon\'s check (bash -n, systemd-analyze, systemd-sysusers)', () => {
    const { stack, vswitch, db } = setup();
    db.allowRoleChecksFrom(new ServerCluster(stack, 'Balancers', { vswitch, count: 1, flavor: DB_FLAVOR_4GB }));
    const files = stack.renderHostFiles().filter((f) => ROLE_CHECK_FILES.includes(f.path));
    expect(files).toHaveLength(2 * 4);
    for (const f of files) {
      const result = checkHostFile(f);
      expect(result).toBeDefined();
      expect({ file: `${f.host}:${f.path}`, ...result }).toMatchObject({ ok: true });
    }
  });

  test('given something without connections as the peer, then allowRoleChecksFrom throws naming the database', () => {
    const { db } = setup();
    expect(() => db.allowRoleChecksFrom({} as never)).toThrow(/test\/Db: 'peer' .* must be a construct with connections/);
  });

  test.each([[0], [3601], [1.5]])('given maxReplicaLagSeconds %p, then the constructor throws naming the prop and the range', (value) => {
    expect(() => setup({ maxReplicaLagSeconds: value })).toThrow(HostingStacksError);
    expect(() => setup({ maxReplicaLagSeconds: value })).toThrow(/test\/Db.*maxReplicaLagSeconds.*1 to 3600/);
  });
});
