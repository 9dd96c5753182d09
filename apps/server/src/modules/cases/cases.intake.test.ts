import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, demoCaseFixtures, type TestApp } from '../../../test/helpers.ts';
import type { Auth } from '../auth/auth.service.ts';
import { photo } from '../media/media.fixtures.ts';
import { IntakeCommitter, type PendingCase } from './cases.intake.ts';

/** Group commit of intake: concurrent reports share transactions, numbers stay gapless, retries never double. */
describe('cases: group commit of intake', () => {
  let t: TestApp;
  let cookie: string;
  let point: { lng: number; lat: number };
  let eventClass: string;

  beforeAll(async () => {
    t = await createTestApp();
    cookie = await t.login('inspector');
    ({ point, eventClass } = await demoCaseFixtures(t.ctx.db));
  });
  afterAll(() => t.close());

  const report = (body: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie },
      payload: { kind: 'event', classCode: eventClass, description: '路面积水', location: point, ...body },
    });

  it('writes concurrent reports in shared transactions with gapless numbers and complete opening logs', async () => {
    const before = { ...t.ctx.services.cases.intakeStats };
    const res = await Promise.all(Array.from({ length: 40 }, (_, i) => report({ description: `积水 ${i}` })));
    expect(res.map((r) => r.statusCode)).toEqual(Array(40).fill(201));
    const stats = t.ctx.services.cases.intakeStats;
    expect(stats.reports - before.reports).toBe(40);
    // Reports that arrive together, or while a commit runs, are written together.
    expect(stats.batches - before.batches).toBeLessThanOrEqual(20);

    const cases = res.map((r) => r.json());
    const seqs = cases.map((c) => Number(String(c.number).slice(8))).sort((a, b) => a - b);
    const first = seqs[0] as number;
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => first + i));
    const logs = await sql<{ caseId: number; n: number; seqs: number[] }>`
      SELECT case_id, count(*)::int AS n, array_agg(seq ORDER BY seq) AS seqs FROM case_event
      WHERE case_id = ANY(${cases.map((c) => c.id)}::bigint[]) GROUP BY case_id`.execute(t.ctx.db);
    expect(logs.rows).toHaveLength(40);
    for (const l of logs.rows) expect(l.seqs).toEqual([1]);
    // Each later report at the same place is offered the earlier ones as duplicates.
    const last = cases.find((c) => Number(String(c.number).slice(8)) === first + 39);
    expect(last.duplicates.length).toBeGreaterThan(0);
    expect(last.duplicates.every((d: { id: number }) => d.id !== last.id)).toBe(true);
  });

  it('writes reports sent at once over HTTP connections together, on PGlite too', async () => {
    // Over sockets, unlike inject: on PGlite a query completes without leaving the microtask
    // queue, and a commit started at once left the other requests unread until it was done.
    // The server stays up until the file's teardown closes the app.
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    // Open (and keep) the connections first, so that the reports reach the server together.
    await Promise.all(Array.from({ length: 32 }, () => fetch(`${address}/api/health`).then((r) => r.arrayBuffer())));
    const before = { ...t.ctx.services.cases.intakeStats };
    const res = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        fetch(`${address}/api/cases`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/json' },
          body: JSON.stringify({ kind: 'event', classCode: eventClass, description: `套接字上报 ${i}`, location: point }),
        }),
      ),
    );
    expect(res.map((r) => r.status)).toEqual(Array(32).fill(201));
    const stats = t.ctx.services.cases.intakeStats;
    expect(stats.reports - before.reports).toBe(32);
    expect(stats.batches - before.batches).toBeLessThanOrEqual(16);
  });

  it('answers concurrent retries of one report with one case', async () => {
    const res = await Promise.all(Array.from({ length: 6 }, () => report({ idempotencyKey: 'field-retry-0001' })));
    const ids = new Set(res.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    expect(res.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(res.filter((r) => r.statusCode === 200)).toHaveLength(5);
    const n = await t.ctx.db
      .selectFrom('caseFile')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('idempotencyKey', 'like', '%field-retry-0001')
      .executeTakeFirstOrThrow();
    expect(n.n).toBe(1);

    // A retry of a report with photos is answered too, although its photos are on the case now.
    const inspector = await t.ctx.db.selectFrom('person').select('id').where('username', '=', 'inspector').executeTakeFirstOrThrow();
    const auth = (await t.ctx.services.auth.loadPerson(inspector.id)) as Auth;
    const [m] = await t.ctx.services.media.upload(auth, [{ filename: 'r.jpg', buffer: await photo('jpeg', { width: 32, height: 24 }) }]);
    const withPhoto = { idempotencyKey: 'field-retry-0002', photos: [(m as { id: string }).id] };
    const original = await report(withPhoto);
    expect(original.statusCode).toBe(201);
    const again = await report(withPhoto);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(original.json().id);
  });

  it('answers a retry with its case when the first attempt committed while the retry was being checked, or before a change', async () => {
    const inspector = await t.ctx.db.selectFrom('person').select('id').where('username', '=', 'inspector').executeTakeFirstOrThrow();
    const auth = (await t.ctx.services.auth.loadPerson(inspector.id)) as Auth;
    const [m] = await t.ctx.services.media.upload(auth, [{ filename: 'r.jpg', buffer: await photo('jpeg', { width: 32, height: 24 }) }]);
    const withPhoto = { idempotencyKey: 'field-retry-0003', photos: [(m as { id: string }).id] };
    const original = await report(withPhoto);
    expect(original.statusCode).toBe(201);
    // The retry's first look for its key ran before the original committed: by the time it checks
    // the photos they are on the original's case. It gets that case, not a photo error.
    const repo = t.ctx.services.cases.repo;
    const spy = vi.spyOn(repo, 'idByIdempotencyKey').mockResolvedValueOnce(null);
    try {
      const again = await report(withPhoto);
      expect(again.statusCode).toBe(200);
      expect(again.json().id).toBe(original.json().id);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }

    // A retry that comes after its class was disabled still gets the case it made.
    const first = await report({ idempotencyKey: 'field-retry-0004' });
    expect(first.statusCode).toBe(201);
    const { edition } = await t.ctx.services.settings.get();
    await t.ctx.services.taxonomy.update(edition, 'event', eventClass, { enabled: false }, null);
    try {
      const late = await report({ idempotencyKey: 'field-retry-0004' });
      expect(late.statusCode).toBe(200);
      expect(late.json().id).toBe(first.json().id);
      // A new report of that class is refused, and writes nothing.
      const fresh = await report({ idempotencyKey: 'field-retry-0005' });
      expect(fresh.statusCode).toBe(422);
      expect(fresh.json().error).toBe('class_disabled');
      expect(await repo.idByIdempotencyKey(`p${inspector.id}:field-retry-0005`)).toBeNull();
    } finally {
      await t.ctx.services.taxonomy.update(edition, 'event', eventClass, { enabled: true }, null);
    }
  });

  it('retries a failed batch report by report, so one bad report does not sink the others', async () => {
    const inspector = await t.ctx.db.selectFrom('person').select('id').where('username', '=', 'inspector').executeTakeFirstOrThrow();
    const auth = (await t.ctx.services.auth.loadPerson(inspector.id)) as Auth;
    const [m] = await t.ctx.services.media.upload(auth, [{ filename: 'a.jpg', buffer: await photo('jpeg', { width: 32, height: 24 }) }]);
    const mediaId = (m as { id: string }).id;
    // The photo goes on a case first; a pending report that still names it must fail alone.
    const owner = await report({ photos: [mediaId] });
    expect(owner.statusCode).toBe(201);

    const template = await t.ctx.services.cases.repo.get(owner.json().id);
    const now = new Date();
    const pending = (i: number, photos: string[], componentId: number | null = null): PendingCase => ({
      day: new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(now),
      row: {
        source: 'inspector',
        workflow: 'standard',
        kind: 'event',
        edition: template?.edition as string,
        classCode: eventClass,
        severity: 'normal',
        urgent: false,
        description: `batch ${i}`,
        address: null,
        lng: point.lng,
        lat: point.lat,
        gridId: template?.gridId as number,
        communityId: template?.communityId ?? null,
        streetId: template?.streetId ?? null,
        districtId: template?.districtId ?? null,
        componentId,
        state: 'reported',
        phase: 'receive',
        phaseStartedAt: now,
        phaseDeadline: null,
        phaseTimeType: null,
        departmentId: null,
        disposalLimit: { value: 1, unit: 'day', timeType: 'workday' },
        disposalStartedAt: null,
        disposalDeadline: null,
        selfHandled: false,
        reporterId: inspector.id,
        reporterContact: null,
        channel: null,
        sourceRef: null,
        apiKeyId: null,
        idempotencyKey: null,
        publicTokenHash: null,
        createdAt: now,
        updatedAt: now,
      },
      events: [
        {
          action: 'report',
          fromState: null,
          toState: 'reported',
          phase: 'report',
          actorId: inspector.id,
          actorRole: 'inspector',
          departmentId: null,
          startedAt: now,
          endedAt: now,
          deadlineAt: null,
          timeType: null,
          onTime: null,
          note: `batch ${i}`,
          payload: { source: 'inspector' },
        },
      ],
      photos,
    });
    const [fresh] = await t.ctx.services.media.upload(auth, [
      { filename: 'b.jpg', buffer: await photo('jpeg', { width: 32, height: 24 }) },
    ]);
    const committer = new IntakeCommitter(t.ctx, t.ctx.services.cases.repo);
    // 0–3 go in one statement, 4–5 in one transaction (photos); 2 names a component that does not
    // exist, 5 a photo already on a case: each unit fails, and is retried report by report.
    const results = await Promise.allSettled([
      committer.commit(pending(0, [])),
      committer.commit(pending(1, [])),
      committer.commit(pending(2, [], 999_999_999)),
      committer.commit(pending(3, [])),
      committer.commit(pending(4, [(fresh as { id: string }).id])),
      committer.commit(pending(5, [mediaId])),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected']);
    expect((results[5] as PromiseRejectedResult).reason).toMatchObject({ code: 'media_attached_elsewhere' });
    const written = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ id: number }>).value.id);
    expect(new Set(written).size).toBe(4);
    expect(committer.stats.retriedAlone).toBeGreaterThan(0);
    const descriptions = await t.ctx.db
      .selectFrom('caseFile')
      .select('description')
      .where('description', 'like', 'batch %')
      .orderBy('description')
      .execute();
    expect(descriptions.map((d) => d.description)).toEqual(['batch 0', 'batch 1', 'batch 3', 'batch 4']);
    const orphans = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM case_file c WHERE NOT EXISTS (SELECT 1 FROM case_event e WHERE e.case_id = c.id)`.execute(t.ctx.db);
    expect(orphans.rows[0]?.n).toBe(0);

    // Statistics follow growth: a batch that takes the cases past the threshold renews them in the
    // background (ANALYZE of a table this small reads every row, so the estimate is then exact);
    // the next batch, short of the next doubling, does not.
    const growing = new IntakeCommitter(t.ctx, t.ctx.services.cases.repo, 200, 1, 1);
    // The first batch a process sees sets the next threshold: the next power of two above it.
    const first = await growing.commit(pending(10, []));
    const id = first?.id ?? 0;
    const toCross = 2 ** Math.ceil(Math.log2(id + 1)) - id;
    await Promise.all(Array.from({ length: toCross }, (_, k) => growing.commit(pending(100 + k, []))));
    expect(growing.stats.analysed).toBe(1);
    await growing.analysed();
    const { rows } = await sql<{ estimate: number; n: number }>`
      SELECT (SELECT reltuples FROM pg_class WHERE relname = 'case_file')::int AS estimate,
             (SELECT count(*) FROM case_file)::int AS n`.execute(t.ctx.db);
    expect(rows[0]?.estimate).toBe(rows[0]?.n);
    await growing.commit(pending(11, []));
    expect(growing.stats.analysed).toBe(1);
  });
});
