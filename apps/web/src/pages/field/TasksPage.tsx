import { Button, Empty, List, Popup, PullToRefresh, Selector, Space, Stepper, Tag, TextArea, Toast } from 'antd-mobile';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api.ts';
import type { CaseItem } from '../../types.ts';
import { caseLight, className, fmtSpan, LIGHT_COLORS, useClasses, useNow } from '../cases/caseUtil.ts';
import { useCaseEvents } from '../workbench/useCaseEvents.ts';
import FieldMap from './FieldMap.tsx';
import { uploadPhotos } from './fieldApi.ts';
import PhotoField, { type FieldPhoto } from './PhotoField.tsx';

interface Page<T> {
  items: T[];
  total: number;
}

/** The states each side of the field app acts on. */
const FIELD_STATES: Record<'inspector' | 'handler', string[]> = {
  inspector: ['verifying', 'checking'],
  handler: ['dispatched', 'handling', 'suspended'],
};

/** My 待办 of one side (GET /api/cases?queue=todo), refreshed live on case events. */
export function useFieldTasks(side: 'inspector' | 'handler'): { items: CaseItem[]; loaded: boolean; reload: () => Promise<void> } {
  const cacheKey = `cityloop.field.tasks.${side}`;
  // The last list seen, so the phone shows its tasks (and their count) without a network.
  const [items, setItems] = useState<CaseItem[]>(() => {
    try {
      return JSON.parse(localStorage.getItem(cacheKey) ?? '[]') as CaseItem[];
    } catch {
      return [];
    }
  });
  const [loaded, setLoaded] = useState(() => localStorage.getItem(cacheKey) !== null);
  const reload = useCallback(async () => {
    try {
      const page = await api.get<Page<CaseItem> | CaseItem[]>('/api/cases', { queue: 'todo', limit: 100 });
      const list = (Array.isArray(page) ? page : page.items).filter((c) => FIELD_STATES[side].includes(c.state));
      setItems(list);
      setLoaded(true);
      try {
        localStorage.setItem(cacheKey, JSON.stringify(list));
      } catch {
        // storage full: the list then needs the network
      }
    } catch {
      // offline: keep the last list
    }
  }, [side, cacheKey]);
  const timer = useRef(0);
  useCaseEvents(() => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => void reload(), 300);
  });
  useEffect(() => {
    void reload();
    const again = () => void reload();
    window.addEventListener('online', again);
    return () => {
      window.removeEventListener('online', again);
      window.clearTimeout(timer.current);
    };
  }, [reload]);
  return { items, loaded, reload };
}

type Mode = 'verify' | 'check' | 'feedback' | 'return_request' | 'postpone_request' | 'suspend_request';

/** What a form posts: the action for yes and for no (inspector), or the single action. */
const FORMS: Record<Mode, { yes: string; no?: string; photos: boolean; reason: boolean; extension?: boolean }> = {
  verify: { yes: 'verify', no: 'verify_reject', photos: true, reason: false },
  check: { yes: 'check_pass', no: 'check_fail', photos: true, reason: false },
  feedback: { yes: 'feedback', photos: true, reason: false },
  return_request: { yes: 'return_request', photos: false, reason: true },
  postpone_request: { yes: 'postpone_request', photos: false, reason: true, extension: true },
  suspend_request: { yes: 'suspend_request', photos: false, reason: true },
};

