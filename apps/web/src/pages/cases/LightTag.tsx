import { useTranslation } from 'react-i18next';
import type { CaseItem } from '../../types.ts';
import { caseLight, fmtSpan, LIGHT_COLORS, useNow } from './caseUtil.ts';

/** A case's light with the time left in its phase (or how long it is overdue). */
export function LightTag({ c }: { c: Pick<CaseItem, 'phaseStartedAt' | 'phaseDeadline'> }) {
  const { t, i18n } = useTranslation();
  const now = useNow();
  const light = caseLight(c, now);
  if (light === 'none' || !c.phaseDeadline) return <span className="cl-light cl-light-none">—</span>;
  const left = Date.parse(c.phaseDeadline) - now;
  const span = fmtSpan(left, i18n.language === 'en');
  return (
    <span className={`cl-light cl-light-${light}`} data-light={light} title={t(`lights.${light}`)}>
      <span className="cl-light-dot" style={{ background: LIGHT_COLORS[light] }} />
      {left < 0 ? t('workbench.overdueBy', { time: span }) : t('workbench.left', { time: span })}
    </span>
  );
}
