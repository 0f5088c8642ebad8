/**
 * Optional Authenticode signing of the Windows executable with Debian's osslsigncode, after injection
 * (injection invalidates Node's own signature, which is removed first). Credentials come from the
 * environment, never from the command line of a process others can list:
 *   CCFLEET_WIN_CERT + CCFLEET_WIN_KEY  PEM or DER certificate (chain) and private key files
 *   CCFLEET_WIN_PFX                      a PKCS#12 file instead of the pair
 *   CCFLEET_WIN_KEY_PASS                 the key's or pfx's password (handed over in a 0600 file)
 *   CCFLEET_WIN_TIMESTAMP_URL            an RFC 3161 time-stamping server (optional; needs the network)
 */
export type WinSigning =
  | { kind: 'pem'; cert: string; key: string; passFile?: string; timestampUrl?: string }
  | { kind: 'pfx'; pfx: string; passFile?: string; timestampUrl?: string };

export interface WinSigningEnv {
  cert?: string;
  key?: string;
  pfx?: string;
  /** The password itself (the caller writes it to a private file and passes that as passFile). */
  pass?: string;
  timestampUrl?: string;
}

/** The signing inputs named by the environment; null when none are given; throws on half a pair. */
export function winSigningEnv(env: Record<string, string | undefined>): WinSigningEnv | null {
  const v = (k: string) => (env[k] && env[k]!.length > 0 ? env[k] : undefined);
  const out: WinSigningEnv = { cert: v('CCFLEET_WIN_CERT'), key: v('CCFLEET_WIN_KEY'), pfx: v('CCFLEET_WIN_PFX'), pass: v('CCFLEET_WIN_KEY_PASS'), timestampUrl: v('CCFLEET_WIN_TIMESTAMP_URL') };
  if (!out.cert && !out.key && !out.pfx) return null;
  if (out.pfx && (out.cert || out.key)) throw new Error('CCFLEET_WIN_PFX and CCFLEET_WIN_CERT/CCFLEET_WIN_KEY are exclusive: give one');
  if (!out.pfx && !(out.cert && out.key)) throw new Error('Authenticode signing needs both CCFLEET_WIN_CERT and CCFLEET_WIN_KEY (or CCFLEET_WIN_PFX)');
  return out;
}

/** osslsigncode arguments that sign `input` into `output` (SHA-256, program name and URL set). */
export function osslsigncodeSignArgs(s: WinSigning, input: string, output: string): string[] {
  const creds = s.kind === 'pem' ? ['-certs', s.cert, '-key', s.key] : ['-pkcs12', s.pfx];
  return [
    'sign',
    ...creds,
    ...(s.passFile ? ['-readpass', s.passFile] : []),
    '-h', 'sha256',
    '-n', 'ccfleet',
    ...(s.timestampUrl ? ['-ts', s.timestampUrl] : []),
    '-in', input,
    '-out', output,
  ];
}
