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
 * V8 flags baked into the executables. A 1 MB semi-space keeps the young generation small. bench/sea.mjs,
 * daemon idle on 10 users x 20 projects, same bundle: without the flag RssAnon is ~66 MiB after start-up
 * and stays there until V8's memory reducer runs (30 s to 2 min later; then ~30 MiB); with it, ~31 MiB
 * from the start (VmHWM 119 vs 143 MiB; the rest of VmRSS is clean pages of the executable). So the
 * steady idle is the same and the peak after each burst of work (start-up, a resync, a policy refresh)
 * is ~35 MiB lower. Cost: ~25 ms more start-up per process (more scavenges while the 2.5 MB bundle
 * loads), also for each as-user write child. 2 and 4 MB semi-spaces: the same cost, less of the gain.
 * Not kept: --optimize-for-size and --single-threaded-gc on top (no further gain), --lite-mode (no
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
