/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial), so a spool record damaged by a crash or a bad
 * disk is recognised instead of being sent to InfluxDB. Node ≥ 20.15 has it natively
 * (zlib.crc32, ~20× faster than JS: it decides the spool's append and read-back speed); the
 * table-driven fallback keeps older runtimes working.
 */
import zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, previous?: number) => number;

const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** The portable implementation (exported for tests: it must agree with the native one). */
export function crc32Js(data: Uint8Array, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < data.length; i++) crc = (TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

const native = (zlib as unknown as { crc32?: Crc32 }).crc32;

/** CRC-32 of `data`, continuing from `previous` (the CRC of the bytes before it). */
export const crc32: Crc32 = typeof native === 'function' ? (data, previous = 0) => native(data, previous) : crc32Js;
