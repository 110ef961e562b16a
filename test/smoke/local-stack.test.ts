/**
 * `npm run smoke` against the deployed local stack: Kafka on kfake (built from test/kfake), a real Apache Pulsar 4.0
 * for the native rows (scripts/pulsar.ts; the smoke's own default client, the WebSocket one where pulsar-client is not
 * installed), KoP stood in for by a second kfake (no handler for Apache Pulsar 4.0 is served here), the control
 * plane on the machine's real RabbitMQ (started by scripts/engine/rabbitmq.sh if needed).
 *
 * "Deployed" by test/smoke/fixture/deploy.ts from the same plan the program realises, because the real engine cannot
 * deploy the local stack here (issue 5): the smoke tool under test is the real one, the deployment under it a fixture.
 * Each case gets its own kfake clusters and RabbitMQ vhost, removed afterwards. The Pulsar broker is this file's own,
 * not the test world's shared one: the local stack's topics are the plan's names (public/default/user-requests...),
 * which test/pulsar/connectors.test.ts reads whole.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connect } from "amqplib";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../scripts/smoke";
import { journalDir, SmokeJournal } from "../../scripts/smoke/journal";
import { RUN_HEADER } from "../../scripts/smoke/messages";
import { exitCode, PULSAR_CLIENT_MISSING, type ProbeResult } from "../../scripts/smoke/report";
import { runSmoke, smokeStack } from "../../scripts/smoke/run";
import type { PulsarLoad } from "../../scripts/smoke/pulsar";
import type { PhaseId, Topology } from "../../topology";
import { plannedBrokerConfig, startPulsar, type Pulsar } from "../../scripts/pulsar";
import { planStack } from "../support/stacks";
import { deployLocalStack, localStackOutputs, type LocalDeployment } from "./fixture/deploy";
import { freePort, kfakeBinary } from "./fixture/kfake";
import { ensureRabbitMQ, managementOk, RABBIT } from "../support/rabbitmq";

const ROOT = resolve(__dirname, "../..");
const ENV = { MP_RABBITMQ_PASSWORD: RABBIT.password };
const MESSAGES = 5;
const TIMEOUT_MS = 5000;

let kfake: string;
let pulsar: Pulsar;
/** The smoke journal of this file's runs (scripts/smoke/journal.ts), away from the user's cache. */
const journalRoot = mkdtempSync(join(tmpdir(), "smoke-journal-"));

beforeAll(async () => {
    process.env.MP_SMOKE_JOURNAL = journalRoot;
    // A clean checkout builds kfake here (minutes without a Go module cache, seconds with one).
    kfake = kfakeBinary();
    await ensureRabbitMQ();
    pulsar = await startPulsar({ functions: false, brokerConfig: plannedBrokerConfig((phase) => planStack("local", { phase })).applied });
}, 600_000);

afterAll(async () => {
    await pulsar?.stop();
    delete process.env.MP_SMOKE_JOURNAL;
    rmSync(journalRoot, { recursive: true, force: true });
});

/** The pid of a process that has exited: what a run killed by Ctrl-C leaves in its journal entry. */
function deadPid(): number {
    const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    return Number(child.stdout);
}

async function withDeployment<T>(phase: PhaseId, fn: (d: LocalDeployment) => Promise<T>): Promise<T> {
    const d = await deployLocalStack(kfake, phase, pulsar);
    try {
        return await fn(d);
    } finally {
        await d.teardown();
    }
}

const smoke = (d: LocalDeployment, timeoutMs = TIMEOUT_MS, messages = MESSAGES) =>
    smokeStack({ stack: "local", outputsFile: d.outputsFile, configFile: d.configFile, messages, timeoutMs, env: ENV });

/** runSmoke on the deployment with another stack's piece planted in its topology (prod's archive, prod's edge pairing). */
const smokeWith = (d: LocalDeployment, topology: Partial<Topology>, options: Partial<Parameters<typeof runSmoke>[0]>) =>
    runSmoke({ stack: "local", topology: { ...d.topology, ...topology }, outputs: d.outputs, rabbitmqPassword: RABBIT.password, messages: 1, timeoutMs: TIMEOUT_MS, ...options });

