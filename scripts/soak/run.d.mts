/** Types of run.mjs for the TypeScript test that runs a short soak in CI. */
export interface Tally {
  sockets: number;
  pollers: number;
  sent: number;
  echoed: number;
  misrouted: number;
  lost: number;
  polls: number;
  errors: string[];
  ended: number;
}
export interface SoakReport {
  tallies: Record<string, Tally>;
  transitions: { at: number; node: string; to: string; cause: string }[];
}
export function runSoak(options: {
  seconds: number;
  sockets: number;
  polls: number;
  health?: 'fast' | 'defaults';
  build?: boolean;
  log?: (line: string) => void;
}): Promise<SoakReport>;
export function brokenPromises(report: SoakReport): string[];
export function formatReport(report: SoakReport): string;
