// Regenerates src/store/sqlite/schema.snapshot.sql from the migrations:
//   node --import tsx scripts/update-schema-snapshot.ts
// Run it after adding a migration; test/store/durability.test.ts compares the two.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openSqlite } from '../src/store/sqlite/sqlite-driver.ts';
import { migrate, schemaSnapshot } from '../src/store/sqlite/migrate.ts';

const target = fileURLToPath(new URL('../src/store/sqlite/schema.snapshot.sql', import.meta.url));
const db = openSqlite(':memory:');
try {
  migrate(db, 0);
  writeFileSync(target, schemaSnapshot(db));
} finally {
  db.close();
}
console.log(`wrote ${target}`);
