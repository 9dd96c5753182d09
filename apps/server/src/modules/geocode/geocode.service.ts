import type { Context } from '../../context.ts';

export class GeocodeService {
  constructor(private readonly ctx: Context) {}
}
