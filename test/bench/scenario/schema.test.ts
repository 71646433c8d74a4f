import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../../bench/scenario/schema.ts';
import { applyOverrides, loadScenario, loadSuite, scenariosDir } from '../../../bench/scenario/load.ts';
import { expandScenario } from '../../../bench/scenario/plan.ts';

const valid = { clients: 10, ratePerSecond: 5, durationMs: 1000 };

async function writeScenario(value: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pushlab-scenario-'));
  const file = join(dir, 'bad.json');
  await writeFile(file, JSON.stringify(value));
  return file;
}

describe('scenarios', () => {
  it('validates every stock scenario, and the suite names existing ones', async () => {
    const files = (await readdir(scenariosDir)).filter((f) => f.endsWith('.json'));
    const names = files.map((f) => f.replace(/\.json$/, ''));
    expect(names).toEqual(expect.arrayContaining(['smoke', 'chat', 'ticker', 'idle', 'poll-interval-sweep', 'payload-sweep']));
    for (const name of names) expect((await loadScenario(name)).name).toBe(name);
    const suite = loadSuite();
    for (const name of suite) expect(names).toContain(name);
  });

  it('fills in defaults', () => {
    const scenario = parseScenario(valid, 'test', 'x');
    expect(scenario).toMatchObject({
      name: 'x',
      topics: 1,
      payloadBytes: 256,
      warmupMs: 1000,
      knobs: { intervalMs: 1000, holdMs: 25_000 },
    });
    expect(scenario.techniques).toHaveLength(6);
  });

  it.each([
    [{ ...valid, clients: -1 }, /clients/],
    [{ ...valid, clinets: 3 }, /clinets/],
    [{ ...valid, techniques: ['sse', 'comet'] }, /techniques\.1/],
    [{ ...valid, payloadBytes: 8 }, /payloadBytes/],
    [{ ...valid, knobs: { intervalMs: 'fast' } }, /knobs\.intervalMs/],
    [{ ...valid, sweep: { variants: [{ intervalMs: 100 }, { interval: 5 }] } }, /sweep\.variants\.1/],
    [{ clients: 10, durationMs: 1000 }, /ratePerSecond/],
  ])('a bad file stops with a message naming the wrong field (%j)', async (value, field) => {
    const file = await writeScenario(value);
    const error = await loadScenario(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as Error).message).toMatch(field);
    expect((error as Error).message).toContain(file);
  });

  it('the CLI refuses a bad file before running anything, naming the field', async () => {
    const file = await writeScenario({ ...valid, durationMs: 0 });
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'bench/cli.ts', '--scenario', file, '--out', join(tmpdir(), 'never')], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(cli.status).toBe(2);
    expect(cli.stderr).toMatch(/durationMs/);
    expect(cli.stdout).toBe('');
  });

  it('expands a sweep into keyed rows with technique and variant', async () => {
    const sweep = expandScenario(await loadScenario('poll-interval-sweep'));
    expect(sweep.map((p) => p.key)).toEqual([
      'short-poll@100ms',
      'short-poll@250ms',
      'short-poll@500ms',
      'short-poll@1000ms',
      'short-poll@2000ms',
      'long-poll',
      'sse',
      'websocket',
    ]);
    expect(sweep[1]).toMatchObject({ technique: 'short-poll', intervalMs: 250, variant: { intervalMs: 250 } });
    const payloads = expandScenario(await loadScenario('payload-sweep'));
    expect(payloads.find((p) => p.key === 'sse@1024B')).toMatchObject({
      technique: 'sse',
      payloadBytes: 1024,
      variant: { payloadBytes: 1024 },
    });
    expect(payloads).toHaveLength(24);
  });

  it('applies command-line overrides and validates them', async () => {
    const ticker = await loadScenario('ticker');
    const small = applyOverrides(ticker, { techniques: ['sse'], clients: 5, durationMs: 500, payloadBytes: 100, ratePerSecond: 2 });
    expect(small).toMatchObject({ name: 'ticker', techniques: ['sse'], clients: 5, durationMs: 500, payloadBytes: 100, ratePerSecond: 2 });
    expect(() => applyOverrides(ticker, { payloadBytes: 10 })).toThrow(/payloadBytes/);
    const sweep = applyOverrides(await loadScenario('poll-interval-sweep'), { techniques: ['sse'] });
    expect(expandScenario(sweep).map((p) => p.key)).toEqual(['sse']);
    // `--peers none` drops a scenario's peers.
    const alone = applyOverrides(await loadScenario('saturation'), { techniques: ['websocket'], peers: [] });
    expect(expandScenario(alone).map((p) => p.key)).toEqual(['websocket']);
  });

  it('refuses an unknown peer on the command line, naming none among the choices', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/cli.ts', '-s', 'smoke', '--peers', 'nobody'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/all, or none/);
  });
});
