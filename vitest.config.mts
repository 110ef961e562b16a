import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        exclude: ["test/engine/**", "node_modules/**"],
        // Mocked Pulumi programs share process-global runtime state: one file at a time per worker.
        pool: "forks",
        testTimeout: 30_000,
        // Fails the run if a test leaves a temporary folder behind; captures the program once for the policy cases.
        globalSetup: ["test/support/temp-dirs.ts", "test/support/program-resources.ts"],
        // @actions/workflow-parser imports its JSON schema without an import attribute, which Node 20 refuses;
        // let Vite bundle it instead.
        server: { deps: { inline: ["@actions/workflow-parser"] } },
    },
});
