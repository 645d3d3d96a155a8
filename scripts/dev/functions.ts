// Serving supabase/functions without Docker: each function runs as its own Deno
// process (its index.ts, its deno.json), and a small gateway on one port routes
// `/functions/v1/<name>/...` to it, checking the JWT first where config.toml says
// `verify_jwt = true` — what Supabase's edge runtime and relay do for `supabase start`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { jwtVerify } from 'jose';
import { parse } from 'smol-toml';
import { freePort, projectRoot } from '../db/local.ts';

const functionsDir = path.join(projectRoot, 'supabase', 'functions');

export interface EdgeFunction {
  name: string;
  verifyJwt: boolean;
}

/** Every function folder with an index.ts (not `_shared`), with its verify_jwt setting. */
export function discoverFunctions(): EdgeFunction[] {
  const config = parse(readFileSync(path.join(projectRoot, 'supabase', 'config.toml'), 'utf8')) as {
    functions?: Record<string, { verify_jwt?: boolean }>;
  };
  return readdirSync(functionsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('_') && existsSync(path.join(functionsDir, entry.name, 'index.ts')))
    .map((entry) => ({ name: entry.name, verifyJwt: config.functions?.[entry.name]?.verify_jwt ?? true }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export interface ServeFunctionsOptions {
  /** Gateway port: 54321 as in `supabase start`, 0 for any free one. */
  port: number;
  /** Environment for the functions: SUPABASE_DB_URL, SUPABASE_URL, keys, provider secrets. */
  env: Record<string, string>;
  /** Secret the gateway verifies JWTs with (HS256). */
  jwtSecret: string;
  /** Only these functions (default: all). */
  only?: string[];
  log?: (line: string) => void;
}

export interface FunctionsServer {
  /** e.g. http://127.0.0.1:54321/functions/v1 */
  url: string;
  functions: EdgeFunction[];
  /** OS process id of each function's Deno process (for memory measurements). */
  pid(name: string): number | undefined;
  stop(): Promise<void>;
}

export async function serveFunctions(options: ServeFunctionsOptions): Promise<FunctionsServer> {
  const log = options.log ?? (() => undefined);
  const functions = discoverFunctions().filter((f) => !options.only || options.only.includes(f.name));
  const running = new Map<string, { fn: EdgeFunction; port: number; child: ChildProcess }>();
  const stopAll = async () => {
    await Promise.all([...running.values()].map(({ child }) => stopChild(child)));
  };
  try {
    await Promise.all(
      functions.map(async (fn) => {
        const port = await freePort();
        const child = startDeno(fn.name, port, options.env, log);
        running.set(fn.name, { fn, port, child });
        await waitForPort(port, child, fn.name);
      }),
    );
  } catch (error) {
    await stopAll();
    throw error;
  }

  const secret = new TextEncoder().encode(options.jwtSecret);
  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      log(`gateway error: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendJson(res, 502, { error: { code: 'function_unavailable', message: 'The function did not answer.', details: {} } });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/functions\/v1\/([A-Za-z0-9_-]+)(\/.*)?$/.exec(url.pathname);
    const target = match ? running.get(match[1]!) : undefined;
    if (!match || !target) {
      sendJson(res, 404, { error: { code: 'not_found', message: 'No such function.', details: {} } });
      return;
    }
    if (target.fn.verifyJwt && req.method !== 'OPTIONS' && !(await hasValidJwt(req, secret))) {
      sendJson(res, 401, { error: { code: 'not_authenticated', message: 'Missing or invalid JWT.', details: {} } });
      return;
    }
    // Supabase hands the function a URL whose path starts with /<name>.
    const upstream = `http://127.0.0.1:${target.port}/${match[1]}${match[2] ?? ''}${url.search}`;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || name === 'host' || name === 'connection') continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const response = await fetch(upstream, {
      method: req.method ?? 'GET',
      headers,
      body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : null,
      redirect: 'manual',
      ...(hasBody ? { duplex: 'half' } : {}),
    } as RequestInit);
    const outHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (name !== 'content-encoding' && name !== 'transfer-encoding' && name !== 'connection') outHeaders[name] = value;
    });
    res.writeHead(response.status, outHeaders);
    if (response.body) {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
    }
    res.end();
  }

  const port = await listen(server, options.port);
  log(`functions served at http://127.0.0.1:${port}/functions/v1/{${functions.map((f) => f.name).join(',')}}`);
  return {
    url: `http://127.0.0.1:${port}/functions/v1`,
    functions,
    pid: (name) => running.get(name)?.child.pid,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stopAll();
    },
  };
}

function startDeno(name: string, port: number, env: Record<string, string>, log: (line: string) => void): ChildProcess {
  const deno = path.join(projectRoot, 'node_modules', '.bin', 'deno');
  const dir = path.join(functionsDir, name);
  const child = spawn(
    deno,
    ['run', '--allow-net', '--allow-env', '--allow-read', '--config', path.join(dir, 'deno.json'), path.join(dir, 'index.ts')],
    {
      cwd: projectRoot,
      env: { ...process.env, ...env, DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}`, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) log(`[${name}] ${line}`);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  return child;
}

async function waitForPort(port: number, child: ChildProcess, name: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`function ${name} exited with code ${child.exitCode}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`, { method: 'OPTIONS', signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`function ${name} did not start within ${timeoutMs / 1000} s`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function hasValidJwt(req: IncomingMessage, secret: Uint8Array): Promise<boolean> {
  const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return false;
  try {
    await jwtVerify(token, secret, { algorithms: ['HS256'] });
    return true;
  } catch {
    return false;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'access-control-allow-origin': '*' });
  res.end(JSON.stringify(body));
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** KEY=VALUE lines of an env file (supabase/functions/.env), if it exists. */
export function readEnvFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (!match) continue;
    env[match[1]!] = match[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}
