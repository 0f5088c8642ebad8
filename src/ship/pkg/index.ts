export { productFiles, COMPONENT_NAME, type ComponentInput, type ProductFiles } from './component.js';
export { macosPayload, PACKAGE_ID, APP_DIR, LIBEXEC_DIR, UNINSTALL_SCRIPT, ARCHES, type DarwinArch, type PayloadInput } from './layout.js';
export { bomEntriesFor } from './bom-entries.js';
export { packageInfoXml, distributionXml, type PackageDocsInput } from './xml-docs.js';
