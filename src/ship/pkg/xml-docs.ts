/**
 * The two XML documents of a product archive: the component's PackageInfo and the outer Distribution.
 *
 * PackageInfo: install location /, auth root, overwrite-permissions false (the Installer leaves the
 * owner and mode of folders that already exist alone — /Library and friends — while our own files get
 * the Bom's), the payload size, and the two scripts.
 * Distribution: one hidden choice with the component; hostArchitectures lists arm64 so Apple silicon
 * installs natively without asking for Rosetta; macOS 11 or later (Node 22's floor); system volume only;
 * no customisation — what MDMs push silently with `installer -pkg … -target /`.
 */
import { escapeXml } from '../plist/write-xml.js';

export interface PackageDocsInput {
  identifier: string;
  version: string;
  /** Name of the component folder inside the product archive, e.g. "ccfleet.pkg". */
  componentName: string;
  numberOfFiles: number;
  /** Total payload bytes (rounded up to KiB here). */
  installBytes: number;
  title: string;
  minOsVersion?: string;
}

const attr = (s: string): string => escapeXml(s).replace(/"/g, '&quot;');

export function packageInfoXml(p: PackageDocsInput): string {
  const kb = Math.ceil(p.installBytes / 1024);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<pkg-info format-version="2" identifier="${attr(p.identifier)}" version="${attr(p.version)}" install-location="/" auth="root" overwrite-permissions="false" relocatable="false" postinstall-action="none">`,
    `    <payload numberOfFiles="${p.numberOfFiles}" installKBytes="${kb}"/>`,
    '    <bundle-version/>',
    '    <upgrade-bundle/>',
    '    <update-bundle/>',
    '    <atomic-update-bundle/>',
    '    <strict-identifier/>',
    '    <relocate/>',
    '    <scripts>',
    '        <preinstall file="./preinstall"/>',
    '        <postinstall file="./postinstall"/>',
    '    </scripts>',
    '</pkg-info>',
    '',
  ].join('\n');
}

export function distributionXml(p: PackageDocsInput): string {
  const kb = Math.ceil(p.installBytes / 1024);
  const id = attr(p.identifier);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<installer-gui-script minSpecVersion="2">',
    `    <title>${escapeXml(p.title)}</title>`,
    `    <product id="${id}" version="${attr(p.version)}"/>`,
    '    <options customize="never" require-scripts="false" rootVolumeOnly="true" hostArchitectures="x86_64,arm64"/>',
    '    <domains enable_localSystem="true" enable_anywhere="false" enable_currentUserHome="false"/>',
    '    <volume-check>',
    '        <allowed-os-versions>',
    `            <os-version min="${attr(p.minOsVersion ?? '11.0')}"/>`,
    '        </allowed-os-versions>',
    '    </volume-check>',
    '    <choices-outline>',
    '        <line choice="default">',
    `            <line choice="${id}"/>`,
    '        </line>',
    '    </choices-outline>',
    '    <choice id="default"/>',
    `    <choice id="${id}" visible="false">`,
    `        <pkg-ref id="${id}"/>`,
    '    </choice>',
    `    <pkg-ref id="${id}" version="${attr(p.version)}" onConclusion="none" installKBytes="${kb}">#${attr(p.componentName)}</pkg-ref>`,
    '</installer-gui-script>',
    '',
  ].join('\n');
}
