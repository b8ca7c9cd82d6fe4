import { renderTemplate } from '../config/template';

/**
 * The role check of a MariaDB server: a small HTTP answer a balancer's health check asks, so that
 * writes go to the primary only and reads to replicas that are replicating and not far behind. A
 * plain TCP or `mysql-check` health check only sees that the server accepts connections: a replica
 * would take writes it refuses (read_only), and a replica whose replication stopped would serve
 * stale reads. The port is the one Percona's `clustercheck` made the custom for this job.
 */
export const MARIADB_ROLE_CHECK_PORT = 9200;

/** The OS user the check runs as, and its MariaDB account (unix_socket: no password). */
export const MARIADB_ROLE_CHECK_ACCOUNT = 'hs-dbrole';

/** Where the check's script is written on each server. */
export const MARIADB_ROLE_CHECK_SCRIPT_PATH = '/usr/local/sbin/hosting-stacks-db-role';

/** The socket unit that listens for the balancers; one service instance per connection. */
export const MARIADB_ROLE_CHECK_SOCKET_UNIT = 'hosting-stacks-db-role.socket';

/** The service template systemd instantiates per connection (`Accept=yes`). */
export const MARIADB_ROLE_CHECK_SERVICE_UNIT = 'hosting-stacks-db-role@.service';

/** The sysusers.d file that creates {@link MARIADB_ROLE_CHECK_ACCOUNT}. */
export const MARIADB_ROLE_CHECK_SYSUSERS_PATH = '/etc/sysusers.d/hosting-stacks-db-role.conf';

/** The path that answers 200 on the writable primary. */
export const MARIADB_PRIMARY_CHECK_PATH = '/primary';

/** The path that answers 200 on a replica that replicates within the lag allowed. */
export const MARIADB_REPLICA_CHECK_PATH = '/replica';

/** The path that answers 200 where reads may go: the primary, or a replica that passes {@link MARIADB_REPLICA_CHECK_PATH}. */
export const MARIADB_READABLE_CHECK_PATH = '/readable';

/**
 * Seconds a replica may be behind its primary and still take reads. Default of
 * `MysqlReplication`'s `maxReplicaLagSeconds`: a catalogue read a few seconds old is fine; one
 * from before the last bulk import is not.
 */
export const DEFAULT_MAX_REPLICA_LAG_SECONDS = 30;

/** Seconds one query of the check may take before the check answers 503 (a hung server is not healthy). */
export const MARIADB_ROLE_CHECK_QUERY_TIMEOUT_SECONDS = 2;

/** Connections the socket accepts at once: two balancers checking every two seconds need two. */
export const MARIADB_ROLE_CHECK_MAX_CONNECTIONS = 16;

/** What {@link renderMariadbRoleCheckScript} renders. */
export interface MariadbRoleCheckScriptModel {
  /** The server's local socket. */
  readonly socket: string;
  /** The MariaDB account (unix_socket) the check logs in as: the OS user it runs as. */
  readonly account: string;
  /** Path answering 200 on the primary. */
  readonly primaryPath: string;
  /** Path answering 200 on a healthy replica. */
  readonly replicaPath: string;
  /** Path answering 200 on the primary or a healthy replica. */
  readonly readablePath: string;
  /** Seconds behind the primary a replica may be. */
  readonly maxLagSeconds: number;
  /** Seconds a query may take. */
  readonly queryTimeoutSeconds: number;
}

/** The check's POSIX shell script: reads the request line on stdin, answers HTTP/1.0 on stdout. */
export function renderMariadbRoleCheckScript(model: MariadbRoleCheckScriptModel): string {
  return renderTemplate('mariadb-role-check.sh.hbs', model);
}

/** What {@link renderMariadbRoleCheckSocket} renders. */
export interface MariadbRoleCheckSocketModel {
  /** The server's private address. */
  readonly address: string;
  /** TCP port. */
  readonly port: number;
  /** Connections at once. */
  readonly maxConnections: number;
  /** The service template's name without `@.service`. */
  readonly serviceName: string;
}

/** The socket unit listening on the server's private address. */
export function renderMariadbRoleCheckSocket(model: MariadbRoleCheckSocketModel): string {
  return renderTemplate('mariadb-role-check.socket.hbs', model);
}

/** What {@link renderMariadbRoleCheckService} renders. */
export interface MariadbRoleCheckServiceModel {
  /** The script. */
  readonly scriptPath: string;
  /** The OS user (and group) it runs as. */
  readonly account: string;
  /** The socket unit. */
  readonly socketName: string;
  /** Seconds one check may run before systemd stops it. */
  readonly runtimeMaxSeconds: number;
}

/** The service template run once per accepted connection, unprivileged, the file system read-only. */
export function renderMariadbRoleCheckService(model: MariadbRoleCheckServiceModel): string {
  return renderTemplate('mariadb-role-check@.service.hbs', model);
}

/** The sysusers.d line creating the check's system user (and its group), no home, no shell. */
export function renderMariadbRoleCheckSysusers(account: string): string {
  return `# Rendered by hosting-stacks: the user the MariaDB role check runs as.\nu ${account} - "hosting-stacks MariaDB role check" /nonexistent /usr/sbin/nologin\n`;
}

/**
 * The SQL run on the primary (and replicated to the replicas) creating the check's account: it
 * logs in over the local socket as the OS user of the same name only, and may read the
 * replication status (`SLAVE MONITOR`), nothing else.
 */
export function mariadbRoleCheckAccountSql(account: string): string {
  return `CREATE USER IF NOT EXISTS '${account}'@'localhost' IDENTIFIED VIA unix_socket; GRANT SLAVE MONITOR ON *.* TO '${account}'@'localhost';`;
}
