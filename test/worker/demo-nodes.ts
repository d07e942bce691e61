/**
 * The real nodes global-setup.ts starts for the tests inside workerd, and what each has seen: the demo
 * node lists every path it was sent (`GET /cobrowse/control`).
 */
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    nodes: { id: string; url: string }[];
  }
}

/** Every path node `id` has received so far. */
export async function pathsSeenBy(id: string): Promise<string[]> {
  const node = inject('nodes').find((each) => each.id === id);
  if (!node) throw new Error(`no test node ${id}`);
  return ((await (await fetch(`${node.url}/cobrowse/control`)).json()) as { seenPaths: string[] }).seenPaths;
}
