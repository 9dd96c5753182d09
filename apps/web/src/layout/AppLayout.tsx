import { ApiOutlined, LogoutOutlined, TranslationOutlined, UserOutlined } from '@ant-design/icons';
import { App, Avatar, Button, Layout, Menu, type MenuProps, Segmented, Tag, Tooltip } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { type Language, setLanguage } from '../i18n/index.ts';
import { MENU_GROUPS, type PageRoute, visiblePages } from '../routes.tsx';
import { useSession } from '../session.tsx';

const { Header, Sider, Content } = Layout;

/** The menu: pages in order; the pages of a group become one submenu where the group's first page stands. */
function menuItems(pages: PageRoute[], t: (key: string) => string): NonNullable<MenuProps['items']> {
  const items: NonNullable<MenuProps['items']> = [];
  const groups = new Map<string, Array<{ key: string; icon: React.ReactNode; label: string }>>();
  for (const p of pages.filter((x) => !x.hidden)) {
    const item = { key: p.key, icon: p.icon, label: t(p.label), 'data-testid': `menu-${p.key}` };
    if (!p.group) {
      items.push(item);
      continue;
    }
    let children = groups.get(p.group);
    if (!children) {
      children = [];
      groups.set(p.group, children);
      const group = MENU_GROUPS[p.group];
      items.push({
        key: `group-${p.group}`,
        icon: group.icon,
        label: t(group.label),
        children,
        'data-testid': `menu-group-${p.group}`,
      } as never);
    }
    children.push(item);
  }
  return items;
}

export default function AppLayout() {
  const { t, i18n } = useTranslation();
  const { me, settings, logout } = useSession();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const location = useLocation();
  const [collapsed, setCollapsed] = useState(true);

  const roles = me?.roles.map((r) => r.role) ?? [];
  const pages = visiblePages(roles);
  const selected = pages.find((p) => !p.hidden && location.pathname.startsWith(p.path))?.key;
  const selectedGroup = pages.find((p) => p.key === selected)?.group;

  const items: MenuProps['items'] = useMemo(
    () => [
      ...menuItems(pages, t),
      { type: 'divider' as const },
      {
        key: 'api-docs',
        icon: <ApiOutlined />,
        label: (
          <a href="/api/docs" target="_blank" rel="noreferrer">
            {t('nav.apiDocs')}
          </a>
        ),
      },
    ],
    [pages, t],
  );

  const onMenu: MenuProps['onClick'] = ({ key }) => {
    const page = pages.find((p) => p.key === key);
    if (page) navigate(page.path);
  };

  const doLogout = async () => {
    try {
      await logout();
      message.success(t('header.loggedOut'));
    } finally {
      navigate('/login', { replace: true });
    }
  };

  const roleLabels = roles.map((r) => t(`roles.${r}`, { defaultValue: r }));

  return (
    <Layout className="cl-app">
      <Header className="cl-header">
        <div className="cl-header-brand">
          <img src="/favicon.svg" alt="CityLoop" />
          <span className="cl-header-title" data-testid="city-name">
            {settings.cityName}
          </span>
          <span className="cl-header-sub">{t('app.subtitle')}</span>
        </div>
        <div className="cl-header-right">
          <Tooltip title={t('header.language')}>
            <TranslationOutlined style={{ color: 'rgba(255,255,255,0.7)' }} />
          </Tooltip>
          <Segmented
            size="small"
            value={i18n.language === 'en' ? 'en' : 'zh-CN'}
            options={[
              { label: '中文', value: 'zh-CN' },
              { label: 'English', value: 'en' },
            ]}
            onChange={(v) => void setLanguage(v as Language)}
            data-testid="lang-switch"
          />
          <div className="cl-header-user" data-testid="current-user">
            <Avatar size="small" icon={<UserOutlined />} style={{ background: '#1456c8' }} />
            <span>{me?.name}</span>
            {roleLabels.map((l) => (
              <Tag key={l} color="blue" variant="filled" style={{ marginInlineEnd: 0 }}>
                {l}
              </Tag>
            ))}
          </div>
          <Button
            type="text"
            icon={<LogoutOutlined />}
            onClick={() => void doLogout()}
            style={{ color: 'rgba(255,255,255,0.85)' }}
            data-testid="logout"
          >
            {t('header.logout')}
          </Button>
        </div>
      </Header>
      <Layout>
        <Sider
          className="cl-sider"
          theme="light"
          width={180}
          collapsible
          collapsed={collapsed}
          onCollapse={setCollapsed}
          collapsedWidth={56}
        >
          <Menu
            mode="inline"
            selectedKeys={selected ? [selected] : []}
            defaultOpenKeys={selectedGroup && !collapsed ? [`group-${selectedGroup}`] : []}
            items={items}
            onClick={onMenu}
            style={{ borderInlineEnd: 0 }}
          />
        </Sider>
        <Content className="cl-content">
          <Outlet />
        </Content>
      </Layout>
    </Layout>
  );
}
