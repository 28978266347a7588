import { z } from "zod";
import type { AlertView } from "../alerts/engine.js";
import { PLANT_ID, type PlantBrokerConfig } from "../config/plant.js";
import type { Config } from "../config/schema.js";
import type { ChannelState } from "../hub/hub.js";
import type { MachineAlert, MachineAnnouncement, MachineValue } from "../protocol/plant.js";

/** At most this many alerts and values ride in one announcement (the plant view shows a few per machine). */
export const MAX_ANNOUNCED_ALERTS = 20;
export const MAX_KEY_VALUES = 8;
const DEFAULT_KEY_VALUES = 4;
/** Longest names the plant view accepts; longer ones are cut here, so one long name never costs a machine its announcement. */
const TEXT_MAX = 200;
const clip = (s: string) => (s.length > TEXT_MAX ? `${s.slice(0, TEXT_MAX - 1)}…` : s);

/** Who this machine is in the plant, as its announcements say, and which values it shows there. */
export type MachineIdentity = Pick<MachineAnnouncement, "id" | "name" | "hall" | "url" | "version" | "interval"> & { keyValues: string[] | undefined };

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64) || "gateway";

/** Who this gateway is in the plant: its id (plant.broker.id, plant.sso.audience, or its name as a slug) and where browsers reach it. */
export function machineIdentity(config: Config, broker: PlantBrokerConfig, urls: string[], version: string): MachineIdentity {
  const reachable = urls.find((u) => !/^https?:\/\/(localhost|127\.|\[::1\])/.test(u));
  return {
    id: broker.id ?? config.plant.sso?.audience ?? slug(config.name),
    name: config.name,
    hall: broker.hall ?? null,
    url: broker.dashboardUrl ?? reachable ?? null,
    version,
    interval: broker.interval,
    keyValues: broker.keyValues,
  };
}

const severityRank = { critical: 0, warning: 1, info: 2 } as const;

/** This machine as the plant view shows it: its active alerts (worst first) and its key values. */
export function announcement(me: MachineIdentity, alerts: AlertView[], channels: ChannelState[], now: number): MachineAnnouncement {
  const active: MachineAlert[] = alerts
    .filter((a) => a.state === "pending" || a.state === "firing")
    .sort((a, b) => (a.state === b.state ? 0 : a.state === "firing" ? -1 : 1) || severityRank[a.severity] - severityRank[b.severity] || (a.firingSince ?? a.pendingSince ?? 0) - (b.firingSince ?? b.pendingSince ?? 0))
    .slice(0, MAX_ANNOUNCED_ALERTS)
    .map((a) => ({
      id: a.id,
      name: clip(a.name),
      channel: a.channel,
      severity: a.severity,
      state: a.state as MachineAlert["state"],
      since: a.firingSince ?? a.pendingSince,
      ackBy: a.ack?.by ?? null,
      shelved: a.shelvedUntil !== null && a.shelvedUntil > now,
    }));
  const byId = new Map(channels.map((c) => [c.info.id, c]));
  const chosen = me.keyValues ? me.keyValues.flatMap((id) => byId.get(id) ?? []) : channels.slice(0, DEFAULT_KEY_VALUES);
  const values: MachineValue[] = chosen.map((c) => ({ id: c.info.id, name: clip(c.info.name), unit: c.info.unit, value: c.last?.value ?? null, decimals: c.info.decimals ?? 1, stale: c.stale }));
  return { v: 1, kind: "wachter.machine", id: me.id, name: clip(me.name), hall: me.hall, url: me.url, version: me.version, interval: me.interval, at: now, alerts: active, values };
}

const text = (max = TEXT_MAX) => z.string().max(max);
const stamp = z.number().int().nonnegative();

/** What the plant view accepts from the broker: anything else is ignored and counted. */
export const announcementSchema = z
  .object({
    v: z.literal(1),
    kind: z.literal("wachter.machine"),
    id: z.string().regex(PLANT_ID),
    name: text(),
    hall: text(60).nullable(),
    url: z
      .string()
      .max(300)
      .regex(/^https?:\/\/[^\s]+$/)
      .nullable(),
    version: text(40),
    interval: z.number().int().min(1000).max(300_000),
    at: stamp,
    alerts: z
      .array(
        z.object({
          id: text(300),
          name: text(),
          channel: text(),
          severity: z.enum(["critical", "warning", "info"]),
          state: z.enum(["pending", "firing"]),
          since: stamp.nullable(),
          ackBy: text().nullable(),
          shelved: z.boolean(),
        }),
      )
      .max(MAX_ANNOUNCED_ALERTS),
    values: z
      .array(
        z.object({
          id: text(),
          name: text(),
          unit: text(20),
          value: z.number().finite().nullable(),
          decimals: z.number().int().min(0).max(6),
          stale: z.boolean(),
        }),
      )
      .max(MAX_KEY_VALUES),
  })
  .strict();
