import { Fn } from 'cdktf';
import { renderTemplate } from '../config/template';

/** What Redis does when `maxmemory` is reached (`maxmemory-policy`). */
export enum RedisEvictionPolicy {
  /** Refuse writes that need memory; nothing is ever evicted. */
  NOEVICTION = 'noeviction',
  /** Evict the least recently used keys among those with an expiry. */
  VOLATILE_LRU = 'volatile-lru',
  /** Evict the keys with an expiry closest to expiring. */
  VOLATILE_TTL = 'volatile-ttl',
  /** Evict the least recently used keys, with or without an expiry (pure caches). */
  ALLKEYS_LRU = 'allkeys-lru',
}

/** How often the append-only file is fsynced (`appendfsync`). */
export enum RedisAppendFsync {
  /** After every write: no loss, slowest. */
  ALWAYS = 'always',
  /** Once a second: at most one second of writes lost on a crash. */
  EVERY_SECOND = 'everysec',
  /** Left to the kernel (about 30 s on Linux). */
  NO = 'no',
}

/** Debian 12 paths of the `redis-server` package and of the password file this library adds. */
export const REDIS_PATHS = {
  config: '/etc/redis/redis.conf',
  authConfig: '/etc/redis/redis-auth.conf',
  pidFile: '/run/redis/redis-server.pid',
  logFile: '/var/log/redis/redis-server.log',
  dataDir: '/var/lib/redis',
} as const;

/**
 * Debian 12 paths of a second `redis-server` instance on the same host, run by the package's
 * template unit `redis-server@<name>.service`: it reads `/etc/redis/redis-<name>.conf`, runs in
 * `/run/redis-<name>` and may write only to `/var/lib/redis` and `/var/log/redis`.
 */
export function redisInstancePaths(name: string) {
  return {
    config: `/etc/redis/redis-${name}.conf`,
    authConfig: `/etc/redis/auth-${name}.conf`,
    pidFile: `/run/redis-${name}/redis-server.pid`,
    logFile: `/var/log/redis/redis-server-${name}.log`,
    dataDir: REDIS_PATHS.dataDir,
    service: `redis-server@${name}`,
  } as const;
}

/**
 * Commands disabled by default. `FLUSHDB` stays: Magento's "Flush Cache Storage" sends it to the
 * cache database (Cm_Cache_Backend_Redis). `KEYS` blocks the server while it walks every key.
 */
export const REDIS_DEFAULT_DISABLED_COMMANDS: readonly string[] = ['FLUSHALL', 'CONFIG', 'DEBUG', 'MODULE', 'REPLICAOF', 'SLAVEOF', 'KEYS'];

/**
 * The top-level commands of Redis 7.0 (Debian 12's `redis-server` 7.0.15, `COMMAND LIST` without the
 * `CONTAINER|SUBCOMMAND` entries): what `rename-command` accepts. An unknown name stops Redis at
 * start (`FATAL CONFIG FILE ERROR ... No such command in rename-command`).
 */
