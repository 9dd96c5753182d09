import {
  DashboardOutlined,
  FileSearchOutlined,
  GlobalOutlined,
  ImportOutlined,
  NodeIndexOutlined,
  PhoneOutlined,
  ProfileOutlined,
  SearchOutlined,
  SettingOutlined,
} from '@ant-design/icons';
import type { ComponentType, ReactNode } from 'react';
import { lazy } from 'react';
import { matchPath } from 'react-router-dom';
import {
  AuditIcon,
  BeatsIcon,
  CalendarIcon,
  CensusIcon,
  ClassesIcon,
  DispatchRulesIcon,
  OrgsIcon,
  RegionsIcon,
} from './pages/admin/nav.tsx';
import { BulletinIcon, EvaluationIcon, RankingsIcon, StatisticsIcon } from './pages/evaluation/nav.tsx';
import { rolesWith } from './pages/exchange/access.ts';
import { WebhooksIcon } from './pages/webhooks/nav.tsx';

/** Each page's loader, by its lazy component: a page can be asked for before React renders it. */
const loaders = new Map<unknown, () => Promise<unknown>>();

/** A page's code in a chunk of its own, loaded when the page is first shown (or preloaded). */
function page(load: () => Promise<{ default: ComponentType }>) {
  const Page = lazy(load);
  loaders.set(Page, load);
  return Page;
}

const MapPage = page(() => import('./pages/map/MapPage.tsx'));
const WorkbenchPage = page(() => import('./pages/workbench/WorkbenchPage.tsx'));
const CaseDetailPage = page(() => import('./pages/cases/CaseDetailPage.tsx'));
const HotlinePage = page(() => import('./pages/hotline/HotlinePage.tsx'));
const WebhooksPage = page(() => import('./pages/webhooks/WebhooksPage.tsx'));
const CommandPage = page(() => import('./pages/command/CommandPage.tsx'));
const CaseSearchPage = page(() => import('./pages/search/CaseSearchPage.tsx'));
const ImportPage = page(() => import('./pages/exchange/ImportPage.tsx'));
const DispatchRulesPage = page(() => import('./pages/admin/DispatchRulesPage.tsx'));
const OrgsPage = page(() => import('./pages/admin/OrgsPage.tsx'));
const RankingsPage = page(() => import('./pages/evaluation/RankingsPage.tsx'));
const StatisticsPage = page(() => import('./pages/evaluation/StatisticsPage.tsx'));
const BulletinPage = page(() => import('./pages/evaluation/BulletinPage.tsx'));
const ClassesPage = page(() => import('./pages/admin/ClassesPage.tsx'));
const AuditPage = page(() => import('./pages/admin/AuditPage.tsx'));
const CalendarPage = page(() => import('./pages/admin/CalendarPage.tsx'));
const CensusPage = page(() => import('./pages/census/CensusPage.tsx'));
const BeatsPage = page(() => import('./pages/admin/BeatsPage.tsx'));
const RegionsPage = page(() => import('./pages/admin/RegionsPage.tsx'));
const PatrolPage = page(() => import('./pages/patrol/PatrolPage.tsx'));

/** A page of the console: one side-menu entry and one route. Add new pages here. */
export interface PageRoute {
  key: string;
  path: string;
  /** i18n key of the menu label */
  label: string;
  icon: ReactNode;
  element: ReactNode;
  /** roles that see the page; absent = every logged-in person */
  roles?: string[];
  /** a route without a menu entry (reached from another page) */
  hidden?: boolean;
  /** a full-screen page without the console's header and menu (the wall screen) */
  bare?: boolean;
  /** the menu group the entry sits in (a submenu) */
  group?: keyof typeof MENU_GROUPS;
}

/** Submenus of the side menu. */
export const MENU_GROUPS = {
  maintenance: { label: 'dispatchRules.section', icon: <SettingOutlined /> },
  evaluation: { label: 'evaluation.section', icon: EvaluationIcon },
};

