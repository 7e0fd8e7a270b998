// ESLint flat config: typescript-eslint with type information (no-floating-promises and
// friends), import-x for cycles, and the brain's purity rules for actors/.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'load-tests/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js', 'bin/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'import-x/no-default-export': 'error',
    },
  },
  {
    files: ['actors/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'os', 'crypto', 'http', 'net'], message: 'actors/ is pure: no Node I/O' },
            { group: ['ioredis', 'lmdb', 'pino', 'prom-client', '@trufflesuite/*', 'msgpackr'], message: 'actors/ is pure: no I/O libraries' },
            { group: ['../src/*', '../src/**'], message: 'src/ imports actors/, never the reverse' },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'actors/ has no wall clock: time comes in the message' },
        { object: 'performance', property: 'now', message: 'actors/ has no wall clock' },
        { object: 'Math', property: 'random', message: 'actors/ is deterministic' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'actors/ has no wall clock: new Date() needs an instant' },
      ],
    },
  },
  {
    files: ['bin/*.js'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly' } },
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off', '@typescript-eslint/no-unsafe-call': 'off' },
  },
  {
    files: ['eslint.config.js', 'vitest.config.ts'],
    rules: { 'import-x/no-default-export': 'off' },
  },
  {
    // Vite reads its config's default export; the config imports packages only (no cycle to find).
    files: ['console/vite.config.ts'],
    rules: { 'import-x/no-default-export': 'off', 'import-x/no-cycle': 'off' },
  },
  {
    files: ['**/*.test.ts', '**/*.contract.ts', 'src/test-support/**'],
    rules: {
      // Tests read JSON answers loosely and assert on them.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
