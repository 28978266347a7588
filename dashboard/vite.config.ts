import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  build: {
    outDir: fileURLToPath(new URL("../dist/dashboard", import.meta.url)),
    emptyOutDir: true,
    // Inline nothing: the CSP allows only same-origin scripts and styles.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 800,
  },
});
