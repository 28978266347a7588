/**
 * A small thermal model of a machine tool: a cold start that warms up over a few minutes,
 * a load cycle, first-order lags between parts, and sensor noise. Deterministic for a seed.
 */
export type Scenario = "normal" | "overheat";

export const SIM_CHANNELS = [
  { field: "ambient", channel: "ambient", name: "Ambient", unit: "°C", group: "Machine" },
  { field: "coolant", channel: "coolant", name: "Coolant", unit: "°C", group: "Machine" },
  { field: "motor", channel: "motor.winding", name: "Motor winding", unit: "°C", group: "Spindle" },
  { field: "bearing", channel: "spindle.bearing", name: "Spindle bearing", unit: "°C", group: "Spindle" },
  { field: "gearbox", channel: "gearbox.oil", name: "Gearbox oil", unit: "°C", group: "Spindle" },
] as const;

export type SimField = (typeof SIM_CHANNELS)[number]["field"];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class MachineModel {
  private t = 0;
  private readonly random: () => number;
  private readonly temps: Record<SimField, number>;

  constructor(
    private readonly scenario: Scenario = "normal",
    seed = 1,
  ) {
    this.random = mulberry32(seed);
    const start = 21.5;
    this.temps = { ambient: start, coolant: start, motor: start, bearing: start, gearbox: start };
  }

  /** Spindle load between 0 and 1: a slow machining cycle with short heavy cuts. */
  load(): number {
    const cycle = 0.7 + 0.2 * Math.sin((2 * Math.PI * this.t) / 240);
    const cut = Math.sin((2 * Math.PI * this.t) / 37) > 0.85 ? 0.15 : 0;
    return Math.min(1, cycle + cut);
  }

  /** Seconds since the simulated machine started. */
  get elapsed(): number {
    return this.t;
  }

  /** Standard normal noise from the model's seeded generator. */
  noise(): number {
    return this.gaussian();
  }

  /** Current temperatures without sensor noise. */
  get temperatures(): Record<SimField, number> {
    return { ...this.temps };
  }

  step(dt: number): Record<SimField, number> {
    this.t += dt;
    const load = this.load();
    const T = this.temps;
    T.ambient = 21.5 + 1.2 * Math.sin((2 * Math.PI * this.t) / 1800);
    const lag = (key: SimField, target: number, tau: number) => {
      T[key] += (target - T[key]) * Math.min(1, dt / tau);
    };
    lag("motor", T.ambient + 12 + 38 * load, 90);
    lag("coolant", T.ambient + 2 + 0.12 * (T.motor - T.ambient), 150);
    lag("gearbox", T.ambient + 6 + 20 * load, 200);
    if (this.scenario === "overheat" && this.t > 2) {
      // A failing bearing: friction heat grows faster than the housing sheds it, until the
      // lubricant is gone and it levels off near 130 °C.
      const heating = Math.min(8, 1 + 0.8 * (this.t - 2)) * Math.max(0, (130 - T.bearing) / 60);
      T.bearing += heating * dt;
    } else {
      lag("bearing", T.ambient + 8 + 22 * load, 60);
    }
    const out = {} as Record<SimField, number>;
    for (const key of Object.keys(T) as SimField[]) out[key] = T[key] + this.gaussian() * 0.06;
    return out;
  }

  private gaussian(): number {
    const u = Math.max(this.random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }
}
