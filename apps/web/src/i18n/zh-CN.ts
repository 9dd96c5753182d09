/** Simplified Chinese UI strings (the default language). */
const zhCN = {
  app: {
    productName: 'CityLoop',
    subtitle: '数字化城市管理信息系统',
    loading: '正在加载…',
  },
  nav: {
    map: '地图',
    apiDocs: '关于 / API 文档',
  },
  header: {
    logout: '退出登录',
    language: '语言',
    loggedOut: '已退出登录',
  },
  login: {
    title: '登录',
    username: '用户名',
    password: '密码',
    usernameRequired: '请输入用户名',
    passwordRequired: '请输入密码',
    submit: '登录',
    demoAccounts: '演示账号',
    demoHint: '演示城市内置以下账号，密码均为 {{password}}：',
    failed: '登录失败',
    footer: 'CityLoop · 开源数字化城市管理平台',
  },
  roles: {
    admin: '系统管理员',
    acceptor: '受理员',
    shiftlead: '值班长',
    dispatcher: '派遣员',
    handler: '处置人员',
    dept_admin: '部门管理员',
    inspector: '监督员',
    leader: '领导',
    machine: '接入系统',
  },
  levels: {
    district: '区',
    street: '街道',
    community: '社区',
    grid: '单元网格',
  },
  map: {
    regions: '行政区划',
    searchPlaceholder: '搜索名称或编码',
    noRegions: '暂无区划数据',
    layers: '图层',
    layerDistricts: '区',
    layerStreets: '街道',
    layerCommunities: '社区',
    layerGrids: '单元网格',
    layerComponents: '部件',
    gridCount: '{{count}} 个网格',
    locating: '正在定位…',
    outside: '不在城市范围内',
    locateFailed: '定位失败',
    point: '坐标',
    grid: '单元网格',
    community: '社区',
    street: '街道',
    district: '区',
    distance: '距最近网格 {{distance}} 米',
    cluster: '{{count}} 个部件',
    clusterHint: '点击放大查看',
    component: '部件',
    componentCode: '部件编码',
    componentClass: '部件类别',
    componentStatus: '状态',
    area: '面积',
    loadFailed: '地图数据加载失败：{{message}}',
    zoomHint: '放大到 12 级以上显示单元网格',
  },
  componentStatus: {
    intact: '完好',
    damaged: '破损',
    lost: '丢失',
    occupied: '占用',
    removed: '废弃',
  },
  errors: {
    network: '网络错误，无法连接服务器',
    unknown: '未知错误',
  },
};

export default zhCN;

type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };
/** Every language provides the same keys. */
export type Resources = Widen<typeof zhCN>;
