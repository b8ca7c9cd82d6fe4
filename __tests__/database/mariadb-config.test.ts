import {
  bufferPoolMbForRam,
  DEBIAN_MARIADB_LIMIT_NOFILE,
  MARIADB_ADMIN_CONNECTIONS,
  MariadbConfigModel,
  mariadbConnectionLimits,
  mariadbConnectionsForRam,
  MariadbConnectionTerm,
  mariadbHostForCidr,
  MariadbPrimaryBootstrapModel,
  MariadbReplicaBootstrapModel,
  MariadbRole,
  renderMariadbBootstrapScript,
  renderMariadbConfig,
} from '../../lib/database/mariadb-config';
import { checkMariadb } from '../support/daemons';
import { checkShellSyntax, mysqldOptions } from './mariadb-support';

// Monsieur Déguisement at its campaign peak: 10 front-ends x 56 PHP-FPM children, the back-office's 14, one replica.
const MD_TERMS: MariadbConnectionTerm[] = [
  { client: 'md/Frontends', servers: 10, connectionsPerServer: 56, bound: 'PHP-FPM pm.max_children', connections: 560 },
  { client: 'md/BackOffice', servers: 1, connectionsPerServer: 14, bound: 'PHP-FPM pm.max_children', connections: 14 },
  { client: 'md/Database', servers: 1, connectionsPerServer: 1, bound: 'replication I/O thread per replica', connections: 1 },
];

function configModel(overrides: Partial<MariadbConfigModel> = {}): MariadbConfigModel {
  return {
    role: MariadbRole.PRIMARY,
    serverId: 1,
    bindAddress: '10.0.1.2',
    port: 3306,
    reportHost: '10.0.1.2',
    binlogBasename: '/var/lib/mysql/mariadb-bin',
    relayLogBasename: '/var/lib/mysql/relay-bin',
    binlogExpireSeconds: 604800,
    bufferPoolMb: 2432,
    connections: mariadbConnectionLimits(MD_TERMS, MARIADB_ADMIN_CONNECTIONS),
    ...overrides,
  };
}

const primaryBootstrap: MariadbPrimaryBootstrapModel = {
  role: MariadbRole.PRIMARY,
  socket: '/run/mysqld/mysqld.sock',
  localWaitSeconds: 120,
  databaseName: 'popgom',
  applicationUser: 'app',
  applicationHost: '%',
  applicationPasswordFile: '/etc/mysql/hosting-stacks/app.password',
  replicationUser: 'replicator',
  replicationHost: '10.0.1.0/255.255.255.0',
  replicationPasswordFile: '/etc/mysql/hosting-stacks/replication.password',
};

const replicaBootstrap: MariadbReplicaBootstrapModel = {
  role: MariadbRole.REPLICA,
  socket: '/run/mysqld/mysqld.sock',
  localWaitSeconds: 120,
  primaryAddress: '10.0.1.2',
  primaryPort: 3306,
  primaryWaitSeconds: 900,
  replicationUser: 'replicator',
  replicationPasswordFile: '/etc/mysql/hosting-stacks/replication.password',
  connectRetrySeconds: 10,
};

describe('bufferPoolMbForRam', () => {
  test('given 4 GB (case study 2 database server) at 0.6, then 2457.6 MB rounded down to 128 MB chunks = 2432', () => {
    expect(bufferPoolMbForRam(4, 0.6)).toBe(2432);
  });

  test('given 8 GB at 0.7, then 5734.4 MB rounded down = 5632', () => {
    expect(bufferPoolMbForRam(8, 0.7)).toBe(5632);
  });

  test('given a tiny server, then at least one 128 MB chunk', () => {
    expect(bufferPoolMbForRam(0.5, 0.1)).toBe(128);
  });
});

describe('mariadbHostForCidr', () => {
  test('given a /24, then network/netmask', () => {
    expect(mariadbHostForCidr('10.0.1.0/24')).toBe('10.0.1.0/255.255.255.0');
  });

  test('given a /20 and a /8, then their masks', () => {
    expect(mariadbHostForCidr('172.16.16.0/20')).toBe('172.16.16.0/255.255.240.0');
    expect(mariadbHostForCidr('127.0.0.0/8')).toBe('127.0.0.0/255.0.0.0');
  });

  test('given host bits or garbage, then undefined', () => {
    expect(mariadbHostForCidr('10.0.1.5/24')).toBeUndefined();
    expect(mariadbHostForCidr('db')).toBeUndefined();
  });
});

