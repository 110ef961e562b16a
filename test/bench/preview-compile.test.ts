import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { projectTsconfig } from "../../scripts/bench/language-host";

const root = resolve(__dirname, "../..");

describe("the project's preview-time compile settings", () => {
    const readTsconfig = (file: string) => ts.parseConfigFileTextToJson(file, readFileSync(resolve(root, file), "utf8")).config as { compilerOptions: Record<string, unknown> };
    const configured = projectTsconfig(readFileSync(resolve(root, "Pulumi.yaml"), "utf8"));

    it("Pulumi.yaml points the language host at a tsconfig that skips the type check", () => {
        expect(configured).toBe("tsconfig.pulumi.json");
        expect(readTsconfig(configured as string).compilerOptions.noCheck).toBe(true);
    });

    it("that tsconfig repeats tsconfig.json's target and module settings (run.js does not follow extends)", () => {
        const base = readTsconfig("tsconfig.json").compilerOptions;
        const preview = readTsconfig(configured as string).compilerOptions;
        for (const key of ["target", "module", "moduleResolution"]) {
            expect(preview[key], key).toBe(base[key]);
        }
    });
});
