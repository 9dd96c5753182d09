import { describe, expect, it } from 'vitest';
import { loadStandards } from '../taxonomy/taxonomy.service.ts';
import { DEMO_CLASSES, DEMO_EDITION } from './demo.classes.ts';

describe('demo component classes', () => {
  it('match the standards data: every class exists with the same name and geometry type', () => {
    const { rows } = loadStandards();
    const std = new Map(rows.filter((r) => r.edition === DEMO_EDITION && r.kind === 'component').map((r) => [r.code, r]));
    for (const c of DEMO_CLASSES) {
      const s = std.get(c.code);
      expect(s, c.code).toBeDefined();
      expect(s?.name, c.code).toBe(c.name);
      // The census import rejects a geometry of the wrong type for its class.
      expect(s?.geometry_type, `${c.code} ${c.name}`).toBe(c.geometry);
    }
  });
});
