/**
 * Builds apps/server/standards/taxonomy.json — CityLoop's own standards data — from the
 * reference code tables (components.json and events.json, several editions each).
 *
 *   node --import tsx apps/server/standards/build.ts [path/to/reference/data]
 *
 * Default source folder: ../shared/data next to the repository. The server never reads
 * the reference tables: it only loads the taxonomy.json written here (committed).
 *
 * What this adds to the bare code tables, all as editable defaults (立结案标准):
 * geometry type per component class, 立案条件 / 结案条件, disposal limit, default
 * department code, severity levels. Limits named in STANDARDS.md §5 are used as given
 * (暴露垃圾 4 工作时, 井盖丢失 2 紧急工作时, …); the rest are sensible defaults.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Edition = 'CJT214-2007' | 'GBT47678.5-2026';
type Kind = 'component' | 'event';
type Geometry = 'point' | 'line' | 'polygon';
interface Limit {
  value: number;
  unit: 'minute' | 'hour' | 'day';
  timeType: 'urgent' | 'work' | 'natural';
}
interface Severity {
  code: string;
  name: string;
  limit?: Limit;
}
export interface StandardClass {
  code: string;
  name: string;
  level: 'major' | 'minor';
  parent: string | null;
  geometryType?: Geometry | null;
  filingCondition?: string;
  closingCondition?: string;
  disposalLimit?: Limit;
  defaultDepartmentCode?: string;
  severityLevels?: Severity[];
  relatedCode?: string;
  isExtension?: boolean;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = path.resolve(process.argv[2] ?? path.join(here, '../../../../shared/data'));
const outFile = path.join(here, 'taxonomy.json');

// ---------------------------------------------------------------------------
// Departments the defaults point at. Codes are data: a city maps them to its own units.
// ---------------------------------------------------------------------------
const DEPARTMENTS: Array<{ code: string; name: string }> = [
  { code: 'CG-SZ', name: '市政设施管理处（道路、桥梁、市政设施）' },
  { code: 'CG-LD', name: '路灯管理处' },
  { code: 'CG-YL', name: '园林绿化局' },
  { code: 'CG-HW', name: '环境卫生管理处' },
  { code: 'CG-SR', name: '市容景观管理处（户外广告、牌匾、亭棚）' },
  { code: 'CG-ZF', name: '城市管理综合执法支队' },
  { code: 'SW', name: '水务局（供水、排水、河道、防汛）' },
  { code: 'JJ', name: '公安交警支队' },
  { code: 'JT', name: '交通运输局（公交、出租、停车）' },
  { code: 'GA', name: '公安局（治安、监控、门牌）' },
  { code: 'XF', name: '消防救援支队' },
  { code: 'DL', name: '供电公司' },
  { code: 'TX', name: '通信管理（电信、移动、联通、广电）' },
  { code: 'RQ', name: '燃气公司' },
  { code: 'RL', name: '热力公司' },
  { code: 'ZJ', name: '住房和城乡建设局' },
  { code: 'HB', name: '生态环境局' },
  { code: 'SCJG', name: '市场监督管理局' },
  { code: 'MZ', name: '民政局（地名、救助）' },
  { code: 'WL', name: '文化和旅游局' },
  { code: 'AJ', name: '应急管理局' },
  { code: 'RF', name: '人民防空办公室' },
  { code: 'YZ', name: '邮政管理局' },
  { code: 'QX', name: '气象局' },
  { code: 'TY', name: '体育局' },
];

const work = (value: number, unit: Limit['unit'] = 'day'): Limit => ({ value, unit, timeType: 'work' });
const urgent = (value: number, unit: Limit['unit'] = 'hour'): Limit => ({ value, unit, timeType: 'urgent' });

/** A rule: which classes (by name) it covers and what they get. First match wins. */
interface Profile {
  dept: string;
  geometry?: Geometry;
  limit?: Limit;
  /** Severity names and limits that differ from the defaults. */
  severity?: { normal?: string; major?: string; majorLimit?: Limit; urgent?: string; urgentLimit?: Limit };
  filing?: string;
  closing?: string;
}
type Rule = [RegExp, Profile];

