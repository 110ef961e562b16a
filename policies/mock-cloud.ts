/**
 * The cloud under Pulumi mocks: provider-computed outputs (ARNs, emails, endpoints) that components read, faked
 * per resource type. One table for the offline policy runner (policies/offline.ts) and the test harnesses.
 */
const ACCOUNT = "123456789012";

/** Provider-computed outputs a program reads (ARNs, emails), faked per type so policies see realistic values. */
export function mockOutputs(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    switch (type) {
        case "aws:s3/bucket:Bucket":
            return { arn: `arn:aws:s3:::${String(inputs.bucket ?? name)}`, bucket: inputs.bucket ?? name };
        case "aws:kms/key:Key":
            return { arn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${name}`, keyId: `${name}-key-id` };
        case "aws:iam/role:Role":
            return { arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, name: inputs.name ?? name };
        case "aws:msk/cluster:Cluster":
            return {
                arn: `arn:aws:kafka:eu-west-1:${ACCOUNT}:cluster/${name}/uuid`,
                bootstrapBrokersSaslScram: "b-1.msk.example:9096,b-2.msk.example:9096,b-3.msk.example:9096",
                bootstrapBrokersSaslIam: "b-1.msk.example:9098,b-2.msk.example:9098,b-3.msk.example:9098",
            };
        case "aws:msk/configuration:Configuration":
            return { arn: `arn:aws:kafka:eu-west-1:${ACCOUNT}:configuration/${name}`, latestRevision: 1 };
        case "aws:secretsmanager/secret:Secret":
            return { arn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:${String(inputs.name ?? name)}-AbCdEf` };
        case "aws:cloudwatch/logGroup:LogGroup":
            return { arn: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:${String(inputs.name ?? name)}` };
        case "gcp:serviceaccount/account:Account": {
            const email = `${String(inputs.accountId ?? name)}@${String(inputs.project ?? "project")}.iam.gserviceaccount.com`;
            return { email, member: `serviceAccount:${email}`, name: `projects/${String(inputs.project ?? "project")}/serviceAccounts/${email}` };
        }
        case "gcp:serviceaccount/key:Key":
            // privateKey is the key file's JSON, base64-encoded (as a Secret's `data` takes it).
            return {
                name: `projects/project/serviceAccounts/offload/keys/${name}-id`,
                privateKey: Buffer.from(JSON.stringify({ type: "service_account", client_email: `offload@project.iam.gserviceaccount.com` })).toString("base64"),
            };
        case "confluentcloud:index/kafkaCluster:KafkaCluster":
            return {
                bootstrapEndpoint: "SASL_SSL://pkc-00000.europe-west4.gcp.confluent.cloud:9092",
                restEndpoint: "https://pkc-00000.europe-west4.gcp.confluent.cloud:443",
                rbacCrn: "crn://confluent.cloud/organization=o/environment=env-1/cloud-cluster=lkc-1",
                apiVersion: "cmk/v2",
                kind: "Cluster",
            };
        case "confluentcloud:index/serviceAccount:ServiceAccount":
            return { apiVersion: "iam/v2", kind: "ServiceAccount" };
        case "confluentcloud:index/apiKey:ApiKey":
            return { secret: `api-secret-of-${name}` };
        default:
            return {};
    }
}
