/**
 * KafkaPlatform: the Kafka side of the platform as the plan describes it. The cluster comes from MSK, Confluent
 * Cloud or an existing (external) cluster; topics and per-service ACLs are then the same for all three, through
 * an explicit @pulumi/kafka provider that authenticates as the plan's admin principal.
 *
 * ACLs on Confluent Cloud also go through @pulumi/kafka (not confluentcloud.KafkaAcl): one code path, one provider
 * and one set of enum spellings for every cluster, so the ACL set can be checked the same way everywhere.
 * Confluent Cloud accepts Kafka-protocol ACL admin from a key whose service account holds CloudClusterAdmin; its
 * principals are service-account ids (`User:sa-...`), so plan principals are mapped to those.
 */
import * as aws from "@pulumi/aws";
import * as confluentcloud from "@pulumi/confluentcloud";
import * as kafka from "@pulumi/kafka";
import * as pulumi from "@pulumi/pulumi";
import { archiveConnectTopics, type KafkaAclPlan, type KafkaAdminAclPlan, type KafkaPlan, type PlatformConfig, type Topology } from "../topology";
import { derivedPassword } from "./derived-password";
import { irsaTrustPolicy } from "./offload-bucket";

export interface KafkaPlatformArgs {
    /**
     * The planned topology; `topology.kafka` must be non-null (construct this component only when it is).
     * Cloud resources use the parent's providers (`opts.providers`: an aws provider for MSK, a confluentcloud
     * provider for Confluent), since stacks disable default providers.
     */
    topology: Topology;
    /**
     * The SASL password of `kafka.sasl.username` (external clusters only; the secret config `kafkaSaslPassword`).
     * Required when the external cluster uses SASL.
     * @default undefined (no SASL)
     */
    kafkaPassword?: pulumi.Input<string>;
    /**
     * Secret seed the per-principal SCRAM passwords are derived from (MSK with SCRAM only; HMAC-SHA256 of the seed
     * and the principal, so no Kafka password lives in config). Required when `kafka.auth` is `scram`.
     * @default undefined
     */
    servicePasswordSeed?: pulumi.Input<string>;
    /**
     * The EKS cluster's IAM OIDC provider ARN and URL (MSK with IAM auth only): each principal gets an IAM role its
     * Kubernetes ServiceAccount assumes (IRSA). Required when `topology.kafka.accessControl` is `iam`.
     * @default undefined
     */
    oidcProviderArn?: pulumi.Input<string>;
    /** @see oidcProviderArn */
    oidcProviderUrl?: pulumi.Input<string>;
}

/** Credentials a principal's clients use: SCRAM user (MSK) or API key (Confluent). Passwords are secret. */
export interface KafkaCredential {
    username: pulumi.Output<string>;
    password: pulumi.Output<string>;
}

/** Component-level defaults, in one place. */
export const KAFKA_DEFAULTS = {
    /** Days CloudWatch keeps MSK broker logs. */
    brokerLogRetentionDays: 30,
    /** Waiting period before a scheduled KMS key deletion completes (the maximum). */
    kmsDeletionWindowDays: 30,
    /**
     * Days a deleted SCRAM secret can be restored: none. Principals come and go with the phase, and a rollback that
     * brings one back must be able to recreate its secret under the same name at once (Secrets Manager refuses a
     * name still pending deletion); nothing is lost, since the password is derived from the seed.
     */
    secretRecoveryWindowDays: 0,
    /** CKUs of a dedicated Confluent cluster: 2 is the minimum for MULTI_ZONE, 1 for SINGLE_ZONE. */
    dedicatedCku: { SINGLE_ZONE: 1, MULTI_ZONE: 2 },
} as const;

type MskSettings = Extract<PlatformConfig["kafka"], { provider: "msk" }>;
type ConfluentSettings = Extract<PlatformConfig["kafka"], { provider: "confluent" }>;

/** MSK broker configuration (`server.properties`) from the plan's settings. Exported for testing. */
export function mskServerProperties(settings: Pick<MskSettings, "replicationFactor" | "minInsyncReplicas">): string {
    return [
        // Topics exist only as declared here, with the plan's partitions, replication and ACLs.
        "auto.create.topics.enable=false",
        `default.replication.factor=${settings.replicationFactor}`,
        `min.insync.replicas=${settings.minInsyncReplicas}`,
        "unclean.leader.election.enable=false",
    ].join("\n");
}

