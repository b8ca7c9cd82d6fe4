/**
 * The client databases as deployed, on 127.0.0.1: a MariaDB of the caller's own under the option
 * file the iPresso stack renders for a database host (binary log, sync_binlog, flushes at commit),
 * its accounts and registry made by the rendered bootstrap script, and the rendered migration runner
 * configured for two database hosts that are both this server. Used by the runner's daemon test and
 * by `bench/client-migrate.ts`. `stop()` ends the server by its PID and waits.
 */
import { Testing } from 'cdktf';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Flavor } from '../../lib';
import { CLIENT_DATABASES_MIGRATOR_USER, CLIENT_DATABASES_REGISTRY_TABLE, renderClientDatabasesBootstrap } from '../../lib/database/client-databases';
import { ClientMigrateConfigModel, renderClientMigrateConfig, renderClientMigrateScript } from '../../lib/database/client-migrations';
import { MARIADB_CONFIG_PATH } from '../../lib/database/mysql-replication';
import { IpressoStack } from '../../stacks/ipresso';
import { run } from './daemons';
import { buildFlushLatencyLibrary, flushLatencyEnv, setFlushLatency } from './flush-latency';
import { LoopbackMariadb, startLoopbackMariadb } from './loopback-mariadb';

/** A registry row. */
export interface RegistryEntry {
  readonly host: string;
  readonly last: string;
  readonly status: string;
}

export interface ClientDatabasesFixture {
  readonly db: LoopbackMariadb;
  /** The update files' folder. */
  readonly steps: string;
  /** Runs the runner with `args` under the config of `parallel` databases at once per host (default: the fixture's). */
  migrate(args: readonly string[], parallel?: number): { ok: boolean; output: string; seconds: number };
  /** The registry, by client. */
  registry(): Record<string, RegistryEntry>;
  /** Sets how much longer MariaDB's flushes take from now on (a fixture started with `flushLatency`). */
  setFlushMs(ms: number): void;
  stop(): Promise<void>;
}

/**
 * Starts the fixture in `dir` (traversable by mysql): `parallel` databases at once per host, at most
 * `maxClientsPerHost` each; with `flushLatency`, MariaDB runs with the flush-latency library
 * (./flush-latency.ts), its wait 0 until `setFlushMs` sets one.
 */
export async function startClientDatabasesFixture(dir: string, options: { readonly parallel: number; readonly maxClientsPerHost: number; readonly flushLatency?: boolean }): Promise<ClientDatabasesFixture> {
  const steps = join(dir, 'steps');
  mkdirSync(steps);
  const dataDir = join(dir, 'db');
  mkdirSync(dataDir);
  run(['chmod', '755', dir, dataDir]);
  // A b3-8 host (its 4.8 GB buffer pool fits a test machine; r3-64's 38 GB does not) of small clients.
  const stack = new IpressoStack(Testing.app(), 'ipresso', { databaseFlavor: Flavor.named('b3-8'), contactsPerClient: 10_000 });
  const cnf = stack.renderHostFiles().find((f) => f.host === 'db-1' && f.path === MARIADB_CONFIG_PATH)!.content;
  let prefix: string[] | undefined;
  const flushControl = join(dir, 'flush-latency-us');
  if (options.flushLatency) {
    const library = join(dir, 'flush-latency.so');
    writeFileSync(library, buildFlushLatencyLibrary());
    setFlushLatency(flushControl, 0);
    prefix = ['env', ...flushLatencyEnv(library, flushControl)];
  }
  const db = await startLoopbackMariadb(dataDir, { database: 'unused', user: 'unused', password: 'unused' }, { optionFile: cnf, prefix });
  try {
    const appPassword = join(dir, 'app.password');
    const migratorPassword = join(dir, 'migrator.password');
    writeFileSync(appPassword, 'app secret\n', { mode: 0o600 });
    writeFileSync(migratorPassword, "migr'ator\\secret\n", { mode: 0o600 });
    const bootstrap = join(dir, 'bootstrap.sh');
    writeFileSync(bootstrap, renderClientDatabasesBootstrap({
      hostname: 'db-1',
      socket: db.socket,
      localWaitSeconds: 10,
      applicationUser: 'app',
      applicationHost: '127.0.0.0/255.0.0.0',
      applicationPasswordFile: appPassword,
      migratorUser: CLIENT_DATABASES_MIGRATOR_USER,
      migratorHosts: ['127.0.0.1'],
      migratorPasswordFile: migratorPassword,
      clientPrefix: 'client_',
      clientPrefixPattern: 'client\\_',
      sharedDatabase: 'shared',
      registryTable: CLIENT_DATABASES_REGISTRY_TABLE,
    }));
    chmodSync(bootstrap, 0o700);
    const boot = run(['sh', bootstrap], { timeoutMs: 30000 });
    if (!boot.ok) throw new Error(`bootstrap: ${boot.output}`);
    const script = join(dir, 'client-migrate.py');
    writeFileSync(script, renderClientMigrateScript());
    const configFor = (parallel: number): string => {
      const path = join(dir, `migrate-${parallel}.json`);
      const model: ClientMigrateConfigModel = {
        registry: { host: 'db-1', database: 'shared', table: CLIENT_DATABASES_REGISTRY_TABLE },
        user: CLIENT_DATABASES_MIGRATOR_USER,
        passwordFile: migratorPassword,
        hosts: ['db-1', 'db-2'].map((name) => ({ name, address: '127.0.0.1', port: db.port, parallel })),
        clientDatabasePrefix: 'client_',
        stepsDirectory: steps,
        snapshotDirectory: join(dir, 'snapshots'),
        snapshotRetentionDays: 7,
        maxClientsPerHost: options.maxClientsPerHost,
        lockFile: join(dir, 'run.lock'),
      };
      writeFileSync(path, renderClientMigrateConfig(model));
      return path;
    };
    return {
      db,
      steps,
      migrate(args, parallel = options.parallel) {
        const t0 = process.hrtime.bigint();
        const r = run(['python3', script, configFor(parallel), ...args], { timeoutMs: 600000 });
        return { ok: r.ok, output: r.output, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
      },
      registry() {
        const out = db.sql(`SELECT client, host, IFNULL(last_step, '-'), status FROM shared.${CLIENT_DATABASES_REGISTRY_TABLE}`);
        return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => {
          const [client, host, last, status] = l.split('\t');
          return [client, { host, last, status }];
        }));
      },
      setFlushMs(ms) {
        if (!options.flushLatency) throw new Error('setFlushMs: the fixture was started without flushLatency');
        setFlushLatency(flushControl, ms);
      },
      stop: () => db.stop(),
    };
  } catch (e) {
    await db.stop();
    throw e;
  }
}

