import { WarningOutlined } from '@ant-design/icons';
import { Card, Col, Empty, Image, Row, Space, Tag, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { CasePhoto } from '../../types.ts';
import { fmtTime } from './caseUtil.ts';

/** One photo: the thumbnail (click for the original), the step and time, and the EXIF flags in words. */
function PhotoTile({ p }: { p: CasePhoto }) {
  const { t } = useTranslation();
  const taken = p.exif?.takenAt ?? null;
  return (
    <div className="cl-photo" data-testid={`photo-${p.id}`} data-flags={p.flags.join(' ')}>
      <Image width={132} height={99} src={p.thumbUrl} preview={{ src: p.url }} alt={p.id} />
      <div className="cl-dim">
        {p.action ? t(`actions.${p.action}`, { defaultValue: p.action }) : t('caseDetail.photoUnlinked')}
        {' · '}
        <Tooltip title={taken ? t('caseDetail.photoTaken') : t('caseDetail.photoUploaded')}>{fmtTime(taken ?? p.createdAt)}</Tooltip>
      </div>
      {p.flags.length > 0 && (
        <Space size={2} wrap style={{ justifyContent: 'center' }}>
          {p.flags.map((f) => (
            <Tooltip key={f} title={t(`photoFlags.${f}.hint`, { defaultValue: '' })}>
              <Tag color={f === 'exif_missing' ? 'default' : 'orange'} icon={<WarningOutlined />} style={{ marginInlineEnd: 0 }}>
                {t(`photoFlags.${f}.label`, { defaultValue: f })}
              </Tag>
            </Tooltip>
          ))}
        </Space>
      )}
    </div>
  );
}

/** The case's photos, before (the problem) beside after (the result), each with its EXIF flags. */
export default function CasePhotos({ photos }: { photos: CasePhoto[] }) {
  const { t } = useTranslation();
  const before = photos.filter((p) => p.stage === 'before');
  const after = photos.filter((p) => p.stage === 'after');
  const flagged = photos.filter((p) => p.flags.some((f) => f !== 'exif_missing')).length;
  const column = (list: CasePhoto[], title: string, testId: string) => (
    <Col xs={24} md={12} data-testid={testId}>
      <Typography.Text type="secondary" strong>
        {title}
      </Typography.Text>
      <div style={{ marginTop: 6 }}>
        {list.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('caseDetail.noPhotos')} style={{ margin: 0 }} />
        ) : (
          <Space wrap align="start">
            {list.map((p) => (
              <PhotoTile key={p.id} p={p} />
            ))}
          </Space>
        )}
      </div>
    </Col>
  );
  return (
    <Card
      size="small"
      title={t('caseDetail.photos')}
      data-testid="case-photos"
      extra={
        flagged > 0 ? (
          <Tag color="orange" icon={<WarningOutlined />} data-testid="case-photos-flagged">
            {t('caseDetail.photosFlagged', { count: flagged })}
          </Tag>
        ) : null
      }
    >
      {photos.length === 0 ? (
        <Typography.Text type="secondary">{t('caseDetail.noPhotos')}</Typography.Text>
      ) : (
        <Image.PreviewGroup>
          <Row gutter={[16, 12]}>
            {column(before, t('caseDetail.photosBefore'), 'case-photos-before')}
            {column(after, t('caseDetail.photosAfter'), 'case-photos-after')}
          </Row>
        </Image.PreviewGroup>
      )}
    </Card>
  );
}
