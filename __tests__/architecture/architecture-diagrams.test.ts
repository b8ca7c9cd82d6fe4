import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchitectureModel, ArchitectureTier, FlowPurpose, RedundancyKind, TierRole } from '../../lib/architecture/architecture-model';
import { renderArchitectureMermaid } from '../../lib/architecture/architecture-mermaid';
import { layoutArchitecture, LayoutBox, renderArchitectureSvg } from '../../lib/architecture/architecture-svg';

function tier(id: string, zone: string, more: Partial<ArchitectureTier> = {}): ArchitectureTier {
  return {
    id, kind: 'WebTier', role: TierRole.SERVICE, zone, sites: [], count: 2, maxCount: 4, flavors: ['c3-4'],
    redundancy: { kind: RedundancyKind.ANY_OF, members: 2, required: 1, description: '2 servers, any one serves' }, entry: false, fallback: false, ...more,
  };
}

/** Three zones; a flow skips the middle one, one runs back, one stays in its column; a tier has a quote in its kind. */
const MODEL: ArchitectureModel = {
  stack: 'shop',
  zones: [{ id: 'Ops', cidr: '10.0.9.0/24' }, { id: 'Front', cidr: '10.0.1.0/24' }, { id: 'Back', cidr: '10.0.2.0/24' }, { id: 'Empty', cidr: '10.0.8.0/24' }],
  sites: [],
  siteFailover: false,
  tiers: [
    tier('Lb', 'Front', { kind: 'LvsBalancer', entry: true }),
    tier('Web', 'Front'),
    tier('App', 'Back'),
    tier('Db', 'Back', { kind: 'My"Db<1>', redundancy: { kind: RedundancyKind.SINGLE_WRITER, members: 2, required: 1, description: 'primary + 1 replica' } }),
    tier('Monitoring', 'Ops', { role: TierRole.OPERATIONS, count: 1, maxCount: 1 }),
  ],
  externals: [{ id: 'internet', label: 'internet' }, { id: 'net-203.0.113.0/24', label: '203.0.113.0/24' }],
  flows: [
    { from: 'internet', to: 'Lb', ports: ['tcp 80', 'tcp 443'], purpose: FlowPurpose.SERVICE },
    { from: 'Lb', to: 'Web', ports: ['tcp 80'], purpose: FlowPurpose.SERVICE },
    { from: 'internet', to: 'App', ports: ['tcp 8443'], purpose: FlowPurpose.SERVICE },
    { from: 'Web', to: 'App', ports: ['tcp 8080'], purpose: FlowPurpose.SERVICE },
    { from: 'App', to: 'Db', ports: ['tcp 3306'], purpose: FlowPurpose.SERVICE },
    { from: 'Monitoring', to: 'Web', ports: ['tcp 9100'], purpose: FlowPurpose.OPERATIONS },
    { from: 'Monitoring', to: 'Lb', ports: ['tcp 9100'], purpose: FlowPurpose.OPERATIONS },
    { from: 'net-203.0.113.0/24', to: 'Lb', ports: ['tcp 22'], purpose: FlowPurpose.ADMINISTRATION },
    { from: 'Lb', to: 'Db', ports: ['tcp 22'], purpose: FlowPurpose.ADMINISTRATION },
  ],
  internalPorts: { Lb: ['vrrp'] },
  userFacing: ['Lb', 'Web', 'App', 'Db'],
};

