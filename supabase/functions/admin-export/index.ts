import { database, jwtVerifier } from '../_shared/env.ts';
import { createHandler } from './handler.ts';

Deno.serve(createHandler({ sql: database(), verifier: jwtVerifier() }));
