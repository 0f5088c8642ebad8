/**
 * Everything inside the product archive except the xar container itself (the build script runs bsdtar):
 * Distribution, and the component folder's PackageInfo, Bom, Payload (gzip'd odc cpio) and Scripts
 * (gzip'd odc cpio of preinstall/postinstall). Returned as bytes/chunks per file name; pure apart from
 * gzip (node:zlib).
 */
import { gzipSync } from 'node:zlib';
import { writeBom } from '../bom/write.js';
import { cpioOdc, cpioOdcChunks, type CpioEntry } from '../cpio/write.js';
import { bomEntriesFor } from './bom-entries.js';
import { macosPayload, PACKAGE_ID, type PayloadInput } from './layout.js';
import { distributionXml, packageInfoXml } from './xml-docs.js';

export const COMPONENT_NAME = 'ccfleet.pkg';

export interface ComponentInput extends PayloadInput {
  version: string;
  preinstall: string;
  postinstall: string;
}

export interface ProductFiles {
  /** Relative path inside the xar → content. */
  files: Record<string, Uint8Array>;
  payloadEntries: CpioEntry[];
}

function gzipChunks(chunks: readonly Uint8Array[]): Uint8Array {
  return gzipSync(Buffer.concat(chunks));
}

export function productFiles(input: ComponentInput): ProductFiles {
  const entries = macosPayload(input);
  const enc = new TextEncoder();
  const installBytes = entries.reduce((n, e) => n + (e.data?.length ?? 0), 0);
  const docs = {
    identifier: PACKAGE_ID,
    version: input.version,
    componentName: COMPONENT_NAME,
    numberOfFiles: entries.length,
    installBytes,
    title: 'ccfleet agent',
  };
  const scripts = cpioOdc([
    { path: '.', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: input.mtime },
    { path: './postinstall', type: 'file', mode: 0o755, uid: 0, gid: 0, mtime: input.mtime, data: enc.encode(input.postinstall) },
    { path: './preinstall', type: 'file', mode: 0o755, uid: 0, gid: 0, mtime: input.mtime, data: enc.encode(input.preinstall) },
  ]);
  return {
    payloadEntries: entries,
    files: {
      Distribution: enc.encode(distributionXml(docs)),
      [`${COMPONENT_NAME}/PackageInfo`]: enc.encode(packageInfoXml(docs)),
      [`${COMPONENT_NAME}/Bom`]: writeBom(bomEntriesFor(entries)),
      [`${COMPONENT_NAME}/Payload`]: gzipChunks(cpioOdcChunks(entries)),
      [`${COMPONENT_NAME}/Scripts`]: gzipSync(scripts, { level: 9 }),
    },
  };
}