const COMPONENT_FILING = '{n}破损、缺失、倾斜、松动、污损或功能异常，影响正常使用或存在安全隐患';
const COMPONENT_CLOSING = '{n}已修复、更换或补齐，恢复正常使用，现场无安全隐患';
const EVENT_FILING = '城市公共区域出现{n}问题，影响市容环境、公共秩序或公共安全，经核实属实';
const EVENT_CLOSING = '{n}问题已处置完毕，现场恢复正常，经核查属实';

const MANHOLE: Profile = {
  dept: 'CG-SZ',
  limit: work(1),
  severity: { normal: '一般（破损、不平）', major: '较重（移位、松动、凹陷）', urgent: '紧急（井盖丢失）', urgentLimit: urgent(2) },
  filing: '{n}丢失、破损、移位、松动、凹陷或与路面高差明显，影响通行安全',
  closing: '{n}已补齐、更换、修复或复位，与路面平顺，无安全隐患',
};
const LIGHT: Profile = {
  dept: 'CG-LD',
  limit: work(2),
  filing: '{n}不亮、缺损、倾斜、灯杆锈蚀或线路外露',
  closing: '{n}已修复，恢复正常照明，无线路外露等安全隐患',
};
const TREE: Profile = {
  dept: 'CG-YL',
  limit: work(2),
  severity: { urgent: '紧急（倒伏、断枝影响通行）', urgentLimit: urgent(4) },
  filing: '{n}倒伏、断枝、枯死、缺失、严重病虫害或影响通行、架空线路安全',
  closing: '{n}已扶正、修剪、补植或清除，无安全隐患',
};
const AD: Profile = {
  dept: 'CG-SR',
  limit: work(3),
  severity: { urgent: '紧急（有坠落危险）', urgentLimit: urgent(2) },
  filing: '{n}破损、污损、字体残缺、灯光残亮或存在坠落等安全隐患',
  closing: '{n}已修复、清洗或拆除，整洁完好，无安全隐患',
};

