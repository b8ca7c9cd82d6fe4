/**
 * ClientDatabases and ClientMigrations: the sizing (as the capacity notes read it) and every
 * refusal, each naming the construct path, the prop and the value. The runner itself runs in
 * client-migrate.daemon.test.ts; the configs go through their daemons in stacks.test.ts (iPresso).
 */
import { ClientDatabases, ClientDatabasesProps, ClientDatabaseSize, ClientMigrations, Flavor, Machines, PrivateVSwitch } from '../../lib';
import { testStack } from '../support/synth';

const SIZE: ClientDatabaseSize = { contacts: 1_000_000, bytesPerContact: 2000, activityRowsPerContact: 15, bytesPerActivityRow: 150, hotFraction: 0.1 };

function world() {
  const stack = testStack();
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.9.0.0/24' });
  const hosts = new Machines(stack, 'Db', { vswitch, flavor: Flavor.named('r3-64'), stateful: true });
  const ops = new Machines(stack, 'Ops', { vswitch, flavor: Flavor.named('b3-8') });
  return { stack, vswitch, hosts, ops };
}

function databases(props: Partial<ClientDatabasesProps> = {}) {
  const w = world();
  return { ...w, db: new ClientDatabases(w.stack, 'Clients', { machines: w.hosts, plannedClients: 10, clientSize: SIZE, ...props }) };
}

test('a host carries the fewer of what its disk and its buffer pool hold, and capacityFor answers for other contact counts', () => {
  const { db } = databases();
  // 4.25 GB a client: 200 GB x 0.6 holds 28; 39,296 MB of buffer pool keep the hot 10 % of 96.
  expect(db.bytesPerClient).toBe(4_250_000_000);
  expect(db.clientsPerHost).toBe(28);
  expect(db.capacityFor(5_000_000).clientsPerHost).toBe(5);
  expect(db.capacityFor(500_000).note).toMatch(/^a client's database weighs 2\.1 GB \(500,000 contacts\); a host \(r3-64\) holds 56 on 60 % of its 200 GB disk .*: 56 clients per host$/);
});

test.each<[string, Partial<ClientDatabasesProps>, RegExp]>([
  ['more clients than the hosts hold', { plannedClients: 29 }, /'plannedClients' \(29\) is more than 1 database host carry \(28\)/],
  ['no client', { plannedClients: 0 }, /'plannedClients' \(0\) must be an integer from 1 to 100000/],
  ['a size without contacts', { clientSize: { ...SIZE, contacts: 0 } }, /'clientSize\.contacts' \(0\) must be an integer from 1/],
  ['a hot share above 1', { clientSize: { ...SIZE, hotFraction: 1.5 } }, /'clientSize\.hotFraction' \(1\.5\) must be a number above 0, at most 1/],
  ['no size', { clientSize: undefined as unknown as ClientDatabaseSize }, /'clientSize' \(undefined\) must be \{ contacts, bytesPerContact/],
  ['a prefix without its underscore', { clientDatabasePrefix: 'client' }, /'clientDatabasePrefix' \('client'\) must be lower-case letters and digits ending in '_'/],
  ['a shared database named like a client\'s', { sharedDatabaseName: 'client_registry' }, /'sharedDatabaseName' \('client_registry'\) must not start with clientDatabasePrefix \('client_'\)/],
  ['the runner\'s account for the application', { applicationUser: 'migrator' }, /'applicationUser' \('migrator'\) is the migration runner's account/],
  ['a client network that is not a CIDR', { applicationClientCidr: '10.9.0.0' }, /'applicationClientCidr' \('10\.9\.0\.0'\) must be an IPv4 CIDR/],
  ['too large a buffer pool', { bufferPoolFraction: 0.9 }, /'bufferPoolFraction' \(0\.9\) must be a number from 0\.1 to 0\.8/],
  ['too full a disk', { diskFraction: 0.95 }, /'diskFraction' \(0\.95\) must be a number from 0\.3 to 0\.9/],
])('given %s, then ClientDatabases refuses, naming the prop and the value', (_what, props, message) => {
  expect(() => databases(props)).toThrow(message);
  expect(() => databases(props)).toThrow(/^test\/Clients: /);
});

test('given machines that are not stateful, then ClientDatabases refuses: the databases are data', () => {
  const { stack, ops } = world();
  expect(() => new ClientDatabases(stack, 'Clients', { machines: ops, plannedClients: 1, clientSize: SIZE })).toThrow(/^test\/Clients: 'machines' \('test\/Ops'\) keeps data a rebuild cannot restore/);
});

test.each<[string, Record<string, unknown>, RegExp]>([
  ['no database updated at once', { parallelPerHost: 0 }, /'parallelPerHost' \(0\) must be an integer from 1 to 64/],
  ['a relative steps folder', { stepsDirectory: 'steps' }, /'stepsDirectory' \('steps'\)/],
  ['snapshots kept a year', { snapshotRetentionDays: 365 }, /'snapshotRetentionDays' \(365\) must be an integer from 1 to 90/],
])('given %s, then ClientMigrations refuses, naming the prop and the value', (_what, props, message) => {
  const { stack, db, ops } = databases();
  expect(() => new ClientMigrations(stack, 'Migrations', { databases: db, machines: ops, ...props })).toThrow(message);
});

test('the runner updates twice the database host\'s vCPUs at once by default, and the hosts count its connections', () => {
  const { stack, db, ops } = databases();
  const m = new ClientMigrations(stack, 'Migrations', { databases: db, machines: ops });
  expect(m.parallelPerHost).toBe(16); // r3-64: 8 vCPUs
  expect(db.connectionLimits().terms).toEqual([expect.objectContaining({ client: 'test/Ops', servers: 1, connectionsPerServer: 32 })]);
});
