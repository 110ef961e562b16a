import * as pulumi from "@pulumi/pulumi";
import { decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ServiceCredentials, jaasConfig } from "../../components/credentials";
import { pulsarSigningKey, pulsarToken } from "../../components/pulsar-token";
import type { KafkaCredential } from "../../components/kafka";
import type { Topology } from "../../topology";
import { plain } from "../program/harness";
import { planStack } from "../support/stacks";
import { ofType, recordResources, settle, type Recorded } from "./support";

let recorded: Recorded[];
beforeAll(async () => {
    recorded = await recordResources();
});
beforeEach(() => {
    recorded.length = 0;
});

const SEED = "seed-for-tests";

/** Secret name -> its data (base64 `data` decoded) and stringData, merged. */
function secretValues(): Map<string, Record<string, string>> {
    const out = new Map<string, Record<string, string>>();
    for (const s of ofType(recorded, "kubernetes:core/v1:Secret")) {
        const v = plain(s.inputs);
        const data = Object.fromEntries(Object.entries((v.data ?? {}) as Record<string, string>).map(([k, b]) => [k, Buffer.from(b, "base64").toString("latin1")]));
        out.set(v.metadata.name, { ...data, ...(v.stringData ?? {}) });
    }
    return out;
}

/** Kafka credentials as KafkaPlatform would hand them over: one per planned principal. */
function kafkaCredentials(topology: Topology, username: (p: string) => string): Record<string, KafkaCredential> {
    return Object.fromEntries(
        (topology.kafka?.principals ?? []).map((p) => [p, { username: pulumi.output(username(p)), password: pulumi.secret(`pw-${p}`) }]),
    );
}

describe("Pulsar tokens", () => {
    it("are HS256 JWTs with only the role as subject and no expiry, as `pulsar tokens create` makes them", async () => {
        const key = pulsarSigningKey(SEED);
        const token = await pulsarToken(key, "team-a.job-api");
        expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256" });
        expect(decodeJwt(token)).toEqual({ sub: "team-a.job-api" });
        await expect(jwtVerify(token, key)).resolves.toBeTruthy();
        await expect(jwtVerify(token, pulsarSigningKey("another seed"))).rejects.toThrow(/signature/);
    });

    it("derive a 32-byte signing key from the seed, stable across runs and different per seed", () => {
        expect(pulsarSigningKey(SEED)).toHaveLength(32);
        expect(pulsarSigningKey(SEED).equals(pulsarSigningKey(SEED))).toBe(true);
        expect(pulsarSigningKey(SEED).equals(pulsarSigningKey(`${SEED}x`))).toBe(false);
        expect(() => pulsarSigningKey("")).toThrow(/credentialSeed/);
    });
});

describe("jaasConfig", () => {
    it("uses the login module of the mechanism and quotes the values", () => {
        expect(jaasConfig("PLAIN", "KEY1", 'p"w')).toBe('org.apache.kafka.common.security.plain.PlainLoginModule required username="KEY1" password="p\\"w";');
        expect(jaasConfig("SCRAM-SHA-512", "svc", "pw")).toBe('org.apache.kafka.common.security.scram.ScramLoginModule required username="svc" password="pw";');
    });
});

