import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { usePublicData } from './PublicApp.tsx';
import { call, fmtTime, forgetReport, myReports, type PublicCase, trackPath } from './publicApi.ts';

/** Reports whose state is looked up when the list opens (newest first). */
const LOOKUPS = 20;
const DONE_STATES = new Set(['closed', 'not_accepted', 'not_registered', 'cancelled', 'merged']);

/** 我的举报: the reports this phone made (or followed), kept in localStorage with their tracking codes, and where each stands. */
export default function MinePage() {
  const { t, i18n } = useTranslation();
  const { categories } = usePublicData();
  const [mine, setMine] = useState(myReports);
  const [states, setStates] = useState<Record<string, string>>({});

  useEffect(() => {
    const ac = new AbortController();
    for (const r of myReports().slice(0, LOOKUPS)) {
      call<PublicCase>(`/api/public/cases/${r.number}?token=${encodeURIComponent(r.token)}`, { signal: ac.signal })
        .then((c) => setStates((s) => ({ ...s, [r.number]: c.state })))
        .catch(() => {
          // offline or forgotten by the server: the entry stays, without a state
        });
    }
    return () => ac.abort();
  }, []);

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
      {mine.map((r) => {
        const state = states[r.number];
        return (
          <div key={r.number} className="pr-card pr-mine-item">
            <Link to={trackPath(r.number, r.token)} className="pr-mine-link" data-testid={`pr-mine-${r.number}`}>
              <b>{r.number}</b>
              <span>{i18n.language === 'en' ? (categories?.find((c) => c.label === r.category)?.labelEn ?? r.category) : r.category}</span>
              <span className="pr-muted">{t('mine.reportedAt', { time: fmtTime(r.at) })}</span>
            </Link>
            <div className="pr-mine-side">
              {state && (
                <span
                  className={`pr-mine-state ${DONE_STATES.has(state) ? 'pr-state-done' : ''}`}
                  data-testid={`pr-mine-state-${r.number}`}
                >
                  {t(`state.${state}`, { defaultValue: state })}
                </span>
              )}
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
          </div>
        );
      })}
    </div>
  );
}
