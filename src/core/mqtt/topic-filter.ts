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

/** True when `topic` matches `filter` (wildcards, `$share` prefix and `$`-topics handled). */
export function topicMatches(filter: string, topic: string): boolean {
  const plain = stripSharePrefix(filter);
  // Wildcards at the first level never match topics starting with '$' (e.g. $SYS).
  if (topic.startsWith('$') && (plain.startsWith('+') || plain.startsWith('#'))) return false;
  const f = plain.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
