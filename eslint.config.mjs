// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "rendered/", ".pulumi-home/", "dist/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
            eqeqeq: ["error", "always"],
        },
    },
    {
        // Test fixtures edit untyped stack-file YAML to build bad configs.
        files: ["test/**/*.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
);
