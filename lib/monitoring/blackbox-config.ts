import { renderTemplate } from '../config/template';
import { HostingStacksError } from '../core/errors';
import { promDuration, quoted } from './prometheus-files';

/** The blackbox exporter's port (Debian `prometheus-blackbox-exporter`). */
export const BLACKBOX_EXPORTER_PORT = 9115;
/** The scrape job of every probe, whatever the vantage point. */
export const BLACKBOX_JOB = 'blackbox';
/** The blackbox exporter's config file (the Debian package's path). */
export const BLACKBOX_CONFIG_PATH = '/etc/prometheus/blackbox.yml';
/** The blackbox exporter's arguments file. */
export const BLACKBOX_DEFAULTS_PATH = '/etc/default/prometheus-blackbox-exporter';

/** How a module probes. */
export enum BlackboxProber {
  /** An HTTP(S) request, checking the status. */
  HTTP = 'http',
  /** A TCP connect. */
  TCP = 'tcp',
}

/** HTTP methods a check may send (a probe must not change anything). */
export enum HttpCheckMethod {
  GET = 'GET',
  HEAD = 'HEAD',
}

/** One module of `blackbox.yml`: how one check probes its target. */
export interface BlackboxModule {
  /** Module name (the check's name). */
  readonly name: string;
  /** The prober. */
  readonly prober: BlackboxProber;
  /** Seconds the probe may take (below the 10 s scrape timeout). */
  readonly timeoutSeconds: number;
  /** HTTP settings, for the HTTP prober. */
  readonly http?: {
    /** Method. */
    readonly method: HttpCheckMethod;
    /** Statuses that count as success. */
    readonly validStatusCodes: readonly number[];
    /** Follow redirects (the final answer's status counts). */
    readonly followRedirects: boolean;
    /** Fail when the answer did not come over TLS (https targets). */
    readonly failIfNotSsl: boolean;
  };
}

/**
 * Renders `blackbox.yml` (`prometheus-blackbox-exporter --config.check`): one module per check,
 * IPv4 only (the OVHcloud vSwitches and the floating IPs are IPv4).
 */
export function renderBlackboxConfig(modules: readonly BlackboxModule[]): string {
  const names = new Set<string>();
  for (const m of modules) {
    if (names.has(m.name)) throw HostingStacksError.ofFactory('renderBlackboxConfig', 'modules', m.name, 'appears more than once; module names must be unique');
    names.add(m.name);
    if ((m.prober === BlackboxProber.HTTP) !== (m.http !== undefined)) throw HostingStacksError.ofFactory('renderBlackboxConfig', `modules.${m.name}.http`, m.http === undefined ? 'none' : 'given', 'must be given for the HTTP prober and only for it');
  }
  return renderTemplate('blackbox.yml.hbs', {
    modules: modules.map((m) => ({
      name: quoted(m.name),
      prober: m.prober,
      timeout: promDuration(m.timeoutSeconds),
      http: m.http === undefined ? undefined : { ...m.http, validStatusCodes: m.http.validStatusCodes.join(', ') },
      tcp: m.prober === BlackboxProber.TCP,
    })),
  });
}