/** Component classes (and GB/T 47678.5 facility matters, through their component). */
const COMPONENT_RULES: Rule[] = [
  // Manhole covers and gratings, by owner.
  [/(上水|供水|中水|民用水)井盖|水井$/, { ...MANHOLE, dept: 'SW' }],
  [/(污水|雨水|化粪池)井盖|雨水箅子|沟槽盖板/, { ...MANHOLE, dept: 'SW' }],
  [/(电力|电缆)井盖/, { ...MANHOLE, dept: 'DL' }],
  [/路灯井盖/, { ...MANHOLE, dept: 'CG-LD' }],
  [/(通讯|通信|电视|网络)井盖/, { ...MANHOLE, dept: 'TX' }],
  [/热力井盖/, { ...MANHOLE, dept: 'RL' }],
  [/(燃气|输油（气）)井盖/, { ...MANHOLE, dept: 'RQ' }],
  [/公安井盖/, { ...MANHOLE, dept: 'GA' }],
  [/信号灯电源井盖/, { ...MANHOLE, dept: 'JJ' }],
  [/公交井盖/, { ...MANHOLE, dept: 'JT' }],
  [/园林井盖/, { ...MANHOLE, dept: 'CG-YL' }],
  [/井盖/, MANHOLE],
  // Lighting.
  [/路灯|地灯|景观灯/, LIGHT],
  // Traffic control.
  [/交通信号灯|交通信号设施/, { dept: 'JJ', limit: work(1), severity: { urgent: '紧急（路口信号失灵）', urgentLimit: urgent(2) } }],
  [/交通护栏|柔性隔离体/, { dept: 'JJ', geometry: 'line', limit: work(2) }],
  [/减速带/, { dept: 'JJ', geometry: 'line', limit: work(3) }],
  [/安全岛/, { dept: 'JJ', geometry: 'polygon', limit: work(3) }],
  [/交通标志|限高架|防撞桶|人行横道桩|便道桩|交通岗亭|交通反视镜/, { dept: 'JJ', limit: work(2) }],
  [/监控电子眼|紧急报警点|治安岗亭|公安/, { dept: 'GA', limit: work(2) }],
  [/门（楼号）牌/, { dept: 'GA', limit: work(5) }],
  // Roads and structures.
  [
    /立交桥/,
    { dept: 'CG-SZ', geometry: 'polygon', limit: work(3), severity: { urgent: '紧急（结构损坏危及安全）', urgentLimit: urgent(2) } },
  ],
  [
    /天桥|地下通道|跨河桥|栈桥|铁路桥涵|公路隧道/,
    { dept: 'CG-SZ', geometry: 'line', limit: work(3), severity: { urgent: '紧急（结构损坏危及安全）', urgentLimit: urgent(2) } },
  ],
  [/道路隔音屏/, { dept: 'CG-SZ', geometry: 'line', limit: work(3) }],
  [/路名牌|地名牌/, { dept: 'MZ', limit: work(5) }],
  [/无障碍设施|综合管廊|综合杆|旗杆|牌楼|特殊立杆|不明立杆|^立杆$|道路信息显示屏/, { dept: 'CG-SZ', limit: work(2) }],
  // Public transport and parking.
  [/停车场|立体车库/, { dept: 'JT', geometry: 'polygon', limit: work(3) }],
  [/非机动车停放点/, { dept: 'JT', geometry: 'polygon', limit: work(2) }],
  [/公交|出租车|轨道交通|自行车租赁|存车支架|停车咪表|停车计费|停车信息显示屏|铁道口|港监/, { dept: 'JT', limit: work(2) }],
  // Sanitation.
  [
    /公共厕所/,
    {
      dept: 'CG-HW',
      limit: work(1),
      filing: '{n}设施损坏、脏污、异味严重、无法正常使用或未按时开放',
      closing: '{n}已修复、保洁到位，恢复正常使用',
    },
  ],
  [
    /垃圾箱|垃圾间/,
    { dept: 'CG-HW', limit: work(1), filing: '{n}破损、缺失、满溢、脏污或位置不当', closing: '{n}已修复、补齐、清运或清洗，整洁完好' },
  ],
  [/公厕指示牌|化粪池|环卫工具|拾便|烟头/, { dept: 'CG-HW', limit: work(2) }],
  // Outdoor advertising and signboards.
  [/广告|牌匾|灯箱|霓虹灯|宣传栏|管理责任公示牌/, AD],
  // Kiosks and street furniture.
  [/报刊亭|售货亭|自动售货机|自助缴费机|休息亭|快递柜|晒衣架|旧衣物回收箱|信息亭/, { dept: 'CG-SR', limit: work(3) }],
  [/电话亭|通讯|通信|基站/, { dept: 'TX', limit: work(2) }],
  [/邮筒/, { dept: 'YZ', limit: work(3) }],
  [/健身设施/, { dept: 'TY', limit: work(3), severity: { urgent: '紧急（存在伤人隐患）', urgentLimit: urgent(4) } }],
  // Utilities.
  [/电力|变压器|高压线|充电桩/, { dept: 'DL', limit: work(2), severity: { urgent: '紧急（漏电、倒杆等危险）', urgentLimit: urgent(2) } }],
  [/燃气|输油/, { dept: 'RQ', limit: work(1), severity: { urgent: '紧急（泄漏等危险）', urgentLimit: urgent(1) } }],
  [/供热|热力/, { dept: 'RL', limit: work(2), severity: { urgent: '紧急（泄漏、烫伤危险）', urgentLimit: urgent(2) } }],
  [/防汛墙|防洪墙|水域护栏/, { dept: 'SW', geometry: 'line', limit: work(3) }],
  [/跨河管道/, { dept: 'SW', geometry: 'line', limit: work(3) }],
  [/供水器|水鹤|水塔|排水泵站|雨污水排放口|防汛监测|水域|防蚊闸|水井/, { dept: 'SW', limit: work(2) }],
  [/消防/, { dept: 'XF', limit: work(1), severity: { urgent: '紧急（消防设施失效）', urgentLimit: urgent(2) } }],
  [/公用电梯/, { dept: 'ZJ', limit: work(1), severity: { urgent: '紧急（困人、停运）', urgentLimit: urgent(1) } }],
  // Monitoring stations.
  [/环保监测|污水口监测|污水监测|噪声显示/, { dept: 'HB', limit: work(3) }],
  [/气象监测/, { dept: 'QX', limit: work(3) }],
  // Green space.
  [/古树名木/, { ...TREE, limit: work(1), severity: { urgent: '紧急（倒伏、断枝、遭破坏）', urgentLimit: urgent(2) } }],
  [/行道树|独立树/, TREE],
  [/绿地护栏/, { dept: 'CG-YL', geometry: 'line', limit: work(3) }],
  [
    /^绿地$|林地/,
    {
      dept: 'CG-YL',
      geometry: 'polygon',
      limit: work(3),
      filing: '{n}缺株、黄土裸露、被占用、毁坏或严重病虫害',
      closing: '{n}已补植、清理或恢复，绿化完好',
    },
  ],
  [/护树|花架|花钵|雕塑|坐椅|座椅|喷泉|树池|挂箱|绿地/, { dept: 'CG-YL', limit: work(3) }],
  // Buildings, land, other.
  [/人防/, { dept: 'RF', limit: work(5) }],
  [/公房地下室/, { dept: 'ZJ', limit: work(5) }],
  [
    /重大危险源/,
    { dept: 'AJ', geometry: 'polygon', limit: work(1), severity: { urgent: '紧急（泄漏、火情等危险）', urgentLimit: urgent(1) } },
  ],
  [/应急避难/, { dept: 'AJ', limit: work(3) }],
  [/加油/, { dept: 'AJ', geometry: 'polygon', limit: work(1), severity: { urgent: '紧急（泄漏、火情等危险）', urgentLimit: urgent(1) } }],
  [/^工地$/, { dept: 'ZJ', geometry: 'polygon', limit: work(2) }],
  [/文物|景区/, { dept: 'WL', limit: work(3) }],
  [/救助站/, { dept: 'MZ', limit: work(3) }],
  [/港监|铁道/, { dept: 'JT', limit: work(2) }],
];
const COMPONENT_DEFAULT: Profile = { dept: 'CG-SZ', limit: work(2) };

