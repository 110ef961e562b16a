/**
 * How the transition tools open a Kafka-protocol listener (scripts/transition.ts kafkaClientOptions): as the plan
 * declares it. They opened KoP as plaintext without a login while dev's and prod's KoP listen SASL_SSL (issue 25); the
 * rule: TLS wherever the protocol says SSL (trusting the CA given), a SASL login wherever it says SASL_.
 */
import { describe, expect, it } from "vitest";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { brokersFor, kafkaClientOptions, LOGIN_ENV } from "../../scripts/transition";
import type { StackOutputs } from "../../scripts/smoke/outputs";
import { validateConfig } from "../../topology";
import { localStackOutputs } from "../smoke/fixture/deploy";
import { planStack, rawStack } from "../support/stacks";

const login = { mechanism: "plain", username: "public/default", password: "token:jwt" };

describe("the transition tools' Kafka-protocol clients", () => {
    it("follow the listener's protocol: TLS with the CA, SASL with the login", () => {
        expect(kafkaClientOptions("SASL_SSL", login, "CA PEM")).toEqual({ ssl: { ca: "CA PEM" }, sasl: login });
        expect(kafkaClientOptions("SASL_SSL", login, undefined)).toEqual({ ssl: true, sasl: login });
        expect(kafkaClientOptions("SASL_PLAINTEXT", login, "CA PEM")).toEqual({ sasl: login });
        expect(kafkaClientOptions("SSL", login, "CA PEM")).toEqual({ ssl: { ca: "CA PEM" } });
        expect(kafkaClientOptions("PLAINTEXT", login, "CA PEM")).toEqual({});
    });

    it("on every stack, KoP gets TLS and a login wherever its planned listener has them", () => {
        for (const stack of ["local", "dev", "prod"] as const) {
            const p = planStack(stack, { phase: 1 }).pulsar;
            const protocol = p?.endpoints.kafkaListenerProtocol ?? "PLAINTEXT";
            const options = kafkaClientOptions(protocol, login, "CA PEM");
            expect("ssl" in options, `${stack} KoP ${protocol}`).toBe(protocol.endsWith("SSL"));
            expect("sasl" in options, `${stack} KoP ${protocol}`).toBe(protocol.startsWith("SASL_"));
        }
    });

    it("present MP_PULSAR_TOKEN, the smoke's variable, to the admin API of a stack with token auth", async () => {
        const seen: (string | undefined)[] = [];
        const server = createServer((req, res) => {
            seen.push(req.headers.authorization);
            res.writeHead(404).end();
        });
        await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
        const adminUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        try {
            const config = validateConfig(rawStack("dev", { phase: 2 }));
            const outputs = { ...localStackOutputs({ phase: 2 }), endpoints: { pulsarAdminUrl: adminUrl } } as StackOutputs;
            const { brokers, close } = await brokersFor(config, outputs, { stack: "dev", timeoutMs: 2000 }, { [LOGIN_ENV.pulsarToken]: "the-token" });
            expect(await brokers.pulsar?.backlog("persistent://public/default/user-requests", "mcp-matcher")).toBeUndefined();
            await close();
        } finally {
            server.close();
        }
        expect(LOGIN_ENV.pulsarToken).toBe("MP_PULSAR_TOKEN");
        expect(seen).toEqual(["Bearer the-token"]);
    });
});
