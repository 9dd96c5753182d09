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
import type { ReactNode } from 'react';
import { lazy } from 'react';
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

const MapPage = lazy(() => import('./pages/map/MapPage.tsx'));
const WorkbenchPage = lazy(() => import('./pages/workbench/WorkbenchPage.tsx'));
const CaseDetailPage = lazy(() => import('./pages/cases/CaseDetailPage.tsx'));
const HotlinePage = lazy(() => import('./pages/hotline/HotlinePage.tsx'));
const WebhooksPage = lazy(() => import('./pages/webhooks/WebhooksPage.tsx'));
const CommandPage = lazy(() => import('./pages/command/CommandPage.tsx'));
const CaseSearchPage = lazy(() => import('./pages/search/CaseSearchPage.tsx'));
const ImportPage = lazy(() => import('./pages/exchange/ImportPage.tsx'));
const DispatchRulesPage = lazy(() => import('./pages/admin/DispatchRulesPage.tsx'));
const OrgsPage = lazy(() => import('./pages/admin/OrgsPage.tsx'));
const RankingsPage = lazy(() => import('./pages/evaluation/RankingsPage.tsx'));
const StatisticsPage = lazy(() => import('./pages/evaluation/StatisticsPage.tsx'));
const BulletinPage = lazy(() => import('./pages/evaluation/BulletinPage.tsx'));
const ClassesPage = lazy(() => import('./pages/admin/ClassesPage.tsx'));
const AuditPage = lazy(() => import('./pages/admin/AuditPage.tsx'));
const CalendarPage = lazy(() => import('./pages/admin/CalendarPage.tsx'));
const CensusPage = lazy(() => import('./pages/census/CensusPage.tsx'));
const BeatsPage = lazy(() => import('./pages/admin/BeatsPage.tsx'));
const RegionsPage = lazy(() => import('./pages/admin/RegionsPage.tsx'));
const PatrolPage = lazy(() => import('./pages/patrol/PatrolPage.tsx'));

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
