import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, it } from "vitest";
import type { BacktestRunner as Runner } from "../../gateway/alerts/backtestRunner.js";
import { ruleSchema } from "../../gateway/alerts/schema.js";
import { openDatabase } from "../../gateway/storage/db.js";
import { ROOT } from "../helpers/gateway.js";

const info = { id: "spindle.bearing", name: "Spindle bearing", unit: "°C", source: "sim", staleAfterMs: 10_000 };
const rule = ruleSchema.parse({ id: "hot", channels: ["spindle.bearing"], when: { above: 80 } });

it("runs one backtest at a time: another asked for meanwhile gets 429, and the next after it runs", async () => {
  // As the gateway runs it: built, beside its worker.
  const { BacktestRunner } = (await import(pathToFileURL(join(ROOT, "dist/gateway/alerts/backtestRunner.js")).href)) as { BacktestRunner: typeof Runner };
  const file = join(mkdtempSync(join(tmpdir(), "wachter-btr-")), "wachter.db");
  openDatabase(file).close();
  const now = Date.now();
  const runner = new BacktestRunner(file, { flush() {}, rawRetention: 86_400_000, rawInterval: 1000 }, () => now);
  try {
    const first = runner.run(rule, [info], now - 3_600_000, now);
    await expect(runner.run(rule, [info], now - 3_600_000, now)).rejects.toMatchObject({ status: 429, message: "another backtest is running: try again in a moment" });
    expect(await first).toMatchObject({ samples: 0, firings: 0 });
    expect(await runner.run(rule, [info], now - 3_600_000, now)).toMatchObject({ samples: 0 });
  } finally {
    runner.close();
  }
});
