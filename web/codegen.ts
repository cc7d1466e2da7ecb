import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Types for every GraphQL document in src/, generated from the API's exported schema
 * (../schema.graphql, `make schema`). `npm run codegen` runs before typecheck and build,
 * and fails when a document does not validate against the schema, so a schema change
 * breaks the build rather than the user. The output (src/graphql/generated/) is not
 * committed. vite-graphql-documents.ts then swaps each `graphql()` call for its generated
 * document at build time, so the bundle carries no lookup table of document strings.
 *
 * package.json overrides @graphql-tools/delegate (reached only through the CLI's URL
 * loader, unused here) to 12.2.1: later releases require a @graphql-tools/batch-execute
 * that the npm registry we install from does not have, and `npm install` fails.
 */
const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/graphql/generated/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/graphql/generated/': {
      preset: 'client',
      presetConfig: {
        gqlTagName: 'graphql',
        // Components read fields straight off query results; no masked fragment refs.
        fragmentMasking: false,
      },
      config: {
        // What the API sends on the wire: Decimal amounts and dates are strings
        // (never floats for money); JSON is whatever the server chose.
        scalars: {
          Date: 'string',
          DateTime: 'string',
          Decimal: 'string',
          JSON: 'unknown',
        },
        strictScalars: true,
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
