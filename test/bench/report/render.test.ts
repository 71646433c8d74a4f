/** The report rendered from the stored results fixtures: tables, findings, alerts, one SVG per chart. */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReport, renderHtml, renderMarkdown, type ReportModel } from '../../../bench/report/index.ts';
import { fixtureRuns } from '../../helpers/results-fixtures.ts';
import { leaders } from '../../../bench/report/sections/noise.ts';

let model: ReportModel;
let markdown: string;
let html: string;

beforeAll(async () => {
  model = buildReport(await fixtureRuns());
  markdown = renderMarkdown(model);
  html = renderHtml(model);
});

function scenario(name: string): ReportModel['scenarios'][number] {
  const found = model.scenarios.find((s) => s.scenario === name);
  if (found === undefined) throw new Error(`no scenario ${name}`);
  return found;
}

describe('report model', () => {
  it('reports the newest run per scenario, in suite order, unknown scenarios last', () => {
    expect(model.runsRead).toBe(4);
    expect(model.scenarios.map((s) => s.scenario)).toEqual(['ticker', 'poll-interval-sweep', 'fan-out-scaling']);
    expect(scenario('ticker').run.startedAt).toBe('2025-11-21T09:30:00.000Z');
    expect(scenario('ticker').previous?.startedAt).toBe('2025-11-20T10:00:00.000Z');
    expect(scenario('poll-interval-sweep').previous).toBeUndefined();
  });

  it('gives results without peers, networks or saturation none of their sections', () => {
    for (const s of model.scenarios) expect(s.sections, s.scenario).toEqual([]);
    expect(markdown).not.toMatch(/### (Networks|Peers|Saturation)/);
  });

  it('orders sweep rows by technique, then by the swept knob', () => {
    expect(scenario('poll-interval-sweep').rows.map((r) => r.key)).toEqual([
      'short-poll@100ms',
      'short-poll@250ms',
      'short-poll@500ms',
      'short-poll@1000ms',
      'short-poll@2000ms',
      'short-poll@5000ms',
      'long-poll',
      'sse',
      'websocket',
    ]);
  });
});

describe('findings', () => {
  it('states the bytes ratio of push against short polling at 1 s, computed from the data', () => {
    // sse: 5.4 + 214 = 219.4 B; short-poll@1000ms: 162 + 386 = 548 B; 548 / 219.4 = 2.497…
    expect(scenario('poll-interval-sweep').findings).toContain(
      'SSE delivered each message with **2.5× fewer bytes than** short polling at 1 s (219 B against 548 B), at a 557× lower median latency (0.9 ms against 501 ms).',
    );
    // In ticker short polling batches 100 messages per poll: about as many bytes as SSE.
    expect(scenario('ticker').findings.join('\n')).toContain(
      'SSE delivered each message with **about as many bytes as** short polling (207 B against 200 B)',
    );
  });

  it('names the cheapest and fastest rows of each scenario', () => {
    const ticker = scenario('ticker').findings.join('\n');
    expect(ticker).toContain('**Lowest median latency**: WebSocket, 1.18 ms; **lowest p99**: WebSocket, 8.15 ms.');
    expect(ticker).toContain(
      '**Fewest bytes per message**: WebSocket, 194 B on the wire (65.9 % of it payload); the most: JSONP, 470 B, 2.42× as much.',
    );
    expect(ticker).toContain('**Least server CPU per 1,000 messages**: short polling, 0.918 ms; the most: JSONP, 29.2 ms');
    const sweep = scenario('poll-interval-sweep').findings.join('\n');
    expect(sweep).toContain('At no interval tested (100 ms to 5 s) did short polling use as few bytes per message as WebSocket (204 B)');
  });

  it('groups warnings into one line per scenario on the first screen, the row alerts folded beneath, nothing for clean runs', () => {
    expect(scenario('ticker').alerts).toHaveLength(3);
    expect(scenario('poll-interval-sweep').alerts).toEqual([]);
    expect(model.warnings.map((w) => `${w.scenario}: ${w.line}`)).toEqual([
      'ticker: lost messages: 1 of 6 rows; unexpected gaps: 1 of 6 rows; load-bound: 1 of 6 rows — their latency and throughput describe the load generator as much as the server',
    ]);
    const top = markdown.slice(0, markdown.indexOf('## How to read this'));
    expect(top).toContain('⚠ [ticker](#ticker): lost messages: 1 of 6 rows; unexpected gaps: 1 of 6 rows; load-bound: 1 of 6 rows');
    expect(top).toContain('- JSONP lost **37** of 2,000,000 expected messages (0.00185 %).');
    expect(top).toContain("- JSONP was told of **1** gap: messages a subscriber asked for were no longer in the server's replay buffer.");
    expect(top).toContain('- Long polling: the load generator, not the server, was the bottleneck (load process at 97 % of a core');
    const first = html.slice(0, html.indexOf('<nav'));
    expect(first.match(/<details class="warning">/g)).toHaveLength(1);
    expect(first).toContain('<summary>⚠ <a href="#ticker">ticker</a>: lost messages: 1 of 6 rows');
    expect(first).toContain('JSONP lost <strong>37</strong>');
  });

  it('treats a restart’s gaps as its result, not a warning', async () => {
    const [ticker] = await fixtureRuns();
    if (ticker === undefined) throw new Error('no fixture');
    const gapped = Object.fromEntries(
      Object.entries(ticker.techniques).map(([key, row]) => [
        key,
        { ...row, lost: 0, bottleneck: 'none' as const, gaps: row.clients, restarts: 1, subscribersWithGap: row.clients },
      ]),
    );
    const restart = { ...ticker, scenario: 'restart', params: { ...ticker.params, faults: { restartAtMs: 5000 } }, techniques: gapped };
    const [s] = buildReport([restart]).scenarios;
    expect(s?.alerts).toEqual([]);
    expect(s?.warning).toBeUndefined();
    expect(s?.findings[0]).toBe(
      'As intended, the restart was reported: in every row, every subscriber was told of a gap (the new server cannot replay the old one’s ids), and nothing was lost unreported.',
    );
    // The same gaps without a restart are a warning.
    const [plain] = buildReport([{ ...restart, params: ticker.params }]).scenarios;
    expect(plain?.warning).toBe('unexpected gaps: 6 of 6 rows');
  });

  it('treats a peer’s losses in a failover as its result, and still warns of pushlab’s', async () => {
    const [ticker] = await fixtureRuns();
    const websocket = ticker === undefined ? undefined : Object.values(ticker.techniques)[0];
    if (ticker === undefined || websocket === undefined) throw new Error('no fixture');
    const clean = { ...websocket, lost: 0, duplicated: 0, outOfOrder: 0, bottleneck: 'none' as const };
    const peer = { ...clean, peer: 'socketio-websocket' as const, lost: 24 };
    const failover = {
      ...ticker,
      scenario: 'failover',
      params: { ...ticker.params, faults: { failoverAtMs: 3000 } },
      techniques: { websocket: clean, 'peer:socketio-websocket': peer },
    };
    const [s] = buildReport([failover]).scenarios;
    expect(s?.warning).toBeUndefined();
    // pushlab's own loss in the same failover is still a warning.
    const [lossy] = buildReport([{ ...failover, techniques: { ...failover.techniques, websocket: { ...clean, lost: 3 } } }]).scenarios;
    expect(lossy?.warning).toBe('lost messages: 1 of 2 rows');
    // Without a failover the peer's loss is a warning too.
    const [plain] = buildReport([{ ...failover, params: ticker.params }]).scenarios;
    expect(plain?.warning).toBe('lost messages: 1 of 2 rows');
  });

  it('compares with the earlier run of the same scenario', () => {
    const jsonp = scenario('ticker').changes.find((c) => c.key === 'jsonp');
    const cpu = jsonp?.deltas.find((d) => d.label === 'server CPU per 1,000 messages');
    expect(cpu?.before).toBe(26.1);
    expect(cpu?.percent).toBeCloseTo(12, 6);
    expect(markdown).toContain('| `jsonp` | 3.1 → 3.32 (+7.2 %) | 33.8 → 36.2 (+7.2 %) | 470 → 470 (±0 %) | 26.1 → 29.2 (+12.0 %) |');
    expect(scenario('ticker').findings.at(-1)).toMatch(
      /^Against the run of 2025-11-20 10:00 UTC \(commit `07ac4d4`\), the largest changes: .*\+12\.0 %/,
    );
  });
});

describe('tables', () => {
  it('show every figure with units in the headers', () => {
    expect(markdown).toContain(
      '| row | clients | published (msg) | expected (msg) | delivered (msg) | lost (msg) | duplicated (msg) | out of order (msg) | gaps | delivered (msg/s) |',
    );
    expect(markdown).toContain('| `jsonp` | 1,000 | 2,000 | 2,000,000 | 1,999,963 | **37** ⚠ | 0 | 0 | **1** ⚠ |');
    expect(markdown).toContain('| row | p50 (ms) | p90 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | mean (ms) |');
    expect(markdown).toContain(
      '| row | requests per msg | bytes per msg (B) | in per msg (B) | out per msg (B) | payload share (%) | empty responses | server CPU (ms/1k msg) | server memory (B/conn) |',
    );
    expect(markdown).toContain('| `short-poll@100ms` | 10 | 3,770 | 1,620 | 2,150 | 3.4 | 27,000 | 382 | 2,100 |');
    expect(markdown).toContain(
      '| `long-poll` | 93 | 97 | 99 | **load** ⚠ | load generator at 97 % of a core: latency includes client-side queueing |',
    );
    expect(markdown).toContain('| `publish` | 9,820 | 9 | 21 | 0 |');
  });

  it('give the environment of each run and generate "how it was measured" from its numbers', () => {
    expect(markdown).toContain(
      '| `ticker` | 2025-11-21T09:30:00.000Z | v20.20.0 | AMD EPYC 7B13 | 2 | `a6d84f3` | yes | linux x64 | loopback |',
    );
    expect(scenario('ticker').measured).toContain(
      'The publisher sent 2,000 messages per row at 100 messages/s, with 128 B payloads, for 20 s, after 3 s of warm-up that is not measured, each stamped with a monotonic timestamp.',
    );
    expect(scenario('poll-interval-sweep').measured.join('\n')).toContain('short polling swept from every 100 ms to 5 s');
    expect(model.reading.join('\n')).toContain("In `ticker`, short polling's p99 of 999 ms means 1 message in 100 took longer than that.");
  });
});

describe('charts', () => {
  it('draws one standalone, labelled SVG per chart', () => {
    const ids = (name: string): string[] => scenario(name).charts.map((c) => c.id.slice(name.length + 1));
    // Each scenario leads with the chart that answers it; the rest fold in the HTML.
    expect(ids('ticker')).toEqual(['latency', 'bytes', 'cpu', 'requests', 'cdf', 'memory']);
    expect(ids('poll-interval-sweep')).toEqual(['trade-off', 'latency']);
    expect(ids('fan-out-scaling')).toEqual(['scaling-p99', 'scaling-cpu', 'latency']);
    for (const chart of model.scenarios.flatMap((s) => s.charts)) {
      expect(chart.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), chart.id).toBe(true);
      expect(chart.svg).toContain('role="img"');
      expect(chart.svg).toContain(`<title id="${chart.id}-title">${chart.title}</title>`);
      expect(chart.svg.match(/<svg[\s>]/g)?.length, chart.id).toBe(2); // the frame and Plot's plot area
      expect(chart.svg).not.toMatch(/<(div|figure|h2|span)[\s>]/); // no HTML inside a standalone SVG
      expect(chart.file).toBe(`charts/${chart.id}.svg`);
      expect(markdown).toContain(`![${chart.title}](${chart.file})`);
    }
  });

  it('labels the trade-off curve by interval and the push techniques by name', () => {
    const chart = scenario('poll-interval-sweep').charts.find((c) => c.id.endsWith('trade-off'));
    for (const label of ['100 ms', '250 ms', '1 s', '5 s', 'SSE', 'WebSocket', 'long polling'])
      expect(chart?.svg).toContain(`>${label}</text>`);
    expect(chart?.svg).toContain('requests per delivered message (requests, log scale)');
  });

  it('inlines every chart in the HTML, which needs no script and no network', () => {
    const charts = model.scenarios.flatMap((s) => s.charts);
    expect(html.match(/<figure class="chart"/g)).toHaveLength(charts.length);
    expect(html.match(/<figcaption>/g)).toHaveLength(charts.length);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    expect(html).toContain('<th scope="col" class="num">p99 (ms)</th>');
    expect(html).toContain('@media print');
  });
});

