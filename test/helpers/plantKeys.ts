import { execFileSync } from "node:child_process";
import { chmodSync } from "node:fs";

/** The plant's single sign-on key pair, as the README tells installers to make it, with the system's openssl. */
export function makePlantKeyPair(privateFile: string, publicFile: string): void {
  execFileSync("openssl", ["genpkey", "-algorithm", "ed25519", "-out", privateFile]);
  chmodSync(privateFile, 0o600);
  execFileSync("openssl", ["pkey", "-in", privateFile, "-pubout", "-out", publicFile]);
}
