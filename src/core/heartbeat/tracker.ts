/**
 * The fleet's deadman: per-device liveness with one schedule for the whole fleet.
 *
 * Pure and clock-free: every method takes `now`; state changes are pushed onto an array the
 * caller owns and sends (the Telegraf aggregator shape: add / push, the shell owns the timer).
 *
 * - `beat` is O(1): a Map lookup and a few typed-array writes. It never reorders the heap;
 *   a device's heap key only ever lags *before* its real deadline and is corrected when reached.
 * - `advance` looks at due slots, at most `maxSteps` per call, so the caller can spread a burst
 *   of 100,000 simultaneous `down`s over several event-loop turns.
 * - Changes only: `down` once when silent for its timeout, `up` once on return, `retired` once
 *   when silent for `forgetAfter` (the device is then dropped from the registry).
 * - Flap damping (`flapPeriodMs`, issue #21): after an `up` is sent, a `down` of the same device
 *   is held back until `flapPeriodMs` after that `up`. If the device returns meanwhile, neither is
 *   sent and the held-back pair is counted (`flaps` of the device's next change); if it is still
 *   down when the period ends, the `down` goes then. So a device flapping around its timeout
 *   makes at most one down/up pair per period, and an `up` is never delayed (hysteresis on
 *   the way down only).
 */
import { DeadlineHeap } from './deadline-heap';
import { DOWN, DeviceRegistry, EXPECTED, HELD, STATE_MASK, UP } from './device-registry';
import { SNAPSHOT_FORMAT, type HeartbeatSnapshot } from './snapshot';

export type DeviceStatus = 'up' | 'down' | 'retired';

export interface StateChange {
  device: string;
  status: DeviceStatus;
  /** Last heartbeat before this change (epoch ms); null when never seen. */
  lastSeen: number | null;
  /** `at - lastSeen` (for a device never seen: since the tracker started or was reset). */
  silentMs: number;
  /** Timeout in force for the device (ms). */
  timeoutMs: number;
  /** When the change was detected (tracker clock). */
  at: number;
  /** Down/up pairs held back by flap damping since the previous change sent for the device. */
  flaps: number;
}

export interface HeartbeatSummary {
  total: number;
  up: number;
  down: number;
  /** Down devices, longest silent first, at most the limit asked for. */
  downDevices: string[];
}

export interface TrackerOptions {
  /** Default timeout (ms) for a device whose last heartbeat carried none. */
  timeoutMs: number;
  /** Silence (ms) after which a down device is dropped and reported `retired`; undefined: never. */
  forgetAfterMs?: number | undefined;
  /** Devices that must report: down after `timeoutMs` from start if never seen, never retired. */
  expected?: readonly string[];
  /** Registry bound: heartbeats of further new devices are refused. */
  maxDevices?: number;
  /** Per-device timeout for `expected` devices never seen (e.g. from a lookup table). */
  expectedTimeoutMs?: (device: string) => number | undefined;
  /** Flap damping: a `down` within this long after the device's last `up` is held back; 0/undefined: off. */
  flapPeriodMs?: number | undefined;
}

export interface RestoreReport {
  restored: number;
  /** Not restored: registry full, or never seen and no longer expected. */
  dropped: number;
}

export const DEFAULT_MAX_DEVICES = 1_000_000;

export class HeartbeatTracker {
  private readonly registry: DeviceRegistry;
  private heap = new DeadlineHeap(0);
  private readonly timeoutMs: number;
  private readonly forgetAfterMs: number | undefined;
  private readonly expected: readonly string[];
  private readonly expectedTimeoutMs: ((device: string) => number | undefined) | undefined;
  private readonly flapPeriodMs: number;
  private downCount = 0;
  /**
   * Start of the grace every restored or never-seen device gets: nobody could hear it before,
   * so its timeout runs from here (no burst of false alerts after a deploy or restart).
   */
  private graceFrom: number;