export const REDIS_COMMANDS: readonly string[] = [
  'ACL', 'APPEND', 'ASKING', 'AUTH', 'BGREWRITEAOF', 'BGSAVE', 'BITCOUNT', 'BITFIELD', 'BITFIELD_RO',
  'BITOP', 'BITPOS', 'BLMOVE', 'BLMPOP', 'BLPOP', 'BRPOP', 'BRPOPLPUSH', 'BZMPOP', 'BZPOPMAX', 'BZPOPMIN',
  'CLIENT', 'CLUSTER', 'COMMAND', 'CONFIG', 'COPY', 'DBSIZE', 'DEBUG', 'DECR', 'DECRBY', 'DEL', 'DISCARD',
  'DUMP', 'ECHO', 'EVAL', 'EVAL_RO', 'EVALSHA', 'EVALSHA_RO', 'EXEC', 'EXISTS', 'EXPIRE', 'EXPIREAT',
  'EXPIRETIME', 'FAILOVER', 'FCALL', 'FCALL_RO', 'FLUSHALL', 'FLUSHDB', 'FUNCTION', 'GEOADD', 'GEODIST',
  'GEOHASH', 'GEOPOS', 'GEORADIUS', 'GEORADIUS_RO', 'GEORADIUSBYMEMBER', 'GEORADIUSBYMEMBER_RO', 'GEOSEARCH',
  'GEOSEARCHSTORE', 'GET', 'GETBIT', 'GETDEL', 'GETEX', 'GETRANGE', 'GETSET', 'HDEL', 'HELLO', 'HEXISTS',
  'HGET', 'HGETALL', 'HINCRBY', 'HINCRBYFLOAT', 'HKEYS', 'HLEN', 'HMGET', 'HMSET', 'HRANDFIELD', 'HSCAN',
  'HSET', 'HSETNX', 'HSTRLEN', 'HVALS', 'INCR', 'INCRBY', 'INCRBYFLOAT', 'INFO', 'KEYS', 'LASTSAVE',
  'LATENCY', 'LCS', 'LINDEX', 'LINSERT', 'LLEN', 'LMOVE', 'LMPOP', 'LOLWUT', 'LPOP', 'LPOS', 'LPUSH',
  'LPUSHX', 'LRANGE', 'LREM', 'LSET', 'LTRIM', 'MEMORY', 'MGET', 'MIGRATE', 'MODULE', 'MONITOR', 'MOVE',
  'MSET', 'MSETNX', 'MULTI', 'OBJECT', 'PERSIST', 'PEXPIRE', 'PEXPIREAT', 'PEXPIRETIME', 'PFADD', 'PFCOUNT',
  'PFDEBUG', 'PFMERGE', 'PFSELFTEST', 'PING', 'PSETEX', 'PSUBSCRIBE', 'PSYNC', 'PTTL', 'PUBLISH', 'PUBSUB',
  'PUNSUBSCRIBE', 'QUIT', 'RANDOMKEY', 'READONLY', 'READWRITE', 'RENAME', 'RENAMENX', 'REPLCONF',
  'REPLICAOF', 'RESET', 'RESTORE', 'RESTORE-ASKING', 'ROLE', 'RPOP', 'RPOPLPUSH', 'RPUSH', 'RPUSHX', 'SADD',
  'SAVE', 'SCAN', 'SCARD', 'SCRIPT', 'SDIFF', 'SDIFFSTORE', 'SELECT', 'SET', 'SETBIT', 'SETEX', 'SETNX',
  'SETRANGE', 'SHUTDOWN', 'SINTER', 'SINTERCARD', 'SINTERSTORE', 'SISMEMBER', 'SLAVEOF', 'SLOWLOG',
  'SMEMBERS', 'SMISMEMBER', 'SMOVE', 'SORT', 'SORT_RO', 'SPOP', 'SPUBLISH', 'SRANDMEMBER', 'SREM', 'SSCAN',
  'SSUBSCRIBE', 'STRLEN', 'SUBSCRIBE', 'SUBSTR', 'SUNION', 'SUNIONSTORE', 'SUNSUBSCRIBE', 'SWAPDB', 'SYNC',
  'TIME', 'TOUCH', 'TTL', 'TYPE', 'UNLINK', 'UNSUBSCRIBE', 'UNWATCH', 'WAIT', 'WATCH', 'XACK', 'XADD',
  'XAUTOCLAIM', 'XCLAIM', 'XDEL', 'XGROUP', 'XINFO', 'XLEN', 'XPENDING', 'XRANGE', 'XREAD', 'XREADGROUP',
  'XREVRANGE', 'XSETID', 'XTRIM', 'ZADD', 'ZCARD', 'ZCOUNT', 'ZDIFF', 'ZDIFFSTORE', 'ZINCRBY', 'ZINTER',
  'ZINTERCARD', 'ZINTERSTORE', 'ZLEXCOUNT', 'ZMPOP', 'ZMSCORE', 'ZPOPMAX', 'ZPOPMIN', 'ZRANDMEMBER',
  'ZRANGE', 'ZRANGEBYLEX', 'ZRANGEBYSCORE', 'ZRANGESTORE', 'ZRANK', 'ZREM', 'ZREMRANGEBYLEX',
  'ZREMRANGEBYRANK', 'ZREMRANGEBYSCORE', 'ZREVRANGE', 'ZREVRANGEBYLEX', 'ZREVRANGEBYSCORE', 'ZREVRANK',
  'ZSCAN', 'ZSCORE', 'ZUNION', 'ZUNIONSTORE',
];

