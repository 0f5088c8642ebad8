/**
 * MSI tables as text: the tab-separated archive format `msiinfo export` prints and `msibuild -i` imports
 * (line 1 column names, line 2 column types, line 3 table name and primary key columns, then one row per
 * line). Values holding a tab or line break are refused: nothing this package writes needs them.
 */
export interface IdtTable {
  name: string;
  columns: string[];
  types: string[];
  keys: string[];
  rows: Record<string, string>[];
}

export function parseIdt(text: string): IdtTable {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length < 3) throw new Error('not an exported MSI table (fewer than 3 lines)');
  const columns = lines[0]!.split('\t');
  const types = lines[1]!.split('\t');
  const [name, ...keys] = lines[2]!.split('\t');
  const rows = lines
    .slice(3)
    .filter((l) => l !== '')
    .map((l) => {
      const cells = l.split('\t');
      return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
    });
  return { name: name!, columns, types, keys, rows };
}

export function formatIdt(t: IdtTable): string {
  const cell = (v: string) => {
    if (/[\t\r\n]/.test(v)) throw new Error(`${t.name}: ${JSON.stringify(v)} holds a tab or line break`);
    return v;
  };
  const lines = [t.columns.join('\t'), t.types.join('\t'), [t.name, ...t.keys].join('\t')];
  for (const r of t.rows) lines.push(t.columns.map((c) => cell(r[c] ?? '')).join('\t'));
  return `${lines.join('\n')}\n`;
}
