import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built from `observatory/` with `vite build web`: root is this folder, output `web/dist`,
// which the observatory server serves at `/` (SPA fallback to index.html).
// In dev (`vite web`) the API and the Jaeger-compatible API are proxied to the server on 3000.
const target = process.env.OBSERVATORY_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: {
      '/api': { target, changeOrigin: true },
      '/jaeger': { target, changeOrigin: true },
    },
  },
});
