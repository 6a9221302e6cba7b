/** The typed columns of the registry and the deadline heap. */
type Column = Int32Array | Float64Array | Uint8Array | Uint32Array;

/** A copy of `column` with room for `length` entries; the new ones hold `fill`. */
export function grown<C extends Column>(column: C, length: number, fill = 0): C {
  const copy = new (column.constructor as new (length: number) => C)(length);
  if (fill !== 0) copy.fill(fill);
  copy.set(column);
  return copy;
}
