import 'antd-mobile/es/global';
import './i18n.ts';
import './public.css';
import { unstableSetRender } from 'antd-mobile';
import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import PublicApp from './PublicApp.tsx';

// antd-mobile 5 renders toasts and dialogs with React 18's legacy API unless given React 19's root.
unstableSetRender((node, container) => {
  const root = createRoot(container);
  root.render(node);
  return async () => {
    await Promise.resolve();
    root.unmount();
  };
});

/** The report form (with its map) loads apart from the tracking page, which most visits open. */
const ReportPage = lazy(() => import('./ReportPage.tsx'));
const TrackPage = lazy(() => import('./TrackPage.tsx'));
const MinePage = lazy(() => import('./MinePage.tsx'));

const root = document.getElementById('root');
if (!root) throw new Error('#root missing');
createRoot(root).render(
  <StrictMode>
    <BrowserRouter>
      <PublicApp>
        <Suspense fallback={<div className="pr-loading" />}>
          <Routes>
            <Route path="/report" element={<ReportPage />} />
            <Route path="/report/mine" element={<MinePage />} />
            <Route path="/report/track/:number" element={<TrackPage />} />
            <Route path="*" element={<Navigate to="/report" replace />} />
          </Routes>
        </Suspense>
      </PublicApp>
    </BrowserRouter>
  </StrictMode>,
);
