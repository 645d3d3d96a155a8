// Streaming CSV exports straight from Postgres.
//
// The export runs on one reserved connection, in a read-only transaction that first
// becomes the caller (role + request.jwt.claims, as PostgREST does) and checks that
// they are an admin — all before a single byte is sent. Then
// `copy (select * from public.export_<dataset>(filters)) to stdout with (format csv, header)`
// streams Postgres's RFC 4180 output through to the response with backpressure:
// constant memory, near-COPY speed. A UTF-8 byte-order mark goes first so Excel reads
// Bengali and Arabic text correctly.
import type postgres from 'postgres';
import { z } from 'zod';
import type { Claims } from './auth/jwt.ts';
import { ValidationError } from './errors.ts';

export const UTF8_BOM = new Uint8Array([0xef, 0xbb, 0xbf]);

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const common = {
  market: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
};

/** Every dataset: its filters and the SQL function that defines its rows. */
export const DATASETS = {
  users: {
    fn: 'public.export_users',
    filters: z.object({
      ...common,
      status: z.enum(['active', 'suspended']).optional(),
      role: z.enum(['customer', 'provider', 'seller', 'staff', 'admin']).optional(),
    }).strict(),
  },
} as const satisfies Record<string, { fn: string; filters: z.ZodType<Record<string, unknown>> }>;

export type Dataset = keyof typeof DATASETS;

/** Validates a dataset name and its query-string filters; throws ValidationError. */
export function parseExportRequest(dataset: string, query: URLSearchParams): { dataset: Dataset; filters: Record<string, unknown> } {
  if (!(dataset in DATASETS)) {
    throw new ValidationError('Unknown dataset.', { dataset, datasets: Object.keys(DATASETS) });
  }
  const spec = DATASETS[dataset as Dataset];
  const parsed = spec.filters.safeParse(Object.fromEntries(query));
  if (!parsed.success) {
    throw new ValidationError('Invalid export filters.', {
      issues: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    });
  }
  const { from, to } = parsed.data as { from?: string; to?: string };
  if (from && to && from > to) throw new ValidationError('"from" is after "to".', { from, to });
  return { dataset: dataset as Dataset, filters: parsed.data };
}

/**
 * Opens the export as the caller and returns the CSV stream. Throws (nothing
 * streamed) when the caller is not an admin or the filters are refused by SQL.
 */
export async function openCsvExport(
  sql: postgres.Sql,
  claims: Claims,
  dataset: Dataset,
  filters: Record<string, unknown>,
): Promise<ReadableStream<Uint8Array>> {
  const conn = await sql.reserve();
  let open = true;
  const close = async () => {
    if (!open) return;
    open = false;
    await conn`rollback`.catch(() => undefined);
    conn.release();
  };
  try {
    await conn`begin isolation level repeatable read read only`;
    await conn`
      select set_config('role', ${claims.role}, true),
             set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
             set_config('timezone', 'UTC', true),
             set_config('soko.export_filters', ${JSON.stringify(filters)}, true)`;
    await conn`select private.require_admin()`;
    // The dataset name comes from DATASETS, never from the request; COPY takes no
    // bind parameters, so the filters travel in a transaction-local setting.
    const copy = await conn
      .unsafe(`copy (select * from ${DATASETS[dataset].fn}(current_setting('soko.export_filters')::jsonb)) to stdout with (format csv, header true)`)
      .readable();
    const chunks = (copy as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    let bomSent = false;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (!bomSent) {
          bomSent = true;
          controller.enqueue(UTF8_BOM);
          return;
        }
        try {
          const next = await chunks.next();
          if (next.done) {
            controller.close();
            await close();
          } else {
            controller.enqueue(next.value instanceof Uint8Array ? next.value : new TextEncoder().encode(String(next.value)));
          }
        } catch (error) {
          controller.error(error);
          await close();
        }
      },
      async cancel() {
        await chunks.return?.();
        (copy as unknown as { destroy?: () => void }).destroy?.();
        await close();
      },
    });
  } catch (error) {
    await close();
    throw error;
  }
}
