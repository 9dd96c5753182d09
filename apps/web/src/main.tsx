import './i18n/index.ts';
import 'antd/dist/reset.css';
import './styles.css';
import { App as AntApp, ConfigProvider, theme } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { StrictMode, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { useTranslation } from 'react-i18next';
import App from './App.tsx';
import { HOME_PATH, preloadPage } from './routes.tsx';
import { SessionProvider } from './session.tsx';

function Root() {
  const { i18n } = useTranslation();
  const en = i18n.language === 'en';
  useEffect(() => {
    dayjs.locale(en ? 'en' : 'zh-cn');
  }, [en]);
  return (
    <ConfigProvider
      locale={en ? enUS : zhCN}
      theme={{
        algorithm: theme.defaultAlgorithm,
        token: { colorPrimary: '#1456c8', borderRadius: 6, fontSize: 14 },
        components: { Layout: { headerBg: '#0c1f3f', siderBg: '#ffffff', headerHeight: 56, headerPadding: '0 20px' } },
      }}
    >
      <AntApp className="cl-root">
        <SessionProvider>
          <App />
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  );
}

// The page's code loads while the session is read ("/" leads to the home page once signed in).
preloadPage(window.location.pathname === '/' ? HOME_PATH : window.location.pathname);

const root = document.getElementById('root');
if (!root) throw new Error('#root missing');
createRoot(root).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
