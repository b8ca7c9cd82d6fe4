/**
 * The architecture diagram as a standalone SVG, from the same {@link ArchitectureModel} as the
 * Mermaid one, so that a reviewer sees it without a Mermaid renderer. The layout is computed here
 * (no browser, no layout engine): outside sources in the first column, then a column per zone in
 * the order users' requests reach them, the tiers stacked in their zone, grouped by site.
 */
import { ArchitectureModel, ArchitectureTier, FlowPurpose } from './architecture-model';
import { drawnFlows, tierLines } from './architecture-mermaid';

/** A box of the layout. */
export interface LayoutBox {
  /** The tier's, zone's or external's id. */
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Where everything of the diagram is drawn. */
export interface ArchitectureLayout {
  readonly width: number;
  readonly height: number;
  /** A box per zone (its frame). */
  readonly zones: readonly LayoutBox[];
  /** A box per tier and per external. */
  readonly nodes: readonly LayoutBox[];
  /** The flows routed around the zones between their ends, and the height of their lane. */
  readonly lanes: readonly LayoutLane[];
}

/** A flow routed along a horizontal lane above or below the zones. */
export interface LayoutLane {
  readonly from: string;
  readonly to: string;
  readonly y: number;
}

const BOX_W = 290;
const BOX_H = 70;
const GAP_Y = 18;
const COL_GAP = 90;
const ZONE_PAD = 14;
const ZONE_TITLE = 24;
const TOP = 56;
const LEFT = 20;
const EXTERNAL_W = 150;
const LANE = 14;

/** Depth of each tier: flows from outside to it, following service flows (unreached: after all). */
function depths(model: ArchitectureModel): Map<string, number> {
  const depth = new Map<string, number>(model.externals.map((e) => [e.id, 0]));
  const queue = model.externals.map((e) => e.id);
  const flows = model.flows.filter((f) => f.purpose === FlowPurpose.SERVICE);
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const f of flows) {
      if (f.from === id && !depth.has(f.to)) {
        depth.set(f.to, depth.get(id)! + 1);
        queue.push(f.to);
      }
    }
  }
  return depth;
}

/** The outside sources a drawn flow comes from (an admin network's SSH is not drawn). */
function drawnExternals(model: ArchitectureModel): ArchitectureModel['externals'] {
  const flows = drawnFlows(model);
  return model.externals.filter((e) => flows.some((f) => f.from === e.id));
}

