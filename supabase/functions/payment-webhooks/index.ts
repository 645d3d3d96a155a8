import { gatewaysFromEnv } from '../../../src/payments/gateways.ts';
import { database } from '../_shared/env.ts';
import { createHandler } from './handler.ts';

const sql = database();
Deno.serve(createHandler({ sql, gateways: gatewaysFromEnv((name) => Deno.env.get(name), sql) }));
