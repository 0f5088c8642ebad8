/** What a command hands back to main, which alone prints and sets the exit code. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr?: string;
}
