import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatSpeed } from '../format';
import { useQueue } from '../state/queue';

const WINDOW_SECONDS = 300;

function clock(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/**
 * Overall throughput for the last five minutes (uPlot, canvas). Fed from the store's throughput history; it
 * subscribes outside React so a new sample redraws the canvas without re-rendering anything.
 */
export function SpeedChart() {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const toData = (): uPlot.AlignedData => {
      const samples = useQueue.getState().throughput;
      const nowS = Math.floor(Date.now() / 1000);
      const from = nowS - WINDOW_SECONDS;
      const xs: number[] = [];
      const ys: number[] = [];
      for (const s of samples) {
        const t = s.at / 1000;
        if (t < from) continue;
        xs.push(t);
        ys.push(s.bytesPerSecond);
      }
      if (xs.length === 0) {
        xs.push(from, nowS);
        ys.push(0, 0);
      }
      return [xs, ys];
    };
    const stroke = cssVar('--accent');
    const opts: uPlot.Options = {
      width: el.clientWidth || 600,
      height: 110,
      legend: { show: false },
      cursor: { show: true, points: { show: false }, drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max * 1.15, 1024)] } },
      axes: [
        {
          stroke: cssVar('--muted'),
          grid: { stroke: cssVar('--grid'), width: 1 },
          ticks: { show: false },
          size: 24,
          space: 70,
          // One line of local clock time; uPlot's default adds a second (date) line that does not fit.
          values: (_u, splits) => splits.map((v) => clock(v)),
        },
        {
          stroke: cssVar('--muted'),
          grid: { stroke: cssVar('--grid'), width: 1 },
          ticks: { show: false },
          size: 70,
          values: (_u, splits) => splits.map((v) => (v === 0 ? '0' : formatSpeed(v))),
        },
      ],
      series: [{}, { stroke, width: 2, fill: cssVar('--accent-soft'), points: { show: false } }],
    };
    const chart = new uPlot(opts, toData(), el);
    let lastRef = useQueue.getState().throughput;
    const unsubscribe = useQueue.subscribe((s) => {
      if (s.throughput === lastRef) return;
      lastRef = s.throughput;
      chart.setData(toData());
    });
    // Slide the window even when no samples arrive (idle queue).
    const tick = setInterval(() => chart.setData(toData()), 5000);
    const resize = new ResizeObserver(() => chart.setSize({ width: el.clientWidth, height: 110 }));
    resize.observe(el);
    return () => {
      unsubscribe();
      clearInterval(tick);
      resize.disconnect();
      chart.destroy();
    };
  }, []);
  const speed = useQueue((s) => s.totals.speed);
  return (
    <figure className="speed-chart" aria-label={`Overall upload speed over the last five minutes; now ${formatSpeed(speed)}`}>
      <figcaption>
        <span>Throughput, last 5 minutes</span>
        <strong data-field="overall-speed-chart">{formatSpeed(speed)}</strong>
      </figcaption>
      <div ref={host} className="speed-chart-canvas" role="img" aria-hidden="true" />
    </figure>
  );
}
