import fs from 'node:fs';
import path from 'node:path';
import type { RouteAccess } from '@cityloop/shared';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { Config } from './config.ts';
import { type Context, createContext } from './context.ts';
import type { Database } from './db/database.ts';
import { AppError } from './errors.ts';
import { registerCompression } from './lib/compress.ts';
import { authRoutes } from './modules/auth/auth.routes.ts';
import { type Auth, SESSION_COOKIE } from './modules/auth/auth.service.ts';
import { calendarRoutes } from './modules/calendar/calendar.routes.ts';
import { casesRoutes } from './modules/cases/cases.routes.ts';
import { commandRoutes } from './modules/command/command.routes.ts';
import { componentsRoutes } from './modules/components/components.routes.ts';
import { dispatchRoutes } from './modules/dispatch/dispatch.routes.ts';
import { evaluationRoutes } from './modules/evaluation/evaluation.routes.ts';
import { exchangeRoutes } from './modules/exchange/exchange.routes.ts';
import { geocodeRoutes } from './modules/geocode/geocode.routes.ts';
import { hotlineRoutes } from './modules/hotline/hotline.routes.ts';
import { mediaRoutes } from './modules/media/media.routes.ts';
import { open311Routes } from './modules/open311/open311.routes.ts';
import { orgsRoutes } from './modules/orgs/orgs.routes.ts';
import { patrolRoutes } from './modules/patrol/patrol.routes.ts';
import { platformRoutes } from './modules/platform/platform.routes.ts';
import { realtimeRoutes } from './modules/realtime/realtime.routes.ts';
import { regionsRoutes } from './modules/regions/regions.routes.ts';
import { statisticsRoutes } from './modules/statistics/statistics.routes.ts';
import { systemRoutes } from './modules/system/system.routes.ts';
import { taxonomyRoutes } from './modules/taxonomy/taxonomy.routes.ts';
import { webhooksRoutes } from './modules/webhooks/webhooks.routes.ts';
import { workflowRoutes } from './modules/workflow/workflow.routes.ts';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

declare module 'fastify' {
  interface FastifyInstance {
    ctx: Context;
  }
  interface FastifyRequest {
    auth: Auth | null;
  }
  interface FastifyContextConfig {
    /** Who may call this route: a permission, 'authenticated' or 'public'. Required on every route. */
    access?: RouteAccess;
  }
}

/** Every route the app registered, with the access it declared (the role × route test walks this). */
export interface RouteInfo {
  method: string;
  url: string;
  access: RouteAccess;
}

export interface BuildOptions {
  config: Config;
  database: Database;
  logger?: boolean | Record<string, unknown>;
  /** The clock the rules read; the wall clock unless a simulation or test controls time. */
  clock?: () => Date;
}

