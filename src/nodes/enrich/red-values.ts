/**
 * The Node-RED half of the rule compiler's dependencies: msg/flow/global/env values and JSONata,
 * all through RED.util so they behave exactly as in core nodes (context stores, `$env()`,
 * `$flowContext()`, Node-RED's own jsonata).
 */
import type { CompileDeps } from '../../core/enrich/rules';
import type { Reading } from '../../core/reading';
import type { Node, NodeAPI, NodeMessage } from '../shared/red';

type Callback = (err: Error | null, value?: unknown) => void;

/**
 * Calls a callback-style Node-RED API. The memory context store answers inside the call, so the
 * value is returned as is and a batch stays synchronous; a persistent store answers later, and
 * then a promise is returned.
 */
export function callbackValue(start: (callback: Callback) => void): unknown {
  let inline: { err: Error | null; value: unknown } | undefined;
  let settle: Callback | undefined;
  start((err, value) => {
    if (settle) settle(err, value);
    else inline = { err, value };
  });
  if (inline) {
    if (inline.err) throw inline.err;
    return inline.value;
  }
  return new Promise((resolve, reject) => {
    settle = (err, value) => (err ? reject(err) : resolve(value));
  });
}

/** The argument our wrapped evaluate receives in place of a msg. */
interface ReadingAndMsg {
  readonly reading: Reading;
  readonly msg: unknown;
}
const ENVELOPE = Symbol('telemetry-enrich.envelope');

interface PreparedExpression {
  evaluate(input: unknown, bindings?: Record<string, unknown>, callback?: unknown): Promise<unknown>;
  /** Node-RED's switch to `{ msg }` as the input when the text mentions `msg` (true for `$msg`). */
  _legacyMode?: boolean;
}

/**
 * Prepares a JSONata expression once with Node-RED's own prepareJSONataExpression (its `$env`,
 * `$flowContext`, `$globalContext`, `$moment` and jsonata version) and evaluates it through
 * evaluateJSONataExpression (async context lookups, result clean-up).
 *
 * Node-RED evaluates against the msg; our contract is `$` = the reading and `$msg` = the msg. The
 * two travel inside the msg argument and the prepared expression's `evaluate` unpacks them, binding
 * `$msg` for that one call. (expr.assign() would bind it on the shared expression, where two
 * readings evaluated at the same time would see each other's msg.)
 */
export function prepareJsonata(RED: NodeAPI, node: Node, expression: string): (reading: Reading, msg: unknown) => Promise<unknown> {
  // The typings declare jsonata's Expression; the extra fields below are Node-RED's own.
  const prepared = RED.util.prepareJSONataExpression(expression, node) as unknown as PreparedExpression;
  prepared._legacyMode = false;
  const evaluate = prepared.evaluate;
  prepared.evaluate = (input, bindings, callback) => {
    const envelope = input as Partial<ReadingAndMsg> & { [ENVELOPE]?: true };
    if (envelope?.[ENVELOPE]) return evaluate(envelope.reading, { ...bindings, msg: envelope.msg }, callback);
    return evaluate(input, bindings, callback);
  };
  return (reading, msg) =>
    new Promise((resolve, reject) => {
      const envelope = { [ENVELOPE]: true, reading, msg };
      RED.util.evaluateJSONataExpression(prepared as never, envelope as unknown as NodeMessage, (err, value) =>
        err ? reject(err) : resolve(value),
      );
    });
}

export function redValueSources(RED: NodeAPI, node: Node): Pick<CompileDeps, 'msgValue' | 'env' | 'jsonata'> {
  return {
    msgValue(type, path) {
      if (type === 'msg') {
        RED.util.normalisePropertyExpression(path); // throws on a malformed expression, at deploy
        return (msg) => {
          try {
            return RED.util.getMessageProperty(msg as NodeMessage, path);
          } catch {
            return undefined; // a missing parent (msg.meta.site without msg.meta): no value, as for a missing leaf
          }
        };
      }
      return (msg) =>
        callbackValue((callback) => RED.util.evaluateNodeProperty(path, type, node, msg as NodeMessage, callback));
    },
    env: (name) => RED.util.evaluateNodeProperty(name, 'env', node, {} as NodeMessage),
    jsonata: (expression) => prepareJsonata(RED, node, expression),
  };
}
