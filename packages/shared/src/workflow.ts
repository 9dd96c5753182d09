/** Case sources (channels). */
export const CASE_SOURCES = ['inspector', 'public', 'hotline', 'leader', 'media', 'iot', 'video', 'system'] as const;
export type CaseSource = (typeof CASE_SOURCES)[number];
export const CASE_SOURCE_LABELS: Record<CaseSource, string> = {
  inspector: '监督员上报',
  public: '公众举报',
  hotline: '热线 12345/12319',
  leader: '领导交办',
  media: '媒体曝光',
  iot: '物联感知',
  video: '视频分析',
  system: '系统对接',
};

export const WORKFLOWS = ['standard', 'flattened'] as const;
export type WorkflowName = (typeof WORKFLOWS)[number];

/** Case states. Terminal: closed, not_accepted, not_registered, cancelled. */
export const CASE_STATES = [
  'reported', // 待受理
  'verifying', // 核实中
  'accepted', // 待立案
  'registered', // 待派遣
  'coordination', // 协同（权属不清）
  'dispatched', // 待签收
  'handling', // 处置中
  'suspended', // 挂账
  'feedback', // 已反馈，待发核查
  'checking', // 核查中
  'to_close', // 待结案
  'self_review', // 自处理待审核
  'closed', // 已结案
  'not_accepted', // 不予受理
  'not_registered', // 不予立案
  'cancelled', // 作废
  'merged', // 已合并到另一案卷
  'reopened', // 公众反映未解决，待复核
] as const;
export type CaseState = (typeof CASE_STATES)[number];
export const TERMINAL_STATES: readonly CaseState[] = ['closed', 'not_accepted', 'not_registered', 'cancelled', 'merged'];

export const CASE_STATE_LABELS: Record<CaseState, string> = {
  reported: '待受理',
  verifying: '核实中',
  accepted: '待立案',
  registered: '待派遣',
  coordination: '协同',
  dispatched: '待签收',
  handling: '处置中',
  suspended: '挂账',
  feedback: '待发核查',
  checking: '核查中',
  to_close: '待结案',
  self_review: '自处理待审核',
  closed: '已结案',
  not_accepted: '不予受理',
  not_registered: '不予立案',
  cancelled: '已作废',
  merged: '已合并',
  reopened: '未解决待复核',
};

/**
 * Phases of the loop. Evaluation reads phases, never state names, so a city can reshape
 * its flow without breaking statistics.
 */
export const PHASES = [
  'report',
  'receive',
  'verify',
  'register',
  'dispatch',
  'dispose',
  'check',
  'close',
  'supervise',
  'suspend',
  'cancel',
  'appraise',
] as const;
export type Phase = (typeof PHASES)[number];
export const PHASE_LABELS: Record<Phase, string> = {
  report: '信息收集',
  receive: '受理',
  verify: '核实',
  register: '立案',
  dispatch: '派遣',
  dispose: '处置',
  check: '核查',
  close: '结案',
  supervise: '督办',
  suspend: '挂账',
  cancel: '作废',
  appraise: '公众评价',
};

export const CASE_ACTIONS = [
  'report',
  'accept',
  'reject',
  'send_verify',
  'verify',
  'verify_reject',
  'register',
  'refuse',
  'cancel',
  'dispatch',
  'to_coordination',
  'sign',
  'feedback',
  'send_check',
  'check_pass',
  'check_fail',
  'close',
  'close_reject',
  'return_request',
  'return_approve',
  'postpone_request',
  'postpone_approve',
  'suspend_request',
  'suspend_approve',
  'resume',
  'request_reject',
  'supervise',
  'self_approve',
  'self_reject',
  'auto_register',
  'auto_dispatch',
  'merge',
  // The public reporter, with the tracking code: 满意度评价 and 未解决 (reopens a closed case).
  'rate',
  'reopen',
  // The centre's review of a reopened case: 维持结案, 返工 to the same department, 重新派遣.
  'review_close',
  'review_rework',
  'review_redispatch',
] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

export const ARCHIVE_TYPES = ['normal', 'overdue', 'error', 'special'] as const;
export type ArchiveType = (typeof ARCHIVE_TYPES)[number];
export const ARCHIVE_TYPE_LABELS: Record<ArchiveType, string> = { normal: '正常', overdue: '超时', error: '差错', special: '特殊' };

export const SEVERITIES = ['normal', 'major', 'urgent'] as const;
export type Severity = (typeof SEVERITIES)[number];
