// @ts-check
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'assert',
  'buffer',
  'child_process',
  'crypto',
  'dns',
  'events',
  'fs',
  'http',
  'https',
  'net',
  'os',
  'path',
  'process',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'worker_threads',
  'zlib',
];

/** Libraries that do I/O or need Node: infrastructure and entry points use them, pure code never does. */
const IO_LIBRARIES = [
  'undici',
  'mongodb',
  'express',
  'pino',
  'nodemailer',
  'onnxruntime-node',
  '@huggingface/tokenizers',
  'supertest',
];

/** Relative-import patterns that reach into a top-level folder (any depth). */
const folder = (name) => [`**/${name}`, `**/${name}/**`];

/**
 * The rule for code that runs in browsers (`client/`, `widget/`): no Node builtins, no I/O libraries, no Temporal,
 * nothing from the server's folders (nor `alsoForbidden`), and shared/ for types only.
 */
function browserCode(name, alsoForbidden, allowed) {
  return {
    files: [`${name}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS, ...IO_LIBRARIES, 'zod'].map((library) => ({
            name: library,
            message: `${name}/ runs in browsers: ${allowed} only.`,
            allowTypeImports: true,
          })),
          patterns: [
            { group: ['node:*'], message: `${name}/ runs in browsers: no Node builtins.` },
            { group: ['@temporalio/*'], message: `${name}/ talks to Parley over HTTP only.` },
            {
              group: [
                'activities',
                'infrastructure',
                'api',
                'worker',
                'workflows',
                'scripts',
                ...alsoForbidden,
              ].flatMap(folder),
              message: `${name}/ imports nothing from the server: ${allowed}.`,
            },
            {
              group: folder('shared'),
              message: `${name}/ imports shared/ types only (import type), so it ships no schemas.`,
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.mjs', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // No import cycles anywhere (type-only imports excepted: they vanish at run time).
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json'] })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js', '.mjs'],
    },
    rules: { 'import-x/no-cycle': 'error' },
  },
  {
    // Workflow code must stay deterministic: @temporalio/workflow, pure shared/ modules and activity *types* only.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS, ...IO_LIBRARIES].map((name) => ({
            name,
            message: 'Workflow code is deterministic: do side effects in activities/.',
            allowTypeImports: true,
          })),
          patterns: [
            { group: ['node:*'], message: 'No Node builtins in workflow code.' },
            {
              group: ['@temporalio/*', '!@temporalio/workflow'],
              message: 'Workflow code imports @temporalio/workflow only.',
              allowTypeImports: true,
            },
            { group: ['**/shared/config'], message: 'Config is read by composition roots, not workflows.' },
            {
              group: [...folder('infrastructure'), ...folder('api'), ...folder('worker'), ...folder('scripts')],
              message: 'Workflows import @temporalio/workflow, shared/ and activity types only.',
            },
            {
              group: folder('activities'),
              message: 'Workflows import activity types only (import type).',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // shared/ is pure and deterministic: no I/O, no Temporal, nothing from the layers built on it.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS, ...IO_LIBRARIES].map((name) => ({
            name,
            message: 'shared/ is pure: I/O belongs in infrastructure/.',
          })),
          patterns: [
            { group: ['node:*'], message: 'shared/ is pure: no Node builtins.' },
            { group: ['@temporalio/*'], message: 'shared/ does not depend on Temporal: put it in infrastructure/.' },
            {
              group: [
                ...folder('activities'),
                ...folder('infrastructure'),
                ...folder('api'),
                ...folder('worker'),
                ...folder('workflows'),
                ...folder('scripts'),
              ],
              message: 'shared/ imports only shared/: the other layers build on it, not the other way round.',
            },
          ],
        },
      ],
    },
  },
  {
    // Infrastructure is used by activities and the API alike and knows neither.
    files: ['infrastructure/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...folder('activities'), ...folder('api'), ...folder('worker'), ...folder('workflows')],
              message: 'infrastructure/ imports nothing from activities/, api/, worker/ or workflows/.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // The operator CLI is a client of the admin API: it shares shared/'s schemas and knows nothing of the server.
    files: ['cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                ...folder('activities'),
                ...folder('infrastructure'),
                ...folder('api'),
                ...folder('worker'),
                ...folder('workflows'),
                ...folder('scripts'),
              ],
              message: 'cli/ imports only shared/: it talks to Parley through the admin API.',
            },
          ],
        },
      ],
    },
  },
  // The typed chat client runs in browsers and Node alike (global fetch); the web chat is browser code (the DOM and
  // the typed client). Neither ships schemas: shared/'s *types* only, no zod.
  browserCode('client', [], 'global fetch, and types from shared/'),
  browserCode('widget', ['cli'], 'the DOM, the typed client and types from shared/'),
  {
    files: ['scripts/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
);
