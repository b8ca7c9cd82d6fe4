import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { HostingStacksToolError } from './errors';

/**
 * Figures: every number a command prints (`npm run lab`, the benchmarks, a test's `FIGURE` line) is
 * also appended, one JSON object a line, to a file a program can read back (`jq`), so that no figure
 * exists only as prose in a log.
 *
 * ```ts
 * const figures = new FigureLog('bench:synth');
 * figures.print('synth popgom  412 ms', { name: 'synth popgom', value: 412, unit: 'ms' });
 * // stdout: synth popgom  412 ms
 * // figures/bench-synth.jsonl: {"command":"bench:synth","run":"current","name":"synth popgom","value":412,"unit":"ms","at":"..."}
 * ```
 */

/** The environment variable naming one file every command appends its figures to, instead of `figures/<command>.jsonl`. */
export const FIGURES_FILE_ENV = 'HS_FIGURES_FILE';

/** The folder, under the working directory, of the figures files (left out of git). */
export const FIGURES_DIR = 'figures';

/** One measured number. */
export interface Figure {
  /** What was measured, unique within its command and run: `synth popgom`, `lab popgom wall`. */
  readonly name: string;
  /** The number itself (finite). */
  readonly value: number;
  /** Its unit: `ms`, `s`, `%`, `servers`, `instance-hours`, `EUR`, `x` (a ratio). */
  readonly unit: string;
  /** What it was compared with or measured under, as printed. @default - none */
  readonly detail?: string;
}

/** Which run of a command a figure belongs to, when a command prints a saved run's figures beside its own. */
export enum FigureRun {
  /** Measured by this run. */
  CURRENT = 'current',
  /** Read from the saved run this one is compared with (`--baseline FILE`). */
  BASELINE = 'baseline',
}

/** A figure as one line of a figures file. */
export interface FigureRecord extends Figure {
  /** The command that printed it: `lab`, `bench:synth`, `test`. */
  readonly command: string;
  /** This run's figure or its baseline's. */
  readonly run: FigureRun;
  /** When it was printed (ISO 8601, UTC). */
  readonly at: string;
}

/**
 * The file a command's figures go to: the file named by `HS_FIGURES_FILE` (relative to `cwd`) when
 * it is set and not empty, so that a CI job can gather every command's figures in one file; else
 * `<cwd>/figures/<command>.jsonl` with `:` in the command made `-` (`figures/bench-synth.jsonl`).
 * `npm run` starts its scripts and jest its tests in the package's root, so there `cwd` is the
 * repository.
 */
export function figuresFile(command: string, options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {}): string {
  checkCommand(command);
  const cwd = options.cwd ?? process.cwd();
  const chosen = (options.env ?? process.env)[FIGURES_FILE_ENV];
  return chosen ? resolve(cwd, chosen) : join(cwd, FIGURES_DIR, `${command.replace(/:/g, '-')}.jsonl`);
}

/** Options of {@link FigureLog}. */
export interface FigureLogOptions {
  /** The file appended to. @default - {@link figuresFile} of the command */
  readonly file?: string;
  /** Where the human lines go. @default - stdout */
  readonly print?: (text: string) => void;
  /** The clock stamped on the records. @default - the system clock */
  readonly now?: () => Date;
}

/**
 * A command's figures: {@link print} prints the human line as before and appends each figure as
 * one JSON line ({@link FigureRecord}) to {@link file}. A line that holds several figures becomes
 * several records, one per number, written in one append.
 */
export class FigureLog {
  /** The file appended to. */
  readonly file: string;
  private readonly out: (text: string) => void;
  private readonly now: () => Date;

  /** @param command The command, as its `npm run` name (`lab`, `bench:synth`) or `test` for the test suite. */
  constructor(readonly command: string, options: FigureLogOptions = {}) {
    checkCommand(command);
    this.file = options.file ?? figuresFile(command);
    this.out = options.print ?? ((text) => process.stdout.write(`${text}\n`));
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Prints `text` (the human line, or a report whose last line is the figures' line) and appends
   * `figures` to the file, checked first: nothing is printed or written when one is bad.
   */
  print(text: string, figures: Figure | readonly Figure[], run: FigureRun = FigureRun.CURRENT): FigureRecord[] {
    const records = this.records(figures, run);
    this.out(text);
    this.write(records);
    return records;
  }

  /** Appends `figures` without printing: their line was printed already, or is never (a baseline's figures printed as a table). */
  record(figures: Figure | readonly Figure[], run: FigureRun = FigureRun.CURRENT): FigureRecord[] {
    const records = this.records(figures, run);
    this.write(records);
    return records;
  }

  private records(figures: Figure | readonly Figure[], run: FigureRun): FigureRecord[] {
    const list: readonly Figure[] = Array.isArray(figures) ? figures : [figures as Figure];
    const at = this.now().toISOString();
    return list.map((f) => {
      checkFigure(this.command, f);
      return { command: this.command, run, name: f.name, value: f.value, unit: f.unit, ...(f.detail === undefined ? {} : { detail: f.detail }), at };
    });
  }

  private write(records: readonly FigureRecord[]): void {
    if (records.length === 0) return;
    mkdirSync(dirname(this.file), { recursive: true });
    // One append per line printed: records of parallel writers (jest workers) never interleave within a line.
    appendFileSync(this.file, records.map(formatFigureRecord).join(''));
  }
}

/** A record as a line of a figures file: compact JSON and a newline. */
export function formatFigureRecord(record: FigureRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** The records of a figures file, in the order written; throws naming the line that is not a record. */
export function readFigures(file: string): FigureRecord[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((line, i) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new HostingStacksToolError('readFigures', 'line', `readFigures: ${file} line ${i + 1} is not JSON: ${line.slice(0, 120)}`);
    }
    const r = parsed as Partial<FigureRecord>;
    if (typeof r.name !== 'string' || typeof r.value !== 'number' || typeof r.unit !== 'string' || typeof r.command !== 'string' || typeof r.at !== 'string'
      || !Object.values(FigureRun).includes(r.run as FigureRun)) {
      throw new HostingStacksToolError('readFigures', 'line', `readFigures: ${file} line ${i + 1} is not a figure record (name, value, unit, command, run, at): ${line.slice(0, 120)}`);
    }
    return r as FigureRecord;
  });
}

function checkCommand(command: string): void {
  if (!/^[a-z0-9]+(?:[:-][a-z0-9]+)*$/.test(command)) {
    throw new HostingStacksToolError('FigureLog', 'command', `FigureLog: command '${command}' is not allowed: give its npm script name, lower-case words joined by ':' or '-' ('bench:synth')`);
  }
}

function checkFigure(command: string, f: Figure): void {
  if (typeof f.name !== 'string' || f.name.trim() === '' || /[\r\n]/.test(f.name)) {
    throw new HostingStacksToolError('FigureLog', 'name', `FigureLog ${command}: figure name ${JSON.stringify(f.name)} must be a non-empty line`);
  }
  if (typeof f.value !== 'number' || !Number.isFinite(f.value)) {
    throw new HostingStacksToolError('FigureLog', 'value', `FigureLog ${command}: figure '${f.name}' has value ${String(f.value)}: give a finite number (leave out a figure that was not measured)`);
  }
  if (typeof f.unit !== 'string' || f.unit.trim() === '' || /[\r\n]/.test(f.unit)) {
    throw new HostingStacksToolError('FigureLog', 'unit', `FigureLog ${command}: figure '${f.name}' has unit ${JSON.stringify(f.unit)}: give a unit ('ms', 's', 'servers')`);
  }
}
