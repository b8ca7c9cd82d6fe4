/**
 * Draws a simulation as a self-contained SVG a person can read: demand (concurrent users) against
 * capacity (serving instances x users per instance) over time, scheduled windows shaded and named,
 * periods under capacity in red, axes with ticks, a legend and the run's figures. No dependencies.
 */
import { SimulationResult } from './simulator';
import { HostingStacksError } from '../core/errors';
import { escapeXml } from '../config/xml';

/** Options of {@link renderDemandChart}. */
export interface DemandChartOptions {
  /** Title at the top. @default - `<tier>: demand against capacity` */
  readonly title?: string;
  /** Width in pixels. @default 1200 */
  readonly width?: number;
  /** Height in pixels. @default 500 */
  readonly height?: number;
  /** Draw from this instant on. @default - the first step */
  readonly from?: Date;
  /** Draw up to this instant (exclusive). @default - the end of the last step */
  readonly to?: Date;
  /** Most points per series; longer spans are grouped per 5 min, 15 min, hour, 6 h, day or week. @default 800 */
  readonly maxPoints?: number;
}

/** Bucket lengths tried, in minutes, shortest first. */
const BUCKETS: readonly { minutes: number; label: string }[] = [
  { minutes: 1, label: 'minute' },
  { minutes: 5, label: '5 minutes' },
  { minutes: 15, label: '15 minutes' },
  { minutes: 60, label: 'hour' },
  { minutes: 360, label: '6 hours' },
  { minutes: 1440, label: 'day' },
  { minutes: 10080, label: 'week' },
];

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const COLOURS = {
  demand: '#1d4ed8',
  capacity: '#15803d',
  capacityBand: '#bbf7d0',
  window: '#e0e7ff',
  windowText: '#4338ca',
  under: '#dc2626',
  grid: '#e5e7eb',
  axis: '#374151',
  text: '#111827',
};

interface Bucket {
  readonly startMs: number;
  readonly endMs: number;
  readonly usersMax: number;
  readonly capacityMin: number;
  readonly capacityMax: number;
  readonly underMinutes: number;
}

