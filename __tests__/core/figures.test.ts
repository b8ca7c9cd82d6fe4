import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FigureLog, FigureRun, FIGURES_FILE_ENV, figuresFile, readFigures } from '../../lib/core/figures';
import { figureLine, figureRecords } from '../support/lab';

const AT = new Date('2026-12-07T10:00:00.000Z');

describe('FigureLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hs-figures-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A log writing to a file under `dir`, its printed text kept. */
  function logIn(command = 'bench:synth') {
    const printed: string[] = [];
    const file = join(dir, 'out', 'figures.jsonl');
    const log = new FigureLog(command, { file, print: (t) => printed.push(t), now: () => AT });
    return { log, printed, file, lines: () => readFileSync(file, 'utf8').split('\n') };
  }

  test('given a line with two figures, when printed, then the line is printed once and each figure is one JSON line of its own', () => {
    const { log, printed, lines } = logIn();
    log.print('synth md at 100 front-ends  776 ms  3.2x', [
      { name: 'synth md at 100 front-ends', value: 776.4, unit: 'ms', detail: 'median of 5 runs' },
      { name: 'md at 100 front-ends library to raw cdktf', value: 3.2, unit: 'x' },
    ]);
    expect(printed).toEqual(['synth md at 100 front-ends  776 ms  3.2x']);
    expect(lines()).toEqual([
      '{"command":"bench:synth","run":"current","name":"synth md at 100 front-ends","value":776.4,"unit":"ms","detail":"median of 5 runs","at":"2026-12-07T10:00:00.000Z"}',
      '{"command":"bench:synth","run":"current","name":"md at 100 front-ends library to raw cdktf","value":3.2,"unit":"x","at":"2026-12-07T10:00:00.000Z"}',
      '',
    ]);
  });

  test('given a figure recorded without printing and a baseline, then each is appended after the earlier lines, labelled by its run', () => {
    const { log, printed, file } = logIn();
    log.print('synth popgom 84 ms', { name: 'synth popgom', value: 84, unit: 'ms' });
    log.record({ name: 'synth popgom', value: 90, unit: 'ms', detail: 'from base.json' }, FigureRun.BASELINE);
    new FigureLog('bench:synth', { file, print: () => undefined }).record({ name: 'synth runiso', value: 204, unit: 'ms' });
    expect(printed).toHaveLength(1);
    expect(readFigures(file).map((r) => [r.run, r.name, r.value])).toEqual([
      ['current', 'synth popgom', 84],
      ['baseline', 'synth popgom', 90],
      ['current', 'synth runiso', 204],
    ]);
  });

  test.each([
    ['a value that is not a number', { name: 'p50', value: NaN, unit: 's' }, /figure 'p50' has value NaN: give a finite number/],
    ['an infinite value', { name: 'ratio', value: Infinity, unit: 'x' }, /figure 'ratio' has value Infinity/],
    ['an empty unit', { name: 'wall', value: 3, unit: '' }, /figure 'wall' has unit "": give a unit/],
    ['a name of two lines', { name: 'a\nb', value: 3, unit: 's' }, /figure name "a\\nb" must be a non-empty line/],
  ])('given %s, then print throws and neither prints nor writes', (_, bad, message) => {
    const { log, printed, file } = logIn();
    const good = { name: 'ok', value: 1, unit: 's' };
    expect(() => log.print('line', [good, bad])).toThrow(message);
    expect(printed).toEqual([]);
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
  });

  test("given a command that is not an npm script's name, then the log throws", () => {
    expect(() => new FigureLog('Bench Synth', { file: join(dir, 'f') })).toThrow(/FigureLog: command 'Bench Synth' is not allowed: give its npm script name/);
  });
});

