/**
 * vitest global setup: the suite leaves nothing behind in the temp folder. Every temporary folder the tests and the
 * scripts they run make starts with one of these prefixes; one left over at the end fails the run, naming it.
 */
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";

const OURS = /^(smoke|readme|bench|engine|drill|plan|policy|reference)-/;

const entries = () => new Set(readdirSync(tmpdir()).filter((f) => OURS.test(f)));

export default function setup(): () => void {
    const before = entries();
    return () => {
        const left = [...entries()].filter((f) => !before.has(f));
        if (left.length > 0) {
            // A throw here is only logged by vitest ("Error during close"); the exit code is what CI sees.
            process.stderr.write(`FAIL: the test run left temporary folders behind in ${tmpdir()}: ${left.join(", ")} (remove them in the test that makes them)\n`);
            process.exitCode = 1;
        }
    };
}
