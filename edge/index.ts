/**
 * messaging-edge: one remote telescope site. Config -> checked (topology/edge-config.ts) -> central's view read through
 * a StackReference -> planned (topology/edge-plan.ts) -> built (components/edge-site.ts) -> outputs. A config error is
 * shown as its message, never a stack trace; nothing is registered before the config is valid.
 */
import * as pulumi from "@pulumi/pulumi";
import { EdgeSite } from "../components/edge-site";
import { engineConfigOfProcess } from "../components/stack-config";
import { ConfigError, edgeRawConfig, planEdgeSite, readCentralView, validateEdgeConfig } from "../topology";

async function main(): Promise<Record<string, unknown>> {
    try {
        const raw = edgeRawConfig(engineConfigOfProcess());
        const config = validateEdgeConfig(raw.values, raw.secretKeys);
        const central = new pulumi.StackReference(config.central.stack);
        const read = readCentralView((await central.getOutputDetails("edgeReplication")).value);
        if ("problem" in read) {
            void pulumi.log.warn(`central ${config.central.stack}: ${read.problem}; the site buffers until central accepts it`);
        }
        const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
        const caIssued = (await self.getOutputDetails("caIssued")).value === true;
        const plan = planEdgeSite(config, "view" in read ? read.view : undefined);
        if (plan.replicationOff) {
            void pulumi.log.warn(`edge site ${plan.site}: not replicating: ${plan.replicationOff}`);
        }
        return new EdgeSite("edge", { plan, caIssued, ...(raw.values.credentialSeed !== undefined ? { seed: pulumi.secret(String(raw.values.credentialSeed)) } : {}) }).outputs;
    } catch (err) {
        throw err instanceof ConfigError ? new pulumi.RunError(err.message.replace(/messaging-platform:/g, "messaging-edge:")) : err;
    }
}

export = main();
