import fastifyMultipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import { AppError, badRequest } from '../../errors.ts';
import { RateLimiter } from '../../lib/rate-limit.ts';
import { Nullable } from '../../lib/schema.ts';
import type { Claim, UploadFile } from './media.service.ts';
import { mediaTooLarge, UPLOAD_TOKEN_PATTERN } from './media.service.ts';

const MediaItem = Type.Object({
  id: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  width: Type.Integer(),
  height: Type.Integer(),
  exif: Nullable(
    Type.Object({
      takenAt: Nullable(Type.String({ description: 'DateTimeOriginal in UTC' })),
      lng: Nullable(Type.Number({ description: 'EXIF GPS (WGS 84)' })),
      lat: Nullable(Type.Number()),
    }),
  ),
  flags: Type.Array(Type.String(), { description: 'exif_missing | exif_gps_far | exif_time_far | duplicate' }),
  caseId: Nullable(Type.Integer()),
  public: Type.Boolean(),
  createdAt: Type.String(),
  url: Type.String(),
  thumbUrl: Type.String(),
  publicUrl: Nullable(Type.String()),
});
const PublicUploadItem = Type.Object({
  id: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  width: Type.Integer(),
  height: Type.Integer(),
  createdAt: Type.String(),
});
const MediaIdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const FIELDS = new Set(['claimedLng', 'claimedLat', 'claimedAt', 'claimedCrs']);
const PUBLIC_FIELDS = new Set(['uploadToken']);
const UPLOAD_TOKEN_HEADER = 'x-upload-token';

/**
 * Anonymous uploads are limited per client address (in this process), like anonymous
 * reports: PUBLIC_UPLOAD_LIMIT requests per PUBLIC_UPLOAD_WINDOW_MS.
 */
const PUBLIC_UPLOAD_LIMIT = 10;
const PUBLIC_UPLOAD_WINDOW_MS = 10 * 60_000;

export async function mediaRoutes(app: App) {
  // Typed through a cast so this file compiles whether or not Services lists media yet.
  const media = app.ctx.services.media;

  await app.register(fastifyMultipart, {
    limits: { fileSize: media.maxBytes, files: media.maxFiles, fields: FIELDS.size, fieldSize: 100, parts: media.maxFiles + FIELDS.size },
  });

  const publicUploads = new RateLimiter({
    limit: PUBLIC_UPLOAD_LIMIT,
    windowMs: PUBLIC_UPLOAD_WINDOW_MS,
    message: '上传过于频繁，请稍后再试 / Too many uploads from your address; try again later',
  });

  app.post('/api/media', {
    config: { access: 'media.upload' },
    schema: {
      tags: ['media'],
      summary: 'Upload photos (multipart: one or more `file` parts; optional claimedLng, claimedLat, claimedAt, claimedCrs)',
      description:
        'JPEG, PNG or WebP, recognised by content. Each file is checked, thumbnailed and its EXIF read; all files are stored or none.',
      consumes: ['multipart/form-data'],
      // Documents the form; the parts are read and checked in the handler (see validatorCompiler).
      body: Type.Object({
        file: Type.Array(Type.String({ format: 'binary' }), { description: 'one or more images (JPEG, PNG, WebP)' }),
        claimedLng: Type.Optional(Type.Number({ description: 'where the photo is said to be taken' })),
        claimedLat: Type.Optional(Type.Number()),
        claimedAt: Type.Optional(Type.String({ format: 'date-time', description: 'when it is said to be taken' })),
        claimedCrs: Type.Optional(Type.Union([Type.Literal('wgs84'), Type.Literal('gcj02'), Type.Literal('bd09')])),
      }),
      response: { 201: Type.Array(MediaItem) },
    },
    // A multipart body is streamed, not parsed up front: nothing to validate before the handler.
    validatorCompiler: () => () => true,
    handler: async (req, reply) => {
      const { files, fields } = await readParts(req, { maxBytes: media.maxBytes, maxFiles: media.maxFiles, fields: FIELDS });
      const crs = fields.claimedCrs;
      if (crs !== undefined && !['wgs84', 'gcj02', 'bd09'].includes(crs))
        throw badRequest('media_claim_invalid', 'claimedCrs 须为 wgs84、gcj02 或 bd09 / claimedCrs must be wgs84, gcj02 or bd09');
      const num = (v: string | undefined) => (v === undefined || v.trim() === '' ? null : Number(v));
      const claim: Claim = {
        lng: num(fields.claimedLng),
        lat: num(fields.claimedLat),
        at: fields.claimedAt ?? null,
        crs: crs as Claim['crs'],
      };
      const out = await media.upload(req.auth!, files, claim);
      return reply.code(201).send(out);
    },
  });

  app.post('/api/public/media', {
    config: { access: 'public' },
    schema: {
      tags: ['public'],
      summary: `Upload photos without an account for a public report (multipart: at most ${media.publicMaxFiles} \`file\` parts; rate-limited)`,
      description:
        `JPEG, PNG or WebP, recognised by content; all files are stored or none. The first upload returns an \`uploadToken\` ` +
        `(once): send it again (header \`X-Upload-Token\` or field \`uploadToken\`) to add photos to the same set, at most ` +
        `${media.publicMaxPerToken} in all, and with the photo ids on POST /api/public/cases. The photos are published ` +
        'with the case, without EXIF, and not before.',
      consumes: ['multipart/form-data'],
      body: Type.Object({
        file: Type.Array(Type.String({ format: 'binary' }), { maxItems: media.publicMaxFiles }),
        uploadToken: Type.Optional(Type.String({ pattern: UPLOAD_TOKEN_PATTERN })),
      }),
      response: {
        201: Type.Object({
          uploadToken: Type.Optional(Type.String({ description: 'issued on the first upload only; keep it to report with the photos' })),
          media: Type.Array(PublicUploadItem),
        }),
      },
    },
    validatorCompiler: () => () => true,
    handler: async (req, reply) => {
      publicUploads.check(req.ip, reply);
      const { files, fields } = await readParts(req, {
        maxBytes: media.maxBytes,
        maxFiles: media.publicMaxFiles,
        fields: PUBLIC_FIELDS,
        fieldTooLong: 'media_field_invalid',
      });
      const header = req.headers[UPLOAD_TOKEN_HEADER];
      const fromHeader = Array.isArray(header) ? header[0] : header;
      const field = fields.uploadToken;
      if (fromHeader !== undefined && field !== undefined && fromHeader !== field)
        throw badRequest(
          'media_upload_token_conflict',
          '请求头与表单中的上传凭证不一致 / The upload token in the header and the form differ',
        );
      const out = await media.uploadPublic(files, fromHeader ?? field ?? null);
      return reply.code(201).send(out);
    },
  });

  app.get('/api/media/:id', {
    config: { access: 'cases.read' },
    schema: {
      tags: ['media'],
      summary: 'The original photo (uploader, or whoever may see its case)',
      params: MediaIdParam,
    },
    handler: async (req, reply) => {
      const { media: m, stream, contentType } = await media.open(req.auth, req.params.id, 'original');
      return send(reply, stream, contentType, `"${m.sha256}"`, 'private, max-age=3600', m.size, req.headers['if-none-match']);
    },
  });

  app.get('/api/media/:id/thumb', {
    config: { access: 'cases.read' },
    schema: { tags: ['media'], summary: 'A 320 px JPEG thumbnail of the photo', params: MediaIdParam },
    handler: async (req, reply) => {
      const { media: m, stream } = await media.open(req.auth, req.params.id, 'thumb');
      return send(reply, stream, 'image/jpeg', `"${m.sha256}-t"`, 'private, max-age=3600', null, req.headers['if-none-match']);
    },
  });

  app.get('/api/public/media/:id', {
    config: { access: 'public' },
    schema: { tags: ['media'], summary: 'A photo published with its case, without EXIF or other metadata', params: MediaIdParam },
    handler: async (req, reply) => {
      const { media: m, stream, contentType } = await media.openPublic(req.params.id);
      return send(reply, stream, contentType, `"${m.sha256}-p"`, 'public, max-age=86400', null, req.headers['if-none-match']);
    },
  });
}

