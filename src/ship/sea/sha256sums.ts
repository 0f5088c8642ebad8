/** The text of a SHA256SUMS file (`sha256sum -c` reads it): `<hex>  <name>` lines, sorted by name. */
export function sha256sumsText(entries: readonly { name: string; sha256: string }[]): string {
  return [...entries]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((e) => `${e.sha256}  ${e.name}\n`)
    .join('');
}
