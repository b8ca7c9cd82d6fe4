import { Construct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { Machines } from '../compute/machines';
import { renderTemplate } from '../config/template';
import { requireIntegerInRange } from '../core/errors';
import { Kinds, requirePeer, requireProps } from '../core/peers';
import { requireText, TextKind } from '../core/text';
import { CLIENT_DATABASES_MIGRATOR_USER, CLIENT_DATABASES_REGISTRY_TABLE, ClientDatabases } from './client-databases';

/** Where the runner is written. */
export const CLIENT_MIGRATE_SCRIPT_PATH = '/usr/local/sbin/hosting-stacks-client-migrate';

/** Its config. */
export const CLIENT_MIGRATE_CONFIG_PATH = '/etc/hosting-stacks/client-migrate.json';

/** The migrator's password on the runner's host, root-only; systemd hands it to the run (`LoadCredential=migrator:`). */
export const CLIENT_MIGRATE_PASSWORD_PATH = '/etc/hosting-stacks/client-migrate.password';

/** The run's unit, and the path unit starting it when the steps change. */
export const CLIENT_MIGRATE_SERVICE_UNIT = 'hosting-stacks-client-migrate.service';
export const CLIENT_MIGRATE_PATH_UNIT = 'hosting-stacks-client-migrate.path';

/** Default folder of the update files (a release puts its `.xml` and `.sql` files there). */
export const CLIENT_MIGRATE_DEFAULT_STEPS_DIRECTORY = '/srv/hosting-stacks/client-steps';

/** Where the snapshots taken before each database's update are kept. */
export const CLIENT_MIGRATE_SNAPSHOT_DIRECTORY = '/var/lib/hosting-stacks/client-snapshots';

/** Default days snapshots are kept. */
export const CLIENT_MIGRATE_DEFAULT_SNAPSHOT_DAYS = 7;

/** A run may take this long (thousands of databases, each a snapshot and its steps). */
export const CLIENT_MIGRATE_TIMEOUT_SECONDS = 12 * 3600;

/** Model of the runner's config (`client-migrate.json`). */
export interface ClientMigrateConfigModel {
  readonly registry: { readonly host: string; readonly database: string; readonly table: string };
  readonly user: string;
  readonly passwordFile: string;
  readonly hosts: readonly { readonly name: string; readonly address: string; readonly port: number; readonly parallel: number }[];
  readonly clientDatabasePrefix: string;
  readonly stepsDirectory: string;
  readonly snapshotDirectory: string;
  readonly snapshotRetentionDays: number;
  readonly maxClientsPerHost: number;
  readonly lockFile: string;
}

/** Renders the runner's config. */
export function renderClientMigrateConfig(model: ClientMigrateConfigModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

/** Renders the runner (Python 3, standard library and the MariaDB clients). */
export function renderClientMigrateScript(): string {
  return renderTemplate('client-migrate.py.hbs', {});
}

/** Props of {@link ClientMigrations}. */
export interface ClientMigrationsProps {
  /** The client databases it updates. */
  readonly databases: ClientDatabases;
  /** The machines it runs on (its first server): an operations machine, or the database host itself. */
  readonly machines: Machines;
  /**
   * Databases updated at once per database host, 1 to 64: an update waits mostly on the disk's
   * flushes, so a host takes more than its vCPUs. @default - twice the host's vCPUs
   */
  readonly parallelPerHost?: number;
  /** Folder of the update files. @default CLIENT_MIGRATE_DEFAULT_STEPS_DIRECTORY */
  readonly stepsDirectory?: string;
  /** Days snapshots are kept, 1 to 90. @default CLIENT_MIGRATE_DEFAULT_SNAPSHOT_DAYS (7) */
  readonly snapshotRetentionDays?: number;
}

/**
 * The migration runner of the client databases (case study 4: "many databases updated at once"):
 * `/usr/local/sbin/hosting-stacks-client-migrate` applies the tagged steps of the update files
 * (`<update><step tag="...">SQL</step></update>` or `-- step: TAG` in a `.sql` file) to every
 * client database in the registry, in the background and in parallel, at most `parallelPerHost` at
 * once on each database host. Before a database is updated it is snapshotted (mariadb-dump in one
 * transaction); the registry records each step applied; when a step fails, the database is restored
 * from its snapshot and its recorded step set back, so it is as it was and the next run starts from
 * there. A release that drops new files into `stepsDirectory` starts a run (a systemd path unit);
 * `add-client NAME` makes a client's database on the host with the fewest clients and updates it.
 */
export class ClientMigrations extends Construct {
  /** The databases updated. */
  public readonly databases: ClientDatabases;
  /** The machines it runs on. */
  public readonly machines: Machines;
  /** Databases updated at once per host. */
  public readonly parallelPerHost: number;
  /** Folder of the update files. */
  public readonly stepsDirectory: string;
  /** Days snapshots are kept. */
  public readonly snapshotRetentionDays: number;

  constructor(scope: Construct, id: string, props: ClientMigrationsProps) {
    super(scope, id);
    requireProps(this, props);
    this.databases = requirePeer(this, 'databases', props.databases, Kinds.CLIENT_DATABASES);
    this.machines = requirePeer(this, 'machines', props.machines, Kinds.MACHINES);
    this.parallelPerHost = props.parallelPerHost ?? 2 * Math.max(1, this.databases.cluster.flavor.vcpus);
    requireIntegerInRange(this, 'parallelPerHost', this.parallelPerHost, 1, 64);
    this.stepsDirectory = requireText(this, 'stepsDirectory', props.stepsDirectory ?? CLIENT_MIGRATE_DEFAULT_STEPS_DIRECTORY, TextKind.ABSOLUTE_PATH);
    this.snapshotRetentionDays = props.snapshotRetentionDays ?? CLIENT_MIGRATE_DEFAULT_SNAPSHOT_DAYS;
    requireIntegerInRange(this, 'snapshotRetentionDays', this.snapshotRetentionDays, 1, 90);
    this.machines.place(this, 'machines');
    this.databases.allowMigrationsFrom(this.machines);
    // Each update holds a client connection and a dump's: the hosts' max_connections count them.
    this.databases.addClient(this.machines, 2 * this.parallelPerHost, 'the migration runner: a client and a dump per database updated at once');

    const db = this.databases;
    const config: ClientMigrateConfigModel = {
      registry: { host: db.registryHost.name, database: db.sharedDatabaseName, table: CLIENT_DATABASES_REGISTRY_TABLE },
      user: CLIENT_DATABASES_MIGRATOR_USER,
      passwordFile: CLIENT_MIGRATE_PASSWORD_PATH,
      hosts: db.hosts.map((h) => ({ name: h.name, address: h.address, port: h.port, parallel: this.parallelPerHost })),
      clientDatabasePrefix: db.clientDatabasePrefix,
      stepsDirectory: this.stepsDirectory,
      snapshotDirectory: CLIENT_MIGRATE_SNAPSHOT_DIRECTORY,
      snapshotRetentionDays: this.snapshotRetentionDays,
      maxClientsPerHost: db.clientsPerHost,
      lockFile: '/run/lock/hosting-stacks-client-migrate.lock',
    };
    const host = this.machines.instances[0];
    const cc = host.cloudConfig;
    cc.addPackages('python3', 'mariadb-client');
    cc.addFile({ path: CLIENT_MIGRATE_SCRIPT_PATH, permissions: '0755', syntax: ConfigSyntax.PYTHON, content: renderClientMigrateScript() });
    cc.addFile({ path: CLIENT_MIGRATE_CONFIG_PATH, permissions: '0644', content: renderClientMigrateConfig(config) });
    cc.addFile({ path: CLIENT_MIGRATE_PASSWORD_PATH, permissions: '0600', content: `${db.migratorPassword.value}\n` });
    cc.addFile({ path: `${this.stepsDirectory}/README`, permissions: '0644', content: 'Update files of the client databases (.xml, .sql), applied in name order by hosting-stacks-client-migrate.\n' });
    cc.addFile({
      path: `/etc/systemd/system/${CLIENT_MIGRATE_SERVICE_UNIT}`,
      syntax: ConfigSyntax.SYSTEMD_UNIT,
      content: renderTemplate('client-migrate.service.hbs', {
        constructPath: this.node.path,
        stepsDirectory: this.stepsDirectory,
        pathUnit: CLIENT_MIGRATE_PATH_UNIT,
        scriptPath: CLIENT_MIGRATE_SCRIPT_PATH,
        configPath: CLIENT_MIGRATE_CONFIG_PATH,
        passwordPath: CLIENT_MIGRATE_PASSWORD_PATH,
        timeoutSeconds: CLIENT_MIGRATE_TIMEOUT_SECONDS,
      }),
    });
    cc.addFile({
      path: `/etc/systemd/system/${CLIENT_MIGRATE_PATH_UNIT}`,
      syntax: ConfigSyntax.SYSTEMD_UNIT,
      content: renderTemplate('client-migrate.path.hbs', { stepsDirectory: this.stepsDirectory, serviceUnit: CLIENT_MIGRATE_SERVICE_UNIT }),
    });
    cc.addCommand('systemctl', 'enable', '--now', CLIENT_MIGRATE_PATH_UNIT);
  }
}
