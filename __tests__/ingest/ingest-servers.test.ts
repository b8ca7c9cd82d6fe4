import { ExternalNetwork, Flavor, Peer, PrivateVSwitch } from '../../lib';
import { HaproxyBalancer } from '../../lib/balancing/haproxy-balancer';
import { MysqlReplication } from '../../lib/database/mysql-replication';
import {
  INGEST_AUTHORIZED_KEYS_DIR,
  INGEST_CONFIG_PATH,
  INGEST_SCRIPT_PATH,
  INGEST_SERVICE_UNIT,
  INGEST_SETUP_PATH,
  INGEST_SSHD_CONFIG_PATH,
  INGEST_SYSUSERS_PATH,
  INGEST_TIMER_UNIT,
} from '../../lib/ingest/ingest-config';
import { SqlType } from '../../lib/ingest/ingest-feed';
import { ED25519_KEY, OFFERS_FEED } from './fixtures';
import { CLOSED_DROP_CIDR, IngestServers, IngestServersProps } from '../../lib/ingest/ingest-servers';
import { checkHostFile } from '../support/config-checks';
import { hostFile, resourcesOf, synthJson, testStack } from '../support/synth';

// Public keys made by ssh-keygen for these tests (public halves only).
const RSA_3072_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCprQqfSDTgjIOdDfLY0FQJD6vedN0GlYbGX5wfP5TNHoMX8CPBzvlLG5XFHzHhkOVdzZiiX9fubL9ZaR3d3Ozq9esmJwQlTatTgfOTJlcYfCwZAoMjnRjrS0R/fzPUn4Pv2Kc5TMcA80dvvpcJoAF9M47Y54kEtj4gBcJyhBuMnuGYABkwJ2N1bg/Sf9xXEtkDO9WVlGD6wj3d3/mi9IJm5j0CmpoxNut17FK0JkEIC1lo0G3XiovjoK9KqhuGQDedPmb+VVlwsh+vfmJxk6sv4BwCw8P6/25v2AaHwcah9iGFYehktPvy80xAWjyHyVlpvHV8rDbdS+zjRoqbayPna1vrirQM3qyrym+tZaLbFLR7CMCXFZW36WH7ot+Hha7k7Wuprk3PL3T8enSUoNzlUYMS5s2IkGhrC5lfUBluUDqyODKM2DFrTMUT4b/05ESjmGH7qxWMJPWHLHt+3tJypjjmJ6/R6dd3KKEleYIXEgiwh4E1KgAHI8xzwn8bZcs= it@example';
const RSA_1024_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDJPEkwV92s6zwJ0Lua3irHfEmj5+ycDF8LsyDI+1kvsDc1vRv6i4sZaS8rJtUCJue6tsqxfjNcZbeJ8PPvAmTItN6qzQpyh3MpzPl6JBaO9CTH6o+LQfXxXCv66vhOAeBHVStQVjqqa9Ir9G/Ou0C0xBPuyJWd26BfFVdj+rB0tQ== old';
const ECDSA_KEY = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBN/Ue0Tzh/Jw1DdNTexXuBpV7R3Df4sDfz+pqU5eWYfUaeKJ4w+eiTR3+lFzuXF07xq/f3uSrtEbHgAN1NPozxI= ec';

function setup(props: Partial<IngestServersProps> = {}, onDmz = false) {
  const stack = testStack();
  const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  const data = new PrivateVSwitch(stack, 'Data', { cidr: '10.0.2.0/24', router: dmz.router });
  const db = new MysqlReplication(stack, 'Db', { vswitch: data, flavor: Flavor.named('b3-16'), databaseName: 'catalog' });
  const ingest = new IngestServers(stack, 'Ingest', {
    vswitch: onDmz ? dmz : data,
    flavor: Flavor.named('b3-32'),
    dropAccounts: [{ name: 'acme', publicKeys: [ED25519_KEY] }, { name: 'fonemart', publicKeys: [RSA_3072_KEY, ECDSA_KEY] }],
    dropFrom: ['198.51.100.0/24'],
    feed: OFFERS_FEED,
    targets: [db],
    ...props,
  });
  return { stack, dmz, data, db, ingest };
}