const ORDER: Profile = { dept: 'CG-ZF', limit: work(4, 'hour') };
const EMERGENCY = (dept: string, limit = urgent(2)): Profile => ({
  dept,
  limit,
  severity: { urgent: '紧急（危及人身财产安全）', urgentLimit: urgent(1) },
  filing: '发生{n}，影响公共安全或城市正常运行，经核实属实',
  closing: '{n}已排除险情并修复，现场恢复正常，经核查属实',
});

/** Event classes (CJ/T 214 events and GB/T 47678.5 event matters 06-10). */
const EVENT_RULES: Rule[] = [
  // 市容环境
  [
    /私搭乱建|违法搭建|无证建设/,
    {
      dept: 'CG-ZF',
      limit: work(7),
      severity: {
        normal: '一般（依法处罚）',
        major: '较重（需拆除）',
        majorLimit: work(20),
        urgent: '紧急（正在搭建，需制止）',
        urgentLimit: work(4, 'hour'),
      },
      filing: '未经批准在公共区域、建筑物及其附属空间擅自搭建建（构）筑物，经核实属实',
      closing: '已制止搭建并依法处罚或拆除，现场恢复原状',
    },
  ],
  [
    /暴露垃圾/,
    {
      dept: 'CG-HW',
      limit: work(4, 'hour'),
      filing: '道路、广场、绿地、水域沿岸等公共区域出现暴露垃圾（生活垃圾、建筑垃圾、废弃物等）',
      closing: '垃圾已清运，现场清洁无残留',
    },
  ],
  [
    /积存垃圾渣土/,
    { dept: 'CG-HW', limit: work(4), filing: '公共区域积存垃圾、渣土未及时清运', closing: '垃圾、渣土已全部清运，现场平整清洁' },
  ],
  [
    /道路不洁/,
    {
      dept: 'CG-HW',
      limit: work(5, 'hour'),
      filing: '道路、人行道有明显污物、泥土、油污等，保洁不到位',
      closing: '道路已清扫冲洗，路面清洁',
    },
  ],
  [
    /道路遗撒/,
    {
      dept: 'CG-HW',
      limit: work(4, 'hour'),
      filing: '运输车辆遗撒渣土、砂石、垃圾等污染路面',
      closing: '遗撒物已清除，路面清洁；责任车辆依法处理',
    },
  ],
  [
    /水域不洁|沙（河）滩不洁/,
    { dept: 'SW', limit: work(15), filing: '河道、湖泊等水域或岸滩有漂浮物、垃圾、油污等', closing: '水面及岸滩已打捞清理，洁净无漂浮物' },
  ],
  [/河道污染|占用河道|水域秩序/, { dept: 'SW', limit: work(5) }],
  [/河堤破损|堤岸破损/, { dept: 'SW', limit: work(5), severity: { urgent: '紧急（汛期险情）', urgentLimit: urgent(2) } }],
  [/绿地脏乱|绿化弃料|公园秩序/, { dept: 'CG-YL', limit: work(1) }],
  [/非法伐树/, { dept: 'CG-YL', limit: work(4, 'hour') }],
  [/病虫害|非法占绿毁绿/, { dept: 'CG-YL', limit: work(5) }],
  [/树挂|吊挂/, { dept: 'CG-YL', limit: work(1), filing: '树木、绿篱、架空线上悬挂塑料袋等废弃物或私拉绳线', closing: '悬挂物已清除' }],
  [
    /废弃车辆/,
    {
      dept: 'JJ',
      limit: work(5),
      filing: '道路、小区外公共区域长期停放无牌、破损、无人使用的废弃车辆',
      closing: '废弃车辆已移走，现场清理干净',
    },
  ],
  [/废弃家具/, { dept: 'CG-HW', limit: work(1) }],
  [
    /^道路破损$/,
    {
      dept: 'CG-SZ',
      limit: work(3),
      severity: { urgent: '紧急（坑洞影响通行安全）', urgentLimit: urgent(2) },
      filing: '车行道、人行道出现坑槽、沉陷、裂缝、拱起或铺装松动缺失',
      closing: '破损路面已修复平整',
    },
  ],
  [/台阶破损|路缘石|盲道|无障碍坡道|边坡/, { dept: 'CG-SZ', limit: work(3) }],
  [/外立面|阳台|彩旗|遮阳篷|节庆装饰/, { dept: 'CG-SR', limit: work(5) }],
  [/焚烧/, { dept: 'CG-ZF', limit: work(2, 'hour') }],
  [/油烟污染|噪声扰民|乱倒乱排|非正规垃圾填埋场/, { dept: 'HB', limit: work(5) }],
  [/医疗废物/, { dept: 'HB', limit: work(4, 'hour') }],
  [/动物尸体/, { dept: 'CG-HW', limit: work(4, 'hour') }],
  [/垃圾未分类/, { dept: 'CG-HW', limit: work(1) }],
  [/垃圾站（箱）满溢/, { dept: 'CG-HW', limit: work(4, 'hour') }],
  [/家禽家畜|店面无证装修|违章接坡|架设管线|违章开设道口|地锁/, { dept: 'CG-ZF', limit: work(5) }],
  [/交通标线/, { dept: 'JJ', limit: work(5) }],
  [/空调室外机/, { dept: 'CG-ZF', limit: work(5) }],
  [/沿街晾挂|乱堆物|乱堆杂物/, { dept: 'CG-ZF', limit: work(1) }],
  [/露天烧烤/, { dept: 'CG-ZF', limit: work(2, 'hour') }],
  // 宣传广告
  [
    /非法小广告/,
    { dept: 'CG-HW', limit: work(1), filing: '在建筑物、构筑物、设施上张贴、涂写、刻画小广告', closing: '小广告已清除，无残留痕迹' },
  ],
  [/街头散发广告|促销宣传/, { dept: 'CG-ZF', limit: work(4, 'hour') }],
  [/广告招牌破损|宣传品缺损/, { ...AD }],
  [/广告|牌匾|标语|宣传品|语言文字/, { dept: 'CG-SR', limit: work(5) }],
  // 施工管理
  [/施工扰民|工地扬尘|车轮夹带/, { dept: 'ZJ', limit: work(4, 'hour') }],
  [/掘路/, { dept: 'CG-ZF', limit: work(4, 'hour') }],
  [/渣土运输/, { dept: 'CG-ZF', limit: work(4, 'hour') }],
  [/高空悬吊/, { dept: 'ZJ', limit: work(2, 'hour'), severity: { urgent: '紧急（危及行人安全）', urgentLimit: urgent(1) } }],
  [/预埋件/, { dept: 'CG-SZ', limit: work(1) }],
  [/施工占道|施工废弃料|施工物料/, { dept: 'ZJ', limit: work(1) }],
  [/施工|工地/, { dept: 'ZJ', limit: work(3) }],
  // 突发事件 (CJ/T 214 major 04; GB/T 47678.5 keeps two of them in 10 其他事项)
  [/路面塌陷/, EMERGENCY('CG-SZ')],
  [/自来水管破裂/, EMERGENCY('SW')],
  [/燃气管道破裂/, EMERGENCY('RQ', urgent(1))],
  [/下水道堵塞/, EMERGENCY('SW')],
  [/热力管道破裂/, EMERGENCY('RL')],
  [/道路积水/, EMERGENCY('SW')],
  [/积雪|结冰/, EMERGENCY('CG-HW', urgent(4))],
  [/架空线缆/, EMERGENCY('TX')],
  [/群发性事件/, EMERGENCY('GA', urgent(1))],
  [/突发/, EMERGENCY('CG-ZF')],
  // 街面秩序
  [/非机动车乱停放/, ORDER],
  [/机动车乱停放/, { dept: 'JJ', limit: work(2, 'hour') }],
  [/共享单车/, { dept: 'JT', limit: work(4, 'hour') }],
  [/黑车/, { dept: 'JT', limit: work(4, 'hour') }],
  [/违规设置停车场/, { dept: 'JT', limit: work(5) }],
  [/流浪乞讨/, { dept: 'MZ', limit: work(4, 'hour') }],
  [/消防通道/, { dept: 'XF', limit: work(2, 'hour') }],
  [/无证餐饮|农贸市场|屠宰/, { dept: 'SCJG', limit: work(1) }],
  [/出版物/, { dept: 'WL', limit: work(1) }],
  [/畜力车|履带车/, { dept: 'JJ', limit: work(4, 'hour') }],
  [/废品收购|早（夜）市/, { dept: 'CG-ZF', limit: work(1) }],
  [/桥下空间/, { dept: 'CG-ZF', limit: work(5) }],
  [/游商|店外经营|占道|商业噪音|无障碍通道|洗车/, ORDER],
];
/** Fallback per major when no rule matches (the 99 catch-alls, city extensions). */
const EVENT_MAJOR_DEFAULT: Record<string, Profile> = {
  'CJT214-2007/01': { dept: 'CG-ZF', limit: work(1) },
  'CJT214-2007/02': { dept: 'CG-SR', limit: work(1) },
  'CJT214-2007/03': { dept: 'ZJ', limit: work(1) },
  'CJT214-2007/04': EMERGENCY('CG-ZF'),
  'CJT214-2007/05': { dept: 'CG-ZF', limit: work(1) },
};
const EVENT_DEFAULT: Profile = { dept: 'CG-ZF', limit: work(1) };

