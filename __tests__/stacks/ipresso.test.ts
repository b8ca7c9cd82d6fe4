/**
 * Case study 4 read from the generated stack: the three machine layouts as one prop, where each
 * function lands in each, the client databases' accounts and sizing, and the capacity refusals.
 * Snapshot, schema and daemon checks: stacks.test.ts. The programs: task-daemons.daemon.test.ts and
 * client-migrate.daemon.test.ts.
 */
import { Testing } from 'cdktf';
import { Flavor } from '../../lib';
import { CLIENT_DATABASES_BOOTSTRAP_PATH } from '../../lib/database/client-databases';
import { CLIENT_MIGRATE_CONFIG_PATH } from '../../lib/database/client-migrations';
import { MARIADB_CONFIG_PATH } from '../../lib/database/mysql-replication';
import { TASK_DAEMONS_CONFIG_PATH, workerUnitName } from '../../lib/workers/task-config';
import { IPRESSO_CATEGORIES, IpressoStack, IpressoStackProps, IpressoStage } from '../../stacks/ipresso';
import { checkProviderSchema, checkTerraformTemplates, loadOpenstackProviderSchema } from '../../lib/testing';
import { checkHostFile } from '../support/config-checks';
import { hostFile } from '../support/synth';

function build(props: IpressoStackProps = {}): IpressoStack {
  return new IpressoStack(Testing.app(), 'ipresso', props);
}

const hostsOf = (stack: IpressoStack) => [...new Set(stack.renderHostFiles().map((f) => f.host))].sort();
const filesOn = (stack: IpressoStack, host: string) => stack.renderHostFiles().filter((f) => f.host === host).map((f) => f.path);

