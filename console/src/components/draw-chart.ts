import type { ChartConfiguration } from 'chart.js';
import { lazyChunk } from '../lazy-chunk';
import { whenQuiet } from '../quiet';
import type * as ChartKitModule from './chart-kit';

/** The chunk, fetched once; a failed fetch is forgotten, so the next chart asks again (the tables beside every chart hold its figures meanwhile). */
const kit = lazyChunk<typeof ChartKitModule>(() => import('./chart-kit'));
let warmed = false;


/** Chart.js fetched now, for a page that will draw a chart once its data is in: the two downloads overlap. */
export function preloadCharts(): void {
  kit.load().catch(() => undefined);
}

/**
 * Chart.js loaded, and one chart drawn on a canvas never shown, once the console is quiet: a
 * page's first chart costs ~60-90 ms here (the number formats' locale data, fonts, Chart.js's
 * layout code compiled), a later one ~10-20. Called once a session may see charts. Quiet, not
 * merely idle: the browser is idle between a page's first request and its data, and the
 * warm-up's long task there held that page's render back.
 */
export function warmCharts(): void {
  if (warmed) return;
  warmed = true;
  const warm = (): void => {
    kit
      .load()
      .then(({ Chart }) => {
        const canvas = document.createElement('canvas');
        canvas.width = 300;
        canvas.height = 150;
        new Chart(canvas, { type: 'bar', data: { labels: ['0'], datasets: [{ label: '0', data: [1] }] }, options: { animation: false, responsive: false } }).destroy();
      })
      .catch(() => undefined);
  };
  whenQuiet(warm);
}

/**
 * Draws `config` on `canvas` once Chart.js is loaded: it is a chunk of its own, fetched the
 * first time a chart is drawn, so a page's data shows without waiting for it and the first
 * page's script leaves it out. The canvas gets `data-drawn` when the chart is on it (tests
 * wait for that before a screenshot). Returns the chart's disposer, for an effect's cleanup:
 * a chart not yet drawn then never is.
 */
export function drawChart(canvas: HTMLCanvasElement, config: ChartConfiguration): () => void {
  let live = true;
  let chart: { destroy(): void } | undefined;
  kit
    .load()
    .then(({ Chart }) => {
      if (!live) return;
      chart = new Chart(canvas, config);
      canvas.dataset.drawn = 'true';
    })
    .catch(() => {
      // The chunk did not load (a network blip; a server restarted with a new build): the table beside the chart still holds its figures.
    });
  return () => {
    live = false;
    chart?.destroy();
    delete canvas.dataset.drawn;
  };
}
