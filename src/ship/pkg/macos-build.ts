/** Everything installers/macos/build.mjs needs, in one entry for scripts/ship/load-ts.mjs. */
export { productFiles, COMPONENT_NAME } from './component.js';
export { ARCHES, PACKAGE_ID } from './layout.js';
export { bomEntriesFor } from './bom-entries.js';
export { readBom } from '../bom/read.js';
export { readCpioOdc } from '../cpio/read.js';
export { launchdPlist } from '../../service/launchd-plist.js';
export { buildProfiles, committedProfiles } from '../mobileconfig/samples.js';
export { SIGNING_IDENTIFIER } from '../mobileconfig/pppc.js';
export { verifyAdhoc } from '../macho/verify.js';
export { MachoError } from '../macho/errors.js';