const kafkaProtocol = (r: ProbeResult) => r.protocol === "kafka";
const control = (r: ProbeResult) => r.protocol === "amqp";
const nativePulsar = (r: ProbeResult) => r.protocol.includes("pulsar");
const rowsOf = (results: ProbeResult[], pick: (r: ProbeResult) => boolean) => results.filter(pick);
const describeRow = (r: ProbeResult) => `${r.route} [${r.path}] ${r.status}${r.reason ? `: ${r.reason}` : ""}`;

/** Every row picked passed, with all its timed messages measured. */
function expectPassed(rows: ProbeResult[]): void {
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
        expect(describeRow(r)).toBe(`${r.route} [${r.path}] passed`);
        expect(r.latenciesMs).toHaveLength(MESSAGES);
    }
}


/** Messages left in each of the deployment's queues. */
async function queueDepths(d: LocalDeployment): Promise<Record<string, number>> {
    const conn = await connect({ hostname: "127.0.0.1", port: 5672, username: RABBIT.username, password: RABBIT.password, vhost: d.vhost });
    try {
        const ch = await conn.createChannel();
        const depths: Record<string, number> = {};
        for (const q of d.topology.rabbitmq.queues) {
            depths[q.name] = (await ch.checkQueue(q.name)).messageCount;
        }
        return depths;
    } finally {
        await conn.close();
    }
}

