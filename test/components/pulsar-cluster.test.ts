import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
    PROTOCOLS_DIR,
    PulsarCluster,
    kopCertificateSpec,
    pulsarHelmValues,
    standaloneEnvConfig,
} from "../../components/pulsar-cluster";
import { planStack } from "../support/stacks";
import { isSecretValue } from "./capture";
import { ofType, recordResources, settle, unknownHelmKeys, type Recorded } from "./support";

let recorded: Recorded[];
beforeAll(async () => {
    recorded = await recordResources();
});
beforeEach(() => {
    recorded.length = 0;
});

const KOP_KEYS = [
    "messagingProtocols",
    "protocolHandlerDirectory",
    "brokerEntryMetadataInterceptors",
    "brokerDeleteInactiveTopicsEnabled",
    "allowAutoTopicCreationType",
    "brokerDeduplicationEnabled",
    "PULSAR_PREFIX_kafkaTransactionCoordinatorEnabled",
    "PULSAR_PREFIX_kafkaListeners",
    "PULSAR_PREFIX_kafkaAdvertisedListeners",
    "PULSAR_PREFIX_kopAllowedNamespaces",
    "PULSAR_PREFIX_entryFormat",
];

describe("helm values (dev/prod)", () => {
    it.each(["dev", "prod"] as const)("%s: every value key exists in the chart's values.yaml, at every phase", (stack) => {
        for (const phase of [1, 2, 3]) {
            const t = planStack(stack, { phase });
            expect(unknownHelmKeys(pulsarHelmValues(t.pulsar!, t.offload, "identity"))).toEqual([]);
        }
    });

    it("puts the KoP broker keys in broker.configData, as the plan says", () => {
        const t = planStack("dev", { phase: 1 });
        const broker = pulsarHelmValues(t.pulsar!, t.offload).broker as any;
        for (const key of KOP_KEYS) {
            expect(broker.configData[key], key).toBe(t.pulsar!.kop.brokerConfig[key]);
        }
        expect(broker.configData.messagingProtocols).toBe("kafka");
        expect(broker.replicaCount).toBe(2);
    });

    // The tools' native Pulsar client where pulsar-client cannot be installed is the brokers' WebSocket API on the
    // web service the stack exports (npm run smoke, the drill); broker.conf has it off. The rule: every stack's
    // brokers, at every phase with Pulsar, serve it (the test world's standalone has it on, so it could not tell).
    it.each(["dev", "prod"] as const)("%s: the brokers serve the WebSocket API the tools' native client uses, at every phase", (stack) => {
        for (const phase of [1, 2, 3]) {
            const t = planStack(stack, { phase });
            expect((pulsarHelmValues(t.pulsar!, t.offload).broker as any).configData.webSocketServiceEnabled, `${stack} phase ${phase}`).toBe("true");
        }
    });

    it("runs the broker image as the plan names it, with no init container, when the image carries the handler", () => {
        const t = planStack("prod", { phase: 1 });
        const v = pulsarHelmValues(t.pulsar!, t.offload) as any;
        expect(`${v.defaultPulsarImageRepository}:${v.defaultPulsarImageTag}`).toBe(t.pulsar!.image);
        expect(t.pulsar!.image).toMatch(/^123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/pulsar-kop:4\.0\.12-starlight-4\.0\.3\.3@sha256:[0-9a-f]{64}$/);
        expect(v.broker.initContainers).toBeUndefined();
    });

    it("source download: fetches the NAR, checks its sha256 before moving it into place, as the fetch image's numeric user", () => {
        const sha256 = "a".repeat(64);
        const t = planStack("dev", {
            phase: 1,
            pulsar: { imageRepository: "apachepulsar/pulsar-all", kop: { source: "download", narUrl: "https://artifacts.example/kop.nar", sha256 } },
        });
        const broker = pulsarHelmValues(t.pulsar!, t.offload).broker as any;
        const [init] = broker.initContainers;
        expect(init.image).toBe("curlimages/curl:8.11.1");
        expect(init.env).toEqual([
            { name: "KOP_NAR_URL", value: "https://artifacts.example/kop.nar" },
            { name: "KOP_NAR_SHA256", value: sha256 },
        ]);
        const script = init.command.join(" ");
        // The checksum is checked before the file gets its final name, so a broker never loads a bad download.
        expect(script.indexOf("sha256sum -c")).toBeLessThan(script.indexOf("mv "));
        expect(script).toMatch(/mv "\/protocols\/\.kop\.nar\.part" "\/protocols\/kop\.nar"$/);
        // curlimages/curl's USER is curl_user (uid 100, gid 101): a name the kubelet cannot check under runAsNonRoot.
        expect(init.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 100, runAsGroup: 101 });
        const volume = broker.extraVolumes.find((v: any) => v.name === init.volumeMounts[0].name);
        expect(volume).toEqual({ name: init.volumeMounts[0].name, emptyDir: {} });
        expect(broker.extraVolumeMounts).toContainEqual({ name: volume.name, mountPath: PROTOCOLS_DIR });
    });

    it("enables TLS with certificates from the platform's ClusterIssuer and names that cover the Services; token auth with the program's key", () => {
        const t = planStack("prod", { phase: 1 });
        const v = pulsarHelmValues(t.pulsar!, t.offload) as any;
        expect(v.tls.enabled).toBe(true);
        expect(v.tls.broker.dnsNames).toEqual(t.pulsar!.tls!.brokerDnsNames);
        expect(v.tls.broker.dnsNames).toContain("pulsar-broker.messaging.svc.cluster.local");
        expect(v.tls.proxy.dnsNames).toContain("pulsar-proxy.messaging.svc.cluster.local");
        expect(v.certs).toEqual({
            internal_issuer: { enabled: false },
            issuers: { ca: { name: "pulsar-ca-issuer", kind: "ClusterIssuer", group: "cert-manager.io", secretName: "pulsar-ca-trust" } },
        });
        expect(v.auth.authentication).toMatchObject({ enabled: true, jwt: { enabled: true, usingSecretKey: true, generateSecrets: { enabled: false } } });
        expect(v.auth.authorization.enabled).toBe(true);
    });

    it("lets each broker advertise its own address on the Kafka listener, not the bootstrap Service", () => {
        for (const stack of ["local", "dev", "prod"] as const) {
            const t = planStack(stack, { phase: 1 });
            const port = t.pulsar!.endpoints.kafkaPort;
            expect(t.pulsar!.kop.brokerConfig.PULSAR_PREFIX_kafkaAdvertisedListeners).toBe(`kafka_internal://advertisedAddress:${port}`);
        }
    });

    it("prod: the SASL_SSL listener reads a PKCS#12 keystore from a cert-manager Certificate, passwords from a Secret", () => {
        const t = planStack("prod", { phase: 1 });
        const tls = t.pulsar!.kop.tls!;
        const broker = pulsarHelmValues(t.pulsar!, t.offload).broker as any;
        expect(broker.configData.PULSAR_PREFIX_kafkaProtocolMap).toBe("kafka_internal:SASL_SSL");
        expect(broker.configData).toMatchObject({
            PULSAR_PREFIX_kopSslKeystoreType: "PKCS12",
            PULSAR_PREFIX_kopSslKeystoreLocation: "/pulsar/certs/kop/keystore.p12",
            PULSAR_PREFIX_kopSslTruststoreLocation: "/pulsar/certs/kop/truststore.p12",
        });
        // No password in the values: each comes from the keystore's Secret as an env var.
        expect(JSON.stringify(broker.configData)).not.toMatch(/Password/);
        const passwords = broker.extraEnvs.filter((e: any) => /Password$/.test(e.name));
        expect(passwords.map((e: any) => e.name).sort()).toEqual(
            ["PULSAR_PREFIX_kopSslKeyPassword", "PULSAR_PREFIX_kopSslKeystorePassword", "PULSAR_PREFIX_kopSslTruststorePassword"],
        );
        expect(passwords.every((e: any) => e.valueFrom.secretKeyRef.name === tls.password.name)).toBe(true);
        const volume = broker.extraVolumes.find((v: any) => v.secret?.secretName === tls.secret);
        expect(broker.extraVolumeMounts).toContainEqual({ name: volume.name, mountPath: tls.mountPath, readOnly: true });
        const cert = kopCertificateSpec(tls) as any;
        expect(cert.secretName).toBe(tls.secret);
        expect(cert.issuerRef).toEqual({ name: "pulsar-ca-issuer", kind: "ClusterIssuer", group: "cert-manager.io" });
        // The bootstrap Service and every broker's advertised pod name under the headless Service.
        expect(cert.dnsNames).toEqual(["pulsar-kafka.messaging.svc.cluster.local", "*.pulsar-broker-headless.messaging.svc.cluster.local"]);
        expect(cert.keystores.pkcs12).toEqual({ create: true, passwordSecretRef: tls.password, profile: "Modern2023" });
        expect(planStack("local", { phase: 1 }).pulsar!.kop.tls).toBeNull();
    });

    it("has no offload before phase 3", () => {
        const t = planStack("dev", { phase: 2 });
        const broker = pulsarHelmValues(t.pulsar!, t.offload).broker as any;
        expect(broker.storageOffload).toBeUndefined();
        expect(broker.service_account).toBeUndefined();
    });

    it("phase 3 on GCP: GCS offload with thresholds and the service account key file the offloader reads", () => {
        const t = planStack("dev", { phase: 3 });
        const broker = pulsarHelmValues(t.pulsar!, t.offload, "key-id-1").broker as any;
        expect(broker.storageOffload).toEqual({
            driver: "google-cloud-storage",
            bucket: "cosmic-ai-dev-pulsar-offload",
            region: "europe-west4",
            managedLedgerOffloadAutoTriggerSizeThresholdBytes: String(1024 ** 3),
            // The chart mounts the Secret at /pulsar/gcp-service-account and points gcsManagedLedgerOffloadServiceAccountKeyFile there.
            gcsServiceAccountSecret: "pulsar-gcs-offload-key",
            gcsServiceAccountJsonFile: "gcs-service-account.json",
        });
        expect(broker.configData.PULSAR_PREFIX_managedLedgerOffloadThresholdInSeconds).toBe(String(7 * 86400));
        // No workload identity on GCS (the offloader reads a key file), but a new key rolls the brokers.
        expect(broker.service_account).toBeUndefined();
        expect(broker.annotations["messaging-platform/offload-identity"]).toBe("key-id-1");
    });

    it("phase 3 on AWS: S3 offload and the IRSA annotation", () => {
        const t = planStack("prod", { phase: 3 });
        const broker = pulsarHelmValues(t.pulsar!, t.offload, "arn:aws:iam::1:role/broker").broker as any;
        expect(broker.storageOffload.driver).toBe("aws-s3");
        expect(broker.service_account.annotations).toEqual({ "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/broker" });
        expect(broker.annotations["messaging-platform/offload-identity"]).toBe("arn:aws:iam::1:role/broker");
    });
});

