/**
 * Machines, TaskBroker, MemcachedPool and WorkerDaemons read from the constructs and their rendered
 * files: where each function lands, what each host gets, the network intent, and every refusal.
 * The program itself runs in task-daemons.daemon.test.ts; the configs go through their daemons in
 * stacks.test.ts (iPresso).
 */
import { Flavor, HostingStack, Machines, MemcachedPool, PrivateVSwitch, TaskBroker, WorkerDaemons } from '../../lib';
import { TaskDaemonsConfigModel, TASK_DAEMONS_CONFIG_PATH, workerUnitName } from '../../lib/workers/task-config';
import { checkMemcached, checkPrometheusRules } from '../support/daemons';
import { hostFile, testStack } from '../support/synth';

function world() {
  const stack = testStack();
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.9.0.0/24' });
  const machine = (id: string, props: { count?: number; stateful?: boolean; flavor?: string } = {}) =>
    new Machines(stack, id, { vswitch, flavor: Flavor.named(props.flavor ?? 'b3-16'), count: props.count, stateful: props.stateful });
  return { stack, vswitch, machine };
}

function daemons(stack: HostingStack, broker: TaskBroker, manager: Machines, categories: ConstructorParameters<typeof WorkerDaemons>[2]['categories']) {
  return new WorkerDaemons(stack, 'Daemons', { broker, manager, categories });
}

