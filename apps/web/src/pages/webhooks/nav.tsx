import { ApiOutlined } from '@ant-design/icons';

/** The menu icon of the webhooks page (kept apart from the page, which loads lazily). */
export const WebhooksIcon = <ApiOutlined />;
