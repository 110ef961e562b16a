import { describe, expect, it } from "vitest";
import { controlProbes, routingKeyFor, streamProbes, topicMatches, type StreamProbe } from "../../scripts/smoke/probes";
import { missingEndpoints } from "../../scripts/smoke/run";
import { CONTROL_EXCHANGE, DEAD_LETTER_QUEUE } from "../../topology";
import { planStack } from "../support/stacks";
import { localStackOutputs } from "./fixture/deploy";

const summary = (p: StreamProbe) => `${p.stream} ${p.path} ${p.produce.transport}:${p.produce.topic} -> ${p.consume.transport}:${p.consume.topic}`;
const probesAt = (phase: number) => streamProbes(planStack("local", { phase })).map(summary);

describe("stream probes of the local stack", () => {
    it("phase 0: one Kafka probe per stream", () => {
        const probes = probesAt(0);
        expect(probes).toHaveLength(12);
        expect(probes).toContain("user-requests direct kafka:user-requests -> kafka:user-requests");
    });

    it("phase 1: orchestrator streams through KoP by their short names; dual-published streams on Kafka plus their Pulsar copy", () => {
        const probes = probesAt(1);
        expect(probes).toContain("user-requests direct kop:user-requests -> kop:user-requests");
        expect(probes).toContain("job-metrics direct kafka:job-metrics -> kafka:job-metrics");
        expect(probes).toContain(
            "job-metrics shadow copy pulsar:persistent://public/metrics/job-performance-metrics -> pulsar:persistent://public/metrics/job-performance-metrics",
        );
        expect(probes).toContain("audit-trail direct kafka:audit-trail -> kafka:audit-trail");
        expect(probes.filter((p) => p.includes(" kop:"))).toHaveLength(6);
    });

    it("phase 2: a stream cut over to Pulsar with a Kafka-only reader is probed through its sink, without a separate copy row", () => {
        const probes = probesAt(2).filter((p) => p.startsWith("telescope-telemetry") || p.startsWith("job-metrics"));
        expect(probes).toEqual([
            "job-metrics direct pulsar:persistent://public/metrics/job-performance-metrics -> pulsar:persistent://public/metrics/job-performance-metrics",
            "job-metrics via sink pulsar:persistent://public/metrics/job-performance-metrics -> kafka:job-metrics",
            "telescope-telemetry via sink pulsar:persistent://public/observatories/telescope-telemetry -> kafka:telescope-telemetry",
        ]);
    });

    it("phase 3: gated critical streams stay dual-published while their gates are closed", () => {
        const probes = probesAt(3).filter((p) => p.startsWith("audit-trail"));
        expect(probes).toEqual([
            "audit-trail direct kafka:audit-trail -> kafka:audit-trail",
            "audit-trail shadow copy pulsar:persistent://public/cosmic-ai/audit-trail -> pulsar:persistent://public/cosmic-ai/audit-trail",
        ]);
    });

    it("names the consumers that read where a probe consumes", () => {
        const results = streamProbes(planStack("local", { phase: 0 })).find((p) => p.stream === "orchestrator-results");
        expect(results?.consumers).toEqual(["result-consumer", "job-result-updater"]);
    });
});

describe("AMQP topic matching", () => {
    it.each([
        ["#", "smoke", true],
        ["#", "", true],
        ["governance.command.#", "governance.command.smoke", true],
        ["governance.command.#", "governance.command", true],
        ["governance.command.#", "governance.commands", false],
        ["job.dispatch.#", "governance.command.smoke", false],
        ["rpc.*", "rpc.smoke", true],
        ["rpc.*", "rpc", false],
        ["rpc.*", "rpc.a.b", false],
        ["a.#.z", "a.b.c.z", true],
    ])("%s matches %j: %s", (pattern, key, want) => {
        expect(topicMatches(pattern, key)).toBe(want);
    });

    it("derives a key each binding pattern matches", () => {
        for (const pattern of ["#", "governance.command.#", "rpc.*", "a.*.#"]) {
            expect(topicMatches(pattern, routingKeyFor(pattern))).toBe(true);
        }
    });
});

describe("control-plane probes of the local stack", () => {
    const probes = controlProbes(planStack("local").rabbitmq, CONTROL_EXCHANGE);

    it("publish to every bound queue with a key that reaches it, and the audit mirror with it", () => {
        expect(probes.filter((p) => p.kind === "route").map((p) => `${p.routingKey} -> ${p.queue} [${p.reaches.join(",")}]`)).toEqual([
            "governance.command.smoke -> governance.commands [control.audit,governance.commands]",
            "job.dispatch.smoke -> jobs.dispatch [control.audit,jobs.dispatch]",
            "rpc.smoke -> rpc.requests [control.audit,rpc.requests]",
            "smoke -> control.audit [control.audit]",
        ]);
    });

    it("reject a message in every queue with a dead-letter exchange and expect it in the dead-letter queue", () => {
        expect(probes.filter((p) => p.kind === "dead-letter").map((p) => `${p.rejectIn} -> ${p.queue}`)).toEqual([
            `governance.commands -> ${DEAD_LETTER_QUEUE}`,
            `jobs.dispatch -> ${DEAD_LETTER_QUEUE}`,
            `rpc.requests -> ${DEAD_LETTER_QUEUE}`,
            `control.audit -> ${DEAD_LETTER_QUEUE}`,
        ]);
    });
});

describe("endpoints the routes need", () => {
    it("are all in the outputs of the phase", () => {
        expect(missingEndpoints(["kafka", "kop", "pulsar"], localStackOutputs({ phase: 1 }), 1)).toEqual([]);
    });

    it("are named when the outputs lack them", () => {
        expect(missingEndpoints(["kafka", "kop"], localStackOutputs({ phase: 0 }), 0)).toEqual([
            { key: "outputs endpoints.kopBootstrap", value: undefined, allowed: "set: the phase-0 routes use KoP" },
        ]);
    });
});
