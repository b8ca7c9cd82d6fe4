import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { requireText, TextKind } from '../core/text';
import type { HostingStack } from '../stack/hosting-stack';
import { IScalingRules } from './scaling-model';
import { addCountApplyArtifact, buildScalingSchedule, renderCampaignTfvars, renderScalingCrontab, renderScalingSchedule, renderScalingWorkflow, SCALING_WORKFLOW_ARTIFACT } from './scaling-schedule';
import { brand, hasBrand, Kinds, requireOptions, requirePeer, requireProps } from '../core/peers';

/** Minutes a campaign's capacity serves before the campaign opens: caches warm up, and a failed boot can be retried. */
export const DEFAULT_PRE_WARM_MINUTES = 60;
/** Where the repository is checked out on the host that runs the crontab (the deployment VM). */
export const DEFAULT_CHECKOUT_DIRECTORY = '/srv/hosting-stacks';
/** Longest pre-warm lead: a week. */
const MAX_PRE_WARM_MINUTES = 7 * 24 * 60;
const MINUTE_MS = 60_000;

/** A campaign's expected peak. */
export interface CampaignDemand {
  /** Concurrent users at the busiest minute. */
  readonly concurrentUsers: number;
  /** Visitors on the busiest day. @default - not stated */
  readonly visitorsPerDay?: number;
  /** Orders on the busiest day. @default - not stated */
  readonly ordersPerDay?: number;
}

/** Options of {@link CampaignCalendar.addCampaign}. */
export interface CampaignProps {
  /** First minute of the campaign, local wall-clock time `YYYY-MM-DDTHH:MM` in `timeZone`. */
  readonly start: string;
  /** End of the campaign (exclusive), local wall-clock time `YYYY-MM-DDTHH:MM` in `timeZone`. */
  readonly end: string;
  /** IANA time zone of `start` and `end` (`Europe/Madrid`). @default - the calendar's time zone */
  readonly timeZone?: string;
  /** The expected peak. */
  readonly peak: CampaignDemand;
  /** Minutes the campaign's capacity must already serve when it opens. @default - the calendar's preWarmMinutes */
  readonly preWarmMinutes?: number;
}

/** A campaign of a {@link CampaignCalendar}, resolved: its UTC instants and defaults applied. */
export interface Campaign {
  /** Kebab-case name, used in file names. */
  readonly name: string;
  /** Start as given, local time in `timeZone`. */
  readonly localStart: string;
  /** End as given, local time in `timeZone`. */
  readonly localEnd: string;
  /** Canonical IANA time zone of the local times. */
  readonly timeZone: string;
  /** Start (UTC instant). */
  readonly start: Date;
  /** End (UTC instant, exclusive). */
  readonly end: Date;
  /** The expected peak. */
  readonly peak: CampaignDemand;
  /** Minutes the capacity must serve before the start. */
  readonly preWarmMinutes: number;
}

/** The demand at an instant, or over a segment of time: the largest of the campaigns running then. */
export interface ActiveDemand {
  /** Names of the campaigns running, by start. */
  readonly campaigns: readonly string[];
  /** The largest peak of concurrent users among them (0 when none runs). */
  readonly concurrentUsers: number;
  /** The largest visitors-per-day figure among those that state one. @default - none states one */
  readonly visitorsPerDay?: number;
  /** The largest orders-per-day figure among those that state one. @default - none states one */
  readonly ordersPerDay?: number;
}

/** A stretch of time with the same demand, from {@link CampaignCalendar.demandSegments}. */
export interface DemandSegment extends ActiveDemand {
  /** First instant (UTC). */
  readonly from: Date;
  /** End (UTC, exclusive). */
  readonly to: Date;
}

