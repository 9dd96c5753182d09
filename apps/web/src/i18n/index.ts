import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.ts';
import { patrolEn, patrolZh } from './patrol.ts';
import { publicFeedbackEn, publicFeedbackZh } from './publicFeedback.ts';
import zhCN from './zh-CN.ts';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'cityloop.lang';

function initialLanguage(): Language {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch {
    // storage unavailable (private mode): fall through to the default
  }
  return 'zh-CN';
}

void i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: zhCN }, en: { translation: en } },
  lng: initialLanguage(),
  fallbackLng: 'zh-CN',
  interpolation: { escapeValue: false },
  returnNull: false,
});

i18n.addResourceBundle('zh-CN', 'translation', publicFeedbackZh, true, false);
i18n.addResourceBundle('en', 'translation', publicFeedbackEn, true, false);
i18n.addResourceBundle('zh-CN', 'translation', patrolZh, true, false);
i18n.addResourceBundle('en', 'translation', patrolEn, true, false);

document.documentElement.lang = i18n.language;

export function currentLanguage(): Language {
  return i18n.language === 'en' ? 'en' : 'zh-CN';
}

export async function setLanguage(lang: Language): Promise<void> {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // not persisted; the switch still applies to this page
  }
  document.documentElement.lang = lang;
  await i18n.changeLanguage(lang);
}

/**
 * Server messages are bilingual ("中文 / English"); keep the half for the current language.
 */
export function localizeMessage(message: string, lang: Language = currentLanguage()): string {
  // "中文 / English", also written "中文（…）/ English"
  const m = /\s?\/ (?=[A-Za-z])/.exec(message);
  if (!m) return message;
  const zh = message.slice(0, m.index).trim();
  const enPart = message.slice(m.index + m[0].length).trim();
  return lang === 'en' ? enPart || zh : zh || enPart;
}

export default i18n;
