/**
 * Which program strips a Linux ELF of a given architecture on this build machine. Stripping must happen
 * BEFORE the blob is injected: stripping an injected binary drops or moves the note Node finds the blob
 * by, and the result segfaults. The arch-prefixed GNU strip (Debian's binutils-<arch>-linux-gnu) comes
 * first, then llvm-strip (any architecture), then the host's plain `strip` when it is the same
 * architecture. null: nothing on this machine can, and the binary ships unstripped.
 */
export interface StripCommand {
  command: string;
  args: string[];
}

const GNU_PREFIX: Record<'x64' | 'arm64', string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/** `has(cmd)` tells whether a command is on PATH; `hostArch` is process.arch of the build machine. */
export function stripCommand(arch: 'x64' | 'arm64', hostArch: string, has: (cmd: string) => boolean): StripCommand | null {
  const candidates = [`${GNU_PREFIX[arch]}-strip`, 'llvm-strip', ...[19, 18, 17, 16, 15, 14, 13].map((v) => `llvm-strip-${v}`)];
  if (hostArch === arch) candidates.push('strip');
  const command = candidates.find(has);
  return command === undefined ? null : { command, args: [] };
}
