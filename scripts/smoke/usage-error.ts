/**
 * Bad usage or config for `npm run smoke` (and handover, drain-check, drill) (exit code 2): each problem names the flag or key, the value it had and what
 * is allowed, like the stack config's own ConfigError.
 */

export interface UsageProblem {
    /** A flag (`--messages`), an outputs key (`outputs endpoints.kafkaBootstrap`) or a setting (`MP_RABBITMQ_PASSWORD`). */
    key: string;
    value: unknown;
    allowed: string;
}

export class UsageError extends Error {
    /** @param command how the message names the command. @default "npm run smoke" */
    constructor(
        readonly problems: UsageProblem[],
        command = "npm run smoke",
    ) {
        super(
            problems.length === 1
                ? `${command}: ${line(problems[0] as UsageProblem)}`
                : `${command}: ${problems.length} problems:\n` + problems.map((p) => `  - ${line(p)}`).join("\n"),
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

/** An integer flag from `min` to `max`; a problem naming the flag otherwise. */
export function integerFlag(flag: string, raw: string, min: number, max: number, problems: UsageProblem[]): number {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
        problems.push({ key: flag, value: raw, allowed: `an integer from ${min} to ${max}` });
    }
    return n;
}
