// Running SQL on behalf of the caller, exactly as PostgREST runs a request: one
// transaction that first sets the role and request.jwt.claims locally, so grants and
// row-level security decide what the caller may see and do.
import type postgres from 'postgres';
import type { Claims } from '../auth/jwt.ts';

export async function asCaller<T>(sql: postgres.Sql, claims: Claims, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  return (await sql.begin(async (tx) => {
    await tx`
      select set_config('role', ${claims.role}, true),
             set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    return fn(tx);
  })) as T;
}
