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
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
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

function callout(heading: string, alerts: readonly Text[]): string {
  return `<aside class="callout" aria-label="${escapeXml(heading)}"><p class="callout-title">⚠ ${escapeXml(heading)}</p>${list(alerts.map((a) => `⚠ ${a}`))}</aside>`;
}

/** A section of a scenario (networks, peers, saturation): its text, charts, then tables. */
function section(part: Section): string {
  return [
    `<section id="${part.id}" aria-labelledby="${part.id}-heading">`,
    `<h3 id="${part.id}-heading">${escapeXml(part.title)}</h3>`,
    list(part.text),
    part.charts.length > 0 ? `<div class="charts">${part.charts.map(figure).join('\n')}</div>` : '',
    ...part.tables.map(htmlTable),
    '</section>',
  ].join('\n');
}

function scenarioSection(s: ScenarioReport): string {
  return [
    `<section id="${s.slug}" aria-labelledby="${s.slug}-heading">`,
    `<h2 id="${s.slug}-heading">${escapeXml(s.scenario)}</h2>`,
    s.alerts.length > 0
      ? callout(s.alerts.length === 1 ? 'A problem in this run' : `${s.alerts.length} problems in this run`, s.alerts)
      : '',
    '<h3>How it was measured</h3>',
    list(s.measured),
    ...s.sections.map(section),
    s.charts.length > 0 ? `<h3>Charts</h3>\n<div class="charts">${s.charts.map(figure).join('\n')}</div>` : '',
    '<h3>Tables</h3>',
    ...s.tables.map(htmlTable),
    '</section>',
  ].join('\n');
}

const css = `
:root { color-scheme: light; --ink: #1b1e23; --muted: #5b616b; --line: #d8dbe0; --warn: #b42318; --warn-bg: #fef3f2; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 1.5rem 1.25rem 4rem; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--ink); background: white; }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
h2 { font-size: 1.4rem; margin: 2.5rem 0 .5rem; padding-top: .5rem; border-top: 2px solid var(--line); }
h3 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.lede, figcaption, caption { color: var(--muted); }
nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; list-style: none; }
a { color: #1d4ed8; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, monospace; background: #f3f4f6; padding: 0 .2em; border-radius: 3px; }
.callout { border: 2px solid var(--warn); background: var(--warn-bg); border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0; }
.callout-title { color: var(--warn); font-weight: 700; margin: .25rem 0; }
.callout ul { margin: .25rem 0; padding-left: 1.25rem; }
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
.num { text-align: right; }
td strong { color: var(--warn); }
@media print {
  @page { margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-before: page; border-top: none; }
  h2, h3 { break-after: avoid; }
  figure.chart, table, .callout { break-inside: avoid; }
  .charts { display: block; }
  figure.chart { margin-bottom: 8mm; border: none; }
  .table-wrap { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
`;

/** The whole report as one HTML document. */
export function renderHtml(model: ReportModel): string {
  const nav = [
    ['findings', 'Findings'],
    ['how-to-read-this', 'How to read this'],
    ['environment', 'Environment'],
    ...model.scenarios.map((s) => [s.slug, s.scenario]),
  ]
    .map(([id, label]) => `<li><a href="#${escapeXml(id ?? '')}">${escapeXml(label ?? '')}</a></li>`)
    .join('');
  const findings = model.scenarios
    .map(
      (s) =>
        `<h3><a href="#${s.slug}"><code>${escapeXml(s.scenario)}</code></a></h3>${list(s.findings.length > 0 ? s.findings : ['Nothing was delivered in this run.'])}`,
    )
    .join('\n');
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
<p class="lede">Generated from ${model.runsRead} results file${model.runsRead === 1 ? '' : 's'}: the newest run of each scenario (newest started ${escapeXml(model.newestStartedAt)}), compared with the run before it where there is one. Every figure and finding is computed from the results JSON.</p>
</header>
<nav aria-label="Contents"><ul>${nav}</ul></nav>
<main>
${model.alerts.length > 0 ? callout('Read with care: problems in these runs', model.alerts) : ''}
<section id="findings" aria-labelledby="findings-heading"><h2 id="findings-heading">Findings</h2>
${findings}
</section>
<section id="how-to-read-this" aria-labelledby="how-to-read-heading"><h2 id="how-to-read-heading">How to read this</h2>
${list(model.reading)}
</section>
<section id="environment" aria-labelledby="environment-heading"><h2 id="environment-heading">Environment</h2>
${htmlTable(model.environment)}
</section>
${model.scenarios.map(scenarioSection).join('\n')}
</main>
</body>
</html>
`;
}
