/** A Node client that records what it received, for assertions. */
import {
  createClient,
  splitCursor,
  type ClientOptions,
  type Envelope,
  type PushClient,
  type TechniqueId,
} from '../../bench/clients/wire/index.ts';

export interface RecordingClient {
  readonly client: PushClient;
  readonly messages: Envelope[];
  /** The id each gap resumes after. */
  readonly gaps: number[];
  /** Each gap's whole cursor, `"<epoch>:<id>"`. */
  readonly gapCursors: string[];
  readonly errors: Error[];
  ids(): number[];
}

export function record(technique: TechniqueId, options: ClientOptions): RecordingClient {
  const messages: Envelope[] = [];
  const gaps: number[] = [];
  const gapCursors: string[] = [];
  const errors: Error[] = [];
  const client = createClient(
    technique,
    { intervalMs: 20, reconnectMs: 20, maxReconnectMs: 200, ...options },
    {
      onMessage: (message) => messages.push(message),
      onGap: (cursor) => {
        gaps.push(splitCursor(cursor).id);
        gapCursors.push(cursor);
      },
      onError: (error) => errors.push(error),
    },
  );
  return { client, messages, gaps, gapCursors, errors, ids: () => messages.map((m) => m.id) };
}
