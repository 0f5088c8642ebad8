/** The version baked in at build time (esbuild define); "0.0.0-dev" when run unbundled. */
declare const __CCFLEET_VERSION__: string | undefined;
export const VERSION: string = typeof __CCFLEET_VERSION__ === 'string' ? __CCFLEET_VERSION__ : '0.0.0-dev';
