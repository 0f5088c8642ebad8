/**
 * A plain-text table that reads at a glance in a terminal (no colours: output is often piped to logs).
 * Cells wider than 60 characters are shortened with "…": paths (the columns in `keepEnd`) lose their
 * beginning, everything else its end, so the part that tells rows apart stays visible. The last column
 * is never shortened.
 */
export function table(head: string[], rows: string[][], opts: { keepEnd?: readonly number[] } = {}): string {
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
  const cut = (s: string, w: number, i: number) =>
    s.length <= w ? s : opts.keepEnd?.includes(i) ? '…' + s.slice(s.length - w + 1) : s.slice(0, w - 1) + '…';
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : cut(c, widths[i]!, i).padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
