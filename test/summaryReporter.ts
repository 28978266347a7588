import type { Reporter, TestModule } from "vitest/node";

/** Prints one plain "N passed, N failed, N skipped" line at the end, for CI logs. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const m of modules) {
      const failedBefore = counts.failed;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === "passed") counts.passed++;
        else if (state === "failed") counts.failed++;
        else counts.skipped++;
      }
      // A file whose setup failed has only skipped tests: it still counts as a failure.
      if (m.state() === "failed" && counts.failed === failedBefore) counts.failed++;
    }
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
