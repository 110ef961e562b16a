/**
 * `npm run handover` and `npm run drain-check` against real Kafka-protocol brokers: kfake for Kafka and a second kfake
 * standing in for KoP (the local stack deployed at phase 1 by the smoke fixture), on the 0 -> 1 transition whose
 * cursors are all Kafka-protocol groups. The Pulsar subscriptions (phases 2 and 3) are checked against Apache Pulsar
 * itself, on partitioned topics: test/pulsar/transition.test.ts.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { plan, validateConfig, rawConfigFromStackFile } from "../../topology";
import { main, type Command } from "../../scripts/transition";
import { deployLocalStack, type LocalDeployment } from "../smoke/fixture/deploy";
import { kfakeBinary } from "../smoke/fixture/kfake";
import { readFileSync } from "node:fs";

async function run(command: Command, args: string[]) {
    let out = "";
    let err = "";
    const o = vi.spyOn(process.stdout, "write").mockImplementation((x) => ((out += String(x)), true));
    const e = vi.spyOn(process.stderr, "write").mockImplementation((x) => ((err += String(x)), true));
    try {
        return { code: await main(command, args, { sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))) }), out, err };
    } finally {
        o.mockRestore();
        e.mockRestore();
    }
}

describe("handover and drain-check on the 0 -> 1 transition, against kfake (Kafka) and kfake (KoP stand-in)", () => {
    let d: LocalDeployment;
    let kafka: Kafka;
    const outputsAt = (stage: "prepare" | "switch") => {
        const file = join(d.outputsFile, `../outputs-${stage}.json`);
        writeFileSync(file, JSON.stringify({ ...d.outputs, transition: { stage, from: { phase: 0, gates: d.outputs.gates } } }));
        return file;
    };
    const args = (stage: "prepare" | "switch", ...more: string[]) => ["--stack", "local", "--config-file", d.configFile, "--outputs", outputsAt(stage), "--timeout-ms", "3000", ...more];

    beforeAll(async () => {
        d = await deployLocalStack(kfakeBinary(), 1);
        kafka = new Kafka({ clientId: "transition-test", brokers: [d.kafka.bootstrap], logLevel: logLevel.NOTHING });
        const admin = kafka.admin();
        await admin.connect();
        // The phase-0 Kafka topics the services leave (the fixture created the phase-1 plan's).
        const at0 = plan(validateConfig(rawConfigFromStackFile(readFileSync(d.configFile, "utf8"), { phase: 0 })));
        await admin.createTopics({ waitForLeaders: true, topics: (at0.kafka?.topics ?? []).map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1 })) });
        // A backlog on user-requests: 10 messages, of which mcp-matcher has committed the first 4 (one partition).
        const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
        await producer.connect();
        await producer.send({ topic: "user-requests", messages: Array.from({ length: 10 }, (_, i) => ({ key: "k", value: `m${i}`, partition: 0 })) });
        await producer.disconnect();
        await admin.setOffsets({ groupId: "mcp-matcher", topic: "user-requests", partitions: [{ partition: 0, offset: "4" }] });
        await admin.disconnect();
    }, 60_000);
    afterAll(async () => d?.teardown());

    it("refuses to run after any other stage, naming the outputs' stage and the update that is due", async () => {
        const r = await run("handover", args("switch"));
        expect(r.code).toBe(2);
        expect(r.err).toContain("outputs transition.stage");
        expect(r.err).toContain('"switch"');
        expect(r.err).toContain('"prepare": npm run handover runs after the transition\'s prepare update');
        const settled = join(d.outputsFile);
        const s = await run("drain-check", ["--stack", "local", "--config-file", d.configFile, "--outputs", settled]);
        expect(s.code).toBe(2);
        expect(s.err).toContain("the stack is settled");
    });

    it("transition-step runs the step that is due: none when settled, the handover before a switch, the drain check before settling", async () => {
        const settled = await run("transition-step", ["--stack", "local", "--config-file", d.configFile, "--outputs", d.outputsFile]);
        expect(settled.code).toBe(0);
        expect(settled.out).toContain("transition-step: none due (the stack is settled");
        const configAt = (stage: string | undefined) => {
            const file = join(d.outputsFile, `../Pulumi.local.${stage ?? "settle"}.yaml`);
            const text = readFileSync(d.configFile, "utf8");
            writeFileSync(file, stage ? text.replace(/^config:\n/m, `config:\n  messaging-platform:transitionStage: ${stage}\n`) : text);
            return file;
        };
        const prepared = await run("transition-step", ["--stack", "local", "--config-file", configAt("prepare"), "--outputs", outputsAt("prepare")]);
        expect(prepared.out).toContain("none due (the stack is in the prepare stage; the update's transitionStage is prepare)");
        const drain = await run("transition-step", ["--stack", "local", "--config-file", configAt(undefined), "--outputs", outputsAt("switch"), "--max-wait-s", "1", "--interval-ms", "10", "--format", "json"]);
        expect(JSON.parse(drain.out)).toMatchObject({ command: "drain-check" });
    }, 60_000);

    it("a stack nothing was deployed to (its outputs are {}): transition-step has none due, the other tools say to deploy it first, each under its own name", async () => {
        const empty = join(d.outputsFile, "../outputs-empty.json");
        writeFileSync(empty, "{}\n");
        const first = await run("transition-step", ["--stack", "local", "--config-file", d.configFile, "--outputs", empty]);
        expect(first).toMatchObject({ code: 0, err: "" });
        expect(first.out).toBe("transition-step: none due (stack local has no outputs: nothing is deployed yet, and a first deployment is one update)\n");
        for (const command of ["handover", "drain-check"] as const) {
            const r = await run(command, ["--stack", "local", "--config-file", d.configFile, "--outputs", empty]);
            expect(r.code).toBe(2);
            // One line, under the command the user ran (shared code once said "npm run smoke:" here), no schema dump.
            expect(r.err).toBe(`npm run ${command}: --stack = "local": a deployed stack: --outputs ${empty} holds no outputs, so nothing is deployed to local yet; deploy it first (pulumi up --stack local)\n`);
        }
        const unreadable = await run("handover", ["--stack", "local", "--config-file", d.configFile, "--outputs", "/nonexistent/outputs.json"]);
        expect(unreadable.err).toMatch(/^npm run handover: --outputs = "\/nonexistent\/outputs.json": a readable file/);
    });

    it("refuses a bad flag value, naming the flag", async () => {
        const r = await run("drain-check", [...args("switch"), "--max-wait-s", "soon"]);
        expect(r.code).toBe(2);
        expect(r.err).toContain("--max-wait-s");
        expect(r.err).toContain("soon");
    });

    it("handover: the mirror's group starts at the first message mcp-matcher has not committed; its new KoP group at the KoP end", async () => {
        const r = await run("handover", args("prepare"));
        expect(r.err).toBe("");
        expect(r.code).toBe(0);
        expect(r.out).toMatch(/ok {4}user-requests-mirror-to-pulsar@kafka:kafka:user-requests {2}Kafka group offsets on user-requests set to 0:4 1:0 2:0 3:0 4:0 5:0 \(the first unread offsets of mcp-matcher@kafka:kafka:user-requests\)/);
        expect(r.out).toMatch(/ok {4}mcp-matcher@kafka:pulsar:persistent:\/\/public\/default\/user-requests {2}KoP group offsets on user-requests set to 0:0 1:0 2:0 3:0 4:0 5:0 \(the end\)/);
        const admin = kafka.admin();
        await admin.connect();
        const [row] = await admin.fetchOffsets({ groupId: "user-requests-mirror-to-pulsar", topics: ["user-requests"] });
        await admin.disconnect();
        expect(row?.partitions.find((p) => p.partition === 0)?.offset).toBe("4");
    }, 90_000);

    it("drain-check: fails while the mirror has not copied the backlog, with its lag; passes once it has", async () => {
        const behind = await run("drain-check", args("switch", "--format", "json"));
        expect(behind.code).toBe(1);
        const report = JSON.parse(behind.out) as { ok: boolean; rows: { cursor: string; ok: boolean; detail: string }[] };
        expect(report.ok).toBe(false);
        expect(report.rows.find((x) => x.cursor === "user-requests-mirror-to-pulsar@kafka:kafka:user-requests")).toMatchObject({ ok: false, detail: "lag 0:6 behind the mark" });
        // What to do next, on stderr (stdout is the JSON report).
        expect(behind.err).toContain("drain-check: not every drain passed. The stack stays in the switch stage, which runs both sides and loses nothing: run `npm run -s drain-check -- --stack local --wait` again");

        // Waiting, it says every poll what is left.
        const waiting = await run("drain-check", args("switch", "--wait", "--max-wait-s", "1", "--interval-ms", "300"));
        expect(waiting.code).toBe(1);
        expect(waiting.err).toMatch(/^drain-check: \d+\/\d+ drained after \d+ s \(waiting up to 1 s\); \S+: .+$/m);

        // The mirror copies what is left (its group commits as pulsar-io's source does once Pulsar has acknowledged).
        const admin = kafka.admin();
        await admin.connect();
        const at0 = plan(validateConfig(rawConfigFromStackFile(readFileSync(d.configFile, "utf8"), { phase: 0 })));
        await Promise.all(
            (at0.kafka?.topics ?? []).map(async (t) => {
                const ends = await admin.fetchTopicOffsets(t.name);
                await admin.setOffsets({ groupId: `${t.name}-mirror-to-pulsar`, topic: t.name, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
            }),
        );
        await admin.disconnect();
        const drained = await run("drain-check", args("switch", "--wait", "--max-wait-s", "5", "--interval-ms", "10"));
        expect(drained.out).not.toContain("FAIL");
        expect(drained.code).toBe(0);
    }, 90_000);
});
