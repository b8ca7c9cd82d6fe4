import { Token } from 'cdktf';
import { renderTemplate } from '../config/template';
import { ConfigSyntax } from './cloud-config';
import { ServerCluster, ServerInstance } from './server-cluster';
import { Kinds, requirePeer } from '../core/peers';
import { HostingStacksError } from '../core/errors';

/**
 * Lists of the servers that exist now, on a server that must follow the tiers' counts while it runs
 * (Prometheus' scrape targets on the monitoring server, the deployment server's targets).
 *
 * A count is a Terraform variable; the servers' user_data is fixed at creation (and ignored after),
 * so a list rendered into it would go stale at the first scale-out. Instead the server's Nova
 * metadata carries `hosting-stacks:count:<variable>` = the variable's value, which Terraform updates
 * in place whichever path changes the count (the scaling hook, the crontab, CI, an operator), and a
 * root oneshot unit, at boot and every {@link COUNTED_TARGETS_INTERVAL_SECONDS} s, reads Nova's
 * metadata service and rewrites each list (JSON, Prometheus' file_sd format: `[{ targets: [address],
 * labels }]`) with the planned servers whose index is below their tier's count. It fails, naming
 * the metadata, when it cannot read a count: a stale list never goes unnoticed.
 */

/** Seconds between two runs of the counted-targets timer. */
export const COUNTED_TARGETS_INTERVAL_SECONDS = 30;

/** Nova metadata key prefix holding each followed tier's count (followed by the count variable). */
export const COUNT_METADATA_PREFIX = 'hosting-stacks:count:';

/** Where Nova's metadata service serves a server's metadata (`meta`). */
export const NOVA_METADATA_URL = 'http://169.254.169.254/openstack/latest/meta_data.json';

/** Where the script, its config and units are installed. */
export const COUNTED_TARGETS_PATHS = {
  script: '/usr/local/lib/hosting-stacks/counted-targets.py',
  config: '/etc/hosting-stacks/counted-targets.json',
  service: 'hosting-stacks-counted-targets.service',
  timer: 'hosting-stacks-counted-targets.timer',
  /** The counts last read: what Terraform last applied, whoever applied it. */
  counts: '/var/lib/hosting-stacks/counts.json',
} as const;

/** One planned server of a list. */
export interface CountedTarget {
  /** What the list names (`address` or `address:port`). */
  readonly address: string;
  /** String fields the readers use (Prometheus' target labels, a deployment's host and tier). */
  readonly labels: Readonly<Record<string, string>>;
  /** The tier's count variable; absent for a tier of fixed size (the server always exists). */
  readonly countVariable?: string;
  /** 0-based position in the tier: the server exists while `index < count`. */
  readonly index: number;
}

/** Model of the script's config. */
export interface CountedTargetsConfig {
  /** Nova's metadata document (JSON with a `meta` object). */
  readonly metadataUrl: string;
  /** Prefix of the metadata keys holding the counts. */
  readonly countKeyPrefix: string;
  /** Reads of the metadata before giving up (2 s apart). */
  readonly attempts: number;
  /** Seconds each read may take. */
  readonly timeoutSeconds: number;
  /** One file per job, with every planned target. */
  readonly jobs: readonly { readonly file: string; readonly targets: readonly CountedTarget[] }[];
  /** Where the counts read are written (`{ "<count variable>": n }`, 0644). @default - not written */
  readonly countsFile?: string;
}

/** Renders the script's config as JSON. */
export function renderCountedTargetsConfig(model: CountedTargetsConfig): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

/** Renders the script (`python3 -m py_compile`). */
export function renderCountedTargetsScript(): string {
  return renderTemplate('counted-targets.py.hbs', {});
}

/** Renders the oneshot unit; `before` are the units reading the lists (started after it). */
export function renderCountedTargetsUnit(model: { readonly scriptPath: string; readonly configPath: string; readonly jobs: readonly string[]; readonly before: readonly string[] }): string {
  return renderTemplate('counted-targets.service.hbs', { ...model, jobs: model.jobs.join(', '), before: model.before.join(' ') });
}

/** Renders the timer running the unit every `intervalSeconds`. */
export function renderCountedTargetsTimer(model: { readonly intervalSeconds: number }): string {
  return renderTemplate('counted-targets.timer.hbs', model);
}

