import { PlusOutlined } from '@ant-design/icons';
import { App, Upload, type UploadFile } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api.ts';
import { localizeMessage } from '../../i18n/index.ts';
import type { MediaItem } from '../../types.ts';

async function uploadOne(file: File): Promise<MediaItem> {
  const form = new FormData();
  form.append('file', file, file.name);
  const res = await fetch('/api/media', { method: 'POST', body: form, credentials: 'same-origin' });
  const data = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const e = (data ?? {}) as { error?: string; message?: string };
    throw new ApiError(res.status, e.error ?? `http_${res.status}`, e.message ?? String(res.status));
  }
  const items = data as MediaItem[];
  const first = items[0];
  if (!first) throw new ApiError(500, 'media_empty', 'empty upload');
  return first;
}

/** Photos uploaded to /api/media as they are picked; `onChange` gets the media ids. */
export default function PhotoUpload({ onChange, testId }: { onChange: (ids: string[]) => void; testId?: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [files, setFiles] = useState<UploadFile[]>([]);

  const publish = (list: UploadFile[]) => {
    setFiles(list);
    onChange(list.filter((f) => f.status === 'done' && typeof f.response === 'string').map((f) => f.response as string));
  };

  return (
    <Upload
      accept="image/jpeg,image/png,image/webp"
      listType="picture-card"
      multiple
      fileList={files}
      data-testid={testId}
      customRequest={({ file, onSuccess, onError }) => {
        uploadOne(file as File)
          .then((m) => onSuccess?.(m.id))
          .catch((err: unknown) => {
            message.error(t('actionForm.uploadFailed', { message: err instanceof Error ? localizeMessage(err.message) : String(err) }));
            onError?.(err as Error);
          });
      }}
      onChange={({ fileList }) => publish(fileList)}
    >
      <div>
        <PlusOutlined />
        <div style={{ marginTop: 4 }}>{t('actionForm.upload')}</div>
      </div>
    </Upload>
  );
}
