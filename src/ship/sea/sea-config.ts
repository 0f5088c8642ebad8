/**
 * The SEA configuration (`node --experimental-sea-config <file>`). Code cache and snapshot stay off: both
 * are specific to the V8 build and CPU that made them, and the one blob is injected into all five Node
 * binaries. `execArgv` holds the V8 flags every start of the executable gets (see V8_FLAGS).
 */
export interface SeaConfig {
  main: string;
  output: string;
  disableExperimentalSEAWarning: true;
  useSnapshot: false;
  useCodeCache: false;
  execArgv?: string[];
}

/**
 * V8 flags baked into the executables. A 1 MB semi-space keeps the young generation small: the daemon
 * is idle nearly all the time, and the default 16 MB semi-spaces stay resident until V8's memory reducer
 * happens to run. bench/sea.mjs, daemon idle on 10 users x 20 projects: RssAnon 30 MiB with the flag,
 * 65 MiB without (VmRSS 105 vs 139 MiB; the rest is clean pages of the executable). Measured and not
 * kept: --optimize-for-size and --single-threaded-gc on top (no further gain), --lite-mode (no
 * WebAssembly: undici's HTTP parser fails).
 */
export const V8_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

export function seaConfig(main: string, output: string, execArgv: readonly string[] = V8_FLAGS): SeaConfig {
  return {
    main,
    output,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: false,
    ...(execArgv.length > 0 ? { execArgv: [...execArgv] } : {}),
  };
}

/** postject's fuse: the string Node's binaries carry to say "a SEA blob may be injected". */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Resource (ELF note / PE resource / Mach-O section) name Node looks the blob up by. */
export const SEA_RESOURCE = 'NODE_SEA_BLOB';
/** Mach-O segment holding the blob's section. */
export const SEA_MACHO_SEGMENT = 'NODE_SEA';
