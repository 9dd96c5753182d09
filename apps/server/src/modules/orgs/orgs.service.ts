import type { Role } from '@cityloop/shared';
import { ROLES } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { conflict, forbidden, notFound, unprocessable } from '../../errors.ts';
import type { Auth } from '../auth/auth.service.ts';

export interface NewPerson {
  username: string;
  name: string;
  phone?: string | null;
  departmentId?: number | null;
  password?: string | null;
  roles: Array<{ role: Role; scopeRegionId?: number | null; scopeDepartmentId?: number | null }>;
}

/** Departments (处置单位 and the two centres), people and their roles/scopes. */
export class OrgsService {
  constructor(private readonly ctx: Context) {}

  listDepartments(filter: { level?: string; q?: string } = {}) {
    let q = this.ctx.db.selectFrom('department').selectAll().orderBy('code');
    if (filter.level) q = q.where('level', '=', filter.level as 'city');
    if (filter.q) q = q.where('name', 'like', `%${filter.q}%`);
    return q.execute();
  }

  async getDepartment(id: number) {
    const d = await this.ctx.db.selectFrom('department').selectAll().where('id', '=', id).executeTakeFirst();
    if (!d) throw notFound('department_not_found', `部门 ${id} 不存在 / Department ${id} does not exist`);
    return d;
  }

