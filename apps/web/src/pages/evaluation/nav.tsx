import { BarChartOutlined, FileTextOutlined, FundOutlined, TrophyOutlined } from '@ant-design/icons';

/** Menu icons of the 综合评价 group (kept apart from the pages, which load lazily). */
export const EvaluationIcon = <FundOutlined />;
export const RankingsIcon = <TrophyOutlined />;
export const StatisticsIcon = <BarChartOutlined />;
export const BulletinIcon = <FileTextOutlined />;
