/** The client side of one probe end: Kafka (itself or through KoP) or native Pulsar. */
import type { SmokeMessage } from "./messages";

export interface StreamTransport {
    /**
     * Connects, checks the topics exist and starts consuming `consume` (from their current end, so only messages sent
     * afterwards arrive). Resolves with a reason per topic that does not exist; rejects when the endpoint cannot be used
     * at all (unreachable, refused).
     */
    open(consume: string[], produce: string[]): Promise<Map<string, string>>;
    /** Produces one message; resolves when the broker has accepted it. */
    send(topic: string, m: SmokeMessage): Promise<void>;
    /** Stops consuming and removes what the run created on the broker (consumer group, subscriptions). */
    close(): Promise<void>;
}

/** Runs every step even when one fails; errors in cleanup are not the smoke test's result. */
export async function closeAll(steps: (() => Promise<unknown> | undefined)[]): Promise<void> {
    for (const step of steps) {
        try {
            await step();
        } catch {
            // already closed, or the broker went away: nothing left to clean up here
        }
    }
}

/** An error's message; for Node's AggregateError (a refused connection tried on IPv4 and IPv6), its first cause's. */
export function errorText(err: unknown): string {
    if (err instanceof AggregateError && err.errors.length > 0) {
        return errorText(err.errors[0]);
    }
    if (err instanceof Error) {
        return err.message || (err as NodeJS.ErrnoException).code || err.name;
    }
    return String(err);
}
