/**
 * The partition of a reading (DESIGN §7): `fnv1a32(key) mod partitions`, the same in every
 * member, every Node-RED version and every platform — it decides which member holds a device's
 * state, so it must never change for a deployment (table test: test/core/partition-hash.test.js).
 *
 * The key: for each key tag, in the configured order, its value's UTF-8 bytes preceded by
 * their byte length in decimal and a colon (`"device"` = `dev-7` → `5:dev-7`; two tags
 * `site,device` → `7:plant-a5:dev-7`). Length-prefixing keeps different value lists apart for
 * any characters a tag value may hold (a separator byte could occur inside a value).
 * FNV-1a 32 bit: offset basis 2166136261, prime 16777619, over those bytes.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a 32 over the UTF-8 bytes of `text`, continuing from `hash` (no allocation per call). */
export function fnv1a32(text: string, hash = FNV_OFFSET): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const low = c <= 0xdbff && i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      } else {
        c = 0xfffd; // a lone surrogate: what TextEncoder (and Buffer) encode it as
      }
    }
    if (c < 0x80) {
      h = byte(h, c);
    } else if (c < 0x800) {
      h = byte(byte(h, 0xc0 | (c >> 6)), 0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      h = byte(byte(byte(h, 0xe0 | (c >> 12)), 0x80 | ((c >> 6) & 0x3f)), 0x80 | (c & 0x3f));
    } else {
      h = byte(byte(byte(byte(h, 0xf0 | (c >> 18)), 0x80 | ((c >> 12) & 0x3f)), 0x80 | ((c >> 6) & 0x3f)), 0x80 | (c & 0x3f));
    }
  }
  return h >>> 0;
}

function byte(h: number, b: number): number {
  return Math.imul(h ^ b, FNV_PRIME) >>> 0;
}

/** UTF-8 length of `text` in bytes. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The hash of a key made of these tag values (see the file comment for the byte layout). */
export function keyHash(values: readonly string[]): number {
  let h = FNV_OFFSET;
  for (const value of values) {
    h = fnv1a32(`${utf8Length(value)}:`, h);
    h = fnv1a32(value, h);
  }
  return h;
}

/** The partition of key tag values. */
export function partitionOfValues(values: readonly string[], partitions: number): number {
  return keyHash(values) % partitions;
}

/**
 * The partition of a reading's tags, or undefined when a key tag is missing (such a reading
 * is refused: the state downstream is keyed by those tags).
 */
export function partitionOfTags(tags: Record<string, string>, keys: readonly string[], partitions: number): number | undefined {
  const values: string[] = [];
  for (const k of keys) {
    const v = tags[k];
    if (typeof v !== 'string') return undefined;
    values.push(v);
  }
  return partitionOfValues(values, partitions);
}
