/** Types of build-worker.mjs for the TypeScript test setup. */
export function buildWorker(): void;
export function withoutTimedWork(path: string): string;