describe('WorkerDaemons', () => {
  test('given a manager, a broker and two categories on machines of their own, then each host gets the program, the config and only its own units', () => {
    const { stack, machine } = world();
    const brokerHost = machine('BrokerHost', { stateful: true });
    const managerHost = machine('ManagerHost');
    const mailers = machine('Mailers', { count: 2 });
    const broker = new TaskBroker(stack, 'Broker', { machines: brokerHost });
    const d = daemons(stack, broker, managerHost, [
      { name: 'mailing', command: ['/opt/app/bin/task', 'mailing'], machines: mailers, schedule: [{ name: 'due-mailings', everySeconds: 60 }] },
      { name: 'sms', command: ['/opt/app/bin/task', 'sms'], machines: managerHost, concurrency: 2 },
    ]);
    const units = (host: string) => stack.renderHostFiles().filter((f) => f.host === host && /^\/etc\/systemd\/system\/hosting-stacks-(worker|task)/.test(f.path)).map((f) => f.path.split('/').pop()).sort();
    expect(units('mailers-1')).toEqual([workerUnitName('mailing')]);
    expect(units('mailers-2')).toEqual([workerUnitName('mailing')]);
    expect(units('manager-host-1')).toEqual(['hosting-stacks-task-manager.service', workerUnitName('sms')]);
    expect(units('broker-host-1')).toEqual([]);
    const config = JSON.parse(hostFile(stack, 'mailers-2', TASK_DAEMONS_CONFIG_PATH)) as TaskDaemonsConfigModel;
    expect(config.broker).toEqual({ host: broker.address, port: 6379, passwordFile: '/etc/hosting-stacks/tasks-broker.password' });
    expect(config.manager).toEqual({ address: managerHost.instances[0].address, port: 8095 });
    expect(config.categories.mailing).toEqual(expect.objectContaining({ command: ['/opt/app/bin/task', 'mailing'], concurrency: 4, schedule: [{ name: 'due-mailings', everySeconds: 60, payload: {} }] }));
    expect(d.intentsUrl).toBe(`http://${managerHost.instances[0].address}:8095/intents`);
    // Both categories' machines and the manager's reach the broker; nothing else does.
    const brokerSources = broker.connections.ingressRules.filter((r) => r.port.fromPort === 6379).map((r) => r.source.connections?.owner.node.path).sort();
    expect(brokerSources).toEqual(['test/Mailers/Servers', 'test/ManagerHost/Servers']);
  });

  test('given three categories on one machine, then they share 60 % of its RAM as MemoryMax, and a given limit wins', () => {
    const { stack, machine } = world();
    const one = machine('One', { stateful: true });
    const broker = new TaskBroker(stack, 'Broker', { machines: one });
    daemons(stack, broker, one, [
      { name: 'a', command: ['/bin/true'], machines: one },
      { name: 'b', command: ['/bin/true'], machines: one },
      { name: 'c', command: ['/bin/true'], machines: one, memoryMaxMb: 1024, cpuQuotaPercent: 150 },
    ]);
    const unit = (c: string) => hostFile(stack, 'one-1', `/etc/systemd/system/${workerUnitName(c)}`);
    expect(unit('a')).toMatch(/^MemoryMax=3276M$/m); // 16 GB x 0.6 / 3
    expect(unit('a')).not.toMatch(/CPUQuota/);
    expect(unit('c')).toMatch(/^MemoryMax=1024M$/m);
    expect(unit('c')).toMatch(/^CPUQuota=150%$/m);
    expect(unit('a')).toMatch(/^After=network-online.target redis-server.service$/m);
    expect(unit('a')).toMatch(/^Restart=always$/m);
    expect(unit('a')).toMatch(/^LoadCredential=broker:\/etc\/hosting-stacks\/tasks-broker.password$/m);
  });

  test('given a monitoring server, then the manager is scraped and the alert rules pass promtool', () => {
    const { stack, machine } = world();
    const one = machine('One', { stateful: true });
    const broker = new TaskBroker(stack, 'Broker', { machines: one });
    const d = daemons(stack, broker, one, [{ name: 'mailing', command: ['/bin/true'], machines: one, maxWaitSeconds: 90 }]);
    const { CentralMonitoring } = jest.requireActual('../../lib');
    const monitoring = new CentralMonitoring(stack, 'Monitoring', { vswitch: one.cluster.vswitch, tiers: [one] });
    const rules = d.reportTo(monitoring);
    monitoring.addConfigFiles();
    expect(monitoring.scrapeJobs().find((j: { name: string }) => j.name === 'task-manager').targets[0].address).toBe(`${d.managerAddress}:8095`);
    const text = hostFile(stack, 'monitoring-1', rules);
    expect(text).toMatch(/hs_task_oldest_waiting_seconds\{job="task-manager",category="mailing"\} > 90/);
    const check = checkPrometheusRules(text);
    expect(check.output).toBe(check.ok ? check.output : '(promtool passes)');
  });

  test.each([
    ['no category', [], /'categories' \('<an array of 0 items>'\) must be a list of 1 to 30 categories/],
    ['a bad name', [{ name: 'Mailing', command: ['/bin/true'] }], /'categories\[0\]\.name' \('Mailing'\) must be lower-case letters, digits and '-'/],
    ['a relative command', [{ name: 'mailing', command: ['task'] }], /'categories\[0\]\.command\[0\]' \('task'\)/],
    ['a shell in an argument', [{ name: 'mailing', command: ['/bin/sh', '$(reboot)'] }], /'categories\[0\]\.command\[1\]'/],
    ['two categories of one name', [{ name: 'mailing', command: ['/bin/true'] }, { name: 'mailing', command: ['/bin/true'] }], /'categories'.*mailing/],
    ['a zero period', [{ name: 'mailing', command: ['/bin/true'], schedule: [{ name: 'x', everySeconds: 0 }] }], /'categories\[0\]\.schedule\[0\]\.everySeconds' \(0\) must be an integer from 1 to 86400/],
    ['a too short resume', [{ name: 'mailing', command: ['/bin/true'], resumeAfterSeconds: 2 }], /'categories\[0\]\.resumeAfterSeconds' \(2\)/],
    ['a misspelled option', [{ name: 'mailing', command: ['/bin/true'], concurency: 2 }], /categories\[0\]\.concurency/],
  ])('given %s, then synth stops naming the prop and the value', (_what, categories, message) => {
    const { stack, machine } = world();
    const one = machine('One', { stateful: true });
    const broker = new TaskBroker(stack, 'Broker', { machines: one });
    const withMachines = (categories as Record<string, unknown>[]).map((c) => ({ machines: one, ...c }));
    let error: Error | undefined;
    try {
      daemons(stack, broker, one, withMachines as never);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).toMatch(/^test\/Daemons: /);
  });

  test('given a manager on two servers, then synth refuses: one manager queues each schedule once', () => {
    const { stack, machine } = world();
    const broker = new TaskBroker(stack, 'Broker', { machines: machine('B', { stateful: true }) });
    expect(() => daemons(stack, broker, machine('M', { count: 2 }), [{ name: 'a', command: ['/bin/true'], machines: machine('W') }]))
      .toThrow(/'manager' \('test\/M'\) has 2 servers; this function runs on exactly 1/);
  });
});

