import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EndpointAllowList } from '../../src/coordinator/workers/endpoint-allow-list.ts';

test('the endpoint allow-list: host:port and host:* patterns, over REST URLs and gRPC host:port', () => {
  const list = new EndpointAllowList(['workers.internal:*', '10.0.0.5:8181', '[::1]:9000']);
  assert.ok(list.allows('http://workers.internal:8181/prefix'));
  assert.ok(list.allows('https://WORKERS.internal'), 'port 443 implied, host case-insensitive');
  assert.ok(list.allows('10.0.0.5:8181'), 'a gRPC endpoint');
  assert.ok(list.allows('http://10.0.0.5:8181'));
  assert.ok(!list.allows('http://10.0.0.5:8182'));
  assert.ok(list.allows('http://[::1]:9000'));
  assert.ok(!list.allows('http://169.254.169.254'), 'port 80 implied, host not listed');
  assert.ok(!list.allows('169.254.169.254:80'));
  assert.ok(!list.allows('not an endpoint'));
  const open = new EndpointAllowList([]);
  assert.ok(open.allows('http://workers.internal:8181'), 'no list: any ordinary endpoint');
  assert.ok(open.allows('http://127.0.0.1:8181'));
  for (const metadata of [
    'http://169.254.169.254',
    'http://169.254.169.254:80/latest/meta-data',
    '169.254.10.1:9090',
    'http://[fe80::1]:8080',
    'http://[::ffff:169.254.169.254]',
    'http://0.0.0.0:8181',
    '[::]:9090',
  ])
    assert.ok(!open.allows(metadata), `no list still refuses the link-local or unspecified ${metadata}`);
  assert.ok(new EndpointAllowList(['169.254.169.254:*']).allows('http://169.254.169.254'), 'unless listed');
  assert.throws(() => new EndpointAllowList(['http://x:1']), /not a host:port/);
  assert.throws(() => new EndpointAllowList(['x']), /not a host:port/);
});
