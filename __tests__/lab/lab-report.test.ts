/**
 * The lab's report as printed (`npm run lab`, the lab's test): its FIGURE line and the same numbers
 * appended to a figures file, from a report made by hand (no lab is booted).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FigureLog, LabReport, LabServerReport, labFigures, printLabReport, readFigures } from '../../lib/lab';

function server(name: string, extra: Partial<LabServerReport> = {}): LabServerReport {
  return { key: `openstack_compute_instance_v2.${name}`, name, cloudInit: 'done', cloudInitErrors: [], failedUnits: [], limitedUnits: [], logs: {}, notListening: [], adaptations: [], clean: true, ...extra };
}

/** Three servers: two clean (30.5 s and 41.2 s), one limited by a download (63 s); 212.4 s in all. */
const SERVERS = [
  server('web-1', { bootSeconds: 41.2 }),
  server('lvs-1', { bootSeconds: 30.5 }),
  server('order-tracking-1', { bootSeconds: 63, clean: false, cloudInit: 'error', limitedBy: 'it downloads a release' }),
];

function report(servers: readonly LabServerReport[], wallSeconds: number): LabReport {
  return { stack: 'popgom', servers, checks: [{ kind: 'entry', name: '203.0.113.10:443', ok: true, detail: 'HTTP 200' }], limits: [], wallSeconds, ...labFigures('popgom', servers, wallSeconds) };
}

describe('the lab report', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hs-lab-report-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('given a run, when its report is printed, then the FIGURE line ends the text and its numbers are the records appended to the figures file', () => {
    const printed: string[] = [];
    const file = join(dir, 'lab.jsonl');
    printLabReport(report(SERVERS, 212.4), new FigureLog('lab', { file, print: (t) => printed.push(t) }));
    expect(printed).toHaveLength(1);
    expect(printed[0].split('\n').at(-1)).toBe('FIGURE lab popgom: servers clean 2/3 (1 limited by a download the lab cannot serve), boot-to-ready p50 41.2 s max 63.0 s, wall 212 s');
    const records = readFigures(file);
    expect(records.map((r) => [r.command, r.run, r.name, r.value, r.unit])).toEqual([
      ['lab', 'current', 'lab popgom servers', 3, 'servers'],
      ['lab', 'current', 'lab popgom servers clean', 2, 'servers'],
      ['lab', 'current', 'lab popgom servers limited', 1, 'servers'],
      ['lab', 'current', 'lab popgom boot-to-ready p50', 41.2, 's'],
      ['lab', 'current', 'lab popgom boot-to-ready max', 63, 's'],
      ['lab', 'current', 'lab popgom wall', 212.4, 's'],
    ]);
  });

  test('given no server that finished its boot, then the line says NaN as before and the file has no boot figures', () => {
    const file = join(dir, 'lab.jsonl');
    const r = report([server('web-1', { clean: false, cloudInit: 'timeout' })], 900);
    printLabReport(r, new FigureLog('lab', { file, print: () => undefined }));
    expect(r.figure).toBe('FIGURE lab popgom: servers clean 0/1, boot-to-ready p50 NaN s max NaN s, wall 900 s');
    expect(readFigures(file).map((x) => x.name)).toEqual(['lab popgom servers', 'lab popgom servers clean', 'lab popgom servers limited', 'lab popgom wall']);
  });
});
