/**
 * `npm run bench:scaling` (bench/scaling.ts), run for real at hourly resolution (seconds): every
 * figure it prints goes to its figures file as numbers, and a run against a saved baseline holds
 * both runs' figures, labelled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FigureRecord, readFigures } from '../../lib/core/figures';
import { runBench } from './bench-support';

jest.setTimeout(120_000);

describe('bench:scaling', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-bench-scaling-'));
  const file = join(dir, 'figures.jsonl');
  const againstFile = join(dir, 'against.jsonl');
  const base = join(dir, 'base.json');
  let first: ReturnType<typeof runBench>;
  let second: ReturnType<typeof runBench>;
  let records: FigureRecord[];
  let against: FigureRecord[];

  beforeAll(() => {
    const args = ['--resolution', '60', '--out', join(dir, 'charts')];
    first = runBench('scaling.ts', [...args, '--save', base], file);
    second = runBench('scaling.ts', [...args, '--baseline', base], againstFile);
    records = readFigures(file);
    against = readFigures(againstFile);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('given a run, then each number of its table is a record of the figures file, equal to the printed one', () => {
    expect([first.status, first.stderr]).toEqual([0, expect.stringContaining(`figures appended to ${file}`)]);
    const value = (name: string) => records.find((r) => r.name === name)?.value;
    expect(records.every((r) => r.command === 'bench:scaling' && r.run === 'current' && typeof r.value === 'number')).toBe(true);
    expect(new Set(records.map((r) => r.name)).size).toBe(records.length);
    // The table's row, as printed: `instance-hours   87,600   32,808   -62.5 %   | ...`.
    const row = /^instance-hours\s+([\d,]+)\s+([\d,]+)\s+-([\d.]+) %/m.exec(first.stdout)!;
    expect(row).not.toBeNull();
    const int = (s: string) => Number(s.replace(/,/g, ''));
    expect(Math.round(value('static instance-hours')!)).toBe(int(row[1]));
    expect(Math.round(value('rules instance-hours')!)).toBe(int(row[2]));
    expect(value('rules instance-hours reduction')!.toFixed(1)).toBe(row[3]);
    expect(value('rules minutes under capacity')).toBe(0);
    expect(value('reactive only scaling events')).toBeGreaterThan(0);
  });

  test('given a run against a saved baseline, then the file holds the baseline figures labelled baseline beside the run\'s own', () => {
    expect(second.status).toBe(0);
    const baseline = against.filter((r) => r.run === 'baseline');
    expect(baseline.map((r) => r.name)).toEqual(['rules instance-hours', 'rules minutes under capacity', 'static instance-hours', 'rules instance-hours reduction']);
    for (const b of baseline) {
      expect(b.detail).toContain(`from ${base}`);
      // The same seed gives the same figures: this run's equals the saved run's.
      const current = against.filter((r) => r.run === 'current' && r.name === b.name);
      expect(current).toHaveLength(1);
      expect(current[0].value).toBeCloseTo(b.value, 1);
    }
    expect(against.filter((r) => r.name.endsWith(' difference')).map((r) => r.value)).toEqual([0, 0, 0, 0]);
  });
});
