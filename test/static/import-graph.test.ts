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
