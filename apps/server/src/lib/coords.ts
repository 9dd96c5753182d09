import type { CoordSys } from '@cityloop/shared';

/**
 * GCJ-02 (国测局, used by AMap/Tencent) and BD-09 (Baidu) → WGS 84. GCJ-02 is an
 * obfuscation of WGS 84 with no closed inverse; we invert it by fixed-point iteration
 * (error < 1e-7° ≈ 1 cm after a few rounds). Outside China both are identical to WGS 84.
 */
const A = 6378245.0;
const EE = 0.006693421622965943;

function outOfChina(lng: number, lat: number): boolean {
  return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function transformLat(x: number, y: number): number {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return r;
}

function transformLng(x: number, y: number): number {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return r;
}

/** WGS 84 → GCJ-02. */
export function wgs84ToGcj02(lng: number, lat: number): [number, number] {
  if (outOfChina(lng, lat)) return [lng, lat];
  let dLat = transformLat(lng - 105.0, lat - 35.0);
  let dLng = transformLng(lng - 105.0, lat - 35.0);
  const radLat = (lat / 180.0) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLng = (dLng * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lng + dLng, lat + dLat];
}

/** GCJ-02 → WGS 84 by iteration. */
export function gcj02ToWgs84(lng: number, lat: number): [number, number] {
  if (outOfChina(lng, lat)) return [lng, lat];
  let x = lng;
  let y = lat;
  for (let i = 0; i < 10; i++) {
    const [gx, gy] = wgs84ToGcj02(x, y);
    const dx = gx - lng;
    const dy = gy - lat;
    x -= dx;
    y -= dy;
    if (Math.abs(dx) < 1e-9 && Math.abs(dy) < 1e-9) break;
  }
  return [x, y];
}

const X_PI = (Math.PI * 3000.0) / 180.0;

/** BD-09 → GCJ-02: the usual closed-form approximation, refined against the forward transform. */
export function bd09ToGcj02(lng: number, lat: number): [number, number] {
  const x0 = lng - 0.0065;
  const y0 = lat - 0.006;
  const z = Math.sqrt(x0 * x0 + y0 * y0) - 0.00002 * Math.sin(y0 * X_PI);
  const theta = Math.atan2(y0, x0) - 0.000003 * Math.cos(x0 * X_PI);
  let x = z * Math.cos(theta);
  let y = z * Math.sin(theta);
  for (let i = 0; i < 5; i++) {
    const [bx, by] = gcj02ToBd09(x, y);
    x -= bx - lng;
    y -= by - lat;
  }
  return [x, y];
}

/** GCJ-02 → BD-09. */
export function gcj02ToBd09(lng: number, lat: number): [number, number] {
  const z = Math.sqrt(lng * lng + lat * lat) + 0.00002 * Math.sin(lat * X_PI);
  const theta = Math.atan2(lat, lng) + 0.000003 * Math.cos(lng * X_PI);
  return [z * Math.cos(theta) + 0.0065, z * Math.sin(theta) + 0.006];
}

/** Any supported system → WGS 84. */
export function toWgs84(lng: number, lat: number, sys: CoordSys = 'wgs84'): [number, number] {
  if (sys === 'gcj02') return gcj02ToWgs84(lng, lat);
  if (sys === 'bd09') return gcj02ToWgs84(...bd09ToGcj02(lng, lat));
  return [lng, lat];
}

/** WGS 84 → any supported system (for tests and exports). */
export function fromWgs84(lng: number, lat: number, sys: CoordSys): [number, number] {
  if (sys === 'gcj02') return wgs84ToGcj02(lng, lat);
  if (sys === 'bd09') return gcj02ToBd09(...wgs84ToGcj02(lng, lat));
  return [lng, lat];
}
