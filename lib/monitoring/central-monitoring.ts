import { IArchitectureIntent, TierIntent, TierRole } from '../core/architecture-intent';
import { Construct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { IServerTier } from '../compute/server-cluster';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { Kinds, requirePeers, requireOptions } from '../core/peers';
import { Port } from '../core/port';
import { checkText, TextKind } from '../core/text';
import { BLACKBOX_CONFIG_PATH, BLACKBOX_EXPORTER_PORT, BLACKBOX_JOB, BlackboxModule, BlackboxProber, HttpCheckMethod, renderBlackboxConfig } from './blackbox-config';
import { BlackboxProbe, BlackboxProbeProps, installBlackboxExporter, IVantagePoint } from './blackbox-probe';
import { renderMonitoringRules } from './monitoring-rules';
import { PrometheusScrapeJob } from './prometheus-files';
import { PrometheusServer, PrometheusServerProps } from './prometheus-server';

/** Where the central monitoring's alerting rules are. */
export const MONITORING_RULES_PATH = '/etc/prometheus/monitoring-rules.yml';

/** Check and vantage point names: lower-case letters, digits and '-' (a label value and a module name). */
const NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const NAME_RULE = "must be 1 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit";

/** Props of {@link CentralMonitoring}. */
export interface CentralMonitoringProps extends PrometheusServerProps {
  /** Tiers whose every planned instance runs node_exporter, scraped while it exists. @default - none; add with `monitor(tier)` */
  readonly tiers?: readonly IServerTier[];
  /** The `vantage` label of the central server's own probes (on the private network). @default 'central' */
  readonly vantageName?: string;
}

/** Options every check takes. */
export interface CheckOptions {
  /** Name of the check (`check` label, blackbox module). @default - from the endpoint, e.g. `shop-example-net-health` */
  readonly name?: string;
  /** Seconds the probe may take (the scrape times out at 10). @default 5 */
  readonly timeoutSeconds?: number;
  /** The vantage points that run it. @default - every vantage point, those added later included */
  readonly from?: readonly IVantagePoint[];
}

/** Options of {@link CentralMonitoring.addHttpCheck}. */
export interface HttpCheckOptions extends CheckOptions {
  /** Path requested (the endpoint's own path must then be `/`). @default - the endpoint's path */
  readonly path?: string;
  /** The statuses that count as up. @default [200] */
  readonly expectStatus?: number | readonly number[];
  /** Method. @default HttpCheckMethod.GET */
  readonly method?: HttpCheckMethod;
  /** Follow redirects (the last answer's status counts). @default false: a redirect is an answer of its own */
  readonly followRedirects?: boolean;
}

/** Options of {@link CentralMonitoring.addTcpCheck}. */
export type TcpCheckOptions = CheckOptions;

/** One check: what is probed, how, and from where. */
export interface ProbeCheck {
  /** Name (`check` label, module name). */
  readonly name: string;
  /** The URL or `host:port` probed (`instance` label). */
  readonly target: string;
  /** How it is probed. */
  readonly module: BlackboxModule;
  /** The vantage points that run it, or undefined for every one (read at synth). */
  readonly from?: readonly IVantagePoint[];
}

/**
 * Centralised monitoring with several probes, without scaling: a {@link PrometheusServer} that
 * monitors tiers (node_exporter on every planned instance) and probes endpoints with the blackbox
 * exporter from more than one vantage point: the central server itself, on the private network,
 * and the {@link BlackboxProbe} servers made by {@link addProbe}, placed elsewhere.
 *
 * - Prometheus asks each vantage point's exporter `/probe?module=<check>&target=<endpoint>` (job
 *   `blackbox`), its results labelled `check`, `vantage` and `instance` (the endpoint). A probe's
 *   exporter admits the central server only.
 * - Alerts (`monitoring-rules.ts`): an endpoint failing from every vantage point is critical (the
 *   service is down); failing from some only is a warning (a network path); a vantage point or an
 *   instance that does not answer, a disk or the memory nearly full are warnings.
 * - Alertmanager sends every alert to `receiver` and critical ones to `criticalReceiver`
 *   (default: kept in Alertmanager, sent nowhere).
 *
 * At synth it needs at least two vantage points (the central one and a probe) and one check.
 */
export class CentralMonitoring extends PrometheusServer implements IArchitectureIntent {
  /** Monitoring runs the stack; it serves no user's request. (architecture notes) */
  public readonly architectureIntent: TierIntent = { role: TierRole.OPERATIONS };
  /** The central server's own vantage point. */
  public readonly central: IVantagePoint;
  private readonly probes: BlackboxProbe[] = [];
  private readonly checkList: ProbeCheck[] = [];
  private blackboxFilesAdded = false;

  constructor(scope: Construct, id: string, props: CentralMonitoringProps) {
    super(scope, id, props);
    const vantageName = props.vantageName ?? 'central';
    if (!NAME_RE.test(String(vantageName))) throw new HostingStacksError(this, 'vantageName', vantageName, NAME_RULE);
    installBlackboxExporter(this.instance, '127.0.0.1');
    this.central = { vantageName, exporterAddress: `127.0.0.1:${BLACKBOX_EXPORTER_PORT}`, instance: this.instance };
    for (const tier of requirePeers(this, 'tiers', props.tiers ?? [], Kinds.SERVER_TIER)) this.monitor(tier);
    this.addRuleFile(MONITORING_RULES_PATH, () => renderMonitoringRules());
    this.addScrapeJob(() => this.blackboxJob());
    this.node.addValidation({ validate: () => this.validateChecks() });
  }

  /** Every vantage point: the central one first, then the probes in the order added. */
  public get vantagePoints(): readonly IVantagePoint[] {
    return [this.central, ...this.probes];
  }

  /** The checks, in the order added. */
  public get checks(): readonly ProbeCheck[] {
    return [...this.checkList];
  }

  /**
   * Adds a probe server (a vantage point) as a child of this construct; its blackbox exporter
   * admits this server only, and this server monitors its host like a tier's. Returns it.
   */
  public addProbe(id: string, props: BlackboxProbeProps): BlackboxProbe {
    const probe = new BlackboxProbe(this, id, props);
    if (!NAME_RE.test(probe.vantageName)) throw new HostingStacksError(this, `${id}.vantageName`, probe.vantageName, NAME_RULE);
    if (this.vantagePoints.some((v) => v.vantageName === probe.vantageName)) throw new HostingStacksError(this, `${id}.vantageName`, probe.vantageName, 'is already the name of another vantage point');
    probe.connections.allowFrom(this, Port.tcp(BLACKBOX_EXPORTER_PORT), 'Prometheus asks the blackbox exporter');
    this.monitor(probe);
    this.probes.push(probe);
    return probe;
  }

  /**
   * Probes `endpoint` (an http(s) URL) over HTTP from the vantage points: up when it answers one of
   * `expectStatus` within the timeout (and over TLS for an https URL). Returns the check.
   */
  public addHttpCheck(endpoint: string, options: HttpCheckOptions = {}): ProbeCheck {
    options = requireOptions<HttpCheckOptions>(this, 'httpCheck', options, ['name', 'timeoutSeconds', 'from', 'path', 'expectStatus', 'method', 'followRedirects']);
    const urlProblem = checkText(endpoint, TextKind.HTTP_URL);
    if (urlProblem) throw new HostingStacksError(this, 'httpCheck.endpoint', endpoint, urlProblem);
    const url = new URL(endpoint);
    if (options.path !== undefined) {
      const pathProblem = checkText(options.path, TextKind.URL_PATH);
      if (pathProblem) throw new HostingStacksError(this, 'httpCheck.path', options.path, pathProblem);
      if (url.pathname !== '/' || url.search !== '') throw new HostingStacksError(this, 'httpCheck.endpoint', endpoint, "must have no path of its own when 'path' is given");
    }
    const target = options.path === undefined ? endpoint : `${url.origin}${options.path}`;
    const statuses = options.expectStatus === undefined ? [200] : Array.isArray(options.expectStatus) ? [...options.expectStatus] : [options.expectStatus as number];
    if (statuses.length === 0 || statuses.some((s) => !Number.isInteger(s) || s < 100 || s > 599)) {
      throw new HostingStacksError(this, 'httpCheck.expectStatus', options.expectStatus, 'must be an HTTP status from 100 to 599, or a non-empty list of them');
    }
    const method = options.method ?? HttpCheckMethod.GET;
    if (!Object.values(HttpCheckMethod).includes(method)) throw new HostingStacksError(this, 'httpCheck.method', method, `must be one of ${Object.values(HttpCheckMethod).join(', ')} (a probe changes nothing)`);
    const name = options.name ?? defaultName(`${url.hostname}${options.path ?? url.pathname}`);
    return this.addCheck('httpCheck', name, target, options, {
      prober: BlackboxProber.HTTP,
      http: { method, validStatusCodes: statuses, followRedirects: options.followRedirects ?? false, failIfNotSsl: url.protocol === 'https:' },
    });
  }

  /** Probes `host:port` with a TCP connect from the vantage points. Returns the check. */
  public addTcpCheck(host: string, port: number, options: TcpCheckOptions = {}): ProbeCheck {
    options = requireOptions<TcpCheckOptions>(this, 'tcpCheck', options, ['name', 'timeoutSeconds', 'from']);
    const hostProblem = checkText(host, TextKind.HOST_NAME);
    if (hostProblem) throw new HostingStacksError(this, 'tcpCheck.host', host, 'must be a host name or an IPv4 address');
    requireIntegerInRange(this, 'tcpCheck.port', port, 1, 65535);
    return this.addCheck('tcpCheck', options.name ?? defaultName(`${host}-${port}`), `${host}:${port}`, options, { prober: BlackboxProber.TCP });
  }

  private addCheck(prop: string, name: string, target: string, options: CheckOptions, module: Pick<BlackboxModule, 'prober' | 'http'>): ProbeCheck {
    if (!NAME_RE.test(String(name))) throw new HostingStacksError(this, `${prop}.name`, name, NAME_RULE);
    if (this.checkList.some((c) => c.name === name)) throw new HostingStacksError(this, `${prop}.name`, name, 'is already the name of another check; give a name');
    const timeoutSeconds = options.timeoutSeconds ?? 5;
    requireIntegerInRange(this, `${prop}.timeoutSeconds`, timeoutSeconds, 1, 9);
    let from: readonly IVantagePoint[] | undefined;
    if (options.from !== undefined) {
      if (!Array.isArray(options.from) || options.from.length === 0) throw new HostingStacksError(this, `${prop}.from`, options.from, 'must be a non-empty list of vantage points of this monitoring (central or what addProbe returned)');
      options.from.forEach((v, i) => {
        if (!this.vantagePoints.includes(v)) throw new HostingStacksError(this, `${prop}.from[${i}]`, v, 'must be a vantage point of this monitoring (central or what addProbe returned)');
      });
      from = [...options.from];
    }
    const check: ProbeCheck = { name, target, module: { name, timeoutSeconds, ...module }, from };
    this.checkList.push(check);
    return check;
  }

  /** The `blackbox` scrape job: one target per check and vantage point. */
  public blackboxJob(): PrometheusScrapeJob {
    return {
      name: BLACKBOX_JOB,
      metricsPath: '/probe',
      targets: this.checkList.flatMap((c) => (c.from ?? this.vantagePoints).map((v) => ({
        address: v.exporterAddress,
        // `__param_*` become the URL's parameters; `instance` names the endpoint, not the exporter.
        labels: { check: c.name, vantage: v.vantageName, instance: c.target, __param_module: c.name, __param_target: c.target },
      }))),
    };
  }

  /** `blackbox.yml`, the same on every vantage point. */
  public renderBlackbox(): string {
    return renderBlackboxConfig(this.checkList.map((c) => c.module));
  }

  protected prometheusHeader(): readonly string[] {
    return ["Rendered by hosting-stacks: central monitoring. Prometheus scrapes the monitored tiers' node exporters",
      '(the instances that exist) and the blackbox exporter of every vantage point, per check.'];
  }

  /** Writes the server's synth-time files and `blackbox.yml` on every vantage point. Idempotent. */
  public addConfigFiles(): void {
    super.addConfigFiles();
    if (this.blackboxFilesAdded) return;
    this.blackboxFilesAdded = true;
    const content = this.renderBlackbox();
    for (const v of this.vantagePoints) v.instance.cloudConfig.addFile({ path: BLACKBOX_CONFIG_PATH, syntax: ConfigSyntax.BLACKBOX, content });
  }

  private validateChecks(): string[] {
    const errors: string[] = [];
    if (this.probes.length === 0) errors.push(`${this.node.path}: 'probes' ([]) must hold at least one probe (addProbe): a check needs a second vantage point to tell a service down from a broken path`);
    if (this.checkList.length === 0) errors.push(`${this.node.path}: 'checks' ([]) must hold at least one check (addHttpCheck or addTcpCheck)`);
    return errors;
  }
}

/** A check name from an endpoint: lower case, runs of other characters as '-', at most 63. */
function defaultName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '') || 'check';
}
