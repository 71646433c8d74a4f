/** Small DOM helpers the page scripts share. */

/** The element matching `selector` under `root`; throws if the page lacks it (a markup bug). */
export function find<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T {
  const element = root.querySelector<T>(selector);
  if (element === null) throw new Error(`the page has no ${selector}`);
  return element;
}

/** The input with id `id`. */
export function input(id: string): HTMLInputElement {
  return find<HTMLInputElement>(`#${id}`);
}

/** A number from an input, or `fallback` when empty or invalid. */
export function numberOf(element: HTMLInputElement | null, fallback: number): number {
  if (element === null || element.value === '' || !element.checkValidity()) return fallback;
  const value = Number(element.value);
  return Number.isFinite(value) ? value : fallback;
}

/** Fills `room` and `nick` from the query string, a nickname from storage, or a guest name. */
export function fillRoomFields(params: URLSearchParams): void {
  const room = input('room');
  const nick = input('nick');
  room.value = params.get('room') ?? room.value;
  nick.value = params.get('nick') ?? readNick() ?? `guest-${Math.floor(1000 + Math.random() * 9000)}`;
  nick.addEventListener('change', () => saveNick(nick.value));
}

function readNick(): string | null {
  try {
    return localStorage.getItem('pushlab.nick');
  } catch {
    return null; // storage disabled (private mode, sandbox): a guest name will do
  }
}

function saveNick(nick: string): void {
  try {
    localStorage.setItem('pushlab.nick', nick);
  } catch {
    // storage disabled: the nickname lasts for this page only
  }
}

/** Writes the form's state into the address bar, so a reload or a shared link keeps it. */
export function rememberInUrl(values: Record<string, string | undefined>): void {
  const params = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === '') params.delete(key);
    else params.set(key, value);
  }
  const query = params.toString();
  history.replaceState(null, '', `${location.pathname}${query === '' ? '' : `?${query}`}`);
}

/** Milliseconds as a person reads them. */
export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Bytes as a person reads them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}
