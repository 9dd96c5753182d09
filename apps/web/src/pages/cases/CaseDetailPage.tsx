import { ArrowLeftOutlined } from '@ant-design/icons';
import { Button } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router-dom';
import { useCaseEvents } from '../workbench/useCaseEvents.ts';
import CaseDetailView from './CaseDetailView.tsx';

/** `/cases/:id`: one case on a page of its own, kept current by the event stream. */
export default function CaseDetailPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const id = Number(useParams().id);
  const [key, setKey] = useState(0);
  useCaseEvents((e) => {
    if (e.caseId === id || e.type === 'resync') setKey((k) => k + 1);
  });
  return (
    <div className="cl-page-scroll">
      <div className="cl-case-page">
        <div className="cl-case-page-head">
          <Button icon={<ArrowLeftOutlined />} onClick={() => navigate('/workbench')} data-testid="back-to-workbench">
            {t('caseDetail.back')}
          </Button>
          <h2>{t('caseDetail.title')}</h2>
        </div>
        {Number.isFinite(id) && id > 0 && <CaseDetailView caseId={id} refreshKey={key} showMap />}
      </div>
    </div>
  );
}
