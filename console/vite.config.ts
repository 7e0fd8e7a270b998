import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The console's build: served by Kairos at /console from dist/console (src/transport/console-files.ts). */
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    // Hashed file names under assets/: cached for a year by the server.
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: false,
  },
});
