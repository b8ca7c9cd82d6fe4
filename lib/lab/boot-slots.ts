import { HostingStacksToolError } from '../core/errors';

/**
 * Boot slots: how many servers boot at once, shared by every lab that holds the same slots. A lab
 * run alone gets slots of its own (`LabOptions.concurrency`); labs run at once in one process (a
 * test suite booting several stacks) share one `LabBootSlots`, so their servers together stay
 * within what the machine's cores carry, and one stack's checks (mostly waiting on the network)
 * overlap another's boots.
 *
 * ```ts
 * const slots = new LabBootSlots(4);
 * const [a, b] = await Promise.all([runLab(dirA, { bootSlots: slots }), runLab(dirB, { bootSlots: slots })]);
 * ```
 */
export class LabBootSlots {
  /** Slots taken now. */
  private inUse = 0;
  /** Waiting callers with the slots they need, first asked first served. */
  private readonly waiting: { readonly slots: number; readonly grant: () => void }[] = [];

  /**
   * @param size Servers booted at once (a server holds its slot from the start of its container to
   *   the end of its inspection). On 2 cores and 24 GB, 4 keeps the cores busy while one server waits.
   */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1 || size > 64) {
      throw new HostingStacksToolError('LabBootSlots', 'size', `LabBootSlots: size ${String(size)} is not allowed: give a whole number of servers from 1 to 64`);
    }
  }

  /** Slots taken now. */
  get busy(): number {
    return this.inUse;
  }

  /** Callers waiting. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `fn` in one slot, waiting for it in the order asked; the slot is freed when `fn` settles. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.holding(1, fn);
  }

  /**
   * Runs `fn` holding every slot: it starts once the boots in flight have finished, and no boot
   * starts until it settles (a measurement that other servers' package installs would skew).
   * Callers asking after it wait behind it. `fn` must not boot servers with these slots.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.holding(this.size, fn);
  }

  private async holding<T>(slots: number, fn: () => Promise<T>): Promise<T> {
    if (this.waiting.length === 0 && this.inUse + slots <= this.size) this.inUse += slots;
    else await new Promise<void>((grant) => this.waiting.push({ slots, grant }));
    try {
      return await fn();
    } finally {
      this.inUse -= slots;
      // In order: a caller that needs more slots than are free holds back those behind it.
      while (this.waiting.length > 0 && this.inUse + this.waiting[0].slots <= this.size) {
        const next = this.waiting.shift()!;
        this.inUse += next.slots;
        next.grant();
      }
    }
  }
}
