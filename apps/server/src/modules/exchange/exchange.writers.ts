import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';

/** One column of a tabular export: a stable key, its headers, and how to read it from a record. */
export interface Column<T> {
  key: string;
  zh: string;
  en: string;
  value: (r: T, lang: ExportLang) => string | number | boolean | Date | null;
  /** Column width in an Excel sheet (characters). */
  width?: number;
}

export type ExportLang = 'zh-CN' | 'en';
export const EXPORT_FORMATS = ['csv', 'xlsx', 'json', 'geojson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  json: 'application/json; charset=utf-8',
  geojson: 'application/geo+json; charset=utf-8',
};

/** Excel's row limit per sheet, header aside. */
export const XLSX_MAX_ROWS = 1_048_575;

/**
 * One CSV field (RFC 4180). Text that a spreadsheet would run as a formula (= + - @ or a tab
 * or CR first) is prefixed with an apostrophe: descriptions come from the public.
 */
export function csvField(v: string | number | boolean | Date | null): string {
  if (v === null) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v !== 'string') return String(v);
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const header = <T>(cols: Column<T>[], lang: ExportLang) => cols.map((c) => (lang === 'en' ? c.en : c.zh));

/**
 * A CSV stream: UTF-8 with a byte-order mark (so spreadsheet programs read Chinese correctly),
 * CRLF line ends, one header row.
 */
export function csvStream<T>(cols: Column<T>[], rows: AsyncIterable<T>, lang: ExportLang): Readable {
  async function* lines() {
    yield `\uFEFF${header(cols, lang).map(csvField).join(',')}\r\n`;
    let chunk = '';
    let n = 0;
    for await (const r of rows) {
      chunk += `${cols.map((c) => csvField(c.value(r, lang))).join(',')}\r\n`;
      if (++n % 500 === 0) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  return Readable.from(lines());
}

/**
 * An Excel workbook written as it streams (exceljs' streaming writer), one sheet per table.
 * Values keep their types: numbers as numbers, times as dates; text is never a formula.
 */
export function xlsxStream(
  sheets: Array<{
    name: string;
    write: (add: (values: unknown[]) => void) => Promise<void>;
    columns: Array<{ header: string; width?: number }>;
  }>,
): Readable {
  const out = new PassThrough();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  void (async () => {
    for (const s of sheets) {
      const ws = wb.addWorksheet(s.name, { views: [{ state: 'frozen', ySplit: 1 }] });
      ws.columns = s.columns.map((c, i) => ({ header: c.header, key: `c${i}`, width: c.width ?? 14 }));
      ws.getRow(1).font = { bold: true };
      ws.getRow(1).commit();
      await s.write((values) => ws.addRow(values).commit());
      ws.commit();
    }
    await wb.commit();
  })().catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
  return out;
}

/** A table of records as an xlsx sheet description. */
export function sheetOf<T>(name: string, cols: Column<T>[], rows: AsyncIterable<T>, lang: ExportLang) {
  return {
    name,
    columns: cols.map((c) => ({ header: lang === 'en' ? c.en : c.zh, width: c.width })),
    write: async (add: (values: unknown[]) => void) => {
      for await (const r of rows) add(cols.map((c) => c.value(r, lang)));
    },
  };
}

/**
 * A JSON document streamed around an array: `head` holds the document's other members, `key` names
 * the array, each item is serialised as it comes.
 */
export function jsonArrayStream<T>(head: Record<string, unknown>, key: string, items: AsyncIterable<T>): Readable {
  async function* parts() {
    const open = JSON.stringify(head);
    yield `${open.slice(0, -1)}${open.length > 2 ? ',' : ''}${JSON.stringify(key)}:[`;
    let first = true;
    let chunk = '';
    let n = 0;
    for await (const item of items) {
      chunk += (first ? '\n' : ',\n') + JSON.stringify(item);
      first = false;
      if (++n % 200 === 0) {
        yield chunk;
        chunk = '';
      }
    }
    yield `${chunk}\n]}\n`;
  }
  return Readable.from(parts());
}
