// One linter for the whole monorepo: type-aware rules on every TypeScript file.
import js from '@eslint/js'
import { importX } from 'eslint-plugin-import-x'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.data/**', 'packages/tracks/data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Implementations of async interfaces often have nothing to await.
      '@typescript-eslint/require-await': 'off',
      'no-console': 'error',
    },
  },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
  {
    // Every workspace declares what its code imports: a package reached only because another
    // workspace hoisted it breaks the day that one drops it (or in an image built without it).
    files: ['services/*/src/**', 'packages/*/src/**', 'apps/*/src/**'],
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-extraneous-dependencies': [
        'error',
        { devDependencies: ['**/*.test.ts', '**/*-cases.ts', '**/test/**', '**/testing/**', '**/test-*.ts'] },
      ],
    },
  },
  {
    // The platform kit is Convoy's toolbox, not Convoy: it knows no message, role or route of the
    // application, so it imports none of the application's packages (docs/decisions.md).
    files: ['packages/platform/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@convoy/*'], message: 'the platform kit depends on no Convoy package' }] },
      ],
    },
  },
  {
    files: ['scripts/**', 'bench/**', '**/*.test.ts', 'apps/convoy/src/cli.ts', 'services/web/**'],
    rules: { 'no-console': 'off' },
  },
)
