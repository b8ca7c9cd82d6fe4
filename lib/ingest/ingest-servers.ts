import { IArchitectureIntent, TierIntent } from '../core/architecture-intent';
import { TerraformOutput } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { NetworkingFloatingipV2 } from '../../.gen/providers/openstack/networking-floatingip-v2';
import { associateFloatingIp, requireGatewayRouter } from '../balancing/vrrp-pair';
import { ExternalNetwork } from '../network/external-network';
import { stableOutput } from '../core/outputs';
import { snakeCasePath } from '../core/naming';
import { escapeTerraformText } from '../core/terraform-text';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor } from '../compute/flavor';
import { IServerTier, ServerCluster, ServerGroupPolicy, ServerInstance, TierWorkers } from '../compute/server-cluster';
import { requireAdminSource, requireIpv4Cidr } from '../core/choices';
import { Connections, Peer } from '../core/connections';
import { IMysqlDatabase } from '../core/endpoints';
import { HostingStacksError, requireIntegerInRange, requireUnique } from '../core/errors';
import { parseIpv4 } from '../core/ipv4';
import { describeValue, Kinds, optionalPeer, requireOptions, requirePeer, requirePeers, requireProps } from '../core/peers';
import { Port } from '../core/port';
import { checkText, requireText, TextKind } from '../core/text';
import { IPrivateVSwitch } from '../network/private-vswitch';
import { bufferPoolMbForRam, DEBIAN_MARIADB_SOCKET, MARIADB_CONF_DIR } from '../database/mariadb-config';
import {
  authorizedKeysOf,
  INGEST_AUTHORIZED_KEYS_DIR,
  INGEST_CONFIG_DIR,
  INGEST_CONFIG_PATH,
  INGEST_DROP_GROUP,
  INGEST_DROP_ROOT,
  INGEST_INCOMING_DIR,
  INGEST_RUN_TIMEOUT_SECONDS,
  INGEST_SCRIPT_PATH,
  INGEST_SERVICE_ACCOUNT,
  INGEST_SERVICE_UNIT,
  INGEST_SETUP_PATH,
  INGEST_SQL_MODE,
  INGEST_SSHD_CONFIG_PATH,
  INGEST_STAGING_DATABASE,
  INGEST_STATE_DIR,
  INGEST_SYSUSERS_PATH,
  INGEST_TIMER_UNIT,
  INGEST_UPLOAD_UMASK,
  IngestConfigModel,
  ingestStagingAccountSql,
  renderIngestConfig,
  renderIngestScript,
  renderIngestService,
  renderIngestSetupScript,
  renderIngestStagingConfig,
  renderIngestSysusers,
  renderIngestTimer,
  renderSftpDropConfig,
} from './ingest-config';
import { INGEST_BATCH_TABLE, ingestSql, IngestFeed, ResolvedIngestFeed, resolveIngestFeed } from './ingest-feed';

/** One SFTP drop account: a retailer (or any supplier) uploading its files. */
export interface SftpDropAccount {
  /**
   * Linux user name of the account, and the value of the retailer column of every row it uploads:
   * a lower-case letter or '_', then lower-case letters, digits, '_' or '-' (at most 31).
   */
  readonly name: string;
  /** OpenSSH public keys allowed to log in (`ssh-ed25519 AAAA... comment`; ed25519, RSA of 2048 bits or more, ECDSA). */
  readonly publicKeys: readonly string[];
}

/**
 * The network nobody owns (TEST-NET-1, RFC 5737): the default of `dropFrom`, so that until the
 * retailers' networks are given, port 22 is open to no one.
 */
export const CLOSED_DROP_CIDR = '192.0.2.0/24';

/** Default of `settleSeconds`: an upload untouched for two minutes is complete (a stalled one is not taken before). */
export const DEFAULT_INGEST_SETTLE_SECONDS = 120;

/** Default of `pollSeconds`: a file is loaded about a minute after it settled. */
export const DEFAULT_INGEST_POLL_SECONDS = 60;

/** Default of `archiveDays`: two weeks of files kept to answer "what did we receive?". */
export const DEFAULT_INGEST_ARCHIVE_DAYS = 14;

