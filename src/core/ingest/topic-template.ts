/**
 * Topic templates (README "How each node behaves"): `sensors/{site}/{device}/telemetry` reads tags from topic
 * levels. `{measurement}` sets the measurement, `{field}` names the field of a bare value,
 * `+` skips one level, a final `#` accepts any further levels; other levels must match exactly.
 * Only whole levels are placeholders (MQTT levels are the unit a device owner controls).
 */
import { stripSharePrefix } from '../mqtt/topic-filter';
import { checkName } from '../reading';
import { UNSAFE_KEYS } from './types';

type Level =
  | { kind: 'literal'; text: string }
  | { kind: 'skip' }
  | { kind: 'tag'; name: string }
  | { kind: 'measurement' }
  | { kind: 'field' };

export interface TopicParts {
  tags: Record<string, string>;
  measurement?: string;
  field?: string;
}

export type TemplateMatch = { ok: true; parts: TopicParts } | { ok: false; reason: string };

export class TopicTemplate {
  private constructor(readonly text: string, private readonly levels: readonly Level[], private readonly rest: boolean) {}

  /** Compiles a template; returns the reason when it is not a valid one. */
  static compile(text: string): TopicTemplate | string {
    const source = stripSharePrefix(text.trim());
    if (source === '') return 'the topic template is empty';
    const raw = source.split('/');
    const levels: Level[] = [];
    const seen = new Set<string>();
    let rest = false;
    for (let i = 0; i < raw.length; i++) {
      const level = raw[i] as string;
      if (level === '#') {
        if (i !== raw.length - 1) return '"#" must be the last level of the topic template';
        rest = true;
        continue;
      }
      if (level === '+') {
        levels.push({ kind: 'skip' });
        continue;
      }
      const placeholder = /^\{(.*)\}$/.exec(level);
      if (!placeholder) {
        if (/[{}+#]/.test(level)) return `level "${level}" of the topic template: a placeholder must fill a whole level, e.g. {device}`;
        levels.push({ kind: 'literal', text: level });
        continue;
      }
      const name = (placeholder[1] as string).trim();
      const problem = checkPlaceholder(name);
      if (problem) return problem;
      if (seen.has(name)) return `{${name}} appears twice in the topic template`;
      seen.add(name);
      levels.push(name === 'measurement' ? { kind: 'measurement' } : name === 'field' ? { kind: 'field' } : { kind: 'tag', name });
    }
    return new TopicTemplate(source, levels, rest);
  }

  /** Names of the tags the template sets. */
  get tagNames(): string[] {
    return this.levels.flatMap((l) => (l.kind === 'tag' ? [l.name] : []));
  }

  match(topic: string | undefined): TemplateMatch {
    if (typeof topic !== 'string' || topic === '') {
      return { ok: false, reason: `the message has no topic to match the topic template "${this.text}" against` };
    }
    const parts = topic.split('/');
    const countOk = this.rest ? parts.length >= this.levels.length : parts.length === this.levels.length;
    if (!countOk) return this.mismatch(topic);
    const tags: Record<string, string> = {};
    const result: TopicParts = { tags };
    for (let i = 0; i < this.levels.length; i++) {
      const level = this.levels[i] as Level;
      const value = parts[i] as string;
      switch (level.kind) {
        case 'literal':
          if (value !== level.text) return this.mismatch(topic);
          break;
        case 'skip':
          break;
        case 'tag':
          tags[level.name] = value;
          break;
        case 'measurement':
          if (value !== '') result.measurement = value;
          break;
        case 'field':
          if (value !== '') result.field = value;
          break;
      }
    }
    return { ok: true, parts: result };
  }

  private mismatch(topic: string): TemplateMatch {
    return { ok: false, reason: `topic "${topic}" does not match the topic template "${this.text}"` };
  }
}

function checkPlaceholder(name: string): string | undefined {
  if (name === '') return 'an empty placeholder {} in the topic template';
  if (UNSAFE_KEYS.has(name)) return `{${name}} cannot be a tag name`;
  if (name === 'time') return '{time} cannot be a tag name: InfluxDB reserves "time"';
  if (/[{}/+#]/.test(name)) return `{${name}} is not a valid placeholder name`;
  const problem = checkName('tag name', name);
  return problem ? problem.message : undefined;
}
