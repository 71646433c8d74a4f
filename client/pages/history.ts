/** A room's recent messages, asked of the server when a page joins it. */
import { techniques } from '../../registry/techniques.ts';
import type { Envelope, PollBody } from '../lib/wire.ts';

/** What `fetchHistory` found: the newest messages, oldest first, and the cursor after them. */
export interface History {
  messages: Envelope[];
  cursor: PollBody['cursor'];
}

/**
 * The newest `keep` (default 50) messages the server still holds for `topic`: a short poll
 * with `since=0` answers with everything retained, oldest first. A live client started with
 * `since` set to the returned cursor then misses nothing and shows nothing twice. At most
 * `maxAnswers` (default 20) answers are read when the server splits its answer.
 */
export async function fetchHistory(baseUrl: string, topic: string, keep = 50, maxAnswers = 20): Promise<History> {
  let since = '0';
  let messages: Envelope[] = [];
  for (let answers = 1; ; answers++) {
    const response = await fetch(`${baseUrl}${techniques['short-poll'].route}?${new URLSearchParams({ topic, since })}`, {
      cache: 'no-store',
    });
    if (!response.ok) throw new Error(`the history request answered HTTP ${response.status}`);
    // One cut short by the server's byte bound says `more`, and its cursor continues it.
    const body = (await response.json()) as PollBody;
    messages = [...messages, ...body.messages].slice(-keep);
    if (body.more !== true || answers >= maxAnswers) return { messages, cursor: body.cursor };
    since = String(body.cursor);
  }
}