function kafkaAdmin(bootstrap: string) {
    return new Kafka({ clientId: "smoke-test", brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
}

/** `npm run smoke` as a user runs it. */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
    return new Promise((ok, fail) => {
        const child = spawn("npm", ["run", "--silent", "smoke", "--", ...args], { cwd: ROOT, env: { ...process.env, ...ENV } });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.once("error", fail);
        child.once("close", (code) => ok({ code, out, err }));
    });
}

describe("npm run smoke on the deployed local stack", () => {
    it("phase 0 (kafka): every Kafka route and every control-plane queue passes, nothing is left behind, exit 0", async () => {
        await withDeployment(0, async (d) => {
            const report = await smoke(d);
            expect(report.phase).toBe(0);
            expectPassed(rowsOf(report.results, kafkaProtocol));
            expect(rowsOf(report.results, kafkaProtocol).map((r) => r.route)).toEqual(d.topology.routes.map((r) => r.stream));
            expectPassed(rowsOf(report.results, control));
            expect(rowsOf(report.results, nativePulsar)).toEqual([]);
            expect(exitCode(report.results, false)).toBe(0);

            // A rejected command came out of control.dead-letter, from the queue that rejected it.
            const deadLetters = report.results.filter((r) => r.target === "control.dead-letter");
            // control.audit is the audit bridge's: the smoke test does not take its messages (the bridge would lose them to
            // it) and checks the hop at its far end instead, on audit-trail.
            expect(deadLetters.map((r) => r.route)).toEqual([
                "governance.commands -> control.dead-letter",
                "jobs.dispatch -> control.dead-letter",
                "rpc.requests -> control.dead-letter",
            ]);
            // Seed 004's control -> audit hop, through the running bridge into Kafka's audit-trail.
            const audit = report.results.filter((r) => r.path === "audit bridge (control.audit)");
            expect(audit.map((r) => `${r.route} -> ${r.broker} ${r.target}: ${r.status} ${r.received}/${r.sent}`)).toEqual([
                `control -> audit-trail -> rabbitmq->kafka audit-trail: passed ${MESSAGES + 1}/${MESSAGES + 1}`,
            ]);
            // Every copy (the audit mirror, the dead letters) was consumed; the consumer group was deleted.
            expect(Object.values(await queueDepths(d))).toEqual(d.topology.rabbitmq.queues.map(() => 0));
            const admin = kafkaAdmin(d.kafka.bootstrap);
            await admin.connect();
            expect((await admin.listGroups()).groups.filter((g) => g.groupId.includes(report.runId))).toEqual([]);
            await admin.disconnect();
        });
    }, 60_000);

    it("phase 1 (bridge), through npm run smoke: Kafka and KoP routes pass, and the Pulsar shadow copies natively, exit 0", async () => {
        await withDeployment(1, async (d) => {
            const args = ["--stack", "local", "--outputs", d.outputsFile, "--config-file", d.configFile, "--messages", String(MESSAGES)];
            const strict = await cli(args);
            expect(strict.out).toMatch(/^user-requests\s+direct\s+kafka\s+pulsar\s+user-requests\s+[\d.]+ ms\s+[\d.]+ ms\s+(within|over by [\d.]+ ms)\s+passed 5\/5$/m);
            expect(strict.out).toMatch(/^job-metrics\s+shadow copy\s+pulsar\s+pulsar\s+persistent:\/\/public\/metrics\/job-performance-metrics\s+[\d.]+ ms\s+[\d.]+ ms\s+(within|over by [\d.]+ ms)\s+passed 5\/5$/m);
            expect(strict.code, strict.out).toBe(0);

            // The same command in-process (a second npm start-up would only cost time).
            let out = "";
            const write = vi.spyOn(process.stdout, "write").mockImplementation((x) => ((out += String(x)), true));
            const code = await main([...args, "--format", "json"], { ...process.env, ...ENV }).finally(() => write.mockRestore());
            expect(code).toBe(0);
            const report = JSON.parse(out) as { phase: number; exitCode: number; results: ProbeResult[] };
            expect(report).toMatchObject({ phase: 1, exitCode: 0 });
            const kop = report.results.filter((r) => kafkaProtocol(r) && r.broker === "pulsar");
            expect(kop.map((r) => r.target)).toEqual(["user-requests", "tool-signals", "orchestrator-plans", "orchestrator-results", "orchestrator-retry", "orchestrator-dead-letter"]);
            expectPassed(report.results.filter(kafkaProtocol));
            expectPassed(report.results.filter(control));
            expect(report.results.filter(nativePulsar).map((r) => r.target)).toEqual([
                "persistent://public/metrics/job-performance-metrics",
                "persistent://public/cosmic-ai/job-completed",
                "persistent://public/metrics/broker-metrics",
                "persistent://public/observatories/telescope-telemetry",
            ]);
            expectPassed(report.results.filter(nativePulsar));
        });
    }, 90_000);

    it.each([2, 3] as const)("phase %i: every route passes, the native ones on Apache Pulsar and the sinks' into Kafka, exit 0", async (phase) => {
        await withDeployment(phase, async (d) => {
            const report = await smoke(d);
            expectPassed(rowsOf(report.results, kafkaProtocol));
            expect(rowsOf(report.results, kafkaProtocol).map((r) => r.route)).toEqual(["job-lifecycle", "audit-trail"]);
            expectPassed(rowsOf(report.results, control));
            expectPassed(rowsOf(report.results, nativePulsar));
            expect(rowsOf(report.results, (r) => r.path === "via sink").map((r) => r.route)).toEqual(["job-metrics", "telescope-telemetry"]);
            expect(exitCode(report.results, false)).toBe(0);

            // The rule: a probe passes on its message arriving where it reads it. With the sinks stopped, the messages
            // still reach Pulsar's readers of the same topic (job-metrics has one), and the via-sink rows fail all the
            // same, naming the Kafka topic they wait on. (A run passed job-metrics via the Pulsar consumer's arrival.)
            await d.stopSinks();
            const stopped = await smoke(d, 1500, 1);
            expect(rowsOf(stopped.results, (r) => r.path === "via sink").map(describeRow)).toEqual([
                "job-metrics [via sink] failed: warm-up message was not consumed from Kafka job-metrics within 1500 ms",
                "telescope-telemetry [via sink] failed: warm-up message was not consumed from Kafka telescope-telemetry within 1500 ms",
            ]);
            expect(rowsOf(stopped.results, (r) => nativePulsar(r) && r.path !== "via sink").every((r) => r.status === "passed")).toBe(true);
        });
    }, 90_000);
});

describe("seed 004's control -> audit hop through the running audit bridge", () => {
    it("phase 3 with audit-trail dual-published (auditParity not yet approved): the event arrives on Kafka and on Pulsar (KoP)", async () => {
        await withDeployment(3, async (d) => {
            expect(d.topology.auditBridge?.destinations.map((x) => x.name)).toEqual(["kafka", "pulsar"]);
            const report = await smoke(d);
            const audit = report.results.filter((r) => r.path === "audit bridge (control.audit)");
            expect(audit.map((r) => `${r.broker} ${r.target}: ${r.status} ${r.received}/${r.sent}`)).toEqual([
                `rabbitmq->kafka audit-trail: passed ${MESSAGES + 1}/${MESSAGES + 1}`,
                `rabbitmq->pulsar persistent://public/cosmic-ai/audit-trail: passed ${MESSAGES + 1}/${MESSAGES + 1}`,
            ]);
            // Nothing waits in the bridge's queue afterwards: everything it took, it delivered.
            expect((await queueDepths(d))["control.audit"]).toBe(0);
        });
    }, 60_000);
});

describe("seed 004's Kafka -> archive hop, followed by the archiver's committed offset", () => {
    // The local stack has no object store, so no archive: prod's archive plan, pointed at this deployment's Kafka. No
    // Connect worker runs here; a kafkajs group under the archiver's group id stands in for it, committing after it
    // consumed (as a Connect sink commits after its flush wrote the file).
    const archive = planStack("prod", { phase: 3 }).archive!;

    it("phase 0: the last smoke message of audit-trail and of telescope-telemetry is past the archiver's commit; with no archiver running, the rows fail naming the group", async () => {
        await withDeployment(0, async (d) => {
            const run = (archiveTimeoutMs: number) => smokeWith(d, { archive }, { messages: 2, archiveTimeoutMs });
            const rows = (results: ProbeResult[]) => results.filter((r) => r.path === `archiver (${archive.consumerGroup})`);

            const idle = rows((await run(1500)).results);
            expect(idle.map((r) => r.route)).toEqual(["audit-trail -> archive", "telescope-telemetry -> archive"]);
            for (const r of idle) {
                expect(r.status).toBe("failed");
                expect(r.reason).toMatch(/^the archiver has not committed past (audit-trail|telescope-telemetry)\[\d+\] offset \d+ within 1500 ms \(no group connect-audit-archiver on the cluster\)/);
            }

            const kafka = new Kafka({ clientId: "archiver-stand-in", brokers: [d.kafka.bootstrap], logLevel: logLevel.NOTHING });
            const archiver = kafka.consumer({ groupId: archive.consumerGroup, maxWaitTimeInMs: 200 });
            await archiver.connect();
            await archiver.subscribe({ topics: archive.topics, fromBeginning: true });
            await archiver.run({ autoCommitInterval: 200, eachMessage: async () => undefined });
            try {
                const followed = rows((await run(30_000)).results);
                expect(followed.map((r) => `${r.route}: ${r.status}`)).toEqual(["audit-trail -> archive: passed", "telescope-telemetry -> archive: passed"]);
                for (const r of followed) {
                    expect(r.detail).toMatch(/^connect-audit-archiver committed past (audit-trail|telescope-telemetry)\[\d+\] offset \d+ after [\d.]+ s$/);
                }
            } finally {
                await archiver.disconnect();
            }
        });
    }, 120_000);
});

describe("seed 004's edge -> central hop in a whole run", () => {
    // The local stack accepts no edge site and no Pulsar runs here: prod's pairing, on this deployment. What a run
    // does with the hop when it cannot be exercised; scripts/smoke/edge.ts's own tests exercise it against a stand-in.
    const edgePairing = planStack("prod", { phase: 2 }).edgePairing!;

    it("phase 0: one row per accepted site, not run without pulsar-client, failed naming the missing output with it", async () => {
        await withDeployment(0, async (d) => {
            const run = (pulsar: PulsarLoad) => smokeWith(d, { edgePairing }, { pulsar });
            const edgeRows = (results: ProbeResult[]) => results.filter((r) => r.path === "geo-replication").map(describeRow);

            const missing = await run({ missing: "Cannot find module 'pulsar-client'" });
            expect(edgeRows(missing.results)).toEqual([`edge-paranal -> central [geo-replication] not run: ${PULSAR_CLIENT_MISSING}`]);
            expect(exitCode(missing.results, true)).toBe(0);

            const loaded = await run({ module: { Client: class {}, AuthenticationToken: class {} } as never });
            expect(edgeRows(loaded.results)).toEqual([
                "edge-paranal -> central [geo-replication] failed: central's outputs have no edgeReplication (it accepts sites in its config, but has not been updated since): run `pulumi up` on local",
            ]);
            expect(exitCode(loaded.results, true)).toBe(1);
        });
    }, 120_000);
});

describe("npm run smoke when the deployment is broken", () => {
    it("reports a topic or queue deleted behind its back as failed, naming it and where, without waiting out a timeout", async () => {
        await withDeployment(1, async (d) => {
            for (const [bootstrap, topic] of [
                [d.kafka.bootstrap, "audit-trail"],
                [d.kop.bootstrap, "tool-signals"],
            ] as const) {
                const admin = kafkaAdmin(bootstrap);
                await admin.connect();
                await admin.deleteTopics({ topics: [topic] });
                await admin.disconnect();
            }
            const conn = await connect({ hostname: "127.0.0.1", port: 5672, username: RABBIT.username, password: RABBIT.password, vhost: d.vhost });
            await (await conn.createChannel()).deleteQueue("jobs.dispatch");
            await conn.close();

            const started = Date.now();
            const report = await smoke(d);
            expect(Date.now() - started).toBeLessThan(TIMEOUT_MS);
            const failed = report.results.filter((r) => r.status === "failed").map(describeRow);
            expect(failed).toEqual([
                `tool-signals [direct] failed: topic tool-signals does not exist on KoP at ${d.kop.bootstrap}`,
                `audit-trail [direct] failed: topic audit-trail does not exist on Kafka at ${d.kafka.bootstrap}`,
                `control -> audit-trail [audit bridge (control.audit)] failed: topic audit-trail does not exist on Kafka at ${d.kafka.bootstrap}`,
                `control -> jobs.dispatch [routing key job.dispatch.smoke] failed: queue jobs.dispatch does not exist in amqp://127.0.0.1:5672 vhost ${d.vhost}`,
                `jobs.dispatch -> control.dead-letter [rejected (nack, requeue=false)] failed: queue jobs.dispatch does not exist in amqp://127.0.0.1:5672 vhost ${d.vhost}`,
            ]);
            expectPassed(report.results.filter((r) => (kafkaProtocol(r) || control(r)) && r.status !== "failed"));
            expect(exitCode(report.results, true)).toBe(1);
        });
    }, 60_000);

    it("fails every route on an endpoint it cannot use, saying why, within the timeout", async () => {
        const outputs = localStackOutputs({ phase: 0 });
        outputs.endpoints.kafkaBootstrap = `127.0.0.1:${await freePort()}`;
        const started = Date.now();
        const report = await runSmoke({ stack: "local", topology: planStack("local"), outputs, rabbitmqPassword: "not-the-password", messages: 1, timeoutMs: 2000 });
        expect(Date.now() - started).toBeLessThan(2000);
        const reasons = [...new Set(report.results.map((r) => `${r.status}: ${r.reason}`))];
        expect(reasons).toHaveLength(2);
        expect(reasons[0]).toBe(`failed: cannot use Kafka at ${outputs.endpoints.kafkaBootstrap}: Connection error: connect ECONNREFUSED ${outputs.endpoints.kafkaBootstrap}`);
        expect(reasons[1]).toMatch(/^failed: cannot connect to amqp:\/\/127\.0\.0\.1:5672 vhost control as guest: .*ACCESS_REFUSED/);
    }, 30_000);

    it("names a missing vhost where the broker refused to open it (amqplib reports only the close frame)", async () => {
        await withDeployment(0, async (d) => {
            await managementOk("DELETE", `/api/vhosts/${encodeURIComponent(d.vhost)}`);
            const report = await smoke(d, 2000, 1);
            const reasons = [...new Set(report.results.filter(control).map((r) => `${r.status}: ${r.reason}`))];
            expect(reasons).toEqual([
                `failed: cannot connect to amqp://127.0.0.1:5672 vhost ${d.vhost} as ${d.topology.rabbitmq.admin.name}: the broker closed the connection opening vhost ${d.vhost}: it does not exist, or ${d.topology.rabbitmq.admin.name} has no permissions on it (rabbitmqctl list_permissions -p ${d.vhost}; has the stack been deployed?)`,
            ]);
        });
    }, 60_000);

    it("a rejected command reaches control.dead-letter only through the dead-letter policy", async () => {
        await withDeployment(0, async (d) => {
            await managementOk("DELETE", `/api/policies/${encodeURIComponent(d.vhost)}/control-dead-letter`);
            const report = await smoke(d, 500, 1);
            const deadLetters = report.results.filter((r) => r.target === "control.dead-letter");
            expect(deadLetters).toHaveLength(3);
            for (const r of deadLetters) {
                expect(describeRow(r)).toBe(`${r.route} [${r.path}] failed: warm-up message was not consumed from control.dead-letter within 500 ms`);
            }
            expect(report.results.filter((r) => control(r) && r.target !== "control.dead-letter").every((r) => r.status === "passed")).toBe(true);
        });
    }, 60_000);

    it("leaves a queue that holds messages it did not publish alone, and says so", async () => {
        await withDeployment(0, async (d) => {
            const conn = await connect({ hostname: "127.0.0.1", port: 5672, username: RABBIT.username, password: RABBIT.password, vhost: d.vhost });
            const ch = await conn.createConfirmChannel();
            ch.sendToQueue("jobs.dispatch", Buffer.from('{"job":"real work"}'), { persistent: true });
            await ch.waitForConfirms();
            await conn.close();

            const report = await smoke(d);
            const busy = report.results.filter((r) => r.status !== "passed").map(describeRow);
            const reason = "queue jobs.dispatch holds 1 message(s) this run did not publish; the smoke test takes only its own, so it left it alone";
            expect(busy).toEqual([
                `control -> jobs.dispatch [routing key job.dispatch.smoke] not run: ${reason}`,
                `jobs.dispatch -> control.dead-letter [rejected (nack, requeue=false)] not run: ${reason}`,
            ]);
            expect(exitCode(report.results, true)).toBe(1);
            expect((await queueDepths(d))["jobs.dispatch"]).toBe(1);
        });
    }, 60_000);

    it("after an interrupted run (Ctrl-C), takes back the messages and the consumer group it left instead of refusing", async () => {
        await withDeployment(0, async (d) => {
            // What a run killed mid-way leaves: its journal entry (with a pid that is gone), tagged commands in a
            // queue, and an idle consumer group named after it.
            const old = "smoke-zz0000-abcdef";
            const dir = journalDir("local");
            new SmokeJournal(dir).begin(old);
            const entry = join(dir, `${old}.json`);
            const json = JSON.parse(readFileSync(entry, "utf8"));
            writeFileSync(entry, JSON.stringify({ ...json, pid: deadPid() }));
            const conn = await connect({ hostname: "127.0.0.1", port: 5672, username: RABBIT.username, password: RABBIT.password, vhost: d.vhost });
            const ch = await conn.createConfirmChannel();
            for (const n of [1, 2]) {
                ch.sendToQueue("jobs.dispatch", Buffer.from(`{"smokeTest":true,"seq":${n}}`), { persistent: true, headers: { [RUN_HEADER]: old } });
            }
            await ch.waitForConfirms();
            await conn.close();
            const kafka = new Kafka({ clientId: "interrupted", brokers: [d.kafka.bootstrap], logLevel: logLevel.NOTHING });
            const consumer = kafka.consumer({ groupId: `${old}-kafka` });
            await consumer.connect();
            await consumer.subscribe({ topics: ["audit-trail"] });
            await consumer.run({ eachMessage: async () => undefined });
            await consumer.disconnect();

            const report = await smoke(d);
            expectPassed(rowsOf(report.results, control));
            expectPassed(rowsOf(report.results, kafkaProtocol));
            expect(report.notes).toContain(`removed 2 message(s) an interrupted smoke run (${old}) left in jobs.dispatch`);
            expect(report.notes).toContain(`deleted 1 consumer group(s) interrupted smoke runs left on Kafka: ${old}-kafka`);
            expect((await queueDepths(d))["jobs.dispatch"]).toBe(0);
            const admin = kafkaAdmin(d.kafka.bootstrap);
            await admin.connect();
            expect((await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith("smoke-"))).toEqual([]);
            await admin.disconnect();
            expect(existsSync(entry)).toBe(false);
        });
    }, 60_000);
});