  constructor(options: TrackerOptions, now: number) {
    if (!(options.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
    this.timeoutMs = options.timeoutMs;
    this.forgetAfterMs = options.forgetAfterMs;
    this.expected = options.expected ?? [];
    this.expectedTimeoutMs = options.expectedTimeoutMs;
    this.flapPeriodMs = options.flapPeriodMs ?? 0;
    this.registry = new DeviceRegistry(options.maxDevices ?? DEFAULT_MAX_DEVICES);
    this.graceFrom = now;
    this.addExpected();
  }

  get total(): number {
    return this.registry.count;
  }

  get down(): number {
    return this.downCount;
  }

  get up(): number {
    return this.registry.count - this.downCount;
  }

  /** Slots allocated in the columns (live or free for reuse): what the registry costs. */
  get capacity(): number {
    return this.registry.capacity;
  }

  /** When `advance` next has something to look at (Infinity: nothing scheduled). */
  nextDueAt(): number {
    return this.heap.peekKey();
  }

  /**
   * Records a heartbeat. `timeoutMs` is the device's timeout from now on (undefined: the
   * default). Returns false, changing nothing, when the device is new and the registry full.
   */
  beat(device: string, now: number, timeoutMs: number | undefined, changes: StateChange[]): boolean {
    const reg = this.registry;
    let slot = reg.slotOf(device);
    if (slot === undefined) {
      if (reg.full) return false;
      slot = this.allocate(device);
      reg.flags[slot] = UP;
      reg.lastSeen[slot] = now;
      reg.timeoutMs[slot] = timeoutMs ?? 0;
      this.heap.set(slot, now + this.timeoutOf(slot));
      return true;
    }
    const previous = reg.lastSeen[slot] as number;
    const previousTimeout = this.timeoutOf(slot);
    reg.lastSeen[slot] = now;
    reg.timeoutMs[slot] = timeoutMs ?? 0;
    const timeout = this.timeoutOf(slot);
    const flags = reg.flags[slot] as number;
    if ((flags & STATE_MASK) === DOWN) {
      reg.flags[slot] = (flags & ~(STATE_MASK | HELD)) | UP;
      this.downCount--;
      if (flags & HELD) {
        // Back before its `down` was sent: downstream never saw it go, so nothing is sent.
        reg.flaps[slot] = (reg.flaps[slot] as number) + 1;
      } else {
        changes.push(this.change(slot, 'up', now, previous));
        if (this.flapPeriodMs > 0) reg.holdUntil[slot] = now + this.flapPeriodMs;
      }
      this.heap.set(slot, now + timeout);
    } else if (timeout < previousTimeout || now < previous) {
      // The deadline may have moved earlier than the heap key: the only case that touches the
      // heap. Otherwise it moved later and the key stays (lazily) early: O(1), no heap access.
      if (now + timeout < this.heap.keyOf(slot)) this.heap.set(slot, now + timeout);
    }
    return true;
  }

  /**
   * Looks at up to `maxSteps` due slots and pushes the resulting changes. Returns true when
   * more are already due (call again soon, after yielding to the event loop).
   */
  advance(now: number, maxSteps: number, changes: StateChange[]): boolean {
    const heap = this.heap;
    for (let steps = 0; steps < maxSteps; steps++) {
      if (heap.peekKey() > now) return false;
      this.review(heap.peekSlot(), now, changes);
    }
    return heap.peekKey() <= now;
  }

  /**
   * Marks devices down now, not after their timeout: a death notice (src/core/liveness.ts, a
   * Sparkplug NDEATH/DDEATH). A device already down changes nothing; an unknown one is added,
   * down (its death is news of it). Its next heartbeat brings it `up`. Returns how many were
   * refused because the registry is full.
   */
  markDown(devices: readonly string[], now: number, changes: StateChange[]): number {
    const reg = this.registry;
    let refused = 0;
    for (const device of devices) {
      let slot = reg.slotOf(device);
      if (slot === undefined) {
        if (reg.full) {
          refused++;
          continue;
        }
        slot = this.allocate(device);
        reg.lastSeen[slot] = NaN;
        reg.timeoutMs[slot] = 0;
      } else if (((reg.flags[slot] as number) & STATE_MASK) === DOWN) {
        // Down already; a `down` held back by flap damping is sent now: a death is no flap.
        if ((reg.flags[slot] as number) & HELD) {
          reg.flags[slot] = (reg.flags[slot] as number) & ~HELD;
          changes.push(this.change(slot, 'down', now, reg.lastSeen[slot] as number));
          this.heap.set(slot, this.retireAt(slot));
        }
        continue;
      }
      // Not damped (flapPeriod): a death notice is news, not an inferred silence.
      reg.flags[slot] = ((reg.flags[slot] as number) & ~(STATE_MASK | HELD)) | DOWN;
      this.downCount++;
      changes.push(this.change(slot, 'down', now, reg.lastSeen[slot] as number));
      this.heap.set(slot, this.retireAt(slot));
    }
    return refused;
  }

  /** Drops a device now (e.g. decommissioned); returns its `retired` change, if it was known. */
  forget(device: string, now: number): StateChange | undefined {
    const slot = this.registry.slotOf(device);
    if (slot === undefined) return undefined;
    const change = this.change(slot, 'retired', now, this.registry.lastSeen[slot] as number);
    this.drop(slot);
    return change;
  }

  /** Forgets every device, silently; `expected` devices start a new grace from `now`. */
  reset(now: number): void {
    this.registry.clear();
    this.heap = new DeadlineHeap(0);
    this.downCount = 0;
    this.graceFrom = now;
    this.addExpected();
  }

  summary(limit: number): HeartbeatSummary {
    return { total: this.total, up: this.up, down: this.downCount, downDevices: this.longestSilent(limit) };
  }

  snapshot(now: number): HeartbeatSnapshot {
    const reg = this.registry;
    const devices: string[] = [];
    const lastSeen: Array<number | null> = [];
    const down: string[] = [];
    const timeouts: number[] = [];
    for (let slot = 0; slot < reg.capacity; slot++) {
      const state = (reg.flags[slot] as number) & STATE_MASK;
      if (state !== UP && state !== DOWN) continue;
      const seen = reg.lastSeen[slot] as number;
      const own = reg.timeoutMs[slot] as number;
      if (own > 0) timeouts.push(devices.length, own);
      devices.push(reg.idOf(slot));
      lastSeen.push(Number.isNaN(seen) ? null : seen);
      // A held-back `down` was never sent: saved as up, it goes down after the restart's grace.
      down.push(state === DOWN && ((reg.flags[slot] as number) & HELD) === 0 ? '1' : '0');
    }
    return { format: SNAPSHOT_FORMAT, savedAt: now, devices, lastSeen, down: down.join(''), timeouts };
  }

  /**
   * Loads a parsed snapshot into a fresh tracker (before any heartbeat). Devices that were up
   * get a new grace from the tracker's start: readings sent while Node-RED was stopped were never
   * seen, so alerting at once would be a false burst. If they stay silent through it, their
   * `down` carries the real `lastSeen` and `silentMs`. Devices that were down stay down quietly.
   */
  restore(snapshot: HeartbeatSnapshot): RestoreReport {
    const reg = this.registry;
    const timeoutOf = new Map<number, number>();
    for (let i = 0; i < snapshot.timeouts.length; i += 2) {
      timeoutOf.set(snapshot.timeouts[i] as number, snapshot.timeouts[i + 1] as number);
    }
    let restored = 0;
    let dropped = 0;
    for (let i = 0; i < snapshot.devices.length; i++) {
      const device = snapshot.devices[i] as string;
      const seen = snapshot.lastSeen[i] ?? NaN;
      let slot = reg.slotOf(device);
      if (slot === undefined) {
        if (Number.isNaN(seen) || reg.full) {
          dropped++;
          continue;
        }
        slot = this.allocate(device);
      } else if (((reg.flags[slot] as number) & STATE_MASK) === DOWN) {
        this.downCount--; // a duplicate id in a hand-edited snapshot: the last one wins
      }
      reg.lastSeen[slot] = seen;
      reg.timeoutMs[slot] = timeoutOf.get(i) ?? reg.timeoutMs[slot] ?? 0;
      const expected = (reg.flags[slot] as number) & EXPECTED;
      if (snapshot.down[i] === '1') {
        reg.flags[slot] = expected | DOWN;
        this.downCount++;
        this.heap.set(slot, this.retireAt(slot));
      } else {
        reg.flags[slot] = expected | UP;
        this.heap.set(slot, this.deadline(slot));
      }
      restored++;
    }
    return { restored, dropped };
  }

  private addExpected(): void {
    const reg = this.registry;
    for (const device of this.expected) {
      if (reg.slotOf(device) !== undefined || reg.full) continue;
      const slot = this.allocate(device);
      reg.flags[slot] = EXPECTED | UP;
      reg.lastSeen[slot] = NaN;
      reg.timeoutMs[slot] = this.expectedTimeoutMs?.(device) ?? 0;
      this.heap.set(slot, this.deadline(slot));
    }
  }

  private allocate(device: string): number {
    const slot = this.registry.add(device);
    if (this.registry.capacity > this.heap.capacity) this.heap.grow(this.registry.capacity);
    return slot;
  }

  private review(slot: number, now: number, changes: StateChange[]): void {
    const reg = this.registry;
    const flags = reg.flags[slot] as number;
    if ((flags & STATE_MASK) === UP) {
      const deadline = this.deadline(slot);
      if (deadline > now) {
        this.heap.set(slot, deadline); // heard from since it was filed: file it anew
        return;
      }
      this.downCount++;
      const holdUntil = reg.holdUntil[slot] as number;
      if (holdUntil > now) {
        // Flapping: within flapPeriod of its last `up`. Held back; sent at holdUntil if still down.
        reg.flags[slot] = (flags & ~STATE_MASK) | DOWN | HELD;
        this.heap.set(slot, Math.min(holdUntil, this.retireAt(slot)));
        return;
      }
      reg.flags[slot] = (flags & ~STATE_MASK) | DOWN;
      changes.push(this.change(slot, 'down', now, reg.lastSeen[slot] as number));
      this.heap.set(slot, this.retireAt(slot));
      return;
    }
    const retireAt = this.retireAt(slot);
    if (flags & HELD) {
      const holdUntil = reg.holdUntil[slot] as number;
      if (holdUntil <= now) {
        // Still down when the flap period ended: the held-back `down` goes now.
        reg.flags[slot] = flags & ~HELD;
        changes.push(this.change(slot, 'down', now, reg.lastSeen[slot] as number));
        this.heap.set(slot, retireAt);
        return;
      }
      if (retireAt > now) {
        this.heap.set(slot, Math.min(holdUntil, retireAt));
        return;
      }
    }
    if (retireAt > now) {
      this.heap.set(slot, retireAt);
      return;
    }
    changes.push(this.change(slot, 'retired', now, reg.lastSeen[slot] as number));
    this.drop(slot);
  }

  private drop(slot: number): void {
    if (((this.registry.flags[slot] as number) & STATE_MASK) === DOWN) this.downCount--;
    this.heap.remove(slot);
    this.registry.remove(slot);
  }

  private timeoutOf(slot: number): number {
    const own = this.registry.timeoutMs[slot] as number;
    return own > 0 ? own : this.timeoutMs;
  }

  /** Silence counts from the last heartbeat, but never from before the grace start. */
  private silentSince(slot: number): number {
    const seen = this.registry.lastSeen[slot] as number;
    return Number.isNaN(seen) || seen < this.graceFrom ? this.graceFrom : seen;
  }

  private deadline(slot: number): number {
    return this.silentSince(slot) + this.timeoutOf(slot);
  }

  private retireAt(slot: number): number {
    if (this.forgetAfterMs === undefined || (this.registry.flags[slot] as number) & EXPECTED) return Infinity;
    const seen = this.registry.lastSeen[slot] as number;
    return (Number.isNaN(seen) ? this.graceFrom : seen) + this.forgetAfterMs;
  }

  /** The change to send; hands over (and clears) the device's count of held-back flaps. */
  private change(slot: number, status: DeviceStatus, now: number, lastSeen: number): StateChange {
    const never = Number.isNaN(lastSeen);
    const flaps = this.registry.flaps[slot] as number;
    this.registry.flaps[slot] = 0;
    return {
      device: this.registry.idOf(slot),
      status,
      lastSeen: never ? null : lastSeen,
      silentMs: Math.max(0, now - (never ? this.graceFrom : lastSeen)),
      timeoutMs: this.timeoutOf(slot),
      at: now,
      flaps,
    };
  }

  /** The `limit` down devices silent longest (never seen first), in one pass over the columns. */
  private longestSilent(limit: number): string[] {
    const reg = this.registry;
    const slots: number[] = [];
    const keys: number[] = [];
    if (limit <= 0 || this.downCount === 0) return [];
    for (let slot = 0; slot < reg.capacity; slot++) {
      if (((reg.flags[slot] as number) & STATE_MASK) !== DOWN) continue;
      const seen = reg.lastSeen[slot] as number;
      const key = Number.isNaN(seen) ? -Infinity : seen;
      if (slots.length === limit && key >= (keys[limit - 1] as number)) continue;
      // Sorted insertion into at most `limit` entries (limit is small: 100 by default).
      let at = slots.length === limit ? limit - 1 : slots.length;
      while (at > 0 && (keys[at - 1] as number) > key) {
        keys[at] = keys[at - 1] as number;
        slots[at] = slots[at - 1] as number;
        at--;
      }
      keys[at] = key;
      slots[at] = slot;
    }
    return slots.map((slot) => reg.idOf(slot));
  }
}
