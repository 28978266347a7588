import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: integration and browser tests run real processes, so do not oversubscribe.
    maxWorkers: 2,
    reporters: ["default", "./test/summaryReporter.ts"],
  },
});
