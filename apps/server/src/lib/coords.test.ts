import { describe, expect, it } from 'vitest';
import { fromWgs84, toWgs84, wgs84ToGcj02 } from './coords.ts';

describe('coordinate systems', () => {
  // Yichang 胜利四路 area, WGS 84.
  const wgs: [number, number] = [111.2996, 30.6987];

  it('GCJ-02 differs from WGS 84 by a few hundred metres in China', () => {
    const [x, y] = wgs84ToGcj02(...wgs);
    const metres = Math.hypot((x - wgs[0]) * 96_000, (y - wgs[1]) * 111_000);
    expect(metres).toBeGreaterThan(100);
    expect(metres).toBeLessThan(1000);
  });

  it.each(['gcj02', 'bd09'] as const)('%s round-trips to WGS 84 within 1 cm', (sys) => {
    const there = fromWgs84(...wgs, sys);
    const back = toWgs84(...there, sys);
    expect(Math.abs(back[0] - wgs[0])).toBeLessThan(1e-7);
    expect(Math.abs(back[1] - wgs[1])).toBeLessThan(1e-7);
  });

  it('leaves points outside China alone', () => {
    expect(toWgs84(2.35, 48.85, 'gcj02')).toEqual([2.35, 48.85]);
  });
});
