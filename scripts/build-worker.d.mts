/** Types of build-worker.mjs for the TypeScript test setup. */
export function buildWorker(): void;
