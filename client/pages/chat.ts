/** `/chat`: a room under a nickname, over any technique or `auto`. */
import type { ClientKind } from '../lib/index.ts';
import { fillRoomFields, find, input, rememberInUrl } from './dom.ts';
import { Pane } from './pane.ts';
import { setupSendForm } from './send.ts';

const params = new URLSearchParams(location.search);
const select = find<HTMLSelectElement>('#technique');
fillRoomFields(params);
const wanted = params.get('technique');
if (wanted !== null && [...select.options].some((option) => option.value === wanted)) select.value = wanted;

const pane = new Pane(find('.pane'));
pane.connect(select.value as ClientKind, { topic: input('room').value });
setupSendForm(pane);

find<HTMLFormElement>('#knobs').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  if (!form.reportValidity()) return;
  const room = input('room').value;
  rememberInUrl({ room, nick: input('nick').value, technique: select.value });
  pane.clear();
  pane.connect(select.value as ClientKind, { topic: room });
  pane.note('info', `joined room ${room} as ${input('nick').value || 'a guest'}`);
});
