// GET /functions/v1/admin-export/<dataset>?market=gh&from=2026-01-01&to=2026-01-31&status=…
// CSV for spreadsheets, streamed from Postgres as the calling admin (RLS decides);
// anyone else gets 401/403 and nothing is streamed.
import type postgres from 'postgres';
import { authenticate, type JwtVerifier } from '../../../src/auth/jwt.ts';
import { UnauthorizedError, type Logger } from '../../../src/errors.ts';
import { openCsvExport, parseExportRequest } from '../../../src/exports.ts';
import { serveJson, type Handler } from '../../../src/http/serve.ts';

export interface AdminExportDependencies {
  sql: postgres.Sql;
  verifier: JwtVerifier;
  log?: Logger;
  now?: () => Date;
}

export function createHandler({ sql, verifier, log, now = () => new Date() }: AdminExportDependencies): Handler {
  return serveJson({ methods: ['GET'], ...(log ? { log } : {}) }, async (request) => {
    const claims = await authenticate(request, verifier);
    if (claims.role !== 'authenticated') throw new UnauthorizedError();
    const url = new URL(request.url);
    const name = url.pathname.split('/').filter(Boolean).at(-1) ?? '';
    const { dataset, filters } = parseExportRequest(name, url.searchParams);
    const body = await openCsvExport(sql, claims, dataset, filters);
    const stamp = now().toISOString().slice(0, 10);
    const market = typeof filters.market === 'string' ? `-${filters.market}` : '';
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="soko-${dataset}${market}-${stamp}.csv"`,
        'cache-control': 'no-store',
      },
    });
  });
}