function ActionForm({ c, mode, onDone }: { c: CaseItem; mode: Mode; onDone: () => void }) {
  const { t } = useTranslation();
  const form = FORMS[mode];
  const [photos, setPhotos] = useState<FieldPhoto[]>([]);
  const [yes, setYes] = useState(true);
  const [remark, setRemark] = useState('');
  const [days, setDays] = useState(2);
  const [busy, setBusy] = useState(false);

  const handleSubmit = async () => {
    const action = yes || !form.no ? form.yes : form.no;
    const needsReason = form.reason || action === 'verify_reject' || action === 'check_fail' || action === 'feedback';
    if (form.photos && (yes || mode === 'check') && photos.length === 0) {
      Toast.show({ content: t('field.task.needPhoto') });
      return;
    }
    if (needsReason && !remark.trim()) {
      Toast.show({ content: t('field.task.needRemark') });
      return;
    }
    setBusy(true);
    try {
      const ids = photos.length
        ? (
            await uploadPhotos(
              photos.map((p) => p.blob),
              null,
              new Date().toISOString(),
            )
          ).map((m) => m.id)
        : [];
      const text = remark.trim();
      const body: Record<string, unknown> = { version: c.version };
      if (ids.length) body.photos = ids;
      if (text) {
        if (action === 'feedback' || action === 'verify' || action === 'check_pass') body.note = text;
        else body.reason = text;
      }
      if (form.extension) body.extension = { value: days, unit: 'day' };
      await api.post(`/api/cases/${c.id}/actions/${action}`, body);
      Toast.show({ icon: 'success', content: t('field.task.done') });
      onDone();
    } catch (err) {
      Toast.show({ icon: 'fail', content: err instanceof ApiError || err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="field-action-form" data-testid={`form-${mode}`}>
      <h3>{t(`field.mode.${mode}`)}</h3>
      {form.no && (
        <Selector
          columns={2}
          value={[yes ? 'yes' : 'no']}
          onChange={(v) => v[0] && setYes(v[0] === 'yes')}
          options={[
            { label: t(`field.answer.${mode}.yes`), value: 'yes' },
            { label: t(`field.answer.${mode}.no`), value: 'no' },
          ]}
          data-testid="task-answer"
        />
      )}
      {form.photos && <PhotoField label={t('field.task.photos')} photos={photos} onChange={setPhotos} testId="task-photos" />}
      {form.extension && (
        <Space align="center">
          <span>{t('field.task.extendDays')}</span>
          <Stepper min={1} max={30} value={days} onChange={setDays} />
        </Space>
      )}
      <TextArea
        value={remark}
        onChange={setRemark}
        rows={3}
        maxLength={1000}
        placeholder={t(form.reason ? 'field.task.reason' : mode === 'feedback' ? 'field.task.note' : 'field.task.remark')}
        data-testid="task-remark"
      />
      <Button block color="primary" loading={busy} onClick={handleSubmit} data-testid="task-submit">
        {t('field.task.submit')}
      </Button>
    </div>
  );
}

/** One case opened from the list: where it is, what it is, and what I can do here. */
function CaseSheet({ c, side, onClose }: { c: CaseItem; side: 'inspector' | 'handler'; onClose: () => void }) {
  const { t } = useTranslation();
  const classes = useClasses();
  const [mode, setMode] = useState<Mode | null>(null);
  const [busy, setBusy] = useState(false);
  const spot = c.lng != null && c.lat != null ? { lng: c.lng, lat: c.lat } : null;

  const handleSign = async () => {
    setBusy(true);
    try {
      await api.post(`/api/cases/${c.id}/actions/sign`, { version: c.version });
      Toast.show({ icon: 'success', content: t('field.task.signed') });
      onClose();
    } catch (err) {
      Toast.show({ icon: 'fail', content: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="field-sheet" data-testid="case-sheet" data-case={c.id} data-state={c.state}>
      <div className="field-sheet-head">
        <b>{c.number}</b> <Tag color="primary">{t(`field.state.${c.state}`, { defaultValue: c.state })}</Tag>
      </div>
      <div>{className(classes, c.kind, c.classCode)}</div>
      <div className="field-muted">{c.address ?? ''}</div>
      <p>{c.description}</p>
      {spot && <FieldMap spot={spot} height={160} testId="case-map" />}
      {spot && (
        <a className="field-nav-link" href={`geo:${spot.lat},${spot.lng}?q=${spot.lat},${spot.lng}`}>
          {t('field.task.navigate')}
        </a>
      )}
      {mode ? (
        <ActionForm c={c} mode={mode} onDone={onClose} />
      ) : (
        <div className="field-sheet-actions">
          {side === 'inspector' && c.state === 'verifying' && (
            <Button block color="primary" onClick={() => setMode('verify')} data-testid="do-verify">
              {t('field.mode.verify')}
            </Button>
          )}
          {side === 'inspector' && c.state === 'checking' && (
            <Button block color="primary" onClick={() => setMode('check')} data-testid="do-check">
              {t('field.mode.check')}
            </Button>
          )}
          {side === 'handler' && c.state === 'dispatched' && (
            <Button block color="primary" loading={busy} onClick={handleSign} data-testid="do-sign">
              {t('field.task.sign')}
            </Button>
          )}
          {side === 'handler' && c.state === 'handling' && (
            <Button block color="primary" onClick={() => setMode('feedback')} data-testid="do-feedback">
              {t('field.mode.feedback')}
            </Button>
          )}
          {side === 'handler' && ['dispatched', 'handling'].includes(c.state) && !c.pendingRequest && (
            <Space block justify="between" wrap>
              <Button size="small" onClick={() => setMode('return_request')} data-testid="do-return">
                {t('field.mode.return_request')}
              </Button>
              {c.state === 'handling' && (
                <>
                  <Button size="small" onClick={() => setMode('postpone_request')} data-testid="do-postpone">
                    {t('field.mode.postpone_request')}
                  </Button>
                  <Button size="small" onClick={() => setMode('suspend_request')} data-testid="do-suspend">
                    {t('field.mode.suspend_request')}
                  </Button>
                </>
              )}
            </Space>
          )}
          {c.pendingRequest && (
            <div className="field-muted">{t('field.task.pending', { type: t(`field.request.${c.pendingRequest.type}`) })}</div>
          )}
        </div>
      )}
    </div>
  );
}

/** 任务: the inspector's 核实/核查 tasks or the handler's department cases, with their deadline countdown. */
export default function TasksPage({ side }: { side: 'inspector' | 'handler' }) {
  const { t, i18n } = useTranslation();
  const en = i18n.language === 'en';
  const classes = useClasses();
  const { items, loaded, reload } = useFieldTasks(side);
  const now = useNow(15_000);
  const [openId, setOpenId] = useState<number | null>(null);
  const open = items.find((c) => c.id === openId) ?? null;

  return (
    <div className="field-page" data-testid="field-tasks" data-count={items.length} data-loaded={loaded ? '1' : '0'}>
      <PullToRefresh onRefresh={reload}>
        {items.length === 0 ? (
          <Empty description={t(loaded ? 'field.task.none' : 'field.task.loading')} />
        ) : (
          <List header={t(side === 'inspector' ? 'field.task.inspectorTitle' : 'field.task.handlerTitle')}>
            {items.map((c) => {
              const light = caseLight(c, now);
              const left = c.phaseDeadline ? Date.parse(c.phaseDeadline) - now : null;
              return (
                <List.Item
                  key={c.id}
                  onClick={() => setOpenId(c.id)}
                  data-testid={`task-${c.id}`}
                  prefix={<span className="field-light" style={{ background: LIGHT_COLORS[light] }} />}
                  description={
                    <>
                      <div className="field-ellipsis">{c.address ?? c.description}</div>
                      {left != null && (
                        <div style={{ color: LIGHT_COLORS[light] }}>
                          {left >= 0
                            ? t('field.task.left', { span: fmtSpan(left, en) })
                            : t('field.task.overdue', { span: fmtSpan(left, en) })}
                        </div>
                      )}
                    </>
                  }
                  extra={
                    <Tag color={c.state === 'checking' || c.state === 'handling' ? 'success' : 'primary'}>
                      {t(`field.state.${c.state}`)}
                    </Tag>
                  }
                >
                  {className(classes, c.kind, c.classCode)}
                  {c.urgent && (
                    <Tag color="danger" style={{ marginLeft: 6 }}>
                      {t('field.severity.urgent')}
                    </Tag>
                  )}
                </List.Item>
              );
            })}
          </List>
        )}
      </PullToRefresh>
      <Popup
        visible={open != null}
        onMaskClick={() => setOpenId(null)}
        bodyStyle={{ maxHeight: '88vh', overflowY: 'auto', borderTopLeftRadius: 12, borderTopRightRadius: 12 }}
        destroyOnClose
      >
        {open && (
          <CaseSheet
            key={`${open.id}-${open.version}`}
            c={open}
            side={side}
            onClose={() => {
              setOpenId(null);
              void reload();
            }}
          />
        )}
      </Popup>
    </div>
  );
}
