import { MicrophoneSource, MqttSource, SerialSource, SimulatedSource, ThermalSerialSource, UvcThermalSource, type Source, type SourceSink } from "../sensors/index.js";
import type { Logger } from "../common/logger.js";
import type { SourceConfig } from "./config/schema.js";

export function createSource(config: SourceConfig, sink: SourceSink, log: Logger): Source {
  switch (config.type) {
    case "serial":
      return new SerialSource(config, sink, log);
    case "mqtt":
      return new MqttSource(config, sink, log);
    case "simulated":
      return new SimulatedSource(config, sink, log);
    case "thermal-serial":
      return new ThermalSerialSource(config, sink, log);
    case "thermal-uvc":
      return new UvcThermalSource(config, sink, log);
    case "microphone":
      return new MicrophoneSource(config, sink, log);
  }
}
