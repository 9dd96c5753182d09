import type { App } from '../../app.ts';

export async function taxonomyRoutes(_app: App) {}
