import { defineConfig, type Plugin } from 'vite';

/**
 * The built page's Content-Security-Policy: only its own scripts, no inline script or style.
 * 'wasm-unsafe-eval' lets it compile WebAssembly (the SIMD backend, hnswlib-wasm), which
 * hnswlib-wasm fetches from a data: URL. 'unsafe-eval' is there for hnswlib-wasm 0.8.2 only:
 * its emscripten/embind glue builds invokers with `new Function` (craftInvokerFunction).
 * Not applied to the dev server, whose client needs a websocket and injected styles.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'microlora-app-csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
  };
}

// No '@microlora/source' condition here: the page is built from the packages' dist/,
// exactly what users install (turbo builds the workspace dependencies first).
export default defineConfig({
  plugins: [contentSecurityPolicy()],
  // Only the app's page: tests/pages/* are built by their own tests.
  optimizeDeps: { entries: ['index.html'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // hnswlib-wasm ships its wasm inlined in one ~700 KB module; that chunk is expected.
    chunkSizeWarningLimit: 1200,
  },
});