/** Default of `count`: two servers, so a retailer can drop its files on the other while one is down. */
export const DEFAULT_INGEST_COUNT = 2;

/** Default of `retailerColumn`. */
export const DEFAULT_INGEST_RETAILER_COLUMN = 'retailer';

/** Share of an ingest server's RAM given to the staging MariaDB's buffer pool: the rest is for the run and the page cache. */
export const INGEST_STAGING_BUFFER_POOL_FRACTION = 0.25;

/** Most drop accounts on one set of ingest servers. */
export const MAX_DROP_ACCOUNTS = 500;

/** Most keys one account may list. */
export const MAX_KEYS_PER_ACCOUNT = 20;

/** Fewest bits of an RSA key (OpenSSH refuses smaller ones since 8.8 with its defaults). */
export const MIN_RSA_BITS = 2048;

const ACCOUNT_NAME = /^[a-z_][a-z0-9_-]{0,30}$/;

/** Names a drop account may not take: Debian's own users, and the ones these servers make. */
const RESERVED_ACCOUNTS = [
  'root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp', 'proxy', 'www-data', 'backup', 'list', 'irc',
  'gnats', 'nobody', '_apt', 'messagebus', 'sshd', 'mysql', 'debian', 'systemd-network', 'systemd-resolve', 'systemd-timesync', 'polkitd',
  INGEST_SERVICE_ACCOUNT, INGEST_DROP_GROUP,
];

/** Props of {@link IngestServers}. */
export interface IngestServersProps {
  /** The vSwitch the servers are on. */
  readonly vswitch: IPrivateVSwitch;
  /** Flavor of every server; the staging MariaDB's buffer pool is sized from its RAM. */
  readonly flavor: Flavor;
  /** Servers, 1 to 10; each takes uploads and runs its own ingest. @default DEFAULT_INGEST_COUNT (2) */
  readonly count?: number;
  /** The SFTP drop accounts, 1 to 500, of unique names. */
  readonly dropAccounts: readonly SftpDropAccount[];
  /**
   * Who may reach SFTP (TCP 22): a Peer (`Peer.ipv4(cidr)`, `Peer.of(vpn)`) or the retailers' IPv4
   * networks. An SSH source is an admin source for the policy pack: each network at least a /16.
   * @default [CLOSED_DROP_CIDR] ('192.0.2.0/24', a network nobody owns: closed until given)
   */
  readonly dropFrom?: Peer | readonly string[];
  /** What the accounts upload and where it goes. */
  readonly feed: IngestFeed;
  /**
   * The databases every checked file is upserted into, 1 to 10 (e.g. the balancer routes of each
   * API cluster's database): the feed's table in each, created when absent.
   */
  readonly targets: readonly IMysqlDatabase[];
  /** The column holding the account's name in every row; part of the primary key. @default DEFAULT_INGEST_RETAILER_COLUMN ('retailer') */
  readonly retailerColumn?: string;
  /** Seconds an upload must stay unchanged before it is taken, 5 to 3600. @default DEFAULT_INGEST_SETTLE_SECONDS (120) */
  readonly settleSeconds?: number;
  /** Seconds between the end of a run and the start of the next, 10 to 3600. @default DEFAULT_INGEST_POLL_SECONDS (60) */
  readonly pollSeconds?: number;
  /** Days loaded files (archive) and rejected files (with their reasons) are kept, 1 to 365. @default DEFAULT_INGEST_ARCHIVE_DAYS (14) */
  readonly archiveDays?: number;
  /** Boot volume size in GB (uploads, archive and staging copy live there). @default - the flavor's sizing disk, else the flavor's disk */
  readonly bootVolumeGb?: number;
  /** Host name prefix. @default 'ingest' */
  readonly hostnamePrefix?: string;
  /** Server-group policy. @default ServerGroupPolicy.ANTI_AFFINITY */
  readonly placement?: ServerGroupPolicy;
  /**
   * Gives each server a floating IP on this network, where the retailers' systems drop their files
   * from the internet (SFTP still admits `dropFrom` only); the addresses are a stack output. The
   * vSwitch's router must reach it. @default - none: the servers are reached on the private network
   * only (through a VPN or a peering)
   */
  readonly externalNetwork?: ExternalNetwork;
}

