/**
 * A deterministic reference year of Monsieur Déguisement traffic (case study 5): a baseline outside
 * campaigns, a daily cycle in Spanish time, a weekly pattern, seasonal campaigns whose busiest day
 * reaches the document's 240,000 visitors and busiest minute its 4,000 concurrent users, and bounded
 * noise drawn from a seeded PRNG. The same seed always gives the same trace.
 *
 * From visitors a day to concurrent users, by Little's law: concurrent users = arrivals per minute x
 * average session minutes. A day of V visitors arrives at V / 1,440 a minute on average; the evening
 * peak runs at {@link MD_DAILY_PEAK_FACTOR} (2) times the average; a session lasts
 * {@link MD_SESSION_MINUTES} (12) minutes. At the busiest minute of the busiest day:
 * 240,000 / 1,440 x 2 x 12 = 166.7 x 24 = 4,000 concurrent users: the document's two figures agree
 * with a 12-minute session and an evening peak twice the day's mean. In general a day's busiest
 * minute holds V / 60 users (before noise).
 */
import { DemandTrace, TraceResolutionMinutes, TRACE_RESOLUTIONS } from '../lib/scaling/demand-trace';
import { MONSIEUR_DEGUISEMENT } from './case-study-figures';

/** 240,000 visitors a day in campaigns (case study 5): the busiest day of the reference year. */
export const MD_REFERENCE_PEAK_VISITORS_PER_DAY: number = MONSIEUR_DEGUISEMENT.campaignVisitorsPerDay;
/** 4,000 concurrent users in total at the peak (case study 5): the busiest minute of the reference year. */
export const MD_REFERENCE_PEAK_CONCURRENT_USERS: number = MONSIEUR_DEGUISEMENT.concurrentUsersTotal;
/** Average visit length in minutes (assumption: a costume shop visit browses several product pages). */
export const MD_SESSION_MINUTES = 12;
/** Arrivals at the evening peak over the day's mean arrivals (assumption: 240,000/day x 2 x 12 min / 1,440 = 4,000). */
export const MD_DAILY_PEAK_FACTOR = (MD_REFERENCE_PEAK_CONCURRENT_USERS * 1440) / (MD_REFERENCE_PEAK_VISITORS_PER_DAY * MD_SESSION_MINUTES);
/**
 * Visitors a day outside campaigns (assumption, not in the case study): one sixth of the campaign
 * figure, i.e. ~720 orders a day at the 1.8 % conversion that 4,250 orders / 240,000 visitors give.
 */
export const MD_BASELINE_VISITORS_PER_DAY = 40000;
/** Bound of the minute-to-minute noise: demand varies by at most +/- 8 % around the model. */
export const MD_MINUTE_NOISE = 0.08;
/** Bound of the day-to-day noise of the baseline: +/- 5 %. */
export const MD_DAY_NOISE = 0.05;
/** Minutes between two knots of the minute noise (linearly interpolated between knots). */
export const MD_NOISE_KNOT_MINUTES = 30;
/** Seed of the reference year the bench replays. */
export const MD_REFERENCE_SEED = 5;
/** Year the bench replays. */
export const MD_REFERENCE_YEAR = 2027;

/**
 * Relative arrivals by hour of the day in Spain (00:00 to 23:00, Europe/Madrid): a night low, a
 * morning climb, the lunch dip, the evening peak at 21:00 (Spanish dinner-time browsing).
 */
export const MD_HOURLY_PROFILE: readonly number[] = [
  0.55, 0.36, 0.22, 0.15, 0.12, 0.12, 0.17, 0.3, 0.48, 0.66, 0.78, 0.86,
  0.9, 0.86, 0.74, 0.76, 0.84, 0.9, 0.95, 1.0, 1.1, 1.3, 1.16, 0.86,
];

/** Day-of-week factors of the baseline, Monday first (Sunday evening and Monday browse most). */
export const MD_WEEKLY_PROFILE: readonly number[] = [1.08, 1.03, 1.0, 0.98, 0.92, 0.87, 1.12];

/** Month factors of the baseline, January first (winter sales, a quiet August, December parties). */
export const MD_MONTHLY_PROFILE: readonly number[] = [1.05, 1.0, 0.95, 0.95, 0.95, 0.9, 0.88, 0.8, 0.95, 1.0, 1.05, 1.1];

