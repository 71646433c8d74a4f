/**
 * The pages' HTML, rendered on the server from constants only (no request input reaches
 * it). No inline scripts, handlers or `style=` attributes: behaviour comes from
 * `/assets/*.js`, looks from `/assets/styles.css`, so a strict Content-Security-Policy fits.
 */
import { techniqueIds, techniques, type TechniqueId } from '../../registry/techniques.ts';
import { techniqueTexts } from './techniques.ts';

type Current = TechniqueId | 'playground' | 'chat' | 'none';

function nav(current: Current): string {
  const link = (href: string, label: string, here: boolean): string =>
    `<li><a href="${href}"${here ? ' aria-current="page"' : ''}>${label}</a></li>`;
  return (
    `<nav aria-label="Pages"><ul>` +
    link('/', 'Playground', current === 'playground') +
    techniqueIds.map((id) => link(`/demo/${id}`, techniques[id].name, current === id)).join('') +
    link('/chat', 'Chat', current === 'chat') +
    `</ul></nav>`
  );
}

/** The document around `main`, loading `/assets/<script>.js` when named. */
export function layout(title: string, current: Current, main: string, script?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · pushlab</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/styles.css">
${script === undefined ? '' : `<script src="/assets/${script}.js" defer></script>\n`}</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site"><a class="brand" href="/">pushlab</a>${nav(current)}</header>
<main id="main" tabindex="-1">
${main}
</main>
</body>
</html>
`;
}

/** A counter: `<div><dt>label</dt><dd data-field="name">–</dd></div>`. */
function counter(field: string, label: string, title = ''): string {
  return `<div${title === '' ? '' : ` title="${title}"`}><dt>${label}</dt><dd data-field="${field}">–</dd></div>`;
}

/** How `pane` lays out one client. */
interface PaneLayout {
  /** Show the bytes counter and its note. Default true. */
  bytes?: boolean;
  /** Fold the counters under a `<details>` (the chat, where the talk matters most). Default false. */
  fold?: boolean;
}

/** Status line, counters and log of one client; `data-technique` names it. */
function pane(technique: TechniqueId | 'auto', heading: string, logLabel: string, { bytes = true, fold = false }: PaneLayout = {}): string {
  const counters = `<dl class="counters">
${counter('latency-median', 'latency median', 'median delivery latency of the last 50 messages: arrival time minus the publish time t')}
${counter('latency-worst', 'worst', 'worst delivery latency of the last 50 messages')}
${counter('messages', 'messages')}
${counter('requests', 'requests', 'HTTP requests or connections started')}
${counter('per-message', 'requests / message')}
${counter('empty-polls', 'empty polls', 'poll answers that carried no message (streams have none)')}
${counter('requests-per-second', 'requests / s', 'requests or connections started per second since this client connected')}
${bytes ? counter('bytes', 'bytes received') : ''}
${counter('reconnects', 'reconnects')}
${counter('gaps', 'gaps')}
${counter('cursor', 'cursor', 'epoch:id, the stream this client follows and the newest id it accounts for in it')}
</dl>
${bytes ? '<p class="bytes-note" data-field="bytes-note"></p>' : ''}`;
  return `<div class="status-line"><span class="badge" data-field="status" data-status="connecting" role="status">connecting</span>
<span class="detail" data-field="detail"></span></div>
${
  fold
    ? `<details class="telemetry"><summary>Connection figures: latency, requests, bytes, reconnects</summary>
${counters}
</details>`
    : counters
}
<h${heading} class="log-heading">${logLabel}</h${heading}>
<ol class="log" data-field="log" role="log" aria-live="polite" aria-label="${logLabel} (${technique})" tabindex="0"></ol>`;
}

function roomFields(): string {
  return `<div class="field"><label for="room">Room (topic)</label><input id="room" name="room" required pattern="[A-Za-z0-9_.\\-]{1,64}" maxlength="64" value="lobby" autocomplete="off"></div>
<div class="field"><label for="nick">Nickname</label><input id="nick" name="nick" maxlength="32" value="" autocomplete="nickname"></div>`;
}

function sendForm(hint: string): string {
  return `<form class="send" id="send" aria-labelledby="send-heading">
<h2 id="send-heading">Send a message</h2>
<div class="row"><label class="visually-hidden" for="message">Message</label>
<input id="message" name="message" required maxlength="2000" placeholder="Say something to the room" autocomplete="off">
<button type="submit">Send</button></div>
<p class="hint">${hint}</p>
<output id="send-result" aria-live="polite"></output>
</form>`;
}

/** `/demo/<technique>`. */
export function demoPage(technique: TechniqueId): string {
  const text = techniqueTexts[technique];
  const knobs: string[] = [];
  if (text.knobs.includes('interval')) {
    knobs.push(
      `<div class="field"><label for="interval">Poll interval (ms)</label><input id="interval" name="interval" type="number" min="50" max="60000" step="50" value="1000"></div>`,
    );
  }
  if (text.knobs.includes('worker')) {
    knobs.push(
      `<div class="field check"><input id="worker" name="worker" type="checkbox"><label for="worker">Poll from a Web Worker</label></div>`,
    );
  }
  if (text.knobs.includes('hold')) {
    knobs.push(
      `<div class="field"><label for="hold">Hold timeout (ms)</label><input id="hold" name="hold" type="number" min="0" max="60000" step="500" value="25000"></div>`,
    );
  }
  const sendHint =
    technique === 'websocket'
      ? "Sent over this page's WebSocket; the server answers with an ack naming the id."
      : "Sent with <code>POST /api/publish</code>; it comes back through this page's own technique, like everyone else's.";
  // The live pane and the send box come first in the document, so a phone shows them
  // first; on wide screens the explanation, knobs and wire sit in the left column.
  const main = `<div class="demo" data-technique="${technique}">
<h1>${techniques[technique].name}</h1>
<div class="live">
<section class="pane panel" data-technique="${technique}" aria-labelledby="live-heading">
<h2 id="live-heading">Live</h2>
${pane(technique, '3', 'Messages')}
</section>
${sendForm(sendHint)}
</div>
<div class="side">
<section class="explain" aria-labelledby="how-heading">
<h2 id="how-heading">How it works</h2>
${text.how.map((p) => `<p>${p}</p>`).join('\n')}
<h2>What it costs</h2>
<ul>${text.costs.map((c) => `<li>${c}</li>`).join('')}</ul>
</section>
<form class="knobs panel" id="knobs" aria-labelledby="knobs-heading">
<h2 id="knobs-heading">Room and knobs</h2>
<div class="fields">${roomFields()}${knobs.join('')}</div>
<button type="submit">Apply and reconnect</button>
</form>
<section class="wire panel" aria-labelledby="wire-heading">
<h2 id="wire-heading">Wire: the last response or frame</h2>
<pre data-field="wire" tabindex="0" aria-label="the last response or frame">(nothing yet)</pre>
</section>
</div>
</div>`;
  return layout(techniques[technique].name, technique, main, 'demo');
}

/** The playground's at-a-glance table: one row per technique, filled in by its pane. */
function comparison(): string {
  const rows = techniqueIds
    .map(
      (id) =>
        `<tr data-technique="${id}"><th scope="row"><a href="#pane-${id}">${id}</a></th>` +
        ['latency-median', 'latency-worst', 'per-message', 'bytes-per-message', 'empty-polls']
          .map((field) => `<td data-field="${field}">–</td>`)
          .join('') +
        '</tr>',
    )
    .join('\n');
  return `<section class="compare panel" aria-labelledby="compare-heading">
<h2 id="compare-heading">At a glance</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">technique</th><th scope="col" title="median delivery latency of the last 50 messages">median</th><th scope="col" title="worst delivery latency of the last 50 messages">worst</th><th scope="col" title="requests (or connections) per message">req per msg</th><th scope="col" title="bytes received per message, as far as the browser lets the page count them">bytes per msg</th><th scope="col" title="poll answers that carried no message">empty polls</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>
<p class="note">Bytes as each browser API lets a page count them: headers included for polls and finished documents, payloads only for SSE and WebSocket (the benchmark counts at the socket).</p>
</section>`;
}

/** `/`: the six side by side. */
export function playgroundPage(): string {
  const panes = techniqueIds
    .map((id) => {
      const text = techniqueTexts[id];
      return `<section class="pane panel" data-technique="${id}" aria-labelledby="pane-${id}">
<h2 id="pane-${id}"><a href="/demo/${id}">${techniques[id].name}</a></h2>
<p class="summary">${text.summary}</p>
${pane(id, '3', 'Messages', { bytes: false })}
</section>`;
    })
    .join('\n');
  const main = `<div class="playground">
<h1>Six ways to push, side by side</h1>
<p class="lede">Every pane below receives the same stream through a different technique. Publish a message or start the ticker and compare latency and requests per message. Each pane links to a page that explains its technique.</p>
<div class="top">
${comparison()}
<form class="controls panel" id="controls" aria-label="Publish">
<div class="field"><label for="room">Room (topic)</label><input id="room" name="room" required pattern="[A-Za-z0-9_.\\-]{1,64}" maxlength="64" value="lobby" autocomplete="off"></div>
<div class="field grow"><label for="message">Message</label><input id="message" name="message" maxlength="2000" placeholder="Hello, six ways" autocomplete="off"></div>
<button type="submit" id="publish">Publish</button>
<fieldset class="ticker"><legend>Auto-publish</legend>
<div class="field"><label for="rate">Messages per second</label><input id="rate" name="rate" type="number" min="0.2" max="50" step="0.2" value="2"></div>
<div class="field"><label for="payload">Payload (bytes)</label><input id="payload" name="payload" type="number" min="0" max="16384" step="1" value="100"></div>
<button type="button" id="ticker" aria-pressed="false">Start ticker</button>
</fieldset>
<output id="publish-result" aria-live="polite"></output>
</form>
</div>
<div class="panes">
${panes}
</div>
<p class="note" id="connection-note">Over HTTP/1.1 all six panes share the browser's 6 connections per host: four of them hold one open. Open demo pages in another browser profile, or close this tab, if another page seems stuck. Over HTTP/2 (<code>npm start -- --tls</code>) they share one connection as streams and the limit is gone.</p>
</div>`;
  return layout('Playground', 'playground', main, 'playground');
}

/** `/chat`: a room with a nickname, over any technique or `auto`. */
export function chatPage(): string {
  const options = ['auto', ...techniqueIds]
    .map((id) => `<option value="${id}">${id === 'auto' ? 'auto (best that works)' : techniques[id as TechniqueId].name}</option>`)
    .join('');
  const main = `<div class="chat">
<h1>Chat</h1>
<p class="lede">Rooms are topics. A message sent here reaches everyone in the room, whichever technique their page uses: every demo page can join a room too.</p>
<div class="talk">
<section class="pane panel room" data-technique="auto" aria-labelledby="room-heading">
<h2 id="room-heading">The room</h2>
${pane('auto', '3', 'Messages', { fold: true })}
</section>
${sendForm('Sent over the WebSocket when that is the technique in use, otherwise with <code>POST /api/publish</code>.')}
</div>
<form class="knobs panel" id="knobs" aria-labelledby="join-heading">
<h2 id="join-heading">Join a room</h2>
<div class="fields">${roomFields()}
<div class="field"><label for="technique">Technique</label><select id="technique" name="technique">${options}</select></div></div>
<button type="submit">Join</button>
</form>
</div>`;
  return layout('Chat', 'chat', main, 'chat');
}

/** The page for an unknown `/demo/<name>`. */
export function notFoundPage(): string {
  return layout(
    'Not found',
    'none',
    `<h1>No such page</h1><p>There is no demo by that name. The techniques are: ${techniqueIds
      .map((id) => `<a href="/demo/${id}">${id}</a>`)
      .join(', ')}.</p>`,
  );
}
