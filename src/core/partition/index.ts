export * from './hash';
export * from './assignment';
export * from './config';
export * from './membership';
export * from './coordinator';