/** The public address of one ingest server, when `externalNetwork` is given. */
export interface IngestPublicEntry {
  /** The server. */
  readonly instance: ServerInstance;
  /** Its floating IP. */
  readonly floatingIp: NetworkingFloatingipV2;
  /** The public address the retailers drop their files on (a Terraform reference). */
  readonly address: string;
}

/**
 * Servers that take in product data (stock, prices, pictures' references...) uploaded by suppliers
 * as CSV files over SFTP, check each file in a staging database of their own, and upsert it into
 * every target database the applications read.
 *
 * SFTP: each drop account is a locked system user with no shell, in its own group and in
 * `hs-sftp-drop`, which an sshd drop-in (`/etc/ssh/sshd_config.d/hosting-stacks-ingest.conf`)
 * locks into `internal-sftp`, chrooted in `/srv/ingest/<account>` (root-owned), keys only, from
 * root-owned files under `/etc/ssh/hosting-stacks-ingest/`, no forwarding, no TTY. The account
 * writes into `incoming/` and reads `rejected/`, where each refused file sits beside its
 * `.reason.txt`. Users and folders are made at first boot by a script that is safe to run again.
 *
 * Ingest: a timer runs `/usr/local/sbin/hosting-stacks-ingest` (Python 3, standard library and the
 * MariaDB clients) as the unprivileged `hs-ingest` every `pollSeconds`. It takes the uploads nothing
 * changed for `settleSeconds` (moved away atomically: a partial upload is never read), checks the
 * header against the feed, loads the file into the server's staging MariaDB (no TCP) with the
 * retailer column set from the account, never from the file, and rejects it unless every row loaded
 * without a warning in strict mode, there are rows, no key is empty and none is twice. A checked batch
 * is upserted into each target in one transaction (`INSERT ... ON DUPLICATE KEY UPDATE`), the table
 * created from the feed when absent, its primary key the retailer column and the feed's key: a
 * retailer's file can only change that retailer's rows. A batch a target refused is retried first
 * at the next run, and no newer file is taken until it went through. Loaded files are archived
 * `archiveDays` days.
 *
 * The servers are clients of every target (`addClient`: one connection per server at a time) and
 * may reach its port; the target passwords are the targets' sensitive variables, written root-only
 * and handed to the run by systemd (`LoadCredential`). TCP 22 is open to `dropFrom` only. The
 * servers are stateful: uploads not yet taken, pending batches and the archive live on their disks.
 */
export class IngestServers extends Construct implements IArchitectureIntent, IServerTier {
  /** The partners' SFTP drops come on port 22 from outside: that is its service. (architecture notes) */
  public readonly architectureIntent: TierIntent = { sshServiceFromOutside: true };
  /** The servers. */
  public readonly cluster: ServerCluster;
  /** Their network intent. */
  public readonly connections: Connections;
  /** One ingest run at a time per server. */
  public readonly workers: TierWorkers = { perServer: 1, what: 'ingest runs (one batch at a time)' };
  /** The drop accounts, as given (checked). */
  public readonly dropAccounts: readonly SftpDropAccount[];
  /** Who may reach SFTP: a Peer, or the networks given. */
  public readonly dropFrom: Peer | readonly string[];
  /** The feed, its delimiter resolved. */
  public readonly feed: ResolvedIngestFeed;
  /** The target databases. */
  public readonly targets: readonly IMysqlDatabase[];
  /** The retailer column. */
  public readonly retailerColumn: string;
  /** Seconds an upload must stay unchanged. */
  public readonly settleSeconds: number;
  /** Seconds between runs. */
  public readonly pollSeconds: number;
  /** Days loaded and rejected files are kept. */
  public readonly archiveDays: number;
  /** The staging MariaDB's buffer pool, in MB. */
  public readonly stagingBufferPoolMb: number;
  /** Each server's floating IP, when `externalNetwork` was given. */
  public readonly publicEntries: readonly IngestPublicEntry[];
  /** The output listing the public addresses, when `externalNetwork` was given. */
  public readonly publicAddressesOutput?: TerraformOutput;

