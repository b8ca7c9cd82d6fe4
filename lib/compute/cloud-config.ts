import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Fn, Token } from 'cdktf';
import { stringify } from 'yaml';
import { IConstruct } from 'constructs';
import { DEFAULT_METADATA_GUARD, renderMetadataGuardRuleset, renderMetadataGuardUnit } from './metadata-guard';
import { requireEnumValue } from '../core/choices';
import { HostingStacksError } from '../core/errors';
import { Kinds, requirePeer } from '../core/peers';
import type { Secret } from '../core/secret';
import { SynthPass } from '../core/synth-pass';
import { hasControlCharacter, requireText, TextKind } from '../core/text';
import { withConstructPath } from '../config/template';

/** One file cloud-init writes on first boot. */
export interface HostFile {
  /** Absolute path on the host. */
  readonly path: string;
  /** Full content. May hold Terraform references (sensitive variables), resolved at apply. */
  readonly content: string;
  /** Octal mode. @default '0644' */
  readonly permissions?: string;
  /** `user:group`. @default 'root:root' */
  readonly owner?: string;
  /** The language the file is written in, which decides how tests check it. @default - data, not a config */
  readonly syntax?: ConfigSyntax;
}

/**
 * The language of a host file: each has a real checker (`apache2 -t`, `nginx -t`, `keepalived -t`,
 * `nft -c`, `bash -n` ...) that the stack tests run on every rendered file.
 */
export enum ConfigSyntax {
  APACHE = 'apache2',
  NGINX = 'nginx',
  HAPROXY = 'haproxy',
  KEEPALIVED = 'keepalived',
  NFTABLES = 'nftables',
  MARIADB = 'mariadb',
  PHP_FPM = 'php-fpm',
  PHP_INI = 'php-ini',
  REDIS = 'redis',
  SYSTEMD_UNIT = 'systemd',
  SYSCTL = 'sysctl',
  /** sysusers.d files (`systemd-sysusers --dry-run`). */
  SYSUSERS = 'sysusers',
  XML = 'xml',
  /** Shell scripts and files sourced by shells (`/etc/default/*`). */
  SHELL = 'shell',
  WIREGUARD = 'wireguard',
  NFS_EXPORTS = 'exports',
  PROMETHEUS_RULES = 'prometheus-rules',
  ALERTMANAGER = 'alertmanager',
  /** openstacksdk's `clouds.yaml`. */
  OPENSTACK_CLOUDS = 'openstack-clouds',
  /** `prometheus.yml` (`promtool check config`). */
  PROMETHEUS_CONFIG = 'prometheus-config',
  /** Python 3 programs (`python3 -m py_compile`). */
  PYTHON = 'python',
  /** PHP scripts (`php -l`). */
  PHP = 'php',
  /** sshd_config drop-ins (`sshd -t` on Debian's sshd_config including the file). */
  SSHD = 'sshd',
  /** The blackbox exporter's modules (`prometheus-blackbox-exporter --config.check`). */
  BLACKBOX = 'blackbox',
  /** Debian's `/etc/memcached.conf` (memcached started by Debian's wrapper with its options). */
  MEMCACHED = 'memcached',
}

/** Options of {@link CloudConfig}. */
export interface CloudConfigOptions {
  /**
   * Install the metadata guard: only root may reach the metadata service (169.254.169.254), which
   * serves the user_data and its secrets. @default true
   */
  readonly metadataGuard?: boolean;
  /**
   * The construct whose server this is (its ServerInstance): errors about a file, package, unit or
   * command added here name its path. @default - errors name the host name only
   */
  readonly owner?: IConstruct;
}

/** A systemd unit name: letters, digits and `:_.@-`, optionally a unit type (without one, systemctl means `.service`). */
const UNIT_NAME = /^[A-Za-z0-9:_@-][A-Za-z0-9:_.@-]{0,250}$/;
/** A Debian package name (Debian policy 5.6.1), optionally pinned `=version`. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/;

/** Whether a unit is a mount or automount unit (`var-www-media.automount`). */
function isMountUnit(unit: string): boolean {
  return /\.(auto)?mount$/.test(unit);
}

/** Nova limits `user_data` to 65,535 characters of base64 text (nova `servers.py` schema). */
export const USER_DATA_MAX_BASE64 = 65535;