/** MSK SCRAM secret name: Secrets Manager secrets MSK accepts must start with `AmazonMSK_`. Exported for testing. */
export function scramSecretName(stack: string, principal: string): string {
    return `AmazonMSK_${stack}-${principal}`;
}

/**
 * The cluster-type block and availability of a Confluent KafkaCluster. Enterprise clusters take `LOW`/`HIGH`
 * rather than `SINGLE_ZONE`/`MULTI_ZONE` (confluentcloud KafkaCluster docs). Exported for testing.
 */
export function confluentClusterShape(
    settings: Pick<ConfluentSettings, "clusterType" | "availability">,
): Pick<confluentcloud.KafkaClusterArgs, "basic" | "standard" | "enterprises" | "dedicated" | "availability"> {
    switch (settings.clusterType) {
        case "basic":
            return { availability: settings.availability, basic: {} };
        case "standard":
            return { availability: settings.availability, standard: {} };
        case "enterprise":
            return { availability: settings.availability === "MULTI_ZONE" ? "HIGH" : "LOW", enterprises: [{}] };
        case "dedicated":
            return { availability: settings.availability, dedicated: { cku: KAFKA_DEFAULTS.dedicatedCku[settings.availability] } };
    }
}

/** Strips a `SASL_SSL://`-style scheme from a bootstrap endpoint. Exported for testing. */
export function hostPort(endpoint: string): string {
    return endpoint.replace(/^[A-Za-z_]+:\/\//, "");
}

/** The Kafka SASL mechanism names terraform-provider-kafka takes (`saslMechanism`). */
const PROVIDER_SASL_MECHANISM = { plain: "plain", "scram-sha256": "scram-sha256", "scram-sha512": "scram-sha512" } as const;

/** The principal name of a plan principal (`User:job-worker` -> `job-worker`). */
function userOf(principal: string): string {
    return principal.startsWith("User:") ? principal.slice("User:".length) : principal;
}

/** What a provider-specific cluster hands to the common part (provider, topics, ACLs). */
interface ClusterAccess {
    providerArgs: kafka.ProviderArgs;
    bootstrapServers: pulumi.Output<string>;
    credentials: Record<string, KafkaCredential>;
    /** The ACL principal of a plan principal on this cluster. */
    principalOf: (planPrincipal: string) => pulumi.Input<string>;
    /** Resources the Kafka provider must wait for (credentials in place). */
    ready: pulumi.Resource[];
    /** The MSK cluster ARN (MSK only). */
    clusterArn?: pulumi.Output<string>;
    /** Confluent Cloud only: the environment, the cluster and each principal's service account. */
    confluent?: { environmentId: pulumi.Output<string>; clusterId: pulumi.Output<string>; serviceAccountIds: Record<string, pulumi.Output<string>> };
}

/** The kafka.Acl arguments of a planned ACL (terraform-provider-kafka's spellings). Exported for the policy fixtures. */
export function kafkaAclArgs(a: KafkaAclPlan | KafkaAdminAclPlan, principal: pulumi.Input<string>): kafka.AclArgs {
    return {
        aclPrincipal: principal,
        aclHost: a.host,
        aclOperation: a.operation,
        aclPermissionType: a.permissionType,
        aclResourceType: a.resourceType,
        aclResourceName: a.resourceName,
        resourcePatternTypeFilter: a.patternType,
    };
}

/** An MSK cluster's ARN of a topic or consumer group (`arn:...:cluster/<name>/<uuid>` -> `arn:...:topic/<name>/<uuid>/<topic>`). */
export function mskResourceArn(clusterArn: string, kind: "topic" | "group", name: string): string {
    return `${clusterArn.replace(":cluster/", `:${kind}/`)}/${name}`;
}

/**
 * The MSK IAM policy equivalent to a principal's planned ACLs (MSK developer guide, "Semantics of IAM authorization
 * policy actions and resources": each action with the actions it requires). Pure; exported for testing.
 */
export function mskIamPolicy(clusterArn: string, acls: KafkaAclPlan[]): string {
    const byResource = new Map<string, Set<string>>();
    const allow = (resource: string, ...actions: string[]) => {
        const set = byResource.get(resource) ?? new Set<string>();
        actions.forEach((a) => set.add(`kafka-cluster:${a}`));
        byResource.set(resource, set);
    };
    allow(clusterArn, "Connect");
    for (const a of acls) {
        const arn = mskResourceArn(clusterArn, a.resourceType === "Topic" ? "topic" : "group", a.resourceName);
        if (a.resourceType === "Group") {
            allow(arn, "AlterGroup", "DescribeGroup");
        } else if (a.operation === "Write") {
            // Kafka >= 3.0 producers are idempotent by default, which MSK authorises on the cluster.
            allow(arn, "WriteData", "DescribeTopic");
            allow(clusterArn, "WriteDataIdempotently");
        } else if (a.operation === "Read") {
            allow(arn, "ReadData", "DescribeTopic");
        } else {
            allow(arn, "DescribeTopic");
        }
    }
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [...byResource].map(([resource, actions]) => ({ Effect: "Allow", Action: [...actions].sort(), Resource: resource })),
    });
}

