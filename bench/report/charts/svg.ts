/**
 * Renders an Observable Plot chart to a standalone SVG string in Node, with `linkedom` as the DOM.
 *
 * Plot puts a title and a legend in an HTML `<figure>`; a standalone SVG file (what a code host
 * shows beside the Markdown) cannot hold HTML, so the title and legend are drawn here as SVG and
 * Plot draws only the plot area, nested inside. The outer element carries the SVG namespace,
 * `role="img"`, a `<title>` and a `<desc>`, and a white background so the chart stays readable
 * on a dark code-host theme.
 */
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';

/** One entry of a chart's legend. */
export interface LegendItem {
  label: string;
  color: string;
  /** How the swatch is drawn. Default `rect`. */
  shape?: 'rect' | 'line' | 'dash' | 'dot' | 'tick';
}

/** A chart to draw: what it is called and what Plot should draw. */
export interface ChartSpec {
  /** Unique within the report; also the SVG file's name without `.svg`. */
  id: string;
  title: string;
  /** One or two sentences under the chart: what it shows and how to read it. */
  caption: string;
  legend?: LegendItem[];
  /** Plot options without `document`, `title` or `legend` (drawn here). */
  plot: Plot.PlotOptions;
}

/** A rendered chart. */
export interface Chart {
  id: string;
  title: string;
  caption: string;
  /** Path of the SVG file relative to the Markdown report: `charts/<id>.svg`. */
  file: string;
  /** The standalone SVG document (no XML declaration, so it can be inlined in HTML as is). */
  svg: string;
}

/** The dash of a peer's line, in charts and legends alike. */
export const peerDash = '5,3';

/** Default chart width in pixels. */
export const chartWidthPx = 720;
const titleFontPx = 15;
const legendFontPx = 12;
const legendRowPx = 20;

/** Escapes text for XML and HTML alike. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Width of a text in pixels, estimated (no font metrics in Node): good enough to lay out labels. */
export function textWidthPx(text: string, fontPx: number): number {
  return text.length * fontPx * 0.58;
}

function legendSvg(items: readonly LegendItem[], widthPx: number): { svg: string; heightPx: number } {
  let x = 0;
  let y = 0;
  const parts: string[] = [];
  for (const item of items) {
    const itemWidth = 22 + textWidthPx(item.label, legendFontPx) + 18;
    if (x > 0 && x + itemWidth > widthPx) {
      x = 0;
      y += legendRowPx;
    }
    const color = escapeXml(item.color);
    const mid = y + legendRowPx / 2;
    const shape = item.shape ?? 'rect';
    if (shape === 'line') parts.push(`<line x1="${x}" x2="${x + 16}" y1="${mid}" y2="${mid}" stroke="${color}" stroke-width="2.5"/>`);
    else if (shape === 'dash')
      parts.push(
        `<line x1="${x}" x2="${x + 16}" y1="${mid}" y2="${mid}" stroke="${color}" stroke-width="2.5" stroke-dasharray="${peerDash}"/>`,
      );
    else if (shape === 'dot') parts.push(`<circle cx="${x + 8}" cy="${mid}" r="5" fill="${color}"/>`);
    else if (shape === 'tick')
      parts.push(`<line x1="${x + 8}" x2="${x + 8}" y1="${mid - 7}" y2="${mid + 7}" stroke="${color}" stroke-width="2"/>`);
    else parts.push(`<rect x="${x}" y="${mid - 6}" width="16" height="12" fill="${color}"/>`);
    parts.push(`<text x="${x + 22}" y="${mid}" dy="0.35em" font-size="${legendFontPx}">${escapeXml(item.label)}</text>`);
    x += itemWidth;
  }
  return { svg: parts.join(''), heightPx: items.length === 0 ? 0 : y + legendRowPx };
}

/** Draws `spec` and returns the chart with its standalone SVG. */
export function renderChart(spec: ChartSpec): Chart {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const widthPx = spec.plot.width ?? chartWidthPx;
  const element = Plot.plot({
    ...spec.plot,
    width: widthPx,
    style: { fontSize: '11px', background: 'white', overflow: 'visible' },
    // linkedom implements the part of the DOM Plot uses; its types are not the browser's.
    document: document as unknown as Document,
  });
  const plotSvg = element.tagName.toLowerCase() === 'svg' ? element : element.querySelector('svg');
  if (plotSvg === null) throw new Error(`chart ${spec.id}: Plot drew no <svg>`);
  const plotHeightPx = Number(plotSvg.getAttribute('height'));
  const legend = legendSvg(spec.legend ?? [], widthPx - 16);
  const legendTopPx = 8 + titleFontPx + 10;
  const plotTopPx = legendTopPx + legend.heightPx + (legend.heightPx > 0 ? 8 : 0);
  plotSvg.setAttribute('x', '0');
  plotSvg.setAttribute('y', String(plotTopPx));
  const heightPx = Math.ceil(plotTopPx + plotHeightPx + 4);
  const titleId = `${spec.id}-title`;
  const descId = `${spec.id}-desc`;
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}" viewBox="0 0 ${widthPx} ${heightPx}"`,
    ` role="img" aria-labelledby="${titleId} ${descId}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" class="chart">`,
    `<title id="${titleId}">${escapeXml(spec.title)}</title>`,
    `<desc id="${descId}">${escapeXml(spec.caption)}</desc>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="${8 + titleFontPx}" font-size="${titleFontPx}" font-weight="600" fill="#1b1e23">${escapeXml(spec.title)}</text>`,
    legend.heightPx > 0 ? `<g transform="translate(8,${legendTopPx})" fill="#1b1e23">${legend.svg}</g>` : '',
    plotSvg.outerHTML,
    '</svg>',
  ].join('');
  return { id: spec.id, title: spec.title, caption: spec.caption, file: `charts/${spec.id}.svg`, svg };
}
