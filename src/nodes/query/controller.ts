import type { Clock } from '../../core/clock';
import { formatCount } from '../../core/rate';
import { QueryError } from '../../core/query/errors';
import { type ParamValue, checkParams } from '../../core/query/params';
import { type QueryStatementResult, toChartPoints, toReadings, toRows } from '../../core/query/results';
import type { QuerySettings } from '../../core/query/settings';
import { type PreparedQuery, prepareQuery } from '../../core/query/statement';
import type { NodeController } from '../shared/controller';
import type { MonitorFigures } from '../shared/monitor';
import { rejectedMsg } from '../shared/messages';
import type { Done, Node, Send, TelemetryMsg } from '../shared/red';
import { StatusThrottle } from '../shared/status-throttle';
import type { Translate } from '../shared/translate';

/** Queries in flight at once; more are refused (BUSY) so a burst of triggers cannot pile up. */
export const MAX_IN_FLIGHT = 8;

export type RunQuery = (prepared: PreparedQuery) => Promise<QueryStatementResult[]>;

export interface QueryControllerOptions {
  node: Pick<Node, 'status'>;
  settings: QuerySettings;
  run: RunQuery;
  t: Translate;
  clock: Clock;
}

/**
 * The telemetry-query node behind the Node-RED shell: each msg runs the node's query (or
 * msg.query) with the node's parameters overlaid by msg.params; the answer goes out on output 1
 * in the configured shape, every refusal or server error on output 2 with msg.error.
 */
export class QueryController implements NodeController {
  private readonly status: StatusThrottle;
  private inFlight = 0;
  private closed = false;
  /** For the monitor sidebar: rows handed out and queries refused since the node started. */
  private rowsOut = 0;
  private refused = 0;

  constructor(private readonly options: QueryControllerOptions) {
    this.status = new StatusThrottle(options.node, options.clock);
    this.status.set({ fill: 'grey', shape: 'ring', text: options.t('status.ready', { output: options.settings.output }) }, true);
  }

  input(msg: TelemetryMsg, send: Send, done: Done): void {
    const { settings, t } = this.options;
    const refuse = (code: string, message: string): void => {
      this.refused++;
      this.status.set({ fill: 'red', shape: 'ring', text: t('status.error', { code }) });
      send([null, rejectedMsg(msg, code, message)]);
      done();
    };
    let prepared: PreparedQuery;
    try {
      const params: Record<string, ParamValue> = { ...settings.params, ...checkParams(msg.params) };
      const template = typeof msg.query === 'string' && msg.query.trim() ? msg.query : settings.query;
      prepared = prepareQuery(template, params, settings.maxRows);
    } catch (err) {
      if (err instanceof QueryError) return refuse(err.code, err.message);
      throw err;
    }
    if (this.inFlight >= MAX_IN_FLIGHT) return refuse('BUSY', t('errors.BUSY', { max: MAX_IN_FLIGHT }));
    this.inFlight++;
    const started = this.options.clock.now();
    this.status.set({ fill: 'blue', shape: 'dot', text: t('status.querying') }, true);
    this.options.run(prepared).then(
      (results) => {
        this.inFlight--;
        if (this.closed) return done();
        const out = this.shape(results);
        this.rowsOut += out.rows;
        const ms = this.options.clock.now() - started;
        this.status.set({ fill: 'green', shape: 'dot', text: t(out.truncated ? 'status.truncated' : 'status.rows', { rows: formatCount(out.rows), ms }) });
        const result: TelemetryMsg = { ...msg, payload: out.items, rows: out.rows, truncated: out.truncated };
        if (settings.output === 'chart') result.action = 'replace';
        send([result, null]);
        done();
      },
      (err: unknown) => {
        this.inFlight--;
        if (this.closed) return done();
        const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : 'QUERY';
        refuse(code, err instanceof Error ? err.message : String(err));
      },
    );
  }

  /** The monitor's figures: the rate is of rows answered; refusals include server errors. */
  figures(): MonitorFigures {
    return { readings: this.rowsOut, refused: this.refused };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.status.close();
  }

  private shape(results: QueryStatementResult[]): { items: unknown[]; rows: number; truncated: boolean } {
    const { output, maxRows } = this.options.settings;
    if (output === 'chart') return toChartPoints(results, maxRows);
    if (output === 'rows') return toRows(results, maxRows);
    return toReadings(results, maxRows);
  }
}
