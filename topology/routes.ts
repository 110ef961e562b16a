/**
 * Where each stream lives in a phase, and the route its producers and consumers take: the planner's first step, from
 * which topics, ACLs, permissions, env and sinks are all derived.
 */
import { SERVICES, type ServiceClient, type StreamSpec } from "./catalog";
import type { PlatformConfig } from "./config";
import type { StreamRoute, StreamState } from "./model";
import { PHASE_CAPABILITIES, type PhaseId } from "./phases";

export function streamState(stream: StreamSpec, phase: PhaseId, gates: PlatformConfig["gates"]): StreamState {
    if (stream.bridge === "kop") {
        // KoP-bridged streams move with the orchestrator as a whole (one KAFKA_BROKERS switch).
        const transport = PHASE_CAPABILITIES[phase].orchestratorTransport;
        return transport === "kafka" ? "kafka" : transport === "kop" ? "kop" : "pulsar";
    }
    const gateApproved = stream.gate === undefined || gates[stream.gate];
    if (phase >= stream.cutoverAt && gateApproved) {
        return "pulsar";
    }
    return phase >= stream.pulsarFrom ? "shadow" : "kafka";
}

const clientOf = new Map<string, ServiceClient>(SERVICES.map((s) => [s.name, s.client]));

export function routeOf(
    s: StreamSpec,
    state: StreamState,
    kafkaPresent: boolean,
    pulsarTopic: string,
    gates: PlatformConfig["gates"],
): StreamRoute {
    const kafka = { broker: "kafka" as const, protocol: "kafka" as const, topic: s.kafkaTopic };
    const pulsarNative = { broker: "pulsar" as const, protocol: "pulsar" as const, topic: pulsarTopic };
    const viaKop = { broker: "pulsar" as const, protocol: "kafka" as const, topic: pulsarTopic };
    const route: StreamRoute = {
        stream: s.name,
        criticality: s.criticality,
        state,
        producers: [...s.producers],
        produce: [],
        consume: [],
        ...(s.gate ? { gate: { name: s.gate, approved: gates[s.gate] } } : {}),
    };
    switch (state) {
        case "kafka":
            route.produce = [kafka];
            route.consume = s.consumers.map((service) => ({ service, ...kafka }));
            break;
        case "kop":
            route.produce = [viaKop];
            route.consume = s.consumers.map((service) => ({ service, ...viaKop }));
            break;
        case "shadow":
            route.produce = [kafka, pulsarNative];
            route.consume = s.consumers.map((service) => ({ service, ...kafka }));
            break;
        case "pulsar": {
            route.produce = [pulsarNative];
            route.consume = s.consumers.map((service) =>
                clientOf.get(service) === "kafka-only" ? { service, ...kafka } : { service, ...pulsarNative },
            );
            const kafkaReaders = s.consumers.some((c) => clientOf.get(c) === "kafka-only");
            if (kafkaReaders && kafkaPresent) {
                route.sink = sinkName(s.name);
            }
            break;
        }
    }
    return route;
}

function sinkName(stream: string): string {
    return `${stream}-to-kafka`;
}

/** One stream's entry of the `streamRoutes` stack output. */
export interface StreamRouteOutput {
    state: StreamState;
    /** `<broker>:<topic>` per place producers write. */
    produce: string[];
    /** `<service>@<broker>:<topic>` per consumer. */
    consume: string[];
    gate?: StreamRoute["gate"];
    sink?: string;
}

/** The `streamRoutes` stack output (components/platform.ts), also read back by `npm run smoke`. Pure. */
export function streamRouteOutputs(routes: StreamRoute[]): Record<string, StreamRouteOutput> {
    return Object.fromEntries(
        routes.map((r) => [
            r.stream,
            {
                state: r.state,
                produce: r.produce.map((e) => `${e.broker}:${e.topic}`),
                consume: r.consume.map((c) => `${c.service}@${c.broker}:${c.topic}`),
                ...(r.gate ? { gate: r.gate } : {}),
                ...(r.sink ? { sink: r.sink } : {}),
            },
        ]),
    );
}
