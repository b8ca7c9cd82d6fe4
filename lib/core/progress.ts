import { HostingStacksToolError } from './errors';

/**
 * Progress of a long command (the lab, a benchmark): one plain line per step on stderr, as
 * `[lab popgom] 3/8 servers ready (42 s)` or `[bench:synth] step 2/8: synth popgom (3 s)`. No carriage
 * returns: a CI log is a plain file. A step is printed only once the command has run
 * {@link ProgressOptions.quietMs}: a run that ends sooner prints no progress at all.
 *
 * ```ts
 * const progress = new Progress('bench:synth', { total: 8 });
 * progress.started('synth popgom');      // [bench:synth] step 1/8: synth popgom (0 s), once 2 s have passed
 * progress.counted(3, 'servers ready');  // [bench:synth] 3/8 servers ready (12 s)
 * ```
 */
export interface ProgressOptions {
  /** Steps in all, printed as `n/total`; may grow ({@link Progress.grow}). @default - no total printed */
  readonly total?: number;
  /** Where the lines go. @default - stderr */
  readonly write?: (line: string) => void;
  /** Steps before the command has run this long are not printed. @default 2000 */
  readonly quietMs?: number;
  /** The clock, in ms. @default Date.now */
  readonly now?: () => number;
}

/** The progress of one command: see {@link ProgressOptions}. */
export class Progress {
  private readonly write: (line: string) => void;
  private readonly now: () => number;
  private readonly quietMs: number;
  private readonly start: number;
  private steps = 0;
  private totalSteps: number | undefined;

  /** @param label What runs, printed in brackets: `lab popgom`, `bench:synth`. */
  constructor(readonly label: string, options: ProgressOptions = {}) {
    if (options.total !== undefined && (!Number.isInteger(options.total) || options.total < 0)) {
      throw new HostingStacksToolError('Progress', 'total', `Progress ${label}: 'total' (${options.total}) must be a whole number of steps, 0 or more`);
    }
    if (options.quietMs !== undefined && !(options.quietMs >= 0)) {
      throw new HostingStacksToolError('Progress', 'quietMs', `Progress ${label}: 'quietMs' (${options.quietMs}) must be 0 or more`);
    }
    this.write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
    this.now = options.now ?? Date.now;
    this.quietMs = options.quietMs ?? 2000;
    this.totalSteps = options.total;
    this.start = this.now();
  }

  /** Steps in all (undefined when not known). */
  get total(): number | undefined {
    return this.totalSteps;
  }

  /** Seconds since the command started. */
  get elapsedSeconds(): number {
    return (this.now() - this.start) / 1000;
  }

  /** Adds `steps` to the total (servers added to a running lab). */
  grow(steps: number): void {
    this.totalSteps = (this.totalSteps ?? 0) + steps;
  }

  /** A step starts: `[label] step n/total: what (t s)`. Returns whether it was printed. */
  started(what: string): boolean {
    this.steps++;
    return this.line(`step ${this.steps}${this.totalSteps === undefined ? '' : `/${this.totalSteps}`}: ${what}`);
  }

  /** `done` of the total are done: `[label] done/total what (t s)`. Returns whether it was printed. */
  counted(done: number, what: string): boolean {
    return this.line(`${done}${this.totalSteps === undefined ? '' : `/${this.totalSteps}`} ${what}`);
  }

  /** Any other line of progress: `[label] text (t s)`, under the same rule. Returns whether it was printed. */
  note(text: string): boolean {
    return this.line(text);
  }

  private line(text: string): boolean {
    const ms = this.now() - this.start;
    if (ms < this.quietMs) return false;
    this.write(`[${this.label}] ${text} (${(ms / 1000).toFixed(0)} s)`);
    return true;
  }
}