export const PAGES: PageRoute[] = [
  { key: 'workbench', path: '/workbench', label: 'nav.workbench', icon: <ProfileOutlined />, element: <WorkbenchPage /> },
  { key: 'hotline', path: '/hotline', label: 'nav.hotline', icon: <PhoneOutlined />, element: <HotlinePage />, roles: ['acceptor'] },
  {
    key: 'cases',
    path: '/cases',
    label: 'caseSearch.nav',
    icon: <SearchOutlined />,
    element: <CaseSearchPage />,
    roles: rolesWith('cases.read'),
  },
  { key: 'map', path: '/map', label: 'nav.map', icon: <GlobalOutlined />, element: <MapPage /> },
  {
    key: 'patrol',
    path: '/patrol',
    label: 'patrol.nav',
    icon: <NodeIndexOutlined />,
    element: <PatrolPage />,
    roles: rolesWith('patrol.read'),
  },
  { key: 'webhooks', path: '/webhooks', label: 'webhooks.nav', icon: WebhooksIcon, element: <WebhooksPage />, roles: ['admin'] },
  {
    key: 'command',
    path: '/command',
    label: 'nav.command',
    icon: <DashboardOutlined />,
    element: <CommandPage />,
    roles: ['admin', 'leader', 'shiftlead', 'dispatcher', 'acceptor'],
    bare: true,
  },
  {
    key: 'eval-rankings',
    path: '/evaluation/rankings',
    label: 'evaluation.navRankings',
    icon: RankingsIcon,
    element: <RankingsPage />,
    roles: rolesWith('evaluation.read'),
    group: 'evaluation',
  },
  {
    key: 'eval-statistics',
    path: '/evaluation/statistics',
    label: 'evaluation.navStatistics',
    icon: StatisticsIcon,
    element: <StatisticsPage />,
    roles: rolesWith('evaluation.read'),
    group: 'evaluation',
  },
  {
    key: 'eval-bulletin',
    path: '/evaluation/bulletin',
    label: 'evaluation.navBulletin',
    icon: BulletinIcon,
    element: <BulletinPage />,
    // City-wide: a department's own people have the ranking of their department instead.
    roles: ['admin', 'leader', 'shiftlead', 'dispatcher', 'acceptor'],
    group: 'evaluation',
  },
  {
    key: 'import',
    path: '/exchange/import',
    label: 'exchangeImport.nav',
    icon: <ImportOutlined />,
    element: <ImportPage />,
    roles: rolesWith('exchange.manage'),
  },
  {
    key: 'orgs',
    path: '/admin/orgs',
    label: 'maint.orgs.nav',
    icon: OrgsIcon,
    element: <OrgsPage />,
    roles: ['admin'],
    group: 'maintenance',
  },
  {
    key: 'beats',
    path: '/admin/beats',
    label: 'maint.beats.nav',
    icon: BeatsIcon,
    element: <BeatsPage />,
    roles: ['admin'],
    group: 'maintenance',
  },
  {
    key: 'classes',
    path: '/admin/classes',
    label: 'maint.classes.nav',
    icon: ClassesIcon,
    element: <ClassesPage />,
    roles: ['admin'],
    group: 'maintenance',
  },
  {
    key: 'calendar',
    path: '/admin/calendar',
    label: 'maint.calendar.nav',
    icon: CalendarIcon,
    element: <CalendarPage />,
    roles: ['admin'],
    group: 'maintenance',
  },
  {
    key: 'regions',
    path: '/admin/regions',
    label: 'maint.regions.nav',
    icon: RegionsIcon,
    element: <RegionsPage />,
    roles: ['admin'],
    group: 'maintenance',
  },
  {
    key: 'dispatch-rules',
    path: '/admin/dispatch-rules',
    label: 'dispatchRules.nav',
    icon: DispatchRulesIcon,
    element: <DispatchRulesPage />,
    roles: rolesWith('dispatch.rules'),
    group: 'maintenance',
  },
  {
    key: 'audit',
    path: '/admin/audit',
    label: 'maint.audit.nav',
    icon: AuditIcon,
    element: <AuditPage />,
    roles: ['admin'],
    group: 'maintenance',
  },
  {
    key: 'census',
    path: '/census',
    label: 'maint.census.nav',
    icon: CensusIcon,
    element: <CensusPage />,
    roles: rolesWith('components.read').filter((r) => r !== 'machine'),
  },
  {
    key: 'case',
    path: '/cases/:id',
    label: 'nav.caseDetail',
    icon: <FileSearchOutlined />,
    element: <CaseDetailPage />,
    hidden: true,
  },
];

export const HOME_PATH = '/workbench';

export function visiblePages(roles: string[]): PageRoute[] {
  return PAGES.filter((p) => !p.roles || p.roles.some((r) => roles.includes(r)));
}

/**
 * Starts loading the code of the page at `pathname` (as the app starts, alongside the session
 * read that decides what to show) rather than once the session has answered.
 */
export function preloadPage(pathname: string): void {
  const hit = PAGES.find((p) => matchPath(p.path, pathname));
  const load = hit && typeof hit.element === 'object' && hit.element && 'type' in hit.element ? loaders.get(hit.element.type) : undefined;
  void load?.().catch(() => {
    // shown (and retried) by the route when it renders
  });
}
