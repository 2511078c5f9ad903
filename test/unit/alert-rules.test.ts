import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse } from 'yaml';
import { anchorsOf } from '../support/markdown-anchors.ts';

/** deploy/prometheus/alerts.yaml: a rules file Prometheus loads, naming only metrics Capstan exports. */
const root = resolve(import.meta.dirname, '../..');
const RULES = 'deploy/prometheus/alerts.yaml';

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = (
  parse(readFileSync(resolve(root, RULES), 'utf8')) as { groups: { name: string; rules: Rule[] }[] }
).groups;
const rules = groups.flatMap((g) => g.rules);

/** The metrics Capstan documents (docs/metrics.md, which the metrics test keeps equal to the registry) and the process ones. */
async function exportedMetricNames(): Promise<Set<string>> {
  const documented = readFileSync(resolve(root, 'docs/metrics.md'), 'utf8').matchAll(
    /^\| `(capstan_[a-z0-9_]+)`/gm,
  );
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'capstan_' });
  const process = (await registry.getMetricsAsJSON()).map((m) => m.name);
  return new Set([...[...documented].map((m) => m[1] ?? ''), ...process]);
}

test('every rule is a complete alert: name, expression, duration, severity, summary and runbook', () => {
  assert.ok(rules.length >= 10);
  const names = new Set<string>();
  for (const rule of rules) {
    assert.match(rule.alert ?? '', /^Capstan[A-Za-z]+$/, JSON.stringify(rule));
    assert.ok(!names.has(rule.alert ?? ''), `${rule.alert} is defined twice`);
    names.add(rule.alert ?? '');
    assert.ok(rule.expr?.trim(), `${rule.alert} has no expr`);
    assert.match(rule.for ?? '', /^\d+[smh]$/, `${rule.alert}: for`);
    assert.ok(['page', 'ticket'].includes(rule.labels?.severity ?? ''), `${rule.alert}: severity`);
    assert.ok(rule.annotations?.summary, `${rule.alert}: summary`);
  }
});

test("every rule's metrics are ones Capstan exports", async () => {
  const exported = await exportedMetricNames();
  for (const rule of rules) {
    for (const [name] of rule.expr?.matchAll(/\bcapstan_[a-z0-9_]+/g) ?? []) {
      const family = name.replace(/_(bucket|sum|count)$/, '');
      assert.ok(
        exported.has(family) || exported.has(name),
        `${rule.alert} uses ${name}, which Capstan does not export`,
      );
    }
  }
});

test("every rule's runbook link opens an existing section", () => {
  for (const rule of rules) {
    const [path = '', anchor = ''] = (rule.annotations?.runbook ?? '').split('#');
    const file = resolve(root, path);
    assert.ok(existsSync(file), `${rule.alert}: ${path} does not exist`);
    assert.ok(anchorsOf(readFileSync(file, 'utf8')).has(anchor), `${rule.alert}: ${path} has no #${anchor}`);
  }
});

test('docs/monitoring.md explains every alert', () => {
  const anchors = anchorsOf(readFileSync(resolve(root, 'docs/monitoring.md'), 'utf8'));
  for (const rule of rules)
    assert.ok(anchors.has((rule.alert ?? '').toLowerCase()), `${rule.alert} is not in docs/monitoring.md`);
});
