import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { AddressInfo } from 'node:net';
import {
  RedisAppendFsync,
  RedisConfig,
  REDIS_DEFAULT_DISABLED_COMMANDS,
  RedisEvictionPolicy,
  renderRedisAuthConfig,
  renderRedisConfig,
} from '../../lib/cache/redis-config';
import { checkRedis, requireBinary, run, scratch } from '../support/daemons';

function model(overrides: Partial<RedisConfig> = {}): RedisConfig {
  return {
    purpose: "the shop's sessions",
    bindAddresses: ['10.0.3.5', '127.0.0.1'],
    port: 6379,
    protectedMode: true,
    tcpKeepaliveSeconds: 60,
    timeoutSeconds: 0,
    maxClients: 10000,
    databases: 16,
    pidFile: '@SCRATCH@/redis.pid',
    logFile: '""',
    dir: '@SCRATCH@',
    maxMemoryMb: 1024,
    maxMemoryPolicy: RedisEvictionPolicy.NOEVICTION,
    appendOnly: true,
    appendFsync: RedisAppendFsync.EVERY_SECOND,
    dbFilename: 'dump.rdb',
    appendDirName: 'appendonlydir',
    disabledCommands: REDIS_DEFAULT_DISABLED_COMMANDS,
    includeFiles: ['@SCRATCH@/redis-auth.conf'],
    ...overrides,
  };
}

/** Parses `directive args` lines into a map of directive -> list of argument strings. */
function directives(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [k, ...rest] = t.split(/\s+/);
    m.set(k, [...(m.get(k) ?? []), rest.join(' ')]);
  }
  return m;
}

function freePort(): Promise<number> {
  const s = createServer();
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => {
    const port = (s.address() as AddressInfo).port;
    s.close(() => resolve(port));
  }));
}

