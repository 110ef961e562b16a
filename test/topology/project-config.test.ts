/**
 * The Pulumi CLI's config rules (topology/project-config.ts, read from pulumi/pulumi pkg/v3@v3.274.1
 * workspace/config.go) applied to this project: every stack file passes what `pulumi preview` checks before the
 * program runs, and Pulumi.yaml declares nothing the CLI would make required for a stack that does not need it.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
    SECRET_KEYS,
    configValueKind,
    parseYamlFile,
    projectConfigProblems,
    projectDeclaration,
    stackFileConfig,
    type ProjectDeclaration,
} from "../../topology";
import { STACKS, stackText } from "../support/stacks";

const root = resolve(__dirname, "../..");
const project = projectDeclaration(parseYamlFile(readFileSync(resolve(root, "Pulumi.yaml"), "utf8"), "Pulumi.yaml"));
const problemsOf = (p: ProjectDeclaration, stack: string, text: string) => projectConfigProblems(p, stack, stackFileConfig(text, `Pulumi.${stack}.yaml`));

describe.each(STACKS)("Pulumi.%s.yaml against Pulumi.yaml", (stack) => {
    it("passes the CLI's checks (required keys set, declared secrets encrypted, declared types)", () => {
        expect(problemsOf(project, stack, stackText(stack))).toEqual([]);
    });
});

describe("Pulumi.yaml declarations", () => {
    it("declares as required (no default) only keys the program requires of every stack", () => {
        // A declared key without a default is required for every stack; a key the program needs only sometimes (like
        // kafkaSaslPassword, with kafka.sasl) must not be declared, or every other stack fails before the program runs.
        const alwaysRequired = new Set(["phase", "environment", "cloud", ...Object.entries(SECRET_KEYS).filter(([, when]) => when.startsWith("always")).map(([k]) => k)]);
        const required = Object.entries(project.config).filter(([, d]) => d.default === undefined && d.value === undefined).map(([k]) => k);
        expect(required.filter((k) => !alwaysRequired.has(k))).toEqual([]);
    });

    it("declares each key with the kind the program reads it as, and every secret key as secret", () => {
        const kindOfType = { string: "string", integer: "number", boolean: "boolean", object: "structured", array: "structured" } as const;
        for (const [key, decl] of Object.entries(project.config)) {
            expect(decl.type && kindOfType[decl.type], key).toBe(configValueKind(key));
            expect(decl.secret === true, key).toBe(key in SECRET_KEYS);
        }
    });
});

describe("the CLI's rules (negative controls)", () => {
    const withDecl = (config: ProjectDeclaration["config"]): ProjectDeclaration => ({ name: "messaging-platform", config: { ...project.config, ...config } });

    it("refuses a stack without a declared key that has no default: the shipped Pulumi.yaml's kafkaSaslPassword", () => {
        const shipped = withDecl({ kafkaSaslPassword: { type: "string", secret: true } });
        for (const stack of STACKS) {
            expect(problemsOf(shipped, stack, stackText(stack))).toEqual([`Stack '${stack}' is missing configuration value 'kafkaSaslPassword'`]);
        }
    });

    it("lists several missing keys the way the CLI does", () => {
        const p = withDecl({ a: { type: "string" }, b: { type: "string" }, c: { type: "string" } });
        expect(problemsOf(p, "dev", stackText("dev"))).toEqual(["Stack 'dev' is missing configuration values 'a', 'b' and 'c'"]);
    });

    it("refuses a plain value under a secret key, and a secret key with a default (the default is never encrypted)", () => {
        const plainSecret = stackText("local").replace(/messaging-platform:rabbitmqPassword:\n\s+secure: \S+/, "messaging-platform:rabbitmqPassword: guest");
        expect(problemsOf(project, "local", plainSecret)).toEqual(["Stack 'local' with configuration key 'rabbitmqPassword' must be encrypted as it's secret"]);
        const defaulted = withDecl({ kafkaSaslPassword: { type: "string", secret: true, default: "" } });
        expect(problemsOf(defaulted, "local", stackText("local"))).toEqual(["Stack 'local' with configuration key 'kafkaSaslPassword' must be encrypted as it's secret"]);
    });

    it("accepts integers and booleans as the strings `pulumi config set` writes, and refuses other text", () => {
        const p = withDecl({ allowPhaseSkip: { type: "boolean", default: false } });
        const set = (phase: string, skip: string) => `${stackText("local")}\n`.replace("messaging-platform:phase: 0", `messaging-platform:phase: ${phase}\n  messaging-platform:allowPhaseSkip: ${skip}`);
        expect(problemsOf(p, "local", set('"2"', '"true"'))).toEqual([]);
        expect(problemsOf(p, "local", set('"two"', '"yes"'))).toEqual([
            "Stack 'local' with configuration key 'allowPhaseSkip' must be of type 'boolean'",
            "Stack 'local' with configuration key 'phase' must be of type 'integer'",
        ]);
    });
});
