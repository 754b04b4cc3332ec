import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const serverPort = process.env.CALLFLOW_PORT || "8080";
const target = `http://127.0.0.1:${serverPort}`;

export default defineConfig({
  base: "/",
  plugins: [react()],
  server: {
    proxy: {
      "/api": target,
      "/healthz": target,
      "/docs": target,
      "/openapi.json": target,
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // Libraries in chunks of their own: they change less often than the editor, so browsers
    // keep them cached across releases.
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (!id.includes("node_modules")) return undefined;
          if (/node_modules\/(@xyflow|d3-|classcat|zustand)/.test(id)) return "xyflow";
          if (/node_modules\/(@codemirror|@lezer|crelt|style-mod|w3c-keyname)/.test(id)) return "codemirror";
          if (/node_modules\/@dagrejs/.test(id)) return "dagre";
          return "react";
        },
      },
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});
