// `npm run lint`, and the `lint` row of `npm test`: typescript-eslint's recommended rules (syntax only, no type
// information, so it stays fast) over our own code: src/, webview/, test/, scripts/ and bin/, TypeScript and JavaScript.
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Build outputs, installed packages and test data (generated or copied from elsewhere).
  globalIgnores(['**/node_modules/**', 'out*/**', 'dist/**', '.vscode-host/**', 'test/data/**', 'test-results/**', 'bench/**']),
  {
    files: ['{src,webview,test,scripts}/**/*.{ts,mts,cts,js,mjs,cjs}', 'bin/**/*.js', '*.mjs'],
    extends: [tseslint.configs.recommended],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Not in typescript-eslint's set, but the code already follows it: src/shared/protocol.ts disables it for
      // its one deliberate control-character range, and that comment should mean something.
      'no-control-regex': 'error',
    },
  },
  {
    // package.json has no "type": "module", so these .js files are CommonJS scripts: require() is how they import.
    files: ['**/*.{js,cjs}'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // A classic script loaded by the webview test page (no module system at all).
    files: ['test/webview/fakeHost.js'],
    languageOptions: { sourceType: 'script' },
  },
);
