import { defineConfig, type Plugin } from 'vite';

/**
 * The built page's Content-Security-Policy: only its own scripts, no inline script or style,
 * no eval. 'wasm-unsafe-eval' lets it compile WebAssembly: the embedded SIMD backend and
 * tfjs-backend-wasm, whose binaries it fetches from its own origin (connect-src 'self').
 * Not applied to the dev server, whose client needs a websocket and injected styles.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
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
    // The model chunk (tfjs-core, the model and its adaptation code) is ~380 KB; it loads lazily.
    chunkSizeWarningLimit: 600,
  },
});
