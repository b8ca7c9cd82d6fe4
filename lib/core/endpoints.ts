import { IConstruct } from 'constructs';
import { IConnectable } from './connections';
import { Secret } from './secret';

/** A MySQL-protocol database that application tiers connect to. */
export interface IMysqlDatabase extends IConnectable {
  /** Address of the writable primary. */
  readonly writerAddress: string;
  /** Addresses of the read-only replicas. */
  readonly readerAddresses: readonly string[];
  /** TCP port. */
  readonly port: number;
  /** Name of the application's schema. */
  readonly databaseName: string;
  /** The application's database user. */
  readonly applicationUser: string;
  /** The application user's password (a sensitive variable). */
  readonly applicationPassword: Secret;
  /**
   * Declares a client and the most connections it can hold open at once, so a database that sizes
   * `max_connections` from its clients counts it (MysqlReplication does). Every construct taking a
   * database calls it; a database managed elsewhere may leave it out. Returns the demand recorded.
   */
  addClient?(demand: MysqlClientDemand): MysqlClientDemand;
}

/** The most connections one client of a database can hold open at once: `servers x connectionsPerServer`. */
export interface MysqlClientDemand {
  /** The construct that connects (its path names it in the rendered config and in errors). */
  readonly client: IConstruct;
  /** Servers that connect, at their most (a scalable tier's `maxCount`). */
  readonly servers: number;
  /** Connections one server can open at once (PHP-FPM children, a JDBC pool's maximum). */
  readonly connectionsPerServer: number;
  /** What bounds the connections of one server, e.g. 'PHP-FPM pm.max_children'. */
  readonly bound: string;
}

/**
 * How a balancer asks a database server its role: HTTP GET on the server's address, 200 or 503.
 * What a balancer needs to send writes to the primary and reads to the replicas that replicate.
 */
export interface DatabaseRoleCheck {
  /** TCP port of the check on every server. */
  readonly port: number;
  /** Answers 200 on the writable primary, 503 elsewhere. */
  readonly primaryPath: string;
  /** Answers 200 on a read-only replica whose replication runs within `maxLagSeconds`, 503 elsewhere. */
  readonly replicaPath: string;
  /** Answers 200 where reads may go: the primary or a replica that passes `replicaPath`. */
  readonly readablePath: string;
  /** Seconds behind the primary a replica may be. */
  readonly maxLagSeconds: number;
}

/**
 * A database whose reads have an endpoint of their own beside the writer: a balancer's read port
 * that spreads them over the replicas ({@link HaproxyDatabaseRoute}). A tier given one reads there
 * and keeps reading while the primary is down.
 */
export interface IMysqlReadEndpoint {
  /** Address of the read endpoint. */
  readonly readerAddress: string;
  /** Port of the read endpoint. */
  readonly readPort: number;
  /** Lets `peer` reach the read endpoint. */
  allowReadsFrom(peer: IConnectable): void;
}

/** `database`'s read endpoint when it has one ({@link IMysqlReadEndpoint}), else undefined. */
export function readEndpointOf(database: IMysqlDatabase): (IMysqlDatabase & IMysqlReadEndpoint) | undefined {
  const d = database as Partial<IMysqlReadEndpoint>;
  return typeof d.readerAddress === 'string' && typeof d.readPort === 'number' && typeof d.allowReadsFrom === 'function'
    ? database as IMysqlDatabase & IMysqlReadEndpoint
    : undefined;
}

/**
 * A primary/replica MySQL database whose servers answer a {@link DatabaseRoleCheck}: what a balancer
 * spreading database calls takes (MysqlReplication is one).
 */
export interface IReplicatedMysqlDatabase extends IMysqlDatabase {
  /** Host names of the servers, the primary's first, in the order of `writerAddress` then `readerAddresses`. */
  readonly memberHostnames: readonly string[];
  /** Connections each server accepts (`max_connections`): what a balancer lets through to one server. */
  readonly maxConnections: number;
  /** Lets `peer` ask every server its role, and returns how. */
  allowRoleChecksFrom(peer: IConnectable): DatabaseRoleCheck;
  /** Whether the application account may log in from `address` (a balancer connects from its own). */
  acceptsApplicationFrom(address: string): boolean;
}

/** An HTTP service that a reverse proxy or balancer sends requests to. */
export interface IHttpBackend extends IConnectable {
  /** Member addresses. */
  readonly backendAddresses: readonly string[];
  /** TCP port the members listen on. */
  readonly backendPort: number;
  /** Path that answers 200 when a member is healthy. */
  readonly healthCheckPath: string;
}

/** A Redis server that applications keep sessions or cache in. */
export interface IRedisEndpoint extends IConnectable {
  /** Address clients connect to. */
  readonly address: string;
  /** TCP port. */
  readonly port: number;
  /** The `requirepass` password (a sensitive variable). */
  readonly password: Secret;
}

/** An Apache Solr server that applications send search queries to. */
export interface ISolrEndpoint extends IConnectable {
  /** Address clients connect to. */
  readonly address: string;
  /** TCP port of Solr's HTTP API. */
  readonly port: number;
  /** Name of the core (collection) applications use. */
  readonly coreName: string;
}
