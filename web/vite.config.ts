import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Keep the browser's Host header (changeOrigin: false) so the backend's
// websocket Origin check sees a same-origin handshake.
const graphqlProxy = {
  '/graphql': {
    target: 'http://127.0.0.1:8000',
    changeOrigin: false,
    ws: true,
  },
};

export default defineConfig({
  base: '/',
  plugins: [react()],
  server: { proxy: graphqlProxy },
  preview: { proxy: graphqlProxy },
  build: { outDir: 'dist', emptyOutDir: true },
});
