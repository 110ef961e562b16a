/** The benchmark's tables: aligned plain text for the terminal, GitHub Markdown for docs/benchmarks.md. Pure. */

export interface Table {
    headers: string[];
    rows: string[][];
    /** Columns whose cells are right-aligned (numbers). @default none */
    numeric?: number[];
}

function checkShape(t: Table): void {
    t.rows.forEach((row, i) => {
        if (row.length !== t.headers.length) {
            throw new Error(`table row ${i} has ${row.length} cells for ${t.headers.length} headers: ${JSON.stringify(row)}`);
        }
    });
}

/** Columns padded to their widest cell, separated by two spaces, with a dashed rule under the headers. */
export function renderText(t: Table): string {
    checkShape(t);
    const widths = t.headers.map((h, c) => Math.max(h.length, ...t.rows.map((r) => (r[c] as string).length)));
    const right = new Set(t.numeric ?? []);
    const line = (cells: string[]) =>
        cells.map((cell, c) => (right.has(c) ? cell.padStart(widths[c] as number) : cell.padEnd(widths[c] as number))).join("  ").trimEnd();
    return [line(t.headers), widths.map((w) => "-".repeat(w)).join("  "), ...t.rows.map(line)].join("\n") + "\n";
}

/** A cell's text made safe inside a Markdown table (pipes escaped, no line breaks). */
function markdownCell(cell: string): string {
    return cell.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** A GitHub Markdown table; numeric columns are right-aligned (`---:`). */
export function renderMarkdown(t: Table): string {
    checkShape(t);
    const right = new Set(t.numeric ?? []);
    const row = (cells: string[]) => `| ${cells.map(markdownCell).join(" | ")} |`;
    const rule = `|${t.headers.map((_, c) => (right.has(c) ? "---:" : "---")).join("|")}|`;
    return [row(t.headers), rule, ...t.rows.map(row)].join("\n") + "\n";
}