  constructor(scope: Construct, id: string, props: IngestServersProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    const count = props.count ?? DEFAULT_INGEST_COUNT;
    requireIntegerInRange(this, 'count', count, 1, 10);
    this.settleSeconds = props.settleSeconds ?? DEFAULT_INGEST_SETTLE_SECONDS;
    requireIntegerInRange(this, 'settleSeconds', this.settleSeconds, 5, 3600);
    this.pollSeconds = props.pollSeconds ?? DEFAULT_INGEST_POLL_SECONDS;
    requireIntegerInRange(this, 'pollSeconds', this.pollSeconds, 10, 3600);
    this.archiveDays = props.archiveDays ?? DEFAULT_INGEST_ARCHIVE_DAYS;
    requireIntegerInRange(this, 'archiveDays', this.archiveDays, 1, 365);
    this.retailerColumn = requireText(this, 'retailerColumn', props.retailerColumn ?? DEFAULT_INGEST_RETAILER_COLUMN, TextKind.IDENTIFIER);
    this.feed = resolveIngestFeed(this, 'feed', props.feed, this.retailerColumn);
    this.dropAccounts = requireDropAccounts(this, props.dropAccounts);
    this.targets = requireTargets(this, props.targets);
    this.dropFrom = requireDropFrom(this, props.dropFrom ?? [CLOSED_DROP_CIDR]);
    optionalPeer(this, 'externalNetwork', props.externalNetwork, Kinds.EXTERNAL_NETWORK);
    if (props.externalNetwork) requireGatewayRouter(this, props.vswitch, props.externalNetwork);

    this.cluster = new ServerCluster(this, 'Servers', {
      vswitch: props.vswitch,
      count,
      flavor: props.flavor,
      bootVolumeGb: props.bootVolumeGb,
      hostnamePrefix: props.hostnamePrefix ?? 'ingest',
      placement: props.placement,
      stateful: true,
    });
    this.connections = this.cluster.connections;
    this.node.defaultChild = this.cluster.instances[0].resource;
    this.stagingBufferPoolMb = bufferPoolMbForRam(this.cluster.flavor.ramGb, INGEST_STAGING_BUFFER_POOL_FRACTION);

    const external = props.externalNetwork;
    this.publicEntries = external
      ? this.cluster.instances.map((instance) => {
        const entry = new Construct(this, `PublicEntry-${instance.node.id}`);
        const floatingIp = new NetworkingFloatingipV2(entry, 'FloatingIp', {
          pool: external.name,
          description: escapeTerraformText(`hosting-stacks: ${this.node.path} SFTP drops on ${instance.hostname}`),
        });
        associateFloatingIp(entry, floatingIp, instance.port.resource.id, props.vswitch);
        return { instance, floatingIp, address: floatingIp.address };
      })
      : [];
    if (external) {
      this.publicAddressesOutput = stableOutput(this, 'PublicAddresses', `${snakeCasePath(this)}_public_addresses`, {
        value: this.publicEntries.map((e) => e.address),
        description: `Public addresses of ${this.node.path}: where the retailers drop their files over SFTP (open to dropFrom only)`,
      });
    }

    const ssh = Port.tcp(22);
    if (Array.isArray(this.dropFrom)) {
      for (const cidr of this.dropFrom as readonly string[]) this.connections.allowFrom(Peer.ipv4(cidr), ssh, `SFTP drops of ${this.node.path} from ${cidr}`);
    } else {
      this.connections.allowFrom(this.dropFrom as Peer, ssh, `SFTP drops of ${this.node.path}`);
    }
    this.targets.forEach((target, i) => {
      for (const host of this.cluster.instances) {
        if (typeof (target as { acceptsApplicationFrom?: unknown }).acceptsApplicationFrom === 'function'
          && !(target as unknown as { acceptsApplicationFrom(a: string): boolean }).acceptsApplicationFrom(host.address)) {
          throw new HostingStacksError(this, `targets[${i}]`, target.databaseName,
            `does not let its application account log in from ${host.hostname} (${host.address}); widen its applicationClientCidr to include the ingest servers`);
        }
      }
      target.connections.allowFrom(this, Port.tcp(target.port), `${this.node.path}: ingest upserts into ${target.databaseName}`);
      target.addClient?.({ client: this, servers: this.cluster.maxCount, connectionsPerServer: 1, bound: 'one ingest run at a time, one target at a time' });
    });

    const accounts = this.dropAccounts.map((a) => a.name);
    const sql = ingestSql(this.feed, this.retailerColumn);
    const credentials = this.targets.map((_, i) => ({ name: `target-${i + 1}`, path: `${INGEST_CONFIG_DIR}/target-${i + 1}.password` }));
    const config: IngestConfigModel = {
      dropRoot: INGEST_DROP_ROOT,
      stateDir: INGEST_STATE_DIR,
      settleSeconds: this.settleSeconds,
      archiveDays: this.archiveDays,
      accounts,
      feed: { table: this.feed.table, columns: this.feed.columns.map((c) => c.name), key: [...this.feed.key], delimiter: this.feed.delimiter },
      staging: { socket: DEBIAN_MARIADB_SOCKET, user: INGEST_SERVICE_ACCOUNT, database: INGEST_STAGING_DATABASE },
      batchTable: INGEST_BATCH_TABLE,
      sqlMode: INGEST_SQL_MODE,
      sql,
      targets: this.targets.map((t, i) => ({
        name: pathOf(t, i),
        host: t.writerAddress,
        port: t.port,
        database: t.databaseName,
        user: t.applicationUser,
        credential: credentials[i].name,
      })),
    };
    this.cluster.configureHosts((host) => this.configureHost(host, config, credentials));
  }

