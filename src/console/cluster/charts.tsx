/**
 * The cluster's traffic over the last hour, from the metrics history: requests/s, throughput,
 * latency percentiles and errors, each drawn with uPlot on a canvas (uPlot sets its inline styles
 * through the CSSOM, which the console's style-src 'self' allows).
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatBytes } from '../ui/format.js';
import type { ClusterHistory } from './api.js';

const HEIGHT = 170;

/** The spans a chart can show, the longest (what the history holds) first. */
export const SPANS = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 900, label: '15 min' },
  { seconds: 300, label: '5 min' },
];

interface Line {
  label: string;
  color: string;
  values: (number | null)[];
}

interface ChartProps {
  id: string;
  title: string;
  time: number[];
  lines: Line[];
  /** Seconds up to now the x axis spans. */
  span: number;
  /** A value as the axis and legend show it. */
  format: (value: number) => string;
  /** The steps the y axis may put its ticks at (uPlot's decimal ones by default). */
  steps?: number[];
}

function cssVariable(element: Element, name: string): string {
  return getComputedStyle(element).getPropertyValue(name).trim();
}

function optionsFor({ lines, format, steps }: ChartProps, element: HTMLElement, span: { current: number }): uPlot.Options {
  const muted = cssVariable(element, '--muted');
  const grid = cssVariable(element, '--line');
  const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    width: Math.max(200, element.clientWidth),
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: {
        time: true,
        // Always the whole window up to now, however little of it the history has.
        range: () => {
          const now = Date.now() / 1000;
          return [now - span.current, now];
        },
      },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    series: [
      {},
      ...lines.map((line) => ({
        label: line.label,
        stroke: line.color,
        width: 1.5,
        value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : format(v)),
      })),
    ],
    axes: [axis, { ...axis, size: 80, ...(steps ? { incrs: steps } : {}), values: (_u: uPlot, splits: number[]) => splits.map(format) }],
  };
}

function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const span = useRef(props.span);
  span.current = props.span;
  const data: uPlot.AlignedData = [props.time, ...props.lines.map((l) => l.values)];
  // For tests and curious readers: how many values above zero are drawn, and the largest.
  const positive = props.lines.flatMap((l) => l.values.filter((v): v is number => v !== null && v > 0));

  useEffect(() => {
    const element = box.current!;
    const chart = new uPlot(optionsFor(props, element, span), data, element);
    plot.current = chart;
    const resized = new ResizeObserver(() => chart.setSize({ width: Math.max(200, element.clientWidth), height: HEIGHT }));
    resized.observe(element);
    return () => {
      resized.disconnect();
      chart.destroy();
    };
  }, []);

  useEffect(() => plot.current?.setData(data), [props.span, props.time, ...props.lines.map((l) => l.values)]);

  return (
    <figure class="card chart" data-chart={props.id} data-points={positive.length} data-max={Math.max(0, ...positive)} data-span={props.span}>
      <figcaption>{props.title}</figcaption>
      <div class="chart-plot" ref={box} />
    </figure>
  );
}

const perSecond = (n: number): string => `${n >= 100 ? Math.round(n) : Number(n.toPrecision(2))}/s`;
const bytesPerSecond = (n: number): string => `${formatBytes(n)}/s`;
/** Powers of two, so byte ticks fall on round KiB, MiB, GiB (or halves and quarters of them). */
const BYTE_STEPS = Array.from({ length: 51 }, (_, power) => 2 ** power);
const milliseconds = (seconds: number): string => {
  const ms = seconds * 1000;
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms >= 10 ? Math.round(ms) : Number(ms.toPrecision(2))} ms`;
};

/** The charts, each with its series from the history. */
const CHARTS: (Pick<ChartProps, 'id' | 'title' | 'format' | 'steps'> & { lines: (history: ClusterHistory) => Line[] })[] = [
  { id: 'requests', title: 'Requests per second', format: perSecond, lines: (h) => [{ label: 'requests', color: '#3b82f6', values: h.requestsPerSecond }] },
  {
    id: 'throughput',
    title: 'Throughput',
    format: bytesPerSecond,
    steps: BYTE_STEPS,
    lines: (h) => [
      { label: 'in', color: '#10b981', values: h.bytesInPerSecond },
      { label: 'out', color: '#8b5cf6', values: h.bytesOutPerSecond },
    ],
  },
  {
    id: 'latency',
    title: 'Latency',
    format: milliseconds,
    lines: (h) => [
      { label: 'p50', color: '#0ea5e9', values: h.p50 },
      { label: 'p90', color: '#f59e0b', values: h.p90 },
      { label: 'p99', color: '#ef4444', values: h.p99 },
    ],
  },
  {
    id: 'errors',
    title: 'Errors per second',
    format: perSecond,
    lines: (h) => [
      { label: '4xx', color: '#f59e0b', values: h.errors4xxPerSecond },
      { label: '5xx', color: '#dc2626', values: h.errors5xxPerSecond },
    ],
  },
];

export function TrafficCharts({ history, span }: { history: ClusterHistory; span: number }) {
  return (
    <div class="charts">
      {CHARTS.map(({ lines, ...chart }) => (
        <Chart key={chart.id} {...chart} span={span} time={history.time} lines={lines(history)} />
      ))}
    </div>
  );
}
