import { defineConfig } from "vite";

// The console is built into dist/ (the gateway's project copies it next to the gateway and serves it at /).
// `npm run dev` serves it with hot reload and sends the API and sign-in calls to a running gateway
// (RUNMESH_URL, e.g. from .runmesh/env), so the session cookie stays same-origin as in production.
const gateway = process.env.RUNMESH_URL ?? "http://127.0.0.1:5100";

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    // No data: URLs (the Content-Security-Policy allows images from the gateway only) and no inline script.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": { target: gateway, changeOrigin: true },
      "/auth": { target: gateway, changeOrigin: true },
    },
  },
});