  private configureHost(host: ServerInstance, config: IngestConfigModel, credentials: readonly { name: string; path: string }[]): void {
    const cc = host.cloudConfig;
    const accounts = config.accounts;
    cc.addPackages('openssh-server', 'mariadb-server', 'mariadb-client', 'python3');
    cc.addFile({ path: INGEST_SSHD_CONFIG_PATH, syntax: ConfigSyntax.SSHD, content: renderSftpDropConfig({
      group: INGEST_DROP_GROUP,
      chrootRoot: INGEST_DROP_ROOT,
      authorizedKeysDir: INGEST_AUTHORIZED_KEYS_DIR,
      startDir: INGEST_INCOMING_DIR,
      umask: INGEST_UPLOAD_UMASK,
    }) });
    for (const account of this.dropAccounts) {
      cc.addFile({ path: `${INGEST_AUTHORIZED_KEYS_DIR}/${account.name}`, content: authorizedKeysOf(account.publicKeys), permissions: '0644' });
    }
    cc.addFile({ path: INGEST_SYSUSERS_PATH, syntax: ConfigSyntax.SYSUSERS, content: renderIngestSysusers({ serviceAccount: INGEST_SERVICE_ACCOUNT, dropGroup: INGEST_DROP_GROUP, stateDir: INGEST_STATE_DIR, accounts }) });
    cc.addFile({ path: INGEST_SETUP_PATH, permissions: '0700', syntax: ConfigSyntax.SHELL, content: renderIngestSetupScript({
      sysusersPath: INGEST_SYSUSERS_PATH, dropRoot: INGEST_DROP_ROOT, stateDir: INGEST_STATE_DIR, serviceAccount: INGEST_SERVICE_ACCOUNT, accounts,
    }) });
    cc.addFile({ path: `${MARIADB_CONF_DIR}/60-hosting-stacks-ingest.cnf`, syntax: ConfigSyntax.MARIADB, content: renderIngestStagingConfig({ bufferPoolMb: this.stagingBufferPoolMb }) });
    cc.addFile({ path: INGEST_SCRIPT_PATH, permissions: '0755', syntax: ConfigSyntax.PYTHON, content: renderIngestScript() });
    cc.addFile({ path: INGEST_CONFIG_PATH, permissions: '0644', content: renderIngestConfig(config) });
    this.targets.forEach((t, i) => {
      // A trailing newline keeps the value in a literal block of cloud-init's YAML: any character is safe there.
      cc.addFile({ path: credentials[i].path, permissions: '0600', content: `${t.applicationPassword.value}\n` });
    });
    cc.addFile({ path: `/etc/systemd/system/${INGEST_SERVICE_UNIT}`, syntax: ConfigSyntax.SYSTEMD_UNIT, content: renderIngestService({
      scriptPath: INGEST_SCRIPT_PATH,
      configPath: INGEST_CONFIG_PATH,
      serviceAccount: INGEST_SERVICE_ACCOUNT,
      timerName: INGEST_TIMER_UNIT,
      dropRoot: INGEST_DROP_ROOT,
      stateDir: INGEST_STATE_DIR,
      timeoutSeconds: INGEST_RUN_TIMEOUT_SECONDS,
      credentials,
    }) });
    cc.addFile({ path: `/etc/systemd/system/${INGEST_TIMER_UNIT}`, syntax: ConfigSyntax.SYSTEMD_UNIT, content: renderIngestTimer({ serviceName: INGEST_SERVICE_UNIT, pollSeconds: this.pollSeconds }) });
    // Users and folders exist before sshd reads the drop-in; the staging account once MariaDB runs;
    // the timer last, so its first run finds both.
    cc.addPreServiceCommand(INGEST_SETUP_PATH);
    cc.addServices('mariadb', 'ssh');
    cc.addCommand('mariadb', '--protocol=socket', `--socket=${DEBIAN_MARIADB_SOCKET}`, '--user=root', '-e', ingestStagingAccountSql(INGEST_SERVICE_ACCOUNT, INGEST_STAGING_DATABASE));
    cc.addCommand('systemctl', 'enable', '--now', INGEST_TIMER_UNIT);
  }
}

