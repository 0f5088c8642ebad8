/**
 * WSL: a Linux distribution under Windows, so Linux conventions throughout (users from /etc/passwd,
 * managed settings in /etc/claude-code, the Linux agent paths).
 * Claude Code in WSL reads only /etc/claude-code — unless a Windows admin source (HKLM policy or the
 * Windows managed-settings.json) sets `wslInheritsWindowsSettings: true`, in which case the Windows
 * managed settings apply too. Reading the Windows side from inside WSL is out of scope here, so WSL
 * reports no OS policy sources.
 */
import { linux } from './linux.js';
import type { Platform } from './types.js';

export const wsl: Platform = { ...linux, name: 'wsl' };
