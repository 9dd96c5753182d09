import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router-dom';
import { toggleLanguage } from './i18n.ts';
import { type Category, call, type Settings } from './publicApi.ts';

interface PublicData {
  settings: Settings | null;
  categories: Category[] | null;
}

const DataContext = createContext<PublicData>({ settings: null, categories: null });

/** The city's settings (name, map) and the categories, read once for every public page. */
export function usePublicData(): PublicData {
  return useContext(DataContext);
}

/** The category's plain words in the page's language, by class. */
export function categoryLabel(categories: Category[] | null, classCode: string, lang: string): string | null {
  const c = categories?.find((x) => x.classCode === classCode);
  if (!c) return null;
  return lang === 'en' ? c.labelEn : c.label;
}

/** The frame of the public pages: the city's name, the language switch and two tabs. */
export default function PublicApp({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const location = useLocation();
  const [data, setData] = useState<PublicData>({ settings: null, categories: null });

  useEffect(() => {
    call<Settings>('/api/settings')
      .then((settings) => {
        setData((d) => ({ ...d, settings }));
        document.title = `${t('title')} · ${settings.cityName}`;
      })
      .catch(() => setData((d) => ({ ...d, settings: { cityName: '', mapCenter: [116.397, 39.908], mapZoom: 10, basemapUrl: null } })));
    call<Category[]>('/api/public/categories')
      .then((categories) => setData((d) => ({ ...d, categories })))
      .catch(() => setData((d) => ({ ...d, categories: [] })));
  }, [t]);

  const tab = location.pathname.startsWith('/report/mine') ? 'mine' : location.pathname === '/report' ? 'report' : null;
  return (
    <DataContext.Provider value={data}>
      <div className="pr-app">
        <header className="pr-header">
          <div className="pr-brand">
            <div className="pr-title">{t('title')}</div>
            <div className="pr-subtitle">
              {data.settings?.cityName ? `${data.settings.cityName} · ` : ''}
              {t('subtitle')}
            </div>
          </div>
          <button type="button" className="pr-lang" onClick={toggleLanguage} data-testid="pr-lang">
            {t('lang')}
          </button>
        </header>
        <nav className="pr-tabs">
          <Link to="/report" className={tab === 'report' ? 'pr-tab pr-tab-active' : 'pr-tab'}>
            {t('tabs.report')}
          </Link>
          <Link to="/report/mine" className={tab === 'mine' ? 'pr-tab pr-tab-active' : 'pr-tab'} data-testid="pr-tab-mine">
            {t('tabs.mine')}
          </Link>
        </nav>
        <main className="pr-body">{children}</main>
      </div>
    </DataContext.Provider>
  );
}
