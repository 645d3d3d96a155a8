// The one table `npm run bench` prints (to stdout; progress goes to stderr).
import type { Result } from './scenario.ts';

export interface ReportRow extends Result {
  scenario: string;
}

const HEADERS = ['scenario', 'metric', 'measured', 'target', 'ratio', 'result'] as const;

export function formatRatio(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '-';
  return `${ratio.toFixed(2)}×`;
}

export function renderReport(rows: ReportRow[], options: { title: string; notes?: string[] }): string {
  const cells = rows.map((r) => [r.scenario, r.metric, r.measured, r.target, formatRatio(r.ratio), r.pass ? 'pass' : 'MISS']);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: readonly string[]) => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const missed = rows.filter((r) => !r.pass).length;
  return [
    '',
    options.title,
    ...(options.notes ?? []),
    '',
    line(HEADERS),
    rule,
    ...cells.map(line),
    '',
    missed === 0 ? `All ${rows.length} targets met.` : `${missed} of ${rows.length} targets MISSED.`,
    '',
  ].join('\n');
}

export function printReport(rows: ReportRow[], options: { title: string; notes?: string[] }): void {
  process.stdout.write(renderReport(rows, options));
}
