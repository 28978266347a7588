import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The application's folder, the one with package.json: the same whether the gateway runs from its
 * TypeScript sources (tests, development) or from the JavaScript that `npm run build` puts in dist/.
 */
export const APP_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}: is the application installed whole?`);
  }
}
