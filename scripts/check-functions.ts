// Type-checks every edge function's Deno entry point with its own deno.json, as
// `supabase functions deploy` would bundle it. (tsc covers the runtime-neutral rest.)
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from './db/local.ts';
import { discoverFunctions } from './dev/functions.ts';

const run = promisify(execFile);
const deno = path.join(projectRoot, 'node_modules', '.bin', 'deno');
let failed = false;
for (const fn of discoverFunctions()) {
  const dir = path.join(projectRoot, 'supabase', 'functions', fn.name);
  try {
    await run(deno, ['check', '--config', path.join(dir, 'deno.json'), path.join(dir, 'index.ts')], {
      cwd: projectRoot,
      env: { ...process.env, NO_COLOR: '1' },
    });
    console.log(`deno check ${fn.name}: ok`);
  } catch (error) {
    failed = true;
    const e = error as { stdout?: string; stderr?: string };
    console.error(`deno check ${fn.name}: failed\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
process.exit(failed ? 1 : 0);