describe('renderMariadbConfig', () => {
  test('given a primary, then the replication and durability options are set and read_only is not', () => {
    const options = mysqldOptions(renderMariadbConfig(configModel()));
    expect(options).toMatchObject({
      server_id: '1',
      'bind-address': '10.0.1.2',
      port: '3306',
      log_bin: '/var/lib/mysql/mariadb-bin',
      binlog_format: 'ROW',
      sync_binlog: '1',
      binlog_expire_logs_seconds: '604800',
      gtid_strict_mode: 'ON',
      log_slave_updates: 'ON',
      relay_log: '/var/lib/mysql/relay-bin',
      innodb_flush_log_at_trx_commit: '1',
      innodb_buffer_pool_size: '2432M',
      max_connections: '585',
    });
    expect(options.read_only).toBeUndefined();
  });

  test('given the clients, then a comment shows each term of the sum and the limits that follow from it are set', () => {
    const config = renderMariadbConfig(configModel());
    expect(config).toContain([
      '#   560 = 10 x 56 (PHP-FPM pm.max_children): md/Frontends',
      '#   14 = 1 x 14 (PHP-FPM pm.max_children): md/BackOffice',
      '#   1 = 1 x 1 (replication I/O thread per replica): md/Database',
      '#   10 for administration (backup, monitoring, an operator)',
      '#   sum: 585',
      'max_connections = 585',
    ].join('\n'));
    expect(mysqldOptions(config)).toMatchObject({ thread_cache_size: '585', table_open_cache: '4680', open_files_limit: String(10 + 585 + 1 + 2 * 4680) });
  });

  test('given a max_connections above the sum, then the comment says it was given', () => {
    const config = renderMariadbConfig(configModel({ connections: mariadbConnectionLimits(MD_TERMS, 10, 800) }));
    expect(config).toMatch(/^# {3}sum: 585; max_connections was given as 800$/m);
    expect(mysqldOptions(config).max_connections).toBe('800');
  });

  test('given a replica, then read_only is ON and replication starts with the server', () => {
    const options = mysqldOptions(renderMariadbConfig(configModel({ role: MariadbRole.REPLICA, serverId: 2 })));
    expect(options).toMatchObject({ server_id: '2', read_only: 'ON', skip_slave_start: 'OFF' });
  });

  test.each([MariadbRole.PRIMARY, MariadbRole.REPLICA])('given a %s, then mariadbd accepts every option', (role) => {
    const result = checkMariadb(renderMariadbConfig(configModel({ role, serverId: role === MariadbRole.PRIMARY ? 1 : 2 })));
    expect(result.output).not.toMatch(/unknown variable|unknown option/i);
    expect(result.ok).toBe(true);
  });

  test('given an option mariadbd does not know, then the real check fails (the check can fail)', () => {
    const result = checkMariadb(`${renderMariadbConfig(configModel())}\nbinlog_expire_logs_weeks = 1\n`);
    expect(result.ok).toBe(false);
  });
});

describe('mariadbConnectionLimits', () => {
  test('given Monsieur Déguisement\'s clients, then max_connections is their sum plus the admin reserve: 560 + 14 + 1 + 10 = 585', () => {
    const limits = mariadbConnectionLimits(MD_TERMS, MARIADB_ADMIN_CONNECTIONS);
    expect(limits).toMatchObject({ sum: 585, maxConnections: 585, given: false, threadCacheSize: 585 });
  });

  test('given one more client, or more servers of one, then max_connections rises by its connections', () => {
    const base = mariadbConnectionLimits(MD_TERMS, 10).maxConnections;
    const wildfly: MariadbConnectionTerm = { client: 'x/OrderTracking', servers: 1, connectionsPerServer: 20, bound: 'WildFly max-pool-size', connections: 20 };
    expect(mariadbConnectionLimits([...MD_TERMS, wildfly], 10).maxConnections).toBe(base + 20);
    const twelve = MD_TERMS.map((t) => (t.client === 'md/Frontends' ? { ...t, servers: 12, connections: 12 * 56 } : t));
    expect(mariadbConnectionLimits(twelve, 10).maxConnections).toBe(base + 2 * 56);
  });

  test('given a value, then it is kept and the sum is still reported', () => {
    expect(mariadbConnectionLimits(MD_TERMS, 10, 800)).toMatchObject({ sum: 585, maxConnections: 800, given: true });
  });

  test('given few connections, then table_open_cache stays at MariaDB\'s default 2000; given many, 8 per connection', () => {
    expect(mariadbConnectionLimits([], 50).tableOpenCache).toBe(2000);
    expect(mariadbConnectionLimits(MD_TERMS, 10).tableOpenCache).toBe(585 * 8);
  });

  test.each([50, 585, 1900, 5000, 10000])('given %i connections, then open_files_limit is mariadbd\'s own count and fits Debian\'s LimitNOFILE', (n) => {
    const limits = mariadbConnectionLimits([], 0, n);
    expect(limits.openFilesLimit).toBe(10 + n + 1 + 2 * limits.tableOpenCache);
    expect(limits.openFilesLimit).toBeLessThanOrEqual(DEBIAN_MARIADB_LIMIT_NOFILE);
    expect(limits.tableOpenCache).toBeGreaterThanOrEqual(2000);
  });
});

describe('mariadbConnectionsForRam', () => {
  test('given 16 GB with a 9,728 MB pool (Monsieur Déguisement), then (16384 - 9728 - 784) / 3 = 1957 connections', () => {
    expect(mariadbConnectionsForRam(16, bufferPoolMbForRam(16, 0.6))).toBe(1957);
  });

  test('given 4 GB with a 2,432 MB pool (case study 2), then (4096 - 2432 - 784) / 3 = 293 connections', () => {
    expect(mariadbConnectionsForRam(4, 2432)).toBe(293);
  });

  test('given a pool that leaves nothing, then 0', () => {
    expect(mariadbConnectionsForRam(1, 768)).toBe(0);
  });
});

describe('renderMariadbBootstrapScript', () => {
  test('given the primary, then it creates the schema, the application user and a replication user with a hash only', () => {
    const script = renderMariadbBootstrapScript(primaryBootstrap);
    expect(script).toContain("CREATE DATABASE IF NOT EXISTS \\`popgom\\`");
    expect(script).toContain("CREATE OR REPLACE USER ''app''@''%'' IDENTIFIED BY PASSWORD ', QUOTE(PASSWORD(@app_password))");
    expect(script).toContain("GRANT REPLICATION SLAVE ON *.* TO 'replicator'@'10.0.1.0/255.255.255.0'");
    expect(script).toContain("password_hex '/etc/mysql/hosting-stacks/app.password'");
    expect(script).not.toContain('CHANGE MASTER');
  });

  test('given a replica, then it waits for the primary and follows it by GTID', () => {
    const script = renderMariadbBootstrapScript(replicaBootstrap);
    expect(script).toContain("--host='10.0.1.2' --port=3306 --user='replicator'");
    expect(script).toContain("CHANGE MASTER TO MASTER_HOST=''10.0.1.2'', MASTER_PORT=3306, MASTER_USER=''replicator'', MASTER_PASSWORD=', QUOTE(@replication_password), ', MASTER_USE_GTID=slave_pos");
    expect(script).toContain('START SLAVE;');
    expect(script).not.toContain('CREATE DATABASE');
  });

  test.each([['primary', primaryBootstrap], ['replica', replicaBootstrap]] as const)('given the %s script, then bash -n and sh -n accept it', (_, model) => {
    const result = checkShellSyntax(renderMariadbBootstrapScript(model));
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  test('given a broken script, then the shell check fails (the check can fail)', () => {
    expect(checkShellSyntax(`${renderMariadbBootstrapScript(replicaBootstrap)}\nif true; then\n`).ok).toBe(false);
  });
});
