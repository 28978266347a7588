import { describe, expect, it } from "vitest";
import { MachineModel } from "../../sensors/simulated/machineModel.js";

function run(model: MachineModel, seconds: number, dt = 0.2) {
  let last = model.step(dt);
  for (let t = dt; t < seconds; t += dt) last = model.step(dt);
  return last;
}

describe("simulated machine", () => {
  it("starts cold and warms up over minutes, motor hotter than coolant", () => {
    const model = new MachineModel("normal", 7);
    const start = model.step(0.2);
    const warm = run(model, 600);
    expect(start.motor).toBeLessThan(25);
    expect(warm.motor).toBeGreaterThan(45);
    expect(warm.motor).toBeGreaterThan(warm.coolant);
    expect(warm.bearing).toBeLessThan(60);
  });

  it("a normal cold start never warms the bearing as fast as the demo's 30 °C/min rule", () => {
    const model = new MachineModel("normal", 7);
    const perSecond: number[] = [];
    for (let t = 0; t < 600; t++) {
      let last = 0;
      for (let k = 0; k < 5; k++) last = model.step(0.2).bearing;
      perSecond.push(last);
    }
    const fastest = Math.max(...perSecond.slice(60).map((v, i) => v - perSecond[i]));
    expect(fastest).toBeLessThan(30);
  });

  it("overheat scenario drives the spindle bearing past 80 °C within 20 s", () => {
    expect(run(new MachineModel("overheat", 7), 20).bearing).toBeGreaterThan(80);
    expect(run(new MachineModel("normal", 7), 20).bearing).toBeLessThan(40);
  });

  it("is deterministic for a seed", () => {
    expect(run(new MachineModel("normal", 3), 5)).toEqual(run(new MachineModel("normal", 3), 5));
  });
});