/** Builds the Fastify instance from the modules. Does not listen. */
export async function buildApp(opts: BuildOptions): Promise<App & { routeTable: RouteInfo[] }> {
  const { config } = opts;
  const app = Fastify({
    logger: opts.logger ?? { level: config.logLevel },
    bodyLimit: 2 * 1024 * 1024,
    genReqId: () => crypto.randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true, useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>() as App;

  const ctx = createContext(config, opts.database, opts.clock);
  app.decorate('ctx', ctx);
  app.decorateRequest('auth', null);

  const routeTable: RouteInfo[] = [];
  app.addHook('onRoute', (route) => {
    const url = route.url;
    const isDocs = url.startsWith('/api/docs');
    const access = route.config?.access ?? (isDocs || !url.startsWith('/api') ? 'public' : undefined);
    if (!access) throw new Error(`Route ${route.method} ${url} declares no access (config.access)`);
    if (!route.config?.access) route.config = { ...(route.config ?? {}), access };
    if (!isDocs && url.startsWith('/api')) {
      for (const m of [route.method].flat()) if (m !== 'HEAD') routeTable.push({ method: m, url, access });
    }
  });

  await app.register(fastifyCookie);
  registerCompression(app);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'CityLoop API', version: '0.1.0', description: '数字化城市管理信息系统 CityLoop — HTTP API' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        },
      },
      security: [{ session: [] }, { apiKey: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });

  // Who is calling: session cookie, or an API key header for machines.
  app.addHook('onRequest', async (req) => {
    const key = (req.headers['x-api-key'] as string | undefined) ?? bearer(req.headers.authorization);
    if (key) {
      req.auth = await ctx.services.auth.fromApiKey(key);
      if (!req.auth) throw new AppError(401, 'invalid_api_key', 'API key 无效或已吊销 / The API key is unknown or revoked');
      return;
    }
    const token = req.cookies[SESSION_COOKIE];
    if (token) req.auth = await ctx.services.auth.fromSession(token);
  });
  app.addHook('preValidation', async (req) => {
    const access = req.routeOptions.config.access;
    if (access) ctx.services.auth.requireAccess(req.auth, access);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
    if (err instanceof AppError) {
      return reply.code(err.status).send({ error: err.code, message: err.message, details: err.details, requestId: req.id });
    }
    if (err.validation) {
      return reply.code(400).send({
        error: 'validation_failed',
        message: `请求不合法 / Invalid request: ${err.message}`,
        details: err.validation,
        requestId: req.id,
      });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({
        error: (err.code ?? 'bad_request').toLowerCase().replace(/^fst_err_/, ''),
        message: err.message,
        requestId: req.id,
      });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: 'Internal server error', requestId: req.id });
  });

  await app.register(systemRoutes);
  await app.register(authRoutes);
  await app.register(orgsRoutes);
  await app.register(regionsRoutes);
  await app.register(taxonomyRoutes);
  await app.register(componentsRoutes);
  await app.register(geocodeRoutes);
  await app.register(open311Routes);
  await app.register(calendarRoutes);
  await app.register(casesRoutes);
  await app.register(workflowRoutes);
  await app.register(webhooksRoutes);
  await app.register(dispatchRoutes);
  await app.register(mediaRoutes);
  await app.register(realtimeRoutes);
  await app.register(evaluationRoutes);
  await app.register(statisticsRoutes);
  await app.register(exchangeRoutes);
  await app.register(hotlineRoutes);
  await app.register(platformRoutes);
  await app.register(commandRoutes);
  await app.register(patrolRoutes);

  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());

  // The built web console; unknown non-API paths fall back to index.html (client-side routing).
  const webIndex = path.join(config.webDir, 'index.html');
  const webReport = path.join(config.webDir, 'report.html');
  const hasWeb = fs.existsSync(webIndex);
  if (hasWeb) {
    // wildcard: files are looked up per request, so a rebuilt console is served without a restart.
    // preCompressed: the build writes .br and .gz beside each file, sent to browsers that take them.
    // Files under /assets/ carry a hash of their content in their name: cached for good. The rest
    // (the pages, the field app's service worker and manifest) is checked with the server each time.
    await app.register(fastifyStatic, {
      root: config.webDir,
      wildcard: true,
      index: ['index.html'],
      preCompressed: true,
      cacheControl: false,
      setHeaders: (reply, filePath) => {
        const immutable = path.relative(config.webDir, filePath).split(path.sep)[0] === 'assets';
        reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }
  app.setNotFoundHandler((req, reply) => {
    const pathname = req.url.split('?')[0] as string;
    // Client-side routes get index.html; a missing file (anything with an extension) is a real 404.
    const isFile = /\.[a-z0-9]+$/i.test(pathname) || pathname.startsWith('/assets/');
    if (pathname.startsWith('/api') || pathname.startsWith('/open311') || !hasWeb || req.method !== 'GET' || isFile) {
      return reply
        .code(404)
        .send({ error: 'route_not_found', message: `No route ${req.method} ${req.url.split('?')[0]}`, requestId: req.id });
    }
    // The citizens' /report pages are a page of their own, without the console's code.
    const page = /^\/report(\/|$)/.test(pathname) && fs.existsSync(webReport) ? webReport : webIndex;
    return reply.type('text/html').header('cache-control', 'no-cache').send(fs.createReadStream(page));
  });

  return Object.assign(app, { routeTable });
}

function bearer(h: string | undefined): string | undefined {
  if (!h) return undefined;
  const m = /^Bearer\s+(clk_\S+)$/i.exec(h);
  return m?.[1];
}
