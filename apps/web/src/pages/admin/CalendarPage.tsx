import { LeftOutlined, MinusCircleOutlined, PlusOutlined, RightOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Form,
  Input,
  Modal,
  Radio,
  Row,
  Select,
  Space,
  Statistic,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, api, request } from '../../api.ts';
import { FormError, fmtAt, MaintPage, showApiError } from './adminUtil.tsx';
import './maint.css';

type DayKind = 'workday' | 'weekend' | 'holiday' | 'makeup_workday';
const KINDS: DayKind[] = ['workday', 'weekend', 'holiday', 'makeup_workday'];

interface CalendarDay {
  day: string;
  kind: DayKind;
  name: string | null;
  source: 'national' | 'city' | string;
  updatedBy: number | null;
  updatedAt: string;
}

interface YearCalendar {
  year: number;
  timeZone: string;
  workingPeriods: Array<{ start: string; end: string }>;
  workDayMode: string;
  nationalSchedule: boolean;
  days: CalendarDay[];
  summary: { days: number; workingDays: number; restDays: number; holidays: number; makeupWorkdays: number; workingMinutes: number };
}

interface PeriodsForm {
  periods: Array<{ start: string; end: string }>;
  workDayMode: string;
}

const MONTHS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const pad = (n: number) => String(n).padStart(2, '0');
const iso = (y: number, m: number, d: number) => `${y}-${pad(m + 1)}-${pad(d)}`;