/** Options of {@link generateReferenceYear}. */
export interface ReferenceYearOptions {
  /** Seed of the noise (an integer; the same seed gives the same trace). @default MD_REFERENCE_SEED (5) */
  readonly seed?: number;
  /** Calendar year; the trace runs from 1 January 00:00 to 31 December 24:00, Europe/Madrid. @default MD_REFERENCE_YEAR (2027) */
  readonly year?: number;
  /** Step: 1 minute, or 60 (each hour holds its busiest minute). @default 60 */
  readonly resolutionMinutes?: TraceResolutionMinutes;
}

/** Time zone of the reference year's wall clock: Spain (case study 5). */
export const MD_TIME_ZONE = 'Europe/Madrid';

/** A campaign of the reference year: the dates a scaling calendar needs, and its peak. */
export interface ReferenceCampaign {
  /** Kebab-case name. */
  readonly name: string;
  /** First day at 00:00, local time `YYYY-MM-DDTHH:MM` in {@link MD_TIME_ZONE} (what CampaignCalendar.addCampaign takes). */
  readonly localStart: string;
  /** The day after the last day at 00:00, local time in {@link MD_TIME_ZONE}. */
  readonly localEnd: string;
  /** First day, 00:00 Europe/Madrid (as a UTC instant). */
  readonly start: Date;
  /** The day after the last day, 00:00 Europe/Madrid (as a UTC instant). */
  readonly end: Date;
  /** The busiest minute: 21:00 Europe/Madrid on the busiest day. */
  readonly peakAt: Date;
  /** Visitors on the busiest day. */
  readonly peakVisitorsPerDay: number;
  /** Concurrent users at the busiest minute: peakVisitorsPerDay / 1,440 x peak factor x session minutes. */
  readonly peakConcurrentUsers: number;
}

