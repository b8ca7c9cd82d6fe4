import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { HostingStack } from '../../lib';
import { FlowPurpose } from '../../lib/architecture/architecture-model';
import { layoutArchitecture } from '../../lib/architecture/architecture-svg';
import { buildAllStacks } from '../../stacks/all';

/**
 * Each case study's architecture as synth writes it: the single points of failure the model names
 * (read against each document), the diagrams drawing every tier and flow, the SVG rendered by a real
 * renderer, and POPGOM's modelled figure beside the 99.8 % its document reports.
 */
describe('the case studies\' architecture notes', () => {
  const stacks = new Map<string, HostingStack>(buildAllStacks(Testing.app()).map((s) => [s.node.id, s]));
  const rendered = new Map<string, string>();
  const artifact = (stack: string, path: string) => {
    const key = `${stack}/${path}`;
    if (!rendered.has(key)) rendered.set(key, stacks.get(stack)!.renderArtifacts([path])[0].content);
    return rendered.get(key)!;
  };

  test.each([
    // POPGOM: every tier is doubled but the MySQL primary (manual promotion) and the one order-tracking server.
    ['popgom', ['Database', 'OrderTracking']],
    // Sentinelo: each MariaDB cluster takes its writes on one primary.
    ['sentinelo', ['PublicApiDatabase', 'PartnerDatabase']],
    // Runiso: each site's single servers are backed by the two other sites; Galera survives a site.
    ['runiso', []],
    // iPresso (machine per function): one database host, one task host (broker and manager), one analytics host.
    ['ipresso', ['DatabaseHost', 'TaskHost', 'AnalyticsHost']],
    // Monsieur Déguisement: the MySQL primary, the one Redis (sessions), Solr and the static server.
    ['monsieur-deguisement', ['Database', 'Sessions', 'Search', 'StaticContent']],
  ])('%s: the single points of failure are %j', (id, spofs) => {
    expect(stacks.get(id)!.architecture.assessment.singlePointsOfFailure.map((s) => s.tier)).toEqual(spofs);
  });

  test('POPGOM: the model\'s figure beside the reported 99.8 %, and what would raise it', () => {
    const notes = artifact('popgom', 'ARCHITECTURE.md');
    expect(notes).toContain('**99.80 %** (17.6 h a year down); reported: **99.8 %** (case study 2');
    expect(notes).toMatch(/\| `Database` \| every write goes to the primary; .* \| automatic promotion of a replica .* \| 99\.90 % \|/);
    expect(notes).toContain('What would raise it: removing the single points of failure above');
  });

  test('Runiso: the three sites stand in for one another', () => {
    const { assessment } = stacks.get('runiso')!.architecture;
    expect(assessment.parallelSites).toEqual(['a', 'b', 'c']);
    expect(artifact('runiso', 'ARCHITECTURE.md')).toContain('Sites a, b, c stand in for one another (DNS failover)');
  });

  test.each([...['sentinelo', 'popgom', 'runiso', 'ipresso', 'monsieur-deguisement']])('%s: the Mermaid diagram draws every tier and every flow but SSH', (id) => {
    const { model } = stacks.get(id)!.architecture;
    const notes = artifact(id, 'ARCHITECTURE.md');
    const mermaid = notes.slice(notes.indexOf('```mermaid'), notes.indexOf('```', notes.indexOf('```mermaid') + 3));
    for (const t of model.tiers) expect(mermaid).toContain(`["${t.id}<br/>`);
    const drawn = model.flows.filter((f) => f.purpose !== FlowPurpose.ADMINISTRATION);
    expect(mermaid.split('\n').filter((l) => /-(-|\.-)>\|/.test(l))).toHaveLength(drawn.length);
  });

  test.each([...['sentinelo', 'popgom', 'runiso', 'ipresso', 'monsieur-deguisement']])('%s: architecture.svg is rendered by librsvg, with no two boxes overlapping', (id) => {
    const { model } = stacks.get(id)!.architecture;
    const layout = layoutArchitecture(model);
    const n = layout.nodes;
    for (let i = 0; i < n.length; i++) {
      for (let j = i + 1; j < n.length; j++) {
        const overlap = n[i].x < n[j].x + n[j].width && n[j].x < n[i].x + n[i].width && n[i].y < n[j].y + n[j].height && n[j].y < n[i].y + n[i].height;
        expect([n[i].id, n[j].id, overlap]).toEqual([n[i].id, n[j].id, false]);
      }
    }
    const dir = mkdtempSync(join(tmpdir(), 'hs-arch-'));
    try {
      writeFileSync(join(dir, 'a.svg'), artifact(id, 'architecture.svg'));
      const r = spawnSync('rsvg-convert', ['-o', join(dir, 'a.png'), join(dir, 'a.svg')], { encoding: 'utf8', timeout: 30_000 });
      expect([r.status, r.stderr]).toEqual([0, '']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every stack\'s Mermaid diagram is parsed as a flowchart by Mermaid itself, and a broken one is not', () => {
    const mermaidOf = (id: string) => {
      const notes = artifact(id, 'ARCHITECTURE.md');
      const start = notes.indexOf('```mermaid\n') + '```mermaid\n'.length;
      return notes.slice(start, notes.indexOf('```', start));
    };
    const diagrams = [...stacks.keys()].map(mermaidOf);
    // An unescaped quote in a label, as an unescaping renderer would write one.
    const broken = `${diagrams[0]}  x0 -->|"tcp "80"| t0\n`;
    const r = spawnSync(process.execPath, [join(__dirname, '..', 'support', 'mermaid-parse.mjs')], { input: JSON.stringify([...diagrams, broken]), encoding: 'utf8', timeout: 120_000 });
    expect([r.status, r.stderr]).toEqual([0, '']);
    const results = JSON.parse(r.stdout) as { ok: boolean; type?: string; error?: string }[];
    expect(results.slice(0, -1)).toEqual(diagrams.map(() => ({ ok: true, type: 'flowchart-v2' })));
    expect(results[results.length - 1].ok).toBe(false);
  }, 120_000);

  test('architecture.json holds the model and the assessment', () => {
    const json = JSON.parse(artifact('monsieur-deguisement', 'architecture.json'));
    expect(json.model.tiers.map((t: { id: string }) => t.id)).toContain('Entrances/FR');
    expect(json.assessment.singlePointsOfFailure).toHaveLength(4);
    expect(json.reported).toBeNull();
  });
});
