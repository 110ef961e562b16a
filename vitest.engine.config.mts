import { defineConfig } from "vitest/config";

// `npm run test:engine`: the Kubernetes half through a real Pulumi engine (test/engine). One file at a time: the
// tests share one engine workspace and run in order.
export default defineConfig({
    test: {
        include: ["test/engine/**/*.test.ts"],
        pool: "forks",
        fileParallelism: false,
        sequence: { concurrent: false },
        testTimeout: 15 * 60_000,
        hookTimeout: 50 * 60_000,
        globalSetup: ["test/support/temp-dirs.ts", "test/support/services.ts"],
    },
});
