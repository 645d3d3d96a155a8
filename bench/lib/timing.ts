// Latency samples and their percentiles.
//
// Comparisons interleave their variants (A, B, A, B, …) so that drift in the machine's
// load, caches or autovacuum hits both sides alike instead of whichever ran second.

export interface Stats {
  /** Number of measured samples (warm-up excluded). */
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

export interface MeasureOptions {
  /** Measured iterations per variant. */
  iterations: number;
  /** Unmeasured iterations per variant first (plans cached, pages in memory, JIT off the path). */
  warmup: number;
}

/**
 * A sample's value in milliseconds: by default the wall time of the call; a variant
 * may time itself instead (only the statement inside its transaction, say) by
 * returning `{ ms }`.
 */
export type Variant = (iteration: number) => Promise<unknown>;

/** Percentile by nearest rank on sorted samples (p in 0..100). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, x) => total + x, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** Times `fn`, or takes the `{ ms }` it reports about itself. */
export async function sample(fn: Variant, iteration: number): Promise<number> {
  const started = process.hrtime.bigint();
  const result = await fn(iteration);
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (result && typeof result === 'object' && 'ms' in result && typeof (result as { ms: unknown }).ms === 'number') {
    return (result as { ms: number }).ms;
  }
  return wall;
}

/** Measures one variant: `warmup` unmeasured calls, then `iterations` measured ones. */
export async function measure(fn: Variant, options: MeasureOptions): Promise<Stats> {
  return (await measureInterleaved({ only: fn }, options)).only;
}

/**
 * Measures several variants in lockstep: iteration i runs every variant once, and all
 * variants see the same `i` (so they can pick the same random user). The order rotates
 * (A B C, B C A, C A B, …) so that each variant goes first equally often: whichever
 * goes first reads that user's pages into shared buffers for the others.
 */
export async function measureInterleaved<K extends string>(
  variants: Record<K, Variant>,
  options: MeasureOptions,
): Promise<Record<K, Stats>> {
  const names = Object.keys(variants) as K[];
  const samples = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  const total = options.warmup + options.iterations;
  for (let i = 0; i < total; i++) {
    const order = names.map((_, j) => names[(i + j) % names.length]!);
    for (const name of order) {
      const ms = await sample(variants[name], i);
      if (i >= options.warmup) samples[name].push(ms);
    }
  }
  return Object.fromEntries(names.map((k) => [k, summarize(samples[k])])) as Record<K, Stats>;
}

/** Milliseconds for a table cell: three significant digits. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** Wall time of an async step, for progress logs. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = performance.now();
  const result = await fn();
  return { result, seconds: (performance.now() - started) / 1000 };
}