describe('IngestServers: defaults and wiring', () => {
  test('given no externalNetwork, then no public address', () => {
    const { ingest, stack } = setup();
    expect(ingest.publicEntries).toEqual([]);
    expect(resourcesOf(synthJson(stack), 'openstack_networking_floatingip_v2')).toEqual([]);
  });

  test('given an externalNetwork, when synthesized, then each server has a floating IP on its port, after the router interface, listed in an output', () => {
    const { stack, ingest } = setup({ externalNetwork: ExternalNetwork.ovh() }, true);
    expect(ingest.publicEntries.map((e) => e.instance.hostname)).toEqual(['ingest-1', 'ingest-2']);
    const json = synthJson(stack);
    const ips = resourcesOf(json, 'openstack_networking_floatingip_v2');
    expect(ips.map((f) => [f.pool, f.description])).toEqual([['Ext-Net', 'hosting-stacks: test/Ingest SFTP drops on ingest-1'], ['Ext-Net', 'hosting-stacks: test/Ingest SFTP drops on ingest-2']]);
    const associations = resourcesOf(json, 'openstack_networking_floatingip_associate_v2');
    expect(associations).toHaveLength(2);
    for (const a of associations) expect(a.depends_on).toEqual([expect.stringMatching(/^openstack_networking_router_interface_v2\./)]);
    expect(Object.keys((json as { output: Record<string, unknown> }).output)).toContain('ingest_public_addresses');
  });

  test('given an externalNetwork its vSwitch cannot reach, then it throws', () => {
    const stack = testStack();
    const isolated = new PrivateVSwitch(stack, 'Isolated', { cidr: '10.0.9.0/24' });
    const db = new MysqlReplication(stack, 'Db', { vswitch: isolated, flavor: Flavor.named('b3-16'), databaseName: 'catalog' });
    expect(() => new IngestServers(stack, 'Ingest', {
      vswitch: isolated, flavor: Flavor.named('b3-32'), dropAccounts: [{ name: 'acme', publicKeys: [ED25519_KEY] }], feed: OFFERS_FEED, targets: [db], externalNetwork: ExternalNetwork.ovh(),
    })).toThrow(/test\/Ingest: 'vswitch'/);
  });

  test('given the required props, then two stateful ingest servers with the documented defaults', () => {
    const { ingest } = setup();
    expect(ingest.cluster.instances.map((i) => i.hostname)).toEqual(['ingest-1', 'ingest-2']);
    expect(ingest.cluster.stateful).toBe(true);
    expect([ingest.settleSeconds, ingest.pollSeconds, ingest.archiveDays, ingest.retailerColumn]).toEqual([120, 60, 14, 'retailer']);
    expect(ingest.feed.delimiter).toBe(';');
    expect(ingest.node.defaultChild).toBe(ingest.cluster.instances[0].resource);
  });

  test('given dropFrom, when synthesized, then TCP 22 is open from those networks only, and the database port from the ingest servers', () => {
    const { stack } = setup({ dropFrom: ['198.51.100.0/24', '203.0.113.64/26'] });
    const rules = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2');
    const ingestRules = rules.filter((r) => /Ingest_Servers_Connections/.test(r.security_group_id));
    expect(ingestRules.map((r) => [r.port_range_min, r.port_range_max, r.remote_ip_prefix]).sort()).toEqual([[22, 22, '198.51.100.0/24'], [22, 22, '203.0.113.64/26']]);
    const toDb = rules.filter((r) => /Db_Servers_Connections/.test(r.security_group_id) && /Ingest_Servers_Connections/.test(String(r.remote_group_id)));
    expect(toDb.map((r) => r.port_range_min)).toEqual([3306]);
  });

  test('given no dropFrom, then SFTP is open to the closed documentation network only', () => {
    const { ingest } = setup({ dropFrom: undefined });
    expect(ingest.dropFrom).toEqual([CLOSED_DROP_CIDR]);
    expect(ingest.connections.ingressRules.map((r) => r.source.cidr)).toEqual([CLOSED_DROP_CIDR]);
  });

  test('given a database, then the ingest servers are its clients: one connection each', () => {
    const { db, ingest } = setup();
    expect(db.connectionLimits.terms).toEqual(expect.arrayContaining([expect.objectContaining({ client: ingest.node.path, servers: 2, connectionsPerServer: 1 })]));
  });

  test('given the balancer routes of two API databases, then each VIP write port is opened to the ingest servers and each database counts them', () => {
    const stack = testStack();
    const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
    const data = new PrivateVSwitch(stack, 'Data', { cidr: '10.0.2.0/24', router: dmz.router });
    const routes = ['Fr', 'Es'].map((country) => {
      const db = new MysqlReplication(stack, `${country}Db`, { vswitch: data, flavor: Flavor.named('b3-16'), databaseName: 'catalog', hostnamePrefix: `${country.toLowerCase()}-db` });
      const lb = new HaproxyBalancer(stack, `${country}Lb`, { vswitch: dmz, adminCidr: '198.51.100.0/24', hostnamePrefix: `${country.toLowerCase()}-lb` });
      return { db, lb, route: lb.addDatabase(db) };
    });
    const ingest = new IngestServers(stack, 'Ingest', { vswitch: data, flavor: Flavor.named('b3-32'), dropAccounts: [{ name: 'acme', publicKeys: [ED25519_KEY] }], feed: OFFERS_FEED, targets: routes.map((r) => r.route) });
    for (const { db, lb, route } of routes) {
      expect(lb.connections.ingressRules.some((r) => r.source.connections === ingest.connections && r.port.fromPort === route.port)).toBe(true);
      expect(db.connectionLimits.terms.some((t) => t.client === ingest.node.path)).toBe(true);
    }
    const config = JSON.parse(hostFile(stack, 'ingest-1', INGEST_CONFIG_PATH));
    expect(config.targets.map((t: { host: string; port: number }) => `${t.host}:${t.port}`)).toEqual(routes.map((r) => `${r.lb.vipAddress}:3306`));
  });
});