/** Props of {@link CampaignCalendar}. */
export interface CampaignCalendarProps {
  /** IANA time zone of campaigns that name none. @default 'UTC' */
  readonly timeZone?: string;
  /** Pre-warm lead of campaigns that give none, in minutes. @default DEFAULT_PRE_WARM_MINUTES (60) */
  readonly preWarmMinutes?: number;
  /** Directory of the stack's synthesized Terraform relative to the repository root, as the CI example runs it. @default - `cdktf.out/stacks/<stack id>` */
  readonly stackDirectory?: string;
  /** Absolute path of the repository checkout on the host that runs `scaling/crontab`. @default DEFAULT_CHECKOUT_DIRECTORY ('/srv/hosting-stacks') */
  readonly checkoutDirectory?: string;
}

/**
 * Named sales campaigns with their dates (local time and zone) and expected peaks. Scaling rules
 * that follow the calendar raise their tier before each campaign and lower it after. When the
 * calendar is followed by at least one {@link IScalingRules}, synth writes next to the stack's
 * Terraform: `campaigns/<name>.tfvars.json` (every followed tier's count for that campaign),
 * `scaling/schedule.json` (when to apply what), and `scaling/crontab` and
 * `scaling/github-actions.yml` (the same schedule for cron and for a CI runner).
 *
 * Overlapping campaigns take the larger demand: the timeline is cut at every start and end, and
 * each piece takes, field by field, the largest figure of the campaigns running in it
 * ({@link CampaignCalendar.demandSegments}).
 */
export class CampaignCalendar extends Construct {
  /** True when `x` is a {@link CampaignCalendar} (a `Symbol.for` brand: look-alike objects are not). */
  public static isCampaignCalendar(x: unknown): x is CampaignCalendar {
    return hasBrand(x, 'CampaignCalendar');
  }

  /** Time zone of campaigns that name none. */
  public readonly timeZone: string;
  /** Pre-warm lead of campaigns that give none, in minutes. */
  public readonly preWarmMinutes: number;
  /** Directory of the stack's Terraform relative to the repository root. */
  public readonly stackDirectory: string;
  /** Absolute path of the checkout on the cron host. */
  public readonly checkoutDirectory: string;
  private readonly list: Campaign[] = [];
  private readonly followers: IScalingRules[] = [];
  private hostingStack?: HostingStack;

  constructor(scope: Construct, id: string, props: CampaignCalendarProps = {}) {
    super(scope, id);
    brand(this, 'CampaignCalendar');
    requireProps(this, props);
    this.timeZone = requireTimeZone(this, 'timeZone', props.timeZone ?? 'UTC');
    this.preWarmMinutes = props.preWarmMinutes ?? DEFAULT_PRE_WARM_MINUTES;
    requireIntegerInRange(this, 'preWarmMinutes', this.preWarmMinutes, 0, MAX_PRE_WARM_MINUTES);
    this.stackDirectory = props.stackDirectory ?? `cdktf.out/stacks/${TerraformStack.of(this).node.id}`;
    requireText(this, 'stackDirectory', this.stackDirectory, TextKind.WORD, {
      pattern: /^[A-Za-z0-9_][A-Za-z0-9._/-]*$/,
      test: (v) => !v.split('/').includes('..'),
      allowed: "must be a relative path of letters, digits, '.', '_', '-' and '/' without '..' (e.g. 'cdktf.out/stacks/shop')",
    });
    this.checkoutDirectory = props.checkoutDirectory ?? DEFAULT_CHECKOUT_DIRECTORY;
    requireText(this, 'checkoutDirectory', this.checkoutDirectory, TextKind.ABSOLUTE_PATH, {
      allowed: "must be an absolute path of letters, digits, '.', '_', '-' and '/' without '.' or '..' segments or a trailing '/' (e.g. '/srv/hosting-stacks')",
    });
  }

