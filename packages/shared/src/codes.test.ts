import { describe, expect, it } from 'vitest';
import { componentIdEdition, parseClassCode, parseComponentId, parseGridCode } from './codes.ts';

describe('code parsing', () => {
  it('parses class codes per edition', () => {
    expect(parseClassCode('CJT214-2007', 'component', '0101')).toMatchObject({ major: '01', minor: '01' });
    expect(parseClassCode('GBT47678.5-2026', 'component', '01001')).toMatchObject({ major: '01', minor: '001' });
    expect(parseClassCode('CJT214-2007', 'component', '01001')).toBeNull();
    expect(parseClassCode('GBT47678.5-2026', 'event', '0101')).toBeNull();
  });

  it('parses component ids of 16 and 17 digits', () => {
    expect(parseComponentId('CJT214-2007', '3205080101000001')).toEqual({ division: '320508', classCode: '0101', serial: '000001' });
    expect(parseComponentId('GBT47678.5-2026', '32050801001000001')).toEqual({ division: '320508', classCode: '01001', serial: '000001' });
    expect(componentIdEdition('3205080101000001')).toBe('CJT214-2007');
    expect(componentIdEdition('32050801001000001')).toBe('GBT47678.5-2026');
    expect(componentIdEdition('32050801')).toBeNull();
  });

  it('parses 14- and 15-digit grid codes', () => {
    expect(parseGridCode('42050200100101', 14)).toMatchObject({ district: '420502', street: '001', community: '001', serial: '01' });
    expect(parseGridCode('420502001001001', 15)).toMatchObject({ serial: '001' });
    expect(parseGridCode('420502001001001', 14)).toBeNull();
  });
});
