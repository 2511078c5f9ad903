import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { hasChromium, openBrowser, screenshotDir } from '../support/browser.ts';
import {
  ADMIN_TOKEN,
  apiClient,
  OPERATOR_TOKEN,
  startCoordinatorProcess,
} from '../support/coordinator-process.ts';
import { until } from '../support/eventually.ts';
import { newOrder } from '../support/restaurant-order.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TIMEOUT = 15_000;

async function logIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/console`);
  await page.fill('input[name=token]', token);
  await page.click('button[type=submit]');
}

// Skipped only off CI on a machine without Debian's chromium; in CI (.ci/run installs it) it must run.
test(
  'the web console: log in, approve and decline from the inbox, cancel, re-drive from the DLQ, drain a worker, roles',
  {
    skip: !hasChromium() && !process.env.CI && 'needs /usr/bin/chromium (apt-get install chromium)',
    timeout: 180_000,
  },
  async (t) => {
    const coordinator = await startCoordinatorProcess(t);
    const api = apiClient(coordinator.baseUrl);
    const shots = screenshotDir(ROOT);
    const shoot = (page: Page, name: string) => page.screenshot({ path: join(shots, `${name}.png`) });

    // Two orders parked at the restaurant's decision, one refused at validation (DLQ).
    const submit = async (overrides = {}) =>
      (await api.submit({ pipelineId: 'restaurant-approval', input: newOrder(overrides) })).body
        .executionId as string;
    const approved = await submit({ customerName: 'Approve Me' });
    const declined = await submit({ customerName: 'Decline Me' });
    const dead = await submit({ totalAmount: '0' });
    const cancelled = await submit({ customerName: 'Cancel Me' });
    for (const id of [approved, declined, cancelled])
      assert.equal((await api.result(id)).body.status.status, 'WAITING_EXTERNAL');
    await until('the invalid order in the DLQ', async () => (await api.status(dead)).body.status === 'DLQ');

    const context = await openBrowser(t);
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    // Cancel and activate ask for confirmation.
    page.on('dialog', (dialog) => void dialog.accept());

    // A wrong token does not log in.
    await logIn(page, coordinator.baseUrl, 'not-a-token');
    await page.getByText('unauthorized').waitFor();
    assert.equal(await page.locator('input[name=token]').count(), 1, 'still on the login form');
    await shoot(page, 'login');

    // An admin logs in and sees the executions, counts by status included.
    await page.fill('input[name=token]', ADMIN_TOKEN);
    await page.click('button[type=submit]');
    await page.locator('[data-testid=executions]').getByText(approved).waitFor();
    await page.locator('[data-testid=counts]').getByText('WAITING_EXTERNAL 3').waitFor();
    await page.locator('[data-testid=counts]').getByText('DLQ 1').waitFor();
    await page.selectOption('select[name=status]', 'DLQ');
    await page.locator('[data-testid=executions]').getByText(dead).waitFor();
    await until('only the DLQ execution listed', async () => {
      return (await page.locator('[data-testid=executions] tbody tr').count()) === 1;
    });
    await page.selectOption('select[name=status]', '');
    await shoot(page, 'executions');

    // Approve the first order from the inbox (the prefilled template is an approval).
    await page.goto(`${coordinator.baseUrl}/console#/inbox`);
    await page
      .locator('[data-testid=inbox] tr', { hasText: approved })
      .getByRole('button', { name: 'Open' })
      .click();
    await page.locator('[data-testid=answer] pre').getByText('Approve Me').waitFor();
    await shoot(page, 'inbox');
    await page.getByRole('button', { name: 'Send response' }).click();
    await page.locator('[data-testid=result]').getByText('COMPLETED').waitFor();

    // …and watch it reach SUCCEEDED on its timeline.
    await page.goto(`${coordinator.baseUrl}/console#/executions/${approved}`);
    await page.locator('[data-testid=status]', { hasText: 'SUCCEEDED' }).waitFor();
    await page.locator('[data-testid=timeline] td.event', { hasText: 'interaction_completed' }).waitFor();
    await page.locator('[data-testid=timeline] td.event', { hasText: 'succeeded' }).waitFor();
    await shoot(page, 'execution');

    // Decline the second one.
    await page.goto(`${coordinator.baseUrl}/console#/inbox`);
    await page
      .locator('[data-testid=inbox] tr', { hasText: declined })
      .getByRole('button', { name: 'Open' })
      .click();
    await page.getByRole('button', { name: 'Decline template' }).click();
    await page.getByRole('button', { name: 'Send response' }).click();
    await page.locator('[data-testid=result]').getByText('COMPLETED').waitFor();
    const result = await api.result(declined);
    assert.equal(result.body.status.status, 'SUCCEEDED');
    assert.equal(result.body.result.outcome, 'DECLINED');

    // Cancel a third from its page.
    await page.goto(`${coordinator.baseUrl}/console#/executions/${cancelled}`);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('[data-testid=status]', { hasText: 'CANCELLED' }).waitFor();
    await page.locator('[data-testid=timeline] td.event', { hasText: 'cancelled' }).waitFor();

    // Re-drive the DLQ'd one (it fails the same way again, but the re-drive is recorded).
    await page.goto(`${coordinator.baseUrl}/console#/dlq`);
    const row = page.locator('[data-testid=dlq] tr', { hasText: dead });
    await row.getByText('non_retryable').waitFor();
    await shoot(page, 'dlq');
    await row.locator('input[name=reason]').fill('fixed upstream');
    await row.getByRole('button', { name: 'Re-drive' }).click();
    await page.getByText(`Re-driven ${dead}: DLQ → QUEUED`).waitFor();
    const history = await api.call('GET', `/tpf/control-plane/tenants/default/executions/${dead}/history`);
    assert.ok(
      history.body.events.some((e: { type: string }) => /redrive/i.test(e.type)),
      JSON.stringify(history.body.events.map((e: { type: string }) => e.type)),
    );

    // Releases, workers and cluster pages (admin).
    await page.goto(`${coordinator.baseUrl}/console#/releases`);
    await page.locator('[data-testid=releases]').getByText('ACTIVE').waitFor();
    await shoot(page, 'releases');
    await page.goto(`${coordinator.baseUrl}/console#/workers`);
    const worker = page.locator('[data-testid=workers] tbody tr').first();
    await worker.getByText('HEALTHY').waitFor();
    await shoot(page, 'workers');
    await worker.getByRole('button', { name: 'Drain' }).click();
    await worker.getByText('DRAINING').waitFor();
    await worker.getByRole('button', { name: 'Undrain' }).click();
    await worker.getByText('HEALTHY').waitFor();
    await page.goto(`${coordinator.baseUrl}/console#/cluster`);
    await page.locator('[data-testid=readiness]', { hasText: 'UP' }).waitFor();
    const self = page.locator('[data-testid=nodes] tbody tr', { hasText: '(this node)' });
    await self.getByText('live').waitFor();
    await self.getByText('leader').waitFor();
    await shoot(page, 'cluster');

    // An operator cannot activate a release: no such control, and the API refuses it anyway.
    await page.getByRole('button', { name: 'Log out' }).click();
    await logIn(page, coordinator.baseUrl, OPERATOR_TOKEN);
    await page.locator('.who', { hasText: 'operator' }).waitFor();
    await page.goto(`${coordinator.baseUrl}/console#/releases`);
    await page.locator('[data-testid=admin-only]').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Activate' }).count(), 0);
    await shoot(page, 'releases-operator');
    const release = (await api.call('GET', '/tpf/control-plane/tenants/default/pipelines')).body[0]
      .activeReleaseVersion as string;
    const refused = await page.evaluate(
      async ([token, version]) => {
        const path = `/tpf/admin/tenants/default/pipelines/restaurant-approval/releases/${version}/activate`;
        const response = await fetch(path, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        return response.status;
      },
      [OPERATOR_TOKEN, release] as const,
    );
    assert.equal(refused, 403);
    await page.goto(`${coordinator.baseUrl}/console#/dlq`);
    await page.locator('[data-testid=dlq]').getByText(dead).waitFor();
    assert.equal(
      await page.getByRole('button', { name: 'Re-drive' }).count(),
      0,
      'no re-drive for an operator',
    );
  },
);
