/**
 * An indexed binary min-heap of device slots keyed by the time they must next be looked at.
 *
 * One entry per slot at most, so its size is bounded by the registry. Keys live in a
 * Float64Array and positions in an Int32Array: 16 bytes per slot, no object per device.
 * The tracker keeps keys *lazily early*: a reading moves a device's deadline later without
 * touching the heap (O(1) per reading); when the stale key surfaces, the tracker re-files the
 * slot under its real deadline (O(log n), once per timeout period at most).
 */
import { grown } from './grown';

export class DeadlineHeap {
  private heap: Int32Array;
  private pos: Int32Array;
  private key: Float64Array;
  private size = 0;

  constructor(capacity: number) {
    this.heap = new Int32Array(capacity);
    this.pos = new Int32Array(capacity).fill(-1);
    this.key = new Float64Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  get capacity(): number {
    return this.pos.length;
  }

  /** Makes room for slots up to `capacity - 1`, keeping every entry. */
  grow(capacity: number): void {
    if (capacity <= this.pos.length) return;
    this.heap = grown(this.heap, capacity);
    this.pos = grown(this.pos, capacity, -1);
    this.key = grown(this.key, capacity);
  }

  has(slot: number): boolean {
    return this.pos[slot] !== -1;
  }

  /** The key a slot is filed under (Infinity when it is not in the heap). */
  keyOf(slot: number): number {
    return this.pos[slot] === -1 ? Infinity : (this.key[slot] as number);
  }

  /** The slot with the smallest key, or -1 when empty. */
  peekSlot(): number {
    return this.size === 0 ? -1 : (this.heap[0] as number);
  }

  /** The smallest key, or Infinity when empty. */
  peekKey(): number {
    return this.size === 0 ? Infinity : (this.key[this.heap[0] as number] as number);
  }

  /** Files a slot under `key`, inserting it or moving it; an infinite key removes it. */
  set(slot: number, key: number): void {
    if (key === Infinity) {
      this.remove(slot);
      return;
    }
    const at = this.pos[slot] as number;
    if (at === -1) {
      this.key[slot] = key;
      this.heap[this.size] = slot;
      this.pos[slot] = this.size;
      this.size++;
      this.siftUp(this.size - 1);
      return;
    }
    const old = this.key[slot] as number;
    this.key[slot] = key;
    if (key < old) this.siftUp(at);
    else if (key > old) this.siftDown(at);
  }

  remove(slot: number): void {
    const at = this.pos[slot] as number;
    if (at === -1) return;
    this.pos[slot] = -1;
    this.size--;
    if (at === this.size) return;
    const last = this.heap[this.size] as number;
    this.heap[at] = last;
    this.pos[last] = at;
    // The moved entry may belong above or below its new place.
    this.siftUp(at);
    this.siftDown(this.pos[last] as number);
  }

  /** Earlier key first; equal keys by slot, so simultaneous deadlines fire in a stable order. */
  private before(a: number, b: number): boolean {
    const ka = this.key[a] as number;
    const kb = this.key[b] as number;
    return ka < kb || (ka === kb && a < b);
  }

  private siftUp(at: number): void {
    const heap = this.heap;
    const slot = heap[at] as number;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = heap[parentAt] as number;
      if (!this.before(slot, parent)) break;
      heap[at] = parent;
      this.pos[parent] = at;
      at = parentAt;
    }
    heap[at] = slot;
    this.pos[slot] = at;
  }

  private siftDown(at: number): void {
    const heap = this.heap;
    const slot = heap[at] as number;
    const half = this.size >> 1;
    while (at < half) {
      let childAt = 2 * at + 1;
      let child = heap[childAt] as number;
      const rightAt = childAt + 1;
      if (rightAt < this.size && this.before(heap[rightAt] as number, child)) {
        childAt = rightAt;
        child = heap[rightAt] as number;
      }
      if (!this.before(child, slot)) break;
      heap[at] = child;
      this.pos[child] = at;
      at = childAt;
    }
    heap[at] = slot;
    this.pos[slot] = at;
  }
}
