import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';

/**
 * The public pages' texts, Simplified Chinese first, English switchable. Their own i18next
 * instance (the console's carries its whole vocabulary, which a citizen's phone need not
 * load); the language choice is kept under the console's key, so it carries across.
 */
const zhCN = {
  title: '随手拍',
  subtitle: '城市问题举报',
  lang: 'English',
  tabs: { report: '我要举报', mine: '我的举报' },
  report: {
    photos: '现场照片',
    addPhoto: '拍照 / 选照片',
    photoHint: '最多 {{max}} 张，上传前自动压缩',
    removePhoto: '删除照片',
    place: '问题位置',
    locate: '用我的位置',
    locating: '正在定位…',
    gpsFailed: '无法获取位置，请搜索地址或在地图上点选',
    mapHint: '点击地图或拖动图钉，标出问题所在',
    search: '搜索地址、路名',
    noHits: '没有找到这个地址',
    outside: '该位置不在本市管理范围内',
    category: '问题类型',
    description: '问题描述',
    descriptionHint: '例如：小区门口垃圾堆放多日，有异味',
    phone: '联系电话（选填）',
    phoneHint: '仅供工作人员回访，不会公开',
    submit: '提交举报',
    sending: '正在提交…',
    needPlace: '请标出问题位置',
    needCategory: '请选择问题类型',
    needDescription: '请简单描述问题',
    badPhone: '电话号码格式不正确',
    failed: '提交失败：{{message}}',
    photoUnreadable: '无法读取这张照片',
  },
  done: {
    title: '举报已提交',
    number: '案件编号',
    keep: '请保存下面的查询链接，凭它查看处理进度和结果。链接已记在本机“我的举报”中。',
    follow: '查看处理进度',
    copy: '复制链接',
    copied: '已复制',
    another: '再举报一个',
  },
  mine: {
    empty: '本机还没有举报记录',
    reportedAt: '{{time}} 提交',
    forget: '从本机删除',
  },
  track: {
    title: '处理进度',
    number: '案件编号 {{number}}',
    notFound: '没有找到该案件，或查询码不正确',
    reload: '刷新',
    place: '位置',
    category: '问题',
    reported: '举报时间',
    closed: '办结时间',
    progress: '办理过程',
    yourPhotos: '您上传的照片',
    afterPhotos: '处理后照片',
    rateTitle: '您对处理结果满意吗？',
    comment: '说点什么（选填）',
    rate: '提交评价',
    rated: '您的评价',
    thanks: '感谢您的评价',
    notFixed: '问题没有解决',
    notFixedTitle: '问题没有解决？',
    notFixedHint: '请说明现场情况，我们会重新核查处理',
    reason: '现场情况',
    reasonHint: '例如：垃圾只清理了一半',
    send: '提交',
    cancel: '取消',
    reopenUntil: '如问题未解决，可在 {{time}} 前反映',
    reopened: '您已反映问题未解决，已转交重新核查',
    needStars: '请先选择星级',
    needReason: '请说明现场情况',
    failed: '操作失败：{{message}}',
  },
  stars: ['很不满意', '不满意', '一般', '满意', '非常满意'],
  state: {
    reported: '已受理登记',
    verifying: '核实中',
    accepted: '已受理',
    registered: '已立案，待派遣',
    coordination: '协调处理中',
    dispatched: '已派遣至责任单位',
    handling: '处理中',
    suspended: '暂缓处理',
    feedback: '处理完毕，待核查',
    checking: '核查中',
    to_close: '待办结',
    self_review: '审核中',
    closed: '已办结',
    not_accepted: '不予受理',
    not_registered: '不予立案',
    cancelled: '已撤销',
    merged: '已与同一问题合并处理',
    reopened: '重新核查中',
  },
  milestone: {
    report: '提交举报',
    accept: '受理',
    reject: '不予受理',
    send_verify: '派员核实',
    verify: '核实属实',
    verify_reject: '核实不属实',
    register: '立案',
    refuse: '不予立案',
    auto_register: '立案',
    dispatch: '派遣至责任单位',
    auto_dispatch: '派遣至责任单位',
    to_coordination: '协调权属',
    sign: '责任单位签收',
    feedback: '处理完毕',
    send_check: '安排核查',
    check_pass: '核查通过',
    check_fail: '核查未通过，返工',
    close: '办结',
    close_reject: '返工',
    return_request: '申请退回',
    return_approve: '重新派遣',
    postpone_request: '申请延期',
    postpone_approve: '延期处理',
    suspend_request: '申请暂缓',
    suspend_approve: '暂缓处理',
    resume: '恢复处理',
    request_reject: '继续处理',
    merge: '合并处理',
    cancel: '撤销',
    rate: '您已评价',
    reopen: '您反映未解决',
    review_close: '复核：维持办结',
    review_rework: '复核：返工处理',
    review_redispatch: '复核：重新派遣',
  },
};

type Texts = typeof zhCN;

