import { Construct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { Machines } from '../compute/machines';
import { DataKind, IServerTier, ServerCluster, ServerInstance } from '../compute/server-cluster';
import { renderTemplate } from '../config/template';
import { Connections, IConnectable } from '../core/connections';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { brand, declareDataKind, Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';
import { Port } from '../core/port';
import { Secret } from '../core/secret';
import { requireText, TextKind } from '../core/text';
import {
  bufferPoolMbForRam,
  DEBIAN_MARIADB_SOCKET,
  MARIADB_ADMIN_CONNECTIONS,
  MariadbConnectionLimits,
  mariadbConnectionLimits,
  MariadbConnectionTerm,
  mariadbHostForCidr,
  MariadbRole,
  renderMariadbConfig,
} from './mariadb-config';
import { MARIADB_CONFIG_PATH, MARIADB_LOCAL_WAIT_SECONDS, MARIADB_SECRETS_DIR } from './mysql-replication';

/** Default name of the shared database: the clients, and the registry of their databases. */
export const CLIENT_DATABASES_DEFAULT_SHARED_NAME = 'shared';

/** Default prefix of a client's database: `client_<name>`. */
export const CLIENT_DATABASES_DEFAULT_PREFIX = 'client_';

/** The registry table in the shared database: each client's database, its host and the last update step applied. */
export const CLIENT_DATABASES_REGISTRY_TABLE = 'client_databases';

/** The account the migration runner logs in as. */
export const CLIENT_DATABASES_MIGRATOR_USER = 'migrator';

/** The bootstrap script cloud-init runs once on each database host. */
export const CLIENT_DATABASES_BOOTSTRAP_PATH = '/usr/local/sbin/hosting-stacks-client-databases-bootstrap';

/** Default share of a database host's RAM for the InnoDB buffer pool when the host carries nothing else. */
export const CLIENT_DATABASES_DEFAULT_BUFFER_POOL_FRACTION = 0.6;

/** Model of the bootstrap script of one database host. */
export interface ClientDatabasesBootstrapModel {
  readonly hostname: string;
  /** Unix socket of the local server; root logs in through it. */
  readonly socket: string;
  readonly localWaitSeconds: number;
  readonly applicationUser: string;
  /** Account host of the application user (`network/netmask`). */
  readonly applicationHost: string;
  readonly applicationPasswordFile: string;
  readonly migratorUser: string;
  /** The migration runner's addresses (account hosts of the migrator). */
  readonly migratorHosts: readonly string[];
  readonly migratorPasswordFile: string;
  readonly clientPrefix: string;
  /** The prefix as a GRANT pattern (`client\_`). */
  readonly clientPrefixPattern: string;
  /** The shared database, on the first host only; '' elsewhere. */
  readonly sharedDatabase: string;
  readonly registryTable: string;
}

/**
 * Renders the POSIX shell script cloud-init runs once on a database host: the application's and
 * the migration runner's accounts, with grants covering every client database made later, and on
 * the first host the shared database and its registry table.
 */
export function renderClientDatabasesBootstrap(model: ClientDatabasesBootstrapModel): string {
  return renderTemplate('client-databases-bootstrap.sh.hbs', model);
}

/** What one client's database weighs, for the sizing: the document's figures and our estimates per row. */
export interface ClientDatabaseSize {
  /** Contacts of one client. */
  readonly contacts: number;
  /** Bytes of one contact with its indexes on disk. */
  readonly bytesPerContact: number;
  /** Activity rows per contact kept. */
  readonly activityRowsPerContact: number;
  /** Bytes of one activity row with its indexes on disk. */
  readonly bytesPerActivityRow: number;
  /** Share of the data read often enough to stay in the buffer pool (0 to 1). */
  readonly hotFraction: number;
}

/** Props of {@link ClientDatabases}. */
export interface ClientDatabasesProps {
  /** The database hosts: one MariaDB on each server, stateful; the first holds the shared database. */
  readonly machines: Machines;
  /** Clients the layout must carry: synth refuses hosts that cannot hold them, 1 to 100,000. */
  readonly plannedClients: number;
  /** What one client's database weighs. */
  readonly clientSize: ClientDatabaseSize;
  /** The shared database's name (letters, digits, `_`). @default CLIENT_DATABASES_DEFAULT_SHARED_NAME ('shared') */
  readonly sharedDatabaseName?: string;
  /** Prefix of every client's database (lower-case letters, digits, ending in `_`). @default CLIENT_DATABASES_DEFAULT_PREFIX ('client_') */
  readonly clientDatabasePrefix?: string;
  /** The application's account (letters, digits, `_`). @default 'app' */
  readonly applicationUser?: string;
  /** The application's password. A Secret made by Secret.variable only. @default Secret.variable(this, 'client_databases_app_password', ...) */
  readonly applicationPassword?: Secret;
  /** Where the application account may log in from (IPv4 CIDR). @default - the machines' vSwitch */
  readonly applicationClientCidr?: string;
  /** The migration runner's password. A Secret made by Secret.variable only. @default Secret.variable(this, 'client_databases_migrator_password', ...) */
  readonly migratorPassword?: Secret;
  /** Share of each host's RAM for the buffer pool, 0.1 to 0.8 (lower it when the host carries other functions). @default CLIENT_DATABASES_DEFAULT_BUFFER_POOL_FRACTION (0.6) */
  readonly bufferPoolFraction?: number;
  /** Share of each host's disk the databases may fill, 0.3 to 0.9 (the rest: binary logs, temporary tables, the OS). @default 0.6 */
  readonly diskFraction?: number;
}

/** One database host, as the migration runner and the clients see it. */
export interface ClientDatabaseHost {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly instance: ServerInstance;
}

/**
 * The databases of a SaaS with one database per client (case study 4): one shared database (the
 * clients, and the registry of their databases) plus one database per client, all of identical
 * schema, spread over MariaDB hosts (Debian 12 `mariadb-server`, one per server of the machines,
 * binary log on for point-in-time recovery). A client's database is made at run time, on the host
 * with the fewest clients, by the {@link ClientMigrations} runner (`add-client`), which then brings
 * it to the last update step; the registry records its host and its step.
 *
 * Sizing: each host carries as many clients as its disk holds at `diskFraction` and its buffer pool
 * holds their hot share; synth refuses a layout whose hosts cannot carry `plannedClients`
 * ({@link clientsPerHost}).
 *
 * Accounts: the application's (`SELECT, INSERT, UPDATE, DELETE`... on every client database and the
 * shared one, from `applicationClientCidr`), and the migration runner's (every privilege on them,
 * from the runner's address only); passwords are sensitive variables written root-only.
 */
export class ClientDatabases extends Construct implements IServerTier {
  /** The kind of data it serves (the data-isolation rule keeps it out of the DMZ). */
  public readonly dataKind: DataKind = 'MySQL database';
  /** The servers (those of the machines given). */
  public readonly cluster: ServerCluster;
  /** Their network intent. */
  public readonly connections: Connections;
  /** The machines given. */
  public readonly machines: Machines;
  /** TCP port. */
  public readonly port = 3306;
  /** The shared database's name. */
  public readonly sharedDatabaseName: string;
  /** Prefix of a client's database. */
  public readonly clientDatabasePrefix: string;
  /** The application's account. */
  public readonly applicationUser: string;
  /** The application's password. */
  public readonly applicationPassword: Secret;
  /** The migration runner's password. */
  public readonly migratorPassword: Secret;
  /** Clients the layout carries. */
  public readonly plannedClients: number;
  /** The buffer pool of each host, in MB. */
  public readonly bufferPoolMb: number;
  /** Bytes of one client's database on disk. */
  public readonly bytesPerClient: number;
  /** Clients one host carries: the fewer of what its disk and its buffer pool hold. */
  public readonly clientsPerHost: number;
  /** Why {@link clientsPerHost} is what it is, for the capacity notes. */
  public readonly capacityNote: string;
  /** What one client's database weighs, as given. */
  public readonly clientSize: ClientDatabaseSize;
  /** Share of each host's disk the databases may fill. */
  public readonly diskFraction: number;
  /** The hosts, in order; the first holds the shared database. */
  public readonly hosts: readonly ClientDatabaseHost[];
  private readonly applicationHost: string;
  private readonly terms: MariadbConnectionTerm[] = [];
  private readonly migratorAddresses: string[] = [];

  constructor(scope: Construct, id: string, props: ClientDatabasesProps) {
    super(scope, id);
    declareDataKind(this, this.dataKind);
    requireProps(this, props);
    this.machines = requirePeer(this, 'machines', props.machines, Kinds.MACHINES);
    optionalPeer(this, 'applicationPassword', props.applicationPassword, Kinds.SECRET);
    optionalPeer(this, 'migratorPassword', props.migratorPassword, Kinds.SECRET);
    requireIntegerInRange(this, 'plannedClients', props.plannedClients, 1, 100000);
    this.plannedClients = props.plannedClients;
    this.sharedDatabaseName = requireText(this, 'sharedDatabaseName', props.sharedDatabaseName ?? CLIENT_DATABASES_DEFAULT_SHARED_NAME, TextKind.IDENTIFIER);
    this.clientDatabasePrefix = requireText(this, 'clientDatabasePrefix', props.clientDatabasePrefix ?? CLIENT_DATABASES_DEFAULT_PREFIX, TextKind.IDENTIFIER, {
      pattern: /^[a-z][a-z0-9]{0,15}_$/, allowed: "must be lower-case letters and digits ending in '_' (at most 17), e.g. 'client_'",
    });
    if (this.sharedDatabaseName.startsWith(this.clientDatabasePrefix)) {
      throw new HostingStacksError(this, 'sharedDatabaseName', this.sharedDatabaseName, `must not start with clientDatabasePrefix ('${this.clientDatabasePrefix}'): it would be taken for a client's database`);
    }
    this.applicationUser = requireText(this, 'applicationUser', props.applicationUser ?? 'app', TextKind.IDENTIFIER);
    if (this.applicationUser === CLIENT_DATABASES_MIGRATOR_USER) throw new HostingStacksError(this, 'applicationUser', this.applicationUser, 'is the migration runner\'s account');
    const cidr = props.applicationClientCidr ?? this.machines.cluster.vswitch.cidr;
    const host = mariadbHostForCidr(cidr);
    if (!host) throw new HostingStacksError(this, 'applicationClientCidr', cidr, "must be an IPv4 CIDR ('10.0.2.0/24')");
    this.applicationHost = host;
    const fraction = props.bufferPoolFraction ?? CLIENT_DATABASES_DEFAULT_BUFFER_POOL_FRACTION;
    if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0.1 || fraction > 0.8) {
      throw new HostingStacksError(this, 'bufferPoolFraction', fraction, 'must be a number from 0.1 to 0.8');
    }
    const diskFraction = props.diskFraction ?? 0.6;
    if (typeof diskFraction !== 'number' || !Number.isFinite(diskFraction) || diskFraction < 0.3 || diskFraction > 0.9) {
      throw new HostingStacksError(this, 'diskFraction', diskFraction, 'must be a number from 0.3 to 0.9');
    }
    this.machines.place(this, 'machines', { stateful: true });
    this.cluster = this.machines.cluster;
    this.connections = this.machines.connections;
    this.applicationPassword = props.applicationPassword ?? Secret.variable(this, 'client_databases_app_password', 'Password of the application account of the client databases');
    this.migratorPassword = props.migratorPassword ?? Secret.variable(this, 'client_databases_migrator_password', 'Password of the migration runner\'s account of the client databases');
    this.bufferPoolMb = bufferPoolMbForRam(this.cluster.flavor.ramGb, fraction);

    this.clientSize = requireClientSize(this, props.clientSize);
    this.diskFraction = diskFraction;
    const capacity = this.capacityFor(this.clientSize.contacts);
    this.bytesPerClient = capacity.bytesPerClient;
    this.clientsPerHost = capacity.clientsPerHost;
    this.capacityNote = capacity.note;
    const hosts = this.cluster.instances.length;
    if (this.clientsPerHost * hosts < this.plannedClients) {
      throw new HostingStacksError(this, 'plannedClients', this.plannedClients,
        `is more than ${hosts} database host${hosts === 1 ? '' : 's'} carry (${this.clientsPerHost * hosts}): ${this.capacityNote}; add hosts or give them a larger flavor or disk`);
    }
    this.hosts = this.cluster.instances.map((i) => ({ name: i.hostname, address: i.address, port: this.port, instance: i }));
    this.cluster.configureHosts((h) => this.configureHost(h));
    brand(this, 'ClientDatabases');
  }

  /**
   * How many clients of `contacts` contacts one host carries: the fewer of what its disk holds at
   * `diskFraction` and what its buffer pool keeps of their hot share (the other figures of
   * `clientSize` as given), with the note that says why.
   */
  public capacityFor(contacts: number): { readonly bytesPerClient: number; readonly clientsPerHost: number; readonly note: string } {
    const size = this.clientSize;
    const bytesPerClient = contacts * (size.bytesPerContact + size.activityRowsPerContact * size.bytesPerActivityRow);
    const diskGb = this.cluster.bootVolumeGb;
    const byDisk = Math.floor((diskGb * this.diskFraction * 1e9) / bytesPerClient);
    const byMemory = Math.floor((this.bufferPoolMb * 1024 * 1024) / (bytesPerClient * size.hotFraction));
    const clientsPerHost = Math.min(byDisk, byMemory);
    const gb = (b: number) => `${(b / 1e9).toFixed(1)} GB`;
    const note = `a client's database weighs ${gb(bytesPerClient)} (${contacts.toLocaleString('en-US')} contacts); `
      + `a host (${this.cluster.flavor.name}) holds ${byDisk} on ${this.diskFraction * 100} % of its ${diskGb} GB disk and keeps the hot ${size.hotFraction * 100} % of ${byMemory} in its ${this.bufferPoolMb} MB buffer pool: ${clientsPerHost} clients per host`;
    return { bytesPerClient, clientsPerHost, note };
  }

  /** The host holding the shared database. */
  public get registryHost(): ClientDatabaseHost {
    return this.hosts[0];
  }

  /**
   * Declares `client`'s connections (its servers x `connectionsPerServer`, the worst case for every
   * host, since a client's database may be on any) and lets it reach MariaDB. `max_connections`
   * follows.
   */
  public addClient(client: IServerTier, connectionsPerServer: number, bound: string): void {
    requirePeer(this, 'client', client, Kinds.SERVER_TIER);
    requireIntegerInRange(this, 'connectionsPerServer', connectionsPerServer, 1, 1000);
    const servers = client.cluster.instances.length;
    this.terms.push({ client: client.node.path, servers, connectionsPerServer, bound, connections: servers * connectionsPerServer });
    this.connections.allowFrom(client, Port.tcp(this.port), `${this.node.path}: ${bound}`);
  }

  /** Admits the migration runner on `runner`'s first server (account `migrator` from its address). Called by {@link ClientMigrations}. */
  public allowMigrationsFrom(runner: Machines): void {
    requirePeer(this, 'runner', runner, Kinds.MACHINES);
    this.migratorAddresses.push(runner.instances[0].address);
    this.connections.allowFrom(runner as IConnectable, Port.tcp(this.port), `${this.node.path}: the migration runner updates the client databases`);
  }

  /** The connection limits of every host. */
  public connectionLimits(): MariadbConnectionLimits {
    return mariadbConnectionLimits(this.terms, MARIADB_ADMIN_CONNECTIONS);
  }

  private configureHost(host: ServerInstance): void {
    const cc = host.cloudConfig;
    const index = this.cluster.instances.indexOf(host);
    const appPasswordFile = `${MARIADB_SECRETS_DIR}/client-databases-app.password`;
    const migratorPasswordFile = `${MARIADB_SECRETS_DIR}/client-databases-migrator.password`;
    cc.addPackages('mariadb-server', 'mariadb-client');
    cc.addLazyFile(MARIADB_CONFIG_PATH, ConfigSyntax.MARIADB, () => renderMariadbConfig({
      role: MariadbRole.PRIMARY,
      serverId: index + 1,
      bindAddress: host.address,
      port: this.port,
      reportHost: host.hostname,
      binlogBasename: '/var/lib/mysql/mariadb-bin',
      relayLogBasename: '/var/lib/mysql/mariadb-relay',
      binlogExpireSeconds: 7 * 86400,
      bufferPoolMb: this.bufferPoolMb,
      connections: this.connectionLimits(),
    }));
    cc.addFile({ path: appPasswordFile, permissions: '0600', content: `${this.applicationPassword.value}\n` });
    cc.addFile({ path: migratorPasswordFile, permissions: '0600', content: `${this.migratorPassword.value}\n` });
    cc.addLazyFile(CLIENT_DATABASES_BOOTSTRAP_PATH, ConfigSyntax.SHELL, () => renderClientDatabasesBootstrap({
      hostname: host.hostname,
      socket: DEBIAN_MARIADB_SOCKET,
      localWaitSeconds: MARIADB_LOCAL_WAIT_SECONDS,
      applicationUser: this.applicationUser,
      applicationHost: this.applicationHost,
      applicationPasswordFile: appPasswordFile,
      migratorUser: CLIENT_DATABASES_MIGRATOR_USER,
      migratorHosts: [...new Set(this.migratorAddresses)],
      migratorPasswordFile,
      clientPrefix: this.clientDatabasePrefix,
      clientPrefixPattern: this.clientDatabasePrefix.replace(/_/g, '\\_'),
      sharedDatabase: index === 0 ? this.sharedDatabaseName : '',
      registryTable: CLIENT_DATABASES_REGISTRY_TABLE,
    }), { permissions: '0700' });
    cc.addServices('mariadb');
    cc.addCommand(CLIENT_DATABASES_BOOTSTRAP_PATH);
  }
}

function requireClientSize(scope: Construct, value: unknown): ClientDatabaseSize {
  if (typeof value !== 'object' || value === null) throw new HostingStacksError(scope, 'clientSize', value, 'must be { contacts, bytesPerContact, activityRowsPerContact, bytesPerActivityRow, hotFraction }');
  const s = value as ClientDatabaseSize;
  requireIntegerInRange(scope, 'clientSize.contacts', s.contacts, 1, 1e9);
  requireIntegerInRange(scope, 'clientSize.bytesPerContact', s.bytesPerContact, 1, 1e6);
  requireIntegerInRange(scope, 'clientSize.activityRowsPerContact', s.activityRowsPerContact, 0, 1e6);
  requireIntegerInRange(scope, 'clientSize.bytesPerActivityRow', s.bytesPerActivityRow, 1, 1e6);
  if (typeof s.hotFraction !== 'number' || !(s.hotFraction > 0 && s.hotFraction <= 1)) {
    throw new HostingStacksError(scope, 'clientSize.hotFraction', s.hotFraction, 'must be a number above 0, at most 1');
  }
  return s;
}
