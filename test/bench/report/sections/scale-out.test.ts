/** The Scale-out section: each technique on one process beside it on several, and the failover's counts, the peer's included. */
import { describe, expect, it } from 'vitest';
import { only, row, run, section } from '../../../helpers/report-runs.ts';

describe('the Scale-out section', () => {
  it('pairs each row on one process with the same row on several, with redis-server and nginx CPU per 1,000 deliveries', () => {
    const s = only([
      run('scale-out', {
        'sse@single': row('sse', { latencyMs: { p50: 2, p90: 4, p99: 8, max: 20 } }),
        'sse@scale-out': row('sse', { processes: 2, redisCpuMs: 300, nginxCpuMs: 700, latencyMs: { p50: 3, p90: 6, p99: 12, max: 30 } }),
      }),
    ]);
    const [compare] = section(s, 'Scale-out on Redis behind nginx').tables;
    expect(compare?.rows).toEqual([['SSE', '2', '3', '8', '12', '10', '10', '1', '200', '200', '0/0/0']]);
  });

  it('shows the failover of every row and names the rows that lost, repeated or reordered', () => {
    const s = only([
      run('failover', {
        'sse@scale-out': row('sse', { processes: 2, failovers: 1 }),
        'peer:socketio-websocket@scale-out': row('websocket', {
          peer: 'socketio-websocket',
          processes: 2,
          failovers: 1,
          delivered: 999_900,
          lost: 100,
        }),
      }),
    ]);
    const part = section(s, 'Scale-out on Redis behind nginx');
    expect(part.text.join('\n')).toMatch(/1 of them lost, repeated and reordered nothing; 1 did not: Socket\.IO \(websocket\)/);
    const failover = part.tables.find((table) => table.id.endsWith('scale-out-failover'));
    expect(failover?.rows.map((cells) => cells.slice(0, 5))).toEqual([
      ['SSE', '1,000,000/1,000,000', '0', '0', '0'],
      ['Socket.IO (websocket)', '999,900/1,000,000', '100', '0', '0'],
    ]);
  });

  it('is absent when no row ran on several processes', () => {
    const s = only([run('plain', { sse: row('sse') })]);
    expect(s.sections.some((part) => part.title.startsWith('Scale-out'))).toBe(false);
  });
});
