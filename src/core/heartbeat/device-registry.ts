/**
 * Every tracked device as a slot number into typed columns: no object per device, so a fleet of
 * a million costs its id strings, one Map entry and a few bytes per column (see the bench).
 * Freed slots are reused, so the columns never outgrow the largest fleet seen (≤ `maxSlots`).
 */

import { grown } from './grown';

/** Slot state, low two bits of `flags`. */
export const FREE = 0;
export const UP = 1;
export const DOWN = 2;
export const STATE_MASK = 3;
/** Listed in the node's `expected` config: alerts even if never seen, never retired. */
export const EXPECTED = 4;
/**
 * Flap damping (issue #21): the device is DOWN but its `down` was held back (it came within
 * `flapPeriod` of its last `up`), so downstream still believes it up. Only ever set on DOWN.
 */
export const HELD = 8;

const FIRST_CAPACITY = 1_024;

export class DeviceRegistry {
  private readonly index = new Map<string, number>();
  private ids: string[] = [];
  private free: number[] = [];
  private used = 0;
  /** Time of the last heartbeat, NaN for a device never seen (an expected one). */
  lastSeen = new Float64Array(0);
  /** Timeout that came with the last heartbeat, 0 for the node default. */
  timeoutMs = new Float64Array(0);
  flags = new Uint8Array(0);
  /** Flap damping: until when a `down` is held back (epoch ms; 0: not held). */
  holdUntil = new Float64Array(0);
  /** Flap damping: state changes held back since the last change sent for the device. */
  flaps = new Uint32Array(0);

  constructor(readonly maxSlots: number) {}

  get count(): number {
    return this.used;
  }

  /** Slots ever allocated (used or free): the end of every scan over the columns. */
  get capacity(): number {
    return this.flags.length;
  }

  get full(): boolean {
    return this.used >= this.maxSlots;
  }

  slotOf(id: string): number | undefined {
    return this.index.get(id);
  }

  idOf(slot: number): string {
    return this.ids[slot] as string;
  }

  /** Allocates a slot for a new id; the caller checks `full` first. Columns start zeroed. */
  add(id: string): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.ids.length;
      if (slot >= this.capacity) this.grow();
      this.ids.push(id);
    } else {
      this.ids[slot] = id;
    }
    this.index.set(id, slot);
    this.used++;
    return slot;
  }

  remove(slot: number): void {
    const id = this.ids[slot];
    if (id === undefined || (this.flags[slot] as number) === FREE) return;
    this.index.delete(id);
    // '' rather than a hole: keeps the array packed (8 bytes per slot, no dictionary mode).
    this.ids[slot] = '';
    this.flags[slot] = FREE;
    this.lastSeen[slot] = 0;
    this.timeoutMs[slot] = 0;
    this.holdUntil[slot] = 0;
    this.flaps[slot] = 0;
    this.free.push(slot);
    this.used--;
  }

  clear(): void {
    this.index.clear();
    this.ids = [];
    this.free = [];
    this.used = 0;
    this.lastSeen = new Float64Array(0);
    this.timeoutMs = new Float64Array(0);
    this.flags = new Uint8Array(0);
    this.holdUntil = new Float64Array(0);
    this.flaps = new Uint32Array(0);
  }

  private grow(): void {
    // 1.5× keeps the slack small at a million devices; never past maxSlots.
    const next = Math.min(this.maxSlots, Math.max(FIRST_CAPACITY, Math.ceil(this.capacity * 1.5)));
    this.lastSeen = grown(this.lastSeen, next);
    this.timeoutMs = grown(this.timeoutMs, next);
    this.flags = grown(this.flags, next);
    this.holdUntil = grown(this.holdUntil, next);
    this.flaps = grown(this.flaps, next);
  }
}
