/**
 * RabbitControlPlane: the control-plane vhost on RabbitMQ (seed 004) as the plan describes it: exchanges, quorum
 * queues, bindings (every control event is mirrored to the audit queue), the dead-letter / delivery-limit policy,
 * one user per service with least permissions, and the admin user's grant on the vhost.
 */
import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import type { RabbitQueuePlan, Topology } from "../topology";
import { rabbitmqUserPassword } from "./derived-password";

export interface RabbitControlPlaneArgs {
    /** The planned topology; this component realises `topology.rabbitmq` and reads `topology.protectData`. */
    topology: Topology;
    /**
     * Secret seed the per-service passwords are derived from (HMAC-SHA256 of the seed and the user name), so no
     * service password lives in config. Rotating the seed rotates every service password.
     */
    servicePasswordSeed: pulumi.Input<string>;
}

/**
 * Queue arguments, set once at declaration (RabbitMQ cannot change them later). Only the queue type lives here:
 * dead-lettering and the delivery limit come from the plan's policy, which can change without redeclaring queues.
 * Exported for testing.
 */
export function queueArguments(q: RabbitQueuePlan): Record<string, string> {
    return { "x-queue-type": q.type };
}

/**
 * Policy definitions as @pulumi/rabbitmq takes them (string values); the provider sends integer-looking strings
 * as integers (terraform-provider-rabbitmq `putPolicy`, "special case for integers"). Exported for testing.
 */
export function policyDefinition(definition: Record<string, string | number>): Record<string, string> {
    return Object.fromEntries(Object.entries(definition).map(([k, v]) => [k, String(v)]));
}

/**
 * Requires a `rabbitmq.Provider` in `opts.provider` (or `opts.providers`): stacks disable default providers.
 */
export class RabbitControlPlane extends pulumi.ComponentResource {
    /** The vhost name. */
    public readonly vhost: pulumi.Output<string>;
    /** Each service user's password, by user name (secret). */
    public readonly passwords: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: RabbitControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:rabbitmq:RabbitControlPlane", name, {}, opts);
        const r = args.topology.rabbitmq;
        const parent = { parent: this };
        // Queues hold messages: kept when they leave the program, protected in prod.
        const holdsData = { retainOnDelete: true, protect: args.topology.protectData };

        const vhost = new rabbitmq.VHost(`${name}-vhost`, { name: r.vhost }, { ...parent, ...holdsData });

        // The provider's own user needs permissions on a new vhost before it can declare anything in it.
        const admin = new rabbitmq.Permissions(
            `${name}-admin-permissions`,
            {
                user: r.admin.name,
                vhost: vhost.name,
                permissions: { configure: r.admin.configure, write: r.admin.write, read: r.admin.read },
            },
            parent,
        );
        const inVhost = { ...parent, dependsOn: [admin] };

        const exchanges = new Map(
            r.exchanges.map((e) => [
                e.name,
                new rabbitmq.Exchange(
                    `${name}-exchange-${e.name}`,
                    { name: e.name, vhost: vhost.name, settings: { type: e.type, durable: e.durable, autoDelete: false } },
                    inVhost,
                ),
            ]),
        );

        const queues = new Map(
            r.queues.map((q) => [
                q.name,
                new rabbitmq.Queue(
                    `${name}-queue-${q.name}`,
                    { name: q.name, vhost: vhost.name, settings: { durable: q.durable, autoDelete: false, arguments: queueArguments(q) } },
                    { ...inVhost, ...holdsData },
                ),
            ]),
        );

        for (const b of r.bindings) {
            const exchange = exchanges.get(b.exchange);
            const queue = queues.get(b.queue);
            if (!exchange || !queue) {
                throw new Error(`RabbitControlPlane: binding ${b.exchange} -> ${b.queue} names an exchange or queue the plan does not declare`);
            }
            new rabbitmq.Binding(
                `${name}-binding-${b.exchange}-${b.queue}`,
                { vhost: vhost.name, source: exchange.name, destination: queue.name, destinationType: "queue", routingKey: b.routingKey },
                inVhost,
            );
        }

        for (const p of r.policies) {
            new rabbitmq.Policy(
                `${name}-policy-${p.name}`,
                {
                    name: p.name,
                    vhost: vhost.name,
                    policy: { pattern: p.pattern, priority: p.priority, applyTo: p.applyTo, definition: policyDefinition(p.definition) },
                },
                inVhost,
            );
        }

        const passwords: Record<string, pulumi.Output<string>> = {};
        for (const u of r.users) {
            const password = rabbitmqUserPassword(args.servicePasswordSeed, u.name);
            passwords[u.name] = password;
            const user = new rabbitmq.User(`${name}-user-${u.name}`, { name: u.name, password, tags: [] }, parent);
            new rabbitmq.Permissions(
                `${name}-permissions-${u.name}`,
                { user: user.name, vhost: vhost.name, permissions: { configure: u.configure, write: u.write, read: u.read } },
                inVhost,
            );
        }

        this.vhost = vhost.name;
        this.passwords = passwords;
        this.registerOutputs({ vhost: this.vhost, passwords: this.passwords });
    }
}
