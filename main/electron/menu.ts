/**
 * The native application menu as data (only Electron's types are imported, so it is tested on Node).
 * index.ts passes it to `Menu.buildFromTemplate`.
 */
import type { MenuItemConstructorOptions } from 'electron';

/** What the menu items do. */
export interface MenuActions {
  addFiles(): void;
  addFolder(): void;
  pauseAll(): void;
  resumeAll(): void;
  openSettings(): void;
  showWindow(): void;
  quit(): void;
}

/** The application menu template. `CmdOrCtrl` maps to Cmd on macOS and Ctrl elsewhere. */
export function appMenuTemplate(actions: MenuActions, platform: string, isDev = false): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { id: 'add-files', label: 'Add Files…', accelerator: 'CmdOrCtrl+O', click: () => actions.addFiles() },
      { id: 'add-folder', label: 'Add Folder…', accelerator: 'CmdOrCtrl+Shift+O', click: () => actions.addFolder() },
      { type: 'separator' },
      ...(mac
        ? []
        : ([
            { id: 'settings', label: 'Settings…', accelerator: 'CmdOrCtrl+,', click: () => actions.openSettings() },
            { type: 'separator' },
            { id: 'quit', label: 'Quit', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() },
          ] satisfies MenuItemConstructorOptions[])),
    ],
  };
  const uploads: MenuItemConstructorOptions = {
    label: 'Uploads',
    submenu: [
      { id: 'pause-all', label: 'Pause All', accelerator: 'CmdOrCtrl+Shift+P', click: () => actions.pauseAll() },
      { id: 'resume-all', label: 'Resume All', accelerator: 'CmdOrCtrl+Shift+R', click: () => actions.resumeAll() },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...(isDev ? ([{ role: 'reload' }, { role: 'toggleDevTools' }] satisfies MenuItemConstructorOptions[]) : []),
    ],
  };
  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    template.push({
      label: 'Tusk',
      submenu: [
        { role: 'about' },
        { type: 'separator' },
        { id: 'settings', label: 'Settings…', accelerator: 'CmdOrCtrl+,', click: () => actions.openSettings() },
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        { type: 'separator' },
        { id: 'quit', label: 'Quit Tusk', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() },
      ],
    });
  }
  template.push(file, { role: 'editMenu' }, uploads, view, { role: 'windowMenu' });
  return template;
}
