/** The 1-Wire families the kernel's w1_therm driver serves, with what each can measure. */
export const W1_THERM_FAMILIES = {
  "10": { model: "DS18S20", min: -55, max: 125 },
  "22": { model: "DS1822", min: -55, max: 125 },
  "28": { model: "DS18B20", min: -55, max: 125 },
  // 3b is also the MAX31850 thermocouple interface: up to a type-K or -N junction's range.
  "3b": { model: "DS1825/MAX31850", min: -270, max: 1800 },
  "42": { model: "DS28EA00", min: -55, max: 125 },
} as const;
export type W1Family = keyof typeof W1_THERM_FAMILIES;
/** A family-3b sensor whose configuration byte says it is not a MAX31850. */
export const DS1825 = { model: "DS1825", min: -55, max: 125 } as const;

/** A sensor's sysfs name: family, "-", 12 hex digits of its serial number (e.g. 28-00000abcdef1). */
export const W1_SENSOR_ID = /^(10|22|28|3b|42)-[0-9a-f]{12}$/;

export function familyOf(id: string): W1Family | undefined {
  return W1_SENSOR_ID.test(id) ? (id.slice(0, 2) as W1Family) : undefined;
}
