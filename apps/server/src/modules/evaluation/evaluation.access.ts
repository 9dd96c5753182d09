import type { Auth } from '../auth/auth.service.ts';

/** Callers whose every evaluation role is a department's own (处置人员, 部门管理员) see their department only. */
export function ownDepartmentOnly(auth: Auth): boolean {
  const roles = auth.roles.filter((r) =>
    ['admin', 'leader', 'shiftlead', 'dispatcher', 'acceptor', 'handler', 'dept_admin'].includes(r.role),
  );
  return roles.length > 0 && roles.every((r) => r.role === 'handler' || r.role === 'dept_admin');
}

/** The department a department's own person acts for: their role's scope, else their own. */
export function ownDepartment(auth: Auth): number | null {
  const grant = auth.roles.find((r) => (r.role === 'handler' || r.role === 'dept_admin') && r.scopeDepartmentId !== null);
  return grant?.scopeDepartmentId ?? auth.departmentId;
}
