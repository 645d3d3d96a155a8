// What a bench scenario is, what it gets to work with, and what it reports.
//
// To add one: create bench/scenarios/<name>.ts with
//   export default defineScenario({ name: '<name>', description: '…', async run(ctx) { … } });
// bench/run.ts finds every file in bench/scenarios/ by itself; `npm run bench -- <text>`
// runs only the scenarios whose name contains <text>.
import type postgres from 'postgres';
import type { Database } from '../../scripts/db/local.ts';
import type { PostgrestRunner } from './request.ts';
import { formatMs, type Stats } from './timing.ts';

export interface BenchContext {
  db: Database;
  /** Superuser connection: data generation, and acting as each Supabase service. */
  admin: postgres.Sql;
  /**
   * A new connection as `authenticator`, driven the way PostgREST drives it (closed
   * by the runner at the end). Give each compared variant its own: Postgres re-plans a
   * cached statement whose plan depends on RLS whenever the role changes, so
   * alternating roles on one connection would measure re-planning, not RLS.
   */
  api(): Promise<PostgrestRunner>;
  /**
   * Ids of at least `count` bench users (profile, account, customer role), created on
   * first demand and shared by every scenario of the run.
   */
  users(count: number): Promise<string[]>;
  log(line: string): void;
}

/** One line of the report table. */
export interface Result {
  metric: string;
  /** What was measured, human-readable ("auth 0.41 ms · service 0.38 ms"). */
  measured: string;
  /** The goal, human-readable ("≤ 1.20× service_role"). */
  target: string;
  /** measured / allowed baseline, where the target is a ratio; null otherwise. */
  ratio: number | null;
  pass: boolean;
}

export interface Scenario {
  /** kebab-case, unique; the filter of `npm run bench -- <filter>` matches it. */
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<Result[]>;
}

export function defineScenario(scenario: Scenario): Scenario {
  return scenario;
}

/**
 * A result row for "candidate's p95 at most `maxRatio` times the baseline's p95".
 */
export function ratioResult(options: {
  metric: string;
  candidate: { label: string; stats: Stats };
  baseline: { label: string; stats: Stats };
  maxRatio: number;
  percentile?: 'p50' | 'p95' | 'p99';
}): Result {
  const p = options.percentile ?? 'p95';
  const a = options.candidate.stats[p];
  const b = options.baseline.stats[p];
  const ratio = a / b;
  return {
    metric: `${options.metric} (${p}, n=${options.candidate.stats.n})`,
    measured: `${options.candidate.label} ${formatMs(a)} · ${options.baseline.label} ${formatMs(b)}`,
    target: `≤ ${options.maxRatio.toFixed(2)}× ${options.baseline.label}`,
    ratio,
    pass: Number.isFinite(ratio) && ratio <= options.maxRatio,
  };
}

/** A result row for "p95 at most `maxMs`". */
export function latencyResult(options: { metric: string; stats: Stats; maxMs: number; percentile?: 'p50' | 'p95' | 'p99' }): Result {
  const p = options.percentile ?? 'p95';
  const value = options.stats[p];
  return {
    metric: `${options.metric} (${p}, n=${options.stats.n})`,
    measured: formatMs(value),
    target: `≤ ${formatMs(options.maxMs)}`,
    ratio: value / options.maxMs,
    pass: value <= options.maxMs,
  };
}
