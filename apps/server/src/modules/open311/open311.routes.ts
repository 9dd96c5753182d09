import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import { AppError } from '../../errors.ts';
import { OneOf, Strict } from '../../lib/schema.ts';
import { CONTENT_TYPES, type Format, render, type Value } from './open311.format.ts';
import { type CreateForm, MAX_REQUESTS, Open311Service } from './open311.service.ts';

export const OPEN311_PREFIX = '/open311/v2';

const FormatParam = OneOf(['json', 'xml'] as const, { description: 'response format, from the file extension' });
/** Parameters any GeoReport client may send and this single-jurisdiction server ignores. */
const Ignored = {
  jurisdiction_id: Type.Optional(Type.String({ maxLength: 100, description: 'ignored: this endpoint serves one jurisdiction' })),
  api_key: Type.Optional(Type.String({ maxLength: 200, description: 'ignored on reads: reading is public' })),
};

const CreateBody = Strict({
  api_key: Type.Optional(Type.String({ maxLength: 200, description: 'an API key of role machine (or a header X-Api-Key)' })),
  jurisdiction_id: Ignored.jurisdiction_id,
  service_code: Type.String({ minLength: 1, maxLength: 40 }),
  lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90, description: 'WGS 84 latitude' })),
  long: Type.Optional(Type.Number({ minimum: -180, maximum: 180, description: 'WGS 84 longitude' })),
  address_string: Type.Optional(Type.String({ minLength: 2, maxLength: 200 })),
  address_id: Type.Optional(Type.String({ maxLength: 100 })),
  attribute: Type.Optional(
    Type.Record(
      Type.String({ maxLength: 64 }),
      Type.Union([Type.String({ maxLength: 200 }), Type.Array(Type.String({ maxLength: 200 }), { maxItems: 20 })]),
    ),
  ),
  email: Type.Optional(Type.String({ maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' })),
  device_id: Type.Optional(Type.String({ maxLength: 100 })),
  account_id: Type.Optional(Type.String({ maxLength: 100 })),
  first_name: Type.Optional(Type.String({ maxLength: 50 })),
  last_name: Type.Optional(Type.String({ maxLength: 50 })),
  phone: Type.Optional(Type.String({ pattern: '^[0-9+\\- ]{3,20}$' })),
  description: Type.Optional(Type.String({ maxLength: 4000 })),
  media_url: Type.Optional(Type.String({ maxLength: 500 })),
});

/** A list parameter: comma separated, or the parameter repeated (`status=open&status=closed`). */
const ListParam = (maxLength: number, description: string) =>
  Type.Optional(Type.Union([Type.String({ maxLength }), Type.Array(Type.String({ maxLength }), { maxItems: 1000 })], { description }));
const joined = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(',') : v);

const ListQuery = Strict({
  ...Ignored,
  service_request_id: ListParam(20_000, 'case numbers, comma separated; overrides every other filter'),
  service_code: ListParam(2000, 'one service code, or several comma separated'),
  start_date: Type.Optional(Type.String({ maxLength: 40 })),
  end_date: Type.Optional(Type.String({ maxLength: 40 })),
  status: ListParam(20, 'open, closed or open,closed'),
  updated_after: Type.Optional(Type.String({ maxLength: 40, description: 'extension: changed after this date-time' })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'extension: page number, from 1' })),
  page_size: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_REQUESTS, description: `extension: at most ${MAX_REQUESTS} (the default)` }),
  ),
  extensions: Type.Optional(Type.Boolean({ description: 'extension: add extended_attributes (detailed_status, updates)' })),
});

/** The format a URL asks for; errors before routing (an unknown path) answer in JSON unless it ends in .xml. */
const formatOf = (url: string): Format => (/\.xml(?:\?|$)/.test(url) ? 'xml' : 'json');

/** Scheme and host this request reached, e.g. https://city.example.org. */
const originOf = (req: FastifyRequest) => `${req.protocol}://${req.host}`;

function send(reply: FastifyReply, format: Format, root: string, body: Value, status = 200) {
  return reply
    .code(status)
    .type(CONTENT_TYPES[format])
    .send(render(format, root, body));
}

/** `a=1&attribute[x]=2&attribute[y][]=3`: attributes into one object, repeated fields into lists. */
export function parseForm(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (obj: Record<string, unknown>, k: string, v: string, list: boolean) => {
    const prev = obj[k];
    if (prev === undefined) obj[k] = list ? [v] : v;
    else obj[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  };
  for (const [k, v] of new URLSearchParams(text)) {
    const m = /^attribute\[([^\]]*)\](\[\])?$/.exec(k);
    if (m) {
      if (out.attribute === undefined) out.attribute = {};
      put(out.attribute as Record<string, unknown>, m[1] as string, v, m[2] !== undefined);
    } else {
      put(out, k, v, false);
    }
  }
  return out;
}

/**
 * Open311 GeoReport v2 at /open311/v2: discovery, services, service definitions, and
 * service requests (public reads; posts with an API key). Errors answer in the spec's
 * format, in the format the URL asked for.
 */