/** The construct path of a target for the run's log, else its position. */
function pathOf(target: IMysqlDatabase, index: number): string {
  const node = (target as Partial<IConstruct>).node;
  return node?.path ?? `targets[${index}]`;
}

function requireDropAccounts(scope: IConstruct, value: unknown): readonly SftpDropAccount[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_DROP_ACCOUNTS) {
    throw new HostingStacksError(scope, 'dropAccounts', describeValue(value), `must be a list of 1 to ${MAX_DROP_ACCOUNTS} accounts ({ name, publicKeys })`);
  }
  const accounts = value.map((a: unknown, i: number) => {
    const at = `dropAccounts[${i}]`;
    const account = requireOptions<SftpDropAccount>(scope, at, a, ['name', 'publicKeys']);
    const name = requireText(scope, `${at}.name`, account.name, TextKind.NAME, {
      pattern: ACCOUNT_NAME,
      reserved: RESERVED_ACCOUNTS,
      allowed: "must be a Linux user name: a lower-case letter or '_', then lower-case letters, digits, '_' or '-' (at most 31), not a system user's (root, www-data, mysql, hs-ingest...)",
    });
    if (!Array.isArray(account.publicKeys) || account.publicKeys.length === 0 || account.publicKeys.length > MAX_KEYS_PER_ACCOUNT) {
      throw new HostingStacksError(scope, `${at}.publicKeys`, describeValue(account.publicKeys), `must be a list of 1 to ${MAX_KEYS_PER_ACCOUNT} OpenSSH public keys`);
    }
    const keys = account.publicKeys.map((k: unknown, j: number) => requireOpensshPublicKey(scope, `${at}.publicKeys[${j}]`, k));
    requireUnique(scope, `${at}.publicKeys`, keys, (k) => k.split(' ')[1]);
    return { name, publicKeys: keys };
  });
  requireUnique(scope, 'dropAccounts', accounts, (a) => a.name);
  return accounts;
}

const KEY_TYPES = ['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'];

/**
 * Returns `value` when it is one OpenSSH public key line, `<type> <base64> [comment]`, of an
 * ed25519, RSA (at least {@link MIN_RSA_BITS} bits) or ECDSA key whose blob names the same type; no
 * options (`command=...`), no line break, a comment of printable ASCII.
 */
