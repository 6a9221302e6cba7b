/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial), so a spool record damaged by a crash or a bad
 * disk is recognised instead of being sent to InfluxDB. Table-driven, 8 bits at a time: fast
 * enough that the fsync, not the checksum, bounds spool appends (see bench/archive.bench.js).
 */

const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 of `data`, continuing from `previous` (the CRC of the bytes before it). */
export function crc32(data: Uint8Array, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < data.length; i++) crc = (TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}
