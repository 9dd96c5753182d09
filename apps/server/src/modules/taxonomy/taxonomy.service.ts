import type { Context } from '../../context.ts';

export class TaxonomyService {
  constructor(private readonly ctx: Context) {}
}
