export * from './codes.ts';
export * from './roles.ts';
