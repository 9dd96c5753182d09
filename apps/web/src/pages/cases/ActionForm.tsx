import { Alert, Form, Input, InputNumber, Modal, Select, Space } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api.ts';
import type { CaseDetail, CaseItem, DispatchSuggestion } from '../../types.ts';
import { useDepartments } from './caseUtil.ts';
import PhotoUpload from './PhotoUpload.tsx';

type Field = 'reason' | 'note' | 'departmentId' | 'photos' | 'archiveType' | 'extension';

/** What each action requires (mirrors the server's workflow definitions; the server has the last word with a 422). */
export const ACTION_REQUIRES: Record<string, Field[]> = {
  reject: ['reason'],
  verify: ['photos'],
  verify_reject: ['reason'],
  refuse: ['reason'],
  cancel: ['reason'],
  dispatch: ['departmentId'],
  to_coordination: ['reason'],
  feedback: ['photos', 'note'],
  check_pass: ['photos'],
  check_fail: ['photos', 'reason'],
  close: ['archiveType'],
  close_reject: ['reason'],
  return_request: ['reason'],
  postpone_request: ['reason', 'extension'],
  suspend_request: ['reason'],
  request_reject: ['reason'],
  supervise: ['note'],
  self_reject: ['reason'],
  review_close: ['reason'],
  review_rework: ['reason'],
  review_redispatch: ['reason'],
};

/** Photos may go with these actions even when not required. */
const PHOTO_ACTIONS = new Set(['verify', 'feedback', 'check_pass', 'check_fail']);

const ARCHIVE_TYPES = ['normal', 'overdue', 'error', 'special'];

interface Values {
  reason?: string;
  note?: string;
  departmentId?: number;
  archiveType?: string;
  extensionValue?: number;
  extensionUnit?: 'minute' | 'hour' | 'day';
}

/** Turns an action error into one clear sentence in the current language. */
export function useActionErrorText() {
  const { t } = useTranslation();
  return (err: unknown): string => {
    if (err instanceof ApiError) {
      const d = (err.details ?? {}) as { missing?: string[]; allowedActions?: string[] };
      if (err.code === 'case_version_conflict') return t('actionForm.conflict');
      if (err.code === 'case_invalid_transition')
        return t('actionForm.notAllowed', {
          actions: (d.allowedActions ?? []).map((a) => t(`actions.${a}`, { defaultValue: a })).join('、') || '—',
        });
      if (err.code === 'case_fields_required' && d.missing)
        return t('actionForm.missing', { fields: d.missing.map((f) => t(`fields.${f}`, { defaultValue: f })).join('、') });
      return t('actionForm.failed', { message: err.message });
    }
    return t('actionForm.failed', { message: err instanceof Error ? err.message : String(err) });
  };
}

interface Props {
  detail: CaseDetail;
  action: string | null;
  suggestion: DispatchSuggestion | null;
  onClose(): void;
  /** After success (the updated case) or a version conflict (reload). */
  onChanged(updated?: CaseItem): void;
}

