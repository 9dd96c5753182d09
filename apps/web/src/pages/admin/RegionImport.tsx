import { CloseOutlined, FileTextOutlined, ImportOutlined, UploadOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Checkbox, Collapse, Descriptions, Space, Table, Tag, Typography, Upload } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, request } from '../../api.ts';
import { localizeMessage } from '../../i18n/index.ts';
import { FormError } from './adminUtil.tsx';

/** What POST /api/regions/import answers (a preview when dryRun). */
export interface ImportSummary {
  districts: number;
  streets: number;
  communities: number;
  grids: number;
  dryRun: boolean;
  created: number;
  versioned: number;
  derived: number;
  reusedParents: number;
  repointed: number;
  warnings: string[];
  seconds: number;
}

/** One row of the server's problem report (`details.problems` of region_import_invalid). */
interface ImportProblem {
  source: 'csv' | 'geojson' | 'database';
  line?: number;
  feature?: number;
  code?: string;
  problem: string;
  message: string;
}

interface Picked {
  name: string;
  geojson: unknown;
  features: number;
}

/**
 * 网格与区域 → 导入区划: a GeoJSON of districts, streets, communities and/or unit grids
 * (with an optional divisions CSV) is checked by the server without writing (a dry run
 * that reports what would be created), then imported in one audited transaction.
 */
