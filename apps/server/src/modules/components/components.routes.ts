import type { App } from '../../app.ts';

export async function componentsRoutes(_app: App) {}