export async function open311Routes(app: App) {
  const open311 = new Open311Service(app.ctx);

  await app.register(
    async (instance) => {
      const scope = instance.withTypeProvider<TypeBoxTypeProvider>();
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
        try {
          done(null, parseForm(body as string));
        } catch (err) {
          done(err as Error, undefined);
        }
      });

      scope.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; validationContext?: string }, req, reply) => {
        let status = 500;
        let description = 'Internal server error';
        if (err instanceof AppError) {
          // The spec knows 400, 403 and 404: an unknown key is 403, refused input 400.
          status = err.status === 401 ? 403 : err.status === 422 || err.status === 409 ? 400 : err.status;
          description = err.message;
        } else if (err.validation) {
          status = 400;
          description = `${err.validationContext ?? 'request'} ${err.message}`.replace(/^(\w+) \1\b/, '$1');
        } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
          status = err.statusCode;
          description = err.message;
        } else {
          req.log.error({ err }, 'unhandled error');
        }
        return send(reply, formatOf(req.url), 'errors', [{ code: status, description }], status);
      });

      // Anything else under the prefix: a 404 in the spec's format (the app's own 404 answers in its format).
      scope.route({
        method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        url: '/*',
        config: { access: 'public' },
        schema: { hide: true },
        handler: async (req, reply) =>
          send(
            reply,
            formatOf(req.url),
            'errors',
            [{ code: 404, description: `No such resource: ${req.method} ${req.url.split('?')[0]}` }],
            404,
          ),
      });

      scope.get('/discovery.:format', {
        config: { access: 'public' },
        schema: { tags: ['open311'], summary: 'GeoReport v2 service discovery', params: Strict({ format: FormatParam }) },
        handler: async (req, reply) =>
          send(reply, req.params.format, 'discovery', await open311.discovery(`${originOf(req)}${OPEN311_PREFIX}`)),
      });

      scope.get('/services.:format', {
        config: { access: 'public' },
        schema: {
          tags: ['open311'],
          summary: 'GeoReport v2 service list: the active classes of the city’s edition',
          params: Strict({ format: FormatParam }),
          querystring: Strict(Ignored),
        },
        handler: async (req, reply) => send(reply, req.params.format, 'services', await open311.services()),
      });

      scope.get('/services/:service_code.:format', {
        config: { access: 'public' },
        schema: {
          tags: ['open311'],
          summary: 'GeoReport v2 service definition: severity, component, 立案/结案 conditions',
          params: Strict({ service_code: Type.String({ maxLength: 40 }), format: FormatParam }),
          querystring: Strict(Ignored),
        },
        handler: async (req, reply) =>
          send(reply, req.params.format, 'service_definition', await open311.definition(req.params.service_code)),
      });

      scope.post('/requests.:format', {
        config: { access: 'public' },
        schema: {
          tags: ['open311'],
          summary: 'GeoReport v2: file a service request (form-encoded, api_key of role machine)',
          description:
            'The API key is checked by the route itself, from the form, the query or X-Api-Key; a missing or refused key is 403.',
          params: Strict({ format: FormatParam }),
          querystring: Strict(Ignored),
          body: CreateBody,
        },
        // Before validation, so a request without a valid key is 403 whatever else is wrong with it.
        preValidation: async (req) => {
          const body = (req.body ?? {}) as { api_key?: unknown };
          const query = (req.query ?? {}) as { api_key?: unknown };
          const key = typeof body.api_key === 'string' ? body.api_key : typeof query.api_key === 'string' ? query.api_key : undefined;
          req.auth = await open311.authenticate(key, req.auth);
        },
        handler: async (req, reply) => {
          if (!req.auth) throw new AppError(403, 'invalid_api_key', 'api_key is required');
          return send(reply, req.params.format, 'service_requests', await open311.create(req.auth, req.body as CreateForm));
        },
      });

      scope.get('/requests.:format', {
        config: { access: 'public' },
        schema: {
          tags: ['open311'],
          summary: 'GeoReport v2 service requests: newest first, 90 days / 1000 requests by default; no personal data',
          params: Strict({ format: FormatParam }),
          querystring: ListQuery,
        },
        handler: async (req, reply) => {
          const q = req.query;
          const query = {
            ...q,
            service_request_id: joined(q.service_request_id),
            service_code: joined(q.service_code),
            status: joined(q.status),
          };
          return send(reply, req.params.format, 'service_requests', await open311.list(query, originOf(req)));
        },
      });

      scope.get('/requests/:service_request_id.:format', {
        config: { access: 'public' },
        schema: {
          tags: ['open311'],
          summary: 'GeoReport v2: one service request by its case number (a list of one)',
          params: Strict({ service_request_id: Type.String({ maxLength: 40 }), format: FormatParam }),
          querystring: Strict({ ...Ignored, extensions: ListQuery.properties.extensions }),
        },
        handler: async (req, reply) =>
          send(
            reply,
            req.params.format,
            'service_requests',
            await open311.one(req.params.service_request_id, req.query.extensions === true, originOf(req)),
          ),
      });
    },
    { prefix: OPEN311_PREFIX },
  );
}
