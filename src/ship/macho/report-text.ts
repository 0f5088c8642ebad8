/** One line per slice (and one per problem) for people and build logs. */
import type { VerifyReport } from './verify.js';

export function formatReport(file: string, r: VerifyReport): string {
  const lines = [`${file}: ${r.ok ? 'OK' : 'INVALID'}${r.fat ? ` (universal, ${r.slices.length} slices)` : ''}`];
  for (const s of r.slices) {
    const cd = s.codeDirectories[0];
    const desc = cd
      ? `identifier=${cd.identifier}${cd.teamId ? ` team=${cd.teamId}` : ''} cdhash=${cd.cdhash} CodeDirectory v${cd.version} flags=${cd.flagNames} ` +
        `${cd.hashType} pages=${cd.pagesChecked - cd.mismatchedPages.length}/${cd.nCodeSlots}×${cd.pageSize} ` +
        `alternates=${s.codeDirectories.length - 1} cms=${s.cms.state}${s.cms.state === 'present' ? `(${s.cms.size} bytes, names cdhash: ${s.cms.namesCdhash})` : ''}`
      : 'no CodeDirectory';
    lines.push(`  ${s.arch} @${s.offset}: ${s.ok ? 'ok' : 'INVALID'} ${desc}`);
    for (const p of s.problems) lines.push(`    ${p.code}: ${p.message}`);
  }
  return lines.join('\n');
}
