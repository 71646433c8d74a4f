/** Renders the report model as Markdown: tables as pipe tables, charts as links to the SVG files beside it. */
import type { ReportModel, ScenarioReport, Section, Table, Text } from '../types.ts';

/** Escapes what would break a pipe-table cell; the report's inline marks stay as they are Markdown already. */
function cell(text: Text): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A table as a Markdown pipe table under a bold caption. */
export function markdownTable(table: Table): string {
  const header = `| ${table.columns.map((c) => cell(c.header)).join(' | ')} |`;
  const rule = `| ${table.columns.map((c) => (c.align === 'left' ? ':--' : '--:')).join(' | ')} |`;
  const body = table.rows.map((row) => `| ${row.map(cell).join(' | ')} |`);
  return [`**${table.caption}**`, '', header, rule, ...body].join('\n');
}

function list(items: readonly Text[]): string {
  return items.map((item) => `- ${item}`).join('\n');
}

/** A section of a scenario (networks, peers, saturation): its text, charts, then tables. */
function section(part: Section): string[] {
  const lines = [`### ${part.title}`, '', list(part.text), ''];
  for (const chart of part.charts) lines.push(`![${chart.title}](${chart.file})`, '', `*${chart.caption}*`, '');
  for (const table of part.tables) lines.push(markdownTable(table), '');
  return lines;
}

function scenarioSection(s: ScenarioReport): string {
  const parts = [`## ${s.scenario}`, ''];
  if (s.alerts.length > 0)
    parts.push(
      `> **⚠ ${s.alerts.length === 1 ? 'A problem' : `${s.alerts.length} problems`} in this run**`,
      '>',
      ...s.alerts.map((a) => `> - ⚠ ${a}`),
      '',
    );
  parts.push('### How it was measured', '', list(s.measured), '');
  for (const part of s.sections) parts.push(...section(part));
  if (s.charts.length > 0) {
    parts.push('### Charts', '');
    for (const chart of s.charts) parts.push(`![${chart.title}](${chart.file})`, '', `*${chart.caption}*`, '');
  }
  parts.push('### Tables', '');
  for (const table of s.tables) parts.push(markdownTable(table), '');
  return parts.join('\n');
}

/** The whole report as Markdown; chart images are referenced by their relative `file`. */
export function renderMarkdown(model: ReportModel): string {
  const parts = [
    `# ${model.title}`,
    '',
    `Generated from ${model.runsRead} results file${model.runsRead === 1 ? '' : 's'}: the newest run of each scenario` +
      ` (newest started ${model.newestStartedAt}), compared with the run before it where there is one. ` +
      'Every figure and finding below is computed from the results JSON.',
    '',
  ];
  if (model.alerts.length > 0) {
    parts.push('> **⚠ Read with care: problems in these runs**', '>', ...model.alerts.map((a) => `> - ⚠ ${a}`), '');
  }
  parts.push(
    `Contents: ${['[Findings](#findings)', '[How to read this](#how-to-read-this)', '[Environment](#environment)', ...model.scenarios.map((s) => `[${s.scenario}](#${s.slug})`)].join(' · ')}`,
    '',
  );
  parts.push('## Findings', '');
  for (const s of model.scenarios)
    parts.push(
      `**[\`${s.scenario}\`](#${s.slug})**`,
      '',
      list(s.findings.length > 0 ? s.findings : ['Nothing was delivered in this run.']),
      '',
    );
  parts.push('## How to read this', '', list(model.reading), '');
  parts.push('## Environment', '', markdownTable(model.environment), '');
  for (const s of model.scenarios) parts.push(scenarioSection(s));
  return `${parts.join('\n').trimEnd()}\n`;
}