export default function RegionImport({ onImported }: { onImported: (s: ImportSummary) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [file, setFile] = useState<Picked | null>(null);
  const [csv, setCsv] = useState<{ name: string; text: string } | null>(null);
  const [makeValid, setMakeValid] = useState(false);
  const [preview, setPreview] = useState<ImportSummary | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<'check' | 'import' | null>(null);

  const problems = (error?.code === 'region_import_invalid' && (error.details as { problems?: ImportProblem[] })?.problems) || [];

  const send = async (dryRun: boolean, picked = file, divisions = csv, repair = makeValid) => {
    if (!picked) return;
    setBusy(dryRun ? 'check' : 'import');
    setError(null);
    try {
      const s = await request<ImportSummary>('/api/regions/import', {
        method: 'POST',
        body: { geojson: picked.geojson, divisionsCsv: divisions?.text, makeValid: repair || undefined, dryRun },
      });
      if (dryRun) setPreview(s);
      else {
        message.success(t('maint.import.done', { count: s.created + s.versioned }));
        setPreview(null);
        setFile(null);
        setCsv(null);
        onImported(s);
      }
    } catch (err) {
      setPreview(null);
      setError(err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err)));
    } finally {
      setBusy(null);
    }
  };

  const handleGeojson = async (f: File) => {
    setPreview(null);
    setError(null);
    try {
      const geojson = JSON.parse(await f.text()) as { features?: unknown[] };
      const picked = { name: f.name, geojson, features: Array.isArray(geojson.features) ? geojson.features.length : 0 };
      setFile(picked);
      await send(true, picked);
    } catch (err) {
      setFile(null);
      setError(new ApiError(0, 'geojson_unreadable', t('maint.regions.unreadable', { message: (err as Error).message })));
    }
    return false;
  };

  const handleCsv = async (f: File) => {
    const next = { name: f.name, text: await f.text() };
    setCsv(next);
    if (file) await send(true, file, next);
    return false;
  };

  const where = (p: ImportProblem) =>
    p.feature !== undefined
      ? t('maint.import.feature', { n: p.feature })
      : p.line !== undefined
        ? t('maint.import.line', { n: p.line })
        : t('maint.import.wholeFile');

  return (
    <Card
      size="small"
      title={
        <span>
          <ImportOutlined /> {t('maint.import.title')}
        </span>
      }
      data-testid="region-import"
    >
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('maint.import.help')}
        </Typography.Text>
        <Space wrap>
          <Upload accept=".geojson,.json,application/geo+json,application/json" showUploadList={false} beforeUpload={handleGeojson}>
            <Button icon={<UploadOutlined />} loading={busy === 'check'} data-testid="region-import-file">
              {t('maint.import.pickGeojson')}
            </Button>
          </Upload>
          <Upload accept=".csv,text/csv" showUploadList={false} beforeUpload={handleCsv}>
            <Button icon={<FileTextOutlined />} data-testid="region-import-csv">
              {t('maint.import.pickCsv')}
            </Button>
          </Upload>
          <Checkbox
            checked={makeValid}
            onChange={(e) => {
              setMakeValid(e.target.checked);
              if (file) void send(true, file, csv, e.target.checked);
            }}
          >
            {t('maint.import.makeValid')}
          </Checkbox>
        </Space>
        {(file || csv) && (
          <Space wrap size={4}>
            {file && (
              <Tag data-testid="region-import-filename">
                {file.name} · {t('maint.import.features', { count: file.features })}
              </Tag>
            )}
            {csv && (
              <Tag
                closable
                closeIcon={<CloseOutlined />}
                onClose={() => {
                  // The preview was of the file with this CSV: it is checked again without.
                  setCsv(null);
                  if (file) void send(true, file, null);
                }}
                data-testid="region-import-csv-name"
              >
                {csv.name}
              </Tag>
            )}
          </Space>
        )}
        <FormError error={error} testId="region-import-error" />
        {problems.length > 0 && (
          <Table<ImportProblem>
            size="small"
            data-testid="region-import-problems"
            rowKey={(p, i) => `${p.feature ?? p.line ?? 0}-${p.problem}-${i}`}
            dataSource={problems}
            pagination={problems.length > 10 ? { pageSize: 10, size: 'small' } : false}
            columns={[
              { title: t('maint.import.where'), key: 'where', width: 110, render: (_: unknown, p) => where(p) },
              { title: t('maint.regions.code'), dataIndex: 'code', width: 160, render: (c?: string) => c ?? '—' },
              {
                title: t('maint.import.problem'),
                dataIndex: 'problem',
                width: 190,
                render: (c: string) => <Typography.Text code>{c}</Typography.Text>,
              },
              { title: t('maint.import.message'), dataIndex: 'message', render: (m: string) => localizeMessage(m) },
            ]}
          />
        )}
        {preview && (
          <Alert
            type="info"
            showIcon
            data-testid="region-import-preview"
            title={t('maint.import.previewTitle')}
            description={
              <Space direction="vertical" style={{ width: '100%' }}>
                <Descriptions size="small" column={{ xs: 2, md: 4 }}>
                  <Descriptions.Item label={t('levels.district')}>
                    <span data-testid="region-import-district">{preview.districts}</span>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('levels.street')}>
                    <span data-testid="region-import-street">{preview.streets}</span>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('levels.community')}>
                    <span data-testid="region-import-community">{preview.communities}</span>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('levels.grid')}>
                    <span data-testid="region-import-grid">{preview.grids}</span>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('maint.import.created')}>{preview.created}</Descriptions.Item>
                  <Descriptions.Item label={t('maint.import.versioned')}>{preview.versioned}</Descriptions.Item>
                  <Descriptions.Item label={t('maint.import.derived')}>
                    <span data-testid="region-import-derived">{preview.derived}</span>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('maint.import.repointed')}>{preview.repointed}</Descriptions.Item>
                </Descriptions>
                {preview.warnings.length > 0 && (
                  <ul className="cl-maint-import-warnings" data-testid="region-import-warnings">
                    {preview.warnings.map((w) => (
                      <li key={w}>{localizeMessage(w)}</li>
                    ))}
                  </ul>
                )}
                <Space>
                  <Button
                    type="primary"
                    icon={<ImportOutlined />}
                    loading={busy === 'import'}
                    onClick={() => void send(false)}
                    data-testid="region-import-run"
                  >
                    {t('maint.import.run', { count: preview.created + preview.versioned })}
                  </Button>
                  <Button
                    onClick={() => {
                      setPreview(null);
                      setFile(null);
                      setCsv(null);
                    }}
                  >
                    {t('maint.regions.discard')}
                  </Button>
                </Space>
              </Space>
            }
          />
        )}
        <Collapse
          size="small"
          ghost
          items={[
            {
              key: 'cli',
              label: t('maint.import.cli'),
              children: (
                <>
                  <Typography.Paragraph code copyable style={{ fontSize: 12 }}>
                    npm run cityloop -- import regions boundaries.geojson --divisions divisions.csv
                  </Typography.Paragraph>
                  <Typography.Paragraph code copyable style={{ fontSize: 12 }}>
                    npm run cityloop -- grid --level street --size 10000 --code 420502
                  </Typography.Paragraph>
                  <Typography.Link href="/api/docs#/regions" target="_blank">
                    {t('maint.regions.apiDocs')}
                  </Typography.Link>
                </>
              ),
            },
          ]}
        />
      </Space>
    </Card>
  );
}
