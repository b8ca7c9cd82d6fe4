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

/** Where Debian's package keeps the server logs (created by the package, owned by `mysql:adm`). */
export const DEBIAN_MARIADB_LOG_DIR = '/var/log/mysql';

/** InnoDB sizes the buffer pool in chunks of 128 MB (`innodb_buffer_pool_chunk_size`); the pool is a multiple of it. */
export const INNODB_BUFFER_POOL_CHUNK_MB = 128;

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
  /** `max_connections`. */
  readonly maxConnections: number;
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
