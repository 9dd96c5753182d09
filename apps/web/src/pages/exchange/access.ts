import { PERMISSIONS, type Permission } from '@cityloop/shared';
import type { Me } from '../../types.ts';

/** Roles granted a permission (for the route table, which lists roles). */
export function rolesWith(permission: Permission): string[] {
  return [...PERMISSIONS[permission]];
}

/** Whether one of the person's roles grants `permission` (the server checks again on every request). */
export function can(me: Me | null | undefined, permission: Permission): boolean {
  const granted: readonly string[] = PERMISSIONS[permission];
  return !!me?.roles.some((r) => granted.includes(r.role));
}