export class KafkaPlatform extends pulumi.ComponentResource {
    /** Bootstrap servers clients use (comma-separated host:port; the SASL listener where the cluster has one). */
    public readonly bootstrapServers: pulumi.Output<string>;
    /** The explicit Kafka provider topics and ACLs use; authenticated as the plan's admin principal. */
    public readonly provider: kafka.Provider;
    /** Per-principal credentials (MSK SCRAM users, Confluent API keys); empty for external clusters and MSK IAM. */
    public readonly credentials: Record<string, KafkaCredential>;
    /** Per-principal IAM role ARNs (MSK IAM only), for the `eks.amazonaws.com/role-arn` ServiceAccount annotation. */
    public readonly serviceRoleArns: Record<string, pulumi.Output<string>> = {};
    /** The MSK cluster's ARN (MSK only): MSK Connect's IAM resources are named after it. */
    public readonly clusterArn: pulumi.Output<string> | undefined;
    /** Confluent Cloud only: what a managed connector is created in and logs in as. */
    public readonly confluentCloud: ClusterAccess["confluent"];

    constructor(name: string, args: KafkaPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:kafka:KafkaPlatform", name, {}, opts);
        const plan = args.topology.kafka;
        if (!plan) {
            throw new Error("KafkaPlatform: topology.kafka is null (Kafka is decommissioned); construct KafkaPlatform only when topology.kafka is set");
        }
        const dataOpts = { parent: this, retainOnDelete: plan.retainOnDelete, protect: args.topology.protectData };

        const s = plan.settings;
        let access: ClusterAccess;
        switch (s.provider) {
            case "msk":
                access = this.msk(name, plan, s, args, dataOpts);
                break;
            case "confluent":
                access = this.confluent(name, plan, s, dataOpts);
                break;
            case "external":
                access = this.external(plan, s, args);
                break;
        }

        this.provider = new kafka.Provider(`${name}-provider`, access.providerArgs, { parent: this, dependsOn: access.ready });
        const onCluster = { parent: this, provider: this.provider };

        // The admin's own grants come first: until they exist, its later ACL and topic calls may be refused.
        // Under MSK IAM the brokers ignore ACLs; the admin is whoever runs `pulumi up` with kafka-cluster:* rights.
        const iam = plan.accessControl === "iam";
        const adminAcls = iam ? [] : plan.admin.acls.map((a) => this.acl(name, a, a.principal, onCluster));
        const afterAdmin = { ...onCluster, dependsOn: adminAcls };

        for (const t of plan.topics) {
            new kafka.Topic(
                `${name}-topic-${t.name}`,
                { name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, config: t.config },
                { ...afterAdmin, retainOnDelete: plan.retainOnDelete, protect: args.topology.protectData },
            );
        }
        if (iam) {
            this.iamAccess(name, plan, args, access.clusterArn as pulumi.Output<string>);
        } else {
            for (const a of plan.acls) {
                this.acl(name, a, access.principalOf(a.principal), afterAdmin);
            }
        }

        // The archive's Connect topics (topology/archive-plan.ts): its dead-letter topic and the Strimzi workers' internal
        // topics, declared here so their ACLs (planned with the archiver's) have something to name. Data: retained.
        for (const t of archiveConnectTopics(args.topology.archive)) {
            new kafka.Topic(
                `${name}-topic-${t.name}`,
                { name: t.name, partitions: t.partitions, replicationFactor: plan.settings.replicationFactor, config: t.config },
                { ...afterAdmin, retainOnDelete: plan.retainOnDelete, protect: args.topology.protectData },
            );
        }

        this.bootstrapServers = access.bootstrapServers;
        this.credentials = access.credentials;
        this.clusterArn = access.clusterArn;
        this.confluentCloud = access.confluent;
        this.registerOutputs({ bootstrapServers: this.bootstrapServers, provider: this.provider, credentials: this.credentials });
    }

