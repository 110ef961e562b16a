import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, formatPercent, formatPerResource, median, percentChange, verdict } from "../../scripts/bench/stats";

describe("median", () => {
    it("is the middle value of an odd count, in any order", () => {
        expect(median([5, 1, 3])).toBe(3);
    });

    it("is the mean of the middle two of an even count", () => {
        expect(median([4, 1, 3, 2])).toBe(2.5);
    });

    it("does not reorder its input", () => {
        const values = [3, 1, 2];
        median(values);
        expect(values).toEqual([3, 1, 2]);
    });

    it("refuses an empty list", () => {
        expect(() => median([])).toThrow(/empty/);
    });
});

describe("percentChange", () => {
    it("is the change relative to the base", () => {
        expect(percentChange(2, 2.6)).toBeCloseTo(30);
        expect(percentChange(4, 3)).toBeCloseTo(-25);
    });

    it("refuses a zero base", () => {
        expect(() => percentChange(0, 1)).toThrow(/base is 0/);
    });
});

describe("units", () => {
    it.each([
        [12.4, "12 ms"],
        [1234, "1.23 s"],
        [84_549, "84.5 s"],
        [432_000, "7.2 min"],
    ])("%s ms reads %s", (ms, text) => {
        expect(formatDuration(ms)).toBe(text);
    });

    it.each([
        [512 * 1024, "512 KiB"],
        [278 * 1024 ** 2 + 100, "278 MiB"],
        [3.04 * 1024 ** 3, "3.0 GiB"],
    ])("%s bytes read %s", (bytes, text) => {
        expect(formatBytes(bytes)).toBe(text);
    });

    it("per-resource times keep three decimals; percentages carry their sign", () => {
        expect(formatPerResource(0.41234)).toBe("0.412 ms");
        expect(formatPercent(12.34)).toBe("+12.3%");
        expect(formatPercent(-4)).toBe("-4.0%");
    });

    it("a met target is PASS, a missed one MISS", () => {
        expect(verdict(true)).toBe("PASS");
        expect(verdict(false)).toBe("MISS");
    });
});
