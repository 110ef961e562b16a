/**
 * How the transition tools open a Kafka-protocol listener (scripts/transition.ts kafkaClientOptions): as the plan
 * declares it. They opened KoP as plaintext without a login while dev's and prod's KoP listen SASL_SSL (issue 25); the
 * rule: TLS wherever the protocol says SSL (trusting the CA given), a SASL login wherever it says SASL_.
 */
import { describe, expect, it } from "vitest";
import { kafkaClientOptions, LOGIN_ENV } from "../../scripts/transition";
import { planStack } from "../support/stacks";

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

    it("read their logins under the names npm run smoke reads", () => {
        expect(Object.values(LOGIN_ENV).every((name) => name.startsWith("MP_"))).toBe(true);
        expect(LOGIN_ENV.pulsarToken).toBe("MP_PULSAR_TOKEN");
    });
});