describe("PulsarCluster under mocks", () => {
    it("dev: a helm.v3.Release of the Apache chart at the plan's version, and the pulsar-kafka Service", async () => {
        const t = planStack("dev", { phase: 3 });
        new PulsarCluster("pulsar", { topology: t, brokerIdentity: pulumi.output("key-id-1"), offloadKey: pulumi.secret("eyJrZXkiOiJ4In0=") });
        await settle(recorded);
        const [release] = ofType(recorded, "kubernetes:helm.sh/v3:Release");
        expect(release?.inputs).toMatchObject({ name: "pulsar", chart: "pulsar", version: "4.7.0", repositoryOpts: { repo: "https://pulsar.apache.org/charts" } });
        expect(release?.inputs.values.broker.annotations["messaging-platform/offload-identity"]).toBe("key-id-1");
        const key = ofType(recorded, "kubernetes:core/v1:Secret").find((x) => x.inputs.metadata.name === "pulsar-gcs-offload-key");
        // The key is kept secret in the state.
        expect(isSecretValue(key?.inputs.data)).toBe(true);
        expect((key?.inputs.data as { value: unknown }).value).toEqual({ "gcs-service-account.json": "eyJrZXkiOiJ4In0=" });
        const kafka = ofType(recorded, "kubernetes:core/v1:Service").find((s) => s.inputs.metadata.name === "pulsar-kafka");
        expect(kafka?.inputs.spec.ports).toEqual([{ name: "kafka", port: 9093, targetPort: 9093, protocol: "TCP" }]);
        expect(kafka?.inputs.spec.selector).toEqual({ app: "pulsar", release: "pulsar", component: "broker" });
        expect(ofType(recorded, "kubernetes:apps/v1:StatefulSet")).toHaveLength(0);
    });

    it("local: a standalone StatefulSet with the KoP settings, no Release (nothing fetched at preview)", async () => {
        const t = planStack("local", { phase: 1 });
        new PulsarCluster("pulsar", { topology: t });
        await settle(recorded);
        expect(ofType(recorded, "kubernetes:helm.sh/v3:Release")).toHaveLength(0);
        const [sts] = ofType(recorded, "kubernetes:apps/v1:StatefulSet");
        const pod = sts!.inputs.spec.template.spec;
        // The local image carries the handler (Pulumi.local.yaml): nothing is fetched when the pod starts.
        expect(pod.containers[0].image).toBe("pulsar-kop:4.0.12-starlight-4.0.3.3");
        expect(pod.containers[0].args[0]).toContain("bin/pulsar standalone");
        expect(pod.initContainers ?? []).toEqual([]);
        expect(sts!.inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("10Gi");
        // The settings live in the pod template (a change is a rolling update), not in a ConfigMap the StatefulSet
        // would be replaced with (scripts/provider-diff.ts).
        expect(ofType(recorded, "kubernetes:core/v1:ConfigMap")).toHaveLength(0);
        const env = Object.fromEntries(pod.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
        expect(env.PULSAR_PREFIX_messagingProtocols).toBe("kafka");
        expect(env.PULSAR_PREFIX_kafkaListeners).toBe("kafka_internal://0.0.0.0:9092");
        const services = ofType(recorded, "kubernetes:core/v1:Service").map((s) => s.inputs.metadata.name).sort();
        expect(services).toEqual(["pulsar", "pulsar-kafka"]);
    });

    it("standalone config prefixes every broker key with PULSAR_PREFIX_", () => {
        const env = standaloneEnvConfig(planStack("local", { phase: 1 }).pulsar!);
        expect(Object.keys(env).every((k) => k.startsWith("PULSAR_PREFIX_"))).toBe(true);
    });

    it("refuses phase 3 offload without the brokers' identity", () => {
        const t = planStack("prod", { phase: 3 });
        expect(() => new PulsarCluster("pulsar", { topology: t })).toThrow(/brokerIdentity is missing/);
    });

    it("refuses a topology without Pulsar", () => {
        expect(() => new PulsarCluster("pulsar", { topology: planStack("dev", { phase: 0 }) })).toThrow(/topology.pulsar is null/);
    });
});
