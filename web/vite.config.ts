import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built into web/dist and served by the stagegate server at `/` (src/http/static.ts); `/api` stays the server's.
export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: { proxy: { "/api": "http://localhost:8080", "/approve": "http://localhost:8080" } },
});