describe('renderRedisConfig', () => {
  test('when rendered, then bind, port, memory, persistence and keep-alive are written', () => {
    const d = directives(renderRedisConfig(model()));
    expect(d.get('bind')).toEqual(['10.0.3.5 127.0.0.1']);
    expect(d.get('port')).toEqual(['6379']);
    expect(d.get('protected-mode')).toEqual(['yes']);
    expect(d.get('maxmemory')).toEqual(['1024mb']);
    expect(d.get('maxmemory-policy')).toEqual(['noeviction']);
    expect(d.get('appendonly')).toEqual(['yes']);
    expect(d.get('appendfsync')).toEqual(['everysec']);
    expect(d.get('tcp-keepalive')).toEqual(['60']);
    expect(d.get('requirepass')).toBeUndefined();
  });

  test('when rendered, then each disabled command is renamed to "" and the include comes last', () => {
    const text = renderRedisConfig(model());
    expect(directives(text).get('rename-command')).toEqual(REDIS_DEFAULT_DISABLED_COMMANDS.map((c) => `${c} ""`));
    const lines = text.trim().split('\n');
    expect(lines[lines.length - 1]).toBe('include @SCRATCH@/redis-auth.conf');
  });

  test('when the password file is rendered, then it holds requirepass with the quoted value', () => {
    expect(renderRedisAuthConfig({ password: 'a\\"b' })).toMatch(/^requirepass "a\\"b"$/m);
  });

  test('when checked by starting redis-server, then the config and the password file are accepted', () => {
    const r = checkRedis(renderRedisConfig(model()), { 'redis-auth.conf': renderRedisAuthConfig({ password: 's3cret' }) });
    expect(r.output).not.toContain('FATAL');
    expect(r.ok).toBe(true);
  });

  test('given an unknown eviction policy, then redis-server refuses the config with FATAL CONFIG FILE ERROR', () => {
    const r = checkRedis(renderRedisConfig(model({ maxMemoryPolicy: 'evict-everything' as RedisEvictionPolicy })), { 'redis-auth.conf': 'requirepass "x"\n' });
    expect(r.output).toContain('FATAL CONFIG FILE ERROR');
    expect(r.ok).toBe(false);
  });
});

describe('Redis from the rendered config, on loopback', () => {
  test('given the password, then PING answers PONG; without it NOAUTH; disabled commands are unknown; policy and AOF are in force', async () => {
    requireBinary('redis-server');
    requireBinary('redis-cli');
    const port = await freePort();
    const s = scratch('redis-run');
    const password = 'p@ss "word" \\ with spaces';
    s.write('redis-auth.conf', renderRedisAuthConfig({ password: password.replace(/\\/g, '\\\\').replace(/"/g, '\\"') }));
    const file = s.write('redis.conf', renderRedisConfig(model({ bindAddresses: ['127.0.0.1'], port, includeFiles: [`${s.dir}/redis-auth.conf`] })).split('@SCRATCH@').join(s.dir));
    const redis = spawn('redis-server', [file], { stdio: 'ignore' });
    const cli = (...args: string[]) => run(['redis-cli', '-h', '127.0.0.1', '-p', String(port), ...args], { timeoutMs: 5000 });
    try {
      const end = Date.now() + 5000;
      while (!cli('PING').output.includes('NOAUTH') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(cli('PING').output).toContain('NOAUTH');
      expect(cli('--no-auth-warning', '-a', password, 'PING').output.trim()).toBe('PONG');
      expect(cli('--no-auth-warning', '-a', password, 'FLUSHALL').output).toMatch(/unknown command/i);
      expect(cli('--no-auth-warning', '-a', password, 'CONFIG', 'GET', 'maxmemory').output).toMatch(/unknown command/i);
      const info = cli('--no-auth-warning', '-a', password, 'INFO').output;
      expect(info).toContain('maxmemory_policy:noeviction');
      expect(info).toContain(`maxmemory:${1024 * 1024 * 1024}`);
      expect(info).toContain('aof_enabled:1');
    } finally {
      await new Promise<void>((resolve) => {
        if (redis.exitCode !== null) return resolve();
        redis.once('exit', () => resolve());
        redis.kill('SIGTERM');
      });
      s.cleanup();
    }
  });
});

describe('a cache instance beside the sessions', () => {
  const cacheModel = (overrides: Partial<RedisConfig> = {}) => model({
    purpose: 'the cache instance (allkeys-lru, not persisted)',
    maxMemoryPolicy: RedisEvictionPolicy.ALLKEYS_LRU,
    appendOnly: false,
    dbFilename: 'dump-cache.rdb',
    appendDirName: 'appendonlydir-cache',
    ...overrides,
  });

  test('when rendered without persistence, then no AOF, no RDB snapshot, and allkeys-lru', () => {
    const text = renderRedisConfig(cacheModel());
    const d = directives(text);
    expect(d.get('appendonly')).toEqual(['no']);
    expect(d.get('save')).toEqual(['""']);
    expect(d.get('appendfsync')).toBeUndefined();
    expect(d.get('dbfilename')).toEqual(['dump-cache.rdb']);
    expect(d.get('maxmemory-policy')).toEqual(['allkeys-lru']);
    expect(text).toMatch(/^# Rendered by hosting-stacks \(RedisServer\): Redis 7 holding the cache instance \(allkeys-lru, not persisted\)\.$/m);
  });

  test('when checked by starting redis-server, then the cache config is accepted', () => {
    const r = checkRedis(renderRedisConfig(cacheModel()), { 'redis-auth.conf': renderRedisAuthConfig({ password: 's3cret' }) });
    expect(r.output).not.toContain('FATAL');
    expect(r.ok).toBe(true);
  });

  test('given both rendered configs on loopback with 2 MB each, when the cache is filled past its maxmemory, then it evicts while the sessions instance still takes writes', async () => {
    requireBinary('redis-server');
    requireBinary('redis-cli');
    const [sessionsPort, cachePort] = [await freePort(), await freePort()];
    const s = scratch('redis-split');
    const password = 's3cret';
    s.write('redis-auth.conf', renderRedisAuthConfig({ password }));
    const common = { bindAddresses: ['127.0.0.1'], maxMemoryMb: 2, includeFiles: [`${s.dir}/redis-auth.conf`], pidFile: '@SCRATCH@/PID', logFile: '""', dir: '@SCRATCH@' };
    const write = (name: string, m: RedisConfig) => s.write(`${name}.conf`, renderRedisConfig(m).split('@SCRATCH@').join(s.dir).replace('@SCRATCH@/PID', `${s.dir}/${name}.pid`));
    const sessionsFile = write('sessions', model({ ...common, port: sessionsPort }));
    const cacheFile = write('cache', cacheModel({ ...common, port: cachePort }));
    const daemons = [spawn('redis-server', [sessionsFile], { stdio: 'ignore' }), spawn('redis-server', [cacheFile], { stdio: 'ignore' })];
    const cli = (port: number, ...args: string[]) => run(['redis-cli', '--no-auth-warning', '-a', password, '-h', '127.0.0.1', '-p', String(port), ...args], { timeoutMs: 5000 });
    try {
      const end = Date.now() + 5000;
      while ((cli(sessionsPort, 'PING').output.trim() !== 'PONG' || cli(cachePort, 'PING').output.trim() !== 'PONG') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      // 4 MB of cache entries (Magento's block and config cache) into a 2 MB cache.
      const value = 'x'.repeat(1024);
      const script = `for i=1,4096 do redis.call('SET', 'cache:' .. i, ARGV[1]) end return 'done'`;
      expect(cli(cachePort, 'EVAL', script, '0', value).output.trim()).toBe('done');
      expect(cli(cachePort, 'INFO', 'stats').output).toMatch(/evicted_keys:[1-9]/);
      expect(cli(cachePort, 'SET', 'cache:next', value).output.trim()).toBe('OK');
      // A login still writes its session.
      expect(cli(sessionsPort, 'SET', 'sess:abc', 'customer 42').output.trim()).toBe('OK');
      expect(cli(sessionsPort, 'INFO', 'persistence').output).toContain('aof_enabled:1');
      expect(cli(cachePort, 'INFO', 'persistence').output).toContain('aof_enabled:0');
      // Had the cache shared the noeviction sessions server, the next login would have been refused.
      cli(sessionsPort, 'EVAL', script, '0', value);
      expect(cli(sessionsPort, 'SET', 'sess:def', 'customer 43').output).toMatch(/^OOM command not allowed when used memory > 'maxmemory'/);
    } finally {
      await Promise.all(daemons.map((d) => new Promise<void>((resolve) => {
        if (d.exitCode !== null) return resolve();
        d.once('exit', () => resolve());
        d.kill('SIGTERM');
      })));
      s.cleanup();
    }
  });
});
