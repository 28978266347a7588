import { sourceKind } from "../kind.js";
import { MicrophoneSource } from "./microphoneSource.js";
import { captureDevices } from "./probe.js";
import { microphoneSchema } from "./schema.js";

export const microphoneKind = sourceKind({
  schema: microphoneSchema,
  create: (config, sink, log) => new MicrophoneSource(config, sink, log),
  summary: "an ALSA microphone through ffmpeg: live sound, levels and a spectrum",
  example: "usb-microphone.yaml",
  devices: captureDevices,
});
