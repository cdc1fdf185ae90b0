/** The tray icon: status tooltip and a small menu (show, pause all, resume all, quit). */
import { Menu, Tray, nativeImage } from 'electron';
import type { EngineStatus } from '../engine/engine-types';
import { trayMenuModel, trayTooltip } from './shell-logic';
import type { TrayMenuEntry } from './shell-logic';

/** What the tray's items do. */
export interface TrayActions {
  show(): void;
  pauseAll(): void;
  resumeAll(): void;
  quit(): void;
}

/** Owns the Tray and rebuilds its menu only when the model changes. */
export class TrayController {
  private readonly tray: Tray;
  private lastModel = '';
  private lastTooltip = '';
  constructor(iconPath: string, private readonly actions: TrayActions) {
    const image = nativeImage.createFromPath(iconPath);
    const size = process.platform === 'darwin' ? 18 : 22;
    this.tray = new Tray(image.isEmpty() ? image : image.resize({ width: size, height: size }));
    this.tray.on('click', () => actions.show());
  }
  /** Reflects a status in the tooltip and menu. */
  update(status: EngineStatus, windowVisible: boolean): void {
    const tooltip = trayTooltip(status);
    if (tooltip !== this.lastTooltip) {
      this.tray.setToolTip(tooltip);
      this.lastTooltip = tooltip;
    }
    const model = trayMenuModel(status, windowVisible);
    const key = JSON.stringify(model);
    if (key === this.lastModel) return;
    this.lastModel = key;
    this.tray.setContextMenu(Menu.buildFromTemplate(model.map((e) => this.item(e))));
  }
  private item(entry: TrayMenuEntry): Electron.MenuItemConstructorOptions {
    if (entry.id === 'separator') return { type: 'separator' };
    const click = {
      show: () => this.actions.show(),
      'pause-all': () => this.actions.pauseAll(),
      'resume-all': () => this.actions.resumeAll(),
      quit: () => this.actions.quit(),
    }[entry.id];
    return { label: entry.label, enabled: entry.enabled, click };
  }
  destroy(): void {
    this.tray.destroy();
  }
}
