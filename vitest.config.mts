import { defineConfig } from "vitest/config";

// Two projects, so that a file pays only for the global setup it needs (vitest runs a project's global setup only when
// one of its files is selected): `suite` captures the program for the policy cases; `pulsar` starts the real Apache
// Pulsar its files share (test/support/pulsar.ts).
const shared = {
    // Mocked Pulumi programs share process-global runtime state: one file at a time per worker.
    pool: "forks" as const,
    testTimeout: 30_000,
    // @actions/workflow-parser imports its JSON schema without an import attribute, which Node 20 refuses;
    // let Vite bundle it instead.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
};

export default defineConfig({
    test: {
        // Fails the run if a test leaves a temporary folder behind (the root's setup runs whatever is selected).
        globalSetup: ["test/support/temp-dirs.ts", "test/support/services.ts"],
        projects: [
            {
                test: {
                    ...shared,
                    name: "suite",
                    include: ["test/**/*.test.ts"],
                    exclude: ["test/engine/**", "test/pulsar/**", "node_modules/**"],
                    // Captures the program once for the policy cases.
                    globalSetup: ["test/support/program-resources.ts"],
                },
            },
            {
                test: {
                    ...shared,
                    name: "pulsar",
                    include: ["test/pulsar/**/*.test.ts"],
                    testTimeout: 60_000,
                    hookTimeout: 180_000,
                    globalSetup: ["test/support/pulsar.ts"],
                },
            },
        ],
    },
});