describe('figuresFile', () => {
  test('given no HS_FIGURES_FILE, then it is figures/<command>.jsonl under the working directory, a colon made a dash', () => {
    expect(figuresFile('bench:synth', { env: {}, cwd: '/repo' })).toBe('/repo/figures/bench-synth.jsonl');
    expect(figuresFile('lab', { env: { [FIGURES_FILE_ENV]: '' }, cwd: '/repo' })).toBe('/repo/figures/lab.jsonl');
  });

  test('given HS_FIGURES_FILE, then every command uses that file, a relative one taken from the working directory', () => {
    expect(figuresFile('lab', { env: { HS_FIGURES_FILE: '/ci/all.jsonl' }, cwd: '/repo' })).toBe('/ci/all.jsonl');
    expect(figuresFile('bench:migrate', { env: { HS_FIGURES_FILE: 'out/all.jsonl' }, cwd: '/repo' })).toBe('/repo/out/all.jsonl');
  });

  test('given no file option, then a log writes to the file figuresFile names', () => {
    const before = process.env[FIGURES_FILE_ENV];
    process.env[FIGURES_FILE_ENV] = '/tmp/chosen.jsonl';
    try {
      expect(new FigureLog('test').file).toBe('/tmp/chosen.jsonl');
    } finally {
      if (before === undefined) delete process.env[FIGURES_FILE_ENV];
      else process.env[FIGURES_FILE_ENV] = before;
    }
  });
});

describe('readFigures', () => {
  test('given a line that is not a figure record, then it throws naming the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-figures-'));
    try {
      const file = join(dir, 'f.jsonl');
      writeFileSync(file, '{"command":"lab","run":"current","name":"x","value":1,"unit":"s","at":"t"}\n{"name":"y","value":"2"}\n');
      expect(() => readFigures(file)).toThrow(/f\.jsonl line 2 is not a figure record/);
      writeFileSync(file, 'FIGURE lab x: 1 s\n');
      expect(() => readFigures(file)).toThrow(/f\.jsonl line 1 is not JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the test suite's figure() (support/lab.ts)", () => {
  test('given a number, then one record, its unit the last word of the name', () => {
    expect(figureRecords('popgom-vip-takeover-ms', 1840, 'limit 3 x 1000 ms')).toEqual([{ name: 'popgom-vip-takeover-ms', value: 1840, unit: 'ms', detail: 'limit 3 x 1000 ms' }]);
  });

  test('given a/b and k=v,k=v, then a record per number', () => {
    expect(figureRecords('popgom-vip-takeover-requests', '98/100', 'd')).toEqual([
      { name: 'popgom-vip-takeover-requests', value: 98, unit: 'requests', detail: 'of 100; d' },
      { name: 'popgom-vip-takeover-requests total', value: 100, unit: 'requests', detail: 'd' },
    ]);
    expect(figureRecords('popgom-vip-takeover-latency-ms', 'p50=3,p95=7.5,max=12', 'd').map((r) => [r.name, r.value, r.unit])).toEqual([
      ['popgom-vip-takeover-latency-ms p50', 3, 'ms'],
      ['popgom-vip-takeover-latency-ms p95', 7.5, 'ms'],
      ['popgom-vip-takeover-latency-ms max', 12, 'ms'],
    ]);
  });

  test('given a ratio or a set of numbers, then the line is the one the a/b and k=v,k=v strings print, and so are the records', () => {
    const ratio = { part: 98, whole: 100 };
    expect(figureLine('popgom-vip-takeover-requests', ratio, 'd')).toBe('FIGURE popgom-vip-takeover-requests=98/100 (d)');
    expect(figureRecords('popgom-vip-takeover-requests', ratio, 'd')).toEqual(figureRecords('popgom-vip-takeover-requests', '98/100', 'd'));
    const latency = { values: { p50: 3, p95: 7.5, p99: 11, max: 12 } };
    expect(figureLine('popgom-vip-takeover-latency-ms', latency, 'd')).toBe('FIGURE popgom-vip-takeover-latency-ms=p50=3,p95=7.5,p99=11,max=12 (d)');
    expect(figureRecords('popgom-vip-takeover-latency-ms', latency, 'd')).toEqual(figureRecords('popgom-vip-takeover-latency-ms', 'p50=3,p95=7.5,p99=11,max=12', 'd'));
    expect(figureLine('popgom-vip-takeover-ms', 1840, 'd')).toBe('FIGURE popgom-vip-takeover-ms=1840 (d)');
  });

  test('given a value in any other form, then it throws', () => {
    expect(() => figureRecords('x-ms', 'about 3', 'd')).toThrow(/figure x-ms: value 'about 3' is neither a number/);
  });
});