  async createDepartment(
    input: {
      code: string;
      name: string;
      shortName?: string | null;
      level: 'city' | 'district' | 'street';
      kind?: 'execution' | 'support' | 'centre';
      parentId?: number | null;
      regionId?: number | null;
      phone?: string | null;
    },
    actorId: number | null,
  ) {
    const exists = await this.ctx.db.selectFrom('department').select('id').where('code', '=', input.code).executeTakeFirst();
    if (exists) throw conflict('department_code_taken', `部门编码 ${input.code} 已存在 / Department code ${input.code} is taken`);
    const row = await this.ctx.db
      .insertInto('department')
      .values({
        code: input.code,
        name: input.name,
        shortName: input.shortName ?? null,
        level: input.level,
        kind: input.kind ?? 'execution',
        parentId: input.parentId ?? null,
        regionId: input.regionId ?? null,
        phone: input.phone ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.ctx.services.audit.record({ actorId, action: 'department.create', entity: 'department', entityId: row.id, after: row });
    return row;
  }

  async listPeople(filter: { departmentId?: number; role?: string; q?: string; limit: number; offset: number }, viewer: Auth | null) {
    let q = this.ctx.db
      .selectFrom('person as p')
      .leftJoin('department as d', 'd.id', 'p.departmentId')
      .select(['p.id', 'p.username', 'p.name', 'p.phone', 'p.departmentId', 'd.name as departmentName', 'p.active'])
      .select((eb) =>
        eb
          .selectFrom('personRole as r')
          .select((e) => e.fn.agg<string[]>('array_agg', ['r.role']).as('roles'))
          .whereRef('r.personId', '=', 'p.id')
          .as('roles'),
      )
      .orderBy('p.id');
    // A department admin sees its own department's people only.
    const deptAdminOnly = viewer?.roles.every((r) => r.role === 'dept_admin');
    if (deptAdminOnly) q = q.where('p.departmentId', '=', viewer?.departmentId ?? -1);
    if (filter.departmentId) q = q.where('p.departmentId', '=', filter.departmentId);
    if (filter.role)
      q = q.where('p.id', 'in', (eb) =>
        eb
          .selectFrom('personRole')
          .select('personId')
          .where('role', '=', filter.role as string),
      );
    if (filter.q) q = q.where((eb) => eb.or([eb('p.name', 'like', `%${filter.q}%`), eb('p.username', 'like', `%${filter.q}%`)]));
    const items = await q.limit(filter.limit).offset(filter.offset).execute();
    return items.map((p) => ({ ...p, roles: p.roles ?? [] }));
  }

  /** Creates a person with roles; password hashed with argon2id. */
  async createPerson(input: NewPerson, actorId: number | null) {
    for (const r of input.roles) {
      if (!(ROLES as readonly string[]).includes(r.role))
        throw unprocessable('role_unknown', `未知角色 ${r.role} / Unknown role ${r.role}`);
    }
    const taken = await this.ctx.db.selectFrom('person').select('id').where('username', '=', input.username).executeTakeFirst();
    if (taken) throw conflict('username_taken', `用户名 ${input.username} 已存在 / Username ${input.username} is taken`);
    const passwordHash = input.password ? await this.ctx.services.auth.hashPassword(input.password) : null;
    return this.ctx.database.transaction(async (tx) => {
      const person = await tx.db
        .insertInto('person')
        .values({
          username: input.username,
          name: input.name,
          phone: input.phone ?? null,
          departmentId: input.departmentId ?? null,
          passwordHash,
        })
        .returning(['id', 'username', 'name', 'departmentId'])
        .executeTakeFirstOrThrow();
      if (input.roles.length > 0) {
        await tx.db
          .insertInto('personRole')
          .values(
            input.roles.map((r) => ({
              personId: person.id,
              role: r.role,
              scopeRegionId: r.scopeRegionId ?? null,
              scopeDepartmentId: r.scopeDepartmentId ?? null,
            })),
          )
          .execute();
      }
      await this.ctx.services.audit.record(
        { actorId, action: 'person.create', entity: 'person', entityId: person.id, after: { ...person, roles: input.roles } },
        tx.db,
      );
      return { ...person, roles: input.roles.map((r) => r.role) };
    });
  }

  async updateDepartment(
    id: number,
    patch: {
      name?: string;
      shortName?: string | null;
      phone?: string | null;
      active?: boolean;
      parentId?: number | null;
      regionId?: number | null;
      kind?: 'execution' | 'support' | 'centre';
    },
    actorId: number | null,
  ) {
    const before = await this.getDepartment(id);
    if (Object.keys(patch).length === 0) return before;
    const after = await this.ctx.db.updateTable('department').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    await this.ctx.services.audit.record({ actorId, action: 'department.update', entity: 'department', entityId: id, before, after });
    return after;
  }

  async getPerson(id: number) {
    const p = await this.ctx.db
      .selectFrom('person')
      .select(['id', 'username', 'name', 'phone', 'departmentId', 'active', 'locale'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!p) throw notFound('person_not_found', `人员 ${id} 不存在 / Person ${id} does not exist`);
    const roles = await this.ctx.db
      .selectFrom('personRole')
      .select(['role', 'scopeRegionId', 'scopeDepartmentId'])
      .where('personId', '=', id)
      .orderBy('role')
      .execute();
    return { ...p, roles };
  }

  /**
   * Changes a person: details, active flag, password, roles and their scopes (roles are
   * replaced as a set). A department admin may only change people of its own department
   * and may not hand out roles beyond handler/dept_admin. Audited; deactivating ends sessions.
   */
  async updatePerson(
    id: number,
    patch: {
      name?: string;
      phone?: string | null;
      departmentId?: number | null;
      active?: boolean;
      password?: string;
      roles?: NewPerson['roles'];
    },
    actor: Auth,
  ) {
    const before = await this.getPerson(id);
    const deptAdminOnly = actor.roles.every((r) => r.role === 'dept_admin');
    if (deptAdminOnly) {
      if (before.departmentId !== actor.departmentId || (patch.departmentId !== undefined && patch.departmentId !== actor.departmentId)) {
        throw forbidden('只能管理本部门人员 / You can only manage people of your own department');
      }
      if (patch.roles?.some((r) => r.role !== 'handler' && r.role !== 'dept_admin')) {
        throw forbidden('部门管理员只能分配处置人员角色 / A department admin can only grant the handler and department admin roles');
      }
    }
    const { password, roles, ...fields } = patch;
    const passwordHash = password ? await this.ctx.services.auth.hashPassword(password) : undefined;
    await this.ctx.database.transaction(async (tx) => {
      const set = { ...fields, ...(passwordHash ? { passwordHash } : {}) };
      if (Object.keys(set).length > 0) await tx.db.updateTable('person').set(set).where('id', '=', id).execute();
      if (roles) {
        await tx.db.deleteFrom('personRole').where('personId', '=', id).execute();
        if (roles.length > 0) {
          await tx.db
            .insertInto('personRole')
            .values(
              roles.map((r) => ({
                personId: id,
                role: r.role,
                scopeRegionId: r.scopeRegionId ?? null,
                scopeDepartmentId: r.scopeDepartmentId ?? null,
              })),
            )
            .execute();
        }
      }
      if (fields.active === false || passwordHash) await tx.db.deleteFrom('session').where('personId', '=', id).execute();
    });
    const after = await this.getPerson(id);
    await this.ctx.services.audit.record({
      actorId: actor.personId,
      action: 'person.update',
      entity: 'person',
      entityId: id,
      before,
      after: { ...after, ...(passwordHash ? { passwordChanged: true } : {}) },
    });
    return after;
  }
}
