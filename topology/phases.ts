/**
 * The migration phases: the one list every other module reads (DESIGN.md, "Migration phases").
 * A phase is a stack config integer; `pulumi config set phase N` moves a stack to it.
 */

export const PHASES = [
    {
        id: 0,
        name: "kafka",
        summary: "Kafka carries every stream; RabbitMQ control plane; orchestrator on Kafka; no Pulsar",
    },
    {
        id: 1,
        name: "bridge",
        summary:
            "Pulsar with KoP beside Kafka; orchestrator streams reach Pulsar through KoP; " +
            "non-critical job streams dual-published; Kafka stays the rollback path",
    },
    {
        id: 2,
        name: "native",
        summary:
            "orchestrator on the native Pulsar client; mcp-matcher runs as a Pulsar Function; schemas " +
            "registered; non-critical consumers cut over; Pulsar->Kafka sinks keep Kafka ETL/audit fed",
    },
    {
        id: 3,
        name: "isolated",
        summary:
            "per-tenant namespaces; tiered storage offload; critical streams cut over when their gate " +
            "is approved; Kafka decommissioned only on explicit, gated config",
    },
] as const;

export type PhaseId = (typeof PHASES)[number]["id"];
export type PhaseName = (typeof PHASES)[number]["name"];

export const PHASE_IDS: readonly PhaseId[] = PHASES.map((p) => p.id);
export const MAX_PHASE: PhaseId = 3;

export function isPhaseId(n: unknown): n is PhaseId {
    return typeof n === "number" && (PHASE_IDS as readonly number[]).includes(n);
}

export function phaseName(id: PhaseId): PhaseName {
    const phase = PHASES.find((p) => p.id === id);
    if (!phase) {
        throw new Error(`unknown phase ${id}: allowed ${PHASE_IDS.join(", ")}`);
    }
    return phase.name;
}

/** "2 (native)": how phases are written in messages and plans. */
export function describePhase(id: PhaseId): string {
    return `${id} (${phaseName(id)})`;
}

// What each phase turns on: the one table of phase rules (DESIGN.md, "Migration phases").

export type OrchestratorTransport = "kafka" | "kop" | "pulsar";

export interface PhaseCapabilities {
    /** A Pulsar cluster (with KoP) exists. */
    pulsar: boolean;
    /** How orchestrator services and their KoP-bridged streams talk: Kafka, Kafka-on-Pulsar, native Pulsar. */
    orchestratorTransport: OrchestratorTransport;
    /** The mcp-matcher runs as a Deployment or as a Pulsar Function (never both, never neither). */
    matcher: "deployment" | "function";
    /** JSON schemas are registered on the topics that have one. */
    schemas: boolean;
    /** Per-tenant namespaces (`<tenant>/orchestrator`) and namespace routing. */
    tenantIsolation: boolean;
    /** Tiered-storage offload, when the stack enables it and has a cloud bucket. */
    offload: boolean;
}

export const PHASE_CAPABILITIES: Record<PhaseId, PhaseCapabilities> = {
    0: { pulsar: false, orchestratorTransport: "kafka", matcher: "deployment", schemas: false, tenantIsolation: false, offload: false },
    1: { pulsar: true, orchestratorTransport: "kop", matcher: "deployment", schemas: false, tenantIsolation: false, offload: false },
    2: { pulsar: true, orchestratorTransport: "pulsar", matcher: "function", schemas: true, tenantIsolation: false, offload: false },
    3: { pulsar: true, orchestratorTransport: "pulsar", matcher: "function", schemas: true, tenantIsolation: true, offload: true },
};

/** A bump or a rollback: the phase moves by exactly one. */
export function isOneStep(from: number, to: number): boolean {
    return Math.abs(to - from) === 1;
}

/** Whether a stack may move from phase `from` to `to` without allowPhaseSkip: the same phase, or one step. */
export function withinOneStep(from: number, to: number): boolean {
    return from === to || isOneStep(from, to);
}
