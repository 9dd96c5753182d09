import { Spin } from 'antd';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import AppLayout from './layout/AppLayout.tsx';
import LoginPage from './pages/LoginPage.tsx';
import { HOME_PATH, visiblePages } from './routes.tsx';
import { useSession } from './session.tsx';

function FullScreenSpin() {
  const { t } = useTranslation();
  return (
    <div className="cl-fullscreen-center">
      <Spin size="large" description={t('app.loading')} />
    </div>
  );
}

function RequireAuth({ children }: { children: React.ReactNode }) {
  const { me } = useSession();
  const location = useLocation();
  if (me === undefined) return <FullScreenSpin />;
  if (me === null) {
    const next = location.pathname + location.search;
    return <Navigate to={next && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login'} replace />;
  }
  return <>{children}</>;
}

/** The field app for phones (inspectors and handlers): its own login and frame, offline-capable. */
const FieldApp = lazy(() => import('./pages/field/FieldApp.tsx'));

function AppRoutes() {
  const { me } = useSession();
  const pages = visiblePages(me?.roles.map((r) => r.role) ?? []);
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        path="/field/*"
        element={
          <Suspense fallback={<FullScreenSpin />}>
            <FieldApp />
          </Suspense>
        }
      />
      {pages
        .filter((p) => p.bare)
        .map((p) => (
          <Route
            key={p.key}
            path={p.path}
            element={
              <RequireAuth>
                <Suspense fallback={<FullScreenSpin />}>{p.element}</Suspense>
              </RequireAuth>
            }
          />
        ))}
      <Route
        element={
          <RequireAuth>
            <AppLayout />
          </RequireAuth>
        }
      >
        {pages
          .filter((p) => !p.bare)
          .map((p) => (
            <Route key={p.key} path={p.path} element={<Suspense fallback={<FullScreenSpin />}>{p.element}</Suspense>} />
          ))}
        <Route path="*" element={<Navigate to={HOME_PATH} replace />} />
      </Route>
    </Routes>
  );
}

export default function App() {
  return (
    <BrowserRouter>
      <AppRoutes />
    </BrowserRouter>
  );
}