describe('IngestServers: rendered files', () => {
  test('given accounts, then each has a root-owned authorized_keys file of its keys, and the sshd drop-in locks the group into chrooted SFTP', () => {
    const { stack, ingest } = setup();
    const files = ingest.cluster.instances[0].cloudConfig.hostFiles;
    const keys = files.find((f) => f.path === `${INGEST_AUTHORIZED_KEYS_DIR}/fonemart`)!;
    expect(keys.content).toBe(`${RSA_3072_KEY}\n${ECDSA_KEY}\n`);
    expect([keys.permissions, keys.owner]).toEqual(['0644', undefined]);
    const dropIn = hostFile(stack, 'ingest-1', INGEST_SSHD_CONFIG_PATH);
    expect(dropIn).toMatch(/^Match Group hs-sftp-drop$/m);
    for (const line of ['ChrootDirectory /srv/ingest/%u', 'ForceCommand internal-sftp -d /incoming -u 0027', `AuthorizedKeysFile ${INGEST_AUTHORIZED_KEYS_DIR}/%u`, 'PasswordAuthentication no', 'AllowTcpForwarding no', 'PermitTTY no']) {
      expect(dropIn).toContain(`    ${line}\n`);
    }
  });

  test('given the feed, then the run\'s config holds the upsert with the retailer column in the key and the target password as the variable', () => {
    const { stack, db } = setup();
    const config = JSON.parse(hostFile(stack, 'ingest-2', INGEST_CONFIG_PATH));
    expect(config.sql.createTable).toBe('CREATE TABLE IF NOT EXISTS `offers` (`retailer` VARCHAR(32) NOT NULL, `sku` VARCHAR(64) NULL, `store` VARCHAR(32) NULL, `price` DECIMAL(10,2) NULL, `stock` INT NULL, `picture_url` TEXT NULL, PRIMARY KEY (`retailer`, `sku`, `store`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;');
    expect(config.sql.upsert).toMatch(/ON DUPLICATE KEY UPDATE `price` = VALUES\(`price`\), `stock` = VALUES\(`stock`\), `picture_url` = VALUES\(`picture_url`\);$/);
    expect(config.accounts).toEqual(['acme', 'fonemart']);
    expect(config.targets).toEqual([{ name: 'test/Db', host: db.writerAddress, port: 3306, database: 'catalog', user: 'app', credential: 'target-1' }]);
    expect(hostFile(stack, 'ingest-2', '/etc/hosting-stacks-ingest/target-1.password')).toBe('${var.mysql_app_password}\n');
    const service = hostFile(stack, 'ingest-2', `/etc/systemd/system/${INGEST_SERVICE_UNIT}`);
    expect(service).toContain('LoadCredential=target-1:/etc/hosting-stacks-ingest/target-1.password\n');
    expect(service).toContain('User=hs-ingest\n');
  });

  test('given the cloud-config, then the users and folders are made before the services, the staging account after MariaDB, the timer last', () => {
    const { ingest } = setup();
    const steps = ingest.cluster.instances[0].cloudConfig.runCommands.map((c) => (Array.isArray(c) ? c.join(' ') : c));
    const at = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s));
    expect(at(new RegExp(`^${INGEST_SETUP_PATH}$`))).toBeGreaterThan(-1);
    expect(at(new RegExp(`^${INGEST_SETUP_PATH}$`))).toBeLessThan(at(/^systemctl restart ssh$/));
    expect(at(/^systemctl restart mariadb$/)).toBeLessThan(at(/IDENTIFIED VIA unix_socket/));
    expect(at(/IDENTIFIED VIA unix_socket/)).toBeLessThan(at(new RegExp(`^systemctl enable --now ${INGEST_TIMER_UNIT}$`)));
  });

  test('given the stack, then every rendered file of an ingest server passes its real checker (sshd -t, sysusers, systemd-analyze, bash -n, py_compile, mariadbd)', () => {
    const { stack } = setup();
    const files = stack.renderHostFiles().filter((f) => f.host === 'ingest-1' && f.syntax !== undefined);
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining([INGEST_SSHD_CONFIG_PATH, INGEST_SYSUSERS_PATH, INGEST_SETUP_PATH, INGEST_SCRIPT_PATH, `/etc/systemd/system/${INGEST_SERVICE_UNIT}`, `/etc/systemd/system/${INGEST_TIMER_UNIT}`, '/etc/mysql/mariadb.conf.d/60-hosting-stacks-ingest.cnf']));
    for (const f of files) {
      const r = checkHostFile(f)!;
      expect([f.path, r.output]).toEqual([f.path, expect.anything()]);
      expect([f.path, r.ok]).toEqual([f.path, true]);
    }
  }, 120000);

  test('given an sshd drop-in whose Match leaks a global-only keyword, then the sshd check fails (the check can fail)', () => {
    const { stack } = setup();
    const file = stack.renderHostFiles().find((f) => f.host === 'ingest-1' && f.path === INGEST_SSHD_CONFIG_PATH)!;
    const r = checkHostFile({ ...file, content: `${file.content}    Port 2222\n` })!;
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/Port.*not allowed within a Match block|Directive 'Port' is not allowed/);
  });
});

