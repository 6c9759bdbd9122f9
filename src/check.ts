/**
 * Checks of the numbers users give (command-line flags, job parameters,
 * profile fields, noise parameters): each failure is one line naming what was
 * given, where, and what is expected.
 */

/** A bad value given by the user (a flag, a job parameter, a profile field): the command line prints the message and exits with code 2. */
export class ArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentError';
  }
}

/** The range a number must lie in; bounds are inclusive unless marked open. */
export interface NumberRange {
  integer?: boolean;
  min?: number;
  max?: number;
  /** The minimum itself is excluded. */
  minOpen?: boolean;
  /** The maximum itself is excluded. */
  maxOpen?: boolean;
}

/** The range in words, e.g. "an integer ≥ 1", "a number in (0, 1)". */
export function describeRange(range: NumberRange): string {
  const what = range.integer ? 'an integer' : 'a number';
  const { min, max } = range;
  if (min !== undefined && max !== undefined) return `${what} in ${range.minOpen ? '(' : '['}${min}, ${max}${range.maxOpen ? ')' : ']'}`;
  if (min !== undefined) return `${what} ${range.minOpen ? '>' : '≥'} ${min}`;
  if (max !== undefined) return `${what} ${range.maxOpen ? '<' : '≤'} ${max}`;
  return `a finite ${range.integer ? 'integer' : 'number'}`;
}

function inRange(v: number, r: NumberRange): boolean {
  if (!Number.isFinite(v) || (r.integer && !Number.isSafeInteger(v))) return false;
  if (r.min !== undefined && (r.minOpen ? v <= r.min : v < r.min)) return false;
  if (r.max !== undefined && (r.maxOpen ? v >= r.max : v > r.max)) return false;
  return true;
}

/** `value` if it is a number in `range`, else an {@link ArgumentError} naming `what`. */
export function checkNumber(value: unknown, what: string, range: NumberRange): number {
  if (typeof value !== 'number' || !inRange(value, range)) throw new ArgumentError(`${what}: ${JSON.stringify(value) ?? String(value)}, expected ${describeRange(range)}`);
  return value;
}

/** Parses a number given as text (a flag, an environment variable), strictly: "12abc", "" and "0x1" are refused. */
export function parseNumber(text: string, what: string, range: NumberRange): number {
  const t = text.trim();
  const pattern = range.integer ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  const v = Number(t);
  if (!pattern.test(t) || !inRange(v, range)) throw new ArgumentError(`${what} must be ${describeRange(range)}, got '${text}'`);
  return v;
}

/** Throws an {@link ArgumentError} naming the keys of `o` not in `allowed`. */
export function checkKnownKeys(o: Record<string, unknown>, allowed: readonly string[], what: string): void {
  const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
  if (unknown.length) throw new ArgumentError(`${what}: unknown ${unknown.length > 1 ? 'fields' : 'field'} ${unknown.map((k) => `'${k}'`).join(', ')}; expected ${allowed.join(', ')}`);
}
