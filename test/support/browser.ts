import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`): never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

export const hasChromium = (): boolean => existsSync(CHROMIUM);

/** A headless Chromium with a fresh profile, closed and removed after the test. */
export async function openBrowser(t: TestContext): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'capstan-chromium-'));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true });
  const context = await chromium
    .launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    .catch((error: unknown) => {
      // A browser that fails to launch leaves no profile behind either.
      removeProfile();
      throw error;
    });
  t.after(async () => {
    await context.close();
    removeProfile();
  });
  return context;
}

/** Where screenshots go: reports/console (git-ignored), or CAPSTAN_SCREENSHOTS (docs/console refreshes the docs' ones). */
export function screenshotDir(root: string): string {
  const dir = process.env.CAPSTAN_SCREENSHOTS ?? join(root, 'reports/console');
  mkdirSync(dir, { recursive: true });
  return dir;
}
