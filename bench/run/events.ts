/** What the runner reports while it works, for a progress display (`results/progress.ts`). */
import type { TechniqueResult } from '../results/schema.ts';

/** The phases of one run, as the progress display names them. */
export type Phase = 'connect' | 'warm-up' | 'measure' | 'drain' | 'capacity' | 'check';

/** What the runner is doing, for a progress display. */
export type ProgressEvent =
  | { type: 'scenario'; scenario: string; runs: number }
  | { type: 'phase'; run: string; phase: Phase; total: number; unit: 'clients' | 'ms' | 'endpoints' | 'checks' }
  | { type: 'update'; value: number }
  | { type: 'phase-end' }
  | { type: 'run-end'; run: string; result: TechniqueResult }
  | { type: 'run-failed'; run: string; error: string };
