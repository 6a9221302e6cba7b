/**
 * Which member owns which partition (DESIGN §7) — computed by every member from the same
 * input (the sorted live member ids), so they agree without talking to each other.
 *
 * Dynamic: rendezvous (highest random weight) hashing with a load bound. Each member m gets a
 * score per partition p, `mix(fnv1a32(m + "\n" + p))`. All (member, partition) pairs are taken
 * best score first; a partition goes to the first member of its pairs that holds fewer than
 * ⌈P/N⌉. Plain rendezvous moves the least (on a join only what the new member wins, on a leave
 * only the leaver's) but can be lopsided (32 partitions on 3 members: 6/12/14 happens); the bound
 * keeps every member at ⌈P/N⌉ or less for a few extra moves. Measured for P = 32 (table in
 * test/core/partition-assignment.test.js): a join or a leave moves the least possible plus 0–3.
 *
 * Static: partition p belongs to instance `p mod instances` (instances numbered 0…N−1).
 */
import { fnv1a32 } from './hash';

/** murmur3's finaliser: FNV-1a's low bits are weak for near-identical inputs. */
function mix(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

export function score(member: string, partition: number): number {
  return mix(fnv1a32(`${member}\n${partition}`));
}

/** owner[p] = member id, for the given live members (order does not matter). Empty → all undefined. */
export function assignDynamic(members: readonly string[], partitions: number): (string | undefined)[] {
  const ids = [...new Set(members)].sort();
  const owner: (string | undefined)[] = new Array(partitions).fill(undefined);
  if (ids.length === 0) return owner;
  const cap = Math.ceil(partitions / ids.length);
  // Every (member, partition) pair, best score first: each partition goes to the best member
  // that still has room. Ties (practically never) fall back to the member id, then p.
  const pairs: { id: string; p: number; s: number }[] = [];
  for (const id of ids) for (let p = 0; p < partitions; p++) pairs.push({ id, p, s: score(id, p) });
  pairs.sort((a, b) => b.s - a.s || (a.id < b.id ? -1 : a.id > b.id ? 1 : a.p - b.p));
  const load = new Map<string, number>(ids.map((id) => [id, 0]));
  let left = partitions;
  for (const { id, p } of pairs) {
    if (left === 0) break;
    if (owner[p] !== undefined || (load.get(id) as number) >= cap) continue;
    owner[p] = id;
    load.set(id, (load.get(id) as number) + 1);
    left--;
  }
  return owner;
}

/** The partitions instance `instance` of `instances` owns with static assignment. */
export function assignStatic(instance: number, instances: number, partitions: number): number[] {
  const out: number[] = [];
  for (let p = instance; p < partitions; p += instances) out.push(p);
  return out;
}

/** How many partitions change owner between two assignments (for tests and the status line). */
export function moves(before: readonly (string | undefined)[], after: readonly (string | undefined)[]): number {
  let n = 0;
  for (let p = 0; p < Math.max(before.length, after.length); p++) if (before[p] !== after[p]) n++;
  return n;
}
