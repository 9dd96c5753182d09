import 'antd-mobile/es/global';
import './i18n.ts';
import './field.css';
import { CameraOutlined, CloudUploadOutlined, HomeOutlined, UnorderedListOutlined } from '@ant-design/icons';
import { Badge, Button, Form, Input, List, NavBar, NoticeBar, Switch, TabBar, Toast, unstableSetRender } from 'antd-mobile';
import { useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { ApiError, api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import type { Me } from '../../types.ts';
import { fmtTime } from '../cases/caseUtil.ts';
import OutboxPage from './OutboxPage.tsx';
import { useOutbox } from './outbox.ts';
import { PATROL_INTERVAL_S, usePatrol } from './patrol.ts';
import { installPwa } from './pwa.ts';
import ReportPage from './ReportPage.tsx';
import TasksPage, { useFieldTasks } from './TasksPage.tsx';

const ME_KEY = 'cityloop.field.me';

// antd-mobile 5 renders toasts and dialogs with React 18's legacy API unless given React 19's root.
unstableSetRender((node, container) => {
  const root = createRoot(container);
  root.render(node);
  return async () => {
    await Promise.resolve();
    root.unmount();
  };
});

/** navigator.onLine, kept current. */
function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  return online;
}

function readKept(): Me | null {
  try {
    const raw = localStorage.getItem(ME_KEY);
    return raw ? (JSON.parse(raw) as Me) : null;
  } catch {
    return null;
  }
}

function writeKept(me: Me | null): void {
  try {
    if (me) localStorage.setItem(ME_KEY, JSON.stringify(me));
    else localStorage.removeItem(ME_KEY);
  } catch {
    // not kept: an offline start then asks to log in
  }
}

/**
 * Who is logged in, for a phone that may be offline: the session's answer, or the person
 * last seen here while the server cannot be asked (the session cookie still holds). Once
 * online the server is asked again; only its 401 (or 退出登录) forgets the person.
 */
function useFieldMe(online: boolean): { me: Me | null | undefined; forget: () => void } {
  const { me } = useSession();
  const [kept, setKept] = useState<Me | null>(readKept);
  useEffect(() => {
    if (!me) return;
    writeKept(me);
    setKept(me);
  }, [me]);
  // The session's first check may have failed for want of a network: ask again when online.
  useEffect(() => {
    if (me !== null || !online || !kept) return;
    let alive = true;
    api
      .get<Me>('/api/auth/me')
      .then((m) => {
        if (!alive) return;
        writeKept(m);
        setKept(m);
      })
      .catch((err: unknown) => {
        if (alive && err instanceof ApiError && err.status === 401) {
          writeKept(null);
          setKept(null);
        }
      });
    return () => {
      alive = false;
    };
  }, [me, online, kept]);
  const forget = useCallback(() => {
    writeKept(null);
    setKept(null);
  }, []);
  return { me: me ?? kept ?? me, forget };
}

function FieldLogin() {
  const { t } = useTranslation();
  const { login } = useSession();
  const [busy, setBusy] = useState(false);
  const handleFinish = async (v: { username: string; password: string }) => {
    setBusy(true);
    try {
      await login(v.username.trim(), v.password);
    } catch (err) {
      Toast.show({ icon: 'fail', content: err instanceof ApiError ? err.message : t('field.login.failed') });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="field-login" data-testid="field-login">
      <img src="/field-icon.svg" alt="" width={72} height={72} />
      <h1>{t('field.login.title')}</h1>
      <Form
        onFinish={handleFinish}
        footer={
          <Button block type="submit" color="primary" size="large" loading={busy} data-testid="field-login-submit">
            {t('field.login.submit')}
          </Button>
        }
      >
        <Form.Item name="username" label={t('field.login.username')} rules={[{ required: true }]}>
          <Input id="field-username" autoComplete="username" clearable />
        </Form.Item>
        <Form.Item name="password" label={t('field.login.password')} rules={[{ required: true }]}>
          <Input id="field-password" type="password" autoComplete="current-password" />
        </Form.Item>
      </Form>
    </div>
  );
}

type Side = 'inspector' | 'handler';

function Home({ me, side, online, onLogout }: { me: Me; side: Side; online: boolean; onLogout: () => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { items, loaded } = useFieldTasks(side);
  const { pending } = useOutbox();
  const patrol = usePatrol();
  return (
    <div className="field-page" data-testid="field-home">
      <div className="field-hero">
        <div className="field-hero-hello">{t('field.home.hello', { name: me.name })}</div>
        <div className="field-hero-count" data-testid="home-task-count" data-count={loaded ? items.length : ''}>
          <b>{loaded ? items.length : '–'}</b>
          <span>{t(side === 'inspector' ? 'field.home.tasks' : 'field.home.cases')}</span>
        </div>
      </div>
      {!online && <NoticeBar content={t('field.home.offline')} color="alert" wrap />}
      {side === 'inspector' && (
        <div className="field-home-actions">
          <Button color="primary" size="large" block onClick={() => navigate('/field/report')} data-testid="home-report">
            {t('field.home.report')}
          </Button>
          <Button size="large" block onClick={() => navigate('/field/self')} data-testid="home-self">
            {t('field.home.selfHandled')}
          </Button>
        </div>
      )}
      <List mode="card">
        <List.Item onClick={() => navigate('/field/tasks')} extra={<Badge content={items.length || null} />} clickable>
          {t(side === 'inspector' ? 'field.home.tasks' : 'field.home.cases')}
        </List.Item>
        {side === 'inspector' && (
          <List.Item
            onClick={() => navigate('/field/outbox')}
            extra={<Badge content={pending.length || null} color="#e0a100" />}
            clickable
            data-testid="home-outbox"
          >
            {t('field.home.outbox')}
          </List.Item>
        )}
        {side === 'inspector' && (
          <List.Item
            extra={<Switch checked={patrol.onDuty} onChange={patrol.setOnDuty} data-testid="duty-switch" />}
            description={
              patrol.onDuty
                ? [
                    t('field.home.dutyOn', { seconds: PATROL_INTERVAL_S }),
                    patrol.lastSent ? t('field.home.lastSent', { time: fmtTime(patrol.lastSent).slice(11) }) : '',
                  ]
                    .filter(Boolean)
                    .join(' · ')
                : t('field.home.dutyOff')
            }
          >
            <span data-testid="duty-state" data-on={patrol.onDuty ? '1' : '0'} data-sent={patrol.lastSent ? '1' : '0'}>
              {t('field.home.duty')}
            </span>
          </List.Item>
        )}
        <List.Item onClick={onLogout} clickable data-testid="home-logout">
          {t('field.home.logout')}
        </List.Item>
      </List>
    </div>
  );
}

const TITLES: Record<string, string> = {
  report: 'field.report.title',
  self: 'field.report.titleSelf',
  tasks: 'field.nav.tasks',
  outbox: 'field.outbox.title',
};

/** The field app at /field: a phone screen for inspectors (上报, 核实, 核查) and handlers (签收, 反馈, requests). */
export default function FieldApp() {
  const { t } = useTranslation();
  const online = useOnline();
  const { me, forget } = useFieldMe(online);
  const location = useLocation();
  const navigate = useNavigate();
  const { logout } = useSession();
  useEffect(() => installPwa(), []);
  const handleLogout = () => {
    forget();
    void logout();
  };

  if (me === undefined) return <div className="field-app field-center">…</div>;
  if (me === null) {
    return (
      <div className="field-app">
        <FieldLogin />
      </div>
    );
  }
  const roles = me.roles.map((r) => r.role);
  const side: Side | null = roles.includes('inspector')
    ? 'inspector'
    : roles.some((r) => r === 'handler' || r === 'dept_admin')
      ? 'handler'
      : null;
  if (!side) {
    return (
      <div className="field-app field-center" data-testid="field-norole">
        <p>{t('field.home.noRole')}</p>
      </div>
    );
  }
  const sub = location.pathname.replace(/^\/field\/?/, '').split('/')[0] ?? '';
  const tabs =
    side === 'inspector'
      ? [
          { key: '', title: t('field.nav.home'), icon: <HomeOutlined /> },
          { key: 'report', title: t('field.nav.report'), icon: <CameraOutlined /> },
          { key: 'tasks', title: t('field.nav.tasks'), icon: <UnorderedListOutlined /> },
          { key: 'outbox', title: t('field.nav.outbox'), icon: <CloudUploadOutlined /> },
        ]
      : [
          { key: '', title: t('field.nav.home'), icon: <HomeOutlined /> },
          { key: 'tasks', title: t('field.nav.cases'), icon: <UnorderedListOutlined /> },
        ];
  return (
    <div className="field-app" data-testid="field-app" data-side={side} data-online={online ? '1' : '0'}>
      <NavBar backIcon={sub ? undefined : false} onBack={() => navigate('/field')} className="field-navbar">
        {sub ? t(TITLES[sub] ?? 'field.title') : t('field.title')}
      </NavBar>
      <div className="field-body">
        <Routes>
          <Route index element={<Home me={me} side={side} online={online} onLogout={handleLogout} />} />
          {side === 'inspector' && <Route path="report" element={<ReportPage key="report" />} />}
          {side === 'inspector' && <Route path="self" element={<ReportPage key="self" selfHandled />} />}
          {side === 'inspector' && <Route path="outbox" element={<OutboxPage online={online} />} />}
          <Route path="tasks" element={<TasksPage side={side} />} />
          <Route path="*" element={<Navigate to="/field" replace />} />
        </Routes>
      </div>
      <TabBar activeKey={sub === 'self' ? 'report' : sub} onChange={(k) => navigate(k ? `/field/${k}` : '/field')} className="field-tabbar">
        {tabs.map((tab) => (
          <TabBar.Item key={tab.key} title={tab.title} icon={tab.icon} data-testid={`tab-${tab.key || 'home'}`} />
        ))}
      </TabBar>
    </div>
  );
}
