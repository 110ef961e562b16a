import { describe, expect, it } from "vitest";
import { renderMarkdown, renderText } from "../../scripts/bench/table";

const table = { headers: ["tenants", "wall"], rows: [["10", "1.49 s"], ["1,000", "84.5 s"]], numeric: [0, 1] };

describe("the text table", () => {
    it("pads columns to their widest cell, right-aligning numeric ones, under a dashed rule", () => {
        expect(renderText(table)).toBe(["tenants    wall", "-------  ------", "     10  1.49 s", "  1,000  84.5 s", ""].join("\n"));
    });

    it("left-aligns other columns and trims trailing spaces", () => {
        expect(renderText({ headers: ["a", "b"], rows: [["long", "x"]] })).toBe("a     b\n----  -\nlong  x\n");
    });

    it("refuses a row with the wrong number of cells", () => {
        expect(() => renderText({ headers: ["a", "b"], rows: [["only one"]] })).toThrow(/row 0 has 1 cells for 2 headers/);
    });
});

describe("the Markdown table", () => {
    it("right-aligns numeric columns with ---:", () => {
        expect(renderMarkdown(table)).toBe(["| tenants | wall |", "|---:|---:|", "| 10 | 1.49 s |", "| 1,000 | 84.5 s |", ""].join("\n"));
    });

    it("escapes pipes and folds line breaks inside cells", () => {
        expect(renderMarkdown({ headers: ["figure"], rows: [["a | b\nc"]] })).toBe("| figure |\n|---|\n| a \\| b c |\n");
    });
});
