import { defineConfig } from 'vite';

// The embeddable odds widget: one self-contained classic script at dist/widget.js
// (src/widget/widget.ts), built after the app into the same folder.
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    copyPublicDir: false,
    lib: {
      entry: 'src/widget/widget.ts',
      name: 'GoDarkWidget',
      formats: ['iife'],
      fileName: () => 'widget.js',
    },
  },
});
