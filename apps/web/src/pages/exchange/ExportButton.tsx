import { DownloadOutlined } from '@ant-design/icons';
import { App, Button, Dropdown, type MenuProps } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api.ts';
import { currentLanguage, localizeMessage } from '../../i18n/index.ts';
import { useSession } from '../../session.tsx';
import { can } from './access.ts';

type Format = 'xlsx' | 'csv' | 'json';
type Query = Record<string, string | number | boolean | undefined>;

/** The name the server gave the file (`content-disposition`), or a fallback. */
function filenameOf(res: Response, format: Format): string {
  const cd = res.headers.get('content-disposition') ?? '';
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  return m?.[1] ? decodeURIComponent(m[1]) : `cases.${format}`;
}

/** Hands a downloaded body to the browser as a file with the server's name. */
function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Give the browser time to start the download before the URL goes.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * 导出 → Excel / CSV / 交换格式 JSON of the cases under `query` (the list's filters), through
 * `GET /api/exchange/cases` with the session cookie. Fetched rather than navigated to, so a
 * refusal (too many rows for Excel) shows as a message instead of replacing the page.
 * Renders nothing for roles without `exchange.export`.
 */
export default function ExportButton({ query, size }: { query: Query; size?: 'small' | 'middle' }) {
  const { t } = useTranslation();
  const { me } = useSession();
  const { message } = App.useApp();
  const [busy, setBusy] = useState<Format | null>(null);
  if (!can(me, 'exchange.export')) return null;

  const download = async (format: Format) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '' && v !== false) params.set(k, String(v));
    params.set('format', format);
    if (format !== 'json') params.set('lang', currentLanguage());
    setBusy(format);
    try {
      const res = await fetch(`/api/exchange/cases?${params}`, { credentials: 'same-origin' });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: string; message?: string } | null;
        throw new ApiError(res.status, body?.error ?? `http_${res.status}`, body?.message ?? res.statusText);
      }
      saveBlob(await res.blob(), filenameOf(res, format));
    } catch (err) {
      const text = err instanceof ApiError ? err.message : localizeMessage(String(err));
      message.error(t('caseSearch.exportFailed', { message: text }));
    } finally {
      setBusy(null);
    }
  };

  const items: MenuProps['items'] = [
    { key: 'xlsx', label: t('caseSearch.exportXlsx'), 'data-testid': 'export-xlsx' } as NonNullable<MenuProps['items']>[number],
    { key: 'csv', label: t('caseSearch.exportCsv'), 'data-testid': 'export-csv' } as NonNullable<MenuProps['items']>[number],
    { key: 'json', label: t('caseSearch.exportJson'), 'data-testid': 'export-json' } as NonNullable<MenuProps['items']>[number],
  ];
  return (
    <Dropdown menu={{ items, onClick: ({ key }) => void download(key as Format) }} trigger={['click']} disabled={busy != null}>
      <Button icon={<DownloadOutlined />} loading={busy != null} size={size} data-testid="export-button">
        {t('caseSearch.export')}
      </Button>
    </Dropdown>
  );
}
