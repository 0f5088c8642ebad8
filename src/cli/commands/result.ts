/** What a command hands back to main, which alone prints and sets the exit code. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr?: string;
  /** End the process as soon as the output is written (a daemon that has already closed everything it owns). */
  exitNow?: boolean;
}
