// Streaming CSV exports straight from Postgres.
//
// The export runs on one reserved connection, in a read-only transaction that first
// becomes the caller (role + request.jwt.claims, as PostgREST does) and checks that
// they are an admin — all before a single byte is sent. SQL then builds the dataset's
// SELECT (private.export_query: columns, CSV rules, filters as quoted literals), and
// `copy (<select>) to stdout with (format csv, header)` streams Postgres's RFC 4180
// output to the response in ~64 KB chunks, pulled only as fast as the client reads:
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

const BOOKING_STATUSES = [
  'requested', 'accepted', 'declined', 'expired', 'in_progress', 'completed',
  'cancelled_by_customer', 'cancelled_by_provider', 'cancelled_by_admin', 'disputed', 'resolved',
] as const;

/** COPY sends a message per row; the response gets them in chunks about this big. */
const CHUNK_BYTES = 64 * 1024;

/** Every dataset and its filters (its rows: private.export_<dataset>_query in SQL). */
export const DATASETS = {
  users: {
    filters: z.object({
      ...common,
      status: z.enum(['active', 'suspended']).optional(),
      role: z.enum(['customer', 'provider', 'seller', 'staff', 'admin']).optional(),
    }).strict(),
  },
  ledger_lines: {
    filters: z.object({
      ...common,
      currency: z.string().regex(/^[A-Z]{3}$/).optional(),
      kind: z.string().regex(/^[a-z_]+\.[a-z_]+$/).optional(),
    }).strict(),
  },
  providers: {
    filters: z.object({
      ...common,
      status: z.enum(['unverified', 'pending', 'verified', 'rejected']).optional(),
      active: z.enum(['true', 'false']).optional(),
    }).strict(),
  },
  bookings: {
    filters: z.object({
      ...common,
      status: z.enum(BOOKING_STATUSES).optional(),
      payment_status: z.enum(['unpaid', 'pending', 'paid', 'partially_refunded', 'refunded']).optional(),
    }).strict(),
  },
  payments: {
    filters: z.object({
      ...common,
      status: z.enum(['pending', 'succeeded', 'failed', 'expired', 'cancelled', 'refunded', 'partially_refunded']).optional(),
      method: z.enum(['gateway', 'wallet', 'cash']).optional(),
      gateway: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/).optional(),
    }).strict(),
  },
  payouts: {
    filters: z.object({
      ...common,
      status: z.enum(['pending', 'processing', 'succeeded', 'failed']).optional(),
    }).strict(),
  },
  reviews: {
    filters: z.object({
      ...common,
      status: z.enum(['pending', 'published', 'hidden']).optional(),
      author_role: z.enum(['customer', 'provider']).optional(),
    }).strict(),
  },
  disputes: {
    filters: z.object({
      ...common,
      status: z.enum(['open', 'resolved']).optional(),
      outcome: z.enum(['release_to_provider', 'partial_refund', 'full_refund']).optional(),
    }).strict(),
  },
} as const satisfies Record<string, { filters: z.ZodType<Record<string, unknown>> }>;

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
             set_config('datestyle', 'ISO, YMD', true),
             -- Exports may run for minutes; still bounded.
             set_config('statement_timeout', '15min', true)`;
    await conn`select private.require_admin()`;
    const [{ query }] = (await conn`
      select private.export_query(${dataset}, ${JSON.stringify(filters)}::text::jsonb) as query`) as unknown as [{ query: string }];
    // The SELECT comes from SQL with every filter value quoted there; COPY takes no
    // bind parameters.
    const copy = await conn.unsafe(`copy (${query}) to stdout with (format csv, header true)`).readable();
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
          const parts: Uint8Array[] = [];
          let size = 0;
          let done = false;
          while (size < CHUNK_BYTES) {
            const next = await chunks.next();
            if (next.done) {
              done = true;
              break;
            }
            const part = next.value instanceof Uint8Array ? next.value : new TextEncoder().encode(String(next.value));
            parts.push(part);
            size += part.byteLength;
          }
          if (size > 0) controller.enqueue(concat(parts, size));
          if (done) {
            controller.close();
            await close();
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

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
