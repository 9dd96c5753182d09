export * from './codes.ts';
export * from './roles.ts';
export * from './workflow.ts';
