/** The Protocols section: per-message costs under each protocol, what TLS adds, and the tabs table with where HTTP/1.1 stalled. */
import { describe, expect, it } from 'vitest';
import { renderMarkdown, buildReport } from '../../../../bench/report/index.ts';
import { only, row, run, section } from '../../../helpers/report-runs.ts';

function protocolsRun() {
  return run('protocols', {
    'long-poll@h1-tls': row('long-poll', { protocol: 'h1-tls', bytesPerMessage: 650, bytesOutPerMessage: 550, tlsBytesOutPerMessage: 572 }),
    'long-poll@h2': row('long-poll', { protocol: 'h2', bytesPerMessage: 455, bytesOutPerMessage: 388, tlsBytesOutPerMessage: 432 }),
    'sse@7tabs,h1': row('sse', { protocol: 'h1', variant: { tabs: 7 }, tabs: 7, tabsLive: 6, browserConnections: 6 }),
    'sse@7tabs,h2': row('sse', { protocol: 'h2', variant: { tabs: 7 }, tabs: 7, tabsLive: 7, browserConnections: 1 }),
    'sse@6tabs,h1': row('sse', { protocol: 'h1', variant: { tabs: 6 }, tabs: 6, tabsLive: 6, browserConnections: 6 }),
  });
}

describe('the Protocols section', () => {
  const s = only([protocolsRun()]);
  const protocols = section(s, 'Protocols: HTTP/1.1, TLS and HTTP/2');

  it('names each row by its protocol and compares HTTP/2 bytes with HTTP/1.1 over TLS', () => {
    expect(s.rows.map((r) => r.name)).toContain('long polling (HTTP/2)');
    expect(protocols.text).toContain('long polling: **455 B** per message over HTTP/2 against 650 B over HTTP/1.1 + TLS (70 %).');
  });

  it('shows what TLS adds, and the tabs table with the stall over HTTP/1.1 only', () => {
    const tls = protocols.tables.find((table) => table.id.endsWith('-tls'));
    expect(tls?.rows).toContainEqual(['long polling (HTTP/2)', '388', '432', '44 B', expect.any(String), '–']);
    const tabs = protocols.tables.find((table) => table.id.endsWith('-tabs'));
    expect(tabs?.columns.map((column) => column.header)).toEqual(['tabs', '6', '7']);
    expect(tabs?.rows).toEqual([
      ['SSE (HTTP/1.1)', 'all (6)', '6 (6)'],
      ['SSE (HTTP/2)', '–', 'all (1)'],
    ]);
    expect(protocols.text).toContain("SSE over HTTP/1.1 stalled from **7 tabs**: a tab beyond the browser's connections got nothing.");
    expect(renderMarkdown(buildReport([protocolsRun()]))).toContain('### Protocols: HTTP/1.1, TLS and HTTP/2');
  });

  it('is absent when no row names a protocol', () => {
    expect(only([run('plain', { sse: row('sse') })]).sections).toEqual([]);
  });
});
