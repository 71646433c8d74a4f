/** `/demo/<technique>`: one technique's client, its knobs, a wire panel and a send box. */
import type { ClientOptions, TechniqueId } from '../lib/index.ts';
import { fillRoomFields, find, input, numberOf, rememberInUrl } from './dom.ts';
import { Pane } from './pane.ts';
import { setupSendForm } from './send.ts';

const technique = find('.demo').dataset.technique as TechniqueId;
const params = new URLSearchParams(location.search);
const wire = find('[data-field="wire"]');
const pane = new Pane(find('.pane'), {
  onWire: (text) => {
    wire.textContent = text;
  },
});
const interval = document.querySelector<HTMLInputElement>('#interval');
const hold = document.querySelector<HTMLInputElement>('#hold');
const worker = document.querySelector<HTMLInputElement>('#worker');

fillRoomFields(params);
if (interval !== null) interval.value = params.get('interval') ?? interval.value;
if (hold !== null) hold.value = params.get('hold') ?? hold.value;
if (worker !== null) worker.checked = params.get('worker') === '1';

let room = input('room').value;

function options(since: string | undefined): ClientOptions {
  return {
    topic: room,
    since,
    intervalMs: numberOf(interval, 1000),
    useWorker: worker?.checked === true,
    holdMs: hold === null ? undefined : numberOf(hold, 25_000),
  };
}

pane.connect(technique, options(undefined));
setupSendForm(pane);

find<HTMLFormElement>('#knobs').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  if (!form.reportValidity()) return;
  const nextRoom = input('room').value;
  const sameRoom = nextRoom === room;
  room = nextRoom;
  rememberInUrl({
    room,
    nick: input('nick').value,
    interval: interval?.value,
    hold: hold?.value,
    worker: worker?.checked === true ? '1' : undefined,
  });
  if (!sameRoom) pane.clear();
  // The same room resumes from the cursor, so nothing is missed or shown twice.
  pane.connect(technique, options(sameRoom ? pane.client?.cursor : undefined));
  pane.note('info', sameRoom ? 'reconnected with the new knobs' : `joined room ${room}`);
});