export function requireOpensshPublicKey(scope: IConstruct, prop: string, value: unknown): string {
  const allowed = `must be one OpenSSH public key line '<type> <base64> [comment]' of type ${KEY_TYPES.join(', ')} (RSA of at least ${MIN_RSA_BITS} bits), e.g. the content of id_ed25519.pub`;
  const fail = (why?: string) => new HostingStacksError(scope, prop, describeValue(value), why ? `${why}; it ${allowed}` : allowed);
  if (typeof value !== 'string' || checkText(value, TextKind.FREE_TEXT) !== undefined) throw fail();
  const m = /^(\S+) ([A-Za-z0-9+/]+={0,2})(?: ([ -~]*))?$/.exec(value.trim());
  if (!m || !KEY_TYPES.includes(m[1])) throw fail();
  const blob = Buffer.from(m[2], 'base64');
  const fields = sshStrings(blob);
  if (!fields || fields[0].toString('latin1') !== m[1]) throw fail(`its key data does not hold a ${m[1]} key`);
  if (m[1] === 'ssh-rsa') {
    const modulus = fields[2];
    const bits = modulus ? (modulus.length - (modulus[0] === 0 ? 1 : 0)) * 8 : 0;
    if (bits < MIN_RSA_BITS) throw fail(`is an RSA key of ${bits} bits`);
  }
  return m[3] ? `${m[1]} ${m[2]} ${m[3]}` : `${m[1]} ${m[2]}`;
}

/** The length-prefixed strings of an SSH key blob (RFC 4253 6.6), or undefined when it is not one. */
function sshStrings(blob: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) return undefined;
    const length = blob.readUInt32BE(at);
    if (at + 4 + length > blob.length) return undefined;
    out.push(blob.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out.length ? out : undefined;
}

function requireTargets(scope: IConstruct, value: unknown): readonly IMysqlDatabase[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 10) {
    throw new HostingStacksError(scope, 'targets', describeValue(value), 'must be a list of 1 to 10 MySQL databases (IMysqlDatabase, e.g. a MysqlReplication or HaproxyBalancer.addDatabase(...))');
  }
  const targets = requirePeers(scope, 'targets', value, Kinds.MYSQL_DATABASE);
  targets.forEach((t, i) => {
    const at = `targets[${i}]`;
    if (parseIpv4(t.writerAddress) === undefined) requireText(scope, `${at}.writerAddress`, t.writerAddress, TextKind.HOST_NAME);
    requireIntegerInRange(scope, `${at}.port`, t.port, 1, 65535);
    requireText(scope, `${at}.databaseName`, t.databaseName, TextKind.WORD, { pattern: /^[A-Za-z0-9_]{1,64}$/, allowed: 'must be 1 to 64 letters, digits or underscores' });
    requireText(scope, `${at}.applicationUser`, t.applicationUser, TextKind.WORD, { pattern: /^[A-Za-z0-9_]{1,80}$/, allowed: 'must be 1 to 80 letters, digits or underscores' });
    requirePeer(scope, `${at}.applicationPassword`, t.applicationPassword, Kinds.SECRET);
  });
  requireUnique(scope, 'targets', targets, (t) => `${t.writerAddress}:${t.port}/${t.databaseName}`);
  return targets;
}

function requireDropFrom(scope: IConstruct, value: unknown): Peer | readonly string[] {
  if (Peer.isPeer(value)) return value;
  if (!Array.isArray(value) || value.length === 0) {
    throw new HostingStacksError(scope, 'dropFrom', describeValue(value),
      `must be a Peer (Peer.ipv4(cidr), Peer.of(vpn)) or a non-empty list of IPv4 networks; leave it out to keep SFTP closed (${CLOSED_DROP_CIDR})`);
  }
  // An SSH source is an admin source (HS-SSH-1): at most a /16.
  value.forEach((c: unknown, i: number) => requireAdminSource(scope, `dropFrom[${i}]`, requireIpv4Cidr(scope, `dropFrom[${i}]`, c, '198.51.100.0/24', true)));
  requireUnique(scope, 'dropFrom', value as string[]);
  return [...(value as string[])];
}
