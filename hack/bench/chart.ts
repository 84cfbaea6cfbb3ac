/**
 * The chart of docs/performance.svg: latency and memory against restore size, drawn as plain SVG (no plotting
 * dependency). Left: time from the restore's start to the workloads' template hook writes (p50, p99) and until
 * every pod is hooked, controller and floor. Right: controller RSS and heap after each restore, with the RSS target
 * and the idle controller's RSS.
 */
import type { BenchResult } from './report.ts';

const W = 900;
const H = 380;
const PANEL = { width: 360, height: 250, top: 60 };
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#7f7f7f'];

interface Series {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (v >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toFixed(v < 10 ? 1 : 0)}`);

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((x) => x >= raw) ?? 10 * power;
}

function niceLogTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let p = Math.floor(Math.log10(min)); p <= Math.ceil(Math.log10(max)); p++) ticks.push(10 ** p);
  return ticks;
}

function panel(
  x0: number,
  title: string,
  yLabel: string,
  xs: readonly number[],
  series: readonly Series[],
  logY: boolean,
  hLines: readonly { value: number; label: string }[] = [],
): string {
  const values = [...series.flatMap((s) => s.points.map((p) => p[1])), ...hLines.map((l) => l.value)].filter(
    (v) => Number.isFinite(v) && v > 0,
  );
  const xMin = Math.min(...xs) / 1.5;
  const xMax = Math.max(...xs) * 1.5;
  const yMin = logY ? Math.max(1e-3, Math.min(...values) / 2) : 0;
  const step = niceStep((Math.max(...values, 1) * 1.1) / 5);
  const yMax = logY ? Math.max(...values, 1) * 2 : step * 5;
  const sx = (x: number) =>
    x0 + ((Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * PANEL.width;
  const sy = (y: number) =>
    PANEL.top +
    PANEL.height -
    (logY
      ? ((Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) *
        PANEL.height
      : (y / yMax) * PANEL.height);
  const parts: string[] = [
    `<text x="${x0 + PANEL.width / 2}" y="${PANEL.top - 25}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${x0}" y="${PANEL.top}" width="${PANEL.width}" height="${PANEL.height}" fill="none" stroke="#999"/>`,
    `<text x="${x0 + PANEL.width / 2}" y="${PANEL.top + PANEL.height + 35}" text-anchor="middle">restore size (pending pods, log scale)</text>`,
    `<text transform="translate(${x0 - 45},${PANEL.top + PANEL.height / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  ];
  for (const x of xs)
    parts.push(
      `<line x1="${sx(x)}" y1="${PANEL.top + PANEL.height}" x2="${sx(x)}" y2="${PANEL.top + PANEL.height + 5}" stroke="#999"/>`,
      `<text x="${sx(x)}" y="${PANEL.top + PANEL.height + 18}" text-anchor="middle" font-size="11">${fmt(x)}</text>`,
    );
  const yTicks = logY
    ? niceLogTicks(yMin, yMax).filter((t) => t >= yMin && t <= yMax)
    : Array.from({ length: 6 }, (_, i) => step * i);
  for (const t of yTicks)
    parts.push(
      `<line x1="${x0}" y1="${sy(t)}" x2="${x0 + PANEL.width}" y2="${sy(t)}" stroke="#eee"/>`,
      `<text x="${x0 - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11">${fmt(t)}</text>`,
    );
  // Labels alternate above and below their lines, so that two close lines stay readable.
  hLines.forEach((line, k) =>
    parts.push(
      `<line x1="${x0}" y1="${sy(line.value)}" x2="${x0 + PANEL.width}" y2="${sy(line.value)}" stroke="#d62728" stroke-dasharray="2,3"/>`,
      `<text x="${x0 + PANEL.width - 4}" y="${sy(line.value) + (k % 2 === 0 ? -4 : 12)}" text-anchor="end" font-size="10" fill="#d62728">${esc(line.label)}</text>`,
    ),
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    if (pts.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,4"' : ''} points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`,
      );
    for (const [x, y] of pts)
      parts.push(
        `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"><title>${esc(s.label)}: ${fmt(y)}</title></circle>`,
      );
    parts.push(
      `<line x1="${x0 + 10}" y1="${PANEL.top + 12 + i * 15}" x2="${x0 + 30}" y2="${PANEL.top + 12 + i * 15}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,4"' : ''}/>`,
      `<text x="${x0 + 35}" y="${PANEL.top + 16 + i * 15}" font-size="11">${esc(s.label)}</text>`,
    );
  });
  return parts.join('\n');
}

export function renderChart(result: BenchResult): string {
  const xs = result.sizes.map((s) => s.pods);
  const pts = (f: (s: BenchResult['sizes'][number]) => number) =>
    result.sizes.map((s) => [s.pods, f(s)] as const);
  const left = panel(
    80,
    'Latency against restore size',
    'ms from the restore starting (log scale)',
    xs,
    [
      { label: 'template hook write, p50', points: pts((s) => s.templateHookMs.p50) },
      { label: 'template hook write, p99', points: pts((s) => s.templateHookMs.p99) },
      { label: 'every pod hooked (controller)', points: pts((s) => s.controllerMs.median) },
      { label: 'every pod hooked (floor)', points: pts((s) => s.floorMs.median), dashed: true },
    ],
    true,
  );
  const right = panel(
    510,
    'Controller memory against restore size',
    'MiB after the restore',
    xs,
    [
      { label: 'RSS', points: pts((s) => s.rssMiB) },
      { label: 'V8 heap used', points: pts((s) => s.heapMiB) },
    ],
    false,
    [
      { value: 150e6 / 2 ** 20, label: 'RSS target (150 MB)' },
      { value: result.memory.emptyRssMiB, label: 'idle controller RSS' },
    ],
  );
  const m = result.machine;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
${left}
${right}
<text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="10" fill="#555">${esc(`restore-hooks npm run bench, ${result.date.slice(0, 10)}: ${m.cpus} CPUs, Node ${m.node}; medians of ${String(result.settings.repeats)} runs`)}</text>
</svg>
`;
}
