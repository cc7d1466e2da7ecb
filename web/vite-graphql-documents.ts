import type { Plugin } from 'vite';

/**
 * Build-time twin of GraphQL Code Generator's babel/swc optimizer (our React plugin has no
 * babel step): replaces each `graphql(`...`)` call by an import of its own generated
 * document, so a page's chunk carries only the documents it uses rather than the lookup
 * table of all of them (src/graphql/generated/gql.ts). A call this misses still works
 * through that table; a document whose generated export is missing fails the build.
 */
const GRAPHQL_CALL = /\bgraphql\(\s*`\s*(query|mutation|subscription|fragment)\s+(\w+)[^`]*`\s*\)/g;
const GRAPHQL_IMPORT = /^import \{ graphql \} from '[./]*(?:graphql\/)?generated';\n/m;
const GENERATED_DOCUMENTS = 'src/graphql/generated/graphql.ts';

/**
 * The client preset's export for a definition: `PlaceOrderDocument`, `OrderFieldsFragmentDoc`.
 * Codegen pascal-cases names; write them in PascalCase, since an exotic one (`my_query`)
 * fails the build here as a missing export.
 */
function generatedExportName(kind: string, name: string): string {
  const pascalName = name.charAt(0).toUpperCase() + name.slice(1);
  return kind === 'fragment' ? `${pascalName}FragmentDoc` : `${pascalName}Document`;
}

export function graphqlDocuments(): Plugin {
  let generatedDocuments = '';
  return {
    name: 'godark-graphql-documents',
    enforce: 'pre',
    configResolved(config) {
      generatedDocuments = `${config.root}/${GENERATED_DOCUMENTS}`;
    },
    transform(code, id) {
      if (!/\.tsx?$/.test(id) || id.includes('/generated/') || !code.includes('graphql(')) return null;
      const imported = new Set<string>();
      const rewritten = code.replace(GRAPHQL_CALL, (_call, kind: string, name: string) => {
        const exportName = generatedExportName(kind, name);
        imported.add(exportName);
        return exportName;
      });
      if (imported.size === 0) return null;
      const body = /\bgraphql\(/.test(rewritten) ? rewritten : rewritten.replace(GRAPHQL_IMPORT, '');
      const documentsImport = `import { ${[...imported].join(', ')} } from ${JSON.stringify(generatedDocuments)};\n`;
      return { code: documentsImport + body, map: null };
    },
  };
}
