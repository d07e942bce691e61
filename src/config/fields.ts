/**
 * Reads single vars of the Worker's env for config.ts. Each var may come as its TOML type or as text
 * (`wrangler dev --var` passes text only). A bad value is recorded as a problem with the var's name
 * and the default is returned, so parsing goes on and every problem is reported at once.
 */

export interface FieldReader {
  /** A text var matching `pattern`, which `expected` describes for the problem message. */
  string(key: string, fallback: string, pattern: RegExp, expected: string): string;
  /** An integer var from `min` to `max`, given as a number or as its digits. */
  integer(key: string, fallback: number, min: number, max: number): number;
  /** A number from 0 to 1 (a sampling rate), given as a number or as its text (`0.05`). */
  fraction(key: string, fallback: number): number;
  /** A switch, given as a boolean or as the text `true` or `false`. */
  boolean(key: string, fallback: boolean): boolean;
  /** A structured var given as itself or as JSON text; undefined when absent or unparsable. */
  json(key: string): unknown;
  /** HTTP statuses as `2xx`, `200`, `200-299`, or a comma-separated list of those. */
  statusRanges(key: string, fallback: string): [number, number][];
  readonly problems: string[];
}

const STATUS_ITEM = /^([1-5])xx$|^([1-5]\d\d)(?:-([1-5]\d\d))?$/;

export function fieldReader(env: Readonly<Record<string, unknown>>, problems: string[]): FieldReader {
  const present = (key: string) => env[key] !== undefined && env[key] !== '';
  const report = (key: string, expected: string) =>
    problems.push(`${key}: must be ${expected} (got ${JSON.stringify(env[key])})`);
  return {
    problems,
    string(key, fallback, pattern, expected) {
      if (!present(key)) return fallback;
      const raw = env[key];
      if (typeof raw === 'string' && pattern.test(raw)) return raw;
      report(key, expected);
      return fallback;
    },
    integer(key, fallback, min, max) {
      if (!present(key)) return fallback;
      const raw = env[key];
      const value = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
      if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
      report(key, `an integer from ${min} to ${max}`);
      return fallback;
    },
    fraction(key, fallback) {
      if (!present(key)) return fallback;
      const raw = env[key];
      const value = typeof raw === 'string' && /^(0|1)(\.\d+)?$|^\.\d+$/.test(raw.trim()) ? Number(raw) : raw;
      if (typeof value === 'number' && value >= 0 && value <= 1) return value;
      report(key, 'a number from 0 to 1');
      return fallback;
    },
    boolean(key, fallback) {
      if (!present(key)) return fallback;
      const raw = env[key];
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      report(key, 'true or false');
      return fallback;
    },
    json(key) {
      const raw = env[key];
      if (typeof raw !== 'string') return raw;
      try {
        return JSON.parse(raw);
      } catch (error) {
        problems.push(`${key}: not valid JSON (${(error as Error).message})`);
        return undefined;
      }
    },
    statusRanges(key, fallback) {
      const raw = present(key) ? env[key] : fallback;
      // Only text or a number: String() of an arbitrary JSON object can throw.
      const text = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
      const ranges = text.split(',').map((item): [number, number] | undefined => {
        const match = STATUS_ITEM.exec(item.trim());
        if (!match) return undefined;
        if (match[1]) return [Number(match[1]) * 100, Number(match[1]) * 100 + 99];
        return [Number(match[2]), Number(match[3] ?? match[2])];
      });
      if (ranges.every((range) => range !== undefined && range[0] <= range[1]))
        return ranges as [number, number][];
      report(key, 'statuses like 2xx, 200, 200-299 or 200,204');
      return [[200, 299]];
    },
  };
}
