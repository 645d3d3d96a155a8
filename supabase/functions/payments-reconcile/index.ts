import { gatewaysFromEnv } from '../../../src/payments/gateways.ts';
import { database, jwtVerifier } from '../_shared/env.ts';
import { createHandler } from './handler.ts';

const sql = database();
Deno.serve(createHandler({ sql, verifier: jwtVerifier(), gateways: gatewaysFromEnv((name) => Deno.env.get(name), sql) }));