describe('TaskBroker', () => {
  test('given machines that are not stateful, then it refuses: the queues are data', () => {
    const { stack, machine } = world();
    expect(() => new TaskBroker(stack, 'Broker', { machines: machine('M') })).toThrow(/test\/Broker: 'machines' \('test\/M'\) keeps data a rebuild cannot restore: give it Machines made with stateful: true/);
  });

  test('it renders noeviction, the append-only file and a password that is a variable', () => {
    const { stack, machine } = world();
    const broker = new TaskBroker(stack, 'Broker', { machines: machine('M', { stateful: true }) });
    const conf = hostFile(stack, 'm-1', '/etc/redis/redis.conf');
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(conf).toMatch(/^maxmemory 4096mb$/m); // 16 GB x 0.25
    expect(hostFile(stack, 'm-1', '/etc/redis/redis-auth.conf')).toMatch(/^requirepass "\$\{replace\(replace\(var\.task_broker_password,/m);
    expect(broker.registryCapacity).toBe(Math.floor((4096 * 1024 * 1024) / 600));
    expect(() => new TaskBroker(stack, 'Broker2', { machines: machine('N', { stateful: true }), maxMemoryFraction: 0.9 })).toThrow(/'maxMemoryFraction' \(0\.9\) must be a number from 0\.05 to 0\.8/);
  });
});

describe('MemcachedPool', () => {
  test('given two servers, then each listens on its own address and the loopback, UDP off, and the real memcached takes the file', () => {
    const { stack, machine } = world();
    const hosts = machine('Cache', { count: 2 });
    const pool = new MemcachedPool(stack, 'Pool', { machines: hosts });
    expect(pool.servers).toEqual(hosts.instances.map((i) => `${i.address}:11211`));
    const conf = hostFile(stack, 'cache-2', '/etc/memcached.conf');
    expect(conf).toMatch(new RegExp(`^-l ${hosts.instances[1].address.replace(/\./g, '\\.')},127\\.0\\.0\\.1$`, 'm'));
    expect(conf).toMatch(/^-m 4096$/m);
    expect(conf).toMatch(/^-U 0$/m);
    const check = checkMemcached(conf);
    expect(check.output).toBe(check.ok ? check.output : '(memcached takes it)');
  });

  test('given a file memcached refuses, then the check fails (it can fail)', () => {
    expect(checkMemcached('-m 64\n-p 11211\n-l 127.0.0.1\n-c 1024\n-t 2\n-I 2000m\n-U 0\n').ok).toBe(false);
  });

  test('given too small a share of RAM for its largest item, then it refuses', () => {
    const { stack, machine } = world();
    expect(() => new MemcachedPool(stack, 'Pool', { machines: machine('C', { flavor: 'b3-8' }), memoryFraction: 0.05, maxItemMb: 128 }))
      .toThrow(/test\/Pool: 'memoryFraction' \(0\.05\) gives memcached 409 MB of 8 GB; it needs at least 4 items of maxItemMb \(512 MB\)/);
  });
});

describe('the other refusals', () => {
  test.each<[string, Record<string, unknown>, RegExp]>([
    ['a manager port below 1024', { managerPort: 80 }, /^test\/Daemons: 'managerPort' \(80\) must be an integer from 1024 to 65535/],
    ['a registry kept 5 minutes', { registryTtlSeconds: 300 }, /^test\/Daemons: 'registryTtlSeconds' \(300\) must be an integer from 600/],
  ])('given %s, then WorkerDaemons refuses', (_what, props, message) => {
    const { stack, machine } = world();
    const one = machine('One', { stateful: true });
    const broker = new TaskBroker(stack, 'Broker', { machines: one });
    expect(() => new WorkerDaemons(stack, 'Daemons', { broker, manager: one, categories: [{ name: 'a', command: ['/bin/true'], machines: one }], ...props })).toThrow(message);
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['more memory than the machine has', { memoryMaxMb: 20000 }, /'categories\[0\]\.memoryMaxMb' \(20000\) must be an integer from 64 to 16384/],
    ['a CPU quota of 5 %', { cpuQuotaPercent: 5 }, /'categories\[0\]\.cpuQuotaPercent' \(5\) must be an integer from 10/],
    ['a result cache that is not a pool', { resultCache: { servers: ['10.0.0.1:11211'] } }, /'categories\[0\]\.resultCache' .* must be a MemcachedPool/],
    ['a payload that is a list', { schedule: [{ name: 'x', everySeconds: 60, payload: ['a'] }] }, /'categories\[0\]\.schedule\[0\]\.payload' .* must be an object of texts/],
    ['a payload value on two lines', { schedule: [{ name: 'x', everySeconds: 60, payload: { a: 'one\ntwo' } }] }, /'categories\[0\]\.schedule\[0\]\.payload\.a'/],
    ['a relative working directory', { workingDirectory: 'app' }, /'categories\[0\]\.workingDirectory' \('app'\)/],
    ['no concurrency', { concurrency: 0 }, /'categories\[0\]\.concurrency' \(0\) must be an integer from 1 to 256/],
    ['a result kept 10 s', { resultTtlSeconds: 10 }, /'categories\[0\]\.resultTtlSeconds' \(10\) must be an integer from 60/],
    ['one attempt too many', { maxAttempts: 11 }, /'categories\[0\]\.maxAttempts' \(11\) must be an integer from 1 to 10/],
    ['a timeout of 5 s', { timeoutSeconds: 5 }, /'categories\[0\]\.timeoutSeconds' \(5\) must be an integer from 10/],
    ['a backlog alert at 0 s', { maxWaitSeconds: 0 }, /'categories\[0\]\.maxWaitSeconds' \(0\) must be an integer from 1/],
  ])('given a category with %s, then WorkerDaemons refuses naming it', (_what, extra, message) => {
    const { stack, machine } = world();
    const one = machine('One', { stateful: true });
    const broker = new TaskBroker(stack, 'Broker', { machines: one });
    expect(() => daemons(stack, broker, one, [{ name: 'a', command: ['/bin/true'], machines: one, ...extra } as never])).toThrow(message);
  });

  test('TaskBroker refuses two servers and a bad port; MemcachedPool a bad port and item size; Machines a count of 0', () => {
    const { stack, machine } = world();
    expect(() => new TaskBroker(stack, 'B1', { machines: machine('Two', { count: 2, stateful: true }) })).toThrow(/^test\/B1: 'machines' \('test\/Two'\) has 2 servers; this function runs on exactly 1/);
    expect(() => new TaskBroker(stack, 'B2', { machines: machine('S', { stateful: true }), port: 0 })).toThrow(/^test\/B2: 'port' \(0\) must be an integer from 1 to 65535/);
    expect(() => new MemcachedPool(stack, 'P1', { machines: machine('C'), port: 70000 })).toThrow(/^test\/P1: 'port' \(70000\)/);
    expect(() => new MemcachedPool(stack, 'P2', { machines: machine('D'), maxItemMb: 0 })).toThrow(/^test\/P2: 'maxItemMb' \(0\) must be an integer from 1 to 128/);
    expect(() => new MemcachedPool(stack, 'P3', { machines: 'memcached-1' as never })).toThrow(/^test\/P3: 'machines' \('memcached-1'\) must be Machines/);
    expect(() => machine('None', { count: 0 })).toThrow(/^test\/None: 'count' \(0\) must be an integer from 1 to 50/);
  });
});
