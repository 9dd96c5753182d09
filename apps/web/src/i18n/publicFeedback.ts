/**
 * The console's words for the public reporter's say after 结案 (rating, 未解决) and the centre's
 * review of a reopened case, merged into the console's resources at start.
 */
export const publicFeedbackZh = {
  states: { reopened: '未解决待复核' },
  phases: { appraise: '公众评价' },
  actions: {
    rate: '公众评价',
    reopen: '公众反映未解决',
    review_close: '维持结案',
    review_rework: '复核返工',
    review_redispatch: '重新派遣',
  },
  caseDetail: {
    publicFeedback: '公众评价',
    rating: '{{stars}} 星',
    notFixed: '反映未解决：{{reason}}',
  },
};

export const publicFeedbackEn: typeof publicFeedbackZh = {
  states: { reopened: 'Reopened for review' },
  phases: { appraise: 'Public feedback' },
  actions: {
    rate: 'Public rating',
    reopen: 'Reporter: not fixed',
    review_close: 'Keep closed',
    review_rework: 'Send back for rework',
    review_redispatch: 'Dispatch again',
  },
  caseDetail: {
    publicFeedback: 'Public feedback',
    rating: '{{stars}} stars',
    notFixed: 'Not fixed: {{reason}}',
  },
};
