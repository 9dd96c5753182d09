import type { App } from '../../app.ts';

export async function geocodeRoutes(_app: App) {}
