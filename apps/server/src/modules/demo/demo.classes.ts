/**
 * Component classes of CJ/T 214-2007 (appendix A) as the demo city uses them: code,
 * name, geometry type, relative frequency in a census, where along a road they stand,
 * and which department owns and maintains them. Names follow the shared class table;
 * frequencies and departments are plausible defaults for a mid-sized city, not data.
 */
export const DEMO_EDITION = 'CJT214-2007';

/** Where a component stands relative to the nearest road centre line. */
export type Placement = 'road' | 'curb' | 'side' | 'block';

/**
 * Department keys: city-level departments (see DEMO_CITY_DEPARTMENTS), or 'district' (the
 * component's district 城管执法局) / 'street' (its street office).
 */
export type DeptKey = 'cgj' | 'sz' | 'yl' | 'hw' | 'jj' | 'sw' | 'gd' | 'tx' | 'rq' | 'gb' | 'jt' | 'sthj' | 'zj' | 'district' | 'street';

export interface DemoClass {
  code: string;
  name: string;
  geometry: 'point' | 'line' | 'polygon';
  weight: number;
  place: Placement;
  owner: DeptKey;
  maintainer: DeptKey;
}

type Row = [
  code: string,
  name: string,
  geometry: DemoClass['geometry'],
  weight: number,
  place: Placement,
  owner: DeptKey,
  maintainer?: DeptKey,
];

