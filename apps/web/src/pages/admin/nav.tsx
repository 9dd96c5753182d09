import {
  ApartmentOutlined,
  AuditOutlined,
  BorderOuterOutlined,
  CalendarOutlined,
  ClusterOutlined,
  NodeIndexOutlined,
  TagsOutlined,
  TeamOutlined,
} from '@ant-design/icons';

/** Menu icons of the 应用维护 pages (kept apart from the pages, which load lazily). */
export const DispatchRulesIcon = <NodeIndexOutlined />;
export const OrgsIcon = <TeamOutlined />;
export const BeatsIcon = <ApartmentOutlined />;
export const ClassesIcon = <TagsOutlined />;
export const CalendarIcon = <CalendarOutlined />;
export const RegionsIcon = <BorderOuterOutlined />;
export const AuditIcon = <AuditOutlined />;
export const CensusIcon = <ClusterOutlined />;
