// The shell every edge function handler runs in: CORS for the apps' web builds,
// method checks, and one place where errors become the JSON envelope.
import { MethodNotAllowedError, toResponse, type Logger } from '../errors.ts';

export const corsHeaders: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, x-client-info, apikey, content-type',
  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
};

export type Handler = (request: Request) => Promise<Response>;

export interface ServeOptions {
  methods: string[];
  log?: Logger;
}

export function serveJson(options: ServeOptions, handler: Handler): Handler {
  return async (request) => {
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: corsHeaders });
    let response: Response;
    try {
      if (!options.methods.includes(request.method)) throw new MethodNotAllowedError(options.methods);
      response = await handler(request);
    } catch (error) {
      response = toResponse(error, options.log ? { log: options.log } : {});
    }
    for (const [name, value] of Object.entries(corsHeaders)) response.headers.set(name, value);
    return response;
  };
}
