/** Short polling, long polling and JSONP: one request per answer, on one keep-alive socket. */
import { Script, createContext } from 'node:vm';
import type { Agent } from 'node:http';
import { BaseClient, createAgent, get, type Attempt, type PollBody } from '../base.ts';

abstract class PollClient extends BaseClient {
  protected readonly agent: Agent = createAgent();

  protected abstract url(): string;
  protected abstract parse(text: string): PollBody;

  protected connect(): Attempt {
    const attempt = get(this.url(), this.agent);
    return {
      done: attempt.done.then((text) => {
        if (!this.closed) this.receivePoll(this.parse(text));
      }),
      abort: attempt.abort,
    };
  }

  override close(): void {
    super.close();
    this.agent.destroy();
  }
}

/** `GET /api/short-poll` every `intervalMs` (default 1000). */
export class ShortPollClient extends PollClient {
  readonly technique = 'short-poll';
  protected url(): string {
    return `${this.options.baseUrl}${this.route}?${this.query()}`;
  }
  protected parse(text: string): PollBody {
    return JSON.parse(text) as PollBody;
  }
  protected override pauseMs(): number {
    return this.options.intervalMs ?? 1000;
  }
}

/** `GET /api/long-poll`, asked again as soon as it is answered. */
export class LongPollClient extends PollClient {
  readonly technique = 'long-poll';
  protected url(): string {
    return `${this.options.baseUrl}${this.route}?${this.query({ timeout: this.holdMs() })}`;
  }
  protected parse(text: string): PollBody {
    return JSON.parse(text) as PollBody;
  }
}

/** The callback JSONP answers call; evaluated in one sandbox shared by every JSONP client. */
const jsonpCallback = 'pushlabJsonp';
const sandbox = createContext({ [jsonpCallback]: undefined as ((body: PollBody) => void) | undefined });

/** `GET /api/jsonp`: the answer is evaluated as JavaScript, as a `<script>` would run it. */
export class JsonpClient extends BaseClient {
  readonly technique = 'jsonp';
  private readonly agent: Agent = createAgent();

  protected connect(): Attempt {
    const url = `${this.options.baseUrl}${this.route}?${this.query({ callback: jsonpCallback, timeout: this.holdMs() })}`;
    const attempt = get(url, this.agent);
    return {
      done: attempt.done.then((source) => {
        if (this.closed) return;
        let answer: PollBody | undefined;
        sandbox[jsonpCallback] = (body: PollBody) => {
          answer = body;
        };
        new Script(source, { filename: 'jsonp.js' }).runInContext(sandbox, { timeout: 1000 });
        sandbox[jsonpCallback] = undefined;
        if (answer === undefined) throw new Error('the JSONP answer did not call its callback');
        // The sandbox's objects belong to another realm; the client hands out plain ones.
        this.receivePoll(JSON.parse(JSON.stringify(answer)) as PollBody);
      }),
      abort: attempt.abort,
    };
  }

  override close(): void {
    super.close();
    this.agent.destroy();
  }
}
