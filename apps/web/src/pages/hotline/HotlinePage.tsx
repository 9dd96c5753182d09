import { App, AutoComplete, Button, Card, Checkbox, Form, Input, Radio, Space, TreeSelect, Typography } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { api } from '../../api.ts';
import type { CaseItem, ClassNode, GeocodeHit } from '../../types.ts';
import { useClasses } from '../cases/caseUtil.ts';
import CaseMap from '../workbench/CaseMap.tsx';

interface Values {
  channel: '12345' | '12319';
  orderNo?: string;
  callerName?: string;
  callerPhone?: string;
  address?: string;
  kind: 'event' | 'component';
  classCode?: string;
  description?: string;
  urgent?: boolean;
}

interface ClassOption {
  value: string;
  title: string;
  selectable: boolean;
  children?: ClassOption[];
}

function toTree(nodes: ClassNode[]): ClassOption[] {
  return nodes.map((n) => ({
    value: n.code,
    title: `${n.code} ${n.name}`,
    // a report names a minor class (or finer); majors only group them
    selectable: n.level !== 'major',
    children: n.children?.length ? toTree(n.children) : undefined,
  }));
}

// getRandomValues works on plain http too (randomUUID needs a secure context).
const newKey = () => `hotline-${Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')}`;

/** 热线登记: an acceptor files a caller's report (caller, address with suggestions, class, map pin) and opens the new case. */
export default function HotlinePage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm<Values>();
  const classes = useClasses();
  const kind = Form.useWatch('kind', form) ?? 'event';
  const [hits, setHits] = useState<GeocodeHit[]>([]);
  const [pin, setPin] = useState<[number, number] | null>(null);
  const [busy, setBusy] = useState(false);
  const searchSeq = useRef(0);
  const timer = useRef(0);
  // One key per filing: a double click or a retry after a lost answer opens the same case.
  const idempotencyKey = useRef(newKey());

  useEffect(() => () => window.clearTimeout(timer.current), []);

  const treeData = useMemo(() => toTree((classes?.tree ?? []).filter((n) => n.kind === kind)), [classes, kind]);

  const searchAddress = (q: string) => {
    window.clearTimeout(timer.current);
    if (q.trim().length < 1) {
      setHits([]);
      return;
    }
    timer.current = window.setTimeout(() => {
      const seq = ++searchSeq.current;
      api
        .get<GeocodeHit[]>('/api/geocode', { q: q.trim(), limit: 8 })
        .then((h) => seq === searchSeq.current && setHits(h))
        .catch(() => seq === searchSeq.current && setHits([]));
    }, 200);
  };

  const submit = async (v: Values) => {
    if (!pin && !v.address?.trim()) {
      message.error(t('hotline.addressRequired'));
      return;
    }
    setBusy(true);
    try {
      const contact: Record<string, string> = {};
      if (v.callerName?.trim()) contact.name = v.callerName.trim();
      if (v.callerPhone?.trim()) contact.phone = v.callerPhone.trim();
      const c = await api.post<CaseItem>('/api/cases', {
        source: 'hotline',
        channel: v.channel,
        ...(v.orderNo?.trim() ? { sourceRef: v.orderNo.trim() } : {}),
        idempotencyKey: idempotencyKey.current,
        kind: v.kind,
        classCode: v.classCode,
        description: v.description?.trim(),
        urgent: !!v.urgent,
        ...(pin ? { location: { lng: pin[0], lat: pin[1] } } : {}),
        ...(v.address?.trim() && v.address.trim().length >= 2 ? { address: v.address.trim() } : {}),
        ...(Object.keys(contact).length ? { reporterContact: contact } : {}),
      });
      idempotencyKey.current = newKey();
      message.success(t('hotline.created', { number: c.number }));
      navigate(`/cases/${c.id}`);
    } catch (err) {
      message.error(t('hotline.failed', { message: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="cl-hotline" data-testid="hotline-page">
      <div className="cl-hotline-form">
        <Card title={t('hotline.title')} size="small">
          <Form<Values>
            form={form}
            layout="vertical"
            initialValues={{ kind: 'event', urgent: false, channel: '12345' }}
            onFinish={(v) => void submit(v)}
          >
            <Space style={{ width: '100%', marginBottom: 8 }} align="start" wrap>
              <Form.Item name="channel" label={t('hotline.channel')} style={{ marginBottom: 8 }}>
                <Radio.Group
                  optionType="button"
                  size="small"
                  options={[
                    { value: '12345', label: '12345' },
                    { value: '12319', label: '12319' },
                  ]}
                  data-testid="hotline-channel"
                />
              </Form.Item>
              <Form.Item name="orderNo" label={t('hotline.orderNo')} style={{ marginBottom: 8 }}>
                <Input placeholder={t('hotline.orderNoPlaceholder')} maxLength={64} style={{ width: 220 }} data-testid="hotline-order-no" />
              </Form.Item>
            </Space>
            <Typography.Text strong>{t('hotline.caller')}</Typography.Text>
            <Space.Compact block style={{ marginTop: 8, marginBottom: 16 }}>
              <Form.Item name="callerName" noStyle>
                <Input placeholder={t('hotline.callerName')} maxLength={50} style={{ width: '40%' }} data-testid="hotline-caller-name" />
              </Form.Item>
              <Form.Item name="callerPhone" noStyle rules={[{ pattern: /^[0-9+\- ]{3,20}$/, message: t('hotline.phoneInvalid') }]}>
                <Input placeholder={t('hotline.callerPhone')} maxLength={20} style={{ width: '60%' }} data-testid="hotline-caller-phone" />
              </Form.Item>
            </Space.Compact>
            <Form.Item name="address" label={t('hotline.address')}>
              <AutoComplete
                options={hits.map((h) => ({
                  value: h.fullAddress,
                  label: <span data-testid={`geocode-hit-${h.id}`}>{h.fullAddress}</span>,
                  key: String(h.id),
                }))}
                onSearch={searchAddress}
                onSelect={(value: string) => {
                  const h = hits.find((x) => x.fullAddress === value);
                  if (h) setPin([h.lng, h.lat]);
                }}
                placeholder={t('hotline.addressPlaceholder')}
                data-testid="hotline-address"
              />
            </Form.Item>
            <Form.Item name="kind" label={t('hotline.kind')}>
              <Radio.Group
                onChange={() => form.setFieldValue('classCode', undefined)}
                options={[
                  { value: 'event', label: t('kinds.event') },
                  { value: 'component', label: t('kinds.component') },
                ]}
              />
            </Form.Item>
            <Form.Item name="classCode" label={t('hotline.class')} rules={[{ required: true, message: t('hotline.classRequired') }]}>
              <TreeSelect
                showSearch={{ treeNodeFilterProp: 'title' }}
                treeData={treeData}
                placeholder={t('hotline.classPlaceholder')}
                popupMatchSelectWidth
                data-testid="hotline-class"
              />
            </Form.Item>
            <Form.Item
              name="description"
              label={t('hotline.description')}
              rules={[{ required: true, whitespace: true, message: t('hotline.descriptionRequired') }]}
            >
              <Input.TextArea rows={4} maxLength={2000} showCount data-testid="hotline-description" />
            </Form.Item>
            <Form.Item name="urgent" valuePropName="checked">
              <Checkbox data-testid="hotline-urgent">{t('hotline.urgent')}</Checkbox>
            </Form.Item>
            <div className="cl-dim" style={{ marginBottom: 12 }} data-testid="hotline-pin">
              {t('hotline.pin')}：{pin ? `${pin[0].toFixed(6)}, ${pin[1].toFixed(6)}` : t('hotline.noPin')}
            </div>
            <Space>
              <Button type="primary" htmlType="submit" loading={busy} data-testid="hotline-submit">
                {t('hotline.submit')}
              </Button>
              <Button
                onClick={() => {
                  form.resetFields();
                  setPin(null);
                }}
              >
                {t('hotline.reset')}
              </Button>
            </Space>
          </Form>
        </Card>
      </div>
      <div className="cl-hotline-map">
        <div className="cl-hotline-map-hint">{t('hotline.pinHint')}</div>
        <CaseMap points={[]} pin={pin} onPick={setPin} testId="hotline-map" />
      </div>
    </div>
  );
}
