import { renderTemplate } from '../config/template';
import { formatIpv4, parseCidr } from '../core/ipv4';

/**
 * Renders the MariaDB server option file and the replication bootstrap script. Debian 12 ships
 * MariaDB 10.11 as its MySQL (package `mariadb-server`), so that is what these target: option names
 * are MariaDB's (`binlog_expire_logs_seconds` since 10.6, GTID replication with `MASTER_USE_GTID`).
 */

/** Where Debian's `mariadb-server` reads extra server options from; files sort after its `50-server.cnf`. */
export const MARIADB_CONF_DIR = '/etc/mysql/mariadb.conf.d';

/** The unix socket Debian's `mariadb.service` listens on (root logs in through it by `unix_socket`). */
export const DEBIAN_MARIADB_SOCKET = '/run/mysqld/mysqld.sock';

/**
 * Where the binary and relay logs go: the datadir, which Debian 12's `mariadb-server` creates and
 * owns (`mysql:mysql`). Debian 12 logs to the journal and no longer creates `/var/log/mysql`: a
 * `log_bin` there stops the server at start (found by booting the server in the lab).
 */
export const DEBIAN_MARIADB_LOG_DIR = '/var/lib/mysql';

/** InnoDB sizes the buffer pool in chunks of 128 MB (`innodb_buffer_pool_chunk_size`); the pool is a multiple of it. */
export const INNODB_BUFFER_POOL_CHUNK_MB = 128;

/**
 * Connections kept for administration on top of the clients' sum: a backup (mariabackup or
 * mysqldump), a monitoring exporter, the bootstrap script and an operator's client. MariaDB adds
 * one more for a SUPER user beyond `max_connections` (`extra_max_connections`), not counted here.
 */
export const MARIADB_ADMIN_CONNECTIONS = 10;

/**
 * Memory one connection may take in MB, at MariaDB 10.11's defaults for the per-session buffers
 * (`mariadbd --help --verbose`): sort 2 MB + join 256 KB + read_rnd 256 KB + read 128 KB + thread
 * stack 292 KB + binlog cache 32 KB + two 16 KB network buffers, 2.9 MB, rounded up. An in-memory
 * temporary table (up to `tmp_table_size`, 16 MB) comes on top only while a query needs one.
 */
export const MARIADB_CONNECTION_MB = 3;

/**
 * Memory outside the buffer pool and the connections in MB: MariaDB's global buffers at their
 * defaults (`key_buffer_size` 128 MB, `aria_pagecache_buffer_size` 128 MB, `innodb_log_buffer_size`
 * 16 MB), plus 512 MB for the kernel, sshd, cloud-init and agents.
 */
export const MARIADB_RESERVED_MB = 128 + 128 + 16 + 512;

/**
 * Tables one connection holds open at once. MySQL's and MariaDB's manuals size `table_open_cache` as
 * `max_connections x N`, N the most tables one query joins; Magento 1's EAV catalogue queries join
 * a handful of attribute tables per entity, so 8.
 */
export const MARIADB_TABLES_PER_CONNECTION = 8;

/** `table_open_cache` below which it is never set: MariaDB 10.11's default. */
export const MARIADB_MIN_TABLE_OPEN_CACHE = 2000;

/** `LimitNOFILE` of Debian 12's `mariadb.service`: mariadbd cannot open more files, whatever `open_files_limit` says. */
export const DEBIAN_MARIADB_LIMIT_NOFILE = 32768;

/** One client's share of `max_connections`, as the rendered config lists it. */
export interface MariadbConnectionTerm {
  /** Path of the construct that connects. */
  readonly client: string;
  /** Servers that connect, at their most. */
  readonly servers: number;
  /** Connections one server can open at once. */
  readonly connectionsPerServer: number;
  /** What bounds one server's connections. */
  readonly bound: string;
  /** `servers x connectionsPerServer`. */
  readonly connections: number;
}