  /** The campaigns, by start. */
  public get campaigns(): readonly Campaign[] {
    return [...this.list].sort((a, b) => a.start.getTime() - b.start.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The scaling rules that follow this calendar. */
  public get scalingRules(): readonly IScalingRules[] {
    return [...this.followers];
  }

  /**
   * Adds a campaign; returns it resolved. Throws when the name is not kebab case or is taken, a time
   * is malformed or does not exist in its zone (skipped by a clock change), the zone is unknown, the
   * end is not after the start, or a figure is not a positive whole number.
   */
  public addCampaign(name: string, props: CampaignProps): Campaign {
    requireText(this, 'name', name, TextKind.NAME, {
      pattern: /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/,
      maxLength: 50,
      allowed: "must be kebab case: lower-case letters and digits in words joined by '-', starting with a letter, at most 50 characters (e.g. 'black-friday')",
    });
    if (this.list.some((c) => c.name === name)) throw new HostingStacksError(this, 'name', name, 'is already a campaign of this calendar; campaign names must be unique');
    const p = `campaigns.${name}`;
    requireOptions<CampaignProps>(this, p, props, ['start', 'end', 'timeZone', 'peak', 'preWarmMinutes']);
    const timeZone = requireTimeZone(this, `${p}.timeZone`, props.timeZone ?? this.timeZone);
    const start = requireLocalTime(this, `${p}.start`, props.start, timeZone);
    const end = requireLocalTime(this, `${p}.end`, props.end, timeZone);
    if (end.getTime() <= start.getTime()) {
      throw new HostingStacksError(this, `${p}.end`, props.end, `must be after 'start' ('${props.start}', ${timeZone})`);
    }
    requireOptions<CampaignDemand>(this, `${p}.peak`, props.peak, ['concurrentUsers', 'visitorsPerDay', 'ordersPerDay']);
    requireIntegerInRange(this, `${p}.peak.concurrentUsers`, props.peak.concurrentUsers, 1);
    if (props.peak.visitorsPerDay !== undefined) requireIntegerInRange(this, `${p}.peak.visitorsPerDay`, props.peak.visitorsPerDay, 0);
    if (props.peak.ordersPerDay !== undefined) requireIntegerInRange(this, `${p}.peak.ordersPerDay`, props.peak.ordersPerDay, 0);
    const preWarmMinutes = props.preWarmMinutes ?? this.preWarmMinutes;
    requireIntegerInRange(this, `${p}.preWarmMinutes`, preWarmMinutes, 0, MAX_PRE_WARM_MINUTES);
    const campaign: Campaign = {
      name,
      localStart: props.start,
      localEnd: props.end,
      timeZone,
      start,
      end,
      peak: { ...props.peak },
      preWarmMinutes,
    };
    this.list.push(campaign);
    if (this.hostingStack) this.addCampaignArtifact(campaign);
    return campaign;
  }

  /** The campaign named `name`, if any. */
  public campaign(name: string): Campaign | undefined {
    return this.list.find((c) => c.name === name);
  }

  /** The demand at instant `t`: the largest figures of the campaigns running (start <= t < end). */
  public demandAt(t: Date): ActiveDemand {
    return largestDemand(this.campaigns.filter((c) => c.start.getTime() <= t.getTime() && t.getTime() < c.end.getTime()));
  }

  /**
   * The campaigns' time as non-overlapping segments, by time: cut at every start and end, each
   * piece with the largest demand of the campaigns running in it; neighbouring pieces with the same
   * demand are joined. Time outside every campaign has no segment.
   */
  public demandSegments(): DemandSegment[] {
    const cs = this.campaigns;
    const pieces = mergeIntervals(cs.map((c) => ({ from: c.start.getTime(), to: c.end.getTime(), value: c })));
    const out: DemandSegment[] = [];
    for (const piece of pieces) {
      const d = largestDemand(piece.values);
      const last = out[out.length - 1];
      if (last && last.to.getTime() === piece.from && sameDemand(last, d)) {
        out[out.length - 1] = { ...last, ...d, campaigns: unionByStart(cs, last.campaigns, d.campaigns), from: last.from, to: new Date(piece.to) };
      } else {
        out.push({ ...d, from: new Date(piece.from), to: new Date(piece.to) });
      }
    }
    return out;
  }

  /**
   * Records rules whose tier follows this calendar; called by the scaling rules. The first one
   * makes synth write the campaigns' tfvars and the schedule next to the stack's Terraform.
   */
  public addScalingRules(rules: IScalingRules): void {
    if (this.followers.includes(rules)) return;
    const stack = TerraformStack.of(this);
    if (!Kinds.HOSTING_STACK.is(stack)) {
      throw new HostingStacksError(this, 'scope', stack.node.path, 'must be a HostingStack: the campaign files are written next to its Terraform');
    }
    requirePeer(this, 'rules', rules, Kinds.SCALING_RULES);
    this.followers.push(rules);
    if (this.hostingStack) return;
    this.hostingStack = stack;
    for (const c of this.list) this.addCampaignArtifact(c);
    const schedule = () => buildScalingSchedule(this);
    stack.addArtifact('scaling/schedule.json', () => renderScalingSchedule(schedule()));
    stack.addArtifact('scaling/crontab', () => renderScalingCrontab(schedule()));
    stack.addArtifact(SCALING_WORKFLOW_ARTIFACT, () => renderScalingWorkflow(schedule()));
    // What the crontab and the workflow run: a count change never carries another change along.
    addCountApplyArtifact(stack);
  }

  private addCampaignArtifact(c: Campaign): void {
    this.hostingStack!.addArtifact(`campaigns/${c.name}.tfvars.json`, () => renderCampaignTfvars(buildScalingSchedule(this).campaignCounts[c.name]));
  }
}

/** A value active over [from, to), in ms since the epoch. */
export interface Interval<T> {
  /** First instant, ms. */
  readonly from: number;
  /** End, ms, exclusive. */
  readonly to: number;
  /** What is active. */
  readonly value: T;
}

/** A piece of time and everything active over all of it. */
export interface IntervalPiece<T> {
  /** First instant, ms. */
  readonly from: number;
  /** End, ms, exclusive. */
  readonly to: number;
  /** The values active over the whole piece, in the order given. */
  readonly values: readonly T[];
}

/**
 * Cuts overlapping intervals into non-overlapping pieces at every boundary, by time; each piece
 * lists the values active over it. Time covered by no interval has no piece. `[0,10) a` and
 * `[5,20) b` give `[0,5) a`, `[5,10) a b`, `[10,20) b`.
 */
export function mergeIntervals<T>(intervals: readonly Interval<T>[]): IntervalPiece<T>[] {
  const cuts = [...new Set(intervals.flatMap((i) => [i.from, i.to]))].sort((a, b) => a - b);
  const pieces: IntervalPiece<T>[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const [from, to] = [cuts[k], cuts[k + 1]];
    const values = intervals.filter((i) => i.from <= from && to <= i.to).map((i) => i.value);
    if (values.length) pieces.push({ from, to, values });
  }
  return pieces;
}

/**
 * The canonical name of an IANA time zone as this runtime's ICU knows it (`Europe/Madrid`), or
 * undefined when the zone is unknown. Checked with `Intl.DateTimeFormat`, which also accepts the
 * old aliases (`Europe/Kiev`) and `UTC`.
 */
export function canonicalTimeZone(timeZone: string): string | undefined {
  if (!timeZone || !/^[A-Za-z][A-Za-z0-9_+/-]*$/.test(timeZone)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields of instant `ms` in `timeZone`. */
function wallClock(ms: number, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute };
}

/**
 * Minutes `timeZone` is ahead of UTC at instant `t` (Europe/Madrid: 60 in winter, 120 in summer),
 * read from `Intl.DateTimeFormat`: the zone's wall clock at `t`, taken as if it were UTC, minus `t`.
 * Zones whose offset has seconds (before 1900) are rounded to the minute.
 */
export function zoneOffsetMinutes(t: Date, timeZone: string): number {
  const ms = Math.floor(t.getTime() / MINUTE_MS) * MINUTE_MS;
  const w = wallClock(ms, timeZone);
  return Math.round((Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - ms) / MINUTE_MS);
}

/**
 * The UTC instant of local wall-clock time `local` (`YYYY-MM-DDTHH:MM`) in `timeZone`. A time that
 * occurs twice (the hour repeated when clocks go back) gives the first occurrence; a time that
 * does not occur (the hour skipped when clocks go forward) gives undefined, as does a malformed one.
 */
export function zonedTimeToUtc(local: string, timeZone: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = m.slice(1).map(Number);
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59) return undefined;
  // The offsets in force a day either side cover both sides of any clock change near `wall`.
  const offsets = new Set([-1, 0, 1].map((d) => zoneOffsetMinutes(new Date(wall + d * 86_400_000), timeZone)));
  const candidates = [...offsets]
    .map((o) => wall - o * MINUTE_MS)
    .filter((t) => zoneOffsetMinutes(new Date(t), timeZone) * MINUTE_MS === wall - t)
    .sort((a, b) => a - b);
  return candidates.length ? new Date(candidates[0]) : undefined;
}

/** Instant `t` as local wall-clock time `YYYY-MM-DDTHH:MM` in `timeZone` (seconds dropped). */
export function formatLocalDateTime(t: Date, timeZone: string): string {
  const w = wallClock(t.getTime(), timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(w.year).padStart(4, '0')}-${two(w.month)}-${two(w.day)}T${two(w.hour)}:${two(w.minute)}`;
}

function requireTimeZone(scope: Construct, prop: string, timeZone: string): string {
  const canonical = canonicalTimeZone(timeZone);
  if (!canonical) throw new HostingStacksError(scope, prop, timeZone, "is not a time zone this runtime knows; use an IANA name such as 'Europe/Madrid' or 'UTC'");
  return canonical;
}

function requireLocalTime(scope: Construct, prop: string, local: string, timeZone: string): Date {
  if (typeof local !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(local)) {
    throw new HostingStacksError(scope, prop, local, "must be a local date and time 'YYYY-MM-DDTHH:MM' (e.g. '2027-11-22T00:00')");
  }
  const t = zonedTimeToUtc(local, timeZone);
  if (t) return t;
  const [y, mo, d, h, mi] = local.split(/[-T:]/).map(Number);
  const real = new Date(Date.UTC(y, mo - 1, d, h, mi));
  if (real.getUTCFullYear() !== y || real.getUTCMonth() !== mo - 1 || real.getUTCDate() !== d || h > 23 || mi > 59) {
    throw new HostingStacksError(scope, prop, local, 'is not a real date and time');
  }
  throw new HostingStacksError(scope, prop, local, `does not exist in ${timeZone}: the clocks skip it when they go forward; pick a time outside the skipped hour`);
}

function largestDemand(cs: readonly Campaign[]): ActiveDemand {
  const max = (xs: (number | undefined)[]): number | undefined => {
    const given = xs.filter((x): x is number => x !== undefined);
    return given.length ? Math.max(...given) : undefined;
  };
  const visitorsPerDay = max(cs.map((c) => c.peak.visitorsPerDay));
  const ordersPerDay = max(cs.map((c) => c.peak.ordersPerDay));
  return {
    campaigns: cs.map((c) => c.name),
    concurrentUsers: Math.max(0, ...cs.map((c) => c.peak.concurrentUsers)),
    ...(visitorsPerDay !== undefined ? { visitorsPerDay } : {}),
    ...(ordersPerDay !== undefined ? { ordersPerDay } : {}),
  };
}

function sameDemand(a: ActiveDemand, b: ActiveDemand): boolean {
  return a.concurrentUsers === b.concurrentUsers && a.visitorsPerDay === b.visitorsPerDay && a.ordersPerDay === b.ordersPerDay;
}

function unionByStart(order: readonly Campaign[], a: readonly string[], b: readonly string[]): string[] {
  return order.map((c) => c.name).filter((n) => a.includes(n) || b.includes(n));
}
