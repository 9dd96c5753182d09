import type { Context } from '../../context.ts';
import { conflict, notFound, unprocessable } from '../../errors.ts';

export interface NewBeat {
  code: string;
  name: string;
  inspectorId?: number | null;
}

/**
 * Inspectors' beats (监督员责任网格) as records: created with a code, a name and
 * (optionally) their inspector, renamed, and removed. Which unit grids a beat holds is
 * set through the regions module (`PUT /api/beats/:id`), which moves grids between beats.
 */
export class BeatsService {
  constructor(private readonly ctx: Context) {}

  /** Creates an empty beat; audited as beat.create. */
  async create(input: NewBeat, actorId: number | null) {
    const code = input.code.trim();
    const name = input.name.trim();
    if (!code || !name) throw unprocessable('beat_invalid', '责任网格需要编码和名称 / A beat needs a code and a name');
    await this.assertInspector(input.inspectorId);
    const taken = await this.ctx.db.selectFrom('beat').select('id').where('code', '=', code).executeTakeFirst();
    if (taken) throw conflict('beat_code_taken', `责任网格编码 ${code} 已存在 / Beat code ${code} is already used`, { field: 'code' });
    return this.ctx.database.transaction(async (tx) => {
      const row = await tx.db
        .insertInto('beat')
        .values({ code, name, inspectorId: input.inspectorId ?? null })
        .returning(['id', 'code', 'name', 'inspectorId'])
        .executeTakeFirstOrThrow();
      await this.ctx.services.audit.record({ actorId, action: 'beat.create', entity: 'beat', entityId: row.id, after: row }, tx.db);
      return { ...row, gridCount: 0 };
    });
  }

  /** Renames a beat or changes its inspector; audited as beat.update. */
  async update(id: number, input: { name?: string; inspectorId?: number | null }, actorId: number | null) {
    const before = await this.get(id);
    const name = input.name?.trim();
    if (input.name !== undefined && !name) throw unprocessable('beat_invalid', '责任网格需要名称 / A beat needs a name');
    if (input.inspectorId !== undefined) await this.assertInspector(input.inspectorId);
    return this.ctx.database.transaction(async (tx) => {
      const after = await tx.db
        .updateTable('beat')
        .set({ ...(name ? { name } : {}), ...(input.inspectorId !== undefined ? { inspectorId: input.inspectorId } : {}) })
        .where('id', '=', id)
        .returning(['id', 'code', 'name', 'inspectorId'])
        .executeTakeFirstOrThrow();
      await this.ctx.services.audit.record({ actorId, action: 'beat.update', entity: 'beat', entityId: id, before, after }, tx.db);
      return after;
    });
  }

  /** Removes a beat; its unit grids stay and belong to no beat until given to another. Audited as beat.delete. */
  async remove(id: number, actorId: number | null) {
    const before = await this.get(id);
    const gridIds = (await this.ctx.db.selectFrom('beatGrid').select('gridId').where('beatId', '=', id).execute()).map((r) => r.gridId);
    await this.ctx.database.transaction(async (tx) => {
      await tx.db.deleteFrom('beatGrid').where('beatId', '=', id).execute();
      await tx.db.deleteFrom('beat').where('id', '=', id).execute();
      await this.ctx.services.audit.record(
        { actorId, action: 'beat.delete', entity: 'beat', entityId: id, before: { ...before, gridIds } },
        tx.db,
      );
    });
  }

  private async get(id: number) {
    const row = await this.ctx.db.selectFrom('beat').select(['id', 'code', 'name', 'inspectorId']).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('beat_not_found', `责任网格 ${id} 不存在 / Beat ${id} does not exist`);
    return row;
  }

  private async assertInspector(personId: number | null | undefined) {
    if (!personId) return;
    const insp = await this.ctx.db
      .selectFrom('personRole')
      .select('personId')
      .where('personId', '=', personId)
      .where('role', '=', 'inspector')
      .executeTakeFirst();
    if (!insp)
      throw unprocessable('not_an_inspector', `人员 ${personId} 不是监督员 / Person ${personId} is not an inspector`, {
        field: 'inspectorId',
      });
  }
}
