/** Roles of the standard's two centres, the departments and the system. */
export const ROLES = [
  'admin', // 系统管理员
  'acceptor', // 受理员
  'shiftlead', // 值班长
  'dispatcher', // 派遣员
  'handler', // 处置人员
  'dept_admin', // 部门管理员
  'inspector', // 监督员
  'leader', // 领导
  'machine', // API keys: IoT sensors, video analysis, other systems
] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, { 'zh-CN': string; en: string }> = {
  admin: { 'zh-CN': '系统管理员', en: 'Administrator' },
  acceptor: { 'zh-CN': '受理员', en: 'Acceptor' },
  shiftlead: { 'zh-CN': '值班长', en: 'Shift leader' },
  dispatcher: { 'zh-CN': '派遣员', en: 'Dispatcher' },
  handler: { 'zh-CN': '处置人员', en: 'Handler' },
  dept_admin: { 'zh-CN': '部门管理员', en: 'Department admin' },
  inspector: { 'zh-CN': '监督员', en: 'Inspector' },
  leader: { 'zh-CN': '领导', en: 'Leader' },
  machine: { 'zh-CN': '接入系统', en: 'Machine client' },
};

/**
 * Every route declares one of these. `public` needs no login; `authenticated` any
 * logged-in person; the rest are granted to roles by PERMISSIONS below.
 */
export const PERMISSIONS = {
  'regions.read': ['admin', 'acceptor', 'shiftlead', 'dispatcher', 'handler', 'dept_admin', 'inspector', 'leader', 'machine'],
  'regions.write': ['admin'],
  'taxonomy.read': ['admin', 'acceptor', 'shiftlead', 'dispatcher', 'handler', 'dept_admin', 'inspector', 'leader', 'machine'],
  'taxonomy.write': ['admin'],
  'components.read': ['admin', 'acceptor', 'shiftlead', 'dispatcher', 'handler', 'dept_admin', 'inspector', 'leader', 'machine'],
  'components.write': ['admin', 'dept_admin'],
  'components.import': ['admin'],
  'geocode.read': ['admin', 'acceptor', 'shiftlead', 'dispatcher', 'handler', 'dept_admin', 'inspector', 'leader', 'machine'],
  'geocode.write': ['admin'],
  'orgs.read': ['admin', 'acceptor', 'shiftlead', 'dispatcher', 'dept_admin', 'leader'],
  'orgs.write': ['admin', 'dept_admin'],
  'apikeys.manage': ['admin'],
  'audit.read': ['admin', 'leader'],
  'settings.write': ['admin'],
  'cases.report': ['admin', 'acceptor', 'inspector', 'machine'],
  'cases.read': ['admin', 'acceptor', 'shiftlead', 'dispatcher', 'handler', 'dept_admin', 'inspector', 'leader', 'machine'],
  'cases.act': ['acceptor', 'shiftlead', 'dispatcher', 'handler', 'dept_admin', 'inspector', 'leader'],
  'dispatch.rules': ['admin'],
  'dispatch.test': ['admin', 'dispatcher', 'acceptor', 'shiftlead'],
  // 综合评价: handlers and department admins read their own department only (checked by the service).
  'evaluation.read': ['admin', 'leader', 'shiftlead', 'dispatcher', 'acceptor', 'handler', 'dept_admin'],
  // Closing (materialising) and recomputing evaluation periods.
  'evaluation.periods': ['admin'],
  // 申诉: a department appeals a deduction (its own cases, checked by the service); leaders decide.
  'evaluation.appeal': ['handler', 'dept_admin'],
  'evaluation.decide': ['admin', 'leader'],
  // 监督指挥大屏: the city-wide live picture.
  'command.read': ['admin', 'leader', 'shiftlead', 'dispatcher', 'acceptor'],
  // 巡查: inspectors send their positions while on duty; the centre reads tracks and coverage.
  'patrol.report': ['inspector'],
  'patrol.read': ['admin', 'leader', 'shiftlead', 'dispatcher', 'acceptor'],
  // 数据交换: webhook subscriptions, imports and platform links; exports are scoped by the service.
  'exchange.manage': ['admin'],
  // 12345/12319 hotline platforms: work orders in, status out (an API key with the machine role).
  'hotline.orders': ['machine'],
  // 两级平台: the city platform forwards cases to a district platform (an API key with the machine role).
  'platform.inbound': ['machine'],
  'exchange.export': ['admin', 'leader', 'shiftlead', 'dispatcher', 'acceptor', 'dept_admin', 'handler'],
  'media.upload': ['admin', 'acceptor', 'inspector', 'handler', 'dept_admin', 'shiftlead', 'dispatcher', 'machine'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;
export type RouteAccess = Permission | 'public' | 'authenticated';

export function roleHasPermission(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** The demo accounts, one per role, all with the password `demo1234`. */
export const DEMO_ACCOUNTS: ReadonlyArray<{ username: string; role: Role }> = [
  { username: 'admin', role: 'admin' },
  { username: 'acceptor', role: 'acceptor' },
  { username: 'shiftlead', role: 'shiftlead' },
  { username: 'dispatcher', role: 'dispatcher' },
  { username: 'handler', role: 'handler' },
  { username: 'inspector', role: 'inspector' },
  { username: 'leader', role: 'leader' },
];
export const DEMO_PASSWORD = 'demo1234';
