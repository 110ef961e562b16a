/**
 * The specification of the rules of how the real systems behave (policies/rules/workloads.ts, tls.ts,
 * connectivity.ts, pulsar-runtime.ts, observability.ts and the RabbitMQ bound). Each starts from what the program
 * really registers (goodStack: index.ts under mocks) and refuses the shape the design review found (marked "was:"),
 * plus at least one different case of the same rule.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CapturedResource } from "../../policies/offline";
import { TYPES } from "../../policies/rules/common";
import * as connectivity from "../../policies/rules/connectivity";
import * as observability from "../../policies/rules/observability";
import * as runtime from "../../policies/rules/pulsar-runtime";
import * as reliability from "../../policies/rules/reliability";
import * as tls from "../../policies/rules/tls";
import * as workloads from "../../policies/rules/workloads";
import type { PolicySpec } from "./cases";
import { PINNED_FETCH, UNPINNED_FETCH } from "./bad-fixtures";
import { goodStack } from "./fixtures";
import { edited, res, set } from "./harness";

const PROD = { environment: "prod" };
const DEV = { environment: "dev" };
const LOCAL = { environment: "local" };

const prod1 = goodStack("prod", 1);
const prod3 = goodStack("prod", 3);
const dev1 = goodStack("dev", 1);
const dev3 = goodStack("dev", 3);
const local2 = goodStack("local", 2);

const ofType = (type: string) => (r: CapturedResource) => r.type === type;
const named = (name: string) => (r: CapturedResource) => r.name === name;
const only = (resources: CapturedResource[], ...types: string[]) => resources.filter((r) => types.includes(r.type));
const RELEASE = "platform-pulsar-release";
const TENANT_NAMESPACE = "platform-pulsar-tenancy-namespace-team-a-orchestrator";
const GATEWAY = "platform-orchestrator-ingress-gateway";
const COORDINATOR = "platform-orchestrator-execution-coordinator";

/** `resources` with the named resource's props edited (inputs and outputs). */
const editNamed = (resources: CapturedResource[], name: string, mutate: (p: Record<string, any>) => void) => edited(resources, named(name), (r) => set(r, mutate));
const container = (p: Record<string, any>) => p.spec.template.spec.containers[0];
const envOf = (c: Record<string, any>) => c.env as { name: string; value?: string }[];

const jsonSchemaDocument = readFileSync(resolve(__dirname, "../../schemas/user-request-schema.json"), "utf8");

