import type { Context } from '../../context.ts';

export interface DemoOptions {
  scale: number;
  seed: number;
  log?: (msg: string) => void;
}

export interface DemoSummary {
  districts: number;
  streets: number;
  communities: number;
  grids: number;
  departments: number;
  inspectors: number;
  people: number;
  components: number;
  gazetteer: number;
  seconds: number;
}

/** Generates and loads the demo city (reproducible from the seed). */
export async function loadDemoCity(_ctx: Context, _opts: DemoOptions): Promise<DemoSummary> {
  throw new Error('demo city generator not available yet');
}