/** A small form for one workflow action: the fields it requires, the case's current version, errors in words. */
export default function ActionForm({ detail, action, suggestion, onClose, onChanged }: Props) {
  const { t } = useTranslation();
  const [form] = Form.useForm<Values>();
  const [photos, setPhotos] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const departments = useDepartments();
  const errorText = useActionErrorText();
  const requires = action ? (ACTION_REQUIRES[action] ?? []) : [];
  const need = (f: Field) => requires.includes(f);

  // The version the person saw when opening the form: a change meanwhile must come back as a conflict, not be acted over.
  const baseVersion = useRef(detail.version);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the version is captured when the form opens only
  useEffect(() => {
    if (!action) return;
    baseVersion.current = detail.version;
    setError(null);
    setPhotos([]);
    form.resetFields();
    if (action === 'dispatch' && suggestion?.department) form.setFieldsValue({ departmentId: suggestion.department.id });
    if (action === 'close') form.setFieldsValue({ archiveType: 'normal' });
    if (action === 'postpone_request') form.setFieldsValue({ extensionUnit: 'day', extensionValue: 1 });
  }, [action, suggestion, form]);

  const submit = async () => {
    if (!action) return;
    const v = await form.validateFields();
    if (need('photos') && photos.length === 0) {
      setError(t('actionForm.photosRequired'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { version: baseVersion.current };
      if (v.reason?.trim()) body.reason = v.reason.trim();
      if (v.note?.trim()) body.note = v.note.trim();
      if (v.departmentId) body.departmentId = v.departmentId;
      if (v.archiveType) body.archiveType = v.archiveType;
      if (need('extension') && v.extensionValue) body.extension = { value: v.extensionValue, unit: v.extensionUnit ?? 'day' };
      if (photos.length > 0) body.photos = photos;
      const updated = await api.post<CaseItem>(`/api/cases/${detail.id}/actions/${action}`, body);
      onChanged(updated);
      onClose();
    } catch (err) {
      setError(errorText(err));
      if (err instanceof ApiError && err.status === 409) {
        // Show the case as it is now; a retry is based on that version.
        baseVersion.current = detail.version;
        onChanged();
      }
    } finally {
      setBusy(false);
    }
  };

  const suggestedId = suggestion?.department?.id;
  const deptOptions = departments.map((d) => ({
    value: d.id,
    label: d.id === suggestedId ? `${d.name}（${t('actionForm.suggested')}）` : d.name,
  }));

  return (
    <Modal
      open={!!action}
      title={action ? t('actionForm.title', { action: t(`actions.${action}`), number: detail.number }) : ''}
      okText={t('actionForm.submit')}
      cancelText={t('actionForm.cancel')}
      onOk={() => void submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
      okButtonProps={{ 'data-testid': 'action-submit' } as Record<string, string>}
      data-testid="action-form"
    >
      <Form form={form} layout="vertical" requiredMark>
        {need('departmentId') && (
          <Form.Item
            name="departmentId"
            label={t('actionForm.department')}
            rules={[{ required: true, message: t('actionForm.departmentRequired') }]}
          >
            <Select showSearch={{ optionFilterProp: 'label' }} options={deptOptions} data-testid="action-department" />
          </Form.Item>
        )}
        {need('archiveType') && (
          <Form.Item
            name="archiveType"
            label={t('actionForm.archiveType')}
            rules={[{ required: true, message: t('actionForm.archiveTypeRequired') }]}
          >
            <Select options={ARCHIVE_TYPES.map((a) => ({ value: a, label: t(`archiveTypes.${a}`) }))} data-testid="action-archive-type" />
          </Form.Item>
        )}
        {need('extension') && (
          <Form.Item label={t('actionForm.extension')} required>
            <Space.Compact>
              <Form.Item name="extensionValue" noStyle rules={[{ required: true, message: t('actionForm.extensionRequired') }]}>
                <InputNumber min={1} max={365} style={{ width: 120 }} />
              </Form.Item>
              <Form.Item name="extensionUnit" noStyle>
                <Select
                  style={{ width: 100 }}
                  options={(['minute', 'hour', 'day'] as const).map((u) => ({ value: u, label: t(`actionForm.units.${u}`) }))}
                />
              </Form.Item>
            </Space.Compact>
          </Form.Item>
        )}
        {need('reason') && (
          <Form.Item
            name="reason"
            label={t('actionForm.reason')}
            rules={[{ required: true, whitespace: true, message: t('actionForm.reasonRequired') }]}
          >
            <Input.TextArea rows={3} maxLength={1000} data-testid="action-reason" />
          </Form.Item>
        )}
        <Form.Item
          name="note"
          label={t('actionForm.note')}
          rules={need('note') ? [{ required: true, whitespace: true, message: t('actionForm.noteRequired') }] : []}
        >
          <Input.TextArea rows={need('note') ? 3 : 2} maxLength={2000} data-testid="action-note" />
        </Form.Item>
        {action && PHOTO_ACTIONS.has(action) && (
          <Form.Item label={t('actionForm.photos')} required={need('photos')}>
            <PhotoUpload onChange={setPhotos} testId="action-photos" />
          </Form.Item>
        )}
      </Form>
      {error && <Alert type="error" showIcon title={error} data-testid="action-error" />}
    </Modal>
  );
}