describe('a run with nothing delivered (idle connections)', () => {
  it('still renders: only the charts and findings that have data', () => {
    const rss: Record<string, number> = { 'short-poll': 1900, 'long-poll': 5800, jsonp: 5900, iframe: 15100, sse: 13800, websocket: 8900 };
    const idle = buildReport([
      {
        scenario: 'idle',
        startedAt: '2025-11-21T10:00:00.000Z',
        environment: { node: 'v20.20.0', cpu: 'test cpu', cores: 2, commit: 'abc1234', pinned: false },
        params: { clients: 5000, durationMs: 30_000 },
        techniques: Object.fromEntries(
          Object.entries(rss).map(([technique, bytes]) => [
            technique,
            {
              technique: technique as 'sse',
              clients: 5000,
              published: 0,
              expected: 0,
              delivered: 0,
              lost: 0,
              duplicated: 0,
              outOfOrder: 0,
              latencyMs: { p50: 0, p90: 0, p99: 0, max: 0 },
              requestsPerMessage: 0,
              bytesPerMessage: 0,
              payloadShare: 0,
              serverCpuMsPer1kMessages: 0,
              serverRssBytesPerConnection: bytes,
            },
          ]),
        ),
      },
    ]);
    const [s] = idle.scenarios;
    expect(s?.charts.map((c) => c.id)).toEqual(['idle-memory']);
    // Short polling holds no connection between polls: it is not in the memory finding.
    expect(s?.findings).toEqual([
      '**Least server memory per held connection**: long polling, 5.66 KiB; the most: iframe streaming, 14.7 KiB.',
    ]);
    expect(s?.alerts).toEqual([]);
    expect(s?.measured.join('\n')).toContain('The server was **not pinned** to a core');
    expect(renderMarkdown(idle)).toContain('| `websocket` | 5,000 | 0 | 0 | 0 | 0 | 0 | 0 |');
    expect(renderHtml(idle)).toContain('<figure class="chart" id="chart-idle-memory">');
  });
});

