import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger };

/** JSON lines for the journal; a readable, synchronous pretty stream for people at a terminal. */
export function createLogger(level: string, prettyOutput: boolean): Logger {
  if (!prettyOutput) return pino({ level, base: { app: "wachter" } });
  return pino({ level, base: undefined }, pretty({ colorize: process.stdout.isTTY, sync: true, translateTime: "HH:MM:ss.l", ignore: "app" }));
}