/** An integer with thousands separators (`12,345`). */
function formatInt(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A round step giving about `target` ticks up to `max` (1, 2 or 5 times a power of ten). */
function niceStep(max: number, target: number): number {
  const raw = max / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Renders `result` as an SVG document (`<?xml ...?><svg ...>...</svg>`). Long spans are grouped into
 * buckets (a year per day) showing, per bucket, the highest demand, the range of capacity (band) and
 * its highest value (line); a bucket with any minute under capacity is marked red. Times are UTC.
 * Throws a {@link HostingStacksError} for a size below the minimum, an invalid `from` or `to`, or a
 * span that holds no step of the simulation.
 */
export function renderDemandChart(result: SimulationResult, options: DemandChartOptions = {}): string {
  const width = options.width ?? 1200;
  const height = options.height ?? 500;
  const maxPoints = options.maxPoints ?? 800;
  function fail(prop: string, value: unknown, rule: string): never {
    throw HostingStacksError.ofFactory('renderDemandChart', prop, value, rule);
  }
  if (!Number.isInteger(width) || width < 300) fail('width', width, 'must be an integer of at least 300');
  if (!Number.isInteger(height) || height < 200) fail('height', height, 'must be an integer of at least 200');
  if (!Number.isInteger(maxPoints) || maxPoints < 10) fail('maxPoints', maxPoints, 'must be an integer of at least 10');
  for (const prop of ['from', 'to'] as const) {
    const d = options[prop];
    if (d !== undefined && (!(d instanceof Date) || Number.isNaN(d.getTime()))) fail(prop, String(d), 'must be a valid Date');
  }
  if (options.from && options.to && options.to.getTime() <= options.from.getTime()) {
    fail('to', options.to.toISOString(), `must be after 'from' ('${options.from.toISOString()}')`);
  }

  const s = result.series;
  const res = s.resolutionMinutes;
  const seriesStart = s.start.getTime();
  const seriesEnd = seriesStart + s.users.length * res * MINUTE_MS;
  const fromMs = Math.max(seriesStart, options.from?.getTime() ?? seriesStart);
  const toMs = Math.min(seriesEnd, options.to?.getTime() ?? seriesEnd);
  if (!(toMs > fromMs)) {
    const runs = `the simulation runs from ${new Date(seriesStart).toISOString()} to ${new Date(seriesEnd).toISOString()}`;
    if (options.from && options.from.getTime() >= seriesEnd) fail('from', options.from.toISOString(), `must be before the end of the simulation: ${runs}`);
    if (options.to && options.to.getTime() <= seriesStart) fail('to', options.to.toISOString(), `must be after the start of the simulation: ${runs}`);
    fail('result.series.users', s.users, 'must hold at least one step to draw');
  }
  const first = Math.floor((fromMs - seriesStart) / (res * MINUTE_MS));
  const last = Math.ceil((toMs - seriesStart) / (res * MINUTE_MS)); // exclusive
  const spanMinutes = (last - first) * res;
  const bucket = BUCKETS.find((b) => b.minutes >= res && spanMinutes / b.minutes <= maxPoints) ?? BUCKETS[BUCKETS.length - 1];
  const perBucket = bucket.minutes / res;

  // Buckets are aligned on the first step drawn.
  const buckets: Bucket[] = [];
  for (let i = first; i < last; i += perBucket) {
    const end = Math.min(last, i + perBucket);
    let usersMax = 0;
    let capacityMin = Number.POSITIVE_INFINITY;
    let capacityMax = 0;
    let underMinutes = 0;
    for (let k = i; k < end; k++) {
      usersMax = Math.max(usersMax, s.users[k]);
      capacityMin = Math.min(capacityMin, s.capacity[k]);
      capacityMax = Math.max(capacityMax, s.capacity[k]);
      underMinutes += s.underCapacityMinutes[k];
    }
    buckets.push({ startMs: seriesStart + i * res * MINUTE_MS, endMs: seriesStart + end * res * MINUTE_MS, usersMax, capacityMin, capacityMax, underMinutes });
  }

  const margin = { left: 78, right: 24, top: 48, bottom: 112 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const t0 = buckets[0].startMs;
  const t1 = buckets[buckets.length - 1].endMs;
  const yTop = Math.max(1, ...buckets.map((b) => Math.max(b.usersMax, b.capacityMax)));
  const yStep = niceStep(yTop * 1.05, 6);
  const yMax = Math.ceil((yTop * 1.05) / yStep) * yStep;
  const x = (ms: number): number => margin.left + ((ms - t0) / (t1 - t0)) * plotW;
  const y = (v: number): number => margin.top + plotH - (v / yMax) * plotH;
  const f = (v: number): string => v.toFixed(1);

  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`);
  const title = options.title ?? `${result.plan.tier}: demand against capacity`;
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text id="title" x="${width / 2}" y="28" text-anchor="middle" font-size="17" font-weight="bold" fill="${COLOURS.text}">${escapeXml(title)}</text>`);

  // Scheduled windows, behind everything.
  out.push('<g id="scheduled-windows">');
  for (const w of result.plan.scheduled) {
    const a = Math.max(t0, w.scaleOutAt.getTime());
    const b = Math.min(t1, w.scaleInAt.getTime());
    if (b <= a) continue;
    const wx = x(a);
    const ww = Math.max(1, x(b) - wx);
    out.push(`<rect x="${f(wx)}" y="${margin.top}" width="${f(ww)}" height="${plotH}" fill="${COLOURS.window}"><title>${escapeXml(`${w.campaign}: ${w.count} instances from ${w.scaleOutAt.toISOString()} to ${w.scaleInAt.toISOString()}`)}</title></rect>`);
    if (ww >= 24) {
      out.push(`<text x="${f(wx + ww / 2)}" y="${margin.top + 14}" text-anchor="middle" font-size="11" fill="${COLOURS.windowText}">${escapeXml(w.campaign)}</text>`);
    }
  }
  out.push('</g>');

  // Grid and y axis.
  out.push('<g id="y-axis">');
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    out.push(`<line x1="${margin.left}" y1="${f(y(v))}" x2="${margin.left + plotW}" y2="${f(y(v))}" stroke="${COLOURS.grid}"/>`);
    out.push(`<text x="${margin.left - 8}" y="${f(y(v) + 4)}" text-anchor="end" fill="${COLOURS.axis}">${formatInt(v)}</text>`);
  }
  out.push(`<text x="18" y="${f(margin.top + plotH / 2)}" text-anchor="middle" transform="rotate(-90 18 ${f(margin.top + plotH / 2)})" fill="${COLOURS.axis}">concurrent users</text>`);
  out.push('</g>');

  // Under-capacity buckets.
  out.push('<g id="under-capacity">');
  for (const b of buckets) {
    if (b.underMinutes <= 0) continue;
    const bx = x(b.startMs);
    const bw = Math.max(2, x(b.endMs) - bx);
    out.push(`<rect x="${f(bx)}" y="${margin.top}" width="${f(bw)}" height="${plotH}" fill="${COLOURS.under}" fill-opacity="0.25"><title>${escapeXml(`${formatInt(b.underMinutes)} min under capacity from ${new Date(b.startMs).toISOString()}`)}</title></rect>`);
    out.push(`<rect x="${f(bx)}" y="${margin.top + plotH - 4}" width="${f(bw)}" height="4" fill="${COLOURS.under}"/>`);
  }
  out.push('</g>');

  // Capacity: the band of its range per bucket, then its highest value as a step line.
  const upper = buckets.map((b) => `L${f(x(b.startMs))},${f(y(b.capacityMax))} L${f(x(b.endMs))},${f(y(b.capacityMax))}`).join(' ');
  const lower = buckets.slice().reverse().map((b) => `L${f(x(b.endMs))},${f(y(b.capacityMin))} L${f(x(b.startMs))},${f(y(b.capacityMin))}`).join(' ');
  out.push(`<path id="capacity-band" d="M${upper.slice(1)} ${lower} Z" fill="${COLOURS.capacityBand}" fill-opacity="0.8" stroke="none"/>`);
  out.push(`<path id="capacity" d="M${upper.slice(1)}" fill="none" stroke="${COLOURS.capacity}" stroke-width="1.6"/>`);

  // Demand: the highest users per bucket, at the bucket's middle.
  const demand = buckets.map((b, i) => `${i === 0 ? 'M' : 'L'}${f(x((b.startMs + b.endMs) / 2))},${f(y(b.usersMax))}`).join(' ');
  out.push(`<path id="demand" d="${demand}" fill="none" stroke="${COLOURS.demand}" stroke-width="1.4" stroke-linejoin="round"/>`);

  // X axis, ticks by span.
  out.push('<g id="x-axis">');
  out.push(`<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="${COLOURS.axis}"/>`);
  out.push(`<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="${COLOURS.axis}"/>`);
  for (const tick of timeTicks(t0, t1)) {
    const tx = x(tick.ms);
    out.push(`<line x1="${f(tx)}" y1="${margin.top + plotH}" x2="${f(tx)}" y2="${margin.top + plotH + 5}" stroke="${COLOURS.axis}"/>`);
    out.push(`<text x="${f(tx)}" y="${margin.top + plotH + 18}" text-anchor="middle" fill="${COLOURS.axis}">${escapeXml(tick.label)}</text>`);
  }
  out.push(`<text x="${margin.left + plotW / 2}" y="${margin.top + plotH + 36}" text-anchor="middle" fill="${COLOURS.axis}">time (UTC), ${escapeXml(bucket.minutes === res ? `one point per ${bucket.label}` : `grouped per ${bucket.label}`)}</text>`);
  out.push('</g>');

  // Legend and figures.
  const upi = formatInt(result.plan.capacity.usersPerInstance);
  const per = bucket.minutes === res ? '' : ` (highest per ${bucket.label})`;
  const items: { colour: string; kind: 'line' | 'box'; label: string; opacity?: number }[] = [
    { colour: COLOURS.demand, kind: 'line', label: `demand: concurrent users${per}` },
    { colour: COLOURS.capacity, kind: 'line', label: `capacity: serving instances x ${upi} users${per}` },
    { colour: COLOURS.capacityBand, kind: 'box', label: 'capacity range' },
    { colour: COLOURS.window, kind: 'box', label: 'scheduled window' },
    { colour: COLOURS.under, kind: 'box', label: 'under capacity', opacity: 0.5 },
  ];
  out.push('<g id="legend">');
  // Items flow left to right and wrap; ~7 px per character of 12 px DejaVu Sans.
  let lx = margin.left;
  let ly = margin.top + plotH + 58;
  for (const item of items) {
    const itemWidth = 28 + item.label.length * 7;
    if (lx > margin.left && lx + itemWidth > width - margin.right) {
      lx = margin.left;
      ly += 20;
    }
    if (item.kind === 'line') out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${item.colour}" stroke-width="2.5"/>`);
    else out.push(`<rect x="${lx}" y="${ly - 11}" width="22" height="12" fill="${item.colour}"${item.opacity ? ` fill-opacity="${item.opacity}"` : ''} stroke="#9ca3af" stroke-width="0.5"/>`);
    out.push(`<text x="${lx + 28}" y="${ly}" fill="${COLOURS.text}">${escapeXml(item.label)}</text>`);
    lx += itemWidth + 20;
  }
  out.push('</g>');
  const cost = result.costEur === undefined ? 'cost unknown (no price)' : `${formatInt(result.costEur)} EUR at ${result.eurPerHour} EUR/h`;
  const figures = [
    `${formatInt(result.instanceHours)} instance-hours`,
    cost,
    `${formatInt(result.minutesUnderCapacity)} min under capacity`,
    `peak utilisation ${Number.isFinite(result.peakUtilisation) ? `${Math.round(result.peakUtilisation * 100)} %` : 'infinite (no instance serving)'}`,
    `peak ${formatInt(result.peakUsers)} users, up to ${result.peakInstances} instances`,
  ].join('  |  ');
  out.push(`<text id="figures" x="${margin.left}" y="${height - 10}" fill="${COLOURS.text}">${escapeXml(figures)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Tick instants and labels for a span: months, weeks, days or hours, about 6 to 14 ticks. */
function timeTicks(t0: number, t1: number): { ms: number; label: string }[] {
  const span = t1 - t0;
  const ticks: { ms: number; label: string }[] = [];
  if (span > 90 * DAY_MS) {
    const d = new Date(t0);
    let m = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + (d.getUTCDate() === 1 && d.getUTCHours() === 0 ? 0 : 1), 1);
    while (m <= t1) {
      const md = new Date(m);
      ticks.push({ ms: m, label: md.getUTCMonth() === 0 ? `${MONTHS[0]} ${md.getUTCFullYear()}` : MONTHS[md.getUTCMonth()] });
      m = Date.UTC(md.getUTCFullYear(), md.getUTCMonth() + 1, 1);
    }
    return ticks;
  }
  const spanDays = span / DAY_MS;
  const stepMs = spanDays > 28 ? 7 * DAY_MS : spanDays > 14 ? 2 * DAY_MS : spanDays > 4 ? DAY_MS
    : spanDays > 2 ? 12 * 3_600_000 : spanDays > 1 ? 6 * 3_600_000 : span > 8 * 3_600_000 ? 2 * 3_600_000 : 3_600_000;
  for (let t = Math.ceil(t0 / stepMs) * stepMs; t <= t1; t += stepMs) {
    const d = new Date(t);
    const day = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
    ticks.push({ ms: t, label: stepMs >= DAY_MS ? day : d.getUTCHours() === 0 ? day : `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}` });
  }
  return ticks;
}
