import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import { beforeAll, describe, expect, it } from "vitest";
import { derivePassword } from "../../components/derived-password";
import type { RabbitControlPlane as RabbitControlPlaneType } from "../../components/rabbit-control-plane";
import type { Topology } from "../../topology";
import { planStack } from "../support/stacks";
import { isSecretValue, plain, plainStrings, settle, startMocks, valueOf, type Capture } from "./capture";

const SEED = "rabbit-test-seed-not-a-real-secret";

describe("RabbitControlPlane (prod, phase 3)", () => {
    let capture: Capture;
    let prod: Topology;
    let local: Topology;
    let component: RabbitControlPlaneType;

    beforeAll(async () => {
        capture = await startMocks("prod");
        const { RabbitControlPlane } = await import("../../components/rabbit-control-plane");
        prod = planStack("prod", { phase: 3 });
        local = planStack("local", { phase: 3 });
        const provider = new rabbitmq.Provider("rabbitmq", {
            endpoint: "https://rabbitmq.example:15671",
            username: prod.rabbitmq.admin.name,
            password: pulumi.secret("admin-password"),
        });
        component = new RabbitControlPlane(
            "control",
            { topology: prod, servicePasswordSeed: pulumi.secret(SEED) },
            { provider, transformations: [capture.transformation] },
        );
        const localComponent = new RabbitControlPlane(
            "local-control",
            { topology: local, servicePasswordSeed: pulumi.secret(SEED) },
            { provider, transformations: [capture.transformation] },
        );
        await settle(component.vhost, localComponent.vhost, ...Object.values(component.passwords));
    });

    const mine = (type: string) => capture.ofType(type).filter((r) => r.name.startsWith("control-"));

    it("declares the plan's vhost", () => {
        expect(plain(capture.one("rabbitmq:index/vHost:VHost", "control-vhost").inputs)).toMatchObject({ name: prod.rabbitmq.vhost });
    });

    it("declares the control topic exchange and the dead-letter fanout exchange, durable", () => {
        const exchanges = mine("rabbitmq:index/exchange:Exchange").map((r) => plain(r.inputs));
        expect(exchanges).toEqual(
            expect.arrayContaining(
                prod.rabbitmq.exchanges.map((e) =>
                    expect.objectContaining({ name: e.name, vhost: "control", settings: expect.objectContaining({ type: e.type, durable: true }) }),
                ),
            ),
        );
        expect(exchanges).toHaveLength(prod.rabbitmq.exchanges.length);
    });

    it("declares every planned queue as a durable quorum queue", () => {
        const queues = mine("rabbitmq:index/queue:Queue").map((r) => plain(r.inputs) as { name: string; settings: Record<string, unknown> });
        expect(queues.map((q) => q.name).sort()).toEqual(prod.rabbitmq.queues.map((q) => q.name).sort());
        for (const q of queues) {
            expect(q.settings).toMatchObject({ durable: true, autoDelete: false, arguments: { "x-queue-type": "quorum" } });
        }
    });

    it("binds exactly the planned exchange -> queue routes (the audit queue sees every control event)", () => {
        const bindings = mine("rabbitmq:index/binding:Binding").map((r) => plain(r.inputs) as Record<string, string>);
        expect(bindings.map((b) => `${b.source} -> ${b.destination} [${b.routingKey}] ${b.destinationType}`).sort()).toEqual(
            prod.rabbitmq.bindings.map((b) => `${b.exchange} -> ${b.queue} [${b.routingKey}] queue`).sort(),
        );
        expect(bindings.some((b) => b.destination === "control.audit" && b.routingKey === "#")).toBe(true);
    });

    it("dead-letters every work queue at least once, with a delivery limit and a bound, through one policy; the dead-letter queue is bounded by its own", () => {
        const policy = plain(capture.one("rabbitmq:index/policy:Policy", "control-policy-control-dead-letter").inputs) as {
            policy: { pattern: string; applyTo: string; priority: number; definition: Record<string, string> };
        };
        expect(policy.policy.applyTo).toBe("queues");
        // At-least-once dead-lettering needs overflow reject-publish (rabbitmq.com/docs/quorum-queues, "Dead Lettering").
        expect(policy.policy.definition).toEqual({
            "dead-letter-exchange": "control.dlx",
            "dead-letter-strategy": "at-least-once",
            "delivery-limit": "5",
            "max-length": "100000",
            overflow: "reject-publish",
        });
        const pattern = new RegExp(policy.policy.pattern);
        for (const q of prod.rabbitmq.queues) {
            expect(pattern.test(q.name), q.name).toBe(q.deadLetterExchange === "control.dlx");
        }
        const bounded = plain(capture.one("rabbitmq:index/policy:Policy", "control-policy-control-dead-letter-bounded").inputs) as typeof policy;
        expect(new RegExp(bounded.policy.pattern).test("control.dead-letter")).toBe(true);
        expect(bounded.policy.definition).toEqual({ "max-length": "100000", overflow: "reject-publish" });
    });

    it("gives each service user exactly the plan's permission regexes on the vhost", () => {
        const perms = mine("rabbitmq:index/permissions:Permissions").map(
            (r) => plain(r.inputs) as { user: string; vhost: string; permissions: Record<string, string> },
        );
        for (const u of prod.rabbitmq.users) {
            const p = perms.find((x) => x.user === u.name);
            expect(p, u.name).toBeDefined();
            expect(p?.vhost).toBe("control");
            expect(p?.permissions).toEqual({ configure: u.configure, write: u.write, read: u.read });
            expect(p?.permissions.configure).toBe("^$");
        }
        expect(mine("rabbitmq:index/user:User").map((r) => plain(r.inputs.name)).sort()).toEqual(prod.rabbitmq.users.map((u) => u.name).sort());
    });

    it("grants the provider's admin user full permissions on the vhost, before anything is declared in it", async () => {
        const admin = plain(capture.one("rabbitmq:index/permissions:Permissions", "control-admin-permissions").inputs);
        expect(admin).toEqual({ user: "platform-admin", vhost: "control", permissions: { configure: ".*", write: ".*", read: ".*" } });
        for (const child of ["control-exchange-control", "control-queue-jobs.dispatch", "control-policy-control-dead-letter", "control-permissions-operator-ui"]) {
            const deps = (capture.options.get(child)?.dependsOn ?? []) as pulumi.Resource[];
            const urns = await Promise.all(deps.map((d) => valueOf(d.urn)));
            expect(urns.some((u) => u.endsWith("::control-admin-permissions")), child).toBe(true);
        }
    });

    it("passes every password as a secret, derived per user from the seed, and never in plain text", async () => {
        const users = mine("rabbitmq:index/user:User");
        expect(users.every((u) => isSecretValue(u.inputs.password))).toBe(true);
        const expected = prod.rabbitmq.users.map((u) => derivePassword(SEED, "rabbitmq", u.name));
        expect(new Set(expected).size).toBe(expected.length);
        for (const u of users) {
            expect(plain(u.inputs.password)).toBe(derivePassword(SEED, "rabbitmq", String(plain(u.inputs.name))));
        }
        const leaked = capture.registrations.flatMap((r) => plainStrings(r.inputs)).filter((s) => expected.includes(s) || s.includes(SEED));
        expect(leaked).toEqual([]);
        for (const o of Object.values(component.passwords)) {
            expect(await pulumi.isSecret(o)).toBe(true);
        }
    });

    it("keeps queues and the vhost when they leave the program, and protects them in prod only", () => {
        for (const q of prod.rabbitmq.queues) {
            expect(capture.options.get(`control-queue-${q.name}`)).toMatchObject({ retainOnDelete: true, protect: true });
            expect(capture.options.get(`local-control-queue-${q.name}`)).toMatchObject({ retainOnDelete: true, protect: false });
        }
        expect(capture.options.get("control-vhost")).toMatchObject({ retainOnDelete: true, protect: true });
    });

    it("parents every child to the component", () => {
        for (const [name, opts] of capture.options) {
            if (name.startsWith("control-")) {
                expect(opts.parent, name).toBeDefined();
            }
        }
    });
});
