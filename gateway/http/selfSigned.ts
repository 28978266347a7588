import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

/**
 * A self-signed certificate for HTTPS, made once with openssl in the data directory and reused.
 * Browsers warn about it once; it still keeps passwords and cookies off the wire in clear text.
 */
export function selfSignedCertificate(dataDir: string): { cert: Buffer; key: Buffer } {
  const dir = join(dataDir, "tls");
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  if (!existsSync(cert) || !existsSync(key)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const host = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(hostname()) ? hostname() : "wachter";
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650",
      "-subj", `/CN=${host}`, "-addext", `subjectAltName=DNS:${host},DNS:localhost,IP:127.0.0.1`,
      "-keyout", key, "-out", cert,
    ], { stdio: "ignore" });
  }
  return { cert: readFileSync(cert), key: readFileSync(key) };
}
