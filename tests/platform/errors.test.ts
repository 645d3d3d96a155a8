import { describe, expect, it } from 'vitest';
import { AppError, fromPostgresError, httpStatusForSqlstate, toResponse, ValidationError } from '../../src/errors.ts';
import { asUser, createUser, db, rollback } from '../harness/db.ts';

describe('the error catalogue', () => {
  it('gives every code a valid SQLSTATE that maps to a client error status', async () => {
    const rows = await db()<{ code: string; sqlstate: string }[]>`select code, sqlstate from private.error_catalogue`;
    expect(rows.length).toBeGreaterThan(5);
    for (const { code, sqlstate } of rows) {
      const status = httpStatusForSqlstate(sqlstate, true);
      expect(status, `${code} (${sqlstate})`).toBeGreaterThanOrEqual(400);
      expect(status, `${code} (${sqlstate})`).toBeLessThan(500);
    }
  });

  it('raises with the stable code in the hint and JSON details', async () => {
    await rollback(async (tx) => {
      const error = await tx`select private.raise_error('not_found', '{"user_id": "x"}')`.catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'PT404', hint: 'not_found', message: 'Not found.', detail: '{"user_id": "x"}' });
      const app = fromPostgresError(error as never);
      expect(app).toMatchObject({ code: 'not_found', status: 404, details: { user_id: 'x' } });
    });
  });

  it('refuses to raise an uncatalogued code', async () => {
    await rollback(async (tx) => {
      await expect(tx`select private.raise_error('no_such_code')`).rejects.toMatchObject({ code: 'XX000' });
    });
  });

  it('is not readable by app users', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await expect(asUser(tx, ama, (q) => q`select * from private.error_catalogue`)).rejects.toMatchObject({ code: '42501' });
    });
  });
});

describe('HTTP statuses follow PostgREST', () => {
  it.each([
    ['42501', true, 403],
    ['42501', false, 401],
    ['23505', true, 409],
    ['23503', true, 409],
    ['23514', true, 400],
    ['22023', true, 400],
    ['P0001', true, 400],
    ['P0002', true, 500],
    ['PT404', true, 404],
    ['PT409', true, 409],
    ['08006', true, 503],
    ['40001', true, 500],
    ['XX000', true, 500],
    ['42P01', true, 404],
  ])('%s (authenticated: %s) → %i', (sqlstate, authenticated, status) => {
    expect(httpStatusForSqlstate(sqlstate, authenticated)).toBe(status);
  });
});

describe('the JSON envelope', () => {
  it('renders an AppError as {error: {code, message, details}}', async () => {
    const response = toResponse(new ValidationError('Phone is required', { field: 'phone' }));
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toEqual({ error: { code: 'invalid_input', message: 'Phone is required', details: { field: 'phone' } } });
  });

  it('renders a catalogued database error with its own code and status', async () => {
    const error = await rollback((tx) => tx`select private.raise_error('account_suspended')`.catch((e: unknown) => e));
    const response = toResponse(error);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: { code: 'account_suspended', message: 'Your account is suspended: you can read but not change anything.', details: {} },
    });
  });

  it('names the violated constraint of a check violation, and nothing else', async () => {
    const error = await rollback((tx) => tx`update public.markets set code = 'NOT A SLUG' where code = 'gh'`.catch((e: unknown) => e));
    const response = toResponse(error);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: 'invalid_input', message: 'The request is not valid.', details: { constraint: 'market_code_is_slug' } },
    });
  });

  it('hides unknown errors behind a bare 500 and logs them', async () => {
    const logged: unknown[] = [];
    const response = toResponse(new Error('connection string postgres://secret@db'), { log: (m, f) => logged.push([m, f]) });
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).not.toContain('secret');
    expect(JSON.parse(body)).toEqual({ error: { code: 'internal_error', message: 'Something went wrong on our side.', details: {} } });
    expect(logged).toHaveLength(1);
  });

  it('keeps AppError a real Error with a stack', () => {
    const error = new AppError('conflict', 409, 'Already there');
    expect(error).toBeInstanceOf(Error);
    expect(error.stack).toBeTruthy();
  });
});
