/**
 * A demand trace: how many users are on the site, step after step. The simulator replays it against
 * a tier's scaling plan; the reference-year generator produces one; `parseTraceCsv` reads one
 * exported from analytics.
 */

import { HostingStacksError } from '../core/errors';

/** Step lengths a trace can have, in minutes: one minute or one hour. */
export type TraceResolutionMinutes = 1 | 60;

/** The step lengths {@link DemandTrace.resolutionMinutes} accepts. */
export const TRACE_RESOLUTIONS: readonly TraceResolutionMinutes[] = [1, 60];

/**
 * Concurrent users over time at a fixed step.
 *
 * Step `i` covers `[start + i x resolution, start + (i + 1) x resolution)`; `users[i]` is the number
 * of concurrent users during the whole step (a generator at hour resolution gives the busiest minute
 * of the hour, so an hourly replay never sees less demand than the minute one).
 */
export interface DemandTrace {
  /** Minutes per step: 1 or 60. */
  readonly resolutionMinutes: TraceResolutionMinutes;
  /** Start of the first step (an instant; traces are compared in UTC). */
  readonly start: Date;
  /** Concurrent users in each step, finite and at least 0. */
  readonly users: readonly number[];
}

const MS_PER_MINUTE = 60_000;

/** Start of step `index` of `trace`. */
export function traceTime(trace: Pick<DemandTrace, 'start' | 'resolutionMinutes'>, index: number): Date {
  return new Date(trace.start.getTime() + index * trace.resolutionMinutes * MS_PER_MINUTE);
}

/** Minutes the trace covers (steps x resolution). */
export function traceMinutes(trace: DemandTrace): number {
  return trace.users.length * trace.resolutionMinutes;
}

/**
 * Throws a {@link HostingStacksError} unless `trace` is well formed: resolution 1 or 60, a valid
 * start, at least one step, every value finite and at least 0. `who`, the function checking, is
 * what the error names (`simulate: 'trace.users[3]' (-1) ...`).
 */
export function validateTrace(trace: DemandTrace, who: string): void {
  function fail(prop: string, value: unknown, rule: string): never {
    throw HostingStacksError.ofFactory(who, `trace.${prop}`, value, rule);
  }
  if (!TRACE_RESOLUTIONS.includes(trace.resolutionMinutes)) fail('resolutionMinutes', trace.resolutionMinutes, 'must be 1 or 60');
  // An invalid Date is named as JavaScript prints it ('Invalid Date'), not as JSON's null.
  if (!(trace.start instanceof Date) || Number.isNaN(trace.start.getTime())) fail('start', String(trace.start), 'must be a valid Date');
  if (!Array.isArray(trace.users) || trace.users.length === 0) fail('users', trace.users, 'must hold at least one step');
  for (let i = 0; i < trace.users.length; i++) {
    const u = trace.users[i];
    if (!Number.isFinite(u) || u < 0) fail(`users[${i}]`, u, 'must be a finite number of at least 0');
  }
}

/** Header `parseTraceCsv` requires. */
export const TRACE_CSV_HEADER = 'time,concurrent_users';

// ISO 8601 date-time with an explicit zone (Z or +hh:mm): a trace without one would be read in the
// machine's local time and shift with it.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads a trace from CSV: a `time,concurrent_users` header, then one row per step with an ISO 8601
 * time carrying its zone (`2027-10-30T19:00:00Z`, `2027-10-30T21:00+02:00`) and a number of users.
 * Rows must be in order at equal steps of 1 or 60 minutes (a single row is read as one hour); blank
 * lines and CRLF endings are accepted.
 * Throws a {@link HostingStacksError} naming the line and the column:
 * `parseTraceCsv: 'line 4: time' ('...') must be 60 minutes after the previous row, like the first two rows`.
 */
export function parseTraceCsv(text: string): DemandTrace {
  function fail(prop: string, value: unknown, rule: string): never {
    throw HostingStacksError.ofFactory('parseTraceCsv', prop, value, rule);
  }
  const lines = text.split(/\r?\n/).map((l, i) => ({ n: i + 1, text: l.trim() })).filter((l) => l.text !== '');
  if (lines.length === 0) fail('text', text, `is blank; it must start with the header '${TRACE_CSV_HEADER}', then one row per step`);
  const header = lines[0].text.split(',').map((c) => c.trim().toLowerCase()).join(',');
  if (header !== TRACE_CSV_HEADER) fail(`line ${lines[0].n}: header`, lines[0].text, `must be '${TRACE_CSV_HEADER}'`);
  const rows = lines.slice(1);
  if (rows.length === 0) fail('text', lines[0].text, 'has no rows after the header; a trace needs at least one step');
  const times: number[] = [];
  const users: number[] = [];
  for (const row of rows) {
    const cells = row.text.split(',').map((c) => c.trim());
    if (cells.length !== 2) fail(`line ${row.n}`, row.text, `must have 2 columns (time,concurrent_users), not ${cells.length}`);
    const [time, value] = cells;
    if (!ISO_WITH_ZONE.test(time) || Number.isNaN(Date.parse(time))) {
      fail(`line ${row.n}: time`, time, 'must be an ISO 8601 time with a zone, e.g. 2027-10-30T19:00:00Z');
    }
    const u = value === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(u) || u < 0) fail(`line ${row.n}: concurrent_users`, value, 'must be a number of at least 0');
    times.push(Date.parse(time));
    users.push(u);
  }
  let resolutionMinutes: TraceResolutionMinutes = 60;
  if (times.length > 1) {
    const step = (times[1] - times[0]) / MS_PER_MINUTE;
    if (step !== 1 && step !== 60) {
      fail(`line ${rows[1].n}: time`, rows[1].text.split(',')[0].trim(), `is ${step} minutes after the previous row; steps must be 1 or 60 minutes`);
    }
    resolutionMinutes = step;
    for (let i = 2; i < times.length; i++) {
      if (times[i] - times[i - 1] !== step * MS_PER_MINUTE) {
        fail(`line ${rows[i].n}: time`, rows[i].text.split(',')[0].trim(), `must be ${step} minutes after the previous row, like the first two rows`);
      }
    }
  }
  return { resolutionMinutes, start: new Date(times[0]), users };
}

/** Writes a trace as `time,concurrent_users` CSV (UTC times), the format {@link parseTraceCsv} reads. */
export function formatTraceCsv(trace: DemandTrace): string {
  const rows = trace.users.map((u, i) => `${traceTime(trace, i).toISOString()},${u}`);
  return `${TRACE_CSV_HEADER}\n${rows.join('\n')}\n`;
}
