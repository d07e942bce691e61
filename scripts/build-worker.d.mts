/** Types of build-worker.mjs for the TypeScript test setup. */
export const SCRIPTS: readonly { readonly name: string; readonly config: string; readonly outdir: string }[];
export function buildWorker(): void;
export function withoutTimedWork(path: string): string;