/** `max_connections` and the limits that follow from it. */
export interface MariadbConnectionLimits {
  /** The clients' shares, in the order they were declared. */
  readonly terms: readonly MariadbConnectionTerm[];
  /** Connections kept for administration. */
  readonly adminReserve: number;
  /** The clients' shares plus the admin reserve. */
  readonly sum: number;
  /** Whether `max_connections` was given rather than derived (it is then at least `sum`). */
  readonly given: boolean;
  /** `max_connections`. */
  readonly maxConnections: number;
  /**
   * `thread_cache_size`: every connection may leave its thread for the next one. PHP opens one
   * connection per request, so at a peak threads are made and ended hundreds of times a second
   * without it; the cached threads' memory is within the per-connection budget.
   */
  readonly threadCacheSize: number;
  /** `table_open_cache`: {@link MARIADB_TABLES_PER_CONNECTION} per connection, at least MariaDB's default, within the file limit. */
  readonly tableOpenCache: number;
  /** `open_files_limit`, as mariadbd sizes it: 10 + connections (with the extra one) + 2 per cached table. */
  readonly openFilesLimit: number;
}

/**
 * The connection limits of a server whose clients are `terms`: `max_connections` is their sum plus
 * `adminReserve`, or `given` when set. `table_open_cache` is lowered so that mariadbd's own file
 * count (`10 + max_connections + extra_max_connections + 2 x table_open_cache`) stays within
 * Debian's `LimitNOFILE` (otherwise mariadbd lowers it at start, silently but for a warning).
 */
export function mariadbConnectionLimits(terms: readonly MariadbConnectionTerm[], adminReserve: number, given?: number): MariadbConnectionLimits {
  const sum = terms.reduce((n, t) => n + t.connections, 0) + adminReserve;
  const maxConnections = given ?? sum;
  const fileBudget = Math.floor((DEBIAN_MARIADB_LIMIT_NOFILE - 10 - maxConnections - 1) / 2);
  const tableOpenCache = Math.max(MARIADB_MIN_TABLE_OPEN_CACHE, Math.min(maxConnections * MARIADB_TABLES_PER_CONNECTION, fileBudget));
  return {
    terms,
    adminReserve,
    sum,
    given: given !== undefined,
    maxConnections,
    threadCacheSize: maxConnections,
    tableOpenCache,
    openFilesLimit: 10 + maxConnections + 1 + 2 * tableOpenCache,
  };
}

/**
 * The most connections a server with `ramGb` of memory and a `bufferPoolMb` buffer pool can hold:
 * what is left after the pool and {@link MARIADB_RESERVED_MB}, at {@link MARIADB_CONNECTION_MB} each.
 */
export function mariadbConnectionsForRam(ramGb: number, bufferPoolMb: number): number {
  return Math.max(0, Math.floor((Math.floor(ramGb * 1024) - bufferPoolMb - MARIADB_RESERVED_MB) / MARIADB_CONNECTION_MB));
}

/** The role of one MariaDB server in a primary/replica set. */
export enum MariadbRole {
  /** Takes writes; replicas follow its binary log. */
  PRIMARY = 'primary',
  /** Read-only copy that replays the primary's binary log by GTID. */
  REPLICA = 'replica',
}

/** The `[mysqld]` options of one server of a replication set. */
export interface MariadbConfigModel {
  /** Primary or replica: replicas are `read_only`. */
  readonly role: MariadbRole;
  /** `server_id`, unique in the replication set (1 to 4294967295). */
  readonly serverId: number;
  /** `bind-address`: the server's planned address (never 0.0.0.0). */
  readonly bindAddress: string;
  /** TCP port. */
  readonly port: number;
  /** `report_host`: how the primary lists this server in `SHOW SLAVE HOSTS`. */
  readonly reportHost: string;
  /** Path prefix of the binary logs (`log_bin`). */
  readonly binlogBasename: string;
  /** Path prefix of the relay logs (`relay_log`). */
  readonly relayLogBasename: string;
  /** `binlog_expire_logs_seconds`: how long binary logs are kept. */
  readonly binlogExpireSeconds: number;
  /** `innodb_buffer_pool_size` in MB, a multiple of {@link INNODB_BUFFER_POOL_CHUNK_MB}. */
  readonly bufferPoolMb: number;
  /** `max_connections`, its sum and the limits that follow from it. */
  readonly connections: MariadbConnectionLimits;
}