interface CampaignRule {
  readonly name: string;
  /** Local dates [start, end) and peak, as day numbers of `year` (0 = 1 January). */
  readonly days: (year: number) => { start: number; end: number; peak: number };
  readonly peakVisitorsPerDay: number;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
// Campaign days other than the busiest reach at most this share of the peak: the peak day stands
// out, as the last days before a costume is needed do.
const OFF_PEAK_SHARE = 0.85;
// 21:00 local, the busiest hour of MD_HOURLY_PROFILE.
const PEAK_MINUTE_OF_DAY = MD_HOURLY_PROFILE.indexOf(Math.max(...MD_HOURLY_PROFILE)) * 60;

/** Day number in `year` (0 = 1 January) of a month (0-based) and day. */
function dayOfYear(year: number, month: number, day: number): number {
  return Math.round((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / DAY_MS);
}

/** Easter Sunday (Gregorian, anonymous algorithm), as a day number of `year`. */
export function easterDayOfYear(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return dayOfYear(year, month - 1, day);
}

/** Last `weekday` (0 = Sunday) of a month, as a day of the month. */
function lastWeekdayOfMonth(year: number, month: number, weekday: number): number {
  const last = new Date(Date.UTC(year, month + 1, 0));
  return last.getUTCDate() - ((last.getUTCDay() - weekday + 7) % 7);
}

/** Both Europe/Madrid clock changes of `year`, as UTC instants: last Sunday of March and of October, 01:00 UTC. */
function madridSummerTime(year: number): { from: number; to: number } {
  return {
    from: Date.UTC(year, 2, lastWeekdayOfMonth(year, 2, 0), 1),
    to: Date.UTC(year, 9, lastWeekdayOfMonth(year, 9, 0), 1),
  };
}

/** Offset of Europe/Madrid from UTC at a UTC instant, in ms (CET +1 h, CEST +2 h, EU rules since 1996). */
export function madridOffsetMs(utcMs: number): number {
  const s = madridSummerTime(new Date(utcMs).getUTCFullYear());
  return utcMs >= s.from && utcMs < s.to ? 2 * 3_600_000 : 3_600_000;
}

/** The UTC instant of a Europe/Madrid wall-clock time (not inside the skipped spring hour). */
export function madridToUtc(year: number, month: number, day: number, hour = 0, minute = 0): Date {
  const wall = Date.UTC(year, month, day, hour, minute);
  const summer = wall - 2 * 3_600_000;
  return new Date(madridOffsetMs(summer) === 2 * 3_600_000 ? summer : wall - 3_600_000);
}

// The day the clocks change has 23 or 25 hours, so its visitors would not add up to the campaign's
// figure: a peak that falls on it moves to the day before.
function avoidClockChange(year: number, peak: number): number {
  const changes = [dayOfYear(year, 2, lastWeekdayOfMonth(year, 2, 0)), dayOfYear(year, 9, lastWeekdayOfMonth(year, 9, 0))];
  return changes.includes(peak) ? peak - 1 : peak;
}

/**
 * The campaigns of a Spanish costume shop. Halloween's peak is the document's 240,000 visitors a
 * day; the others are assumptions scaled below it.
 */
const CAMPAIGN_RULES: readonly CampaignRule[] = [
  {
    // Carnival Tuesday is Easter Sunday minus 47 days; costumes sell in the four weeks before, most
    // ten days before (the Saturday a week and a half ahead, leaving time for delivery).
    name: 'carnival',
    days: (y) => {
      const tuesday = easterDayOfYear(y) - 47;
      return { start: tuesday - 28, end: tuesday + 1, peak: avoidClockChange(y, tuesday - 10) };
    },
    peakVisitorsPerDay: 216000,
  },
  {
    // Summer sales (rebajas) open on 1 July in Spain; themed-party costumes for the summer fiestas.
    name: 'summer-sales',
    days: (y) => ({ start: dayOfYear(y, 6, 1), end: dayOfYear(y, 6, 15), peak: dayOfYear(y, 6, 2) }),
    peakVisitorsPerDay: 96000,
  },
  {
    // Halloween: the month of October, busiest five days before the 31st: the document's 240,000.
    name: 'halloween',
    days: (y) => ({ start: dayOfYear(y, 9, 1), end: dayOfYear(y, 10, 1), peak: avoidClockChange(y, dayOfYear(y, 9, 26)) }),
    peakVisitorsPerDay: MD_REFERENCE_PEAK_VISITORS_PER_DAY,
  },
  {
    // Black Friday (the day after the fourth Thursday of November) to Cyber Monday, from the Monday before.
    name: 'black-friday',
    days: (y) => {
      const firstThursday = 1 + ((4 - new Date(Date.UTC(y, 10, 1)).getUTCDay() + 7) % 7);
      const friday = dayOfYear(y, 10, firstThursday + 21 + 1);
      return { start: friday - 4, end: friday + 4, peak: friday };
    },
    peakVisitorsPerDay: 180000,
  },
  {
    // Christmas and New Year's Eve parties: from 5 December to the 31st.
    name: 'christmas',
    days: (y) => ({ start: dayOfYear(y, 11, 5), end: dayOfYear(y, 11, 32), peak: dayOfYear(y, 11, 18) }),
    peakVisitorsPerDay: 150000,
  },
];

/** Concurrent users at the busiest minute of a day of `visitorsPerDay` (before noise): V / 1,440 x 2 x 12. */
export function peakConcurrentUsers(visitorsPerDay: number): number {
  return Math.round((visitorsPerDay / 1440) * MD_DAILY_PEAK_FACTOR * MD_SESSION_MINUTES);
}

function validateYear(year: number, who: string): void {
  if (!Number.isInteger(year) || year < 1996 || year > 2999) throw new Error(`${who}: 'year' (${year}) must be an integer from 1996 to 2999`);
}

/**
 * The campaigns of the reference year `year`, in date order: the data a campaign calendar (and so the
 * scaling plan's scheduled windows) is built from, the same the generator draws the traffic from.
 */
export function referenceCampaigns(year: number = MD_REFERENCE_YEAR): readonly ReferenceCampaign[] {
  validateYear(year, 'referenceCampaigns');
  return CAMPAIGN_RULES.map((r) => {
    const d = r.days(year);
    const at = (day: number, minute = 0): Date => {
      const date = new Date(Date.UTC(year, 0, 1 + day));
      return madridToUtc(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), Math.floor(minute / 60), minute % 60);
    };
    const local = (day: number): string => `${new Date(Date.UTC(year, 0, 1 + day)).toISOString().slice(0, 10)}T00:00`;
    return {
      name: r.name,
      localStart: local(d.start),
      localEnd: local(d.end),
      start: at(d.start),
      end: at(d.end),
      peakAt: at(d.peak, PEAK_MINUTE_OF_DAY),
      peakVisitorsPerDay: r.peakVisitorsPerDay,
      peakConcurrentUsers: peakConcurrentUsers(r.peakVisitorsPerDay),
    };
  }).sort((a, b) => a.start.getTime() - b.start.getTime());
}

/**
 * The n-th output (n = 0, 1, ...) of mulberry32(seed), a uniform number in [0, 1). mulberry32 adds
 * 0x6D2B79F5 to a 32-bit state and mixes it, so its n-th output depends only on seed + (n + 1) x
 * 0x6D2B79F5: any output can be drawn directly, in any order, and a slice of the year equals the
 * same slice of the whole year.
 */
export function mulberry32At(seed: number, n: number): number {
  let t = (seed + Math.imul(n + 1, 0x6d2b79f5)) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

// Separate streams for the minute knots and the days, derived from the seed.
const KNOT_STREAM = 0x5eed0001;
const DAY_STREAM = 0x5eed0002;

/** The n-th uniform value in [-1, 1] of one stream of `seed`. */
function noise(seed: number, stream: number, n: number): number {
  const streamSeed = Math.floor(mulberry32At(seed ^ stream, 0) * 4294967296) | 0;
  return 2 * mulberry32At(streamSeed, n) - 1;
}

/** The first `count` values of one stream of `seed`. */
function noiseStream(seed: number, stream: number, count: number): number[] {
  const streamSeed = Math.floor(mulberry32At(seed ^ stream, 0) * 4294967296) | 0;
  return Array.from({ length: count }, (_, n) => 2 * mulberry32At(streamSeed, n) - 1);
}

/**
 * The daily shape, one value per local minute of the day, mean 1 and maximum exactly
 * {@link MD_DAILY_PEAK_FACTOR} at 21:00: {@link MD_HOURLY_PROFILE} interpolated linearly between hours,
 * raised to the power that gives that peak-to-mean ratio (found by bisection), divided by its mean.
 */
export function dailyShape(): readonly number[] {
  const raw: number[] = [];
  for (let minute = 0; minute < 1440; minute++) {
    const h = Math.floor(minute / 60);
    const f = (minute % 60) / 60;
    raw.push(MD_HOURLY_PROFILE[h] * (1 - f) + MD_HOURLY_PROFILE[(h + 1) % 24] * f);
  }
  const ratio = (g: number): number => {
    const p = raw.map((v) => v ** g);
    return Math.max(...p) / (p.reduce((a, b) => a + b, 0) / p.length);
  };
  let lo = 0.01;
  let hi = 10;
  for (let k = 0; k < 100; k++) {
    const mid = (lo + hi) / 2;
    if (ratio(mid) < MD_DAILY_PEAK_FACTOR) lo = mid;
    else hi = mid;
  }
  const p = raw.map((v) => v ** lo);
  const mean = p.reduce((a, b) => a + b, 0) / p.length;
  return p.map((v) => v / mean);
}

/**
 * Visitors of each local day of `year` (index 0 = 1 January) as the model sets them: the level `V`
 * at noon of each day, and over the whole of each campaign's peak day. The trace's day totals match
 * them exactly on peak days and within a few per cent elsewhere (the level is interpolated between
 * noons, so a day's total also leans towards its neighbours).
 */
export function referenceDailyVisitors(options: Pick<ReferenceYearOptions, 'seed' | 'year'> = {}): readonly number[] {
  const seed = options.seed ?? MD_REFERENCE_SEED;
  const year = options.year ?? MD_REFERENCE_YEAR;
  validateYear(year, 'referenceDailyVisitors');
  validateSeed(seed, 'referenceDailyVisitors');
  return dailyModel(seed, year).visitors;
}

function validateSeed(seed: number, who: string): void {
  if (!Number.isInteger(seed)) throw new Error(`${who}: 'seed' (${seed}) must be an integer`);
}

interface DailyModel {
  /** V of each day (the noon level; the whole day's level on a peak day). */
  readonly visitors: number[];
  /** Whether the day is a campaign's peak day. */
  readonly peakDay: boolean[];
  /** The peak V of the campaign the day belongs to (Infinity outside campaigns). */
  readonly cap: number[];
}

function dailyModel(seed: number, year: number): DailyModel {
  const days = (Date.UTC(year + 1, 0, 1) - Date.UTC(year, 0, 1)) / DAY_MS;
  const campaigns = CAMPAIGN_RULES.map((rule) => ({ rule, ...rule.days(year) }));
  const visitors: number[] = [];
  const peakDay: boolean[] = [];
  const cap: number[] = [];
  for (let d = 0; d < days; d++) {
    const date = new Date(Date.UTC(year, 0, 1 + d));
    const weekday = (date.getUTCDay() + 6) % 7; // Monday = 0
    let v = MD_BASELINE_VISITORS_PER_DAY * MD_WEEKLY_PROFILE[weekday] * MD_MONTHLY_PROFILE[date.getUTCMonth()] * (1 + MD_DAY_NOISE * noise(seed, DAY_STREAM, d));
    let isPeak = false;
    let limit = Number.POSITIVE_INFINITY;
    for (const c of campaigns) {
      if (d < c.start || d >= c.end) continue;
      limit = c.rule.peakVisitorsPerDay;
      if (d === c.peak) {
        v = c.rule.peakVisitorsPerDay;
        isPeak = true;
        break;
      }
      const share = d < c.peak
        ? OFF_PEAK_SHARE * ((d - c.start) / (c.peak - c.start)) ** 2
        : (OFF_PEAK_SHARE * (c.end - d)) / (c.end - c.peak);
      v = Math.max(v, c.rule.peakVisitorsPerDay * share);
    }
    visitors.push(v);
    peakDay.push(isPeak);
    cap.push(limit);
  }
  return { visitors, peakDay, cap };
}

/**
 * The level V for every wall-clock minute of the year (day x 1,440 + minute of day): linear between
 * the noon of each day, flat over a peak day (from its 00:00 to its 24:00), so that demand has no
 * step at midnight and a peak day holds exactly its campaign's figure.
 */
function levelPerWallMinute(model: DailyModel): Float64Array {
  const knots: { w: number; v: number }[] = [];
  model.visitors.forEach((v, d) => {
    if (model.peakDay[d]) knots.push({ w: d * 1440, v }, { w: d * 1440 + 720, v }, { w: (d + 1) * 1440, v });
    else knots.push({ w: d * 1440 + 720, v });
  });
  const level = new Float64Array(model.visitors.length * 1440);
  let k = 0;
  for (let w = 0; w < level.length; w++) {
    while (k + 1 < knots.length && knots[k + 1].w <= w) k++;
    const a = knots[k];
    const b = knots[k + 1];
    if (w <= a.w || b === undefined) level[w] = a.v;
    else level[w] = a.v + ((b.v - a.v) * (w - a.w)) / (b.w - a.w);
  }
  return level;
}

/**
 * Generates the reference year of Monsieur Déguisement front-end demand, deterministically.
 *
 * Model, per minute of the year (Europe/Madrid wall clock, daylight saving by the EU rules):
 * `users = V(t) / 1,440 x shape(minute of day) x 12 x (1 + noise)`, rounded, where
 * - `V` outside campaigns is {@link MD_BASELINE_VISITORS_PER_DAY} x weekday factor
 *   ({@link MD_WEEKLY_PROFILE}) x month factor ({@link MD_MONTHLY_PROFILE}) x (1 +/- 5 % day noise);
 * - within a campaign ({@link referenceCampaigns}) `V` climbs quadratically from the baseline to 85 %
 *   of the campaign's peak the day before the peak, is exactly the peak over the peak day, and falls
 *   linearly to the end; the larger of baseline and campaign wins;
 * - `V(t)` is interpolated linearly between the noons of the days (flat over a peak day), so demand
 *   never jumps at midnight ({@link referenceDailyVisitors});
 * - `shape` is {@link dailyShape} (mean 1, 2 at 21:00); 12 is {@link MD_SESSION_MINUTES} (Little's law);
 * - `noise` is bounded by +/- 8 %, interpolated between knots every 30 minutes, each knot and each
 *   day's noise an output of mulberry32 ({@link mulberry32At}) seeded from `seed`; inside a campaign
 *   the bound shrinks to what keeps `V(t) x (1 + bound)` at or below the campaign's peak, so a peak
 *   day carries no noise and each campaign's busiest minute is exactly its declared peak: the
 *   year's busiest minute is 4,000 users at 21:00 on 26 October (Halloween), a day of 240,000.
 *
 * At 60-minute resolution each hour holds its busiest minute, so an hourly replay is never milder
 * than the minute one. The trace starts at 1 January 00:00 Europe/Madrid and has 365 (or 366) x 1,440
 * minutes.
 */
export function generateReferenceYear(options: ReferenceYearOptions = {}): DemandTrace {
  const seed = options.seed ?? MD_REFERENCE_SEED;
  const year = options.year ?? MD_REFERENCE_YEAR;
  const resolutionMinutes = options.resolutionMinutes ?? 60;
  validateSeed(seed, 'generateReferenceYear');
  validateYear(year, 'generateReferenceYear');
  if (!TRACE_RESOLUTIONS.includes(resolutionMinutes)) {
    throw new Error(`generateReferenceYear: 'resolutionMinutes' (${String(resolutionMinutes)}) must be 1 or 60`);
  }
  const model = dailyModel(seed, year);
  const level = levelPerWallMinute(model);
  const shape = dailyShape();
  const start = madridToUtc(year, 0, 1);
  const minutes = model.visitors.length * 1440;
  const yearStartWall = Date.UTC(year, 0, 1);
  const summer = madridSummerTime(year);
  const users: number[] = new Array<number>(minutes / resolutionMinutes);
  const knots = noiseStream(seed, KNOT_STREAM, Math.ceil(minutes / MD_NOISE_KNOT_MINUTES) + 1);
  let bucketMax = 0;
  for (let k = 0; k < minutes; k++) {
    const utc = start.getTime() + k * MINUTE_MS;
    const offset = utc >= summer.from && utc < summer.to ? 2 * 3_600_000 : 3_600_000;
    const wall = Math.floor((utc + offset - yearStartWall) / MINUTE_MS);
    const day = Math.floor(wall / 1440);
    const v = level[wall];
    const f = (k % MD_NOISE_KNOT_MINUTES) / MD_NOISE_KNOT_MINUTES;
    const knot = Math.floor(k / MD_NOISE_KNOT_MINUTES);
    // The noise's bound shrinks near a campaign's peak so that no minute exceeds it.
    const amplitude = Math.min(MD_MINUTE_NOISE, Math.max(0, model.cap[day] / v - 1));
    const eps = amplitude * (knots[knot] * (1 - f) + knots[knot + 1] * f);
    const u = Math.round((v / 1440) * shape[wall - day * 1440] * MD_SESSION_MINUTES * (1 + eps));
    if (resolutionMinutes === 1) {
      users[k] = u;
    } else {
      bucketMax = k % 60 === 0 ? u : Math.max(bucketMax, u);
      if (k % 60 === 59) users[(k - 59) / 60] = bucketMax;
    }
  }
  return { resolutionMinutes, start, users };
}

/**
 * Visitors of each local day of a trace that starts at local midnight, by Little's law: the sum over
 * the day of users x step minutes, divided by {@link MD_SESSION_MINUTES}. Exact for a minute trace;
 * an hourly trace of busiest minutes overstates it.
 */
export function visitorsPerDay(trace: DemandTrace): readonly number[] {
  const out: number[] = [];
  const start = trace.start.getTime();
  const wallStart = start + madridOffsetMs(start);
  for (let i = 0; i < trace.users.length; i++) {
    const utc = start + i * trace.resolutionMinutes * MINUTE_MS;
    const day = Math.floor((utc + madridOffsetMs(utc) - wallStart) / DAY_MS);
    out[day] = (out[day] ?? 0) + (trace.users[i] * trace.resolutionMinutes) / MD_SESSION_MINUTES;
  }
  return out;
}
