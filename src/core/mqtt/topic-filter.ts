/**
 * MQTT topic filters (MQTT 3.1.1 §4.7 / MQTT 5 §4.7-4.8), used to hand each message of the one
 * shared connection to the subscriptions that asked for it.
 */

/** `$share/<group>/<filter>` → `<filter>`; any other filter unchanged. */
export function stripSharePrefix(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(slash + 1);
}

/** Returns a reason when the filter is not a valid subscription filter, else undefined. */
export function checkTopicFilter(filter: string): string | undefined {
  if (filter.startsWith('$share/')) {
    const rest = filter.slice('$share/'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return 'a shared subscription needs the form $share/<group>/<filter>';
    if (/[+#]/.test(rest.slice(0, slash))) return 'a share group name cannot contain + or #';
  }
  const plain = stripSharePrefix(filter);
  if (plain === '') return 'the topic filter is empty';
  const levels = plain.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return '"#" must be a whole last level';
    if (level.includes('+') && level !== '+') return '"+" must be a whole level';
  }
  return undefined;
}

interface CompiledFilter {
  levels: string[];
  /** Wildcards at the first level never match topics starting with '$' (e.g. $SYS). */
  wildcardFirst: boolean;
}

// Filters are few and matched for every message: split each once. Bounded in case a flow makes
// filters up on the fly.
const compiled = new Map<string, CompiledFilter>();

function compile(filter: string): CompiledFilter {
  const plain = stripSharePrefix(filter);
  const entry = { levels: plain.split('/'), wildcardFirst: plain.startsWith('+') || plain.startsWith('#') };
  if (compiled.size >= 1_000) compiled.clear();
  compiled.set(filter, entry);
  return entry;
}

/** True when `topic` matches `filter` (wildcards, `$share` prefix and `$`-topics handled). */
export function topicMatches(filter: string, topic: string): boolean {
  const { levels, wildcardFirst } = compiled.get(filter) ?? compile(filter);
  if (wildcardFirst && topic.charCodeAt(0) === 36 /* $ */) return false;
  let pos = 0;
  for (const level of levels) {
    if (level === '#') return true;
    if (pos > topic.length) return false;
    const slash = topic.indexOf('/', pos);
    const end = slash < 0 ? topic.length : slash;
    if (level !== '+' && (end - pos !== level.length || !topic.startsWith(level, pos))) return false;
    pos = end + 1;
  }
  return pos === topic.length + 1;
}
