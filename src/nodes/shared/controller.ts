/**
 * One contract for every node's controller, and the one place that wires it to Node-RED:
 *
 *   input(msg, send, done)  — every msg; failures end in done(err) so Catch nodes see them
 *   close(removed)          — stops timers, flushes or persists state; resolves when finished
 *
 * A node's index.ts parses its config in core (a ConfigResult) and calls `startNode`: on
 * problems the node stays deployed with a red status, logs the reasons once and fails every
 * msg with them; otherwise msgs go to the controller. An exception escaping a controller is
 * turned into done(err), never an uncaught exception in the runtime.
 */
import type { ConfigProblem, ConfigResult } from '../../core/config-result';
import { CodedError } from './messages';
import { type Monitored, registerMonitored } from './monitor';
import type { Done, Node, Send, TelemetryMsg } from './red';
import type { Translate } from './translate';

export interface NodeController extends Partial<Monitored> {
  input(msg: TelemetryMsg, send: Send, done: Done): void;
  close(removed: boolean): Promise<void>;
}

/** The reasons of a failed config in the user's language, joined for one log line. */
export function describeProblems(problems: ConfigProblem[], t: Translate): string {
  return problems.map((p) => t(`errors.${p.key}`, p.params)).join('; ');
}

/**
 * Wires a node to its controller, or, when the config (or building the controller) failed,
 * to the config-failure behaviour. Every node's catalogue has `errors.config` ("… {{reasons}}")
 * and `status.config-error`.
 */
export function startNode(node: Node, t: Translate, made: ConfigResult<NodeController> | (() => ConfigResult<NodeController>)): void {
  let result: ConfigResult<NodeController>;
  try {
    result = typeof made === 'function' ? made() : made;
  } catch (err) {
    // A controller that cannot start (a spool directory in use, a broken rule): same as bad config.
    result = { ok: false, problems: [{ key: 'start', params: { reason: err instanceof Error ? err.message : String(err) } }] };
  }
  if (!result.ok) {
    failOnConfig(node, t, describeProblems(result.problems, t));
    return;
  }
  const controller = result.settings;
  // The editor's monitor sidebar reads the figures of every controller that keeps them.
  const unmonitor = controller.figures ? registerMonitored(node, controller as Monitored) : undefined;
  node.on('input', (msg: TelemetryMsg, send: Send, done: Done) => {
    try {
      controller.input(msg, send, done);
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)));
    }
  });
  node.on('close', (removed: boolean, done: () => void) => {
    unmonitor?.();
    controller.close(removed).then(done, (err: unknown) => {
      node.error(err instanceof Error ? err.message : String(err));
      done();
    });
  });
}

function failOnConfig(node: Node, t: Translate, reasons: string): void {
  const message = t('errors.config', { reasons });
  node.error(message);
  node.status({ fill: 'red', shape: 'ring', text: t('status.config-error') });
  node.on('input', (_msg: TelemetryMsg, _send: Send, done: Done) => done(new CodedError('CONFIG', message)));
  node.on('close', (_removed: boolean, done: () => void) => done());
}
