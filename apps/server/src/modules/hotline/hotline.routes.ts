import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { LngLatQuery, OneOf, Strict } from '../../lib/schema.ts';
import type { Auth } from '../auth/auth.service.ts';

const OrderNo = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_\\-]+$', description: "the hotline's work-order number" });

const OrderBody = Strict({
  orderNo: OrderNo,
  channel: Type.Optional(OneOf(['12345', '12319'] as const, { description: 'which hotline (default 12345)' })),
  content: Type.String({ minLength: 1, maxLength: 2000, description: '诉求内容: what the caller reported' }),
  kind: Type.Optional(OneOf(['component', 'event'] as const)),
  classCode: Type.Optional(Type.String({ pattern: '^\\d{4,9}$' })),
  className: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'a class named in words (must name exactly one)' })),
  address: Type.Optional(Type.String({ minLength: 2, maxLength: 200 })),
  location: Type.Optional(Strict(LngLatQuery)),
  caller: Type.Optional(
    Strict({
      name: Type.Optional(Type.String({ maxLength: 50 })),
      phone: Type.Optional(Type.String({ pattern: '^[0-9+\\- ]{3,20}$' })),
    }),
  ),
  urgent: Type.Optional(Type.Boolean()),
  reportedAt: Type.Optional(Type.String({ format: 'date-time', description: 'when the caller called' })),
});

/** 12345/12319 hotline platforms: work orders in (an API key with the machine role), status out. */
export async function hotlineRoutes(app: App) {
  const hotline = app.ctx.services.hotline;
  const tags = ['hotline'];

  app.post('/api/hotline/orders', {
    config: { access: 'hotline.orders' },
    schema: {
      tags,
      summary: 'File a hotline work order as a case; the same order number again returns the same case (200)',
      body: OrderBody,
    },
    handler: async (req, reply) => {
      const { order, created } = await hotline.create(req.auth as Auth, req.body);
      return reply.code(created ? 201 : 200).send(order);
    },
  });

  app.get('/api/hotline/orders/:orderNo', {
    config: { access: 'hotline.orders' },
    schema: {
      tags,
      summary: "A work order's case: status, department, deadline, result and history",
      params: Strict({ orderNo: OrderNo }),
    },
    handler: async (req) => hotline.status(req.auth as Auth, req.params.orderNo),
  });

  app.post('/api/hotline/orders/:orderNo/updates', {
    config: { access: 'hotline.orders' },
    schema: {
      tags,
      summary: "Pass on the caller's chasing (urge → 督办) or an addition to the report (supplement)",
      params: Strict({ orderNo: OrderNo }),
      body: Strict({ type: OneOf(['urge', 'supplement'] as const), content: Type.String({ minLength: 1, maxLength: 1000 }) }),
    },
    handler: async (req) => hotline.update(req.auth as Auth, req.params.orderNo, req.body),
  });
}
