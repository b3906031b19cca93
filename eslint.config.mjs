// `npm run lint`: ESLint over src and test, run by `npm test` in its build stage.
// TypeScript is linted with type information (the project service finds each file's tsconfig), for
// the rules that catch real bugs: promises nobody awaits or handles (a rejected one in the extension
// host is an unhandled rejection), awaits of non-promises, exhaustive switches over unions.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', '.cache/**', 'node_modules/**', 'reports/**', '.stryker-tmp/**', 'test-results/**', 'scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
