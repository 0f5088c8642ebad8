/**
 * `doctor --ca <file>`: extra certificate authorities (PEM, one or more) trusted on top of Node's
 * defaults — for a gateway behind a company CA. A missing, unreadable or garbage file is a usage error
 * (exit 2) before any request: a typo must not look like "the gateway's certificate is bad".
 */
import fs from 'node:fs';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { CcfleetError } from '../../core/errors.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const MAX_CA_BYTES = 1 << 20;

/** The PEM certificates in `file`, each checked to parse. */
export function readCaFile(file: string): string[] {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new CcfleetError('USAGE', `--ca ${file}: not a file`);
    if (st.size > MAX_CA_BYTES) throw new CcfleetError('USAGE', `--ca ${file}: larger than 1 MiB, not a CA bundle`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof CcfleetError) throw e;
    throw new CcfleetError('USAGE', `--ca ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const pems = text.match(PEM_CERT) ?? [];
  if (pems.length === 0) throw new CcfleetError('USAGE', `--ca ${file}: no PEM certificate ("-----BEGIN CERTIFICATE-----") in the file`);
  pems.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch (e) {
      throw new CcfleetError('USAGE', `--ca ${file}: certificate ${i + 1} does not parse (${(e as Error).message})`);
    }
  });
  return pems;
}

/** Node's default trusted roots (bundled, NODE_EXTRA_CA_CERTS, system when enabled) plus `extra`. */
export function trustedRoots(extra: readonly string[]): string[] {
  const defaults = typeof tls.getCACertificates === 'function' ? tls.getCACertificates('default') : [...tls.rootCertificates];
  return [...defaults, ...extra];
}
