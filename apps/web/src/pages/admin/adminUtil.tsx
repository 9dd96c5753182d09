import { Alert, Breadcrumb, type FormInstance, InputNumber, Select, Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api.ts';
import i18n from '../../i18n/index.ts';
import './maint.css';

/** A time limit (时限) as the API writes it. */
export interface TimeLimit {
  value: number;
  unit: 'minute' | 'hour' | 'day';
  timeType: 'urgent' | 'work' | 'natural';
}

/** The frame of every 应用维护 page: breadcrumb, then the page's cards. */
export function MaintPage({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <div className="cl-maint-page">
      <Space direction="vertical" size="middle" style={{ width: '100%', padding: 16 }} data-testid={testId}>
        <Breadcrumb items={[{ title: t('dispatchRules.section') }, { title }]} />
        {children}
      </Space>
    </div>
  );
}

/** The API's refusal above a form: the message, with its stable code beneath. */
export function FormError({ error, testId }: { error: ApiError | null; testId: string }) {
  if (!error) return null;
  return (
    <Alert
      type="error"
      showIcon
      style={{ marginBottom: 12 }}
      title={error.message}
      description={<Typography.Text type="secondary">{error.code}</Typography.Text>}
      data-testid={testId}
    />
  );
}

/**
 * Shows an API error next to the form field it is about: by error code (`fieldOf`), or for a
 * schema refusal (validation_failed) by the property its path names. Returns the ApiError
 * (for the alert above the form), or rethrows anything else.
 */
export function showApiError<T>(form: FormInstance<T>, err: unknown, fieldOf: Record<string, string> = {}): ApiError {
  if (!(err instanceof ApiError)) throw err;
  const fields: Array<{ name: string; errors: string[] }> = [];
  const byCode = fieldOf[err.code];
  if (byCode) fields.push({ name: byCode, errors: [err.message] });
  if (err.code === 'validation_failed' && Array.isArray(err.details)) {
    for (const d of err.details as Array<{ instancePath?: string; params?: { missingProperty?: string } }>) {
      const name = d.params?.missingProperty ?? d.instancePath?.replace(/^\/(body\/)?/, '').split('/')[0];
      if (name) fields.push({ name, errors: [err.message] });
    }
  }
  if (fields.length) form.setFields(fields as never);
  return err;
}

/** "2 工作日", "30 分钟（紧急）" … */
export function fmtLimit(limit: TimeLimit | null | undefined): string {
  if (!limit) return '—';
  const t = i18n.t.bind(i18n);
  return t('maint.limitText', {
    value: limit.value,
    unit: t(`maint.units.${limit.unit}`),
    timeType: t(`maint.timeTypes.${limit.timeType}`),
  });
}

/** Editor of one time limit: value, unit and time type; `null` when cleared (allowClear). */
export function TimeLimitInput({
  value,
  onChange,
  allowClear,
  testId,
}: {
  value?: TimeLimit | null;
  onChange?: (v: TimeLimit | null) => void;
  allowClear?: boolean;
  testId?: string;
}) {
  const { t } = useTranslation();
  const cur = value ?? null;
  const set = (patch: Partial<TimeLimit>) => {
    const next = { value: cur?.value ?? 1, unit: cur?.unit ?? 'day', timeType: cur?.timeType ?? 'work', ...patch } as TimeLimit;
    onChange?.(next);
  };
  return (
    <Space.Compact data-testid={testId}>
      <InputNumber
        min={1}
        max={100000}
        precision={0}
        style={{ width: 90 }}
        value={cur?.value ?? null}
        placeholder="—"
        onChange={(v) => (v === null ? allowClear && onChange?.(null) : set({ value: v }))}
        data-testid={testId ? `${testId}-value` : undefined}
      />
      <Select
        style={{ width: 84 }}
        value={cur?.unit}
        placeholder={t('maint.unit')}
        onChange={(unit) => set({ unit })}
        options={(['minute', 'hour', 'day'] as const).map((u) => ({ value: u, label: t(`maint.units.${u}`) }))}
      />
      <Select
        style={{ width: 120 }}
        value={cur?.timeType}
        placeholder={t('maint.timeType')}
        onChange={(timeType) => set({ timeType })}
        options={(['work', 'natural', 'urgent'] as const).map((x) => ({ value: x, label: t(`maint.timeTypes.${x}`) }))}
      />
    </Space.Compact>
  );
}

/** Local date and time to the minute. */
export function fmtAt(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
