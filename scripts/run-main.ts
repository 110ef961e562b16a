/**
 * Runs a command's async `main(argv)` as the process: the code it resolves to becomes the exit code; a crash prints
 * the error and exits with `crashCode`. One place for what every script under scripts/ does when run directly.
 */
/**
 * A tool this machine lacks (Go to build kfake, Maven to fetch Pulsar): said in one line with what to install, not
 * as a crash with a stack trace.
 */
export class PrerequisiteError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PrerequisiteError";
    }
}

export interface RunMainOptions {
    /** Exit code when `main` throws (a crash, not a reported failure). */
    crashCode: number;
    /** Prefix of the crash message, e.g. `npm run smoke`. */
    label?: string;
    /**
     * End the process at once instead of setting `process.exitCode`: for programs that ran the Pulumi runtime under
     * mocks, whose open handles would otherwise keep the process alive.
     * @default false
     */
    forceExit?: boolean;
}

export function runMain(main: (argv: string[]) => Promise<number>, opts: RunMainOptions): void {
    const finish = (code: number) => {
        if (opts.forceExit) {
            process.exit(code);
        }
        process.exitCode = code;
    };
    main(process.argv.slice(2)).then(finish, (e: unknown) => {
        const text = e instanceof PrerequisiteError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
        process.stderr.write(`${opts.label ? `${opts.label}: ` : ""}${text}\n`);
        finish(opts.crashCode);
    });
}