function send(
  reply: FastifyReply,
  stream: NodeJS.ReadableStream & { destroy?: () => void },
  contentType: string,
  etag: string,
  cache: string,
  length: number | null,
  ifNoneMatch: string | undefined,
) {
  reply.header('cache-control', cache).header('etag', etag).header('x-content-type-options', 'nosniff');
  if (ifNoneMatch?.split(',').some((t) => t.trim() === etag)) {
    stream.destroy?.();
    return reply.code(304).send();
  }
  reply.header('content-disposition', 'inline').type(contentType);
  if (length !== null) reply.header('content-length', length);
  return reply.send(stream);
}

/**
 * Reads a multipart upload: `file` parts into memory (each at most maxBytes, at most maxFiles)
 * and the allowed text fields. Anything else is refused before the service sees it.
 */
async function readParts(
  req: FastifyRequest,
  opts: { maxBytes: number; maxFiles: number; fields: Set<string>; fieldTooLong?: string },
): Promise<{ files: UploadFile[]; fields: Record<string, string> }> {
  const { maxBytes, maxFiles, fields: allowed } = opts;
  if (!req.isMultipart())
    throw new AppError(415, 'media_multipart_required', '请以 multipart/form-data 上传 / Upload as multipart/form-data');
  const files: UploadFile[] = [];
  const fields: Record<string, string> = {};
  try {
    for await (const part of req.parts({
      limits: { fileSize: maxBytes, files: maxFiles, fields: allowed.size, fieldSize: 100, parts: maxFiles + allowed.size },
    })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          part.file.resume();
          throw badRequest('media_field_unknown', `未知字段 ${part.fieldname} / Unknown field ${part.fieldname}`);
        }
        files.push({ filename: part.filename, buffer: await part.toBuffer() });
      } else {
        if (!allowed.has(part.fieldname))
          throw badRequest('media_field_unknown', `未知字段 ${part.fieldname} / Unknown field ${part.fieldname}`);
        if (part.valueTruncated)
          throw badRequest(opts.fieldTooLong ?? 'media_claim_invalid', `字段 ${part.fieldname} 过长 / Field ${part.fieldname} is too long`);
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (err) {
    throw multipartError(err, maxBytes, maxFiles);
  }
  return { files, fields };
}

function multipartError(err: unknown, maxBytes: number, maxFiles: number): unknown {
  if (err instanceof AppError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return mediaTooLarge(maxBytes);
  if (code === 'FST_FILES_LIMIT')
    return new AppError(413, 'media_too_many_files', `一次最多上传 ${maxFiles} 个文件 / At most ${maxFiles} files per upload`, {
      maxFiles,
    });
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
    return new AppError(413, 'media_too_many_parts', '表单字段过多 / Too many form fields');
  if (code === 'FST_PROTO_VIOLATION') return badRequest('media_field_unknown', '字段名不合法 / Invalid field name');
  return badRequest('media_multipart_invalid', `上传内容不完整或格式错误 / Malformed multipart body: ${(err as Error).message}`);
}