/** 应用维护 → 工作日历: the year's workdays, weekends, holidays and make-up workdays, and the daily working periods. */
export default function CalendarPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [year, setYear] = useState(() => new Date().getFullYear());
  const [cal, setCal] = useState<YearCalendar | null>(null);
  const [editing, setEditing] = useState<{ day: string; kind: DayKind; name: string; entry: CalendarDay | null } | null>(null);
  const [dayError, setDayError] = useState<ApiError | null>(null);
  const [savingDay, setSavingDay] = useState(false);
  const [form] = Form.useForm<PeriodsForm>();
  const [periodsError, setPeriodsError] = useState<ApiError | null>(null);
  const [savingPeriods, setSavingPeriods] = useState(false);

  const load = useCallback(async () => {
    try {
      const c = await api.get<YearCalendar>(`/api/calendar/${year}`);
      setCal(c);
      form.setFieldsValue({ periods: c.workingPeriods, workDayMode: c.workDayMode });
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    }
  }, [year, form, message]);

  useEffect(() => {
    void load();
  }, [load]);

  const byDay = useMemo(() => new Map((cal?.days ?? []).map((d) => [d.day, d])), [cal]);
  const today = useMemo(() => {
    const d = new Date();
    return iso(d.getFullYear(), d.getMonth(), d.getDate());
  }, []);

  /** The kind of a day: its entry, else Saturday/Sunday are weekends. */
  const kindOf = (day: string, weekday: number): DayKind =>
    byDay.get(day)?.kind ?? (weekday === 0 || weekday === 6 ? 'weekend' : 'workday');

  const openDay = (day: string, weekday: number) => {
    const entry = byDay.get(day) ?? null;
    setDayError(null);
    setEditing({ day, kind: kindOf(day, weekday), name: entry?.name ?? '', entry });
  };

  const handleSaveDay = async () => {
    if (!editing) return;
    setSavingDay(true);
    setDayError(null);
    try {
      await request(`/api/calendar/days/${editing.day}`, {
        method: 'PUT',
        body: { kind: editing.kind, name: editing.name.trim() || null },
      });
      message.success(t('maint.calendar.daySaved', { day: editing.day, kind: t(`maint.calendar.kinds.${editing.kind}`) }));
      setEditing(null);
      await load();
    } catch (err) {
      setDayError(err as ApiError);
    } finally {
      setSavingDay(false);
    }
  };

  const handleSavePeriods = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSavingPeriods(true);
    setPeriodsError(null);
    try {
      await request('/api/calendar/working-periods', { method: 'PUT', body: { periods: v.periods, workDayMode: v.workDayMode } });
      message.success(t('maint.saved'));
      await load();
    } catch (err) {
      setPeriodsError(showApiError(form, err, { working_periods_invalid: 'periods' }));
    } finally {
      setSavingPeriods(false);
    }
  };

  const weekdays = t('maint.calendar.weekdays').split(',');

  return (
    <MaintPage title={t('maint.calendar.nav')} testId="calendar-page">
      <Row gutter={16}>
        <Col xs={24} xl={17}>
          <Card
            title={
              <Space>
                <Button icon={<LeftOutlined />} size="small" onClick={() => setYear((y) => y - 1)} aria-label={t('maint.calendar.prev')} />
                <span data-testid="calendar-year">{t('maint.calendar.year', { year })}</span>
                <Button icon={<RightOutlined />} size="small" onClick={() => setYear((y) => y + 1)} aria-label={t('maint.calendar.next')} />
              </Space>
            }
            extra={
              <Space size="middle" wrap>
                {KINDS.map((k) => (
                  <span key={k}>
                    <span className={`cl-cal-legend cl-cal-day k-${k}`} />
                    {t(`maint.calendar.kinds.${k}`)}
                  </span>
                ))}
                <span>
                  <span
                    className="cl-cal-legend"
                    style={{ background: '#1456c8', width: 6, height: 6, borderRadius: 3, verticalAlign: 1 }}
                  />
                  {t('maint.calendar.cityEdit')}
                </span>
              </Space>
            }
          >
            {cal && !cal.nationalSchedule && (
              <Alert type="warning" showIcon style={{ marginBottom: 12 }} title={t('maint.calendar.noSchedule', { year })} />
            )}
            <div className="cl-cal-months" data-testid="calendar-months">
              {MONTHS.map((m) => {
                const first = new Date(Date.UTC(year, m, 1)).getUTCDay();
                const lead = (first + 6) % 7; // weeks start on Monday
                const days = new Date(Date.UTC(year, m + 1, 0)).getUTCDate();
                return (
                  <div className="cl-cal-month" key={m}>
                    <h4>{t('maint.calendar.month', { month: m + 1 })}</h4>
                    <div className="cl-cal-grid">
                      {weekdays.map((w) => (
                        <div className="cl-cal-head" key={w}>
                          {w}
                        </div>
                      ))}
                      {Array.from({ length: lead }, (_, i) => (
                        // biome-ignore lint/suspicious/noArrayIndexKey: blank cells before the 1st
                        <div key={`b${i}`} />
                      ))}
                      {Array.from({ length: days }, (_, i) => {
                        const d = i + 1;
                        const day = iso(year, m, d);
                        const weekday = (lead + i + 1) % 7;
                        const kind = kindOf(day, weekday);
                        const entry = byDay.get(day);
                        return (
                          <button
                            type="button"
                            key={day}
                            className={`cl-cal-day k-${kind}${entry?.source === 'city' ? ' city' : ''}${day === today ? ' today' : ''}`}
                            title={`${day} ${t(`maint.calendar.kinds.${kind}`)}${entry?.name ? ` · ${entry.name}` : ''}`}
                            onClick={() => openDay(day, weekday)}
                            data-testid={`cal-day-${day}`}
                            data-kind={kind}
                          >
                            {d}
                            {entry?.name && <small>{entry.name}</small>}
                            {!entry?.name && kind === 'makeup_workday' && <small>{t('maint.calendar.ban')}</small>}
                          </button>
                        );
                      })}
                    </div>
                  </div>
                );
              })}
            </div>
          </Card>
        </Col>
        <Col xs={24} xl={7}>
          <Space direction="vertical" size="middle" style={{ width: '100%' }}>
            <Card title={t('maint.calendar.summary')} size="small">
              {cal && (
                <Row gutter={[8, 8]} data-testid="calendar-summary">
                  <Col span={12}>
                    <Statistic title={t('maint.calendar.workingDays')} value={cal.summary.workingDays} />
                  </Col>
                  <Col span={12}>
                    <Statistic title={t('maint.calendar.restDays')} value={cal.summary.restDays} />
                  </Col>
                  <Col span={12}>
                    <Statistic title={t('maint.calendar.holidays')} value={cal.summary.holidays} />
                  </Col>
                  <Col span={12}>
                    <Statistic title={t('maint.calendar.makeups')} value={cal.summary.makeupWorkdays} />
                  </Col>
                  <Col span={24}>
                    <Statistic
                      title={t('maint.calendar.workingHours')}
                      value={Math.round(cal.summary.workingMinutes / 60)}
                      suffix={t('maint.units.hour')}
                    />
                  </Col>
                </Row>
              )}
            </Card>
            <Card title={t('maint.calendar.periods')} size="small" data-testid="working-periods">
              <Typography.Paragraph type="secondary">{t('maint.calendar.periodsHelp', { tz: cal?.timeZone ?? '' })}</Typography.Paragraph>
              <FormError error={periodsError} testId="periods-error" />
              <Form form={form} layout="vertical">
                <Form.List
                  name="periods"
                  rules={[
                    {
                      validator: async (_, v: Array<{ start: string; end: string }> | undefined) => {
                        const list = (v ?? []).filter((p) => p && HHMM.test(p.start ?? '') && HHMM.test(p.end ?? ''));
                        for (const [i, p] of list.entries()) {
                          if (p.start >= p.end) throw new Error(t('maint.calendar.startBeforeEnd'));
                          const prev = list[i - 1];
                          if (prev && prev.end > p.start) throw new Error(t('maint.calendar.overlap'));
                        }
                      },
                    },
                  ]}
                >
                  {(fields, { add, remove }, { errors }) => (
                    <>
                      {fields.map((f, i) => (
                        <Space key={f.key} align="baseline" style={{ display: 'flex' }} data-testid={`period-${i}`}>
                          <Form.Item
                            name={[f.name, 'start']}
                            rules={[{ required: true, pattern: HHMM, message: t('maint.calendar.hhmm') }]}
                            style={{ marginBottom: 8 }}
                          >
                            <Input style={{ width: 90 }} placeholder="08:00" />
                          </Form.Item>
                          —
                          <Form.Item
                            name={[f.name, 'end']}
                            rules={[{ required: true, pattern: HHMM, message: t('maint.calendar.hhmm') }]}
                            style={{ marginBottom: 8 }}
                          >
                            <Input style={{ width: 90 }} placeholder="12:00" />
                          </Form.Item>
                          <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('maint.remove')} />
                        </Space>
                      ))}
                      <Button type="dashed" size="small" icon={<PlusOutlined />} onClick={() => add({ start: '', end: '' })}>
                        {t('maint.calendar.addPeriod')}
                      </Button>
                      <Form.ErrorList errors={errors} />
                    </>
                  )}
                </Form.List>
                <Form.Item name="workDayMode" label={t('maint.calendar.workDayMode')} style={{ marginTop: 12 }}>
                  <Select
                    options={['hours', 'close_of_day'].map((m) => ({ value: m, label: t(`maint.calendar.modes.${m}`) }))}
                    data-testid="work-day-mode"
                  />
                </Form.Item>
                <Button type="primary" loading={savingPeriods} onClick={() => void handleSavePeriods()} data-testid="periods-save">
                  {t('maint.save')}
                </Button>
              </Form>
            </Card>
          </Space>
        </Col>
      </Row>

      <Modal
        open={editing !== null}
        title={editing ? t('maint.calendar.editDay', { day: editing.day }) : ''}
        onCancel={() => setEditing(null)}
        onOk={() => void handleSaveDay()}
        okText={t('maint.save')}
        okButtonProps={{ 'data-testid': 'day-save' } as Record<string, string>}
        confirmLoading={savingDay}
        destroyOnHidden
        width={480}
      >
        {editing && (
          <Space direction="vertical" style={{ width: '100%' }} data-testid="day-form">
            <FormError error={dayError} testId="day-error" />
            <Radio.Group
              value={editing.kind}
              onChange={(e) => setEditing({ ...editing, kind: e.target.value as DayKind })}
              optionType="button"
              buttonStyle="solid"
              options={KINDS.map((k) => ({ value: k, label: t(`maint.calendar.kinds.${k}`) }))}
              data-testid="day-kind"
            />
            <Input
              placeholder={t('maint.calendar.dayName')}
              maxLength={50}
              value={editing.name}
              onChange={(e) => setEditing({ ...editing, name: e.target.value })}
              data-testid="day-name"
            />
            {editing.entry && (
              <Descriptions size="small" column={1}>
                <Descriptions.Item label={t('maint.calendar.source')}>
                  <Tag color={editing.entry.source === 'city' ? 'blue' : 'default'}>
                    {t(`maint.calendar.sources.${editing.entry.source}`)}
                  </Tag>
                </Descriptions.Item>
                <Descriptions.Item label={t('maint.calendar.updatedAt')}>{fmtAt(editing.entry.updatedAt)}</Descriptions.Item>
              </Descriptions>
            )}
            <Typography.Text type="secondary">{t('maint.calendar.dayHelp')}</Typography.Text>
          </Space>
        )}
      </Modal>
    </MaintPage>
  );
}
