import { defineConfig } from 'vite';

// Paths are relative to the package root, where `npm run build:renderer` runs (no Node imports here: this
// file sits in renderer/, whose lint layer forbids them). @vitejs/plugin-react needs Vite 8 on this Node;
// esbuild's automatic JSX runtime is all the renderer needs.
export default defineConfig({
  root: 'renderer',
  base: './',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
  },
  server: { host: '127.0.0.1' },
  logLevel: 'warn',
});
