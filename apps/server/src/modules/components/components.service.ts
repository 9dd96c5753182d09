import type { Context } from '../../context.ts';

export class ComponentsService {
  constructor(private readonly ctx: Context) {}
}
