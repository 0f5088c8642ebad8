/** A plain-text table that reads at a glance in a terminal (no colours: output is often piped to logs). */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
  const cut = (s: string, w: number) => (s.length > w ? '…' + s.slice(s.length - w + 1) : s);
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : cut(c, widths[i]!).padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
