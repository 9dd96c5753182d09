import type { Context } from './context.ts';

/** Data commands beyond serve/migrate/demo: imports and grid subdivision. */
export async function runCommand(_ctx: Context, cmd: string, args: string[]): Promise<void> {
  throw new Error(`Unknown command: ${cmd} ${args.join(' ')} (see cityloop --help)`);
}
