/**
 * `ARCHITECTURE.md`, `architecture.svg` and `architecture.json`, written next to each stack's
 * Terraform: the diagram (Mermaid and SVG, from one model), the tiers and flows, the single points of
 * failure and the modelled availability with its assumptions, beside a figure the case study
 * reports when it reports one.
 */
import { ArchitectureModel, FlowPurpose } from './architecture-model';
import { renderArchitectureMermaid } from './architecture-mermaid';
import { AvailabilityAssessment } from './availability';

/** An availability a case study or an operator reports, shown beside the modelled one. */
export interface ReportedAvailability {
  /** The figure, in percent (`99.8`). */
  readonly percent: number;
  /** Where it comes from (`case study 2: 99.8 % average availability`). */
  readonly source: string;
}

/** Relative path of the notes next to the Terraform. */
export const ARCHITECTURE_NOTES_FILE = 'ARCHITECTURE.md';
/** Relative path of the SVG diagram. */
export const ARCHITECTURE_SVG_FILE = 'architecture.svg';
/** Relative path of the machine-readable model and assessment. */
export const ARCHITECTURE_JSON_FILE = 'architecture.json';

/** A fraction as a percentage with enough digits to tell figures apart (`99.80 %`). */
export function formatAvailability(a: number): string {
  return `${(a * 100).toFixed(a > 0.9999 ? 4 : 2)} %`;
}

