import { database, jwtVerifier } from '../_shared/env.ts';
import { fcmFromEnv } from '../../../src/push/fcm.ts';
import { createHandler } from './handler.ts';

Deno.serve(createHandler({ sql: database(), verifier: jwtVerifier(), sender: fcmFromEnv((name) => Deno.env.get(name))?.sender }));
