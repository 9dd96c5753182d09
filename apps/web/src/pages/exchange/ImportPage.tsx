import { CheckCircleOutlined, DownloadOutlined, InboxOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { CASE_SOURCES } from '@cityloop/shared';
import { Alert, Button, Card, Input, Select, Space, Statistic, Table, type TableColumnsType, Tag, Typography, Upload } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { ApiError, api } from '../../api.ts';
import { localizeMessage } from '../../i18n/index.ts';
import type { CaseList } from '../../types.ts';
import { downloadTemplate, TEMPLATE_HEADERS } from './importTemplate.ts';
import './exchange.css';

/** One row of the server's import report (docs/exchange.md). */
interface ImportRow {
  row: number;
  sourceRef: string | null;
  status: 'valid' | 'created' | 'exists' | 'error';
  number?: string;
  errors?: Array<{ field?: string; code: string; message: string }>;
}

interface ImportReport {
  dryRun: boolean;
  total: number;
  created: number;
  existing: number;
  invalid: number;
  rows: ImportRow[];
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The content type the import expects for a file, by its name. */
function contentTypeOf(name: string): string | null {
  const ext = name.toLowerCase().split('.').pop();
  if (ext === 'csv' || ext === 'txt') return 'text/csv';
  if (ext === 'xlsx') return XLSX;
  if (ext === 'json') return 'application/json';
  return null;
}

function isReport(x: unknown): x is ImportReport {
  return typeof x === 'object' && x !== null && Array.isArray((x as ImportReport).rows);
}

const STATUS_COLORS: Record<ImportRow['status'], string> = { valid: 'green', created: 'blue', exists: 'default', error: 'red' };

/** New case numbers listed above the report (each looks its case up); the report's pages hold the rest. */
const CREATED_SHOWN = 100;

/** Case ids by number, looked up once per page load (the report names cases by number). */
const caseIds = new Map<string, Promise<number | null>>();

function lookupCase(number: string): Promise<number | null> {
  let p = caseIds.get(number);
  if (!p) {
    p = api
      .get<CaseList>('/api/cases', { queue: 'all', q: number, limit: 1 })
      .then((l) => l.items.find((c) => c.number === number)?.id ?? null)
      .catch(() => {
        caseIds.delete(number);
        return null;
      });
    caseIds.set(number, p);
  }
  return p;
}

/** A case number that links to the case's page once its id is known. */
function CaseNumberLink({ number }: { number: string }) {
  const [id, setId] = useState<number | null>(null);
  useEffect(() => {
    let alive = true;
    void lookupCase(number).then((v) => alive && setId(v));
    return () => {
      alive = false;
    };
  }, [number]);
  return id ? (
    <Link to={`/cases/${id}`} className="cl-case-number" data-testid={`import-case-${number}`}>
      {number}
    </Link>
  ) : (
    <span className="cl-case-number">{number}</span>
  );
}

/**
 * 案卷导入 `/exchange/import`: a hotline's CSV or Excel work-order list (or another platform's
 * cityloop-cases document) is checked first (预检, nothing written) and shown row by row; the
 * import itself is offered only once a check found no errors, and lands all rows or none.
 */
export default function ImportPage() {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const [source, setSource] = useState<string>('hotline');
  const [channel, setChannel] = useState('12345');
  const [busy, setBusy] = useState<'dry' | 'real' | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  /** The file and options the last clean check was for; the import is offered for exactly those. */
  const [checked, setChecked] = useState<string | null>(null);

  const current = file ? `${file.name}|${file.size}|${file.lastModified}|${source}|${channel.trim()}` : null;
  const canImport = current != null && checked === current && busy == null;

  const choose = (f: File) => {
    setFile(f);
    setReport(null);
    setFailure(null);
    setChecked(null);
    // A platform's document comes through the system channel; a file is the hotline's by default.
    if (contentTypeOf(f.name) === 'application/json') {
      setSource('system');
      setChannel('');
    }
  };

  const send = async (dryRun: boolean) => {
    if (!file) return;
    const type = contentTypeOf(file.name);
    if (!type) {
      setFailure(t('exchangeImport.badType'));
      return;
    }
    const query = new URLSearchParams({ dryRun: String(dryRun), source });
    if (channel.trim()) query.set('channel', channel.trim());
    setBusy(dryRun ? 'dry' : 'real');
    setFailure(null);
    try {
      const res = await fetch(`/api/exchange/cases/import?${query}`, {
        method: 'POST',
        headers: { 'Content-Type': type, Accept: 'application/json' },
        body: file,
        credentials: 'same-origin',
      });
      const body = (await res.json().catch(() => null)) as unknown;
      if (res.ok && isReport(body)) {
        setReport(body);
        // Offered only when the check found no errors and something new to file.
        setChecked(dryRun && body.invalid === 0 && body.total > body.existing ? current : null);
        return;
      }
      const err = typeof body === 'object' && body !== null ? (body as { error?: string; message?: string; details?: unknown }) : null;
      if (err?.error === 'import_invalid' && isReport(err.details)) {
        setReport(err.details);
        setChecked(null);
        setFailure(t('exchangeImport.invalidSummary', { invalid: err.details.invalid, total: err.details.total }));
        return;
      }
      setReport(null);
      setChecked(null);
      setFailure(err?.message ? localizeMessage(err.message) : `${res.status} ${res.statusText}`);
    } catch (e) {
      setFailure(e instanceof ApiError ? e.message : t('errors.network'));
    } finally {
      setBusy(null);
    }
  };

  // Bad rows first, then in file order.
  const rows = useMemo(
    () => [...(report?.rows ?? [])].sort((a, b) => Number(b.status === 'error') - Number(a.status === 'error') || a.row - b.row),
    [report],
  );
  const createdNumbers = useMemo(
    () => (report && !report.dryRun ? report.rows.filter((r) => r.status === 'created' && r.number).map((r) => r.number as string) : []),
    [report],
  );

  const columns: TableColumnsType<ImportRow> = [
    { key: 'row', title: t('exchangeImport.colRow'), width: 70, render: (_, r) => r.row },
    { key: 'ref', title: t('exchangeImport.colRef'), width: 200, render: (_, r) => r.sourceRef ?? '—' },
    {
      key: 'status',
      title: t('exchangeImport.colStatus'),
      width: 100,
      render: (_, r) => (
        <Tag color={STATUS_COLORS[r.status]} data-testid={`import-status-${r.row}`} data-status={r.status}>
          {t(`exchangeImport.status.${r.status}`)}
        </Tag>
      ),
    },
    {
      key: 'number',
      title: t('exchangeImport.colNumber'),
      width: 160,
      render: (_, r) => (r.number ? <CaseNumberLink number={r.number} /> : '—'),
    },
    {
      key: 'errors',
      title: t('exchangeImport.colErrors'),
      render: (_, r) =>
        r.errors?.length ? (
          <ul className="cl-import-errors">
            {r.errors.map((e) => (
              <li key={`${e.field ?? ''}-${e.code}`} data-field={e.field ?? ''} data-code={e.code}>
                {e.field && <Tag>{t(`exchangeImport.fields.${e.field}`, { defaultValue: e.field })}</Tag>}
                {localizeMessage(e.message)}
              </li>
            ))}
          </ul>
        ) : (
          '—'
        ),
    },
  ];

  const sourceOptions = CASE_SOURCES.filter((s) => s !== 'inspector' && s !== 'public').map((s) => ({
    value: s,
    label: t(`sources.${s}`),
  }));

  return (
    <div className="cl-page-scroll">
      <div className="cl-import" data-testid="exchange-import">
        <div className="cl-import-head">
          <h2>{t('exchangeImport.title')}</h2>
          <Button icon={<DownloadOutlined />} onClick={downloadTemplate} data-testid="import-template">
            {t('exchangeImport.template')}
          </Button>
        </div>
        <Typography.Paragraph type="secondary" className="cl-import-intro">
          {t('exchangeImport.intro')}
        </Typography.Paragraph>
        <Card size="small" className="cl-import-card">
          <Upload.Dragger
            accept=".csv,.xlsx,.json"
            multiple={false}
            maxCount={1}
            showUploadList={false}
            beforeUpload={(f) => {
              choose(f);
              return false;
            }}
            data-testid="import-file"
          >
            <p className="ant-upload-drag-icon">
              <InboxOutlined />
            </p>
            <p className="ant-upload-text" data-testid="import-file-name">
              {file ? file.name : t('exchangeImport.pick')}
            </p>
            <p className="ant-upload-hint">
              {file ? t('exchangeImport.size', { kb: Math.max(1, Math.round(file.size / 1024)) }) : t('exchangeImport.pickHint')}
            </p>
          </Upload.Dragger>
          <div className="cl-import-options">
            <span>{t('exchangeImport.source')}</span>
            <Select
              value={source}
              onChange={(v) => {
                setSource(v);
                if (v === 'hotline' && !channel.trim()) setChannel('12345');
              }}
              options={sourceOptions}
              style={{ width: 170 }}
              data-testid="import-source"
            />
            <span>{t('exchangeImport.channel')}</span>
            <Input
              value={channel}
              onChange={(e) => setChannel(e.target.value)}
              maxLength={32}
              placeholder={t('exchangeImport.channelHint')}
              style={{ width: 140 }}
              data-testid="import-channel"
            />
            <Space style={{ marginInlineStart: 'auto' }}>
              <Button
                icon={<SafetyCertificateOutlined />}
                disabled={!file || busy != null}
                loading={busy === 'dry'}
                onClick={() => void send(true)}
                data-testid="import-dry-run"
              >
                {t('exchangeImport.dryRun')}
              </Button>
              <Button
                type="primary"
                icon={<CheckCircleOutlined />}
                disabled={!canImport}
                loading={busy === 'real'}
                onClick={() => void send(false)}
                data-testid="import-run"
              >
                {t('exchangeImport.run')}
              </Button>
            </Space>
          </div>
          {file && !checked && !report && <div className="cl-dim cl-import-note">{t('exchangeImport.checkFirst')}</div>}
        </Card>

        {failure && <Alert type="error" showIcon title={failure} className="cl-import-alert" data-testid="import-failure" />}
        {report && !failure && (
          <Alert
            type="success"
            showIcon
            className="cl-import-alert"
            data-testid={report.dryRun ? 'import-clean' : 'import-done'}
            title={
              report.dryRun
                ? report.existing > 0
                  ? t('exchangeImport.cleanWithExisting', { count: report.total - report.existing, existing: report.existing })
                  : t('exchangeImport.clean', { count: report.total })
                : t('exchangeImport.done', { created: report.created, existing: report.existing })
            }
          />
        )}
        {createdNumbers.length > 0 && (
          <Card size="small" title={t('exchangeImport.createdTitle', { count: createdNumbers.length })} className="cl-import-card">
            <div className="cl-import-created" data-testid="import-created">
              {createdNumbers.slice(0, CREATED_SHOWN).map((n) => (
                <CaseNumberLink key={n} number={n} />
              ))}
              {createdNumbers.length > CREATED_SHOWN && (
                <span className="cl-dim">{t('exchangeImport.more', { count: createdNumbers.length - CREATED_SHOWN })}</span>
              )}
            </div>
          </Card>
        )}
        {report && (
          <Card size="small" className="cl-import-card" data-testid="import-report" data-invalid={report.invalid}>
            <div className="cl-import-stats">
              <Statistic title={t('exchangeImport.total')} value={report.total} />
              <Statistic
                title={report.dryRun ? t('exchangeImport.valid') : t('exchangeImport.created')}
                value={report.dryRun ? report.total - report.existing - report.invalid : report.created}
                styles={{ content: { color: '#2e9d52' } }}
              />
              <Statistic title={t('exchangeImport.existing')} value={report.existing} />
              <Statistic
                title={t('exchangeImport.invalid')}
                value={report.invalid}
                styles={{ content: { color: report.invalid > 0 ? '#d4380d' : undefined } }}
              />
            </div>
            <Table<ImportRow>
              size="small"
              rowKey="row"
              dataSource={rows}
              columns={columns}
              rowClassName={(r) => (r.status === 'error' ? 'cl-import-row-error' : '')}
              onRow={(r) => ({ 'data-testid': `import-row-${r.row}` }) as React.HTMLAttributes<HTMLElement>}
              pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
            />
          </Card>
        )}
        <Card size="small" title={t('exchangeImport.columnsTitle')} className="cl-import-card">
          <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
            {t('exchangeImport.columnsHint')}
          </Typography.Paragraph>
          <Space wrap size={[4, 4]}>
            {TEMPLATE_HEADERS.map((h) => (
              <Tag key={h}>{h}</Tag>
            ))}
          </Space>
        </Card>
      </div>
    </div>
  );
}
