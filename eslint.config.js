import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const sealedDialects = {
  group: ['**/store/sqlite/**', '**/store/postgres/**'],
  message: 'Go through store/open-store.ts and the Store port: the dialects are sealed.',
};
const sealedDialectsDynamic = {
  selector: 'ImportExpression[source.value=/\\/store\\/(sqlite|postgres)\\//]',
  message: sealedDialects.message,
};
/**
 * What a worker process loads (the SDK, the worker, the wire protocol and the segment runner
 * both sides run) never reaches into the coordinator, the stores, the HTTP API or the CLI: a
 * worker needs no database driver and no coordinator to run a step.
 */
const workerRoom = {
  group: ['**/coordinator/**', '**/store/**', '**/http/**', '**/cli/**', 'capstan/coordinator'],
  message:
    'The worker room (sdk, worker, worker-protocol, segment) never imports the coordinator, stores, HTTP API or CLI.',
};
const workerRoomDynamic = {
  selector: 'ImportExpression[source.value=/\\/(coordinator|store|http|cli)\\//]',
  message: workerRoom.message,
};

/**
 * `capstan/client` runs in Node and in the console's browser bundle: it never reaches into the
 * server, and takes from the shared API schemas their types alone (so no zod at run time).
 */
const clientRoom = {
  regex: '^\\.\\./(?!api-schema/)',
  message: 'The client (src/client) imports only its own modules and, as types, src/api-schema.',
};
const clientSchemasAsTypes = {
  regex: '^\\.\\./api-schema/',
  allowTypeImports: true,
  message: 'The client takes the API schemas as types only (`import type`): no zod in its bundle.',
};
/** The API schemas are neutral ground, shared by the server and the client: zod and each other only. */
const apiSchemaRoom = {
  regex: '^(?!zod$|\\./)',
  message: 'src/api-schema imports zod and its own modules only: the server and the client both load it.',
};

export default tseslint.config(
  { ignores: ['node_modules/', '.capstan/', 'coverage/', 'dist/', 'dist.*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'bin/*.mjs', 'scripts/*.mjs', 'test/support/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      // Store methods are async to honour the port even where SQLite answers synchronously.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The dialects are sealed: the rest of the code reaches a store through `store/open-store.ts`
    // and the port (`store/store-port.ts`), never a SQLite or PostgreSQL module. Tests, bench and
    // scripts may (they exercise and snapshot each dialect), so the rule is for src/ alone.
    files: ['src/**/*.ts'],
    ignores: ['src/store/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [sealedDialects] }],
      // The same for `await import(…)`, which no-restricted-imports does not see.
      'no-restricted-syntax': ['error', sealedDialectsDynamic],
    },
  },
  {
    files: ['src/sdk/**/*.ts', 'src/worker/**/*.ts', 'src/worker-protocol/**/*.ts', 'src/segment/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [sealedDialects, workerRoom] }],
      'no-restricted-syntax': ['error', sealedDialectsDynamic, workerRoomDynamic],
    },
  },
  {
    files: ['src/client/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [clientRoom, clientSchemasAsTypes] }],
    },
  },
  {
    files: ['src/api-schema/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [apiSchemaRoom] }] },
  },
  {
    // A cycle makes load order decide what a module sees: none in src/, lazy imports included.
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { allowUnsafeDynamicCyclicDependency: false }] },
  },
  {
    // Tests read arbitrary JSON responses; their assertions are the type check.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly' } },
  },
);