describe("ServiceCredentials", () => {
    it("prod phase 3: the chart's signing key and super-user tokens, the services' and the tenants' Functions' tokens signed with that key", async () => {
        const topology = planStack("prod", { phase: 3 });
        new ServiceCredentials("c", { topology, seed: SEED, kafkaCredentials: kafkaCredentials(topology, (p) => p) });
        await settle(recorded);
        const secrets = secretValues();
        const key = pulsarSigningKey(SEED);
        expect(Buffer.from(secrets.get("pulsar-token-symmetric-key")!.SECRETKEY!, "latin1").equals(key)).toBe(true);
        for (const role of ["broker-admin", "proxy-admin", "platform-admin"]) {
            const { payload } = await jwtVerify(secrets.get(`pulsar-token-${role}`)!.TOKEN!, key);
            expect(payload.sub).toBe(role);
        }
        const gateway = secrets.get("ingress-gateway-credentials")!;
        expect((await jwtVerify(gateway["pulsar-token"]!, key)).payload.sub).toBe("public.ingress-gateway");
        // Function Mesh auth Secret of the one matcher Function: the plugin and `token:<jwt>` of its shared role.
        const matcher = secrets.get("mcp-matcher-credentials")!;
        expect(matcher.clientAuthenticationPlugin).toBe("org.apache.pulsar.client.impl.auth.AuthenticationToken");
        expect(matcher.clientAuthenticationParameters).toMatch(/^token:/);
        expect((await jwtVerify(matcher.clientAuthenticationParameters!.slice("token:".length), key)).payload.sub).toBe("public.mcp-matcher");
        expect([...secrets.keys()].filter((k) => k.includes("team-"))).toEqual([]);
        // Every planned Secret is there with exactly its planned keys.
        for (const planned of topology.credentials) {
            expect(Object.keys(secrets.get(planned.name) ?? {}).sort(), planned.name).toEqual(Object.keys(planned.data).sort());
        }
    });

    it("prod phase 0 (MSK SCRAM): each service logs in as itself with its own password", async () => {
        const topology = planStack("prod", { phase: 0 });
        new ServiceCredentials("c", { topology, seed: SEED, kafkaCredentials: kafkaCredentials(topology, (p) => p) });
        await settle(recorded);
        const secrets = secretValues();
        expect(secrets.has("pulsar-token-symmetric-key")).toBe(false);
        expect(secrets.get("ingress-gateway-credentials")).toEqual({ "kafka-username": "ingress-gateway", "kafka-password": "pw-ingress-gateway" });
    });

    it("dev phase 2 (Confluent): the login is the API key id, and the sinks get a properties file with the SASL/PLAIN jaas line", async () => {
        const topology = planStack("dev", { phase: 2 });
        new ServiceCredentials("c", { topology, seed: SEED, kafkaCredentials: kafkaCredentials(topology, (p) => `KEY-${p}`) });
        await settle(recorded);
        const secrets = secretValues();
        const sink = topology.sinks[0]!;
        const file = sink.jaasFile!;
        // FileConfigProvider reads `${file:<path>:sasl.jaas.config}` from a Java properties file at that path.
        expect(file.file).toBe(`${file.mountPath}/${file.secret.key}`);
        expect(secrets.get(file.secret.name)![file.secret.key]).toBe(
            'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="KEY-kafka-sink" password="pw-kafka-sink";\n',
        );
        const kafkaClients = topology.credentials.filter((c) => "kafka-username" in c.data);
        for (const c of kafkaClients) {
            expect(secrets.get(c.name)!["kafka-username"]).toBe(`KEY-${c.owner}`);
        }
    });

    it("keeps the credential values secret", async () => {
        const topology = planStack("prod", { phase: 1 });
        new ServiceCredentials("c", { topology, seed: SEED, kafkaCredentials: kafkaCredentials(topology, (p) => p) });
        await settle(recorded);
        const isSecret = (v: unknown) =>
            typeof v === "object" && v !== null && (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
        let checked = 0;
        for (const s of ofType(recorded, "kubernetes:core/v1:Secret")) {
            for (const field of ["data", "stringData"] as const) {
                const v = s.inputs[field];
                if (v === undefined || (!isSecret(v) && Object.keys(v).length === 0)) {
                    continue;
                }
                // Either the whole map or each value is a secret: the engine keeps it encrypted in state.
                expect(isSecret(v) || Object.values(v).every(isSecret), `${s.name} ${field}`).toBe(true);
                checked++;
            }
        }
        expect(checked).toBeGreaterThan(5);
        const kop = secretValues().get("ingress-gateway-credentials")!["kop-password"]!;
        expect(kop).toMatch(/^token:ey/);
    });

    it("refuses a plan with token auth but no seed, and a principal KafkaPlatform did not provide", () => {
        expect(() => new ServiceCredentials("c", { topology: planStack("prod", { phase: 1 }) })).toThrow(/credentialSeed/);
        expect(() => new ServiceCredentials("c", { topology: planStack("prod", { phase: 0 }), seed: SEED, kafkaCredentials: {} })).toThrow(
            /needs the Kafka credential of "[a-z-]+", which KafkaPlatform did not provide/,
        );
    });
});