const en: Texts = {
  title: 'Snap & Report',
  subtitle: 'Report a city problem',
  lang: '中文',
  tabs: { report: 'Report', mine: 'My reports' },
  report: {
    photos: 'Photos',
    addPhoto: 'Take or pick a photo',
    photoHint: 'Up to {{max}}, shrunk before upload',
    removePhoto: 'Remove photo',
    place: 'Where is it?',
    locate: 'Use my location',
    locating: 'Finding you…',
    gpsFailed: 'No location available; search an address or tap the map',
    mapHint: 'Tap the map or drag the pin to where the problem is',
    search: 'Search an address or street',
    noHits: 'No such address found',
    outside: 'This place is outside the city’s area',
    category: 'What kind of problem?',
    description: 'Description',
    descriptionHint: 'e.g. Rubbish piled at the estate gate for days, it smells',
    phone: 'Phone (optional)',
    phoneHint: 'Only for staff to call back; never shown',
    submit: 'Send report',
    sending: 'Sending…',
    needPlace: 'Mark where the problem is',
    needCategory: 'Choose the kind of problem',
    needDescription: 'Describe the problem briefly',
    badPhone: 'That phone number does not look right',
    failed: 'Could not send: {{message}}',
    photoUnreadable: 'This photo cannot be read',
  },
  done: {
    title: 'Report sent',
    number: 'Case number',
    keep: 'Keep the link below: it shows the progress and the result. It is also saved under “My reports” on this phone.',
    follow: 'Follow the case',
    copy: 'Copy link',
    copied: 'Copied',
    another: 'Report another',
  },
  mine: {
    empty: 'No reports from this phone yet',
    reportedAt: 'Sent {{time}}',
    forget: 'Remove from this phone',
  },
  track: {
    title: 'Progress',
    number: 'Case {{number}}',
    notFound: 'No such case, or the tracking code is wrong',
    reload: 'Refresh',
    place: 'Place',
    category: 'Problem',
    reported: 'Reported',
    closed: 'Closed',
    progress: 'What has been done',
    yourPhotos: 'Your photos',
    afterPhotos: 'After the work',
    rateTitle: 'Are you satisfied with the result?',
    comment: 'Comment (optional)',
    rate: 'Send rating',
    rated: 'Your rating',
    thanks: 'Thank you for your rating',
    notFixed: 'Not fixed',
    notFixedTitle: 'Still not fixed?',
    notFixedHint: 'Tell us what you see; the case goes back for review',
    reason: 'What you see',
    reasonHint: 'e.g. Only half of the rubbish was taken away',
    send: 'Send',
    cancel: 'Cancel',
    reopenUntil: 'If it is not fixed, say so before {{time}}',
    reopened: 'You said it is not fixed; the case is being reviewed',
    needStars: 'Choose the stars first',
    needReason: 'Say what you see',
    failed: 'Failed: {{message}}',
  },
  stars: ['Very unhappy', 'Unhappy', 'OK', 'Happy', 'Very happy'],
  state: {
    reported: 'Received',
    verifying: 'Being verified',
    accepted: 'Accepted',
    registered: 'Registered, to be assigned',
    coordination: 'Finding who is responsible',
    dispatched: 'Assigned to the responsible unit',
    handling: 'Being handled',
    suspended: 'On hold',
    feedback: 'Done, to be checked',
    checking: 'Being checked',
    to_close: 'About to close',
    self_review: 'Under review',
    closed: 'Closed',
    not_accepted: 'Not accepted',
    not_registered: 'Not registered',
    cancelled: 'Withdrawn',
    merged: 'Handled together with the same problem',
    reopened: 'Being reviewed again',
  },
  milestone: {
    report: 'Reported',
    accept: 'Accepted',
    reject: 'Not accepted',
    send_verify: 'Sent for verification',
    verify: 'Verified',
    verify_reject: 'Not confirmed on site',
    register: 'Registered',
    refuse: 'Not registered',
    auto_register: 'Registered',
    dispatch: 'Assigned',
    auto_dispatch: 'Assigned',
    to_coordination: 'Finding who is responsible',
    sign: 'Taken on by the unit',
    feedback: 'Work done',
    send_check: 'Check arranged',
    check_pass: 'Checked: fixed',
    check_fail: 'Checked: redo',
    close: 'Closed',
    close_reject: 'Redo',
    return_request: 'Return asked',
    return_approve: 'Reassigned',
    postpone_request: 'Extension asked',
    postpone_approve: 'Extended',
    suspend_request: 'Hold asked',
    suspend_approve: 'On hold',
    resume: 'Resumed',
    request_reject: 'Work continues',
    merge: 'Merged',
    cancel: 'Withdrawn',
    rate: 'You rated it',
    reopen: 'You said it is not fixed',
    review_close: 'Review: closed as done',
    review_rework: 'Review: sent back for rework',
    review_redispatch: 'Review: reassigned',
  },
};

const STORAGE_KEY = 'cityloop.lang';

function initialLanguage(): 'zh-CN' | 'en' {
  try {
    if (localStorage.getItem(STORAGE_KEY) === 'en') return 'en';
  } catch {
    // storage unavailable (private mode): the default
  }
  return 'zh-CN';
}

const i18n = i18next.createInstance();
void i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: zhCN }, en: { translation: en } },
  lng: initialLanguage(),
  fallbackLng: 'zh-CN',
  interpolation: { escapeValue: false },
  returnNull: false,
});
document.documentElement.lang = i18n.language;

/** Switches between Simplified Chinese and English, and remembers the choice. */
export function toggleLanguage(): void {
  const next = i18n.language === 'en' ? 'zh-CN' : 'en';
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not kept; the switch still applies
  }
  void i18n.changeLanguage(next);
  document.documentElement.lang = next;
}

/**
 * The server's messages are "中文 / English": the half in the page's language.
 */
export function localize(message: string): string {
  const i = message.indexOf(' / ');
  if (i < 0) return message;
  return i18n.language === 'en' ? message.slice(i + 3) : message.slice(0, i);
}

export default i18n;
