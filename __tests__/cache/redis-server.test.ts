import { Testing } from 'cdktf';
import { RedisServer } from '../../lib/cache/redis-server';
import { RedisInstanceProps } from '../../lib/cache/redis-instance';
import { ServerCluster } from '../../lib/compute/server-cluster';
import { Port } from '../../lib/core/port';
import { RedisAppendFsync, RedisEvictionPolicy } from '../../lib/cache/redis-config';
import { ConfigSyntax } from '../../lib/compute/cloud-config';
import { Flavor } from '../../lib/compute/flavor';
import { Secret } from '../../lib/core/secret';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { checkProviderSchema, loadOpenstackProviderSchema } from '../../lib/validation/provider-schema-check';
import { checkTerraformTemplates, evaluateTerraformTemplate } from '../../lib/validation/terraform-template-check';
import { checkHostFile } from '../support/config-checks';

function setup() {
  const stack = new HostingStack(Testing.app(), 'test');
  const data = new PrivateVSwitch(stack, 'Data', { cidr: '10.0.3.0/24' });
  return { stack, data };
}

function file(redis: RedisServer, path: string): string {
  return redis.instance.cloudConfig.hostFiles.find((f) => f.path === path)!.content;
}

describe('RedisServer', () => {
  test('given a b3-8 (8 GB), then one stateful server on 6379 with maxmemory half the RAM, noeviction and AOF everysec', () => {
    const { stack, data } = setup();
    const redis = new RedisServer(stack, 'Sessions', { vswitch: data, flavor: Flavor.named('b3-8') });
    expect(redis.cluster.instances).toHaveLength(1);
    expect(redis.cluster.stateful).toBe(true);
    expect(redis.port).toBe(6379);
    expect(redis.address).toBe('10.0.3.2');
    expect(redis.maxMemoryMb).toBe(4096);
    const conf = file(redis, '/etc/redis/redis.conf');
    expect(conf).toMatch(/^bind 10\.0\.3\.2 127\.0\.0\.1\s*$/m);
    expect(conf).toMatch(/^maxmemory 4096mb$/m);
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    expect(conf).toMatch(/^appendfsync everysec$/m);
    expect(conf).toMatch(/^include \/etc\/redis\/redis-auth\.conf$/m);
    expect(conf).not.toContain('requirepass');
    expect(redis.instance.cloudConfig.packages).toContain('redis-server');
    expect(redis.instance.cloudConfig.services.filter((u) => u.startsWith('redis-server'))).toEqual(['redis-server']);
  });

  test('when synthesized, then the password is the redis_password variable, quoted for Redis at apply, in a 0600 file', () => {
    const { stack, data } = setup();
    const redis = new RedisServer(stack, 'Sessions', { vswitch: data, flavor: Flavor.named('b3-8') });
    const auth = redis.instance.cloudConfig.hostFiles.find((f) => f.path === '/etc/redis/redis-auth.conf')!;
    expect(auth.permissions).toBe('0600');
    expect(auth.owner).toBe('redis:redis');
    const json = JSON.parse(Testing.synth(stack));
    expect(json.variable.redis_password).toMatchObject({ sensitive: true, type: 'string' });
    expect(checkTerraformTemplates(json)).toEqual([]);
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    const userData = (Object.values(json.resource.openstack_compute_instance_v2)[0] as { user_data: string }).user_data;
    const resolved = evaluateTerraformTemplate(userData, { redis_password: 'a"b\\c' });
    expect(resolved).toContain('requirepass "a\\"b\\\\c"');
  });

  test('when every host file is checked by its real daemon, then all pass', () => {
    const { stack, data } = setup();
    new RedisServer(stack, 'Sessions', { vswitch: data, flavor: Flavor.named('b3-8') });
    const files = stack.renderHostFiles();
    expect(files.filter((f) => f.syntax === ConfigSyntax.REDIS).map((f) => f.path)).toEqual(['/etc/redis/redis-auth.conf', '/etc/redis/redis.conf']);
    for (const f of files) {
      const r = checkHostFile(f);
      if (r) expect({ path: f.path, ok: r.ok, output: r.ok ? '' : r.output }).toEqual({ path: f.path, ok: true, output: '' });
    }
  });

  test('given props, then they reach the config', () => {
    const { stack, data } = setup();
    const password = Secret.variable(stack, 'sessions_redis_password', 'x');
    const redis = new RedisServer(stack, 'Sessions', {
      vswitch: data, flavor: Flavor.named('b3-8'), address: '10.0.3.20', port: 6380, password, maxMemoryFraction: 0.25,
      evictionPolicy: RedisEvictionPolicy.VOLATILE_LRU, appendFsync: RedisAppendFsync.ALWAYS, tcpKeepaliveSeconds: 30, disabledCommands: ['flushall'],
    });
    const conf = file(redis, '/etc/redis/redis.conf');
    expect(redis.address).toBe('10.0.3.20');
    expect(redis.password).toBe(password);
    expect(conf).toMatch(/^port 6380$/m);
    expect(conf).toMatch(/^maxmemory 2048mb$/m);
    expect(conf).toMatch(/^maxmemory-policy volatile-lru$/m);
    expect(conf).toMatch(/^appendfsync always$/m);
    expect(conf).toMatch(/^tcp-keepalive 30$/m);
    expect(conf.match(/^rename-command .*$/gm)).toEqual(['rename-command FLUSHALL ""']);
  });

  describe('addInstance', () => {
    function withCache(overrides: Partial<RedisInstanceProps> = {}) {
      const { stack, data } = setup();
      const redis = new RedisServer(stack, 'Sessions', { vswitch: data, flavor: Flavor.fromSizing({ vcpus: 2, ramGb: 4, diskGb: 20 }), maxMemoryFraction: 0.25 });
      const cache = redis.addInstance('Cache', { port: 6380, maxMemoryFraction: 0.375, ...overrides });
      return { stack, redis, cache };
    }

    test('given a cache instance, then a second redis-server on the same host: its own port, allkeys-lru, no persistence, own files', () => {
      const { redis, cache } = withCache();
      expect(redis.instances).toEqual([cache]);
      expect(cache.address).toBe(redis.address);
      expect(cache.connections).toBe(redis.connections);
      expect(cache.password).toBe(redis.password);
      expect([redis.maxMemoryMb, cache.maxMemoryMb]).toEqual([1024, 1536]);
      const conf = file(redis, '/etc/redis/redis-cache.conf');
      expect(conf).toMatch(/^port 6380$/m);
      expect(conf).toMatch(/^maxmemory 1536mb$/m);
      expect(conf).toMatch(/^maxmemory-policy allkeys-lru$/m);
      expect(conf).toMatch(/^appendonly no$/m);
      expect(conf).toMatch(/^save ""$/m);
      expect(conf).toMatch(/^pidfile \/run\/redis-cache\/redis-server\.pid$/m);
      expect(conf).toMatch(/^logfile \/var\/log\/redis\/redis-server-cache\.log$/m);
      expect(conf).toMatch(/^include \/etc\/redis\/auth-cache\.conf$/m);
      const sessions = file(redis, '/etc/redis/redis.conf');
      expect(sessions).toMatch(/^maxmemory 1024mb$/m);
      expect(sessions).toMatch(/^maxmemory-policy noeviction$/m);
      expect(sessions).toMatch(/^appendonly yes$/m);
      expect(redis.instance.cloudConfig.services.filter((u) => u.startsWith('redis-server'))).toEqual(['redis-server', 'redis-server@cache']);
    });

    test('given a cache instance, then every Redis file on the host passes the real redis-server check', () => {
      const { stack } = withCache();
      const files = stack.renderHostFiles().filter((f) => f.syntax === ConfigSyntax.REDIS);
      expect(files.map((f) => f.path).sort()).toEqual(['/etc/redis/auth-cache.conf', '/etc/redis/redis-auth.conf', '/etc/redis/redis-cache.conf', '/etc/redis/redis.conf']);
      for (const f of files) {
        const r = checkHostFile(f)!;
        expect({ path: f.path, ok: r.ok, output: r.ok ? '' : r.output }).toEqual({ path: f.path, ok: true, output: '' });
      }
    });

    test('given clients of the cache instance, then its port is opened from them in the server\'s security group', () => {
      const { stack, cache } = withCache();
      const app = new ServerCluster(stack, 'App', { vswitch: new PrivateVSwitch(stack, 'Access', { cidr: '10.0.1.0/24' }), count: 1, flavor: Flavor.named('b3-8') });
      cache.connections.allowFrom(app, Port.tcp(cache.port));
      const rules = Object.values(JSON.parse(Testing.synth(stack)).resource.openstack_networking_secgroup_rule_v2) as Record<string, unknown>[];
      expect(rules.filter((r) => r.port_range_min === 6380).map((r) => [String(r.security_group_id).includes('Sessions_Server'), String(r.remote_group_id).includes('App_')])).toEqual([[true, true]]);
    });

    test('given a persisted instance with its own password, then AOF with its own folder and its own password file', () => {
      const { stack, redis } = withCache();
      const password = Secret.variable(stack, 'queue_redis_password', 'x');
      const queue = redis.addInstance('Queue', { port: 6381, maxMemoryFraction: 0.1, persistent: true, evictionPolicy: RedisEvictionPolicy.NOEVICTION, password });
      const conf = file(redis, '/etc/redis/redis-queue.conf');
      expect(conf).toMatch(/^appendonly yes$/m);
      expect(conf).toMatch(/^appenddirname "appendonlydir-queue"$/m);
      expect(conf).toMatch(/^dbfilename dump-queue\.rdb$/m);
      expect(stack.renderHostFiles().find((f) => f.path === '/etc/redis/auth-queue.conf')!.content).toContain('var.queue_redis_password');
      expect(queue.password).toBe(password);
    });

    test.each([
      ['the server\'s port', { port: 6379 }, /Sessions\/Cache: 'port' \(6379\) is already taken on the host by test\/Sessions$/],
      ['a share that overflows the RAM', { maxMemoryFraction: 0.6 }, /Sessions\/Cache: 'maxMemoryFraction' \(0.6\) brings the host's instances to 0.25 \+ 0.6 = 0.85 of its RAM; together they may fill at most 0.8$/],
      ['a tiny share', { maxMemoryFraction: 0.01 }, /Sessions\/Cache: 'maxMemoryFraction' \(0.01\) must be a share of the RAM of at least 0.05/],
      ['port 0', { port: 0 }, /Sessions\/Cache: 'port' \(0\) must be an integer from 1 to 65535/],
    ] as [string, Partial<RedisInstanceProps>, RegExp][])('given %s, then addInstance throws', (_name, overrides, message) => {
      expect(() => withCache(overrides)).toThrow(message);
    });

    test('given a second instance on a port already taken by the first, then addInstance throws', () => {
      const { redis } = withCache();
      expect(() => redis.addInstance('Other', { port: 6380, maxMemoryFraction: 0.1 })).toThrow(/Sessions\/Other: 'port' \(6380\) is already taken on the host by test\/Sessions\/Cache$/);
    });
  });

  describe('errors', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['port 0', { port: 0 }, /Sessions: 'port' \(0\) must be an integer from 1 to 65535/],
      ['fraction 0.9', { maxMemoryFraction: 0.9 }, /Sessions: 'maxMemoryFraction' \(0.9\) must be a number from 0.1 to 0.8/],
      ['keepalive -1', { tcpKeepaliveSeconds: -1 }, /Sessions: 'tcpKeepaliveSeconds' \(-1\)/],
      ['maxClients 0', { maxClients: 0 }, /Sessions: 'maxClients' \(0\)/],
      ['bad command', { disabledCommands: ['FLUSH ALL'] }, /Sessions: 'disabledCommands' \('FLUSH ALL'\) must be Redis command names/],
      ['AUTH disabled', { disabledCommands: ['AUTH'] }, /Sessions: 'disabledCommands' \('AUTH'\) is needed by every client/],
      ['duplicate command', { disabledCommands: ['KEYS', 'keys'] }, /Sessions: 'disabledCommands' \('KEYS'\) appears more than once/],
      ['tiny flavor', { flavor: Flavor.custom({ name: 'tiny', vcpus: 1, ramGb: 0.1, diskGb: 10 }) }, /Sessions: 'flavor' \('tiny'\) gives Redis 51 MB/],
    ];
    test.each(cases)('given %s, then it throws', (_name, overrides, message) => {
      const { stack, data } = setup();
      expect(() => new RedisServer(stack, 'Sessions', { vswitch: data, flavor: Flavor.named('b3-8'), ...overrides })).toThrow(message);
    });
  });
});
