/** The HTML report in headless Chromium: every chart drawn, the SVG files valid XML, no errors. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeReport, type WrittenReport } from '../../bench/report/index.ts';
import { describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { networksRun, peersRun } from '../helpers/report-runs.ts';
import { fixtureRuns } from '../helpers/results-fixtures.ts';

describeBrowser('the HTML report in Chromium', () => {
  let browser: Browser;
  let outDir: string;
  let written: WrittenReport;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'pushlab-report-browser-'));
    written = await writeReport({ runs: await fixtureRuns(), outDir });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await rm(outDir, { recursive: true, force: true });
  });

  it('shows every chart as a drawn SVG, with no console or page errors and no requests', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(written.htmlPath).href, { waitUntil: 'load' });
    // Secondary charts and tables are folded in <details>: open them all, as a reader would.
    await page.$$eval('details', (folds) => {
      for (const fold of folds) (fold as HTMLDetailsElement).open = true;
    });
    const charts = await page.$$eval('figure.chart > svg[role="img"]', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        return {
          title: svg.querySelector(':scope > title')?.textContent ?? '',
          width: box.width,
          height: box.height,
          marks: svg.querySelectorAll('svg svg path, svg svg rect, svg svg circle, svg svg line').length,
          captioned: svg.parentElement?.querySelector('figcaption')?.textContent?.length ?? 0,
        };
      }),
    );
    expect(charts).toHaveLength(written.charts.length);
    for (const chart of charts) {
      expect(chart.title, JSON.stringify(chart)).not.toBe('');
      expect(chart.width, chart.title).toBeGreaterThan(300);
      expect(chart.height, chart.title).toBeGreaterThan(100);
      expect(chart.marks, chart.title).toBeGreaterThan(3);
      expect(chart.captioned, chart.title).toBeGreaterThan(20);
    }
    expect(await page.$$eval('table caption', (captions) => captions.length)).toBeGreaterThanOrEqual(15);
    expect(await page.$$eval('script', (scripts) => scripts.length)).toBe(0);
    const ids = await page.$$eval('[id]', (elements) => elements.map((element) => element.id));
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]); // inline SVG titles and anchors stay unique
    expect(await page.$$eval('details.warning', (warnings) => warnings.map((w) => w.textContent).join('\n'))).toContain('JSONP lost 37');
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(written.htmlPath).href]);
    await page.close();
  });

  it('shows the Networks, Peers and Saturation sections with their charts drawn and every id unique', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pushlab-report-sections-'));
    try {
      const report = await writeReport({ runs: [peersRun(), networksRun()], outDir: dir });
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(pathToFileURL(report.htmlPath).href, { waitUntil: 'load' });
      const headings = await page.$$eval('section section > h3', (h3s) => h3s.map((h) => h.textContent));
      expect(headings).toEqual(['Networks', 'Peers', 'Peers', 'Saturation']);
      const drawn = await page.$$eval('figure.chart > svg[role="img"]', (svgs) =>
        svgs.map((svg) => svg.querySelectorAll('svg svg circle, svg svg path, svg svg rect').length),
      );
      expect(drawn).toHaveLength(report.charts.length);
      for (const marks of drawn) expect(marks).toBeGreaterThan(3);
      const ids = await page.$$eval('[id]', (elements) => elements.map((element) => element.id));
      expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes each chart as a standalone SVG file that parses as XML', async () => {
    const page = await browser.newPage();
    const files = await Promise.all(written.charts.map(async (path) => ({ path, text: await readFile(path, 'utf8') })));
    const results = await page.evaluate((svgs) => {
      return svgs.map(({ path, text }) => {
        const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
        const root = doc.documentElement;
        return { path, error: doc.querySelector('parsererror')?.textContent ?? '', namespace: root.namespaceURI, name: root.localName };
      });
    }, files);
    for (const result of results)
      expect(result, result.path).toMatchObject({ error: '', namespace: 'http://www.w3.org/2000/svg', name: 'svg' });
    // Opened on its own, as a code host shows it, a chart is an SVG document with its plot drawn.
    const [first] = written.charts;
    await page.goto(pathToFileURL(first ?? '').href);
    expect(await page.evaluate(() => document.documentElement.namespaceURI)).toBe('http://www.w3.org/2000/svg');
    expect(await page.evaluate(() => document.querySelectorAll('svg svg circle').length)).toBeGreaterThan(0);
    await page.close();
  });
});
