/**
 * The import template: the Chinese headers the case import recognises (docs/exchange.md), in
 * the order a 12345 work-order list usually has them, as a CSV a spreadsheet opens as UTF-8.
 */
export const TEMPLATE_HEADERS = [
  '工单编号',
  '来电时间',
  '来电人',
  '联系电话',
  '问题描述',
  '类型',
  '分类编码',
  '小类',
  '地址',
  '经度',
  '纬度',
  '坐标系',
  '紧急程度',
  '渠道',
] as const;

/** Quotes a CSV field when it needs it (RFC 4180). */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A CSV document with a byte-order mark and CRLF line ends. */
export function csvText(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  return `\uFEFF${rows.map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
}

/** Offers the template as a download named `cases-import-template.csv`. */
export function downloadTemplate(): void {
  const blob = new Blob([csvText([TEMPLATE_HEADERS])], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = 'cases-import-template.csv';
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