/** Downtime a year of an availability, in hours. */
function hoursDownPerYear(a: number): string {
  return `${((1 - a) * 365 * 24).toFixed(1)} h a year`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The one line the SVG and the synth output give: the modelled figure and the reported one. */
export function availabilitySummary(assessment: AvailabilityAssessment, reported?: ReportedAvailability): string {
  if (assessment.availability === undefined) return 'no user-facing flow: no availability modelled';
  const spofs = assessment.singlePointsOfFailure.length;
  return `modelled availability ${formatAvailability(assessment.availability)}${reported ? ` (reported: ${reported.percent} %)` : ''}, `
    + `${spofs === 0 ? 'no single point of failure' : `${spofs} single point${spofs === 1 ? '' : 's'} of failure`}`;
}

/** Renders `ARCHITECTURE.md`. */
export function renderArchitectureNotes(model: ArchitectureModel, assessment: AvailabilityAssessment, reported?: ReportedAvailability): string {
  const spofIds = assessment.singlePointsOfFailure.map((s) => s.tier);
  const byTier = new Map(assessment.tiers.map((t) => [t.tier, t]));
  const a = assessment.assumptions;
  const lines: string[] = [
    `# ${model.stack}: architecture`,
    '',
    'Generated at synth from the constructs (their tiers, zones, sites, redundancy and the flows their network intent allows); do not edit.',
    `The same model is drawn in [${ARCHITECTURE_SVG_FILE}](${ARCHITECTURE_SVG_FILE}) and given in [${ARCHITECTURE_JSON_FILE}](${ARCHITECTURE_JSON_FILE}).`,
    '',
    '```mermaid',
    renderArchitectureMermaid(model, spofIds).trimEnd(),
    '```',
    '',
    'Solid arrows carry users\' requests, dashed ones monitoring, backups and deployments; single points of failure are outlined in red. SSH flows are listed below, not drawn.',
    '',
    '## Tiers',
    '',
    '| tier | kind | zone | site | servers | redundancy | user-facing | losses survived | modelled availability |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const t of model.tiers) {
    const share = byTier.get(t.id);
    const servers = t.flavors.length === 0 ? 'managed' : `${t.count === t.maxCount ? t.count : `${t.count} to ${t.maxCount}`} × ${t.flavors.join(', ')}`;
    const facing = t.fallback ? 'fallback' : model.userFacing.includes(t.id) ? 'yes' : 'no';
    lines.push(`| \`${cell(t.id)}\` | ${t.kind} | ${cell(t.zone)} | ${t.sites.join(', ') || '-'} | ${servers} | ${cell(t.redundancy.description)} | ${facing} | ${share ? share.toleratedLosses : '-'} | ${share ? formatAvailability(share.availability) : '-'} |`);
  }
  lines.push('', '## Flows', '', '| from | to | ports | purpose |', '|---|---|---|---|');
  const order = [FlowPurpose.SERVICE, FlowPurpose.OPERATIONS, FlowPurpose.ADMINISTRATION];
  for (const f of [...model.flows].sort((x, y) => order.indexOf(x.purpose) - order.indexOf(y.purpose))) {
    lines.push(`| \`${cell(f.from)}\` | \`${cell(f.to)}\` | ${f.ports.join(', ')} | ${f.purpose} |`);
  }
  const internal = Object.entries(model.internalPorts);
  if (internal.length > 0) lines.push('', `Inside a tier: ${internal.map(([t, p]) => `\`${t}\` ${p.join(', ')}`).join('; ')}.`);

  lines.push('', '## Single points of failure', '');
  if (assessment.availability === undefined) {
    lines.push('No tier is reached from outside the stack by a service flow, so no flow is user-facing and no single point of failure is named.');
  } else if (assessment.singlePointsOfFailure.length === 0) {
    lines.push('None: every user-facing tier survives the loss of one server' + (assessment.parallelSites.length > 1 ? `, and a site's tiers are backed by the other sites (${assessment.parallelSites.join(', ')}) through DNS failover.` : '.'));
  } else {
    lines.push('A server or service whose loss stops a user-facing flow:', '', '| tier | why | what would remove it | modelled availability then |', '|---|---|---|---|');
    for (const s of assessment.singlePointsOfFailure) lines.push(`| \`${cell(s.tier)}\` | ${cell(s.reason)} | ${cell(s.remedy)} | ${formatAvailability(s.availabilityWithRemedy)} |`);
  }

  lines.push('', '## Modelled availability', '');
  if (assessment.availability !== undefined) {
    lines.push(`**${formatAvailability(assessment.availability)}** (${hoursDownPerYear(assessment.availability)} down)${reported ? `; reported: **${reported.percent} %** (${reported.source})` : ''}.`, '');
  }
  lines.push(
    'How it is computed:',
    '',
    '- A user-facing flow works when every user-facing tier works (tiers in series); fallbacks (the mini-site of load shedding) are left out.',
    '- A tier works when enough members are up: any one of a pool or VIP pair, a majority of a Galera cluster, the primary of a replication (writes), members failing independently.',
  );
  if (assessment.parallelSites.length > 1) lines.push(`- Sites ${assessment.parallelSites.join(', ')} stand in for one another (DNS failover): each site's tiers form a chain, the chains are in parallel, and tiers spanning sites stay in series.`);
  lines.push(
    '',
    'Assumptions (ours, not OVHcloud\'s: check your provider\'s SLA per product):',
    '',
    `- a server is up ${formatAvailability(a.serverAvailability)} of the year (${hoursDownPerYear(a.serverAvailability)}: a host failure and its repair, reboots for updates);`,
    `- a managed service (Octavia, active/standby amphorae) is up ${formatAvailability(a.managedServiceAvailability)};`,
    `- each server fails ${a.failuresPerServerYear} time(s) a year, and each failure in a redundant tier costs ${a.failoverSeconds} s of errors until health checks or VRRP take the member out.`,
    '',
    'Not modelled, which is why a measured figure can be lower: deployments and application faults, the provider\'s network and storage as a whole, DNS and CDN, human error.',
  );
  if (assessment.availability !== undefined) {
    const best = [...assessment.singlePointsOfFailure].sort((x, y) => y.availabilityWithRemedy - x.availabilityWithRemedy)[0];
    lines.push('', `What would raise it: ${best ? `removing the single points of failure above (each alone gives the figure in its row; \`${best.tier}\` first)` : 'more members in the tiers with the lowest figures above'}; `
      + 'past the model, shorter repairs (a spare server booted from the same image and data volume), and fewer faults from deployments (rolling replacements, `hosting-stacks-rollout`).');
  }
  return `${lines.join('\n')}\n`;
}

/** Renders `architecture.json`: the model, the assessment and the reported figure. */
export function renderArchitectureJson(model: ArchitectureModel, assessment: AvailabilityAssessment, reported?: ReportedAvailability): string {
  return `${JSON.stringify({ model, assessment, reported: reported ?? null }, null, 2)}\n`;
}

/** One stack's line of {@link renderArchitectureSummary}. */
export interface ArchitectureSummaryRow {
  /** The stack's id. */
  readonly stack: string;
  /** Its assessment. */
  readonly assessment: AvailabilityAssessment;
  /** The figure it reports, if any. */
  readonly reported?: ReportedAvailability;
}

/** The table synth prints: each stack's modelled availability and its single points of failure. */
export function renderArchitectureSummary(rows: readonly ArchitectureSummaryRow[]): string {
  if (rows.length === 0) return '';
  const out = [
    `Architecture (details and the diagrams in cdktf.out/stacks/<stack>/${ARCHITECTURE_NOTES_FILE} and ${ARCHITECTURE_SVG_FILE})`,
    '| stack | modelled availability | single points of failure |',
    '|---|---:|---|',
  ];
  for (const r of rows) {
    const a = r.assessment.availability;
    const figure = a === undefined ? 'no user-facing flow' : `${formatAvailability(a)}${r.reported ? ` (reported: ${r.reported.percent} %)` : ''}`;
    out.push(`| ${r.stack} | ${figure} | ${r.assessment.singlePointsOfFailure.map((s) => s.tier).join(', ') || 'none'} |`);
  }
  return `${out.join('\n')}\n`;
}
