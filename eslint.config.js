import tseslint from 'typescript-eslint';

/**
 * One layer's rule: its product files may not import what any of `patterns` ([regex, message]) matches
 * (tests may). Layers must not share files: a later config object's options replace an earlier one's.
 */
const layer = (files, ...patterns) => [
  { files, ignores: ['**/*.test.ts'], rules: { 'no-restricted-imports': ['error', { patterns: patterns.map(([regex, message]) => ({ regex, message })) }] } },
];
const NO_EFFECTS = [
  'reconcilers/(.+/)?effects\.js$|reconcilers/kind-effects\.js$|/(transport|observe|apply|store|cli|secrets|runtime|services|targets)/',
  'the pure stages import no effects: a kind\'s pure facets are in reconcilers/<kind>/kind.ts, reached through reconcilers/registry.ts.',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'bin/**', 'dist/**', '.dist-build-*/**', 'dist.old-*/**', 'eslint.config.js', 'test/fixtures/**', 'examples/**', '.state/**', '.scratch/**'] },
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
      // Small functions as a habit (issue 8): an exception is justified on its line.
      complexity: ['error', 15],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      'max-params': ['error', 4],
      // Output must not depend on the machine's locale: order text with byCodeUnit (controller/model/order.ts).
      'no-restricted-properties': ['error', { property: 'localeCompare', message: 'Locale-dependent order; use byCodeUnit from controller/model/order.ts.' }],
    },
  },
  // The layering (test/layering.test.ts follows it through every import): model <- spec <- load/resolve/plan
  // (pure; the kinds' pure facets and registry) <- observe/apply (the kinds' effects) <- runtime, cli. Nothing imports upward.
  ...layer(['controller/model/**/*.ts'], ['^\\.\\./', 'controller/model is the bottom layer: it imports nothing of the stages or the kinds.']),
  ...layer(
    ['controller/spec/**/*.ts'],
    ['^\\.\\./(?!model/)[^.]', 'the format (controller/spec) is below the stages: it imports the model and the kinds\' pure facets only.'],
    NO_EFFECTS,
  ),
  ...layer(['controller/{load,resolve,plan,inventory,pipeline}/**/*.ts'], NO_EFFECTS),
  ...layer(
    ['reconcilers/**/*.ts'],
    [
      'controller/(load|resolve|plan|inventory|pipeline|observe|apply|cli|status|runtime)/|controller/spec/(?!primitives\\.js$)',
      'a kind is below the stages that use it: it imports the model and spec/primitives only (the schema is assembled from the kinds).',
    ],
  ),
  // The target providers (how pools and zones are reached) are below observe and apply, which are handed them.
  ...layer(['controller/targets/**/*.ts'], ['/(observe|apply|cli|runtime)/', 'target providers are below observe and apply, which are handed them.']),
  ...layer(['controller/{observe,apply}/**/*.ts'], ['/(cli|runtime)/', 'observe and apply are below the runtime and the CLI that drive them.']),
  ...layer(['controller/services/**/*.ts'], ['/(observe|apply|runtime|cli)/', 'service clients (DNS, ...) are below observe and apply, which use them.']),
  ...layer(['controller/runtime/**/*.ts'], ['/cli/', 'the runtime is beside the CLI, which is one of its drivers: it prints nothing and imports no command.']),
  ...layer(['controller/store/**/*.ts'], ['/(drift|alerts|runtime|cli)/', 'the store keeps what drift and alerts hand it as JSON: it is below them.']),
  ...layer(['controller/alerts/**/*.ts'], ['/(drift|apply|observe|cli|daemon|server)/', 'alerts serve drift, apply and the sources: they are below them.']),
  ...layer(['controller/drift/**/*.ts'], ['/(cli|daemon|server)/', 'drift is below the CLI and the controller that drive it.']),
  // The CA: what holds keys, draws randomness or reads the secret store is in three files; the rest is pure.
  {
    files: ['controller/pki/**/*.ts'],
    ignores: ['**/*.test.ts', 'controller/pki/certificate-builder.ts', 'controller/pki/certificate-authority.ts', 'controller/pki/certificate-issuer.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'node:crypto',
              importNames: ['randomBytes', 'randomInt', 'randomUUID', 'randomFillSync', 'generateKeyPair', 'generateKeyPairSync', 'sign', 'createSign'],
              message: 'the pure parts of the CA take randomness as values; keys and signing are in certificate-builder.ts and certificate-authority.ts.',
            },
          ],
          patterns: [{ regex: NO_EFFECTS[0], message: NO_EFFECTS[1] }],
        },
      ],
    },
  },
  ...layer(
    ['controller/pki/{certificate-builder,certificate-authority,certificate-issuer}.ts'],
    ['/(load|resolve|plan|inventory|pipeline|observe|apply|cli|status|runtime)/', 'the CA is below the stages and commands that use it.'],
  ),
);
