import { describe, expect, it } from "vitest";
import { projectTsconfig } from "../../scripts/bench/language-host";
import { languageHostTsNodeOptions } from "../../scripts/bench/language-host-child";

const fakeTsutils = (compilerOptions: Record<string, unknown>) => ({
    loadTypeScriptCompilerOptions: () => compilerOptions,
    typeScriptRequireStrings: () => ({ tsnodeRequire: "ts-node", typescriptRequire: "typescript" }),
});

describe("the ts-node options the language host registers (as @pulumi/pulumi cmd/run/run.js)", () => {
    it("type-checks by default", () => {
        const { tsConfigPath, options } = languageHostTsNodeOptions(fakeTsutils({}), {}, "5.9.3");
        expect(tsConfigPath).toBe("tsconfig.json");
        expect(options.transpileOnly).toBeUndefined();
        expect(options.compilerOptions).toMatchObject({ target: "ES2020", module: "nodenext", moduleResolution: "nodenext" });
    });

    it("is transpile-only when the tsconfig sets noCheck, and the tsconfig's options win over the host's", () => {
        const { options } = languageHostTsNodeOptions(fakeTsutils({ noCheck: true, module: "commonjs" }), { PULUMI_NODEJS_TSCONFIG_PATH: "tsconfig.pulumi.json" }, "5.9.3");
        expect(options.transpileOnly).toBe(true);
        expect(options.project).toBe("tsconfig.pulumi.json");
        expect(options.compilerOptions.module).toBe("commonjs");
    });

    it("PULUMI_NODEJS_TRANSPILE_ONLY overrides noCheck", () => {
        expect(languageHostTsNodeOptions(fakeTsutils({ noCheck: true }), { PULUMI_NODEJS_TRANSPILE_ONLY: "false" }, "5.9.3").options.transpileOnly).toBe(false);
    });

    it("keeps commonjs for a TypeScript older than 4.7", () => {
        expect(languageHostTsNodeOptions(fakeTsutils({}), {}, "3.8.3").options.compilerOptions.module).toBe("commonjs");
    });
});

describe("Pulumi.yaml's tsconfig option", () => {
    it("is read from runtime.options.tsconfig", () => {
        expect(projectTsconfig("name: x\nruntime:\n  name: nodejs\n  options:\n    tsconfig: other.json\n")).toBe("other.json");
    });

    it("is absent from a Pulumi.yaml without runtime options", () => {
        expect(projectTsconfig("name: x\nruntime: nodejs\n")).toBeUndefined();
    });
});
