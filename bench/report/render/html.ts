/**
 * Renders the report model as one self-contained HTML page: inline CSS, inline SVG charts,
 * no scripts and nothing fetched, so it reads the same offline, without JavaScript and on paper.
 */
import type { Chart, ReportModel, ScenarioReport, Section, Table, Text } from '../types.ts';
import { escapeXml } from '../charts/svg.ts';

/** Report text to HTML: escaped, then `**bold**` and `` `code` `` marks turned into elements. */
export function inlineHtml(text: Text): string {
  return escapeXml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\[([^\]]+)\]\((#[A-Za-z0-9_-]+)\)/g, '<a href="$2">$1</a>');
}

/** Open findings per scenario before the rest are folded. */
const openFindings = 3;

/** Content folded under a one-line summary: tables, secondary charts, the method. */
function folded(summary: string, body: string): string {
  return body === '' ? '' : `<details><summary>${summary}</summary>\n${body}\n</details>`;
}

function charts(list: readonly Chart[]): string {
  return list.length === 0 ? '' : `<div class="charts">${list.map(figure).join('\n')}</div>`;
}

/** The first chart shown, the others folded: each scenario leads with the chart that answers its question. */
function chartsLeading(list: readonly Chart[]): string {
  const [first, ...rest] = list;
  if (first === undefined) return '';
  return charts([first]) + folded(`${rest.length} more chart${rest.length === 1 ? '' : 's'}`, charts(rest));
}

function tables(list: readonly Table[]): string {
  return folded(
    `${list.length === 1 ? 'Table' : `${list.length} tables`}: ${list.map((t) => escapeXml(t.caption.replace(/[*`]/g, ''))).join('; ')}`,
    list.map(htmlTable).join('\n'),
  );
}

/** A scenario's or the report's warning: one line, the row alerts folded beneath it. */
function warningLine(line: Text, alerts: readonly Text[], label?: string): string {
  return `<details class="warning"><summary>⚠ ${inlineHtml(label === undefined ? line : `${label}: ${line}`)}</summary>${list(alerts)}</details>`;
}

/** A table with a caption, column headers and row headers (the first column). */
export function htmlTable(table: Table): string {
  const align = (i: number): string => (table.columns[i]?.align === 'left' ? '' : ' class="num"');
  const head = table.columns.map((c, i) => `<th scope="col"${align(i)}>${inlineHtml(c.header)}</th>`).join('');
  const body = table.rows
    .map(
      (row) =>
        `<tr>${row.map((text, i) => (i === 0 ? `<th scope="row">${inlineHtml(text)}</th>` : `<td${align(i)}>${inlineHtml(text)}</td>`)).join('')}</tr>`,
    )
    .join('\n');
  return (
    `<div class="table-wrap" role="region" aria-labelledby="table-${table.id}-caption" tabindex="0">` +
    `<table id="table-${table.id}"><caption id="table-${table.id}-caption">${inlineHtml(table.caption)}</caption>` +
    `<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`
  );
}

function figure(chart: Chart): string {
  return `<figure class="chart" id="chart-${chart.id}">${chart.svg}<figcaption>${inlineHtml(chart.caption)}</figcaption></figure>`;
}

function list(items: readonly Text[]): string {
  return `<ul>${items.map((item) => `<li>${inlineHtml(item)}</li>`).join('\n')}</ul>`;
}

/** A section of a scenario (networks, peers, saturation): its text, charts, then tables. */
function section(part: Section): string {
  return [
    `<section id="${part.id}" aria-labelledby="${part.id}-heading">`,
    `<h3 id="${part.id}-heading">${escapeXml(part.title)}</h3>`,
    list(part.text.slice(0, openFindings)),
    folded(`${part.text.length - openFindings} more lines`, part.text.length > openFindings ? list(part.text.slice(openFindings)) : ''),
    chartsLeading(part.charts),
    tables(part.tables),
    '</section>',
  ].join('\n');
}

function scenarioSection(s: ScenarioReport): string {
  return [
    `<section id="${s.slug}" aria-labelledby="${s.slug}-heading">`,
    `<h2 id="${s.slug}-heading">${escapeXml(s.scenario)}</h2>`,
    s.warning === undefined ? '' : warningLine(s.warning, s.alerts),
    list(s.findings.length > 0 ? s.findings.slice(0, openFindings) : ['Nothing was delivered in this run.']),
    folded(
      `${s.findings.length - openFindings} more findings`,
      s.findings.length > openFindings ? list(s.findings.slice(openFindings)) : '',
    ),
    chartsLeading(s.charts),
    folded('How it was measured', list(s.measured)),
    ...s.sections.map(section),
    tables(s.tables),
    '</section>',
  ].join('\n');
}

const css = `
:root { color-scheme: light; --ink: #1b1e23; --muted: #5b616b; --line: #d8dbe0; --warn: #b42318; --warn-bg: #fef3f2; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1320px; padding: 1.5rem 1.25rem 4rem; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--ink); background: white; }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
h2.first { margin-top: 1rem; }
h2 { font-size: 1.4rem; margin: 2.5rem 0 .5rem; padding-top: .5rem; border-top: 2px solid var(--line); }
h3 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.lede, figcaption, caption { color: var(--muted); }
nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; list-style: none; }
a { color: #1d4ed8; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, monospace; background: #f3f4f6; padding: 0 .2em; border-radius: 3px; }
.warning { border-left: 3px solid var(--warn); background: var(--warn-bg); padding: .2rem .75rem; margin: .35rem 0; }
.warning summary { color: var(--warn); }
details { margin: .5rem 0; }
summary { cursor: pointer; color: var(--muted); }
#verdict table { font-size: .9rem; }
.headline li { margin: .2rem 0; }
.charts { display: grid; grid-template-columns: minmax(0, 780px); gap: 1.25rem; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: .5rem; background: white; }
figure.chart svg { display: block; width: 100%; height: auto; }
figcaption { font-size: .85rem; margin-top: .25rem; }
.table-wrap { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; font-size: .85rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding-bottom: .35rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .6rem; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); vertical-align: bottom; min-width: 4.5em; }
tbody th { font-weight: normal; white-space: nowrap; }
.num { text-align: right; white-space: nowrap; }
td strong { color: var(--warn); }
@media print {
  @page { margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-before: page; border-top: none; }
  h2, h3 { break-after: avoid; }
  figure.chart, table, .warning { break-inside: avoid; }
  .charts { display: block; }
  figure.chart { margin-bottom: 8mm; border: none; }
  .table-wrap { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
`;

/** The whole report as one HTML document. */
export function renderHtml(model: ReportModel): string {
  const nav = [['verdict', 'Verdict'], ['how-to-read-this', 'How to read this'], ...model.scenarios.map((s) => [s.slug, s.scenario])]
    .map(([id, label]) => `<li><a href="#${escapeXml(id ?? '')}">${escapeXml(label ?? '')}</a></li>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(model.title)}</title>
<style>${css}</style>
</head>
<body>
<header>
<h1>${escapeXml(model.title)}</h1>
<p class="lede">${inlineHtml(model.ran)}</p>
</header>
<main>
<section id="verdict" aria-labelledby="verdict-heading"><h2 id="verdict-heading" class="first">Verdict</h2>
${model.verdict === undefined ? '' : htmlTable(model.verdict)}
<ul class="headline">${model.headline.map((item) => `<li>${inlineHtml(item)}</li>`).join('\n')}</ul>
${model.warnings.length > 0 ? `<div id="warnings">${model.warnings.map((w) => warningLine(w.line, w.alerts, `[${w.scenario}](#${w.slug})`)).join('\n')}</div>` : ''}
</section>
<nav aria-label="Contents"><ul>${nav}</ul></nav>
<section id="how-to-read-this" aria-labelledby="how-to-read-heading"><h2 id="how-to-read-heading">How to read this</h2>
${folded('What each figure means', list(model.reading))}
${folded(`Environment (generated from ${model.runsRead} results file${model.runsRead === 1 ? '' : 's'}, newest started ${escapeXml(model.newestStartedAt)})`, htmlTable(model.environment))}
</section>
${model.scenarios.map(scenarioSection).join('\n')}
</main>
</body>
</html>
`;
}