function match(rules: Rule[], name: string): Profile | null {
  for (const [re, p] of rules) if (re.test(name)) return p;
  return null;
}

/** Longest-first comparison of limits in minutes (urgent clock = wall time, work day = 8 h). */
function minutes(l: Limit): number {
  const perUnit = l.unit === 'minute' ? 1 : l.unit === 'hour' ? 60 : l.timeType === 'work' ? 480 : 1440;
  return l.value * perUnit;
}

function severityLevels(p: Profile, limit: Limit): Severity[] {
  const s = p.severity ?? {};
  let urgentLimit = s.urgentLimit ?? urgent(2);
  // The urgent level always allows less time than the normal limit: half of it at most.
  if (minutes(urgentLimit) >= minutes(limit)) {
    const half = Math.max(15, Math.floor(minutes(limit) / 2));
    urgentLimit = half % 60 === 0 ? urgent(half / 60) : urgent(half, 'minute');
  }
  const major: Severity = { code: 'major', name: s.major ?? '较重' };
  if (s.majorLimit) major.limit = s.majorLimit;
  return [{ code: 'normal', name: s.normal ?? '一般' }, major, { code: 'urgent', name: s.urgent ?? '紧急', limit: urgentLimit }];
}

function fill(template: string, name: string): string {
  return template.replaceAll('{n}', name);
}

