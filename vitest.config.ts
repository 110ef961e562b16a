import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        exclude: ["test/engine/**", "node_modules/**"],
        // Mocked Pulumi programs share process-global runtime state: one file at a time per worker.
        pool: "forks",
        testTimeout: 30_000,
    },
});
