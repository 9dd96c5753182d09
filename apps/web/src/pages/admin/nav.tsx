import { NodeIndexOutlined } from '@ant-design/icons';

/** The menu icon of the dispatch rules page (kept apart from the page, which loads lazily). */
export const DispatchRulesIcon = <NodeIndexOutlined />;
