/**
 * Writing GeoReport v2 documents: one value tree, written as JSON or XML. Both writers are
 * ours because the format asks for things JSON.stringify and generic XML builders do not
 * give: coordinates always carry a decimal point (`30.0`), datetimes are UTC without
 * fractions, empty values are `null` in JSON and empty elements in XML, and a list's
 * elements take the singular name of the list (`<services><service>…`).
 */
import crypto from 'node:crypto';

// Coordinates leave JSON.stringify as a marked string that toJson turns back into a bare
// number: the mark holds a per-process random nonce, so no text from a request can forge one.
const NONCE = crypto.randomBytes(9).toString('base64url');
const MARKED = new RegExp(`"\\\\u0000${NONCE}:(-?\\d+\\.\\d+)"`, 'g');

/** A coordinate: written with a decimal point in both formats (`30.0`, never `30`). */
export class Coordinate {
  constructor(readonly value: number) {}
  toString(): string {
    // Seven decimals are about 1 cm; toFixed never writes an exponent.
    const s = this.value.toFixed(7).replace(/0+$/, '');
    return s.endsWith('.') ? `${s}0` : s;
  }
  toJSON(): string | null {
    return Number.isFinite(this.value) ? `\u0000${NONCE}:${this.toString()}` : null;
  }
}

export type Value = string | number | boolean | null | Coordinate | Value[] | { [key: string]: Value };

/** A timestamp as GeoReport writes it: UTC, `Z`, no fractional seconds. */
export function isoSeconds(d: Date | string | null | undefined): string | null {
  if (d === null || d === undefined) return null;
  const t = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(t.getTime())) return null;
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** JSON text of a value tree (the native writer, then coordinates unmarked). */
export function toJson(v: Value): string {
  return JSON.stringify(v).replace(MARKED, '$1');
}

// What XML 1.0 allows (tab, newline, carriage return, U+0020-U+D7FF, U+E000-U+FFFD, U+10000 up);
// anything else (other controls, lone surrogates, U+FFFE/U+FFFF) cannot be carried even escaped.
const XML_INVALID = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text safe inside an XML element or attribute. */
export function escapeXml(s: string): string {
  return s.replace(XML_INVALID, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c] as string);
}

/** The element name of each list's items; a list not named here is a programming error. */
const ITEM_NAMES: Record<string, string> = {
  services: 'service',
  service_requests: 'request',
  endpoints: 'endpoint',
  formats: 'format',
  attributes: 'attribute',
  values: 'value',
  errors: 'error',
  updates: 'update',
};

function xmlElement(name: string, v: Value, out: string[]): void {
  if (v === null || v === '') {
    out.push(`<${name}/>`);
    return;
  }
  if (Array.isArray(v)) {
    const item = ITEM_NAMES[name];
    if (!item) throw new Error(`open311 XML: no item name for list <${name}>`);
    out.push(`<${name}>`);
    for (const x of v) xmlElement(item, x, out);
    out.push(`</${name}>`);
    return;
  }
  if (v instanceof Coordinate || typeof v !== 'object') {
    out.push(`<${name}>${escapeXml(String(v))}</${name}>`);
    return;
  }
  out.push(`<${name}>`);
  for (const [k, x] of Object.entries(v)) xmlElement(k, x, out);
  out.push(`</${name}>`);
}

/** An XML document whose root element is `root` (a list root takes its items' names from ITEM_NAMES). */
export function toXml(root: string, v: Value): string {
  const out: string[] = ['<?xml version="1.0" encoding="utf-8"?>'];
  xmlElement(root, v, out);
  return out.join('');
}

export type Format = 'json' | 'xml';

export const CONTENT_TYPES: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  xml: 'text/xml; charset=utf-8',
};

/** The document in the asked format: `root` names the XML root element. */
export function render(format: Format, root: string, v: Value): string {
  return format === 'json' ? toJson(v) : toXml(root, v);
}
