import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Collapse, Form, Input, Segmented, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { ApiError } from '../api.ts';
import { type Language, setLanguage } from '../i18n/index.ts';
import { HOME_PATH } from '../routes.tsx';
import { useSession } from '../session.tsx';

const DEMO_USERS = ['admin', 'acceptor', 'shiftlead', 'dispatcher', 'handler', 'inspector', 'leader'] as const;
const DEMO_PASSWORD = 'demo1234';

interface LoginForm {
  username: string;
  password: string;
}

/** Only same-origin paths are accepted as the place to return to after login. */
function safeNext(next: string | null): string {
  if (next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login')) return next;
  return HOME_PATH;
}

export default function LoginPage() {
  const { t, i18n } = useTranslation();
  const { me, login, settings } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<LoginForm>();
  const next = safeNext(params.get('next'));

  if (me) return <Navigate to={next} replace />;

  const submit = async (values: LoginForm) => {
    setBusy(true);
    setError(null);
    try {
      await login(values.username.trim(), values.password);
      navigate(next, { replace: true });
    } catch (err) {
      setError(err instanceof ApiError || err instanceof Error ? err.message : t('login.failed'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="cl-login">
      <Card className="cl-login-card" variant="borderless">
        <div className="cl-login-brand">
          <img src="/favicon.svg" alt="" />
          <div>
            <div className="cl-city">{settings.cityName}</div>
            <div className="cl-sub">{settings.cityName === 'CityLoop' ? t('app.subtitle') : `CityLoop · ${t('app.subtitle')}`}</div>
          </div>
          <Segmented
            size="small"
            style={{ marginLeft: 'auto' }}
            value={i18n.language === 'en' ? 'en' : 'zh-CN'}
            options={[
              { label: '中文', value: 'zh-CN' },
              { label: 'EN', value: 'en' },
            ]}
            onChange={(v) => void setLanguage(v as Language)}
            data-testid="login-lang"
          />
        </div>
        <Typography.Title level={4} style={{ marginTop: 0 }}>
          {t('login.title')}
        </Typography.Title>
        {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="login-error" />}
        <Form<LoginForm> form={form} layout="vertical" requiredMark={false} onFinish={submit} autoComplete="on">
          <Form.Item name="username" label={t('login.username')} rules={[{ required: true, message: t('login.usernameRequired') }]}>
            <Input prefix={<UserOutlined />} autoComplete="username" autoFocus size="large" id="login-username" />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('login.passwordRequired') }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" size="large" id="login-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block size="large" loading={busy} data-testid="login-submit">
            {t('login.submit')}
          </Button>
        </Form>
        <Collapse
          ghost
          size="small"
          style={{ marginTop: 16 }}
          items={[
            {
              key: 'demo',
              label: t('login.demoAccounts'),
              children: (
                <div className="cl-demo-accounts">
                  <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
                    {t('login.demoHint', { password: DEMO_PASSWORD })}
                  </Typography.Paragraph>
                  <ul style={{ margin: 0, paddingLeft: 18 }}>
                    {DEMO_USERS.map((u) => (
                      <li key={u}>
                        <Typography.Link onClick={() => form.setFieldsValue({ username: u, password: DEMO_PASSWORD })}>
                          <code>{u}</code>
                        </Typography.Link>{' '}
                        — {t(`roles.${u}`)}
                      </li>
                    ))}
                  </ul>
                </div>
              ),
            },
          ]}
        />
        <div className="cl-login-footer">{t('login.footer')}</div>
      </Card>
    </div>
  );
}