/** A client's initial schema: contacts, 2,000 of them. */
export const CLIENT_BASE_STEP = `-- step: 2026-01-base
CREATE TABLE contacts (id INT PRIMARY KEY AUTO_INCREMENT, email VARCHAR(190) NOT NULL, created DATETIME NOT NULL);
INSERT INTO contacts (email, created) SELECT CONCAT('c', seq, '@example.org'), NOW() FROM seq_1_to_2000;
`;

/** A release's update, the kind of steps the document's XML/SQL files hold: five steps in two files. */
export const CLIENT_RELEASE_FILES: Readonly<Record<string, string>> = {
  '002-release.sql': `-- step: 2026-02-activity
CREATE TABLE activity (id BIGINT PRIMARY KEY AUTO_INCREMENT, contact_id INT NOT NULL, kind VARCHAR(32) NOT NULL, at DATETIME NOT NULL, KEY (contact_id, at));
-- step: 2026-03-contacts-phone
ALTER TABLE contacts ADD COLUMN phone VARCHAR(32) NULL;
-- step: 2026-04-email-index
CREATE INDEX contacts_email ON contacts (email);
`,
  '003-segments.xml': `<update>
  <step tag="2026-05-segments">CREATE TABLE segments (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(100) NOT NULL UNIQUE);</step>
  <step tag="2026-06-default-segment"><![CDATA[INSERT INTO segments (name) VALUES ('all contacts');]]></step>
</update>
`,
};

/** SQL undoing {@link CLIENT_RELEASE_FILES} on client `name`'s database (the benchmark's reset between runs). */
export function undoClientRelease(name: string): string {
  return `DROP TABLE client_${name}.activity, client_${name}.segments; DROP INDEX contacts_email ON client_${name}.contacts; ALTER TABLE client_${name}.contacts DROP COLUMN phone;`;
}

/** Names of `count` client databases: `c001`, `c002`, ... */
export function clientNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `c${String(i + 1).padStart(3, '0')}`);
}

/** Adds `names` as clients (`add-client`) and brings them to {@link CLIENT_BASE_STEP}, then drops the release's files in the steps folder. */
export function prepareClientRelease(fx: ClientDatabasesFixture, names: readonly string[]): void {
  for (const name of names) {
    const r = fx.migrate(['add-client', name]);
    if (!r.ok) throw new Error(r.output);
  }
  writeFileSync(join(fx.steps, '001-base.sql'), CLIENT_BASE_STEP);
  const base = fx.migrate(['run']);
  if (!base.ok) throw new Error(`the base step failed: ${base.output}`);
  for (const [name, content] of Object.entries(CLIENT_RELEASE_FILES)) writeFileSync(join(fx.steps, name), content);
}

/**
 * One measured pair: the release applied one database after another (`run --serial`), undone, then
 * in parallel (`run`), undone; each run with flushes `flushMs` longer (a fixture started with
 * `flushLatency`). Returns the seconds of each run.
 */
export function measureReleaseBothWays(fx: ClientDatabasesFixture, names: readonly string[], flushMs = 0): { readonly serial: number; readonly parallel: number } {
  const undo = () => fx.db.sql(`${names.map(undoClientRelease).join('\n')} UPDATE shared.${CLIENT_DATABASES_REGISTRY_TABLE} SET last_step = '2026-01-base';`);
  // The flush latency only while a run is timed: the undo is the measurement's, not the update's.
  const timed = (args: string[]) => {
    if (flushMs > 0) fx.setFlushMs(flushMs);
    try {
      const r = fx.migrate(args);
      if (!r.ok) throw new Error(r.output);
      return r.seconds;
    } finally {
      if (flushMs > 0) fx.setFlushMs(0);
    }
  };
  const serial = timed(['run', '--serial']);
  undo();
  const parallel = timed(['run']);
  undo();
  return { serial, parallel };
}