/**
 * The cloud-init `#cloud-config` of one host: files, packages, services to enable and commands.
 * Constructs add to it; it is rendered once at synth into the instance's `user_data`.
 *
 * Files are written with `defer: true` so they land after packages are installed and overwrite the
 * packaged defaults; services are then enabled and restarted in the order they were added.
 */
export class CloudConfig {
  private readonly files = new Map<string, HostFile>();
  private readonly packageSet = new Set<string>();
  private readonly serviceList: string[] = [];
  private readonly commandList: string[][] = [];
  private readonly preCommandList: string[][] = [];

  constructor(
    /** The host name set by cloud-init. */
    public readonly hostname: string,
    options: CloudConfigOptions = {},
  ) {
    this.owner = options.owner ?? ({ node: { path: `host ${hostname}` } } as IConstruct);
    if (options.metadataGuard ?? true) this.addMetadataGuard();
  }

  /** What errors name: the owning construct, else the host name. */
  private readonly owner: IConstruct;

  /**
   * The metadata service (169.254.169.254) hands this server's user_data, secrets included, to any
   * local process: an nftables table of its own lets only root's sockets reach it.
   *
   * Why a table loaded by its own unit rather than the same table in every `/etc/nftables.conf`:
   * the guard must hold on every server, including those with no firewall of their own, and whatever
   * writes `/etc/nftables.conf` (a construct, a user's file, a package) and flushes the ruleset; a
   * copy inside each ruleset would be lost the day one author forgets it. The unit is `PartOf=` and
   * `ReloadPropagatedFrom=` nftables.service and ordered after it, so every start, restart or reload
   * of nftables.service re-applies the guard; at boot both run before the network is up. What it
   * does not cover, a root `nft flush ruleset` by hand, needs root, which may read the metadata anyway.
   * A server would lose the guard for the milliseconds between nftables.service's load and the
   * guard's, only while root restarts the firewall.
   */
  private addMetadataGuard(): void {
    this.addPackages('nftables');
    this.addFile({ path: DEFAULT_METADATA_GUARD.rulesetPath, content: renderMetadataGuardRuleset(DEFAULT_METADATA_GUARD), permissions: '0644', syntax: ConfigSyntax.NFTABLES });
    this.addFile({ path: `/etc/systemd/system/${DEFAULT_METADATA_GUARD.unitName}`, content: renderMetadataGuardUnit(DEFAULT_METADATA_GUARD), syntax: ConfigSyntax.SYSTEMD_UNIT });
    this.addServices(DEFAULT_METADATA_GUARD.unitName);
  }

