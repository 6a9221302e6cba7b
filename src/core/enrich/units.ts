/**
 * Named unit conversions for the `convert` rule: `{ unit: "F->C" }`.
 *
 * Every unit is a linear map onto its family's base unit (base = (value + shift) × factor), so any
 * pair within a family composes into one `value × scale + offset`, computed once per rule.
 */

export interface LinearMap {
  scale: number;
  offset: number;
}

interface UnitDef {
  family: string;
  /** Canonical spelling, shown in the editor and in messages. */
  name: string;
  factor: number;
  shift: number;
}

const PSI_IN_PA = 6894.757293168361; // 1 lbf/in² = 0.45359237 kg × 9.80665 m/s² / 0.0254² m²

const UNITS: readonly UnitDef[] = [
  // temperature, base °C
  { family: 'temperature', name: 'C', factor: 1, shift: 0 },
  { family: 'temperature', name: 'F', factor: 5 / 9, shift: -32 },
  { family: 'temperature', name: 'K', factor: 1, shift: -273.15 },
  // pressure, base Pa
  { family: 'pressure', name: 'Pa', factor: 1, shift: 0 },
  { family: 'pressure', name: 'hPa', factor: 100, shift: 0 },
  { family: 'pressure', name: 'mbar', factor: 100, shift: 0 },
  { family: 'pressure', name: 'kPa', factor: 1_000, shift: 0 },
  { family: 'pressure', name: 'bar', factor: 100_000, shift: 0 },
  { family: 'pressure', name: 'psi', factor: PSI_IN_PA, shift: 0 },
  // speed, base m/s
  { family: 'speed', name: 'm/s', factor: 1, shift: 0 },
  { family: 'speed', name: 'km/h', factor: 1_000 / 3_600, shift: 0 },
  { family: 'speed', name: 'mph', factor: 0.44704, shift: 0 },
  { family: 'speed', name: 'kn', factor: 1_852 / 3_600, shift: 0 },
  // energy, base J
  { family: 'energy', name: 'J', factor: 1, shift: 0 },
  { family: 'energy', name: 'kJ', factor: 1_000, shift: 0 },
  { family: 'energy', name: 'Wh', factor: 3_600, shift: 0 },
  { family: 'energy', name: 'kWh', factor: 3_600_000, shift: 0 },
];

/** Other spellings users write; matched case-sensitively first, then case-insensitively. */
const ALIASES: Record<string, string> = {
  '°C': 'C', degC: 'C', celsius: 'C',
  '°F': 'F', degF: 'F', fahrenheit: 'F',
  kelvin: 'K',
  kmh: 'km/h', kph: 'km/h', 'km/hr': 'km/h',
  mps: 'm/s',
  knot: 'kn', knots: 'kn', kt: 'kn',
};

const BY_NAME = new Map<string, UnitDef>();
const BY_LOWER = new Map<string, UnitDef>();
for (const unit of UNITS) BY_NAME.set(unit.name, unit);
for (const [alias, name] of Object.entries(ALIASES)) BY_NAME.set(alias, BY_NAME.get(name) as UnitDef);
// No two spellings differ only in case today (the core test checks it), so "kwh" can mean kWh.
for (const [name, unit] of BY_NAME) BY_LOWER.set(name.toLowerCase(), unit);

function findUnit(text: string): UnitDef | undefined {
  const trimmed = text.trim();
  return BY_NAME.get(trimmed) ?? BY_LOWER.get(trimmed.toLowerCase());
}

/** Every accepted spelling (canonical names and aliases), for tests and documentation. */
export function unitSpellings(): string[] {
  return [...BY_NAME.keys()];
}

/** The units the editor offers, grouped by family, in a stable order. */
export function unitFamilies(): Record<string, string[]> {
  const families: Record<string, string[]> = {};
  for (const unit of UNITS) (families[unit.family] ??= []).push(unit.name);
  return families;
}

/**
 * Parses `"F->C"` (also `"°F → °C"`) into the linear map that converts a value. Returns a
 * readable reason instead when the pair is unknown or crosses families.
 */
export function parseUnitPair(text: unknown): LinearMap | string {
  if (typeof text !== 'string') return 'unit must be text such as "F->C"';
  const parts = text.split(/->|→/);
  if (parts.length !== 2) return `unit "${text}" must name two units joined by "->", such as "F->C"`;
  const from = findUnit(parts[0] as string);
  const to = findUnit(parts[1] as string);
  const known = UNITS.map((u) => u.name).join(', ');
  if (!from) return `unknown unit "${(parts[0] as string).trim()}" (known: ${known})`;
  if (!to) return `unknown unit "${(parts[1] as string).trim()}" (known: ${known})`;
  if (from.family !== to.family) return `cannot convert ${from.family} (${from.name}) to ${to.family} (${to.name})`;
  // base = (x + s1) × f1;  y = base / f2 − s2   →   y = x × f1/f2 + (s1 × f1/f2 − s2)
  const scale = from.factor / to.factor;
  return { scale, offset: from.shift * scale - to.shift };
}

/**
 * Rounds to 15 significant digits: enough for any sensor (and for epoch milliseconds), and it
 * removes the binary noise of the scale/offset arithmetic (212 °F → 100 °C, not 100.00000000000001).
 */
export function cleanFloat(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(15));
}
