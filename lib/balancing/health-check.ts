import { IConstruct } from 'constructs';
import { HostingStacksError } from '../core/errors';
import { TextKind, checkText } from '../core/text';
import { brand, hasBrand, requireFactoryOptions } from '../core/peers';

/** Options of an HTTP health check. */
export interface HttpHealthCheckOptions {
  /** Path requested. @default '/healthz' */
  readonly path?: string;
  /** Status code that means healthy. @default 200 */
  readonly expectedStatus?: number;
  /** Seconds between checks. @default 2 */
  readonly intervalSeconds?: number;
  /** Seconds before a check counts as failed. @default 2 */
  readonly timeoutSeconds?: number;
  /** Consecutive failures before a member is taken out. @default 2 */
  readonly unhealthyThreshold?: number;
  /** Consecutive successes before a member is put back. @default 2 */
  readonly healthyThreshold?: number;
}

/** Options of a TCP connect health check. */
export type TcpHealthCheckOptions = Omit<HttpHealthCheckOptions, 'path' | 'expectedStatus'>;

const TCP_OPTIONS: readonly (keyof TcpHealthCheckOptions)[] = ['intervalSeconds', 'timeoutSeconds', 'unhealthyThreshold', 'healthyThreshold'];

/** Kinds of health check. */
export enum HealthCheckKind {
  HTTP = 'http',
  TCP = 'tcp',
}

/**
 * How a balancer decides a member is alive. One definition is rendered into whichever balancer
 * realises it (keepalived `HTTP_GET`, haproxy `option httpchk`, Octavia monitors). Options out of
 * range are reported by the construct that receives the check ({@link HealthCheck.validate}), so
 * the error names its path.
 */
export class HealthCheck {
  /** True when `x` is a {@link HealthCheck} (a `Symbol.for` brand: look-alike objects are not). */
  public static isHealthCheck(x: unknown): x is HealthCheck {
    return hasBrand(x, 'HealthCheck');
  }

  /** GET `path` and expect `expectedStatus`. */
  public static http(options: HttpHealthCheckOptions = {}): HealthCheck {
    options = requireFactoryOptions<HttpHealthCheckOptions>('HealthCheck.http', options, ['path', 'expectedStatus', ...TCP_OPTIONS]);
    return new HealthCheck(HealthCheckKind.HTTP, options.path ?? '/healthz', options.expectedStatus ?? 200, options);
  }
  /** A TCP connect. */
  public static tcp(options: TcpHealthCheckOptions = {}): HealthCheck {
    options = requireFactoryOptions<TcpHealthCheckOptions>('HealthCheck.tcp', options, TCP_OPTIONS);
    return new HealthCheck(HealthCheckKind.TCP, undefined, undefined, options);
  }

  /** Seconds between checks. */
  public readonly intervalSeconds: number;
  /** Seconds before a check fails. */
  public readonly timeoutSeconds: number;
  /** Failures before removal. */
  public readonly unhealthyThreshold: number;
  /** Successes before re-adding. */
  public readonly healthyThreshold: number;
  /** The first option out of range, reported by {@link HealthCheck.validate} with the receiving construct's path. */
  private readonly problem?: { readonly option: string; readonly value: unknown; readonly rule: string };

  private constructor(
    /** The kind. */
    public readonly kind: HealthCheckKind,
    /** HTTP path, for HTTP checks. */
    public readonly path: string | undefined,
    /** Expected HTTP status, for HTTP checks. */
    public readonly expectedStatus: number | undefined,
    options: TcpHealthCheckOptions,
  ) {
    brand(this, 'HealthCheck');
    this.intervalSeconds = options.intervalSeconds ?? 2;
    this.timeoutSeconds = options.timeoutSeconds ?? 2;
    this.unhealthyThreshold = options.unhealthyThreshold ?? 2;
    this.healthyThreshold = options.healthyThreshold ?? 2;
    const checks: [string, number, number, number][] = [
      ['intervalSeconds', this.intervalSeconds, 0.1, 3600],
      ['timeoutSeconds', this.timeoutSeconds, 0.1, 3600],
      ['unhealthyThreshold', this.unhealthyThreshold, 1, 10],
      ['healthyThreshold', this.healthyThreshold, 1, 10],
    ];
    // Kept, not thrown: the factory has no construct path; the construct receiving the check reports it.
    const bad = checks.find(([, v, min, max]) => !Number.isFinite(v) || v < min || v > max);
    if (bad) {
      this.problem = { option: bad[0], value: bad[1], rule: `must be from ${bad[2]} to ${bad[3]}` };
    } else if (kind === HealthCheckKind.HTTP && checkText(path, TextKind.URL_PATH)) {
      // The path is written into haproxy, keepalived and Apache lines and Octavia monitors.
      this.problem = { option: 'path', value: path, rule: checkText(path, TextKind.URL_PATH)! };
    } else if (expectedStatus !== undefined && (!Number.isInteger(expectedStatus) || expectedStatus < 100 || expectedStatus > 599)) {
      this.problem = { option: 'expectedStatus', value: expectedStatus, rule: 'must be an HTTP status from 100 to 599' };
    }
  }

  /**
   * Throws a {@link HostingStacksError} naming `scope` and `prop` (`healthCheck.path`) when an
   * option is out of range; returns this check otherwise. Every construct that receives a check calls it.
   */
  public validate(scope: IConstruct, prop: string): HealthCheck {
    if (this.problem) throw new HostingStacksError(scope, `${prop}.${this.problem.option}`, this.problem.value, this.problem.rule);
    return this;
  }

  /** Seconds a dead member may still receive traffic: interval x unhealthy threshold + timeout. */
  public get detectionWindowSeconds(): number {
    return this.intervalSeconds * this.unhealthyThreshold + this.timeoutSeconds;
  }
}