describe('a run with a row that failed', () => {
  it('says loudly which row was not measured, in both formats', async () => {
    const [first] = await fixtureRuns();
    if (first === undefined) throw new Error('no fixture');
    const model = buildReport([
      { ...first, failed: { 'sse@mobile-3g': 'timed out after 17200 ms waiting for 50 sse@mobile-3g clients to subscribe' } },
    ]);
    const alert = '`sse@mobile-3g` was **not measured**: timed out after 17200 ms waiting for 50 sse@mobile-3g clients to subscribe.';
    expect(model.scenarios[0]?.alerts[0]).toBe(alert);
    expect(renderMarkdown(model)).toContain('was **not measured**: timed out after 17200 ms');
    expect(renderHtml(model)).toContain('was <strong>not measured</strong>: timed out after 17200 ms');
  });
});

describe('the first screen', () => {
  it('says what was run in one line, then the verdict table of the six techniques', () => {
    expect(model.ran).toMatch(
      /^3 scenarios \(\[ticker\]\(#ticker\), .*\) on AMD EPYC 7B13, 2 cores, Node v20\.20\.0, .*; run 2025-11-21\.$/,
    );
    const verdict = model.verdict;
    expect(verdict?.caption).toContain('latency, bytes, requests and CPU from `ticker`; memory from `ticker`; no saturation run');
    expect(verdict?.columns.map((c) => c.header)).toEqual([
      'technique',
      'p50 ms',
      'p99 ms',
      'bytes/msg',
      'requests/msg',
      'CPU ms/1k',
      'memory/conn',
      'ceiling deliveries/s',
      'lost',
    ]);
    expect(verdict?.rows.map((row) => row[0])).toEqual(['short polling', 'long polling', 'JSONP', 'iframe streaming', 'SSE', 'WebSocket']);
    const jsonp = verdict?.rows.find((row) => row[0] === 'JSONP');
    expect(jsonp).toEqual(['JSONP', '3.32', '36.2', '470 B', expect.any(String), '29.2', expect.stringMatching(/KiB$/), '–', '37']);
    // Short polling holds no connection between polls.
    expect(verdict?.rows[0]?.[6]).toBe('none held');
    // Long polling was load-bound: its latency is marked, and the caption says what the mark means.
    expect(verdict?.rows[1]?.[1]).toMatch(/ ‡$/);
    expect(verdict?.caption).toContain('‡ the load generator was the bottleneck of this row');
    const first = html.slice(0, html.indexOf('<nav'));
    expect(first).toContain('<table id="table-verdict">');
    expect(markdown.indexOf('## Verdict')).toBeLessThan(markdown.indexOf('## How to read this'));
  });

  it('gives at most five findings, each linked to its evidence, and names no winner inside the noise', () => {
    expect(model.headline.length).toBeGreaterThan(0);
    expect(model.headline.length).toBeLessThanOrEqual(5);
    for (const finding of model.headline) expect(finding).toMatch(/\[→ [a-z-]+\]\(#[a-z-]+\)$/);
    expect(model.headline[0]).toBe('**Lowest median latency**: WebSocket, 1.18 ms; **lowest p99**: WebSocket, 8.15 ms [→ ticker](#ticker)');
    expect(html).toContain('<a href="#ticker">→ ticker</a>');
  });
});

describe('noise-aware winners', () => {
  it('names one leader only when the gap exceeds the noise', () => {
    const three = [
      { name: 'SSE', value: 3.35 },
      { name: 'WebSocket', value: 3.37 },
      { name: 'iframe streaming', value: 3.4 },
      { name: 'long polling', value: 9 },
    ];
    expect(leaders(three).map((m) => m.name)).toEqual(['SSE', 'WebSocket', 'iframe streaming']);
    expect(leaders([three[0]!, three[3]!]).map((m) => m.name)).toEqual(['SSE']);
    // With repeats, the spreads decide: overlapping spreads are a tie, apart they are not.
    expect(
      leaders([
        { name: 'a', value: 3, spread: [2.9, 3.1] },
        { name: 'b', value: 3.2, spread: [3.15, 3.3] },
      ]).map((m) => m.name),
    ).toEqual(['a']);
    expect(
      leaders([
        { name: 'a', value: 3, spread: [2.9, 3.5] },
        { name: 'b', value: 3.6, spread: [3.4, 3.9] },
      ]).map((m) => m.name),
    ).toEqual(['a', 'b']);
  });
});

describe('repeated runs in the report', () => {
  it('show medians with their range, and call overlapping ranges noise', async () => {
    const [ticker] = await fixtureRuns();
    if (ticker === undefined) throw new Error('no fixture');
    const repeated = Object.fromEntries(
      Object.entries(ticker.techniques).map(([key, row]) => {
        const runs = [0.9, 1, 1.1].map((f) => ({
          latencyMs: { ...row.latencyMs, p50: row.latencyMs.p50 * f },
          lost: 0,
          duplicated: 0,
          requestsPerMessage: row.requestsPerMessage,
          bytesPerMessage: row.bytesPerMessage,
          serverCpuMsPer1kMessages: row.serverCpuMsPer1kMessages,
          serverRssBytesPerConnection: row.serverRssBytesPerConnection,
        }));
        // SSE's runs reach down into WebSocket's: the two are within noise of each other.
        if (key === 'sse') runs[0]!.latencyMs.p50 = (ticker.techniques.websocket?.latencyMs.p50 ?? 0) * 1.05;
        return [key, { ...row, repeats: { runs } }];
      }),
    );
    const report = buildReport([{ ...ticker, techniques: repeated }]);
    expect(report.verdict?.caption).toContain('medians of 3 runs, their range in brackets');
    const websocket = report.verdict?.rows.find((row) => row[0] === 'WebSocket');
    expect(websocket?.[1]).toBe('1.6 (1.44–1.76)');
    expect(report.headline[0]).toMatch(/^\*\*Lowest median latency\*\*: WebSocket and SSE are within noise of each other/);
  });
});

describe('the trade-off chart', () => {
  it('draws every series its legend lists: a stream with no request sits at the left edge', async () => {
    const sweep = (await fixtureRuns()).find((run) => run.scenario === 'poll-interval-sweep');
    if (sweep === undefined) throw new Error('no fixture');
    const sse = sweep.techniques.sse;
    if (sse === undefined) throw new Error('no sse row');
    const run = { ...sweep, techniques: { ...sweep.techniques, sse: { ...sse, requestsPerMessage: 0 } } };
    const chart = buildReport([run]).scenarios[0]?.charts.find((c) => c.id.endsWith('trade-off'));
    expect(chart?.svg).toContain('>SSE (0 requests)</text>');
    expect(chart?.svg).toContain('>SSE</text>'); // the legend entry, drawn
    expect(chart?.caption).toContain('sits at the left edge');
  });
});

describe('a restart drawn over time', () => {
  it('leads with deliveries over the window, the kill marked', async () => {
    const [ticker] = await fixtureRuns();
    if (ticker === undefined) throw new Error('no fixture');
    const timeline = {
      bucketMs: 100,
      buckets: Array.from({ length: 50 }, (_, i): [number, number, number, number] => [i * 100, i >= 30 && i < 36 ? 0 : 10, 2, 5]),
      events: [[3000, 'server killed']] as [number, string][],
    };
    const techniques = Object.fromEntries(Object.entries(ticker.techniques).map(([key, row]) => [key, { ...row, timeline }]));
    const restart = { ...ticker, scenario: 'restart', params: { ...ticker.params, faults: { restartAtMs: 3000 } }, techniques };
    const [s] = buildReport([restart]).scenarios;
    expect(s?.charts.map((c) => c.id)).toEqual(['restart-timeline-delivered', 'restart-timeline-p99', 'restart-latency']);
    expect(s?.charts[0]?.svg).toContain('>server killed</text>');
    expect(s?.charts[0]?.svg).toContain('seconds into the window');
  });
});

describe('churn', () => {
  it('states its drops and resumes with loss 0 as the result', async () => {
    const [ticker] = await fixtureRuns();
    if (ticker === undefined) throw new Error('no fixture');
    const techniques = Object.fromEntries(Object.entries(ticker.techniques).map(([key, row]) => [key, { ...row, lost: 0, drops: 40 }]));
    const churn = { ...ticker, scenario: 'churn', params: { ...ticker.params, faults: { churnMeanMs: 1500 } }, techniques };
    const [s] = buildReport([churn]).scenarios;
    expect(s?.findings[0]).toBe(
      'As intended, subscribers dropped their connections and resumed with their cursor: 240 drops over 6 of 6 rows, **0 lost and 0 duplicated**.',
    );
  });
});
