import { Progress } from '../../lib/core/progress';

/** A progress on a clock the test moves, its lines kept. */
function progressAt(options: { total?: number; quietMs?: number } = {}) {
  let now = 1_000_000;
  const lines: string[] = [];
  const progress = new Progress('bench:synth', { ...options, write: (l) => lines.push(l), now: () => now });
  return { progress, lines, advance: (ms: number) => { now += ms; } };
}

describe('Progress', () => {
  test('given steps before quietMs has passed, then none is printed; after it, each step is one line with its count and the time so far', () => {
    const { progress, lines, advance } = progressAt({ total: 3 });
    advance(1500);
    expect(progress.started('synth sentinelo')).toBe(false);
    advance(600);
    expect(progress.started('synth popgom')).toBe(true);
    advance(40_000);
    progress.started('synth md at 1000 front-ends');
    expect(lines).toEqual([
      '[bench:synth] step 2/3: synth popgom (2 s)',
      '[bench:synth] step 3/3: synth md at 1000 front-ends (42 s)',
    ]);
  });

  test('given quietMs 0 and a total that grows, then every count is printed against the total at that time', () => {
    const { progress, lines, advance } = progressAt({ total: 2, quietMs: 0 });
    progress.counted(1, 'servers booted; web-1 clean');
    progress.grow(2);
    advance(42_400);
    progress.counted(2, 'servers booted; web-2 clean');
    progress.note('checks 1/5: public entries');
    expect(lines).toEqual([
      '[bench:synth] 1/2 servers booted; web-1 clean (0 s)',
      '[bench:synth] 2/4 servers booted; web-2 clean (42 s)',
      '[bench:synth] checks 1/5: public entries (42 s)',
    ]);
    expect(lines.join('')).not.toMatch(/[\r\n]/);
  });

  test('given no total, then steps are numbered without one', () => {
    const { progress, lines } = progressAt({ quietMs: 0 });
    progress.started('starting MariaDB');
    expect(lines).toEqual(['[bench:synth] step 1: starting MariaDB (0 s)']);
  });

  test.each([
    [{ total: -1 }, /Progress x: 'total' \(-1\) must be a whole number of steps/],
    [{ total: 2.5 }, /'total' \(2\.5\) must be a whole number/],
    [{ quietMs: -5 }, /Progress x: 'quietMs' \(-5\) must be 0 or more/],
  ])('given %p, then it throws', (options, message) => {
    expect(() => new Progress('x', options)).toThrow(message);
  });
});
