import { GlobalOutlined } from '@ant-design/icons';
import type { ReactNode } from 'react';
import { lazy } from 'react';

const MapPage = lazy(() => import('./pages/map/MapPage.tsx'));

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
}

export const PAGES: PageRoute[] = [{ key: 'map', path: '/map', label: 'nav.map', icon: <GlobalOutlined />, element: <MapPage /> }];

export const HOME_PATH = '/map';

export function visiblePages(roles: string[]): PageRoute[] {
  return PAGES.filter((p) => !p.roles || p.roles.some((r) => roles.includes(r)));
}
