import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineSplitter } from "../../sensors/common/lineSplitter.js";

const lines = (results: ReturnType<LineSplitter["push"]>) => results.map((r) => ("line" in r ? r.line : `<overflow ${r.overflow}>`));

describe("LineSplitter", () => {
  it("splits LF, CRLF and CR, across chunk boundaries", () => {
    const s = new LineSplitter();
    expect(lines(s.push(Buffer.from("a=1\r")))).toEqual(["a=1"]);
    expect(lines(s.push(Buffer.from("\nb=2\nc=")))).toEqual(["b=2"]);
    expect(lines(s.push(Buffer.from("3\rd=4\r\n")))).toEqual(["c=3", "d=4"]);
  });

  it("discards an over-long line once and resumes at the next line end", () => {
    const s = new LineSplitter(16);
    expect(lines(s.push(Buffer.from("x".repeat(40))))).toEqual([]);
    expect(lines(s.push(Buffer.from("yy\nok=1\n")))).toEqual(["<overflow 42>", "ok=1"]);
  });

  it("yields the same lines however the stream is chunked", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9=,.]{0,20}$/), { maxLength: 20 }), fc.array(fc.nat(30), { maxLength: 10 }), (texts, cuts) => {
        const whole = Buffer.from(texts.map((t) => `${t}\r\n`).join(""));
        const s = new LineSplitter();
        const got: string[] = [];
        let at = 0;
        for (const cut of [...cuts, whole.length]) {
          const end = Math.min(whole.length, at + cut);
          got.push(...lines(s.push(whole.subarray(at, end))));
          at = end;
        }
        got.push(...lines(s.push(whole.subarray(at))));
        expect(got).toEqual(texts);
      }),
    );
  });
});
