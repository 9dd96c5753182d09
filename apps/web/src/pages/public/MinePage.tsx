import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { usePublicData } from './PublicApp.tsx';
import { fmtTime, forgetReport, myReports, trackPath } from './publicApi.ts';

/** 我的举报: the reports this phone made (or followed), kept in localStorage with their tracking codes. */
export default function MinePage() {
  const { t, i18n } = useTranslation();
  const { categories } = usePublicData();
  const [mine, setMine] = useState(myReports);
  if (mine.length === 0) {
    return (
      <div className="pr-page">
        <div className="pr-card pr-muted" data-testid="pr-mine-empty">
          {t('mine.empty')}
        </div>
      </div>
    );
  }
  return (
    <div className="pr-page" data-testid="pr-mine">
      {mine.map((r) => (
        <div key={r.number} className="pr-card pr-mine-item">
          <Link to={trackPath(r.number, r.token)} className="pr-mine-link" data-testid={`pr-mine-${r.number}`}>
            <b>{r.number}</b>
            <span>{i18n.language === 'en' ? (categories?.find((c) => c.label === r.category)?.labelEn ?? r.category) : r.category}</span>
            <span className="pr-muted">{t('mine.reportedAt', { time: fmtTime(r.at) })}</span>
          </Link>
          <button
            type="button"
            className="pr-text-button pr-muted"
            onClick={() => {
              forgetReport(r.number);
              setMine(myReports());
            }}
          >
            {t('mine.forget')}
          </button>
        </div>
      ))}
    </div>
  );
}
