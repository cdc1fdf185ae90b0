/**
 * "Resume uploads at login". macOS and Windows use `app.setLoginItemSettings`; Linux has no such API, so Tusk writes
 * an XDG autostart entry (~/.config/autostart/io.tusk.app.desktop). The plan is pure; index.ts applies it.
 */
import { join } from 'node:path';

/** Where and what to write for Linux, or the login-item settings for macOS/Windows. */
export type LoginItemPlan =
  | { kind: 'electron'; settings: { openAtLogin: boolean; openAsHidden: boolean; args: string[] } }
  | { kind: 'xdg'; path: string; content: string | undefined };

/** Quotes an Exec= argument per the Desktop Entry spec. */
function quoteExec(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

/**
 * The plan for a platform. `executable` is what starts Tusk (on Linux the AppImage path from $APPIMAGE when set,
 * since process.execPath points inside the mounted image that disappears).
 */
export function loginItemPlan(input: {
  enabled: boolean;
  platform: string;
  executable: string;
  configHome: string;
}): LoginItemPlan {
  if (input.platform !== 'linux') {
    return { kind: 'electron', settings: { openAtLogin: input.enabled, openAsHidden: true, args: ['--hidden'] } };
  }
  const path = join(input.configHome, 'autostart', 'io.tusk.app.desktop');
  if (!input.enabled) return { kind: 'xdg', path, content: undefined };
  const content = [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Tusk',
    'Comment=Resume unfinished uploads',
    `Exec=${quoteExec(input.executable)} --hidden`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
  return { kind: 'xdg', path, content };
}
