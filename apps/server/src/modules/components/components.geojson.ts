import { StringDecoder } from 'node:string_decoder';

/**
 * Streams the features of a GeoJSON FeatureCollection (or a bare array of features) out of
 * a byte stream, one parsed feature at a time, holding only the current feature in memory.
 *
 * A scanner follows only strings and nesting to find where each element of the top-level
 * "features" array starts and ends; JSON.parse then reads that element. This is ~3× faster
 * than a token-by-token streaming parser (stream-json took 13 s of a 25 s read of a 123 MB,
 * 417k-feature file) while JSON.parse still validates every feature fully.
 */
export class GeoJsonSyntaxError extends Error {}

const QUOTE = 34; // "
const BACKSLASH = 92;
const OPEN_OBJ = 123; // {
const CLOSE_OBJ = 125;
const OPEN_ARR = 91; // [
const CLOSE_ARR = 93;
const COLON = 58;
const COMMA = 44;

export async function* streamFeatures(input: AsyncIterable<Buffer | string>): AsyncGenerator<unknown> {
  const decoder = new StringDecoder('utf8');
  let depth = 0;
  let inString = false;
  let escaped = false;
  /** Top level is an object (FeatureCollection) or an array (bare features). */
  let top: 'object' | 'array' | null = null;
  /** Depth at which feature elements live (1 inside {"features": [...]}, 0 in a bare array), once found. */
  let elementDepth = -1;
  let featuresDone = false;
  // Keys of the top object: the text of the last string at depth 1 (may span chunks).
  let keyText: string | null = null;
  let keyFrom = -1;
  let lastString = '';
  let pendingKey = '';
  // The element being collected: text from earlier chunks + its start in this chunk.
  let carry = '';
  let elemStart = -1;
  let first = true;

  for await (const part of input) {
    let s = typeof part === 'string' ? part : decoder.write(part);
    if (first && s.length > 0) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
    }
    if (keyText !== null) keyFrom = 0;
    const out: unknown[] = [];
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) {
          inString = false;
          if (keyText !== null) {
            lastString = keyText + s.slice(keyFrom, i);
            keyText = null;
            keyFrom = -1;
          }
        }
        continue;
      }
      const inFeatures = elementDepth >= 0 && !featuresDone;
      if (inFeatures && depth === elementDepth + 1 && elemStart < 0 && carry === '') {
        // Between elements of the features array: only separators, or an element opening.
        if (c === OPEN_OBJ || c === OPEN_ARR) elemStart = i;
        else if (c !== COMMA && c !== CLOSE_ARR && c !== 32 && c !== 10 && c !== 13 && c !== 9) {
          throw new GeoJsonSyntaxError('features must be GeoJSON Feature objects');
        }
      }
      if (c === QUOTE) {
        inString = true;
        if (depth === 1 && top === 'object') {
          keyText = '';
          keyFrom = i + 1;
        }
        continue;
      }
      if (c === OPEN_OBJ || c === OPEN_ARR) {
        if (depth === 0) {
          if (top !== null) throw new GeoJsonSyntaxError('more than one JSON value in the file');
          top = c === OPEN_OBJ ? 'object' : 'array';
          if (top === 'array') elementDepth = 0;
        } else if (depth === 1 && top === 'object' && elementDepth < 0 && pendingKey === 'features' && c === OPEN_ARR) {
          elementDepth = 1;
        }
        depth++;
        continue;
      }
      if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        depth--;
        if (depth < 0) throw new GeoJsonSyntaxError('unbalanced brackets');
        if (inFeatures && depth === elementDepth + 1 && (elemStart >= 0 || carry !== '')) {
          out.push(parseElement(carry + s.slice(Math.max(elemStart, 0), i + 1)));
          carry = '';
          elemStart = -1;
        } else if (inFeatures && depth === elementDepth) {
          featuresDone = true;
        }
        continue;
      }
      if (depth === 1 && top === 'object') {
        if (c === COLON) pendingKey = lastString;
        else if (c === COMMA) pendingKey = '';
      }
    }
    if (elemStart >= 0 || carry !== '') {
      carry += s.slice(Math.max(elemStart, 0));
      elemStart = -1;
    }
    if (keyText !== null) {
      keyText += s.slice(keyFrom);
      keyFrom = 0;
    }
    for (const f of out) yield f;
  }
  if (inString || depth !== 0) throw new GeoJsonSyntaxError('unexpected end of the file');
  if (top === null) throw new GeoJsonSyntaxError('no JSON value in the file');
}

function parseElement(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new GeoJsonSyntaxError((err as Error).message);
  }
}
