/** What scripts/build-exe.mjs loads (through scripts/ship/load-ts.mjs). */
export { SHIP_TARGETS, hostTarget, parseTargets, type NodeTarget, type ShipTarget } from './targets.js';
export { SEA_FUSE, SEA_MACHO_SEGMENT, SEA_RESOURCE, V8_FLAGS, seaConfig, type SeaConfig } from './sea-config.js';
export { stripCommand, type StripCommand } from './strip-tool.js';
export { osslsigncodeSignArgs, winSigningEnv, type WinSigning, type WinSigningEnv } from './win-sign.js';
export { sha256sumsText } from './sha256sums.js';