function minorClass(
  kind: Kind,
  minor: { code: string; name: string },
  parent: string,
  profile: Profile,
  opts: { componentName?: string; relatedCode?: string } = {},
): StandardClass {
  const limit = profile.limit ?? (kind === 'component' ? work(2) : work(1));
  const subject = opts.componentName ?? minor.name;
  const facility = kind === 'component' || opts.componentName !== undefined;
  const out: StandardClass = {
    code: minor.code,
    name: minor.name,
    level: 'minor',
    parent,
    geometryType: kind === 'component' ? (profile.geometry ?? 'point') : null,
    filingCondition: fill(profile.filing ?? (facility ? COMPONENT_FILING : EVENT_FILING), subject),
    closingCondition: fill(profile.closing ?? (facility ? COMPONENT_CLOSING : EVENT_CLOSING), subject),
    disposalLimit: limit,
    defaultDepartmentCode: profile.dept,
    severityLevels: severityLevels(profile, limit),
  };
  if (opts.relatedCode) out.relatedCode = opts.relatedCode;
  return out;
}

// ---------------------------------------------------------------------------
// Reading the reference tables
// ---------------------------------------------------------------------------
interface SourceMinor {
  code: string;
  name: string;
  relatedComponentCode?: string;
}
interface SourceMajor {
  code: string;
  name: string;
  minors?: SourceMinor[];
  note?: string;
}
interface SourceEdition {
  id: string;
  title: string;
  majors: SourceMajor[];
}

