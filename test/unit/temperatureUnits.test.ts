import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { language } from "../../dashboard/src/app/i18n.js";
import { pinchRange, zoomAround } from "../../dashboard/src/app/chartGestures.js";
import { converted, formatShown, shownUnit, shownValue } from "../../dashboard/src/units.js";

describe("temperatures in the user's unit", () => {
  it("converts only channels in °C, and only when °F is chosen", () => {
    expect([shownValue(80, "°C", "F"), shownValue(0, "°C", "F"), shownValue(-40, "°C", "F"), shownValue(37, "°C", "F")]).toEqual([176, 32, -40, 98.6]);
    expect(shownValue(80, "°C", "C")).toBe(80);
    for (const unit of ["°F", "K", "dB", "bar", "C", ""]) {
      expect(converted(unit, "F")).toBe(false);
      expect(shownValue(12.5, unit, "F")).toBe(12.5);
      expect(shownUnit(unit, "F")).toBe(unit);
    }
    expect([shownUnit("°C", "F"), shownUnit("°C", "C")]).toEqual(["°F", "°C"]);
  });

  it("formats a converted value with the channel's decimals, in the operator's locale", () => {
    language.value = "en";
    expect(formatShown(41.25, "°C", "F", 1)).toBe("106.3");
    expect(formatShown(41.25, "°C", "F", 0)).toBe("106");
    expect(formatShown(41.25, "°C", "F", 3)).toBe("106.250");
    expect(formatShown(41.25, "°C", "F")).toBe("106.3");
    expect(formatShown(41.25, "°C", "C", 2)).toBe("41.25");
    language.value = "de";
    expect(formatShown(-17.5, "°C", "F", 1)).toBe("0,5");
    language.value = "en";
  });

  it("keeps the order of values and turns back (×9/5+32 is linear and increasing)", () => {
    fc.assert(
      fc.property(fc.double({ min: -273.15, max: 2000, noNaN: true }), fc.double({ min: -273.15, max: 2000, noNaN: true }), (a, b) => {
        const [fa, fb] = [shownValue(a, "°C", "F"), shownValue(b, "°C", "F")];
        if (a <= b) expect(fa).toBeLessThanOrEqual(fb);
        expect(((fa - 32) * 5) / 9).toBeCloseTo(a, 9);
      }),
    );
  });
});

describe("zooming and moving a chart's time axis", () => {
  it("zooms around the pointer: the time under it stays where it is", () => {
    expect(zoomAround(0, 100, 25, 0.5)).toEqual([12.5, 62.5]);
    expect(zoomAround(0, 100, 25, 2)).toEqual([-25, 175]);
    // Never closer than a second.
    expect(zoomAround(0, 100, 50, 0.0001)).toEqual([49.5, 50.5]);
  });

  it("pinches: fingers twice as far apart show half the time, around their midpoint", () => {
    // 1000 px showing 0…1000 s; fingers at 400 and 600 px move to 300 and 700 px.
    expect(pinchRange([0, 1000], [400, 600], [300, 700], 1000)).toEqual([250, 750]);
    // Both fingers moving right by 100 px, as far apart as before: the same span, the time under them follows them.
    expect(pinchRange([0, 1000], [400, 600], [500, 700], 1000)).toEqual([-100, 900]);
    // Fingers closing in show more time.
    const [min, max] = pinchRange([0, 1000], [300, 700], [400, 600], 1000);
    expect(max - min).toBe(2000);
  });
});