/** Lays `model` out: a column per zone, ordered by how deep users' requests reach it (zones users never reach last). */
export function layoutArchitecture(model: ArchitectureModel): ArchitectureLayout {
  const depth = depths(model);
  const far = model.tiers.length + 1;
  const d = (t: ArchitectureTier) => depth.get(t.id) ?? far;
  const zoneOrder = model.zones
    .map((z, i) => ({ z, i, tiers: model.tiers.filter((t) => t.zone === z.id) }))
    .filter((x) => x.tiers.length > 0)
    // Zones users' requests reach first, then zones only staff and operations use.
    .map((x) => ({ ...x, rank: x.tiers.some((t) => model.userFacing.includes(t.id)) ? 0 : 1 }))
    .sort((a, b) => a.rank - b.rank || Math.min(...a.tiers.map(d)) - Math.min(...b.tiers.map(d)) || a.i - b.i);
  const siteRank = (t: ArchitectureTier) => (t.sites.length === 1 ? model.sites.indexOf(t.sites[0]) : model.sites.length);
  const nodes: LayoutBox[] = [];
  const zones: LayoutBox[] = [];
  const externals = drawnExternals(model);
  externals.forEach((e, i) => nodes.push({ id: e.id, x: LEFT, y: TOP + ZONE_TITLE + ZONE_PAD + i * (BOX_H + GAP_Y), width: EXTERNAL_W, height: BOX_H }));
  let x = LEFT + (externals.length > 0 ? EXTERNAL_W + COL_GAP : 0);
  let height = TOP + ZONE_TITLE + ZONE_PAD + externals.length * (BOX_H + GAP_Y);
  for (const { z, tiers } of zoneOrder) {
    const sorted = [...tiers].sort((a, b) => siteRank(a) - siteRank(b) || d(a) - d(b) || model.tiers.indexOf(a) - model.tiers.indexOf(b));
    sorted.forEach((t, i) => nodes.push({ id: t.id, x: x + ZONE_PAD, y: TOP + ZONE_TITLE + ZONE_PAD + i * (BOX_H + GAP_Y), width: BOX_W, height: BOX_H }));
    const zoneHeight = ZONE_TITLE + 2 * ZONE_PAD + sorted.length * (BOX_H + GAP_Y) - GAP_Y;
    zones.push({ id: z.id, x, y: TOP, width: BOX_W + 2 * ZONE_PAD, height: zoneHeight });
    height = Math.max(height, TOP + zoneHeight);
    x += BOX_W + 2 * ZONE_PAD + COL_GAP;
  }
  // A flow that would cross a zone between its ends runs along a lane instead: above the zones
  // going right, below them going left, one lane each.
  const box = new Map(nodes.map((n) => [n.id, n]));
  const crosses = (from: LayoutBox, to: LayoutBox) => zones.some((z) => z.x > Math.min(from.x, to.x) + 1 && z.x + z.width < Math.max(from.x + from.width, to.x + to.width) - 1 && !(from.x >= z.x && from.x < z.x + z.width) && !(to.x >= z.x && to.x < z.x + z.width));
  const long = drawnFlows(model).filter((f) => crosses(box.get(f.from)!, box.get(f.to)!));
  const above = long.filter((f) => box.get(f.to)!.x > box.get(f.from)!.x);
  const below = long.filter((f) => box.get(f.to)!.x < box.get(f.from)!.x);
  const shift = above.length * LANE;
  const moved = (b: LayoutBox): LayoutBox => ({ ...b, y: b.y + shift });
  const bottom = height + shift + LANE;
  const lanes: LayoutLane[] = [
    ...above.map((f, i) => ({ from: f.from, to: f.to, y: TOP - 4 + (i + 1) * LANE - LANE / 2 })),
    ...below.map((f, i) => ({ from: f.from, to: f.to, y: bottom + i * LANE })),
  ];
  // Room on the right for a flow within the last column, which bends out of it.
  return { width: x - COL_GAP + LEFT + 70, height: height + shift + below.length * LANE + 90, zones: zones.map(moved), nodes: nodes.map(moved), lanes };
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Options of {@link renderArchitectureSvg}. */
export interface ArchitectureSvgOptions {
  /** Tiers outlined in red. @default [] */
  readonly singlePointsOfFailure?: readonly string[];
  /** A line under the title (the modelled availability). @default - none */
  readonly subtitle?: string;
}

/** Renders `model` as a standalone SVG document. */
export function renderArchitectureSvg(model: ArchitectureModel, options: ArchitectureSvgOptions = {}): string {
  const layout = layoutArchitecture(model);
  const box = new Map(layout.nodes.map((n) => [n.id, n]));
  const spof = new Set(options.singlePointsOfFailure ?? []);
  const zoneById = new Map(model.zones.map((z) => [z.id, z]));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">`);
  out.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#37474f"/></marker>'
    + '<marker id="arrow-ops" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#9e9e9e"/></marker></defs>');
  out.push(`<rect width="${layout.width}" height="${layout.height}" fill="#ffffff"/>`);
  out.push(`<text x="${LEFT}" y="24" font-size="16" font-weight="bold">${xml(model.stack)}: architecture</text>`);
  if (options.subtitle) out.push(`<text x="${LEFT}" y="42" font-size="12" fill="#455a64">${xml(options.subtitle)}</text>`);
  for (const z of layout.zones) {
    const zone = zoneById.get(z.id)!;
    out.push(`<rect x="${z.x}" y="${z.y}" width="${z.width}" height="${z.height}" rx="8" fill="#eef3f8" stroke="#90a4ae"/>`);
    out.push(`<text x="${z.x + 10}" y="${z.y + 17}" font-weight="bold" fill="#37474f">${xml(`${zone.id} · ${zone.cidr}`)}</text>`);
  }
  // Flows under the boxes: a curve from the source's side facing the target to the target's facing side.
  const labels: string[] = [];
  const placed: { x: number; y: number; w: number }[] = [];
  for (const f of drawnFlows(model)) {
    const a = box.get(f.from)!;
    const b = box.get(f.to)!;
    const forward = b.x >= a.x + a.width;
    const sameColumn = !forward && b.x + b.width > a.x;
    const x1 = forward || sameColumn ? a.x + a.width : a.x;
    const x2 = forward ? b.x : b.x + b.width;
    const y1 = a.y + a.height / 2;
    const y2 = b.y + b.height / 2;
    const bend = sameColumn ? 60 : Math.max(40, Math.abs(x2 - x1) / 2);
    const c1 = forward || sameColumn ? x1 + bend : x1 - bend;
    const c2 = forward ? x2 - bend : x2 + bend;
    const ops = f.purpose !== FlowPurpose.SERVICE;
    const lane = layout.lanes.find((l) => l.from === f.from && l.to === f.to);
    const d = lane
      ? `M${x1},${y1} C${c1 > x1 ? x1 + 30 : x1 - 30},${y1} ${c1 > x1 ? x1 + 30 : x1 - 30},${lane.y} ${c1 > x1 ? x1 + 50 : x1 - 50},${lane.y} L${c2 < x2 ? x2 - 50 : x2 + 50},${lane.y} C${c2 < x2 ? x2 - 30 : x2 + 30},${lane.y} ${c2 < x2 ? x2 - 30 : x2 + 30},${y2} ${x2},${y2}`
      : `M${x1},${y1} C${c1},${y1} ${c2},${y2} ${x2},${y2}`;
    out.push(`<path d="${d}" fill="none" stroke="${ops ? '#9e9e9e' : '#37474f'}" stroke-width="${ops ? 1 : 1.5}"${ops ? ' stroke-dasharray="5 4"' : ''} marker-end="url(#${ops ? 'arrow-ops' : 'arrow'})"/>`);
    const text = f.ports.join(', ');
    // The label sits in the gutter before the target's zone (no box there), where the curve
    // crosses it; a curve within one column is labelled at its far point. Moved down past labels
    // already placed there.
    const bez = (p0: number, p1: number, p2: number, p3: number, t: number) => (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3;
    const gutter = sameColumn ? undefined : forward ? b.x - ZONE_PAD - COL_GAP / 2 : b.x + b.width + ZONE_PAD + COL_GAP / 2;
    let t = 0.5;
    if (gutter !== undefined) {
      let lo = 0;
      let hi = 1;
      for (let i = 0; i < 30; i++) {
        t = (lo + hi) / 2;
        const before = forward ? bez(x1, c1, c2, x2, t) < gutter : bez(x1, c1, c2, x2, t) > gutter;
        if (before) lo = t; else hi = t;
      }
    }
    const mx = lane && gutter !== undefined ? gutter : bez(x1, c1, c2, x2, t);
    const w = text.length * 6.2 + 6;
    let my = lane ? lane.y : bez(y1, y1, y2, y2, t);
    while (placed.some((p) => Math.abs(p.x - mx) < (p.w + w) / 2 && Math.abs(p.y - my) < 15)) my += 15;
    placed.push({ x: mx, y: my, w });
    labels.push(`<rect x="${mx - w / 2}" y="${my - 8}" width="${w}" height="14" fill="#ffffff" opacity="0.85"/><text x="${mx}" y="${my + 3}" text-anchor="middle" font-size="10" fill="${ops ? '#757575' : '#263238'}">${xml(text)}</text>`);
  }
  for (const e of drawnExternals(model)) {
    const n = box.get(e.id)!;
    out.push(`<rect x="${n.x}" y="${n.y}" width="${n.width}" height="${n.height}" rx="${n.height / 2}" fill="#fff8e1" stroke="#f9a825"/>`);
    out.push(`<text x="${n.x + n.width / 2}" y="${n.y + n.height / 2 + 4}" text-anchor="middle" font-weight="bold">${xml(e.label)}</text>`);
  }
  for (const t of model.tiers) {
    const n = box.get(t.id)!;
    const isSpof = spof.has(t.id);
    const stroke = isSpof ? ' stroke="#c62828" stroke-width="3"' : ' stroke="#546e7a"';
    const dash = t.fallback ? ' stroke-dasharray="5 3"' : '';
    const fill = t.role === 'service' ? '#ffffff' : '#f5f5f5';
    out.push(`<rect x="${n.x}" y="${n.y}" width="${n.width}" height="${n.height}" rx="5" fill="${fill}"${stroke}${dash}/>`);
    const [name, kind, servers] = tierLines(t);
    const [kindName, redundancy] = kind.split(' · ');
    const tags = [t.sites.length === 1 && model.sites.length > 0 ? `site ${t.sites[0]}` : '', isSpof ? 'SPOF' : '', t.fallback ? 'fallback' : ''].filter((s) => s !== '').join(' · ');
    out.push(`<text x="${n.x + 8}" y="${n.y + 16}" font-weight="bold">${xml(name)}${tags ? `<tspan dx="8" fill="${isSpof ? '#c62828' : '#607d8b'}">${xml(tags)}</tspan>` : ''}</text>`);
    out.push(`<text x="${n.x + 8}" y="${n.y + 31}" font-size="10" fill="#455a64">${xml(kindName)}</text>`);
    out.push(`<text x="${n.x + 8}" y="${n.y + 45}" font-size="10" fill="#455a64">${xml(redundancy)}</text>`);
    out.push(`<text x="${n.x + 8}" y="${n.y + 59}" font-size="10" fill="#455a64">${xml(servers)}</text>`);
  }
  out.push(...labels);
  const ly = layout.height - 40;
  out.push(`<g font-size="11" fill="#37474f"><path d="M${LEFT},${ly} L${LEFT + 40},${ly}" stroke="#37474f" stroke-width="1.5" marker-end="url(#arrow)"/><text x="${LEFT + 48}" y="${ly + 4}">users' requests (service flow)</text>`
    + `<path d="M${LEFT + 250},${ly} L${LEFT + 290},${ly}" stroke="#9e9e9e" stroke-dasharray="5 4" marker-end="url(#arrow-ops)"/><text x="${LEFT + 298}" y="${ly + 4}">monitoring, backups, deployments</text>`
    + `<rect x="${LEFT + 520}" y="${ly - 8}" width="24" height="16" fill="#ffffff" stroke="#c62828" stroke-width="3"/><text x="${LEFT + 552}" y="${ly + 4}">single point of failure</text>`
    + `<text x="${LEFT}" y="${ly + 24}" fill="#757575">SSH (administration) flows are not drawn: see ARCHITECTURE.md</text></g>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
