/**
 * The one config reader (topology/stack-file.ts): a stack file read as the engine hands it to the program (every
 * value a string, objects as JSON, secrets listed), then coerced once by each key's declared kind.
 */
import { describe, expect, it } from "vitest";
import { StackFileError, engineConfigFromStackFile, rawConfigFromEngine, rawConfigFromStackFile, validateConfig } from "../../topology";
import { stackText } from "../support/stacks";

describe("engineConfigFromStackFile: what the engine hands the program", () => {
    const engine = engineConfigFromStackFile(stackText("local"), "Pulumi.local.yaml");

    it("gives every value as a string: scalars as their text, maps and lists as JSON, secrets listed", () => {
        expect(engine.values["messaging-platform:phase"]).toBe("0");
        expect(engine.values["messaging-platform:environment"]).toBe("local");
        expect(JSON.parse(engine.values["messaging-platform:kafka"] as string)).toMatchObject({ provider: "external" });
        expect(engine.values["pulumi:disable-default-providers"]).toBe('["*"]');
        expect([...engine.secretKeys].sort()).toEqual(["messaging-platform:credentialSeed", "messaging-platform:rabbitmqPassword"]);
    });
});

describe("rawConfigFromEngine: one coercion by declared kind", () => {
    const raw = (values: Record<string, string>) => rawConfigFromEngine({ values, secretKeys: new Set(["messaging-platform:credentialSeed"]) }).values;

    it("parses numbers, booleans and structured values, keeps strings and secrets as strings", () => {
        expect(
            raw({
                "messaging-platform:phase": "2",
                "messaging-platform:allowPhaseSkip": "true",
                "messaging-platform:tenants": '[{"name":"a"}]',
                "messaging-platform:environment": "dev",
                "messaging-platform:credentialSeed": "1234",
                "aws:region": "eu-west-1",
            }),
        ).toEqual({ phase: 2, allowPhaseSkip: true, tenants: [{ name: "a" }], environment: "dev", credentialSeed: "1234" });
    });

    it("leaves text that does not parse as it is, so validation names it", () => {
        expect(raw({ "messaging-platform:phase": "two", "messaging-platform:allowPhaseSkip": "yes", "messaging-platform:kafka": "{oops" })).toEqual({
            phase: "two",
            allowPhaseSkip: "yes",
            kafka: "{oops",
        });
    });

    it("passes unknown keys of the namespace on, so validation refuses them", () => {
        const values = rawConfigFromStackFile(stackText("local").replace("messaging-platform:gates:", "messaging-platform:gatez:")).values;
        expect(values.gatez).toEqual({ auditParity: false, lifecycleParity: false });
        expect(() => validateConfig(rawConfigFromStackFile(stackText("local").replace("messaging-platform:gates:", "messaging-platform:gatez:")))).toThrow(
            /messaging-platform:gatez = \{"auditParity":false,"lifecycleParity":false\}: unknown key: remove it/,
        );
    });

    it("reads `pulumi config set phase 2` (stored as the string \"2\") as phase 2", () => {
        const text = stackText("dev").replace("messaging-platform:phase: 0", 'messaging-platform:phase: "2"');
        expect(validateConfig(rawConfigFromStackFile(text)).phase).toBe(2);
    });
});

describe("YAML errors", () => {
    it("name the file, line and column", () => {
        const broken = stackText("local").replace("  messaging-platform:environment: local", "  messaging-platform:environment: [local");
        const line = broken.split("\n").findIndex((l) => l.includes("[local")) + 1;
        expect(() => engineConfigFromStackFile(broken, "Pulumi.local.yaml")).toThrow(StackFileError);
        let message = "";
        try {
            engineConfigFromStackFile(broken, "Pulumi.local.yaml");
        } catch (e) {
            message = (e as Error).message;
        }
        const m = /^Pulumi\.local\.yaml:(\d+):(\d+): invalid YAML: \S/.exec(message);
        expect(m, message).not.toBeNull();
        // The parser reports where it noticed: the broken line or the next one or two.
        expect(Number(m?.[1]) - line, message).toBeGreaterThanOrEqual(0);
        expect(Number(m?.[1]) - line, message).toBeLessThanOrEqual(2);
    });

    it("refuses a file that is not a mapping, or a config that is not one", () => {
        expect(() => engineConfigFromStackFile("- a\n- b\n", "Pulumi.x.yaml")).toThrow("Pulumi.x.yaml: expected a mapping of settings (name:, config: ...), found a list");
        expect(() => engineConfigFromStackFile("config: 3\n", "Pulumi.x.yaml")).toThrow("Pulumi.x.yaml: `config:` must be a mapping of keys to values");
    });
});