// biome-ignore format: one class per line reads best
const ROWS: Row[] = [
  ['0101', '上水井盖', 'point', 30000, 'road', 'sw'],
  ['0102', '污水井盖', 'point', 32000, 'road', 'sw'],
  ['0103', '雨水井盖', 'point', 36000, 'road', 'sz'],
  ['0104', '雨水箅子', 'point', 40000, 'curb', 'sz'],
  ['0105', '电力井盖', 'point', 14000, 'road', 'gd'],
  ['0106', '路灯井盖', 'point', 8000, 'curb', 'sz'],
  ['0107', '通讯井盖', 'point', 18000, 'road', 'tx'],
  ['0108', '电视井盖', 'point', 4000, 'road', 'gb'],
  ['0109', '网络井盖', 'point', 3000, 'road', 'gb'],
  ['0110', '热力井盖', 'point', 600, 'road', 'zj'],
  ['0111', '燃气井盖', 'point', 9000, 'road', 'rq'],
  ['0112', '公安井盖', 'point', 2000, 'road', 'jj'],
  ['0113', '消防设施', 'point', 3500, 'curb', 'sw'],
  ['0114', '无主井盖', 'point', 1500, 'road', 'cgj', 'district'],
  ['0115', '通讯交接箱', 'point', 3000, 'side', 'tx'],
  ['0116', '电力设施', 'point', 2500, 'side', 'gd'],
  ['0117', '立杆', 'point', 12000, 'curb', 'gd'],
  ['0118', '路灯', 'point', 40000, 'curb', 'sz'],
  ['0119', '地灯', 'point', 2500, 'side', 'sz'],
  ['0120', '景观灯', 'point', 6000, 'side', 'yl'],
  ['0121', '报刊亭', 'point', 200, 'side', 'cgj', 'district'],
  ['0122', '电话亭', 'point', 300, 'side', 'tx'],
  ['0123', '邮筒', 'point', 150, 'side', 'tx'],
  ['0124', '信息亭', 'point', 100, 'side', 'cgj', 'district'],
  ['0125', '自动售货机', 'point', 300, 'side', 'cgj', 'district'],
  ['0126', '健身设施', 'point', 1200, 'block', 'yl'],
  ['0127', '中水井盖', 'point', 500, 'road', 'sw'],
  ['0128', '公交井盖', 'point', 300, 'road', 'jt'],
  ['0129', '输油（气）井盖', 'point', 200, 'road', 'rq'],
  ['0130', '特殊井盖', 'point', 300, 'road', 'cgj', 'district'],
  ['0131', '民用水井', 'point', 50, 'block', 'sw'],
  ['0132', '供水器', 'point', 400, 'side', 'sw'],
  ['0133', '高压线铁塔', 'point', 300, 'block', 'gd'],
  ['0134', '变压器（箱）', 'point', 2500, 'side', 'gd'],
  ['0135', '燃气调压站（箱）', 'point', 600, 'block', 'rq'],
  ['0136', '监控电子眼', 'point', 5000, 'curb', 'jj'],
  ['0137', '售货亭', 'point', 300, 'side', 'cgj', 'district'],
  ['0138', '治安岗亭', 'point', 150, 'side', 'jj'],
  ['0201', '停车场', 'polygon', 800, 'block', 'jj'],
  ['0202', '停车咪表', 'point', 1500, 'curb', 'jj'],
  ['0203', '公交站亭', 'point', 1200, 'curb', 'jt'],
  ['0204', '出租车站牌', 'point', 200, 'curb', 'jt'],
  ['0205', '过街天桥', 'line', 40, 'road', 'sz'],
  ['0206', '地下通道', 'line', 30, 'road', 'sz'],
  ['0207', '高架立交桥', 'polygon', 10, 'road', 'sz'],
  ['0208', '跨河桥', 'line', 20, 'road', 'sz'],
  ['0209', '交通标志牌', 'point', 12000, 'curb', 'jj'],
  ['0210', '交通信号灯', 'point', 3000, 'curb', 'jj'],
  ['0211', '交通护栏', 'line', 8000, 'road', 'jj'],
  ['0212', '存车支架', 'point', 2000, 'side', 'cgj', 'district'],
  ['0213', '路名牌', 'point', 3000, 'curb', 'sz'],
  ['0214', '交通信号设施', 'point', 1500, 'curb', 'jj'],
  ['0215', '道路信息显示屏', 'point', 100, 'curb', 'jj'],
  ['0216', '道路隔音屏', 'line', 50, 'curb', 'sz'],
  ['0217', '交通岗亭', 'point', 100, 'road', 'jj'],
  ['0301', '公共厕所', 'point', 500, 'side', 'hw'],
  ['0302', '化粪池', 'point', 3000, 'block', 'hw'],
  ['0303', '公厕指示牌', 'point', 800, 'curb', 'hw'],
  ['0304', '垃圾间（楼）', 'point', 300, 'block', 'hw'],
  ['0305', '垃圾箱', 'point', 25000, 'curb', 'hw', 'street'],
  ['0306', '灯箱霓虹灯', 'point', 5000, 'side', 'cgj', 'district'],
  ['0307', '广告牌匾', 'point', 20000, 'side', 'cgj', 'district'],
  ['0308', '环保监测站', 'point', 30, 'block', 'sthj'],
  ['0309', '气象监测站', 'point', 10, 'block', 'sthj'],
  ['0310', '污水口监测站', 'point', 20, 'block', 'sthj'],
  ['0311', '噪声显示屏', 'point', 30, 'curb', 'sthj'],
  ['0401', '古树名木', 'point', 300, 'block', 'yl'],
  ['0402', '行道树', 'point', 45000, 'curb', 'yl'],
  ['0403', '护树设施', 'point', 15000, 'curb', 'yl'],
  ['0404', '花架花钵', 'point', 3000, 'side', 'yl'],
  ['0405', '绿地', 'polygon', 2000, 'block', 'yl'],
  ['0406', '雕塑', 'point', 200, 'block', 'yl'],
  ['0407', '街头坐椅', 'point', 4000, 'side', 'yl'],
  ['0408', '绿地护栏', 'line', 3000, 'side', 'yl'],
  ['0409', '绿地维护设施', 'point', 800, 'block', 'yl'],
  ['0410', '喷泉', 'point', 50, 'block', 'yl'],
  ['0501', '宣传栏', 'point', 2000, 'side', 'cgj', 'street'],
  ['0502', '人防工事', 'point', 100, 'block', 'zj'],
  ['0503', '公房地下室', 'point', 300, 'block', 'zj'],
  ['0601', '重大危险源', 'polygon', 30, 'block', 'sthj'],
  ['0602', '工地', 'polygon', 150, 'block', 'zj'],
  ['0603', '水域附属设施', 'point', 300, 'block', 'sw'],
  ['0604', '水域护栏', 'line', 400, 'block', 'sw'],
  ['0605', '港监设施', 'point', 50, 'block', 'jt'],
  ['0606', '防汛墙', 'line', 60, 'block', 'sw'],
];

export const DEMO_CLASSES: readonly DemoClass[] = ROWS.map(([code, name, geometry, weight, place, owner, maintainer]) => ({
  code,
  name,
  geometry,
  weight,
  place,
  owner,
  maintainer: maintainer ?? owner,
}));

/** Component count of the demo city at scale 1. */
export const DEMO_COMPONENTS_AT_SCALE_1 = 417_000;