    /** One IAM role per principal, assumable only by its ServiceAccount, with the policy equivalent to its ACLs. */
    private iamAccess(name: string, plan: KafkaPlan, args: KafkaPlatformArgs, clusterArn: pulumi.Output<string>): void {
        const { oidcProviderArn, oidcProviderUrl } = args;
        if (oidcProviderArn === undefined || oidcProviderUrl === undefined) {
            throw new Error(
                "KafkaPlatform: MSK with IAM auth needs oidcProviderArn and oidcProviderUrl (config kubernetes.oidcProviderArn/Url): " +
                    "each service assumes its MSK IAM role through the EKS OIDC provider",
            );
        }
        const namespace = args.topology.kubernetes.namespace;
        for (const principal of plan.principals) {
            const acls = plan.acls.filter((a) => userOf(a.principal) === principal);
            const role = new aws.iam.Role(
                `${name}-iam-${principal}`,
                {
                    description: `MSK access of ${principal} (${pulumi.getStack()})`,
                    assumeRolePolicy: pulumi
                        .all([oidcProviderArn, oidcProviderUrl])
                        .apply(([arn, url]) => irsaTrustPolicy(arn, url, namespace, principal)),
                },
                { parent: this },
            );
            new aws.iam.RolePolicy(
                `${name}-iam-${principal}-policy`,
                { role: role.id, policy: clusterArn.apply((arn) => mskIamPolicy(arn, acls)) },
                { parent: role },
            );
            this.serviceRoleArns[principal] = role.arn;
        }
    }

    private acl(name: string, a: KafkaAclPlan | KafkaAdminAclPlan, principal: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): kafka.Acl {
        const id = `${userOf(a.principal)}-${a.resourceType}-${a.resourceName}-${a.operation}`.toLowerCase();
        return new kafka.Acl(
            `${name}-acl-${id}`,
            kafkaAclArgs(a, principal),
            opts,
        );
    }

