/** The send box: publishes `{nick, text}` through the pane's client and says how it went. */
import { find, input } from './dom.ts';
import type { Pane } from './pane.ts';

/** Wires `#send` to `pane`: Enter or the button sends, the result goes to `#send-result`. */
export function setupSendForm(pane: Pane): void {
  const form = find<HTMLFormElement>('#send');
  const message = input('message');
  const result = find<HTMLOutputElement>('#send-result');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const client = pane.client;
    const text = message.value.trim();
    if (client === undefined || text === '') return;
    const nick = input('nick').value.trim();
    const startedMs = performance.now();
    result.textContent = 'sending…';
    result.dataset.state = 'pending';
    client.send({ nick, text }).then(
      (sent) => {
        const tookMs = Math.round(performance.now() - startedMs);
        result.textContent =
          sent.via === 'websocket'
            ? `ack: id ${sent.id}, over the socket in ${tookMs} ms`
            : `published: id ${sent.id}, by POST /api/publish in ${tookMs} ms`;
        result.dataset.state = sent.via === 'websocket' ? 'ack' : 'ok';
        // A reset, not `value = ''`: it also forgets that the field was touched, so the
        // emptied (required) box does not turn red as if the send had failed.
        form.reset();
      },
      (error: unknown) => {
        result.textContent = error instanceof Error ? error.message : String(error);
        result.dataset.state = 'error';
      },
    );
  });
}
