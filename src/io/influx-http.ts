import http from 'node:http';
import https from 'node:https';

/**
 * A small HTTP client for InfluxDB: the 1.x API (`/ping`, `/query`, `/write`), which 2.x and 3.x
 * also serve for compatibility, and the transport (`send`) that the 2.x and 3.x APIs
 * (influx-v2.ts, influx-v3.ts) use. node-influx hides status codes and cannot gzip, and the archive
 * needs both to decide retry vs. reject, so writes go through here. Keep-alive sockets are
 * bounded (`maxSockets`) so a burst can never open thousands of connections.
 */

export interface InfluxEndpoint {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  timeoutMs?: number | undefined;
  /** Extra TLS options for https (ca, rejectUnauthorized…), from a tls-config node. */
  tls?: https.AgentOptions | undefined;
  maxSockets?: number | undefined;
  /**
   * 2.x (`Token`) and 3.x (`Bearer`): the token goes in `Authorization: <scheme> <token>`.
   * Absent: Basic auth from username/password (1.x, or a token as password on the v1 API).
   */
  tokenScheme?: 'Token' | 'Bearer' | undefined;
  token?: string | undefined;
}

export interface InfluxResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface WriteOptions {
  database: string;
  retentionPolicy?: string | undefined;
  /** The body is gzip-compressed (the write port compresses off the event loop with zlib.gzip). */
  compressed?: boolean | undefined;
}

/** A transport failure (no HTTP answer): connection refused, reset, DNS, timeout. */
export class InfluxTransportError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'InfluxTransportError';
  }
}

export class InfluxHttp {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly authorization: string | undefined;
  private inFlight = 0;
  private closing = false;

  constructor(private readonly endpoint: InfluxEndpoint) {
    this.base = new URL(endpoint.url);
    const agentOptions = { keepAlive: true, maxSockets: endpoint.maxSockets ?? 8 };
    this.agent = this.base.protocol === 'https:' ? new https.Agent({ ...agentOptions, ...endpoint.tls }) : new http.Agent(agentOptions);
    // Basic auth works for 1.x users and for 2.x/3.x tokens (any user name, the token as password),
    // and keeps secrets out of URLs and therefore out of proxy and server logs.
    // 2.x and 3.x: the token in their own scheme (Token / Bearer).
    this.authorization = endpoint.tokenScheme
      ? endpoint.token
        ? `${endpoint.tokenScheme} ${endpoint.token}`
        : undefined
      : endpoint.username || endpoint.password
        ? `Basic ${Buffer.from(`${endpoint.username ?? ''}:${endpoint.password ?? ''}`).toString('base64')}`
        : undefined;
  }

  /** Writes line protocol with ms precision. Resolves with the answer whatever its status. */
  write(lines: string | Buffer, options: WriteOptions): Promise<InfluxResponse> {
    const query: Record<string, string> = { db: options.database, precision: 'ms' };
    if (options.retentionPolicy) query.rp = options.retentionPolicy;
    const raw = typeof lines === 'string' ? Buffer.from(lines) : lines;
    const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8' };
    if (options.compressed) headers['Content-Encoding'] = 'gzip';
    return this.send('POST', '/write', query, raw, headers);
  }

  /** Runs InfluxQL. POST, because DDL and DELETE are refused over GET. */
  query(q: string, database?: string): Promise<InfluxResponse> {
    const query: Record<string, string> = { q, epoch: 'ms' };
    if (database) query.db = database;
    return this.send('POST', '/query', query, undefined, {});
  }

  ping(): Promise<InfluxResponse> {
    return this.send('GET', '/ping', {}, undefined, {});
  }

  /**
   * Frees the connections once no request is in flight. Requests running at close — an archive's
   * last write while Node-RED stops its config node and the archive in the same turn — finish
   * (each is bounded by its own timeout); destroying their sockets would fail exactly the write
   * that keeps a stopping archive from stranding its batch in the spool.
   */
  close(): void {
    this.closing = true;
    if (this.inFlight === 0) this.agent.destroy();
  }

  /**
   * One request with this endpoint's auth, TLS and timeout; resolves with any HTTP answer.
   * `maxAnswerBytes`: an answer body larger than this is not kept — the request is aborted and
   * rejected with code ANSWER_TOO_LARGE (queries whose answer size the caller cannot bound).
   */
  send(
    method: string,
    path: string,
    query: Record<string, string>,
    body?: Buffer,
    headers: Record<string, string> = {},
    maxAnswerBytes?: number,
  ): Promise<InfluxResponse> {
    const url = new URL(this.base.href);
    url.pathname = `${url.pathname.replace(/\/$/, '')}${path}`;
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const allHeaders: Record<string, string | number> = { ...headers };
    if (this.authorization) allHeaders.Authorization = this.authorization;
    if (body) allHeaders['Content-Length'] = body.length;
    const transport = url.protocol === 'https:' ? https : http;
    const timeoutMs = this.endpoint.timeoutMs ?? 10_000;

    this.inFlight++;
    const answer = new Promise<InfluxResponse>((resolve, reject) => {
      const req = transport.request(url, { method, headers: allHeaders, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        let tooLarge = false;
        res.on('data', (chunk: Buffer) => {
          if (tooLarge) return;
          received += chunk.length;
          if (maxAnswerBytes !== undefined && received > maxAnswerBytes) {
            // Settle here and abort without an error: an error passed to destroy() also reached
            // the response stream after it had ended its listeners' turn (an uncaught error).
            tooLarge = true;
            chunks.length = 0;
            reject(new InfluxTransportError(`the answer is larger than ${maxAnswerBytes} bytes: not read`, 'ANSWER_TOO_LARGE'));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => reject(new InfluxTransportError(err.message, 'ERESPONSE')));
      });
      req.setTimeout(timeoutMs, () => req.destroy(new InfluxTransportError(`no answer within ${timeoutMs} ms`, 'ETIMEDOUT')));
      req.on('error', (err: Error & { code?: string }) => {
        reject(err instanceof InfluxTransportError ? err : new InfluxTransportError(err.message, err.code ?? 'ENETWORK'));
      });
      req.end(body);
    });
    const settled = (): void => {
      this.inFlight--;
      if (this.closing && this.inFlight === 0) this.agent.destroy();
    };
    answer.then(settled, settled);
    return answer;
  }
}

/** A JSON request (the 2.x and 3.x management APIs). */
export function jsonBody(value: unknown): { body: Buffer; headers: Record<string, string> } {
  return { body: Buffer.from(JSON.stringify(value)), headers: { 'Content-Type': 'application/json' } };
}

/** The JSON of an answer, or undefined when it is not JSON. */
export function parseJson<T>(response: InfluxResponse): T | undefined {
  try {
    return JSON.parse(response.body) as T;
  } catch {
    return undefined;
  }
}

/** The `error` text InfluxDB puts in a JSON body, else the raw body (trimmed). */
export function influxErrorText(response: InfluxResponse): string {
  try {
    const parsed = JSON.parse(response.body) as { error?: string; message?: string };
    if (parsed.error) return parsed.error;
    if (parsed.message) return parsed.message;
  } catch {
    // not JSON: fall through
  }
  return response.body.trim().slice(0, 500) || `HTTP ${response.status}`;
}
