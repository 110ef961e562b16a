/**
 * Bad usage or config for `npm run smoke` (exit code 2): each problem names the flag or key, the value it had and what
 * is allowed, like the stack config's own ConfigError.
 */

export interface UsageProblem {
    /** A flag (`--messages`), an outputs key (`outputs endpoints.kafkaBootstrap`) or a setting (`MP_RABBITMQ_PASSWORD`). */
    key: string;
    value: unknown;
    allowed: string;
}

export class UsageError extends Error {
    constructor(readonly problems: UsageProblem[]) {
        super(
            problems.length === 1
                ? `npm run smoke: ${line(problems[0] as UsageProblem)}`
                : `npm run smoke: ${problems.length} problems:\n` + problems.map((p) => `  - ${line(p)}`).join("\n"),
        );
        this.name = "UsageError";
    }
}

function line(p: UsageProblem): string {
    return `${p.key} = ${show(p.value)}: ${p.allowed}`;
}

function show(value: unknown): string {
    if (value === undefined) {
        return "(not set)";
    }
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