/** The planned servers of `cluster` as counted targets, each named by `address(instance)`. */
export function countedTargetsOf(cluster: ServerCluster, address: (i: ServerInstance) => string, labels: (i: ServerInstance) => Readonly<Record<string, string>>): CountedTarget[] {
  const variable = cluster.countVariable?.friendlyUniqueId;
  return cluster.instances.map((i) => ({ address: address(i), labels: labels(i), ...(variable === undefined ? {} : { countVariable: variable }), index: i.index }));
}

/** The counted-target lists of one server: one script, config, unit and timer, however many lists. */
export class CountedTargets {
  /** The lists of `instance`, installed on it at the first call. */
  public static of(instance: ServerInstance): CountedTargets {
    return instance.extension('counted-targets', () => new CountedTargets(instance));
  }

  private readonly jobs: { readonly file: string; readonly targets: () => readonly CountedTarget[]; readonly readers: readonly string[] }[] = [];
  private readonly followed = new Set<ServerCluster>();

  private constructor(private readonly instance: ServerInstance) {
    const cc = instance.cloudConfig;
    cc.addFile({ path: COUNTED_TARGETS_PATHS.script, syntax: ConfigSyntax.PYTHON, permissions: '0755', content: renderCountedTargetsScript() });
    cc.addLazyFile(COUNTED_TARGETS_PATHS.config, undefined, () =>
      renderCountedTargetsConfig({
        metadataUrl: NOVA_METADATA_URL,
        countKeyPrefix: COUNT_METADATA_PREFIX,
        attempts: 5,
        timeoutSeconds: 5,
        jobs: this.jobs.map((j) => ({ file: j.file, targets: this.checked(j.file, j.targets()) })),
        countsFile: COUNTED_TARGETS_PATHS.counts,
      }),
    );
    cc.addLazyFile(`/etc/systemd/system/${COUNTED_TARGETS_PATHS.service}`, ConfigSyntax.SYSTEMD_UNIT, () =>
      renderCountedTargetsUnit({
        scriptPath: COUNTED_TARGETS_PATHS.script,
        configPath: COUNTED_TARGETS_PATHS.config,
        jobs: this.jobs.map((j) => j.file),
        before: [...new Set(this.jobs.flatMap((j) => j.readers))],
      }),
    );
    cc.addFile({ path: `/etc/systemd/system/${COUNTED_TARGETS_PATHS.timer}`, syntax: ConfigSyntax.SYSTEMD_UNIT, content: renderCountedTargetsTimer({ intervalSeconds: COUNTED_TARGETS_INTERVAL_SECONDS }) });
    // Written (or the boot fails, naming the metadata) before the daemons that read the lists start.
    cc.addServices(COUNTED_TARGETS_PATHS.service, COUNTED_TARGETS_PATHS.timer);
  }

  private checked(file: string, targets: readonly CountedTarget[]): readonly CountedTarget[] {
    const followed = new Set([...this.followed].map((c) => c.countVariable?.friendlyUniqueId));
    const missing = [...new Set(targets.map((t) => t.countVariable).filter((v): v is string => v !== undefined && !followed.has(v)))];
    if (missing.length) throw new HostingStacksError(this.instance, 'countedTargets', file, `names count variables this server does not follow (${missing.join(', ')}): call follow(cluster) for their tiers`);
    return targets;
  }

  /** The server's count metadata follows `cluster`'s count variable (once per cluster; nothing for a fixed-size one). */
  public follow(cluster: ServerCluster): void {
    requirePeer(this.instance, 'follow', cluster, Kinds.SERVER_CLUSTER);
    if (this.followed.has(cluster)) return;
    this.followed.add(cluster);
    const variable = cluster.countVariable;
    if (variable) this.instance.addMetadata(`${COUNT_METADATA_PREFIX}${variable.friendlyUniqueId}`, Token.asString(variable.value));
  }

  /**
   * Adds a list written to `file`, of the targets `targets()` returns at synth (their clusters must
   * be followed); `readers` are the units that read it (started after the first write).
   */
  public addJob(file: string, targets: () => readonly CountedTarget[], readers: readonly string[] = []): void {
    if (this.jobs.some((j) => j.file === file)) throw new HostingStacksError(this.instance, 'countedTargets', file, 'is already written by another list');
    this.jobs.push({ file, targets, readers });
  }
}