/** Source edition ids carry an appendix suffix (GBT47678.5-2026-A / -C); ours do not. */
function editionOf(id: string): Edition {
  if (id.startsWith('CJT214-2007')) return 'CJT214-2007';
  if (id.startsWith('GBT47678.5-2026')) return 'GBT47678.5-2026';
  throw new Error(`Unknown edition id in the source: ${id}`);
}

const MINOR_PATTERN: Record<Edition, RegExp> = { 'CJT214-2007': /^\d{4}$/, 'GBT47678.5-2026': /^\d{5}$/ };

function readEditions(file: string): SourceEdition[] {
  const json = JSON.parse(fs.readFileSync(path.join(sourceDir, file), 'utf8')) as { editions: SourceEdition[] };
  return json.editions;
}

const components = readEditions('components.json');
const events = readEditions('events.json');
const componentNames = new Map<string, string>(); // `${edition}/${code}` → component name
for (const e of components)
  for (const m of e.majors) for (const n of m.minors ?? []) componentNames.set(`${editionOf(e.id)}/${n.code}`, n.name);

interface Table {
  edition: Edition;
  kind: Kind;
  title: string;
  classes: StandardClass[];
}

function buildTable(source: SourceEdition, kind: Kind): Table {
  const edition = editionOf(source.id);
  const classes: StandardClass[] = [];
  const seen = new Set<string>();
  for (const major of source.majors) {
    if (!/^\d{2}$/.test(major.code)) throw new Error(`${source.id}: bad major code ${major.code}`);
    const ext = Number(major.code) >= 21;
    const m: StandardClass = { code: major.code, name: major.name, level: 'major', parent: null };
    if (ext) m.isExtension = true;
    classes.push(m);
    for (const minor of major.minors ?? []) {
      if (!MINOR_PATTERN[edition].test(minor.code) || !minor.code.startsWith(major.code)) {
        throw new Error(`${source.id}: minor ${minor.code} does not fit major ${major.code}`);
      }
      if (seen.has(minor.code)) throw new Error(`${source.id}: duplicate code ${minor.code}`);
      seen.add(minor.code);
      const name = minor.name.trim();
      if (kind === 'component') {
        classes.push(minorClass(kind, { code: minor.code, name }, major.code, match(COMPONENT_RULES, name) ?? COMPONENT_DEFAULT));
      } else if (minor.relatedComponentCode) {
        // A GB/T 47678.5 facility matter: same code as its component, rules from the component's.
        const componentName = componentNames.get(`${edition}/${minor.relatedComponentCode}`);
        if (!componentName) throw new Error(`${source.id}: ${minor.code} relates to unknown component ${minor.relatedComponentCode}`);
        const profile = match(COMPONENT_RULES, componentName) ?? COMPONENT_DEFAULT;
        const limit = profile.limit ?? work(2);
        classes.push(
          minorClass(
            kind,
            { code: minor.code, name },
            major.code,
            { ...profile, limit },
            { componentName, relatedCode: minor.relatedComponentCode },
          ),
        );
      } else {
        const profile = match(EVENT_RULES, name) ?? EVENT_MAJOR_DEFAULT[`${edition}/${major.code}`] ?? EVENT_DEFAULT;
        classes.push(minorClass(kind, { code: minor.code, name }, major.code, profile));
      }
    }
  }
  return { edition, kind, title: source.title, classes };
}

