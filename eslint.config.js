import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'bin/**', 'dist/**', 'eslint.config.js', 'test/fixtures/**', 'examples/**', '.state/**', '.scratch/**'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'max-depth': ['error', 4],
      complexity: ['warn', 25],
      // Output must not depend on the machine's locale: order text with byCodeUnit (controller/model/order.ts).
      'no-restricted-properties': ['error', { property: 'localeCompare', message: 'Locale-dependent order; use byCodeUnit from controller/model/order.ts.' }],
    },
  },
);
