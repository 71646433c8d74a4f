/** `/`: the six techniques on one stream, a publish box and an auto-publish ticker. */
import { publish } from '../lib/publish.ts';
import { techniqueIds } from '../lib/index.ts';
import { find, input, numberOf, rememberInUrl } from './dom.ts';
import { Pane } from './pane.ts';

const params = new URLSearchParams(location.search);
const roomInput = input('room');
roomInput.value = params.get('room') ?? roomInput.value;
let room = roomInput.value;
const result = find<HTMLOutputElement>('#publish-result');
const panes = techniqueIds.map((technique) => ({
  technique,
  pane: new Pane(find(`.pane[data-technique="${technique}"]`), {
    logLimit: 30,
    mirror: find<HTMLElement>(`.compare tr[data-technique="${technique}"]`),
  }),
}));

/** (Re)connects every pane to the room, from now on. */
function connectAll(): void {
  for (const { technique, pane } of panes) pane.connect(technique, { topic: room, intervalMs: 1000 });
}
connectAll();

function say(text: string, state: string): void {
  result.textContent = text;
  result.dataset.state = state;
}

find<HTMLFormElement>('#controls').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  if (!form.reportValidity()) return;
  if (roomInput.value !== room) {
    room = roomInput.value;
    rememberInUrl({ room });
    for (const { pane } of panes) pane.clear();
    connectAll();
  }
  const message = input('message');
  const text = message.value.trim();
  if (text === '') return;
  publish(location.origin, room, { text }).then(
    (id) => {
      say(`published id ${id}`, 'ok');
      message.value = '';
    },
    (error: unknown) => say(error instanceof Error ? error.message : String(error), 'error'),
  );
});

// The ticker: `rate` messages per second of `payload` bytes each, until stopped.
const tickerButton = find<HTMLButtonElement>('#ticker');
let ticker: ReturnType<typeof setInterval> | undefined;
let sent = 0;
let failed = 0;

function stopTicker(): void {
  if (ticker !== undefined) clearInterval(ticker);
  ticker = undefined;
  tickerButton.textContent = 'Start ticker';
  tickerButton.setAttribute('aria-pressed', 'false');
  // With the ticker off, the logs may speak again.
  for (const log of document.querySelectorAll('[data-field="log"]')) log.setAttribute('aria-live', 'polite');
}

tickerButton.addEventListener('click', () => {
  if (ticker !== undefined) {
    stopTicker();
    return;
  }
  const rate = Math.min(50, Math.max(0.2, numberOf(input('rate'), 2)));
  const pad = 'x'.repeat(Math.min(16_384, Math.max(0, Math.floor(numberOf(input('payload'), 100)))));
  tickerButton.textContent = 'Stop ticker';
  tickerButton.setAttribute('aria-pressed', 'true');
  // Six logs announcing several messages a second would drown a screen reader.
  for (const log of document.querySelectorAll('[data-field="log"]')) log.setAttribute('aria-live', 'off');
  ticker = setInterval(() => {
    const seq = sent + failed + 1;
    publish(location.origin, room, { seq, pad }).then(
      () => {
        sent++;
        say(`ticker: ${sent} sent${failed > 0 ? `, ${failed} failed` : ''} at ${rate}/s, ${pad.length} B each`, 'ok');
      },
      () => {
        failed++;
        say(`ticker: ${sent} sent, ${failed} failed`, 'error');
      },
    );
  }, 1000 / rate);
});

roomInput.addEventListener('change', () => {
  if (!roomInput.checkValidity() || roomInput.value === room) return;
  room = roomInput.value;
  rememberInUrl({ room });
  for (const { pane } of panes) pane.clear();
  connectAll();
});

/**
 * The connection-limit note for the protocol this page came over, as the browser negotiated
 * it (`nextHopProtocol`: `h2`, `http/1.1`); undefined where the browser does not say.
 */
function connectionNote(): { protocol: string; text: string } | undefined {
  const [navigation] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
  const protocol = navigation?.nextHopProtocol ?? '';
  if (protocol === 'h2' || protocol === 'h3') {
    return {
      protocol,
      text: `This page runs over HTTP/${protocol.slice(1)}: all six panes, and every other tab on this host, share one connection as streams (about 100 at once), so no pane or tab waits for a free connection.`,
    };
  }
  if (protocol === 'http/1.1') {
    return {
      protocol,
      text: "This page runs over HTTP/1.1: the browser keeps at most 6 connections per host and four panes hold one open each, so a seventh held request (another tab's stream or poll on this host) waits until one closes. Run the server with --tls for HTTP/2, or open demo pages in another browser profile.",
    };
  }
  return undefined;
}
const note = connectionNote();
const noteElement = document.querySelector<HTMLElement>('#connection-note');
if (note !== undefined && noteElement !== null) {
  noteElement.textContent = note.text;
  noteElement.dataset.protocol = note.protocol;
}
