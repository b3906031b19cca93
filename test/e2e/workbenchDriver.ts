/**
 * Drives VS Code's workbench in Chromium the way a person does: command palette, explorer context menu,
 * views, and the webviews' DOM (each webview is an iframe inside an iframe, reachable through page.frames()).
 * Selectors are VS Code's own accessible names and roles where it has them, so a workbench update
 * breaks them least.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';

/** How long one query of one webview frame may take before the frame is passed over for this round. */
const FRAME_QUERY_MS = 3_000;

/** `promise`, or a rejection after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class WorkbenchDriver {
  constructor(readonly page: Page) {}

  /**
   * Waits until the workbench shows the explorer with the workspace's files and the extension's
   * activity bar entry: the remote extension host registers contributions after the workbench paints,
   * and a context menu opened before that lacks the extension's items.
   */
  async ready(fileName: string, extensionViewTitle: string, timeoutMs = 90_000): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
    await this.explorerItem(fileName).waitFor({ timeout: timeoutMs });
    await this.activityBarItem(extensionViewTitle).waitFor({ timeout: timeoutMs });
  }

  activityBarItem(title: string) {
    return this.page.locator('.part.activitybar').getByRole('tab', { name: title }).first();
  }

  /**
   * Shows a view container (Explorer, Sequence Lab) in the side bar. Its activity bar item toggles: a
   * click on the one already shown hides the side bar, so it is clicked only when its view is not on screen.
   */
  async showViewContainer(title: string): Promise<void> {
    const item = this.activityBarItem(title);
    const selected = await item
      .evaluate((el) => el.getAttribute('aria-selected') === 'true' || el.getAttribute('aria-expanded') === 'true' || el.classList.contains('checked'))
      .catch(() => false);
    if (selected && (await this.page.locator('.part.sidebar').isVisible())) return;
    await item.click();
  }

  /**
   * Waits for a file a test has just written (or deleted) to show (or go) in the explorer. The
   * workbench learns of it from its file watcher, which a busy machine sometimes leaves silent: then
   * the explorer is refreshed, as a person would.
   */
  async waitForExplorerItem(fileName: string, state: 'visible' | 'detached' = 'visible'): Promise<void> {
    await this.showExplorer();
    const item = this.explorerItem(fileName);
    if (
      await item.waitFor({ state, timeout: 10_000 }).then(
        () => true,
        () => false,
      )
    )
      return;
    // The explorer's own Refresh button (its title actions show on hover).
    await this.page.locator('.explorer-folders-view').hover();
    await this.page.getByRole('button', { name: 'Refresh Explorer' }).first().click({ timeout: 10_000 });
    await item.waitFor({ state, timeout: 30_000 });
  }

  /** Brings the explorer back into the side bar when an earlier test left another view there (the Runs view, say). */
  async showExplorer(): Promise<void> {
    if (await this.page.locator('.explorer-folders-view').isVisible()) return;
    await this.showViewContainer('Explorer');
    await this.page.locator('.explorer-folders-view').waitFor({ timeout: 30_000 });
  }

  explorerItem(fileName: string) {
    return this.page.locator('.explorer-folders-view').getByRole('treeitem', { name: fileName, exact: true });
  }

  /** Runs a command by its title in the command palette, as a person would type it. */
  async runCommand(title: string): Promise<void> {
    await this.dismissQuickInput();
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${title}`);
    const item = this.page.locator('.quick-input-widget .quick-input-list').getByRole('option', { name: title }).first();
    await item.waitFor({ timeout: 15_000 });
    await item.click();
  }

  /**
   * Right-clicks a file in the explorer and picks `label` from its context menu. The item is picked
   * with the keyboard (hover focuses it, Enter runs it): a busy workbench sometimes keeps a mouse click
   * on a menu for itself and leaves the menu open.
   */
  async explorerContextMenu(fileName: string, label: string): Promise<void> {
    await this.closeMenus();
    await this.showExplorer();
    const row = this.explorerItem(fileName);
    await row.click({ button: 'right' });
    const item = this.page.getByRole('menuitem', { name: label, exact: false }).first();
    try {
      await item.waitFor({ timeout: 15_000 });
    } catch (e) {
      const items = await this.page
        .getByRole('menuitem')
        .allInnerTexts()
        .catch(() => []);
      await this.page.keyboard.press('Escape');
      throw new Error(`the context menu of ${fileName} has no "${label}"; it shows: ${items.map((t) => t.split('\n')[0]).join(' | ')}`);
    }
    await item.hover();
    await this.page.keyboard.press('Enter');
    const menu = this.page.locator('.context-view .monaco-menu');
    await menu.waitFor({ state: 'hidden', timeout: 10_000 }).catch(async () => {
      await this.page.keyboard.press('Escape');
      throw new Error(`the context menu of ${fileName} stayed open after picking "${label}"`);
    });
  }

  /** Closes a context menu left open (by a failed test, say). */
  async closeMenus(): Promise<void> {
    if (
      await this.page
        .locator('.context-view .monaco-menu')
        .isVisible()
        .catch(() => false)
    )
      await this.page.keyboard.press('Escape');
  }

  async dismissQuickInput(): Promise<void> {
    if (
      await this.page
        .locator('.quick-input-widget')
        .isVisible()
        .catch(() => false)
    )
      await this.page.keyboard.press('Escape');
  }

  /** The first frame (of any webview but those in `exclude`) that has an element matching `selector`. */
  webviewFrame(selector: string, timeoutMs = 60_000, exclude: readonly Frame[] = []): Promise<Frame> {
    return this.waitForFrame(`a webview showing ${selector}`, async (frame) => !exclude.includes(frame) && !!(await frame.$(selector)), timeoutMs);
  }

  /** The first webview frame for which `accept` resolves true, polled until `timeoutMs`. */
  async waitForFrame(what: string, accept: (frame: Frame) => Promise<boolean>, timeoutMs = 60_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const frame of this.page.frames()) {
        if (frame === this.page.mainFrame() || frame.isDetached()) continue;
        // A frame whose page never comes up (a webview not yet shown) would hold a query forever.
        if (await withTimeout(accept(frame), FRAME_QUERY_MS).catch(() => false)) return frame;
      }
      if (Date.now() > deadline) throw new Error(`no ${what} after ${Math.round(timeoutMs / 1000)} s`);
      await this.page.waitForTimeout(250);
    }
  }

  /** Texts of the notification toasts now shown. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notification-toast .notification-list-item-message').allInnerTexts();
  }

  /** The notification toast whose message matches `message`, once it shows; fails with the toasts seen. */
  async waitForNotification(message: RegExp, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const toasts = this.page.locator('.notification-toast');
      const texts = await toasts
        .locator('.notification-list-item-message')
        .allInnerTexts()
        .catch(() => [] as string[]);
      const index = texts.findIndex((t) => message.test(t));
      if (index >= 0) return { text: texts[index], toast: toasts.nth(index) };
      if (Date.now() > deadline) throw new Error(`no notification matching ${message} after ${timeoutMs / 1000} s; shown: ${JSON.stringify(texts)}`);
      await this.page.waitForTimeout(250);
    }
  }

  /** Clicks the button `label` of the toast whose message matches `message`. */
  async clickNotificationButton(message: RegExp, label: string): Promise<void> {
    const { toast } = await this.waitForNotification(message);
    await toast.getByRole('button', { name: label, exact: true }).click();
  }

  /** Closes every notification, so a test sees only its own. */
  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
  }

  async screenshot(dir: string, name: string): Promise<string> {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name.replace(/[^\w.-]+/g, '_').slice(0, 120)}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }
}
