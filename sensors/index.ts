export * from "./types.js";
export { brokerClientOptions, brokerFields, redactUrl, type Broker } from "./mqtt/broker.js";
export { MqttSource, mqttSourceSchema, type MqttSourceOptions } from "./mqtt/mqttSource.js";
export { SerialSource, serialSourceSchema, BAUD_RATES, type SerialSourceOptions } from "./serial/serialSource.js";
export { SimulatedSource, simulatedSourceSchema, type SimulatedSourceOptions } from "./simulated/simulatedSource.js";
export { durationSchema, channelIdSchema, sourceIdSchema } from "./common/schemas.js";
