import { Button, Empty, List, NoticeBar, Space, Tag } from 'antd-mobile';
import { useTranslation } from 'react-i18next';
import { fmtTime } from '../cases/caseUtil.ts';
import { removePending, useOutbox } from './outbox.ts';

/** 待发送: reports kept on the phone until the server took them. */
export default function OutboxPage({ online }: { online: boolean }) {
  const { t } = useTranslation();
  const { pending, flush } = useOutbox();
  return (
    <div className="field-page" data-testid="field-outbox" data-count={pending.length}>
      {!online && <NoticeBar content={t('field.outbox.offline')} color="alert" />}
      {pending.length === 0 ? (
        <Empty description={t('field.outbox.empty')} />
      ) : (
        <List header={t('field.outbox.title')}>
          {pending.map((p) => (
            <List.Item
              key={p.key}
              data-testid="outbox-item"
              description={
                <Space direction="vertical" style={{ '--gap': '2px' }}>
                  <span>
                    {fmtTime(p.createdAt)} · {t('field.outbox.photos', { count: p.photos.length })}
                    {p.attempts > 0 && ` · ${t('field.outbox.attempts', { count: p.attempts })}`}
                  </span>
                  {p.error && <span className="field-error">{t('field.outbox.failed', { error: p.error })}</span>}
                </Space>
              }
              extra={
                p.error ? (
                  <Button size="mini" color="danger" fill="outline" onClick={() => void removePending(p.key)}>
                    {t('field.outbox.remove')}
                  </Button>
                ) : (
                  <Tag color="warning">{t('field.nav.outbox')}</Tag>
                )
              }
            >
              {p.draft.classCode} {p.draft.description}
            </List.Item>
          ))}
        </List>
      )}
      {pending.some((p) => !p.error) && online && (
        <div className="field-submit">
          <Button block color="primary" onClick={() => void flush()}>
            {t('field.outbox.retry')}
          </Button>
        </div>
      )}
    </div>
  );
}