/** The model of `/etc/redis/redis.conf` (or of an instance's `/etc/redis/redis-<name>.conf`). */
export interface RedisConfig {
  /** What the instance holds, for the header comment ("the shop's sessions"). */
  readonly purpose: string;
  /** Addresses to listen on (the planned address and 127.0.0.1). */
  readonly bindAddresses: readonly string[];
  /** TCP port. */
  readonly port: number;
  /** Refuse clients from other hosts when no password is set (a second guard). */
  readonly protectedMode: boolean;
  /** Seconds between TCP keep-alive probes to clients (detects dead peers behind NAT and firewalls). */
  readonly tcpKeepaliveSeconds: number;
  /** Seconds an idle client is kept; 0 for never (PHP's persistent connections stay idle between requests). */
  readonly timeoutSeconds: number;
  /** Connections at once. */
  readonly maxClients: number;
  /** Number of logical databases. */
  readonly databases: number;
  /** `pidfile`. */
  readonly pidFile: string;
  /** `logfile`; `""` for standard output. */
  readonly logFile: string;
  /** Working directory: the AOF and RDB files. */
  readonly dir: string;
  /** Memory ceiling in MB. */
  readonly maxMemoryMb: number;
  /** What happens at the ceiling. */
  readonly maxMemoryPolicy: RedisEvictionPolicy;
  /** Keep the append-only file and RDB snapshots; false for a cache (no file, no fork). */
  readonly appendOnly: boolean;
  /** RDB file name in `dir` (unique per instance sharing the folder). */
  readonly dbFilename: string;
  /** Folder of the append-only files in `dir` (unique per instance sharing the folder). */
  readonly appendDirName: string;
  /** fsync policy of the append-only file. */
  readonly appendFsync: RedisAppendFsync;
  /** Commands renamed to "" (disabled). */
  readonly disabledCommands: readonly string[];
  /** Files included at the end, so what they set wins (the password file). */
  readonly includeFiles: readonly string[];
}

/** Renders `redis.conf` from `templates/redis.conf.hbs`. */
export function renderRedisConfig(config: RedisConfig): string {
  return renderTemplate('redis.conf.hbs', config);
}

/**
 * Renders the included password file (`requirepass "<password>"`) from `templates/redis-auth.conf.hbs`.
 * `password` must already be quoted for Redis: pass a reference through {@link redisQuotedAtApply}.
 */
export function renderRedisAuthConfig(model: { readonly password: string }): string {
  return renderTemplate('redis-auth.conf.hbs', model);
}

/**
 * Wraps a Terraform string reference so that, when Terraform resolves it, `\` and `"` are escaped
 * for a double-quoted Redis config argument.
 */
export function redisQuotedAtApply(reference: string): string {
  return Fn.replace(Fn.replace(reference, terraformLiteral('\\'), terraformLiteral('\\\\')), terraformLiteral('"'), terraformLiteral('\\"'));
}

/**
 * A Terraform string literal of `text`. `Fn.rawString` escapes quotes and newlines but not
 * backslashes, so they are doubled first.
 */
export function terraformLiteral(text: string): string {
  return Fn.rawString(text.replace(/\\/g, '\\\\'));
}
