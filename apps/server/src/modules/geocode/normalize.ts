/**
 * Normalises an address for fuzzy matching: full-width → half-width, no spaces or
 * punctuation, lower case, "号楼"/"号" kept (they matter for door plates).
 * The gazetteer's search_text is normalizeAddress(full address + name + aliases).
 */
export function normalizeAddress(s: string): string {
  return s
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .replace(/[\s,，.。、;；:：()（）\-—_/\\"'“”‘’]+/g, '')
    .toLowerCase();
}

/** The gazetteer's search_text for one place: its full address, name and aliases, normalised. */
export function gazetteerSearchText(place: { fullAddress: string; name: string; aliases?: readonly string[] }): string {
  return normalizeAddress([place.fullAddress, place.name, ...(place.aliases ?? [])].join(' '));
}
