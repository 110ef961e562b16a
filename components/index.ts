/** The program's components, one concern each; index.ts wires them from a planned Topology. */
export * from "./kafka";
export * from "./kubernetes-provider";
export * from "./observability";
export * from "./offload-bucket";
export * from "./orchestrator";
export * from "./platform";
export * from "./pulsar-cluster";
export * from "./pulsar-functions";
export * from "./pulsar-tenancy";
export * from "./rabbit-control-plane";
export * from "./stack-config";