describe('iPresso stack', () => {
  test('given ONE_MACHINE, then the databases, the broker, the manager, every daemon, memcached and the migrations are on ipresso-1', () => {
    const stack = build({ stage: IpressoStage.ONE_MACHINE });
    expect(hostsOf(stack)).toEqual(['backup-runner-1', 'data-probe-1', 'ipresso-1', 'monitoring-1']);
    const files = filesOn(stack, 'ipresso-1');
    for (const path of [MARIADB_CONFIG_PATH, '/etc/redis/redis.conf', '/etc/memcached.conf', CLIENT_MIGRATE_CONFIG_PATH, '/etc/systemd/system/hosting-stacks-task-manager.service',
      ...IPRESSO_CATEGORIES.map((c) => `/etc/systemd/system/${workerUnitName(c.name)}`)]) {
      expect(files).toContain(path);
    }
    // Sharing the machine, the buffer pool takes 0.3 of its RAM, not 0.6.
    expect(hostFile(stack, 'ipresso-1', MARIADB_CONFIG_PATH)).toMatch(/^innodb_buffer_pool_size = 19584M$/m);
    expect(stack.machines.machine.placedFunctions).toEqual(['ipresso/Databases', 'ipresso/Migrations', 'ipresso/Broker', 'ipresso/AnalyticsCache',
      ...IPRESSO_CATEGORIES.map(() => 'ipresso/Daemons'), 'ipresso/Daemons']);
  });

  test('given MACHINE_PER_FUNCTION (the default), then a database host, a task host with the broker, the manager and five categories, and an analytics host with memcached', () => {
    const stack = build();
    expect(stack.stage).toBe(IpressoStage.MACHINE_PER_FUNCTION);
    expect(hostsOf(stack)).toEqual(['analytics-1', 'backup-runner-1', 'data-probe-1', 'db-1', 'monitoring-1', 'tasks-1']);
    expect(filesOn(stack, 'analytics-1')).toEqual(expect.arrayContaining(['/etc/memcached.conf', `/etc/systemd/system/${workerUnitName('analytics')}`]));
    expect(filesOn(stack, 'analytics-1')).not.toContain(`/etc/systemd/system/${workerUnitName('mailing')}`);
    expect(filesOn(stack, 'tasks-1')).toEqual(expect.arrayContaining(['/etc/redis/redis.conf', '/etc/systemd/system/hosting-stacks-task-manager.service', `/etc/systemd/system/${workerUnitName('mailing')}`]));
    const config = JSON.parse(hostFile(stack, 'tasks-1', TASK_DAEMONS_CONFIG_PATH));
    expect(config.categories.analytics.resultCache.servers).toEqual([`${stack.analyticsCache.cluster.instances[0].address}:11211`]);
    expect(config.categories.mailing.resultCache).toBeUndefined();
  });

  test('given MACHINE_PER_INDIVIDUAL_FUNCTION, then each category has servers of its own, two by default, and the databases are spread over two hosts', () => {
    const stack = build({ stage: IpressoStage.MACHINE_PER_INDIVIDUAL_FUNCTION });
    const hosts = hostsOf(stack);
    for (const c of IPRESSO_CATEGORIES) expect(hosts).toEqual(expect.arrayContaining([`${c.name}-1`, `${c.name}-2`]));
    expect(hosts).toEqual(expect.arrayContaining(['broker-1', 'manager-1', 'db-1', 'db-2', 'memcached-1', 'memcached-2']));
    expect(stack.databases.hosts.map((h) => h.name)).toEqual(['db-1', 'db-2']);
    // The shared database and its registry live on the first host only.
    expect(hostFile(stack, 'db-1', CLIENT_DATABASES_BOOTSTRAP_PATH)).toMatch(/CREATE TABLE IF NOT EXISTS \\`shared\\`\.\\`client_databases\\`/);
    expect(hostFile(stack, 'db-2', CLIENT_DATABASES_BOOTSTRAP_PATH)).not.toMatch(/client_databases/);
    const migrate = JSON.parse(hostFile(stack, 'manager-1', CLIENT_MIGRATE_CONFIG_PATH));
    expect(migrate.hosts.map((h: { name: string; parallel: number }) => [h.name, h.parallel])).toEqual([['db-1', 16], ['db-2', 16]]);
    expect(stack.broker.cluster.vswitch).toBe(stack.vswitches.data);
  });

  test('the migration runner\'s account admits its own address only; the application\'s, the application vSwitch', () => {
    const stack = build();
    const bootstrap = hostFile(stack, 'db-1', CLIENT_DATABASES_BOOTSTRAP_PATH);
    const runner = stack.migrations.machines.instances[0].address;
    expect([...bootstrap.matchAll(/CREATE OR REPLACE USER ''migrator''@''([^']+)''/g)].map((m) => m[1])).toEqual([runner]);
    expect(bootstrap).toMatch(/CREATE OR REPLACE USER ''app''@''10\.50\.1\.0\/255\.255\.255\.0''/);
    expect(bootstrap).toMatch(/GRANT SELECT, INSERT, UPDATE, DELETE, CREATE TEMPORARY TABLES, EXECUTE ON \\`client\\_%\\`\.\* TO 'app'/);
  });

  test('max_connections counts each category\'s slots and the migration runner\'s sessions', () => {
    const stack = build();
    const cnf = hostFile(stack, 'db-1', MARIADB_CONFIG_PATH);
    // 6 categories x 8 slots (b3-32) + 2 x 16 for the runner + 10 for administration.
    expect(cnf).toMatch(/^max_connections = 90$/m);
    expect(cnf).toMatch(/the migration runner: a client and a dump per database updated at once/);
  });

  test('the capacity notes say how many clients a database host and each category carry, and are written next to the Terraform', () => {
    const stack = build();
    expect(stack.capacityNotes[0]).toMatch(/^database hosts: a client's database weighs 4\.3 GB \(1,000,000 contacts\); a host \(r3-64\) holds 28 .* 28 clients per host/);
    expect(stack.capacityNotes.find((n) => n.startsWith('mailing'))).toMatch(/3900 tasks a day per client, 4x at the busiest hour, 2 s each; 1 server\(s\) x 8 slots run 345,600 a day: 22 clients/);
    expect(stack.renderArtifacts().find((a) => a.path === 'capacity.md')!.content).toMatch(/^# iPresso: capacity\n\nStage: machine-per-function\. Planned clients: 20\./);
  });

  test('given more clients than the daemons of a category carry, then synth refuses and says what to change', () => {
    expect(() => build({ plannedClients: 23 })).toThrow(/^ipresso: 'plannedClients' \(23\) is more than the mailing daemons carry \(22: 1 server\(s\) x 8 slots .*move to stage MACHINE_PER_INDIVIDUAL_FUNCTION/);
    expect(() => build({ stage: IpressoStage.MACHINE_PER_INDIVIDUAL_FUNCTION, plannedClients: 23, serversPerCategory: 1 })).toThrow(/raise serversPerCategory$/);
    expect(() => build({ stage: IpressoStage.MACHINE_PER_INDIVIDUAL_FUNCTION, plannedClients: 40, serversPerCategory: 4 })).not.toThrow();
  });

  test('given more clients than the task broker\'s registry holds a day of, then synth refuses', () => {
    expect(() => build({ stage: IpressoStage.MACHINE_PER_INDIVIDUAL_FUNCTION, plannedClients: 600, contactsPerClient: 1000 }))
      .toThrow(/^ipresso: 'plannedClients' \(600\) is more than the task broker's registry holds \(7,800,000 tasks kept against 7,158,278 in 4096 MB\); give the broker a larger flavor$/);
  });

  test('the capacity notes give the database hosts at today\'s contacts and at both ends of the forecast', () => {
    const notes = build().capacityNotes;
    expect(notes.filter((n) => n.startsWith('database hosts ')).map((n) => /^database hosts ([^:]+): .*: (\d+) clients per host$/.exec(n)!.slice(1))).toEqual([['today', '56'], ['forecast, low', '28'], ['forecast, high', '5']]);
    expect(notes.find((n) => n.startsWith('task broker'))).toMatch(/^task broker: 20 clients x 13,000 tasks a day kept 24 h is 260,000 tasks in its registry; its 8192 MB hold 14,316,557$/);
  });

  test('given the forecast\'s 5 million contacts per client, then the database hosts refuse 20 clients they cannot hold', () => {
    expect(() => build({ contactsPerClient: 5_000_000 })).toThrow(/^ipresso\/Databases: 'plannedClients' \(20\) is more than 1 database host carry \(5\): a client's database weighs 21\.3 GB/);
    expect(() => build({ stage: IpressoStage.MACHINE_PER_INDIVIDUAL_FUNCTION, contactsPerClient: 5_000_000, databaseHosts: 4, databaseFlavor: Flavor.named('r3-128') })).not.toThrow();
  });

  test.each([
    [{ stage: 'two-machines' as IpressoStage }, /^ipresso: 'stage' \('two-machines'\) must be/],
    [{ databaseHosts: 3 }, /^ipresso: 'databaseHosts' \(3\) must be 1 \(or unset\) in stage machine-per-function/],
    [{ plannedClients: 0 }, /^ipresso: 'plannedClients' \(0\) must be an integer from 1 to 10000/],
    [{ taskCommand: 'task' }, /^ipresso: 'taskCommand' \('task'\)/],
  ])('given %p, then synth stops naming the prop', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

/**
 * The stages stacks.test.ts does not build (it builds the default, MACHINE_PER_FUNCTION): each is
 * snapshotted, conforms to the provider schema, passes every validation, and every config it
 * renders passes its daemon's check.
 */
describe.each([IpressoStage.ONE_MACHINE, IpressoStage.MACHINE_PER_INDIVIDUAL_FUNCTION])('iPresso in stage %s', (stage) => {
  const stack = build({ stage });
  const terraform = stack.toTerraform();
  const files = stack.renderHostFiles();

  test('matches the snapshot of its Terraform and every rendered config', () => {
    expect(terraform).toMatchSnapshot('terraform');
    expect(Object.fromEntries(files.map((f) => [`${f.host}:${f.path}`, f.content]))).toMatchSnapshot('configs');
  });

  test('conforms to the OpenStack provider schema, references only what it declares, and passes every validation', () => {
    expect(checkProviderSchema(terraform, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(terraform)).toEqual([]);
    expect(stack.node.findAll().flatMap((c) => c.node.validate())).toEqual([]);
  });

  test('every rendered config passes its daemon check', () => {
    const failed = files.filter((f) => f.syntax !== undefined).map((f) => ({ file: `${f.host}:${f.path}`, result: checkHostFile(f)! })).filter((r) => !r.result.ok);
    expect(failed.map((r) => `${r.file}: ${r.result.output}`)).toEqual([]);
  });
});