describe('IngestServers: bad input', () => {
  test.each([
    [{ count: 0 }, /test\/Ingest: 'count' \(0\) must be an integer from 1 to 10/],
    [{ settleSeconds: 2 }, /test\/Ingest: 'settleSeconds' \(2\) must be an integer from 5 to 3600/],
    [{ pollSeconds: 5000 }, /test\/Ingest: 'pollSeconds' \(5000\) must be an integer from 10 to 3600/],
    [{ archiveDays: 0 }, /test\/Ingest: 'archiveDays' \(0\) must be an integer from 1 to 365/],
    [{ dropAccounts: [] }, /test\/Ingest: 'dropAccounts' \('<an array of 0 items>'\) must be a list of 1 to 500 accounts/],
    [{ dropAccounts: [{ name: 'Acme', publicKeys: [ED25519_KEY] }] }, /test\/Ingest: 'dropAccounts\[0\].name' \('Acme'\) must be a Linux user name/],
    [{ dropAccounts: [{ name: 'root', publicKeys: [ED25519_KEY] }] }, /test\/Ingest: 'dropAccounts\[0\].name' \('root'\) must be a Linux user name.*not a system user's/],
    [{ dropAccounts: [{ name: 'acme', publicKeys: [ED25519_KEY] }, { name: 'acme', publicKeys: [ECDSA_KEY] }] }, /test\/Ingest: 'dropAccounts' \('acme'\) appears more than once/],
    [{ dropAccounts: [{ name: 'acme', publicKeys: [] }] }, /test\/Ingest: 'dropAccounts\[0\].publicKeys' \('<an array of 0 items>'\) must be a list of 1 to 20 OpenSSH public keys/],
    [{ dropAccounts: [{ name: 'acme', publicKeys: ['command="sh" ' + ED25519_KEY] }] }, /test\/Ingest: 'dropAccounts\[0\].publicKeys\[0\]' \('command="sh" ssh-ed25519 .*'\) must be one OpenSSH public key line/],
    [{ dropAccounts: [{ name: 'acme', publicKeys: [`${ED25519_KEY}\nssh-ed25519 AAAA`] }] }, /'dropAccounts\[0\].publicKeys\[0\]' .* must be one OpenSSH public key line/],
    [{ dropAccounts: [{ name: 'acme', publicKeys: [ED25519_KEY.replace('ssh-ed25519', 'ssh-rsa')] }] }, /'dropAccounts\[0\].publicKeys\[0\]' .* its key data does not hold a ssh-rsa key/],
    [{ dropAccounts: [{ name: 'acme', publicKeys: [RSA_1024_KEY] }] }, /'dropAccounts\[0\].publicKeys\[0\]' \('ssh-rsa AAAA.*'\) is an RSA key of 1024 bits; it must be one OpenSSH public key line/],
    [{ dropAccounts: [{ name: 'acme', publicKeys: [ED25519_KEY, `${ED25519_KEY.split(' ').slice(0, 2).join(' ')} other`] }] }, /'dropAccounts\[0\].publicKeys' \('AAAAC3.*'\) appears more than once/],
    [{ dropFrom: [] }, /test\/Ingest: 'dropFrom' \('<an array of 0 items>'\) must be a Peer .* or a non-empty list of IPv4 networks; leave it out to keep SFTP closed \(192.0.2.0\/24\)/],
    [{ dropFrom: ['198.51.100.7/24'] }, /test\/Ingest: 'dropFrom\[0\]' \('198.51.100.7\/24'\) must be an IPv4 CIDR with no host bits set/],
    [{ dropFrom: ['0.0.0.0/0'] }, /test\/Ingest: 'dropFrom\[0\]' \('0.0.0.0\/0'\) must be an IPv4 CIDR .*other than 0.0.0.0\/0/],
    [{ dropFrom: ['10.0.0.0/8'] }, /test\/Ingest: 'dropFrom\[0\]' \('10.0.0.0\/8'\) is wider than \/16/],
    [{ targets: [] }, /test\/Ingest: 'targets' \('<an array of 0 items>'\) must be a list of 1 to 10 MySQL databases/],
    [{ targets: ['db.example'] }, /test\/Ingest: 'targets\[0\]' \('db.example'\) must be a MySQL database/],
    [{ retailerColumn: 'retailer id' }, /test\/Ingest: 'retailerColumn' \('retailer id'\) must be/],
    [{ feed: { ...OFFERS_FEED, table: 'offers;drop' } }, /test\/Ingest: 'feed.table' \('offers;drop'\) must be a letter or '_', then letters, digits or '_'/],
    [{ feed: { ...OFFERS_FEED, columns: [] } }, /test\/Ingest: 'feed.columns' \('<an array of 0 items>'\) must be a list of 1 to 200 columns/],
    [{ feed: { ...OFFERS_FEED, columns: [...OFFERS_FEED.columns, { name: 'SKU', sqlType: SqlType.int() }] } }, /test\/Ingest: 'feed.columns\[5\].name' \('SKU'\) is already the name of another column/],
    [{ feed: { ...OFFERS_FEED, columns: [...OFFERS_FEED.columns, { name: 'retailer', sqlType: SqlType.int() }] } }, /test\/Ingest: 'feed.columns\[5\].name' \('retailer'\) is already the retailer column, which the ingest sets from the account/],
    [{ feed: { ...OFFERS_FEED, columns: [{ name: 'sku', sqlType: 'VARCHAR(64)' }] } }, /test\/Ingest: 'feed.columns\[0\].sqlType' \('VARCHAR\(64\)'\) must be a SqlType/],
    [{ feed: { ...OFFERS_FEED, columns: [{ name: 'sku', sqlType: SqlType.varchar(5000) }] } }, /test\/Ingest: 'feed.columns\[0\].sqlType \(SqlType.varchar length\)' \(5000\) must be an integer from 1 to 700/],
    [{ feed: { ...OFFERS_FEED, columns: [{ name: 'price', sqlType: SqlType.decimal(4, 6) }] } }, /'feed.columns\[0\].sqlType \(SqlType.decimal scale\)' \(6\) must be an integer from 0 to 4/],
    [{ feed: { ...OFFERS_FEED, key: ['ean'] } }, /test\/Ingest: 'feed.key\[0\]' \('ean'\) must be one of the columns \(sku, store, price, stock, picture_url\)/],
    [{ feed: { ...OFFERS_FEED, key: ['picture_url'] } }, /test\/Ingest: 'feed.key\[0\]' \('picture_url'\) is a TEXT column, which a key cannot hold/],
    [{ feed: { ...OFFERS_FEED, key: ['sku', 'sku'] } }, /test\/Ingest: 'feed.key' \(\["sku","sku"\]\) names a column more than once/],
    [{ feed: { ...OFFERS_FEED, delimiter: ':' } }, /test\/Ingest: 'feed.delimiter' \(':'\) must be one of IngestDelimiter.COMMA/],
    [{ feed: { ...OFFERS_FEED, sheet: 1 } }, /test\/Ingest: 'feed.sheet' \(1\) is not an option here; the options are table, columns, key, delimiter/],
  ] as [Partial<IngestServersProps>, RegExp][])('given %j, then it throws', (props, message) => {
    expect(() => setup(props)).toThrow(message);
  });

  test('given a Peer as dropFrom, then port 22 is opened to it', () => {
    const { ingest } = setup({ dropFrom: Peer.ipv4('198.51.100.0/24') });
    expect(ingest.connections.ingressRules.map((r) => [r.port.fromPort, r.source.cidr])).toEqual([[22, '198.51.100.0/24']]);
  });

  test('given a database whose application account refuses the ingest servers\' network, then it throws naming the target', () => {
    const stack = testStack();
    const data = new PrivateVSwitch(stack, 'Data', { cidr: '10.0.2.0/24' });
    const db = new MysqlReplication(stack, 'Db', { vswitch: data, flavor: Flavor.named('b3-16'), databaseName: 'catalog', applicationClientCidr: '10.0.9.0/24' });
    expect(() => new IngestServers(stack, 'Ingest', { vswitch: data, flavor: Flavor.named('b3-32'), dropAccounts: [{ name: 'acme', publicKeys: [ED25519_KEY] }], feed: OFFERS_FEED, targets: [db] }))
      .toThrow(/test\/Ingest: 'targets\[0\]' \('catalog'\) does not let its application account log in from ingest-1 \(10.0.2.\d+\); widen its applicationClientCidr/);
  });
});