export const RUNTIME_SPECS: Record<string, PolicySpec> = {
    // --- workloads -----------------------------------------------------------------------------
    "run-as-non-root-numeric-user": {
        make: workloads.runAsNonRootNumericUser,
        cases: [
            { name: "prod phase 3 as declared", resources: prod3, expect: [] },
            { name: "local phase 2 as declared", resources: local2, expect: [] },
            {
                name: "was: the KoP init container on curlimages/curl with no runAsUser",
                resources: [editNamed(prod1, RELEASE, (p) => (p.values.broker.initContainers = [UNPINNED_FETCH])).find(named(RELEASE)) as CapturedResource],
                expect: ["chart broker: container fetch-kop-nar (curlimages/curl:8.11.1) runs under runAsNonRoot with no runAsUser"],
            },
            {
                name: "a Deployment whose pod sets runAsNonRoot and no user",
                resources: editNamed(prod3, GATEWAY, (p) => delete p.spec.template.spec.securityContext.runAsUser).filter(ofType(TYPES.deployment)),
                expect: ["Deployment ingress-gateway: container ingress-gateway"],
            },
            {
                name: "runAsUser 0 under runAsNonRoot",
                resources: editNamed(prod3, GATEWAY, (p) => (p.spec.template.spec.securityContext.runAsUser = 0)).filter(named(GATEWAY)),
                expect: ["sets runAsUser 0 under runAsNonRoot"],
            },
        ],
    },
    "jvm-fits-memory-limit": {
        make: workloads.jvmFitsMemoryLimit,
        cases: [
            { name: "prod phase 3 as declared", resources: prod3.filter(named(RELEASE)), expect: [] },
            { name: "local standalone as declared", resources: local2.filter(ofType(TYPES.statefulSet)), expect: [] },
            {
                name: "was: the chart's default broker heap and no limit",
                resources: editNamed(prod3, RELEASE, (p) => {
                    delete p.values.broker.configData.PULSAR_MEM;
                    delete p.values.broker.resources;
                }).filter(named(RELEASE)),
                expect: ['chart broker: the JVM (the chart\'s default PULSAR_MEM "-Xms128m -Xmx256m -XX:MaxDirectMemorySize=256m") has no memory limit'],
            },
            {
                name: "was: the standalone with no PULSAR_MEM under a 2Gi limit",
                resources: edited(local2, ofType(TYPES.statefulSet), (r) =>
                    set(r, (p) => {
                        const c = container(p);
                        c.env = envOf(c).filter((e) => e.name !== "PULSAR_MEM");
                        c.resources.limits.memory = "2Gi";
                    }),
                ).filter(ofType(TYPES.statefulSet)),
                expect: ['sets no PULSAR_MEM, so conf/pulsar_env.sh\'s "-Xms2g -Xmx2g -XX:MaxDirectMemorySize=4g" applies, and reserves 6144 MiB'],
            },
            {
                name: "heap and direct memory filling the limit, no room for the rest of the JVM",
                resources: editNamed(prod3, RELEASE, (p) => (p.values.bookkeeper.resources.limits.memory = "8Gi")).filter(named(RELEASE)),
                expect: ["chart bookkeeper: the JVM (bookkeeper.configData.PULSAR_MEM) reserves 8192 MiB"],
            },
        ],
    },
    "start-time-config-rolls-pods": {
        make: workloads.startTimeConfigRollsPods,
        cases: [
            { name: "prod phase 3 as declared", resources: prod3, expect: [] },
            {
                name: "was: broker configData without restartPodsOnConfigMapChange",
                resources: editNamed(prod3, RELEASE, (p) => delete p.values.broker.restartPodsOnConfigMapChange),
                expect: ["chart broker: sets configData but not restartPodsOnConfigMapChange"],
            },
            {
                name: "was: the IRSA role on the ServiceAccount only",
                resources: editNamed(prod3, RELEASE, (p) => delete p.values.broker.annotations["messaging-platform/offload-identity"]),
                expect: ["chart broker: the ServiceAccount's eks.amazonaws.com/role-arn is not on the pod template"],
            },
            {
                name: "was: the orchestrator reading its credentials into env with nothing on its pod template (a rotation reached no pod)",
                resources: editNamed(prod3, GATEWAY, (p) => delete p.spec.template.metadata.annotations),
                expect: ["Deployment ingress-gateway: reads Secret ingress-gateway-credentials into its environment"],
            },
            {
                name: "a Deployment reading a declared ConfigMap into env, no checksum",
                resources: editNamed(prod3, GATEWAY, (p) => {
                    delete p.spec.template.metadata.annotations;
                    container(p).env = envOf(container(p)).filter((e: any) => !e.valueFrom);
                    container(p).envFrom = [{ configMapRef: { name: "pulsar-function-mesh" } }];
                }),
                expect: ["Deployment ingress-gateway: reads ConfigMap pulsar-function-mesh into its environment"],
            },
            {
                name: "the brokers reading the KoP keystore password into env with no checksum",
                resources: editNamed(prod1, RELEASE, (p) => delete p.values.broker.annotations),
                expect: ["chart broker: reads Secret pulsar-kop-keystore-credentials into its environment"],
            },
            {
                name: "a Deployment whose ServiceAccount gets a role its pods do not carry",
                resources: editNamed(prod3, "platform-orchestrator-ingress-gateway-account", (p) => (p.metadata.annotations = { "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/x" })),
                expect: ["Deployment ingress-gateway: its ServiceAccount's eks.amazonaws.com/role-arn is not on the pod template"],
            },
        ],
    },
    "prod-images-by-digest": {
        make: workloads.prodImagesByDigest,
        cases: [
            { name: "prod phase 3 as declared", resources: prod3, config: PROD, expect: [] },
            { name: "dev by tag", resources: dev3, config: DEV, expect: [] },
            {
                name: "a Deployment by tag in prod",
                resources: editNamed(prod3, GATEWAY, (p) => (container(p).image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orchestrator/ingress-gateway:1.4.2")).filter(named(GATEWAY)),
                config: PROD,
                expect: ["Deployment ingress-gateway container ingress-gateway: image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/orchestrator/ingress-gateway:1.4.2 is not pinned"],
            },
            {
                name: "the chart by tag in prod",
                resources: editNamed(prod3, RELEASE, (p) => (p.values.defaultPulsarImageTag = "4.0.12-starlight-4.0.3.3")).filter(named(RELEASE)),
                config: PROD,
                expect: ["the Pulsar chart: image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/pulsar-kop:4.0.12-starlight-4.0.3.3 is not pinned"],
            },
        ],
    },
    "replicated-deployments-survive-disruption": {
        make: workloads.orchestratorAvailability,
        cases: [
            { name: "prod phase 3 as declared", resources: prod3, config: PROD, expect: [] },
            { name: "dev, one replica each", resources: dev3, config: DEV, expect: [] },
            {
                name: "no PodDisruptionBudget for one service",
                resources: prod3.filter((r) => r.name !== "platform-orchestrator-ingress-gateway-pdb"),
                config: PROD,
                expect: ["Deployment ingress-gateway: 3 replicas and no PodDisruptionBudget"],
            },
            {
                name: "replicas spread over hosts only",
                resources: editNamed(prod3, COORDINATOR, (p) => (p.spec.template.spec.topologySpreadConstraints = p.spec.template.spec.topologySpreadConstraints.filter((t: any) => t.topologyKey !== "topology.kubernetes.io/zone"))),
                config: PROD,
                expect: ["Deployment execution-coordinator: no topologySpreadConstraints over topology.kubernetes.io/zone"],
            },
        ],
    },
    "deployments-have-network-policy": {
        make: workloads.deploymentsHaveNetworkPolicy,
        cases: [
            { name: "prod phase 3 as declared", resources: prod3, expect: [] },
            { name: "local phase 2 as declared", resources: local2, expect: [] },
            { name: "one service without its NetworkPolicy", resources: prod3.filter((r) => r.name !== "platform-orchestrator-retry-worker-ingress"), expect: ["Deployment retry-worker: no NetworkPolicy selects its pods"] },
            {
                name: "a NetworkPolicy selecting other pods",
                resources: editNamed(prod3, "platform-orchestrator-retry-worker-ingress", (p) => (p.spec.podSelector = { matchLabels: { "app.kubernetes.io/name": "retry-wrker" } })),
                expect: ["Deployment retry-worker: no NetworkPolicy selects its pods"],
            },
        ],
    },

    // --- TLS -----------------------------------------------------------------------------------
    "tls-names-cover-endpoints": {
        make: tls.tlsNamesCoverEndpoints,
        cases: [
            { name: "prod phase 1 (KoP over SASL_SSL) as declared", resources: prod1, expect: [] },
            { name: "prod phase 3 (native Pulsar) as declared", resources: prod3, expect: [] },
            {
                name: "was: the KoP certificate names *.pulsar-broker, brokers advertise under pulsar-broker-headless",
                resources: editNamed(prod1, "platform-pulsar-kop-certificate", (p) => (p.spec.dnsNames = ["pulsar-kafka.messaging.svc.cluster.local", "*.pulsar-broker.messaging.svc.cluster.local"])),
                expect: ["the brokers' advertisedAddress (kop clients are sent there): pulsar-broker-0.pulsar-broker-headless.messaging.svc.cluster.local is not named by the KoP listener's certificate"],
            },
            {
                name: "the chart's broker certificate without the Service's FQDN (its own SANs are wildcards under it)",
                resources: editNamed(only(prod3, TYPES.helmRelease, tls.CERTIFICATE_TYPE, tls.PULSAR_CONNECTION_TYPE), RELEASE, (p) => delete p.values.tls.broker.dnsNames),
                expect: ["PulsarConnection pulsar: pulsar-broker.messaging.svc.cluster.local is not named by the Pulsar brokers' TLS certificate"],
            },
            {
                name: "a client dialling the proxy's Service FQDN (tls.proxy.dnsNames names it)",
                resources: editNamed(only(prod3, TYPES.helmRelease, tls.CERTIFICATE_TYPE, tls.PULSAR_CONNECTION_TYPE), "platform-pulsar-tenancy-connection", (p) => {
                    p.spec.adminServiceSecureURL = "https://pulsar-proxy.messaging.svc.cluster.local:443";
                    p.spec.brokerServiceSecureURL = "pulsar+ssl://pulsar-proxy.messaging.svc.cluster.local:6651";
                }),
                expect: [],
            },
        ],
    },
    "tls-clients-trust-ca": {
        make: tls.tlsClientsTrustCa,
        cases: [
            { name: "prod phase 1 as declared", resources: prod1, expect: [] },
            { name: "prod phase 3 as declared", resources: prod3, expect: [] },
            {
                name: "was: the PulsarConnection with no trust file",
                resources: editNamed(prod3, "platform-pulsar-tenancy-connection", (p) => delete p.spec.tlsTrustCertsFilePath),
                expect: ["PulsarConnection pulsar: sets no tlsTrustCertsFilePath"],
            },
            {
                name: "was: an orchestrator Deployment on pulsar+ssl with no CA",
                resources: editNamed(prod3, GATEWAY, (p) => (container(p).env = envOf(container(p)).filter((e) => e.name !== "PULSAR_TLS_TRUST_CERTS_FILE_PATH"))),
                expect: ["Deployment ingress-gateway container ingress-gateway: sets no PULSAR_TLS_TRUST_CERTS_FILE_PATH"],
            },
            {
                name: "a Function trusting the chart's internal CA Secret, which nothing fills",
                resources: editNamed(prod3, "platform-pulsar-functions-function-mcp-matcher", (p) => (p.spec.pulsar.tlsConfig.certSecretName = "pulsar-ca-tls")),
                expect: ["Function mcp-matcher: trusts the CA in Secret pulsar-ca-tls"],
            },
        ],
    },

    // --- connectivity --------------------------------------------------------------------------
    "client-endpoints-served": {
        make: connectivity.clientEndpointsServed,
        cases: [
            { name: "local phase 2 as declared", resources: local2, expect: [] },
            { name: "prod phase 1 as declared", resources: prod1, expect: [] },
            {
                name: "was: KoP advertises pulsar.<ns>.svc:9092, the Service exposes 6650 and 8080",
                resources: editNamed(local2, "platform-pulsar-service", (p) => (p.spec.ports = p.spec.ports.filter((x: any) => x.port !== 9092))),
                expect: ["StatefulSet pulsar: KoP's advertised listener: pulsar.messaging.svc.cluster.local:9092: Service pulsar serves ports 6650, 8080, not 9092"],
            },
            {
                name: "a Deployment given the KoP Service's plaintext port",
                resources: editNamed(prod1, GATEWAY, (p) => (envOf(container(p)).find((e) => e.name === "KAFKA_BROKERS")!.value = "pulsar-kafka.messaging.svc.cluster.local:9092")),
                expect: ["KAFKA_BROKERS: pulsar-kafka.messaging.svc.cluster.local:9092: Service pulsar-kafka serves ports 9093, not 9092"],
            },
            {
                name: "a Service nothing declares",
                resources: editNamed(prod1, GATEWAY, (p) => (envOf(container(p)).find((e) => e.name === "KAFKA_BROKERS")!.value = "kop.messaging.svc.cluster.local:9093")),
                expect: ["no Service kop in namespace messaging is declared"],
            },
        ],
    },
    "no-loopback-endpoints": {
        make: connectivity.noLoopbackEndpoints,
        cases: [
            { name: "local phase 2 as declared", resources: local2, expect: [] },
            {
                name: "was: orchestrator pods given the host's 127.0.0.1:19092",
                resources: editNamed(local2, "platform-orchestrator-job-result-updater", (p) => envOf(container(p)).push({ name: "KAFKA_BROKERS", value: "127.0.0.1:19092" })),
                expect: ["Deployment job-result-updater container job-result-updater KAFKA_BROKERS: 127.0.0.1:19092 is the pod's own loopback"],
            },
            {
                name: "a sink given localhost",
                resources: edited(local2, ofType(TYPES.pulsarSink), (r) => set(r, (p) => (p.spec.sinkConfig.bootstrapServers = "localhost:19092"))),
                expect: ["bootstrapServers: localhost:19092 is the pod's own loopback"],
            },
        ],
    },
    "kubernetes-context-pinned": {
        make: connectivity.kubernetesContextPinned,
        cases: [
            { name: "prod pins its context", resources: prod3.filter(ofType(connectivity.KUBERNETES_PROVIDER_TYPE)), config: PROD, expect: [] },
            { name: "local renders to a folder", resources: local2.filter(ofType(connectivity.KUBERNETES_PROVIDER_TYPE)), config: LOCAL, expect: [] },
            {
                name: "was: prod on the ambient context",
                resources: edited(prod3, ofType(connectivity.KUBERNETES_PROVIDER_TYPE), (r) => set(r, (p) => delete p.context)).filter(ofType(connectivity.KUBERNETES_PROVIDER_TYPE)),
                config: PROD,
                expect: ["Kubernetes provider platform-kubernetes: sets no context or kubeconfig"],
            },
            {
                name: "dev on the ambient context",
                resources: edited(dev3, ofType(connectivity.KUBERNETES_PROVIDER_TYPE), (r) => set(r, (p) => delete p.context)).filter(ofType(connectivity.KUBERNETES_PROVIDER_TYPE)),
                config: DEV,
                expect: ["sets no context or kubeconfig"],
            },
        ],
    },

    // --- Pulsar at run time -------------------------------------------------------------------
    "function-code-servable": {
        make: runtime.functionCodeServable,
        cases: [
            { name: "prod phase 3 as declared (code in the image)", resources: prod3, expect: [] },
            {
                name: "was: a function:// package with no package management",
                resources: only(editNamed(prod3, "platform-pulsar-functions-function-mcp-matcher", (p) => {
                    p.spec.python = { py: "mcp-matcher.py", pyLocation: "function://public/default/mcp-matcher@1.0.0" };
                    delete p.spec.image;
                }), TYPES.helmRelease, TYPES.pulsarFunction),
                expect: ["Function mcp-matcher: loads function://public/default/mcp-matcher@1.0.0"],
            },
            {
                name: "the same package once the brokers manage packages",
                resources: only(
                    editNamed(editNamed(prod3, "platform-pulsar-functions-function-mcp-matcher", (p) => (p.spec.python.pyLocation = "function://public/default/mcp-matcher@1.0.0")), RELEASE, (p) => (p.values.broker.configData.enablePackagesManagement = "true")),
                    TYPES.helmRelease,
                    TYPES.pulsarFunction,
                ),
                expect: [],
            },
            {
                name: "no location and no image",
                resources: only(editNamed(prod3, "platform-pulsar-functions-function-mcp-matcher", (p) => delete p.spec.image), TYPES.pulsarFunction),
                expect: ["Function mcp-matcher: no python code location and no spec.image"],
            },
        ],
    },
    "connector-secrets-readable": {
        make: runtime.connectorSecretsReadable,
        cases: [
            { name: "prod phase 3 as declared (login as a mounted file)", resources: prod3.filter(ofType(TYPES.pulsarSink)), expect: [] },
            {
                name: "was: saslJaasConfig in secretsMap",
                resources: edited(prod3, ofType(TYPES.pulsarSink), (r) => set(r, (p) => (p.spec.secretsMap = { saslJaasConfig: { path: "s", key: "k" } }))).filter(ofType(TYPES.pulsarSink)).slice(0, 1),
                expect: ["secretsMap.saslJaasConfig is never read"],
            },
            {
                name: "the one sensitive field is read",
                resources: edited(prod3, ofType(TYPES.pulsarSink), (r) => set(r, (p) => (p.spec.secretsMap = { sslTruststorePassword: { path: "s", key: "k" } }))).filter(ofType(TYPES.pulsarSink)).slice(0, 1),
                expect: [],
            },
            {
                name: "another non-sensitive field",
                resources: edited(prod3, ofType(TYPES.pulsarSink), (r) => set(r, (p) => (p.spec.secretsMap = { bootstrapServers: { path: "s", key: "k" } }))).filter(ofType(TYPES.pulsarSink)).slice(0, 1),
                expect: ["secretsMap.bootstrapServers is never read"],
            },
        ],
    },
    "offload-credentials-present": {
        make: runtime.offloadCredentialsPresent,
        cases: [
            { name: "dev phase 3 (GCS key file) as declared", resources: dev3, expect: [] },
            { name: "prod phase 3 (S3, IRSA) as declared", resources: prod3, expect: [] },
            {
                name: "was: GCS with no key Secret named",
                resources: editNamed(dev3, RELEASE, (p) => {
                    delete p.values.broker.storageOffload.gcsServiceAccountSecret;
                    delete p.values.broker.storageOffload.gcsServiceAccountJsonFile;
                }),
                expect: ["chart broker: offloads to GCS without storageOffload.gcsServiceAccountSecret"],
            },
            { name: "the key Secret not declared", resources: dev3.filter((r) => r.name !== "platform-pulsar-gcs-offload-key"), expect: ["the GCS key Secret pulsar-gcs-offload-key is not declared"] },
            {
                name: "S3 with no identity",
                resources: editNamed(prod3, RELEASE, (p) => delete p.values.broker.service_account),
                expect: ["offloads to S3 with neither an IRSA role"],
            },
        ],
    },
    "offload-before-retention": {
        make: runtime.offloadBeforeRetention,
        cases: [
            { name: "prod phase 3 as declared", resources: prod3.filter(ofType(TYPES.pulsarNamespace)), expect: [] },
            {
                name: "was: 7 days of retention and a 7-day offload threshold",
                resources: [set(structuredClone(prod3.find(named("platform-pulsar-tenancy-namespace-public-default")) as CapturedResource), (p) => (p.spec.retentionTime = "168h"))],
                expect: ["PulsarNamespace public/default: offloadThresholdTime 604800s is not below retentionTime 168h"],
            },
            {
                name: "a size threshold above the retention size",
                resources: [set(structuredClone(prod3.find(named("platform-pulsar-tenancy-namespace-public-default")) as CapturedResource), (p) => (p.spec.offloadThresholdSize = String(20 * 1024 ** 3)))],
                expect: ["offloadThresholdSize 21474836480 is not below retentionSize 10240Mi"],
            },
        ],
    },
    "schemas-parse-as-avro": {
        make: runtime.schemasParseAsAvro,
        cases: [
            { name: "prod phase 3 as declared", resources: prod3.filter(ofType(TYPES.pulsarTopic)), expect: [] },
            {
                name: "was: the JSON Schema document registered as JSON",
                resources: [set(structuredClone(prod3.find(named("platform-pulsar-tenancy-topic-public-default-user-requests")) as CapturedResource), (p) => (p.spec.schemaInfo.schema = jsonSchemaDocument))],
                expect: ["a JSON schema's definition must be an Avro record: Pulsar parses it as Avro (it is a JSON Schema document)"],
            },
            {
                name: "an Avro record that does not parse",
                resources: [
                    set(structuredClone(prod3.find(named("platform-pulsar-tenancy-topic-public-default-user-requests")) as CapturedResource), (p) => (p.spec.schemaInfo.schema = JSON.stringify({ type: "record", name: "R", fields: [{ name: "x", type: "object" }] }))),
                ],
                expect: ["the Avro record does not parse"],
            },
        ],
    },
    "pulsar-durability": {
        make: runtime.pulsarDurability,
        cases: [
            { name: "prod phase 3 as declared", resources: prod3, config: PROD, expect: [] },
            { name: "dev's 2/2/2 outside prod", resources: dev3, config: DEV, expect: [] },
            {
                name: "was: prod on the chart's defaults (2/2/2, hosts only, 50Gi ledgers)",
                resources: editNamed(prod3, RELEASE, (p) => {
                    for (const k of ["EnsembleSize", "WriteQuorum", "AckQuorum"]) {
                        delete p.values.broker.configData[`managedLedgerDefault${k}`];
                    }
                    for (const c of ["broker", "bookkeeper", "zookeeper"]) {
                        delete p.values[c].topologySpreadConstraints;
                    }
                    delete p.values.bookkeeper.volumes;
                }),
                config: PROD,
                expect: [
                    "ensemble/write/ack quorum 2/2/2: prod needs at least 3/3/2",
                    "chart broker: no topologySpreadConstraints over topology.kubernetes.io/zone",
                    "chart bookkeeper: no topologySpreadConstraints",
                    "chart zookeeper: no topologySpreadConstraints",
                    "chart bookkeeper: the namespaces may keep",
                ],
            },
            {
                name: "ledger disks too small for what the namespaces keep",
                resources: editNamed(prod3, RELEASE, (p) => (p.values.bookkeeper.volumes.ledgers.size = "100Gi")),
                config: PROD,
                expect: ["but 4 bookies x 100 Gi ledgers give 320 GiB usable"],
            },
            {
                // Was: only PulsarTopic CRs counted, so a tenant's topics (created on first use) needed no disk at all.
                name: "the tenants' topics created on first use need disk too",
                resources: editNamed(
                    prod3.filter((r) => r.type !== TYPES.pulsarTopic),
                    RELEASE,
                    (p) => (p.values.bookkeeper.volumes.ledgers.size = "20Gi"),
                ),
                config: PROD,
                expect: ["but 4 bookies x 20 Gi ledgers give 64 GiB usable"],
            },
        ],
    },
    "automatic-topic-creation": {
        make: runtime.automaticTopicCreation,
        cases: [
            { name: "prod phase 3 as declared: the tenants' namespaces", resources: prod3, expect: [] },
            {
                name: "was: the broker's default type (non-partitioned), which KoP cannot serve",
                resources: editNamed(prod3, TENANT_NAMESPACE, (p) => delete p.spec.topicAutoCreationConfig.type),
                expect: ["PulsarNamespace team-a/orchestrator creates topics on first use, but type undefined (allowed: \"partitioned\""],
            },
            {
                name: "schema auto update off: the first producer with a schema is refused",
                resources: editNamed(prod3, TENANT_NAMESPACE, (p) => (p.spec.isAllowAutoUpdateSchema = false)),
                expect: ["isAllowAutoUpdateSchema is not true"],
            },
            {
                name: "no partition count, and no topics listed",
                resources: editNamed(prod3, TENANT_NAMESPACE, (p) => {
                    delete p.spec.topicAutoCreationConfig.partitions;
                    delete p.spec.properties;
                }),
                expect: ["partitions undefined (allowed: a whole number >= 1)", "no topics listed in its messaging-platform/automatic-topics property"],
            },
            {
                name: "a shared public namespace creating topics on first use",
                resources: editNamed(prod3, "platform-pulsar-tenancy-namespace-public-default", (p) => {
                    p.spec.topicAutoCreationConfig = { allow: true, type: "partitioned", partitions: 6 };
                    p.spec.isAllowAutoUpdateSchema = true;
                    p.spec.properties = { "messaging-platform/automatic-topics": "x" };
                }),
                expect: ["PulsarNamespace public/default creates topics on first use, but public is the shared tenant: declare its topics"],
            },
        ],
    },
    "kop-handler-pinned": {
        make: runtime.kopHandlerPinned,
        cases: [
            { name: "prod phase 1: the handler comes with the image", resources: prod1, config: PROD, expect: [] },
            { name: "dev: a checked download", resources: editNamed(dev1, RELEASE, (p) => (p.values.broker.initContainers = [PINNED_FETCH])), config: DEV, expect: [] },
            {
                name: "was: a download with no checksum",
                resources: editNamed(dev1, RELEASE, (p) => (p.values.broker.initContainers = [UNPINNED_FETCH])),
                config: DEV,
                expect: ["chart broker: init container fetch-kop-nar downloads the KoP NAR without checking its sha256"],
            },
            {
                name: "a checked download in prod",
                resources: editNamed(prod1, RELEASE, (p) => (p.values.broker.initContainers = [PINNED_FETCH])),
                config: PROD,
                expect: ["chart broker: fetches the KoP handler at every start"],
            },
            {
                name: "a standalone broker fetching without a checksum",
                resources: edited(local2, ofType(TYPES.statefulSet), (r) => set(r, (p) => (p.spec.template.spec.initContainers = [UNPINNED_FETCH]))),
                config: LOCAL,
                expect: ["StatefulSet pulsar: init container fetch-kop-nar downloads the KoP NAR without checking"],
            },
        ],
    },

    // --- observability -------------------------------------------------------------------------
    "alerts-have-producers": {
        make: observability.alertsHaveProducers,
        cases: [
            { name: "prod phase 3 as declared", resources: prod3, expect: [] },
            { name: "dev phase 1 as declared (KoP lag exporter)", resources: dev1, expect: [] },
            {
                name: "was: the lag alert with no exporter",
                resources: prod3.filter((r) => !(r.type === TYPES.deployment && r.name.includes("exporter"))),
                expect: ["alert KafkaConsumerLagHigh: reads kafka_consumergroup_lag, but nothing produces it"],
            },
            {
                name: "was: RabbitMQ scraped on /metrics (aggregated per node)",
                resources: edited(prod3, ofType(observability.SCRAPE_CONFIG_TYPE), (r) => set(r, (p) => (p.spec.metricsPath = "/metrics"))),
                // Both alerts on the queues' series: the queue depths and the audit bridge's backlog.
                expect: ["alert RabbitQueueDepthHigh: reads rabbitmq_queue_messages_ready, but nothing produces it", "alert AuditBridgeBacklog: reads rabbitmq_queue_messages_ready, but nothing produces it"],
            },
            {
                name: "the brokers not scraped",
                resources: prod3.filter(((r) => r.type !== observability.POD_MONITOR_TYPE) as (r: CapturedResource) => boolean),
                expect: ["alert PulsarBacklogHigh: reads pulsar_msg_backlog", "alert PulsarOffloadFailing: reads brk_ledgeroffloader_offload_error"],
            },
        ],
    },

    // --- RabbitMQ ------------------------------------------------------------------------------
    "rabbitmq-queues-bounded": {
        make: reliability.rabbitmqQueuesBounded,
        cases: [
            { name: "prod phase 3 as declared", resources: prod3.filter((r) => r.type.startsWith("rabbitmq:")), expect: [] },
            {
                name: "was: control.audit bound with # and no max-length",
                resources: [res(TYPES.rabbitQueue, "q", { name: "control.audit", vhost: "control", settings: { durable: true, arguments: { "x-queue-type": "quorum" } } })],
                expect: ["RabbitMQ queue control.audit: unbounded"],
            },
            {
                name: "bounded but dropping the oldest messages",
                resources: edited(prod3.filter((r) => r.type.startsWith("rabbitmq:")), named("platform-control-plane-policy-control-dead-letter-bounded"), (r) => set(r, (p) => delete p.policy.definition.overflow)),
                expect: ["RabbitMQ queue control.dead-letter (policy control-dead-letter-bounded): overflow drop-head"],
            },
            {
                name: "at-least-once dead-lettering without reject-publish",
                resources: [
                    res(TYPES.rabbitQueue, "q", { name: "jobs.x", vhost: "control", settings: { durable: true, arguments: { "x-queue-type": "quorum" } } }),
                    res(TYPES.rabbitPolicy, "p", { name: "p", vhost: "control", policy: { pattern: "^jobs\\.x$", applyTo: "queues", priority: 1, definition: { "max-length": "10", overflow: "reject-publish-dlx", "dead-letter-strategy": "at-least-once" } } }),
                ],
                expect: ["dead-letter-strategy at-least-once without overflow reject-publish"],
            },
            {
                name: "the higher-priority policy is the one that applies",
                resources: [
                    res(TYPES.rabbitQueue, "q", { name: "jobs.x", vhost: "control", settings: { durable: true, arguments: { "x-queue-type": "quorum" } } }),
                    res(TYPES.rabbitPolicy, "bounded", { name: "bounded", vhost: "control", policy: { pattern: ".*", applyTo: "queues", priority: 0, definition: { "max-length": "10", overflow: "reject-publish" } } }),
                    res(TYPES.rabbitPolicy, "ha", { name: "ha", vhost: "control", policy: { pattern: "^jobs\\.", applyTo: "queues", priority: 5, definition: { "delivery-limit": "5" } } }),
                ],
                expect: ["RabbitMQ queue jobs.x (policy ha): unbounded"],
            },
        ],
    },
};
