import { renderTemplate } from '../config/template';
import { IngestSql } from './ingest-feed';

/** Where the sshd drop-in of the SFTP drop accounts is written (Debian's sshd_config includes `sshd_config.d/*.conf` first). */
export const INGEST_SSHD_CONFIG_PATH = '/etc/ssh/sshd_config.d/hosting-stacks-ingest.conf';

/** Root-owned folder of the drop accounts' authorized keys, one file per account: the accounts cannot change them. */
export const INGEST_AUTHORIZED_KEYS_DIR = '/etc/ssh/hosting-stacks-ingest/authorized_keys';

/** Root of the accounts' chroots: `<root>/<account>/incoming` and `<root>/<account>/rejected`. */
export const INGEST_DROP_ROOT = '/srv/ingest';

/** The folder the account lands in and uploads to. */
export const INGEST_INCOMING_DIR = 'incoming';

/**
 * Where the ingest keeps batches at work, pending and archived: inside the drop root, so that taking
 * an upload and rejecting a file are renames within one file system (atomic), whatever is mounted
 * where. No account can be named `.ingest`, and no chroot holds it.
 */
export const INGEST_STATE_DIR = `${INGEST_DROP_ROOT}/.ingest`;

/** Root-only folder of the ingest's config and the target databases' passwords. */
export const INGEST_CONFIG_DIR = '/etc/hosting-stacks-ingest';

/** The ingest run's config (JSON). */
export const INGEST_CONFIG_PATH = `${INGEST_CONFIG_DIR}/config.json`;

/** The ingest run (Python 3). */
export const INGEST_SCRIPT_PATH = '/usr/local/sbin/hosting-stacks-ingest';

/** The script that creates the users and folders, run at first boot (and safe to run again). */
export const INGEST_SETUP_PATH = '/usr/local/sbin/hosting-stacks-ingest-setup';

/** The sysusers.d file of the service user and the drop accounts. */
export const INGEST_SYSUSERS_PATH = '/etc/sysusers.d/hosting-stacks-ingest.conf';

/** The unprivileged user the ingest runs as; its MariaDB account on the staging server logs in by unix_socket. */
export const INGEST_SERVICE_ACCOUNT = 'hs-ingest';

/** The group sshd locks into SFTP; every drop account is in it. */
export const INGEST_DROP_GROUP = 'hs-sftp-drop';

/** The service and timer units. */
export const INGEST_SERVICE_UNIT = 'hosting-stacks-ingest.service';
export const INGEST_TIMER_UNIT = 'hosting-stacks-ingest.timer';

/** The staging database on each ingest server. */
export const INGEST_STAGING_DATABASE = 'ingest_staging';

/** `umask` internal-sftp gives uploads: the file is the account's, readable by its group (the ingest), by no one else. */
export const INGEST_UPLOAD_UMASK = '0027';

/** Seconds one ingest run may take before systemd stops it (tens of thousands of lines take seconds; a hung target must not block the next runs for ever). */
export const INGEST_RUN_TIMEOUT_SECONDS = 3600;

/**
 * The session SQL mode of every load and transfer: a value that does not fit its column is an
 * error, not a silent truncation (and a warning on LOAD DATA LOCAL, which the run refuses).
 */
export const INGEST_SQL_MODE = "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';";

/** What {@link renderSftpDropConfig} renders. */
export interface SftpDropConfigModel {
  /** The group of the drop accounts. */
  readonly group: string;
  /** Root of the chroots. */
  readonly chrootRoot: string;
  /** Folder of the authorized keys files. */
  readonly authorizedKeysDir: string;
  /** Folder (in the chroot) the session starts in. */
  readonly startDir: string;
  /** umask of uploads, octal. */
  readonly umask: string;
}

/** The sshd drop-in: the drop accounts' group may only SFTP, chrooted, with keys root listed (`sshd -t`). */
export function renderSftpDropConfig(model: SftpDropConfigModel): string {
  return renderTemplate('sftp-drop.conf.hbs', model);
}

