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
