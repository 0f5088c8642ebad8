/**
 * What `wsl.exe` prints, as text. wsl.exe writes UTF-16LE to a pipe (with or without a BOM), unless
 * `WSL_UTF8=1` is set, when it writes UTF-8; older builds leave stray NULs, and every line ends in CRLF.
 * `decodeWslOutput` accepts all of these; `parseDistroList` turns `wsl.exe -l -q` (or `-l` with its header
 * and "(Default)" marker, in any language) into distribution names. Pure.
 */

/** UTF-16LE when it says so (BOM) or looks like it (NULs in the odd bytes of ASCII text), else UTF-8. */
export function decodeWslOutput(buf: Uint8Array): string {
  let text: string;
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) text = new TextDecoder('utf-16le').decode(buf.subarray(2));
  else if (looksUtf16le(buf)) text = new TextDecoder('utf-16le').decode(buf.subarray(0, buf.length - (buf.length % 2)));
  else text = new TextDecoder('utf-8').decode(buf);
  return text.replace(/^\ufeff/, '').replace(/\u0000/g, '');
}

/** A BOM, or NULs in the odd bytes as ASCII text in UTF-16LE has. */
export function looksUtf16le(buf: Uint8Array): boolean {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return true;
  if (buf.length < 2) return false;
  let odd = 0;
  let even = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) {
    if (buf[i + 1] === 0) odd++;
    if (buf[i] === 0) even++;
  }
  const pairs = Math.floor(buf.length / 2);
  return odd >= pairs * 0.5 && even < odd;
}

/**
 * Names from `wsl.exe -l -q` output, in order, without duplicates. A line holding a space is a header
 * or a message ("Windows Subsystem for Linux has no installed distributions.") unless it is a name
 * followed by a parenthesised marker ("Ubuntu (Default)", "Ubuntu (Standard)"). Names with control
 * characters are dropped.
 */
export function parseDistroList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r\n|\r|\n/)) {
    let line = raw.replace(/^[\s*]+/, '').trimEnd(); // `wsl -l -v` marks the default with "* "
    const marked = /^(\S+)\s+\([^()]*\)$/.exec(line);
    if (marked) line = marked[1]!;
    if (line === '' || /\s/.test(line) || /[\u0000-\u001f\u007f]/.test(line) || line.length > 256) continue;
    if (!out.includes(line)) out.push(line);
  }
  return out;
}

/** The last `max` characters of a decoded output, on one line (for a message). */
export function tail(text: string, max = 400): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `…${one.slice(one.length - max)}` : one;
}
