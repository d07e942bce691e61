/**
 * The house rule that keeps `src/` easy to change: no import circle, type-only imports included (run
 * with the Node projects: it reads the files).
 * Shared vocabulary lives in leaf modules (wire/health-snapshot.ts, wire/route-reason.ts,
 * wire/gate-protocol.ts, wire/counts.ts); a circle means a type or a function is in the wrong one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name: string) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** The project files `file` imports (`import ... from './x'`, `export ... from './x'`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)].flatMap((match) => {
    const base = resolve(dirname(file), match[1] as string);
    const found = ['.ts', '.tsx', '/index.ts']
      .map((ext) => base + ext)
      .find((path) => {
        try {
          return statSync(path).isFile();
        } catch {
          return false;
        }
      });
    return found ? [found] : [];
  });
}

/** The rooms each room may import from (besides itself); the entries (`src/*.ts`) may import any. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  lib: [],
  config: ['lib'],
  wire: ['lib', 'config'],
  board: ['lib', 'config', 'wire'],
  gate: ['lib', 'config', 'wire'],
  tail: ['lib', 'wire'],
  worker: ['lib', 'config', 'wire'],
  admin: ['lib', 'config', 'wire', 'worker', 'board'],
};

const roomOf = (file: string) => relative(ROOT, file).split('/').slice(0, -1)[0] ?? 'entry';

it('every file of src/ is in a room, and every import goes down the rooms', () => {
  const wrong: string[] = [];
  for (const file of sources(ROOT)) {
    const room = roomOf(file);
    if (room === 'entry') continue;
    const allowed = MAY_IMPORT[room];
    if (!allowed) {
      wrong.push(`${relative(ROOT, file)}: room ${room} is not in MAY_IMPORT`);
      continue;
    }
    for (const target of importsOf(file)) {
      const to = roomOf(target);
      if (to !== room && !allowed.includes(to))
        wrong.push(`${relative(ROOT, file)} -> ${relative(ROOT, target)}`);
    }
  }
  expect(wrong).toEqual([]);
});

it('src/ has no import circle', () => {
  const graph = new Map(sources(ROOT).map((file) => [file, importsOf(file)]));
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        circles.push(
          [...path.slice(path.indexOf(next)), next].map((each) => relative(ROOT, each)).join(' -> '),
        );
      } else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  expect(graph.size).toBeGreaterThan(40);
  expect(circles).toEqual([]);
});
