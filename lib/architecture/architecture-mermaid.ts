/**
 * The architecture diagram as Mermaid (`flowchart LR`): zones (vSwitches) as subgraphs, inside the
 * site's subgraph when the stack has sites, a node per tier with its redundancy and servers, a node
 * per outside source, and an edge per flow (service flows solid, operations dashed). SSH flows are
 * left out of the drawing (they reach nearly every tier); the notes count them.
 */
import { ArchitectureModel, ArchitectureTier, FlowPurpose } from './architecture-model';

/** Text for a Mermaid label in `"..."`: quotes and angle brackets as entities. */
function label(text: string): string {
  return text.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

/** A tier's label lines: id, kind and redundancy, servers. */
export function tierLines(t: ArchitectureTier): string[] {
  const servers = t.flavors.length === 0 ? 'managed service'
    : `${t.count === t.maxCount ? t.count : `${t.count} to ${t.maxCount}`} × ${t.flavors.join(', ')}`;
  return [t.id, `${t.kind} · ${t.redundancy.description}`, servers];
}

/** The flows a diagram draws: all but administration. */
export function drawnFlows(model: ArchitectureModel): ArchitectureModel['flows'] {
  return model.flows.filter((f) => f.purpose !== FlowPurpose.ADMINISTRATION);
}

/** Renders `model` as a Mermaid flowchart; `singlePointsOfFailure` are outlined in red. */
export function renderArchitectureMermaid(model: ArchitectureModel, singlePointsOfFailure: readonly string[] = []): string {
  const ids = new Map<string, string>();
  model.externals.forEach((e, i) => ids.set(e.id, `x${i}`));
  model.tiers.forEach((t, i) => ids.set(t.id, `t${i}`));
  const out = ['flowchart LR'];
  for (const e of model.externals) out.push(`  ${ids.get(e.id)}(("${label(e.label)}"))`);
  const node = (t: ArchitectureTier, indent: string) => `${indent}${ids.get(t.id)}["${tierLines(t).map(label).join('<br/>')}"]`;
  const zoneBlock = (id: string, title: string, tiers: ArchitectureTier[], indent: string) => {
    if (tiers.length === 0) return;
    out.push(`${indent}subgraph ${id}["${label(title)}"]`);
    for (const t of tiers) out.push(node(t, `${indent}  `));
    out.push(`${indent}end`);
  };
  const inSite = (t: ArchitectureTier, site: string) => t.sites.length === 1 && t.sites[0] === site;
  model.sites.forEach((site, s) => {
    const tiers = model.tiers.filter((t) => inSite(t, site));
    if (tiers.length === 0) return;
    out.push(`  subgraph s${s}["site ${label(site)}"]`);
    model.zones.forEach((z, i) => zoneBlock(`s${s}z${i}`, `${z.id} · ${z.cidr}`, tiers.filter((t) => t.zone === z.id), '    '));
    out.push('  end');
  });
  const unsited = model.tiers.filter((t) => t.sites.length !== 1 || !model.sites.includes(t.sites[0]));
  model.zones.forEach((z, i) => zoneBlock(`z${i}`, `${z.id} · ${z.cidr}${model.sites.length > 0 ? ' (all sites)' : ''}`, unsited.filter((t) => t.zone === z.id), '  '));
  for (const f of drawnFlows(model)) {
    const arrow = f.purpose === FlowPurpose.SERVICE ? '-->' : '-.->';
    out.push(`  ${ids.get(f.from)} ${arrow}|"${label(f.ports.join(', '))}"| ${ids.get(f.to)}`);
  }
  out.push('  classDef spof stroke:#c62828,stroke-width:3px');
  out.push('  classDef fallback stroke-dasharray:4 3');
  const spofIds = singlePointsOfFailure.map((id) => ids.get(id)).filter((x): x is string => x !== undefined);
  if (spofIds.length > 0) out.push(`  class ${spofIds.join(',')} spof`);
  const fallbacks = model.tiers.filter((t) => t.fallback).map((t) => ids.get(t.id)!);
  if (fallbacks.length > 0) out.push(`  class ${fallbacks.join(',')} fallback`);
  return `${out.join('\n')}\n`;
}
