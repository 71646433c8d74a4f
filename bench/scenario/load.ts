/** Reading scenarios: by name from `scenarios/` or by path, and the command line's overrides on top. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join, resolve } from 'node:path';
import { suiteScenarios } from '../../registry/scenarios.ts';
import type { TechniqueId } from '../clients/wire/index.ts';
import type { PeerId } from '../../registry/peers.ts';
import type { LoadProtocol } from '../clients/load/index.ts';
import { parseScenario, ScenarioError, type Scenario } from './schema.ts';

/** Where the stock scenarios live. */
export const scenariosDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios');

/** Loads a scenario by name (`scenarios/<name>.json`) or by path (anything with a `/` or `.json`). */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
  const file = isPath ? resolve(nameOrPath) : join(scenariosDir, `${nameOrPath}.json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ScenarioError(isPath ? `no scenario file ${file}` : `no scenario named "${nameOrPath}" (looked for ${file})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseScenario(value, file, basename(file, '.json'));
}

/** The standard suite (`registry/scenarios.ts`): scenario names in the order `npm run bench` with no flags runs them. */
export function loadSuite(): string[] {
  return [...suiteScenarios];
}

/** What the command line may override in any scenario. */
export interface Overrides {
  techniques?: TechniqueId[];
  clients?: number;
  ratePerSecond?: number;
  durationMs?: number;
  payloadBytes?: number;
  /** Network profile names (`--network`), replacing the scenario's. */
  network?: string[];
  /** Peers (`--peers`), replacing the scenario's; empty for none. */
  peers?: 'all' | PeerId[];
  /** Protocols (`--protocol`), replacing the scenario's. */
  protocol?: LoadProtocol[];
}

/** Applies command-line overrides and validates the result again. */
export function applyOverrides(scenario: Scenario, overrides: Overrides): Scenario {
  const { name, ...rest } = scenario;
  const merged: Record<string, unknown> = { ...rest, name };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) merged[key] = value;
  // No peers (`--peers none`): the scenario's are dropped.
  if (overrides.peers?.length === 0) delete merged.peers;
  // A saturation's window is each step's: `--duration` sets the step.
  if (scenario.saturation !== undefined && overrides.durationMs !== undefined)
    merged.saturation = { ...scenario.saturation, stepMs: overrides.durationMs };
  if (overrides.techniques !== undefined && scenario.sweep?.techniques !== undefined) {
    const kept = scenario.sweep.techniques.filter((technique) => overrides.techniques?.includes(technique));
    merged.sweep = kept.length > 0 ? { ...scenario.sweep, techniques: kept } : undefined;
  }
  return parseScenario(merged, `scenario ${name} with the command-line overrides`, name);
}