/** Renders `/etc/mysql/mariadb.conf.d/60-hosting-stacks.cnf` for one server. */
export function renderMariadbConfig(model: MariadbConfigModel): string {
  return renderTemplate('mariadb-replication.cnf.hbs', model);
}

/**
 * The InnoDB buffer pool for a server with `ramGb` of memory: `fraction` of it, rounded down to a
 * multiple of the 128 MB chunk, at least one chunk. 4 GB at 0.6 gives 2,432 MB.
 */
export function bufferPoolMbForRam(ramGb: number, fraction: number): number {
  const mb = Math.floor((ramGb * 1024 * fraction) / INNODB_BUFFER_POOL_CHUNK_MB) * INNODB_BUFFER_POOL_CHUNK_MB;
  return Math.max(INNODB_BUFFER_POOL_CHUNK_MB, mb);
}

/**
 * A MariaDB account host for an IPv4 block, in the `network/netmask` form MariaDB matches
 * (`10.0.1.0/24` gives `10.0.1.0/255.255.255.0`). Returns undefined for text that is not a CIDR.
 */
export function mariadbHostForCidr(cidr: string): string | undefined {
  const block = parseCidr(cidr);
  if (!block) return undefined;
  const mask = block.prefix === 0 ? 0 : (0xffffffff << (32 - block.prefix)) >>> 0;
  return `${formatIpv4(block.network)}/${formatIpv4(mask)}`;
}

/** What the primary's bootstrap script does: create the schema, the application and replication accounts. */
export interface MariadbPrimaryBootstrapModel {
  /** Discriminant. */
  readonly role: MariadbRole.PRIMARY;
  /** Unix socket of the local server; root logs in through it. */
  readonly socket: string;
  /** Seconds to wait for the local server to answer. */
  readonly localWaitSeconds: number;
  /** Schema to create (letters, digits, `_`). */
  readonly databaseName: string;
  /** Application account name. */
  readonly applicationUser: string;
  /** Account host of the application user (`%` or `network/netmask`). */
  readonly applicationHost: string;
  /** Root-only file holding the application password. */
  readonly applicationPasswordFile: string;
  /** Replication account name. */
  readonly replicationUser: string;
  /** Account host of the replication user (`network/netmask` of the servers' subnet). */
  readonly replicationHost: string;
  /** Root-only file holding the replication password. */
  readonly replicationPasswordFile: string;
}

/** What a replica's bootstrap script does: wait for the primary, then follow it by GTID. */
export interface MariadbReplicaBootstrapModel {
  /** Discriminant. */
  readonly role: MariadbRole.REPLICA;
  /** Unix socket of the local server; root logs in through it. */
  readonly socket: string;
  /** Seconds to wait for the local server to answer. */
  readonly localWaitSeconds: number;
  /** The primary's planned address (`MASTER_HOST`). */
  readonly primaryAddress: string;
  /** The primary's TCP port. */
  readonly primaryPort: number;
  /** Seconds to wait for the primary to accept the replication account. */
  readonly primaryWaitSeconds: number;
  /** Replication account name (`MASTER_USER`). */
  readonly replicationUser: string;
  /** Root-only file holding the replication password (`MASTER_PASSWORD`). */
  readonly replicationPasswordFile: string;
  /** `MASTER_CONNECT_RETRY`: seconds between reconnection attempts. */
  readonly connectRetrySeconds: number;
}

/** The bootstrap of a primary or of a replica. */
export type MariadbBootstrapModel = MariadbPrimaryBootstrapModel | MariadbReplicaBootstrapModel;

/**
 * Renders the POSIX shell script cloud-init runs once after MariaDB has started. Passwords are read
 * from root-only files and reach the server hex-encoded inside SQL sent on stdin, so they never
 * appear on a command line, need no quoting, and only their hashes reach the binary log
 * (`IDENTIFIED BY PASSWORD`).
 */
export function renderMariadbBootstrapScript(model: MariadbBootstrapModel): string {
  return renderTemplate('mariadb-bootstrap.sh.hbs', model);
}
