/** The window engine and its parts: see engine.ts for how windows open and close. */
export * from './spec';
export * from './engine';
export * from './output';
export * from './tdigest';
export { FieldStats } from './field-stats';
export { OpenWindow, MAX_FIELDS_PER_WINDOW } from './open-window';
export { keyId, seriesKey, groupTags } from './series-key';
export * from './unconfirmed';
