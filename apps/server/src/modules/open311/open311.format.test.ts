import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { Coordinate, escapeXml, isoSeconds, toJson, toXml } from './open311.format.ts';
import { parseForm } from './open311.routes.ts';
import { detailedStatus, redact } from './open311.service.ts';

describe('open311 writers', () => {
  it('coordinates always carry a decimal point, never an exponent', () => {
    expect(String(new Coordinate(30))).toBe('30.0');
    expect(String(new Coordinate(-122))).toBe('-122.0');
    expect(String(new Coordinate(30.7123456789))).toBe('30.7123457');
    expect(String(new Coordinate(1e-9))).toBe('0.0');
    expect(String(new Coordinate(111.25))).toBe('111.25');
    expect(toJson({ lat: new Coordinate(30), long: new Coordinate(111.5) })).toBe('{"lat":30.0,"long":111.5}');
    expect(JSON.parse(toJson([new Coordinate(30)]))).toEqual([30]);
    expect(toJson({ lat: new Coordinate(Number.NaN) })).toBe('{"lat":null}');
    // Text that looks like the writer's coordinate mark stays text.
    const forged = { description: '\u0000abc:1.0', other: '"\\u0000x:2.0"' };
    expect(JSON.parse(toJson(forged))).toEqual(forged);
  });

  it('datetimes are UTC with Z and no fractional seconds', () => {
    expect(isoSeconds(new Date('2026-11-30T13:14:15.678+08:00'))).toBe('2026-11-30T05:14:15Z');
    expect(isoSeconds('2026-11-30T05:14:15.000Z')).toBe('2026-11-30T05:14:15Z');
    expect(isoSeconds(null)).toBeNull();
  });

  it('JSON writes empty values as null and escapes strings as JSON does', () => {
    const v = { a: null, b: '引号"\\\n</script>', c: [1, true, false], d: { e: '' } };
    expect(JSON.parse(toJson(v))).toEqual(v);
  });

  it('XML escapes markup, drops characters XML cannot carry, names list items, writes empty values as empty elements', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
    expect(escapeXml('a\u0000b\u001Fc\td\ne\uD800f')).toBe('abc\td\nef');
    const xml = toXml('service_requests', [
      { service_request_id: '1', description: '</description><evil/>&amp;', media_url: null, lat: new Coordinate(30), updates: [] },
    ]);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toBe(
      '<?xml version="1.0" encoding="utf-8"?><service_requests><request><service_request_id>1</service_request_id>' +
        '<description>&lt;/description&gt;&lt;evil/&gt;&amp;amp;</description><media_url/><lat>30.0</lat><updates></updates></request></service_requests>',
    );
    const parsed = new XMLParser({ parseTagValue: false }).parse(xml);
    expect(parsed.service_requests.request.description).toBe('</description><evil/>&amp;');
    expect(() => toXml('unknown_list', [1])).toThrow(/no item name/);
  });
});

describe('open311 input and privacy', () => {
  it('parses form fields, attribute[code] and attribute[code][] lists, and repeated fields', () => {
    expect(
      parseForm('service_code=event-0101&lat=30.5&attribute%5Bseverity%5D=urgent&attribute[tags][]=a&attribute[tags][]=b&x=1&x=2'),
    ).toEqual({
      service_code: 'event-0101',
      lat: '30.5',
      attribute: { severity: 'urgent', tags: ['a', 'b'] },
      x: ['1', '2'],
    });
    expect(parseForm('description=%E4%BA%95%E7%9B%96+%E4%B8%A2%E5%A4%B1')).toEqual({ description: '井盖 丢失' });
  });

  it('masks phone and ID numbers in free text, leaving other numbers', () => {
    expect(redact('回电 13812345678 或 0717-6881234，身份证 42050019900101123X，案卷 2026113000001')).toBe(
      '回电 138******78 或 071*******34，身份证 420*************3X，案卷 2026113000001',
    );
    expect(redact('+86 13812345678')).not.toContain('12345');
    expect(redact('路灯 3 盏不亮')).toBe('路灯 3 盏不亮');
  });

  it('maps workflow states to CitySDK detailed statuses', () => {
    expect(detailedStatus('reported')).toBe('RECEIVED');
    expect(detailedStatus('handling')).toBe('IN_PROCESS');
    expect(detailedStatus('closed')).toBe('PROCESSED');
    expect(detailedStatus('not_accepted')).toBe('REJECTED');
    expect(detailedStatus('cancelled')).toBe('REJECTED');
  });
});