/** What {@link renderIngestSysusers} renders. */
export interface IngestSysusersModel {
  readonly serviceAccount: string;
  readonly dropGroup: string;
  /** Home of the service user. */
  readonly stateDir: string;
  /** The drop accounts' names. */
  readonly accounts: readonly string[];
}

/** The sysusers.d file of the service user and the drop accounts (`systemd-sysusers --dry-run`). */
export function renderIngestSysusers(model: IngestSysusersModel): string {
  return renderTemplate('ingest-sysusers.conf.hbs', model);
}

/** What {@link renderIngestSetupScript} renders. */
export interface IngestSetupModel {
  readonly sysusersPath: string;
  readonly dropRoot: string;
  readonly stateDir: string;
  readonly serviceAccount: string;
  readonly accounts: readonly string[];
}

/** The boot step creating the users and folders, idempotent (`bash -n`). */
export function renderIngestSetupScript(model: IngestSetupModel): string {
  return renderTemplate('ingest-setup.sh.hbs', { ...model, accountCount: model.accounts.length });
}

/** The ingest run: a Python 3 program driven by its JSON config (`python3 -m py_compile`). */
export function renderIngestScript(): string {
  return renderTemplate('ingest.py.hbs', {});
}

/** One target database of the ingest run. */
export interface IngestTargetModel {
  /** The construct path of the target, for the log. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Name of the systemd credential holding the password (`$CREDENTIALS_DIRECTORY/<name>`). */
  readonly credential: string;
}

/** What {@link renderIngestConfig} renders: the JSON the ingest run reads. */
export interface IngestConfigModel {
  readonly dropRoot: string;
  readonly stateDir: string;
  readonly settleSeconds: number;
  readonly archiveDays: number;
  readonly accounts: readonly string[];
  readonly feed: {
    readonly table: string;
    /** Header names, in order. */
    readonly columns: readonly string[];
    readonly key: readonly string[];
    readonly delimiter: string;
  };
  readonly staging: { readonly socket: string; readonly user: string; readonly database: string };
  readonly batchTable: string;
  readonly sqlMode: string;
  readonly sql: IngestSql;
  readonly targets: readonly IngestTargetModel[];
}

/** The ingest run's config (JSON). */
export function renderIngestConfig(model: IngestConfigModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

/** What {@link renderIngestService} renders. */
export interface IngestServiceModel {
  readonly scriptPath: string;
  readonly configPath: string;
  readonly serviceAccount: string;
  readonly timerName: string;
  readonly dropRoot: string;
  readonly stateDir: string;
  readonly timeoutSeconds: number;
  /** The target passwords, each a root-only file systemd hands the run as a credential. */
  readonly credentials: readonly { readonly name: string; readonly path: string }[];
}

/** The oneshot service of one run, unprivileged, the file system read-only but the drops and state (`systemd-analyze verify`). */
export function renderIngestService(model: IngestServiceModel): string {
  return renderTemplate('ingest.service.hbs', model);
}

/** The timer starting a run `pollSeconds` after the last one ended (`systemd-analyze verify`). */
export function renderIngestTimer(model: { readonly serviceName: string; readonly pollSeconds: number }): string {
  return renderTemplate('ingest.timer.hbs', model);
}

/** The staging server's option file (`mariadbd --help --verbose`). */
export function renderIngestStagingConfig(model: { readonly bufferPoolMb: number }): string {
  return renderTemplate('ingest-staging.cnf.hbs', model);
}

/** The SQL run as root on the staging server: its database, and the service user's account (unix_socket, that database only). */
export function ingestStagingAccountSql(account: string, database: string): string {
  return `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; CREATE USER IF NOT EXISTS '${account}'@'localhost' IDENTIFIED VIA unix_socket; GRANT ALL PRIVILEGES ON \`${database}\`.* TO '${account}'@'localhost';`;
}

/** An `authorized_keys` file of `keys`, one a line. */
export function authorizedKeysOf(keys: readonly string[]): string {
  return `${keys.join('\n')}\n`;
}
