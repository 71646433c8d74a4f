/**
 * The scenarios of the standard suite, written once: `npm run bench` with no `--scenario`
 * runs them in this order, and the report lists scenarios in this order too. Each name is a
 * file `scenarios/<name>.json`.
 */

/** The standard suite, in the order it runs and a reader meets it. */
export const suiteScenarios = [
  'chat',
  'ticker',
  'idle',
  'poll-interval-sweep',
  'payload-sweep',
  'networks',
  'saturation',
  'churn',
  'slow-consumer',
  'restart',
] as const;

/** The order of scenarios in the report: the smoke run first, then the suite; others follow alphabetically. */
export const scenarioOrder: readonly string[] = ['smoke', ...suiteScenarios];
