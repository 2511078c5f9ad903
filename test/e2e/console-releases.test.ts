import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import { buildRelease } from '../../src/releases/build-release.ts';
import { hasChromium, openBrowser, screenshotDir } from '../support/browser.ts';
import { ADMIN_TOKEN, apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { until } from '../support/eventually.ts';
import { newOrder } from '../support/restaurant-order.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SOURCE = join(ROOT, 'examples/restaurant-approval/pipeline.ts');
const RELEASES = '/tpf/admin/tenants/default/pipelines/restaurant-approval/releases';

// The console's Releases page as an admin uses it: a second release registered, activated with
// its button, the page showing it active and the activation history one longer. Also, a list
// page keeps its filter while it polls.
test(
  'the web console: activate a second release from the Releases page; a filtered list keeps its filter while polling',
  {
    skip: !hasChromium() && !process.env.CI && 'needs /usr/bin/chromium (apt-get install chromium)',
    timeout: 120_000,
  },
  async (t) => {
    const coordinator = await startCoordinatorProcess(t);
    const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
    const v1 = (await admin.call('GET', `${RELEASES}/active`)).body.releaseVersion as string;
    const v2 = 'v2-console';
    const built = await buildRelease(restaurant, { sourceFile: SOURCE, releaseVersion: v2 });
    const registered = await admin.call('POST', `${RELEASES}/register`, {
      descriptor: built.descriptor,
      artifacts: [{ uri: built.artifactFileName, contentBase64: built.artifact.toString('base64') }],
    });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));

    // An order waiting at its decision, for the executions list below.
    const submitted = await admin.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    const id = submitted.body.executionId as string;
    assert.equal((await admin.result(id)).body.status.status, 'WAITING_EXTERNAL');

    const context = await openBrowser(t);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${coordinator.baseUrl}/console`);
    await page.fill('input[name=token]', ADMIN_TOKEN);
    await page.click('button[type=submit]');
    await page.locator('.who', { hasText: 'admin' }).waitFor();

    await page.goto(`${coordinator.baseUrl}/console#/releases`);
    const row = (version: string) => page.locator('[data-testid=releases] tr', { hasText: version });
    const history = page.locator('[data-testid=activations] tbody tr');
    await row(v2).getByText('REGISTERED').waitFor();
    await row(v1).getByText('ACTIVE').waitFor();
    const before = await history.count();
    assert.ok(before >= 1, 'the first release was activated at start');
    assert.equal(
      await row(v1).getByRole('button', { name: 'Activate' }).count(),
      0,
      'the active one has none',
    );

    await row(v2).getByRole('button', { name: 'Activate' }).click();
    await page.getByText(`Activated ${v2}.`).waitFor();
    await row(v2).getByText('ACTIVE').waitFor();
    await page.locator('h2', { hasText: `active: ${v2}` }).waitFor();
    await until('the activation history one longer', async () => (await history.count()) === before + 1);
    assert.match((await history.first().textContent()) ?? '', new RegExp(v2), 'newest first');
    assert.equal((await admin.call('GET', `${RELEASES}/active`)).body.releaseVersion, v2);
    await row(v1).getByRole('button', { name: 'Activate' }).waitFor();
    await page.screenshot({ path: join(screenshotDir(ROOT), 'releases-activated.png') });

    // The executions list, filtered, polls with its filter: two refreshes later it still asks
    // for the same status, and still shows the one execution that matches.
    await page.goto(`${coordinator.baseUrl}/console#/executions`);
    await page.selectOption('select[name=status]', 'WAITING_EXTERNAL');
    const polled = (request: { url(): string }) =>
      request.url().includes('/executions?') && request.url().includes('WAITING_EXTERNAL');
    await page.waitForRequest(polled);
    await page.waitForRequest(polled);
    assert.equal(await page.locator('select[name=status]').inputValue(), 'WAITING_EXTERNAL');
    await page.locator('[data-testid=executions]').getByText(id).waitFor();
  },
);