    private msk(name: string, plan: KafkaPlan, s: MskSettings, args: KafkaPlatformArgs, dataOpts: pulumi.CustomResourceOptions): ClusterAccess {
        const parent = { parent: this };
        const stack = pulumi.getStack();
        const scram = s.auth === "scram";
        const seed = args.servicePasswordSeed;
        if (scram && seed === undefined) {
            throw new Error(
                "KafkaPlatform: kafka.provider is msk with kafka.auth scram, but servicePasswordSeed is not set: pass a secret seed " +
                    "(the SCRAM passwords are derived from it), or set kafka.auth: iam",
            );
        }
        // A scheduled key deletion would make the cluster's data and the SCRAM secrets unreadable: keep keys.
        const keyOpts = { parent: this, retainOnDelete: true, protect: dataOpts.protect };

        const dataKey = new aws.kms.Key(
            `${name}-data-key`,
            { description: `MSK encryption at rest (${stack})`, enableKeyRotation: true, deletionWindowInDays: KAFKA_DEFAULTS.kmsDeletionWindowDays },
            keyOpts,
        );
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-broker-logs`,
            { name: `/aws/msk/${pulumi.getProject()}-${stack}`, retentionInDays: KAFKA_DEFAULTS.brokerLogRetentionDays },
            parent,
        );
        const configuration = new aws.msk.Configuration(
            `${name}-configuration`,
            { kafkaVersions: [s.kafkaVersion], serverProperties: mskServerProperties(s), description: `messaging-platform ${stack}` },
            parent,
        );
        const cluster = new aws.msk.Cluster(
            `${name}-cluster`,
            {
                kafkaVersion: s.kafkaVersion,
                numberOfBrokerNodes: s.brokerCount,
                brokerNodeGroupInfo: {
                    instanceType: s.instanceType,
                    clientSubnets: s.subnetIds,
                    securityGroups: s.securityGroupIds,
                    storageInfo: { ebsStorageInfo: { volumeSize: s.volumeSizeGb } },
                },
                clientAuthentication: { sasl: { scram, iam: !scram }, unauthenticated: false },
                encryptionInfo: {
                    encryptionAtRestKmsKeyArn: dataKey.arn,
                    encryptionInTransit: { clientBroker: "TLS", inCluster: true },
                },
                configurationInfo: { arn: configuration.arn, revision: configuration.latestRevision },
                loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: logGroup.name } } },
                openMonitoring: { prometheus: { jmxExporter: { enabledInBroker: true }, nodeExporter: { enabledInBroker: true } } },
            },
            dataOpts,
        );

        if (!scram || seed === undefined) {
            // IAM access control: the provider signs with the ambient AWS credentials in the cluster's region.
            return {
                providerArgs: {
                    bootstrapServers: cluster.bootstrapBrokersSaslIam.apply((b) => b.split(",")),
                    tlsEnabled: true,
                    saslMechanism: "aws-iam",
                    saslAwsRegion: cluster.arn.apply((arn) => arn.split(":")[3] ?? ""),
                },
                bootstrapServers: cluster.bootstrapBrokersSaslIam,
                credentials: {},
                principalOf: (p) => p,
                ready: [cluster],
                clusterArn: cluster.arn,
            };
        }

        // SCRAM: one Secrets Manager secret per principal (and the admin), encrypted with a customer key (MSK refuses
        // secrets under the AWS-managed key), all associated with the cluster by one exclusive association.
        const scramKey = new aws.kms.Key(
            `${name}-scram-key`,
            { description: `MSK SCRAM secrets (${stack})`, enableKeyRotation: true, deletionWindowInDays: KAFKA_DEFAULTS.kmsDeletionWindowDays },
            keyOpts,
        );
        const adminUser = plan.admin.username;
        if (adminUser === undefined) {
            throw new Error("KafkaPlatform: the plan names no Kafka admin user for MSK with SCRAM (topology.kafka.admin.username)");
        }
        const users = [adminUser, ...plan.principals.filter((p) => p !== adminUser)];
        const credentials: Record<string, KafkaCredential> = {};
        const secretArns: pulumi.Output<string>[] = [];
        const versions: pulumi.Resource[] = [];
        for (const user of users) {
            const password = derivedPassword(seed, "kafka", user);
            const secret = new aws.secretsmanager.Secret(
                `${name}-scram-${user}`,
                {
                    name: scramSecretName(stack, user),
                    kmsKeyId: scramKey.arn,
                    recoveryWindowInDays: KAFKA_DEFAULTS.secretRecoveryWindowDays,
                    description: `MSK SCRAM credentials of ${user}`,
                },
                parent,
            );
            versions.push(
                new aws.secretsmanager.SecretVersion(
                    `${name}-scram-${user}-version`,
                    { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify({ username: user, password })) },
                    { parent: secret },
                ),
            );
            // The association attaches this policy itself; declaring it keeps the state free of drift (provider docs).
            new aws.secretsmanager.SecretPolicy(
                `${name}-scram-${user}-policy`,
                {
                    secretArn: secret.arn,
                    policy: pulumi.jsonStringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Sid: "AWSKafkaResourcePolicy",
                                Effect: "Allow",
                                Principal: { Service: "kafka.amazonaws.com" },
                                Action: "secretsmanager:getSecretValue",
                                Resource: secret.arn,
                            },
                        ],
                    }),
                },
                { parent: secret },
            );
            secretArns.push(secret.arn);
            credentials[user] = { username: pulumi.output(user), password };
        }
        const association = new aws.msk.ScramSecretAssociation(
            `${name}-scram-association`,
            { clusterArn: cluster.arn, secretArnLists: secretArns },
            { parent: this, dependsOn: versions },
        );
        const admin = credentials[adminUser] as KafkaCredential;
        delete credentials[adminUser];
        return {
            providerArgs: {
                bootstrapServers: cluster.bootstrapBrokersSaslScram.apply((b) => b.split(",")),
                tlsEnabled: true,
                saslMechanism: "scram-sha512",
                saslUsername: adminUser,
                saslPassword: admin.password,
            },
            bootstrapServers: cluster.bootstrapBrokersSaslScram,
            credentials,
            principalOf: (p) => p,
            ready: [association],
            clusterArn: cluster.arn,
        };
    }

    private confluent(name: string, plan: KafkaPlan, s: ConfluentSettings, dataOpts: pulumi.CustomResourceOptions): ClusterAccess {
        const parent = { parent: this };
        const stack = pulumi.getStack();
        const environment = new confluentcloud.Environment(`${name}-environment`, { displayName: s.environment }, dataOpts);
        const cluster = new confluentcloud.KafkaCluster(
            `${name}-cluster`,
            {
                displayName: `${pulumi.getProject()}-${stack}`,
                environment: { id: environment.id },
                cloud: s.cloud,
                region: s.region,
                deletionProtection: dataOpts.protect ?? false,
                ...confluentClusterShape(s),
            },
            dataOpts,
        );
        const managedResource = { id: cluster.id, apiVersion: cluster.apiVersion, kind: cluster.kind, environment: { id: environment.id } };
        const serviceAccount = (user: string) =>
            new confluentcloud.ServiceAccount(`${name}-sa-${user}`, { displayName: `${stack}-${user}`, description: `messaging-platform ${stack}: ${user}` }, parent);
        const apiKey = (user: string, sa: confluentcloud.ServiceAccount, dependsOn: pulumi.Resource[] = []) =>
            new confluentcloud.ApiKey(
                `${name}-apikey-${user}`,
                {
                    displayName: `${stack}-${user}`,
                    owner: { id: sa.id, apiVersion: sa.apiVersion, kind: sa.kind },
                    managedResource,
                },
                { parent: this, dependsOn },
            );

        const adminUser = plan.admin.username;
        if (adminUser === undefined) {
            throw new Error("KafkaPlatform: the plan names no Kafka admin user for Confluent Cloud (topology.kafka.admin.username)");
        }
        const adminSa = serviceAccount(adminUser);
        const adminRole = new confluentcloud.RoleBinding(
            `${name}-admin-role`,
            { principal: pulumi.interpolate`User:${adminSa.id}`, roleName: "CloudClusterAdmin", crnPattern: cluster.rbacCrn },
            parent,
        );
        const adminKey = apiKey(adminUser, adminSa, [adminRole]);

        const credentials: Record<string, KafkaCredential> = {};
        const accountIds = new Map<string, pulumi.Output<string>>();
        for (const user of plan.principals) {
            const sa = serviceAccount(user);
            const key = apiKey(user, sa);
            accountIds.set(user, sa.id);
            credentials[user] = { username: key.id, password: pulumi.secret(key.secret) };
        }
        const bootstrapServers = cluster.bootstrapEndpoint.apply(hostPort);
        return {
            providerArgs: {
                bootstrapServers: bootstrapServers.apply((b) => [b]),
                tlsEnabled: true,
                saslMechanism: "plain",
                saslUsername: adminKey.id,
                saslPassword: pulumi.secret(adminKey.secret),
            },
            bootstrapServers,
            credentials,
            principalOf: (p) => {
                const id = accountIds.get(userOf(p));
                if (!id) {
                    throw new Error(`KafkaPlatform: ACL principal ${p} is not among topology.kafka.principals`);
                }
                return pulumi.interpolate`User:${id}`;
            },
            ready: [adminKey, adminRole],
            confluent: { environmentId: environment.id, clusterId: cluster.id, serviceAccountIds: Object.fromEntries(accountIds) },
        };
    }

    private external(plan: KafkaPlan, s: Extract<PlatformConfig["kafka"], { provider: "external" }>, args: KafkaPlatformArgs): ClusterAccess {
        const servers = plan.bootstrapServers ?? s.bootstrapServers;
        if (s.sasl && args.kafkaPassword === undefined) {
            throw new Error(
                `KafkaPlatform: kafka.sasl is set (user ${s.sasl.username}) but kafkaPassword is not passed: ` +
                    "pass the secret config kafkaSaslPassword (pulumi config set --secret kafkaSaslPassword <password>)",
            );
        }
        const sasl = s.sasl
            ? {
                  saslMechanism: PROVIDER_SASL_MECHANISM[s.sasl.mechanism],
                  saslUsername: s.sasl.username,
                  saslPassword: pulumi.secret(pulumi.output(args.kafkaPassword as pulumi.Input<string>)),
              }
            : {};
        return {
            providerArgs: { bootstrapServers: servers, tlsEnabled: s.tls, ...sasl },
            bootstrapServers: pulumi.output(servers.join(",")),
            credentials: {},
            principalOf: (p) => p,
            ready: [],
        };
    }
}
