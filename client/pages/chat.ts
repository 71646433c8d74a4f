/** `/chat`: a room under a nickname, over any technique or `auto`; joining shows the room's recent messages. */
import type { ClientKind } from '../lib/index.ts';
import { fillRoomFields, find, input, rememberInUrl } from './dom.ts';
import { fetchHistory } from './history.ts';
import { Pane, isOwnMessage } from './pane.ts';
import { setupSendForm } from './send.ts';

const params = new URLSearchParams(location.search);
const select = find<HTMLSelectElement>('#technique');
fillRoomFields(params);
const wanted = params.get('technique');
if (wanted !== null && [...select.options].some((option) => option.value === wanted)) select.value = wanted;

const pane = new Pane(find('.pane'), { isOwn: (data) => isOwnMessage(data, input('nick').value) });
let joins = 0;

/**
 * Joins `room` over the chosen technique: the room's recent messages first, then the live
 * client from the cursor after them, so nothing falls between the two or shows twice.
 */
async function join(room: string): Promise<void> {
  const joined = ++joins;
  pane.close();
  pane.clear();
  let since: string | undefined;
  try {
    const history = await fetchHistory(location.origin, room);
    if (joined !== joins) return;
    pane.history(history.messages);
    since = history.cursor;
    if (history.messages.length === 0) pane.note('info', 'no earlier messages in this room');
  } catch (error) {
    if (joined !== joins) return;
    pane.note(
      'info',
      `the room's earlier messages could not be fetched (${error instanceof Error ? error.message : String(error)}); showing new ones`,
    );
  }
  pane.connect(select.value as ClientKind, { topic: room, since });
}

void join(input('room').value);
setupSendForm(pane);

find<HTMLFormElement>('#knobs').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  if (!form.reportValidity()) return;
  const room = input('room').value;
  rememberInUrl({ room, nick: input('nick').value, technique: select.value });
  void join(room).then(() => pane.note('info', `joined room ${room} as ${input('nick').value || 'a guest'}`));
});
