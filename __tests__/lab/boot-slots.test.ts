import { HostingStacksError } from '../../lib';
import { LabBootSlots, runLab } from '../../lib/lab';

/** A task that records when it runs and ends when told. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('LabBootSlots', () => {
  test('runs at most `size` at once, in the order asked', async () => {
    const slots = new LabBootSlots(2);
    const started: number[] = [];
    const gates = [0, 1, 2, 3].map(() => gate());
    const all = gates.map((g, i) => slots.run(async () => { started.push(i); await g.promise; return i; }));
    await tick();
    expect(started).toEqual([0, 1]);
    expect([slots.busy, slots.queued]).toEqual([2, 2]);
    gates[1].open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0].open();
    gates[2].open();
    gates[3].open();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3]);
    expect([slots.busy, slots.queued]).toEqual([0, 0]);
  });

  test('a failing task frees its slot and its caller gets the error', async () => {
    const slots = new LabBootSlots(1);
    await expect(slots.run(async () => { throw new Error('boot failed'); })).rejects.toThrow('boot failed');
    expect(await slots.run(async () => 'next')).toBe('next');
    expect(slots.busy).toBe(0);
  });

  test('exclusive waits for the tasks in flight and holds back those asked after it', async () => {
    const slots = new LabBootSlots(3);
    const events: string[] = [];
    const boot = gate();
    const measure = gate();
    const first = slots.run(async () => { events.push('boot 1 starts'); await boot.promise; events.push('boot 1 ends'); });
    const quiet = slots.exclusive(async () => { events.push('measure starts'); await measure.promise; events.push('measure ends'); });
    const later = slots.run(async () => { events.push('boot 2 starts'); });
    await tick();
    // A free slot is not enough: the measurement waits for boot 1, and boot 2 waits behind it.
    expect(events).toEqual(['boot 1 starts']);
    boot.open();
    await first;
    await tick();
    expect(events).toEqual(['boot 1 starts', 'boot 1 ends', 'measure starts']);
    measure.open();
    await Promise.all([quiet, later]);
    expect(events).toEqual(['boot 1 starts', 'boot 1 ends', 'measure starts', 'measure ends', 'boot 2 starts']);
  });

  test.each([0, -1, 1.5, 65, Number.NaN])('size %p is refused, naming what is allowed', (size) => {
    expect(() => new LabBootSlots(size)).toThrow(HostingStacksError);
    expect(() => new LabBootSlots(size)).toThrow(`LabBootSlots: size ${size} is not allowed: give a whole number of servers from 1 to 64`);
  });

  test('runLab refuses shared slots and a concurrency of its own together, before touching the host', async () => {
    await expect(runLab('/nonexistent-stack', { bootSlots: new LabBootSlots(4), concurrency: 2 }))
      .rejects.toThrow("runLab: 'concurrency' (2) and 'bootSlots' are both given");
  });
});