  /** Adds a file; a second file at the same path is an error. Returns the file. */
  public addFile(file: HostFile): HostFile {
    if (typeof file !== 'object' || file === null) throw new HostingStacksError(this.owner, 'file', file, 'must be an object with a path and content');
    requireText(this.owner, 'file.path', file.path, TextKind.FREE_TEXT, {
      pattern: /^(\/[A-Za-z0-9._@#%+=:,~-]+)+$/,
      test: (p) => !/(^|\/)\.\.?(\/|$)/.test(p),
      maxLength: 4096,
      allowed: "must be an absolute path of segments of letters, digits and '._@#%+=:,~-' (no '.' or '..' segment), e.g. '/etc/nginx/nginx.conf'",
    });
    if (file.syntax !== undefined) requireEnumValue(this.owner, 'file.syntax', file.syntax, ConfigSyntax, 'ConfigSyntax');
    if (file.permissions !== undefined && (typeof file.permissions !== 'string' || !/^0[0-7]{3}$/.test(file.permissions))) {
      throw new HostingStacksError(this.owner, 'file.permissions', file.permissions, "must be an octal mode of four digits, e.g. '0644'");
    }
    if (file.owner !== undefined && (typeof file.owner !== 'string' || !/^[a-z_][a-z0-9_-]{0,31}:[a-z_][a-z0-9_-]{0,31}$/.test(file.owner))) {
      throw new HostingStacksError(this.owner, 'file.owner', file.owner, "must be 'user:group' of lower-case names, e.g. 'www-data:www-data'");
    }
    if (this.files.has(file.path)) throw new HostingStacksError(this.owner, 'file.path', file.path, `is already a file of ${this.hostname}; two files would be written to it`);
    this.files.set(file.path, file);
    return file;
  }

  /**
   * Adds a file whose content is rendered each time the cloud-config is rendered, so rules or
   * members added after the file was declared still reach it. Returns the file.
   */
  public addLazyFile(path: string, syntax: ConfigSyntax | undefined, render: () => string, options: Omit<HostFile, 'path' | 'content' | 'syntax'> = {}): HostFile {
    const owner = this.owner;
    return this.addFile({
      ...options,
      path,
      syntax,
      // Within a synth pass (the tree final), rendered once.
      get content(): string {
        return SynthPass.memo(owner, `file:${path}`, () => withConstructPath(owner, render));
      },
    });
  }

  /**
   * Adds a file whose content is a multi-line secret (a PEM bundle, an SSH key), a sensitive
   * variable. Such a value cannot be spliced into cloud-init's YAML at apply (its lines would lose
   * the block's indentation), so it travels base64 on one line and is decoded before the services
   * start, with `permissions` and `owner` applied. The base64 copy is removed.
   */
  public addSecretFile(path: string, secret: Secret, options: { readonly permissions?: string; readonly owner?: string } = {}): HostFile {
    requirePeer(this.owner, 'secret', secret, Kinds.SECRET);
    const staging = `${path}.b64`;
    // One base64encode() per variable, shared by every server that writes it.
    const file = this.addFile({ path: staging, permissions: '0600', content: `${secret.derived('base64', (v) => Fn.base64encode(v))}\n` });
    const mode = options.permissions ?? '0600';
    const owner = options.owner ?? 'root:root';
    this.addPreServiceCommand('sh', '-c', `umask 077 && base64 -d ${staging} > ${path} && chmod ${mode} ${path} && chown ${owner} ${path} && rm -f ${staging}`);
    return file;
  }

  /** Adds Debian packages to install. */
  public addPackages(...names: string[]): void {
    for (const n of names) {
      requireText(this.owner, 'packages', n, TextKind.FREE_TEXT, { pattern: PACKAGE_NAME, allowed: "must be Debian package names: lower-case letters, digits and '+.-' (optionally '=version'), e.g. 'nginx'" });
      this.packageSet.add(n);
    }
  }

  /** Enables and (re)starts systemd units after the files are written, in call order. */
  public addServices(...units: string[]): void {
    for (const u of units) {
      requireText(this.owner, 'services', u, TextKind.WORD, { pattern: UNIT_NAME, allowed: "must be systemd unit names: letters, digits and ':_.@-', optionally a type such as '.timer' (e.g. 'nginx', 'backup.timer')" });
      if (!this.serviceList.includes(u)) this.serviceList.push(u);
    }
  }

  /** Adds a command (argv form) run after the services are started. */
  public addCommand(...argv: string[]): void {
    this.commandList.push(this.checkedArgv('command', argv));
  }

  /** Adds a command (argv form) run before the services are started (e.g. `sysctl --system`). */
  public addPreServiceCommand(...argv: string[]): void {
    this.preCommandList.push(this.checkedArgv('preServiceCommand', argv));
  }

  /**
   * `argv` when it is a command (the program as an absolute path or a name, then its arguments)
   * with no control character in any argument: cloud-init runs it without a shell, but a line
   * break would still end the YAML line it is written on.
   */
  private checkedArgv(prop: string, argv: unknown[]): string[] {
    if (argv.length === 0) throw new HostingStacksError(this.owner, prop, argv, 'must name a program to run');
    argv.forEach((a, i) => {
      if (typeof a !== 'string' || hasControlCharacter(a)) {
        throw new HostingStacksError(this.owner, `${prop}[${i}]`, a, 'must be a string without line breaks or other control characters');
      }
    });
    return argv as string[];
  }

  /** The files, sorted by path. */
  public get hostFiles(): HostFile[] {
    return [...this.files.values()].sort((a, b) => a.path.localeCompare(b.path));
  }

  /** The packages, sorted. */
  public get packages(): string[] {
    return [...this.packageSet].sort();
  }

  /** The services, in start order. */
  public get services(): string[] {
    return [...this.serviceList];
  }

  /**
   * The strings of this config that hold tokens (Terraform references, lazy values): file contents
   * and command words, without the document around them. What a preparing resolve needs to see.
   */
  public references(): string[] {
    const strings = [...this.hostFiles.map((f) => f.content), ...this.runCommands.flat()];
    return strings.filter((x) => Token.isUnresolved(x));
  }

  /**
   * What cloud-init's runcmd runs, in order, before the readiness step {@link render} adds: each
   * entry a shell line or an argv.
   */
  public get runCommands(): (string | string[])[] {
    return [
      'set -e',
      ...(this.packages.length ? [['dpkg-query', '--show', ...this.packages]] : []),
      ...this.preCommandList,
      ...(this.serviceList.length ? [['systemctl', 'daemon-reload']] : []),
      ...this.serviceList.map((u) => ['systemctl', 'enable', u]),
      // Mount units last: a daemon serving files from a share starts without it (the automount
      // mounts on first access), and a share that cannot be mounted fails the script after every
      // daemon is up, so cloud-init reports it without leaving the rest of the server down.
      ...[...this.serviceList.filter((u) => !isMountUnit(u)), ...this.serviceList.filter(isMountUnit)].map((u) => ['systemctl', 'restart', u]),
      ...this.commandList,
    ];
  }

  /**
   * Renders the `#cloud-config` document. With `compress`, file bodies without Terraform references
   * are stored gzip+base64 to fit Nova's user-data limit. With `configDigest`, the last command is
   * the readiness step ({@link readinessCommand}), which prints that digest on the console once
   * every step before it succeeded and no systemd unit failed.
   */
  public render(options: RenderOptions = {}): string {
    // The readiness step is the last item of runcmd, the document's last key: the document with it
    // is the document without it plus that item, so within a synth pass the document is rendered
    // once for both the digest (without) and the user data (with).
    const body = SynthPass.memo(this.owner, options.compress ? 'render:compressed' : 'render:plain', () => this.renderParts(options).join(''));
    return options.configDigest === undefined ? body : body + this.readinessStep(options.configDigest);
  }

  /**
   * The `#cloud-config` without the readiness step ({@link render}), as the pieces it is joined
   * from: the host's own lines (hostname), the packages, each `write_files` item, and runcmd, each
   * ending with a line break. A piece that several servers of the stack share (a file they all
   * hold, their packages) is the same string in each, rendered once per synth pass: what lets
   * per-server work on the document (escaping, resolving) be done once per piece.
   */
  public renderParts(options: Pick<RenderOptions, 'compress'> = {}): readonly string[] {
    return SynthPass.memo(this.owner, options.compress ? 'parts:compressed' : 'parts:plain', () => this.renderDocument(options.compress === true));
  }

  /**
   * The readiness step printing `configDigest` as the YAML that ends the document: what
   * `render({ configDigest })` adds to `render()` (plain text, no Terraform reference).
   */
  public readinessStep(configDigest: string): string {
    return stringify({ runcmd: [readinessCommand(this.hostname, configDigest)] }, YAML_OPTIONS).replace(/^runcmd:\n/, '');
  }

  private renderDocument(compress: boolean): string[] {
    const hasReference = (s: string) => s.includes('${');
    // A tier's servers share their packages, files and commands: each is written as YAML once per
    // synth pass (looked up by its JSON); only the host's own lines are written for each server.
    const yaml = (value: object) => SynthPass.memoTextInStack(this.owner, 'cloud-config yaml', JSON.stringify(value), () => stringify(value, YAML_OPTIONS));
    const host = { hostname: this.hostname, fqdn: this.hostname, manage_etc_hosts: true, package_update: true };
    const packages = { packages: this.packages };
    // cloud-init runs runcmd as one shell script that goes on after a failed command and reports
    // only the last one's status: a failed install would be followed by services started as if it
    // had worked, and cloud-init would say done. `set -e` stops at the first failure, which
    // cloud-init reports as an error; the packages are checked first, since a failed `packages`
    // step does not stop runcmd either.
    const tail = { runcmd: this.runCommands };
    if (this.hostFiles.length === 0) return ['#cloud-config\n' + stringify({ ...host, ...packages, write_files: [], ...tail }, YAML_OPTIONS)];
    // Each file is one item of `write_files`, written as YAML once per synth pass for all servers
    // that hold the same file (the front-ends of a tier share most of theirs): the YAML of a
    // sequence item under a key is the item's own YAML indented by two (block scalars included,
    // their empty lines left empty).
    const items = this.hostFiles.map((f) => {
      const base = { path: f.path, owner: f.owner ?? 'root:root', permissions: f.permissions ?? '0644', defer: true };
      const packed = compress && !hasReference(f.content);
      const kind = `write_files item\0${packed}\0${base.path}\0${base.owner}\0${base.permissions}`;
      const render = () => {
        const item = packed ? { ...base, encoding: 'gz+b64', content: gzipSync(Buffer.from(f.content), { level: 9 }).toString('base64') } : { ...base, content: f.content };
        return stringify([item], YAML_OPTIONS).replace(/^(?=.)/gm, '  ');
      };
      return SynthPass.memoTextInStack(this.owner, kind, f.content, render);
    });
    return ['#cloud-config\n' + stringify(host, YAML_OPTIONS), yaml(packages) + 'write_files:\n', ...items, yaml(tail)];
  }

  /**
   * Renders within Nova's limit, compressing file bodies if needed; throws a
   * {@link HostingStacksError} naming the owner and the size when it still does not fit.
   */
  public renderWithinLimit(options: Omit<RenderOptions, 'compress'> = {}): string {
    return this.render({ ...options, compress: this.needsCompression(options) });
  }

  /**
   * Whether the document needs its files compressed to fit Nova's limit (what
   * {@link renderWithinLimit} renders); throws a {@link HostingStacksError} naming the owner and the
   * size when it does not fit even then.
   */
  public needsCompression(options: Omit<RenderOptions, 'compress'> = {}): boolean {
    if (base64Length(this.render(options)) <= USER_DATA_MAX_BASE64) return false;
    const packed = this.render({ ...options, compress: true });
    if (base64Length(packed) <= USER_DATA_MAX_BASE64) return true;
    throw new HostingStacksError(
      this.owner,
      'user_data',
      base64Length(packed),
      `is the base64 length of ${this.hostname}'s cloud-config even with compressed files; Nova allows at most ${USER_DATA_MAX_BASE64}`,
    );
  }
}

/** How a `#cloud-config` is written: literal blocks for multi-line files, no folding. */
const YAML_OPTIONS = { blockQuote: 'literal', lineWidth: 0 } as const;

/** Options of {@link CloudConfig.render}. */
export interface RenderOptions {
  /** Store file bodies without Terraform references gzip+base64. @default false */
  readonly compress?: boolean;
  /** End with the readiness step printing this digest ({@link readinessCommand}). @default - no readiness step */
  readonly configDigest?: string;
}

/** The console line a server prints when its configuration `digest` is in place and healthy. */
export const READY_MARKER = 'hosting-stacks-ready';
/** The console line a server prints when its configuration was applied but a systemd unit failed. */
export const FAILED_MARKER = 'hosting-stacks-failed';

/**
 * The SHA-256 (hex) of a server's configuration: its `#cloud-config` without the readiness step as
 * Terraform receives it (template sequences escaped, references as written: `$\{var.x\}`), so a new
 * value of a sensitive variable does not change it. Instances carry it as metadata (`hosting-stacks:config`) and print it when ready.
 */
export function configDigestOf(userData: string): string {
  return createHash('sha256').update(userData).digest('hex');
}

/**
 * The last step of the boot: when every step before it succeeded (runcmd stops at the first
 * failure) and no systemd unit is in the failed state, prints `hosting-stacks-ready <host> <digest>`;
 * otherwise prints `hosting-stacks-failed <host> <digest>: <units>` and fails, which cloud-init
 * reports as an error. cloud-final's output reaches the serial console, so the line is in
 * `openstack console log show`: what `hosting-stacks-rollout` waits for before the next server.
 */
export function readinessCommand(hostname: string, digest: string): string[] {
  if (!/^[0-9a-f]{64}$/.test(digest)) throw HostingStacksError.ofFactory('readinessCommand', 'digest', digest, `must be a SHA-256 in hex (64 of 0-9a-f), the config digest of ${hostname}`);
  return [
    'sh',
    '-c',
    'failed=$(systemctl list-units --state=failed --plain --no-legend --no-pager | cut -d " " -f 1 | tr "\\n" " "); ' +
      `if [ -n "$failed" ]; then echo "${FAILED_MARKER} ${hostname} ${digest}: $failed"; exit 1; fi; ` +
      `echo "${READY_MARKER} ${hostname} ${digest}"`,
  ];
}

/** Length of the base64 encoding of a UTF-8 string. */
export function base64Length(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 3) * 4;
}
