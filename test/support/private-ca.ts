/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1 (SAN IP:127.0.0.1 and
 * DNS:localhost), made with the `openssl` CLI in a temp folder — for HTTPS servers that only a client
 * trusting this CA accepts. Nothing here is trusted by the machine. `cleanup()` removes the folder.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PrivateCa {
  dir: string;
  /** The CA certificate (PEM) and its file: what a client adds to its trusted roots. */
  caCert: string;
  caCertPath: string;
  /** The server's key and certificate (PEM, signed by the CA) and their files. */
  key: string;
  cert: string;
  keyPath: string;
  certPath: string;
  cleanup(): void;
}

export function makePrivateCa(opts: { commonName?: string; days?: number } = {}): PrivateCa {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-ca-'));
  const p = (name: string) => path.join(dir, name);
  const days = String(opts.days ?? 2);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'),
      '-days', days, '-subj', '/CN=ccfleet test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr'),
      '-subj', `/CN=${opts.commonName ?? '127.0.0.1'}`);
    fs.writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
    openssl('x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.pem'),
      '-days', days, '-extfile', p('server.ext'));
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl failed: ${(e as Error).message}\n${stderr}`);
  }
  const read = (name: string) => fs.readFileSync(p(name), 'utf8');
  return {
    dir,
    caCert: read('ca.pem'),
    caCertPath: p('ca.pem'),
    key: read('server.key'),
    cert: read('server.pem'),
    keyPath: p('server.key'),
    certPath: p('server.pem'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
