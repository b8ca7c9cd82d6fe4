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