const tables: Table[] = [...components.map((e) => buildTable(e, 'component')), ...events.map((e) => buildTable(e, 'event'))];

// Every default department must be in the department list.
const deptCodes = new Set(DEPARTMENTS.map((d) => d.code));
for (const t of tables) {
  for (const c of t.classes) {
    if (c.defaultDepartmentCode && !deptCodes.has(c.defaultDepartmentCode))
      throw new Error(`${c.code}: unknown department ${c.defaultDepartmentCode}`);
  }
}

// One class per line keeps the committed file diffable.
const lines: string[] = [];
lines.push('{');
lines.push('  "format": "cityloop.taxonomy/1",');
lines.push(
  `  "comment": ${JSON.stringify('CityLoop standards data: component and event classes of CJ/T 214-2007 and GB/T 47678.5-2026 with default 立结案标准 (立案/结案条件, disposal limit, default department, severity levels). Generated by standards/build.ts; limits and departments are configurable defaults, not standard text.')},`,
);
lines.push('  "departments": [');
lines.push(DEPARTMENTS.map((d) => `    ${JSON.stringify(d)}`).join(',\n'));
lines.push('  ],');
lines.push('  "tables": [');
tables.forEach((t, ti) => {
  lines.push('    {');
  lines.push(`      "edition": ${JSON.stringify(t.edition)},`);
  lines.push(`      "kind": ${JSON.stringify(t.kind)},`);
  lines.push(`      "title": ${JSON.stringify(t.title)},`);
  lines.push('      "classes": [');
  lines.push(t.classes.map((c) => `        ${JSON.stringify(c)}`).join(',\n'));
  lines.push('      ]');
  lines.push(`    }${ti < tables.length - 1 ? ',' : ''}`);
});
lines.push('  ]');
lines.push('}');
fs.writeFileSync(outFile, `${lines.join('\n')}\n`);

for (const t of tables) {
  const majors = t.classes.filter((c) => c.level === 'major').length;
  console.log(`${t.edition} ${t.kind}: ${majors} majors, ${t.classes.length - majors} minors`);
}
console.log(`Wrote ${path.relative(process.cwd(), outFile)} (${fs.statSync(outFile).size} bytes)`);
