import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadPretrainedGenerator, type TextGenerator } from '../generation/text-generator.js';
import type { PatternStore } from '../store/pattern-store.js';
import { postAdapter } from './adapter-endpoint.js';
import type { EndpointResult, ServiceContext } from './context.js';
import { postFeedback } from './feedback-endpoint.js';
import { postGenerate } from './generate-endpoint.js';
import { postGenerateFeedback } from './generate-feedback-endpoint.js';
import { HttpError, toHttpError } from './http-error.js';
import { LazyGenerator } from './lazy-generator.js';
import { postPatterns } from './patterns-endpoint.js';
import { readJsonBody } from './read-json-body.js';
import { adapterRequestSchema } from './request-schemas.js';
import { ServedRequests } from './served-requests.js';
import { getHealth, getStats } from './status-endpoints.js';

export interface ServiceOptions {
  store: PatternStore;
  /** Largest request body. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Time for a request's body to arrive. Default 10 s. */
  bodyTimeoutMs?: number;
  /** Time for a request's headers to arrive. Default 10 s. */
  headersTimeoutMs?: number;
  /** Idle keep-alive connections close after this. Default 5 s. */
  keepAliveTimeoutMs?: number;
  /** POST /adapter answers remembered for feedback by requestId. Default 10 000. */
  rememberRequests?: number;
  /** Most patterns per POST /patterns. Default 1000. */
  maxPatternsPerRequest?: number;
  /** Connections beyond this are refused (file descriptors stay available). Default 1024. */
  maxConnections?: number;
  /** Where unexpected (500) errors are reported. Default console.error. */
  log?: (message: string) => void;
  /**
   * Creates the text model of POST /generate, called once on the first such
   * request. Default: the committed pretrained model on tfjs-wasm (loadPretrainedInference).
   */
  createGenerator?: () => Promise<TextGenerator>;
  /** POST /generate results remembered for POST /generate/feedback by id. Default 256 (each up to ~80 KB: per-character features for the learner). */
  rememberGenerations?: number;
}

export interface MicroLoraService {
  readonly server: Server;
  /** Starts listening; port 0 picks a free port. Resolves with the bound address. */
  listen(port: number, host: string): Promise<{ host: string; port: number; url: string }>;
  /** Stops accepting, waits for requests in flight (closing idle connections), then resolves. */
  close(): Promise<void>;
}

type Handler = (body: unknown, ctx: ServiceContext) => EndpointResult | Promise<EndpointResult>;

interface Route {
  method: 'GET' | 'POST';
  handle: Handler;
  hasBody: boolean;
}

const ROUTES: Readonly<Record<string, Route>> = {
  '/adapter': { method: 'POST', handle: postAdapter, hasBody: true },
  '/feedback': { method: 'POST', handle: postFeedback, hasBody: true },
  '/generate': { method: 'POST', handle: postGenerate, hasBody: true },
  '/generate/feedback': { method: 'POST', handle: postGenerateFeedback, hasBody: true },
  '/patterns': { method: 'POST', handle: postPatterns, hasBody: true },
  '/stats': { method: 'GET', handle: (_body, ctx) => getStats(ctx), hasBody: false },
  '/healthz': { method: 'GET', handle: (_body, ctx) => getHealth(ctx), hasBody: false },
};

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

/**
 * The MicroLoRA HTTP service over a PatternStore (node:http, JSON in and out).
 * Every request is validated; every failure is answered as
 * `{ error: { code, message, details? } }` and none stops the process.
 */
export function createService(options: ServiceOptions): MicroLoraService {
  const store = options.store;
  const maxBodyBytes = options.maxBodyBytes ?? 1 << 20;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 10_000;
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const log = options.log ?? ((message: string) => console.error(message));
  const closeGraceMs = bodyTimeoutMs + 1000;
  const ctx: ServiceContext = {
    store,
    served: new ServedRequests(options.rememberRequests ?? 10_000),
    adapterSchema: adapterRequestSchema(store.config.dimension, store.config.hiddenSize),
    maxPatternsPerRequest: options.maxPatternsPerRequest ?? 1000,
    counters: { requests: 0, responses2xx: 0, responses4xx: 0, responses5xx: 0 },
    startedAt: Date.now(),
    generation: {
      generator: new LazyGenerator(options.createGenerator ?? loadPretrainedGenerator, log),
      results: new ServedRequests(options.rememberGenerations ?? 256),
      counters: { requests: 0, latencyMsTotal: 0, tokensGenerated: 0, dgrRetrievals: 0, feedback: 0 },
    },
  };

  const answer = (res: ServerResponse, status: number, body: unknown): void => {
    if (status >= 500) ctx.counters.responses5xx++;
    else if (status >= 400) ctx.counters.responses4xx++;
    else ctx.counters.responses2xx++;
    send(res, status, body);
  };

  const fail = (res: ServerResponse, error: unknown, method: string | undefined, path: string): void => {
    const http = toHttpError(error);
    if (http.status >= 500) {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`${method ?? '?'} ${path} → ${http.status} ${http.code}: ${detail}`);
    }
    const extra: Record<string, string> = {};
    const route = ROUTES[path];
    if (http.status === 405 && route !== undefined) extra.allow = route.method;
    if (http.closeConnection) extra.connection = 'close';
    if (http.status >= 500) ctx.counters.responses5xx++;
    else ctx.counters.responses4xx++;
    const body = { error: { code: http.code, message: http.message, ...(http.details === undefined ? {} : { details: http.details }) } };
    send(res, http.status, body, extra);
  };

  const handleRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    ctx.counters.requests++;
    let path = '/';
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const route = ROUTES[path];
      if (route === undefined) {
        req.resume();
        throw new HttpError(404, 'ROUTE_NOT_FOUND', `no endpoint ${path}; the endpoints are ${Object.keys(ROUTES).join(', ')}`);
      }
      if (req.method !== route.method) {
        req.resume();
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes ${route.method}, not ${req.method ?? '?'}`);
      }
      let body: unknown;
      if (route.hasBody) body = await readJsonBody(req, { maxBytes: maxBodyBytes, timeoutMs: bodyTimeoutMs });
      else req.resume();
      const result = await route.handle(body, ctx);
      answer(res, result.status, result.body);
    } catch (error) {
      fail(res, error, req.method, path);
    }
  };

  const server = createServer(
    {
      // Backstop for slow clients beyond the body timer; checked every second rather than every 30 s.
      requestTimeout: headersTimeoutMs + bodyTimeoutMs + 1000,
      headersTimeout: headersTimeoutMs,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 5000,
      connectionsCheckingInterval: 1000,
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      handleRequest(req, res).catch((error: unknown) => {
        log(`unexpected failure answering ${req.method ?? '?'} ${req.url ?? '?'}: ${String(error)}`);
        if (!res.headersSent) res.destroy();
      });
    },
  );
  server.maxConnections = options.maxConnections ?? 1024;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (socket.writable && !socket.destroyed) {
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      const body = JSON.stringify({ error: { code: 'BAD_REQUEST', message: `malformed HTTP request (${error.code ?? 'parse error'})` } });
      socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    } else {
      socket.destroy();
    }
  });

  return {
    server,
    listen(port: number, host: string) {
      return new Promise((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ host: address.address, port: address.port, url: `http://${shownHost}:${address.port}` });
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        // Requests in flight get their answers; connections still open after the grace period are cut.
        const force = setTimeout(() => server.closeAllConnections(), closeGraceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
