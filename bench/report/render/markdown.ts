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

/** One warning line, its row alerts folded beneath it (GitHub renders `<details>`). */
function warning(line: Text, alerts: readonly Text[]): string[] {
  return ['<details><summary>', '', line, '', '</summary>', '', list(alerts), '', '</details>', ''];
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
  if (s.warning !== undefined) parts.push(...warning(`⚠ ${s.warning}`, s.alerts));
  parts.push(list(s.findings.length > 0 ? s.findings : ['Nothing was delivered in this run.']), '');
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
    model.ran,
    '',
    `Generated from ${model.runsRead} results file${model.runsRead === 1 ? '' : 's'}: the newest run of each scenario` +
      ` (newest started ${model.newestStartedAt}), compared with the run before it where there is one. ` +
      'Every figure and finding below is computed from the results JSON.',
    '',
  ];
  parts.push('## Verdict', '');
  if (model.verdict !== undefined) parts.push(markdownTable(model.verdict), '');
  parts.push(list(model.headline), '');
  for (const w of model.warnings) parts.push(...warning(`⚠ [${w.scenario}](#${w.slug}): ${w.line}`, w.alerts));
  parts.push(
    `Contents: ${['[Verdict](#verdict)', '[How to read this](#how-to-read-this)', '[Environment](#environment)', ...model.scenarios.map((s) => `[${s.scenario}](#${s.slug})`)].join(' · ')}`,
    '',
  );
  parts.push('## How to read this', '', list(model.reading), '');
  parts.push('## Environment', '', markdownTable(model.environment), '');
  for (const s of model.scenarios) parts.push(scenarioSection(s));
  return `${parts.join('\n').trimEnd()}\n`;
}
