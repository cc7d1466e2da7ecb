import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { graphqlDocuments } from './vite-graphql-documents.ts';

// Keep the browser's Host header (changeOrigin: false) so the backend's
// websocket Origin check sees a same-origin handshake.
const graphqlProxy = {
  '/graphql': {
    target: 'http://127.0.0.1:8000',
    changeOrigin: false,
    ws: true,
  },
};

// Pages are split by `import()` in src/lazyPages.tsx. The chart library is the largest
// dependency and is shared by the Trade and Stats pages: its own chunk, fetched with the
// first page that draws a chart and cached across releases that do not upgrade it.
const chunkGroups = [{ name: 'charts', test: /node_modules[\\/]lightweight-charts/ }];

export default defineConfig({
  base: '/',
  plugins: [graphqlDocuments(), react()],
  server: { proxy: graphqlProxy },
  preview: { proxy: graphqlProxy },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: { output: { codeSplitting: { groups: chunkGroups } } },
  },
});
