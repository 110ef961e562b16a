/**
 * `npm run plan -- --from M`: the transition's choreography in text (topology/choreography.ts), after the diff: the
 * three updates and, per stream that moves, its handovers, overlap mirrors, sinks started and stopped, and drains.
 */
import { cursorKey, type Choreography, type CursorRef } from "../topology";

const cursor = (c: CursorRef) => `${c.owner} (${c.protocol === "kafka" ? "group" : "subscription"} on ${c.log.broker === "kafka" ? "Kafka" : c.protocol === "kafka" ? "KoP" : "Pulsar"} ${c.log.topic})`;

export function renderChoreography(ch: Choreography, stack: string): string {
    if (ch.trivial) {
        return `choreography ${ch.from} -> ${ch.to}: no stream moves; one update\n`;
    }
    const lines = [
        `choreography ${ch.from} -> ${ch.to}: three updates (docs/runbooks.md, "Bumps and rollbacks")`,
        `  1. pulumi config set messaging-platform:transitionStage prepare --stack ${stack} && pulumi up --stack ${stack}`,
        `  2. npm run handover -- --stack ${stack}; pulumi config set messaging-platform:transitionStage switch --stack ${stack} && pulumi up --stack ${stack}`,
        `  3. npm run drain-check -- --stack ${stack} --wait; pulumi config rm messaging-platform:transitionStage --stack ${stack} && pulumi up --stack ${stack}`,
    ];
    const late = Object.entries(ch.services).filter(([, w]) => w === "settle").map(([s]) => s);
    if (late.length > 0) {
        lines.push(`  services that keep their env through the switch and move at settle: ${late.join(", ")}`);
    }
    for (const s of ch.streams) {
        const items = [
            ...s.handovers.map((h) => `handover  ${cursor(h.cursor)} at ${h.start.at === "end" ? "its end" : `the first unread message of ${h.start.of.map(cursorKey).join(", ")}`}${h.groupInUse ? ` (group in use for ${h.groupInUse.join(", ")})` : ""}`),
            ...s.mirrors.map((m) => `mirror    ${m.name}: ${m.from.log.broker}:${m.from.log.topic} -> ${m.to.broker}:${m.to.topic} (switch until settle)`),
            ...s.sinksStarted.map((x) => `sink +    ${x.name} (starts at the switch)`),
            ...s.sinksStopped.map((x) => `sink -    ${x.name} (goes at settle, drained)`),
            ...s.drains.map((d) => `drain     ${cursorKey(d.cursor)}`),
        ];
        if (items.length > 0) {
            lines.push(`  ${s.stream}`, ...items.map((i) => `    ${i}`));
        }
    }
    return `${lines.join("\n")}\n`;
}