describe('the Mermaid diagram', () => {
  const mermaid = renderArchitectureMermaid(MODEL, ['Db']);

  test('a subgraph per zone holding its tiers, none for an empty zone', () => {
    expect(mermaid.startsWith('flowchart LR\n')).toBe(true);
    expect(mermaid).toMatch(/subgraph z1\["Front · 10\.0\.1\.0\/24"\]\n {4}t0\["Lb<br\/>LvsBalancer · 2 servers, any one serves<br\/>2 to 4 × c3-4"\]\n {4}t1\[/);
    expect(mermaid).not.toContain('Empty');
  });

  test('service flows solid, operations dashed, SSH left out', () => {
    expect(mermaid).toContain('x0 -->|"tcp 80, tcp 443"| t0');
    expect(mermaid).toContain('t4 -.->|"tcp 9100"| t1');
    expect(mermaid).not.toContain('tcp 22');
  });

  test('quotes and angle brackets in a label are entities, and the SPOF has its class', () => {
    expect(mermaid).toContain('My#quot;Db#lt;1#gt; · primary + 1 replica');
    expect(mermaid).toContain('class t3 spof');
  });

  test('Mermaid itself parses it as a flowchart', () => {
    const r = spawnSync(process.execPath, [join(__dirname, '..', 'support', 'mermaid-parse.mjs')], { input: JSON.stringify([mermaid]), encoding: 'utf8', timeout: 120_000 });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toEqual([{ ok: true, type: 'flowchart-v2' }]);
  }, 120_000);
});

describe('the SVG diagram', () => {
  const layout = layoutArchitecture(MODEL);
  const inside = (a: LayoutBox, b: LayoutBox) => a.x >= b.x && a.y >= b.y && a.x + a.width <= b.x + b.width && a.y + a.height <= b.y + b.height;
  const overlap = (a: LayoutBox, b: LayoutBox) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

  test('zones users reach come first, in the order they reach them; the operations zone last; an empty zone not at all', () => {
    expect(layout.zones.map((z) => z.id)).toEqual(['Front', 'Back', 'Ops']);
  });

  test('each tier is inside its zone, no two boxes overlap, and everything is inside the picture', () => {
    const zone = new Map(layout.zones.map((z) => [z.id, z]));
    for (const t of MODEL.tiers) expect(inside(layout.nodes.find((n) => n.id === t.id)!, zone.get(t.zone)!)).toBe(true);
    const boxes = [...layout.nodes];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect([boxes[i].id, boxes[j].id, overlap(boxes[i], boxes[j])]).toEqual([boxes[i].id, boxes[j].id, false]);
    for (const b of [...layout.zones, ...layout.nodes]) expect(inside(b, { id: 'svg', x: 0, y: 0, width: layout.width, height: layout.height })).toBe(true);
  });

  test('an outside source with only SSH flows is not drawn; a flow skipping a zone runs along a lane above the zones going right, below going left', () => {
    expect(layout.nodes.map((n) => n.id)).not.toContain('net-203.0.113.0/24');
    expect(layout.lanes.map((l) => `${l.from}>${l.to}`)).toEqual(['internet>App', 'Monitoring>Web', 'Monitoring>Lb']);
    const top = Math.min(...layout.zones.map((z) => z.y));
    const bottom = Math.max(...layout.zones.map((z) => z.y + z.height));
    expect(layout.lanes[0].y).toBeLessThan(top);
    expect(layout.lanes.slice(1).every((l) => l.y > bottom)).toBe(true);
    expect(new Set(layout.lanes.map((l) => l.y)).size).toBe(3);
  });

  test('rendered by librsvg, it is a picture of the size it declares, and xmllint finds it well-formed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-svg-'));
    try {
      const svg = join(dir, 'a.svg');
      writeFileSync(svg, renderArchitectureSvg(MODEL, { singlePointsOfFailure: ['Db'], subtitle: 'modelled <availability> & more' }));
      const lint = spawnSync('xmllint', ['--noout', svg], { encoding: 'utf8', timeout: 30_000 });
      expect([lint.status, lint.stderr]).toEqual([0, '']);
      const png = join(dir, 'a.png');
      const r = spawnSync('rsvg-convert', ['-o', png, svg], { encoding: 'utf8', timeout: 30_000 });
      expect([r.status, r.stderr]).toEqual([0, '']);
      const head = readFileSync(png);
      expect(head.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect([head.readUInt32BE(16), head.readUInt32BE(20)]).toEqual([Math.ceil(layout.width), Math.ceil(layout.height)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
